//! `worker`: background jobs over the same PostgreSQL, on apalis.
//!
//! Queues: `briefs` (generate a daily brief), `email` (send one), `sms` (send
//! one), `calendar` (refresh an address calendar), `google` (read a person's
//! Google calendar list; sync one calendar), `google-events` (bring a task's
//! event in Google in step), `maintenance` (the hourly tick: schedule due
//! briefs, prune; and every five minutes the poll: Google calendars not
//! synced lately, push channels to renew). An apalis-cron schedule enqueues
//! them every five minutes, and a tick is enqueued at start. Several worker processes can run side by side: jobs are claimed with
//! `FOR UPDATE SKIP LOCKED`, and every side effect has a unique key.

use anyhow::{Context, Result};
use domain::jobs::{Job, MaintenanceJob};
use domain::settings::Settings;
use worker::jobs;

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<()> {
    let settings = Settings::from_env()?;
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // LOG_FORMAT=json: one JSON object per line, as the server writes them.
    let (plain, json) = if settings.log_json {
        (None, Some(tracing_subscriber::fmt::layer().json().with_filter(filter)))
    } else {
        (Some(tracing_subscriber::fmt::layer().with_filter(filter)), None)
    };
    let registry = tracing_subscriber::registry().with(plain).with(json);
    #[cfg(feature = "bench")]
    let registry = registry.with(jobs::noop::counting().then(jobs::noop::fetch_counter));
    registry.init();
    let metrics = domain::metrics::install();
    let ctx = jobs::Ctx::connect(settings).await?;
    if let Some(addr) = ctx.settings.worker.metrics_addr {
        worker::metrics::serve(ctx.clone(), metrics, addr).await?;
    }
    let monitor = jobs::monitor(ctx.clone())?;
    MaintenanceJob::Tick.enqueue(&mut *ctx.pool.acquire().await?).await.context("enqueueing the start-up tick")?;
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
    #[cfg(feature = "bench")]
    jobs::noop::report();
    tracing::info!("worker stopped");
    // Give the log a moment to flush.
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
