//! Benchmark helper: enqueue no-op jobs at a steady rate, one per transaction,
//! as the web does, each carrying its enqueue time (for enqueue-to-start
//! latency). Four connections take turns, so that a commit's fsync does not
//! cap the rate (one connection manages about 1,000 a second here).
//!
//!   enqueue-noop RATE_PER_SECOND SECONDS

use anyhow::{Context, Result};
use domain::jobs::Job;
use std::time::{Duration, Instant};
use worker::jobs::noop::NoopJob;

const CONNECTIONS: u64 = 4;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rate: u64 = args.get(1).and_then(|a| a.parse().ok()).context("usage: enqueue-noop RATE SECONDS")?;
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).context("usage: enqueue-noop RATE SECONDS")?;
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL")?;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(CONNECTIONS as u32).connect(&url).await?;
    let start = Instant::now();
    let total = rate * seconds;
    let senders = (0..CONNECTIONS).map(|k| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await?;
            let mut took = Vec::new();
            for i in (k..total).step_by(CONNECTIONS as usize) {
                let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
                let job = NoopJob { enqueued_us: chrono::Utc::now().timestamp_micros() };
                let t = Instant::now();
                job.enqueue(&mut conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                took.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(took)
        }
    });
    let mut took: Vec<f64> = futures::future::try_join_all(senders).await?.concat();
    let elapsed = start.elapsed().as_secs_f64();
    took.sort_by(f64::total_cmp);
    let q =
        |p: f64| took.get(((p * took.len() as f64) as usize).min(took.len().saturating_sub(1))).copied().unwrap_or(0.0);
    eprintln!("enqueue transaction p50 / p95 / p99: {:.1} / {:.1} / {:.1} ms", q(0.5), q(0.95), q(0.99));
    eprintln!("enqueued {total} jobs in {elapsed:.2} s");
    Ok(())
}
