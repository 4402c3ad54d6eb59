//! Benchmark helper: enqueue no-op jobs at a steady rate, one per transaction,
//! as the web does, each carrying its enqueue time (for enqueue-to-start latency).
//!
//!   enqueue-noop RATE_PER_SECOND SECONDS

use anyhow::{Context, Result};
use domain::jobs::Job;
use std::time::{Duration, Instant};
use worker::jobs::noop::NoopJob;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rate: u64 = args.get(1).and_then(|a| a.parse().ok()).context("usage: enqueue-noop RATE SECONDS")?;
    let seconds: u64 = args.get(2).and_then(|a| a.parse().ok()).context("usage: enqueue-noop RATE SECONDS")?;
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL")?;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await?;
    let mut conn = pool.acquire().await?;
    let start = Instant::now();
    let total = rate * seconds;
    for i in 0..total {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        tokio::time::sleep_until(due.into()).await;
        let job = NoopJob { enqueued_us: chrono::Utc::now().timestamp_micros() };
        job.enqueue(&mut conn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    eprintln!("enqueued {total} jobs in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}
