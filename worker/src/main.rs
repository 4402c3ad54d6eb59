//! `worker`: background jobs over the same PostgreSQL, on apalis.
//!
//! Queues: `briefs` (generate a daily brief), `email` (send one), `sms` (send
//! one), `maintenance` (the hourly tick: schedule due briefs, prune). An
//! apalis-cron schedule enqueues the tick every hour, and one is enqueued at
//! start. Several worker processes can run side by side: jobs are claimed with
//! `FOR UPDATE SKIP LOCKED`, and every side effect has a unique key.

mod jobs;

use anyhow::{Context, Result};

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<()> {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let ctx = jobs::Ctx::connect(&url).await?;
    let monitor = jobs::monitor(ctx.clone())?;
    app::jobs::enqueue(&mut *ctx.pool.acquire().await?, app::jobs::MAINTENANCE, &app::jobs::MaintenanceJob::Tick, None)
        .await
        .context("enqueueing the start-up tick")?;
    tracing::info!(instance = %ctx.instance, "worker started");
    monitor
        .run_with_signal(async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r,
                _ = term.recv() => Ok(()),
            }
        })
        .await
        .context("running the workers")?;
    jobs::noop::report();
    tracing::info!("worker stopped");
    // Give the log a moment to flush.
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
