//! The benchmark queue: no-op jobs that record how long they waited
//! (enqueue to start). Enabled with BUILDOS_NOOP_QUEUE=1; the figures are
//! written at shutdown to BUILDOS_NOOP_OUT (JSON) for scripts/bench-queue.sh.

use apalis::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoopJob {
    /// When it was enqueued, in microseconds since the epoch (the benchmark's clock).
    pub enqueued_us: i64,
}

impl domain::jobs::Job for NoopJob {
    const QUEUE: &'static str = "noop";
}

static WAITS: Mutex<Vec<(i64, i64)>> = Mutex::new(Vec::new());

pub fn enabled() -> bool {
    std::env::var("BUILDOS_NOOP_QUEUE").is_ok_and(|v| v == "1")
}

pub fn concurrency() -> usize {
    std::env::var("BUILDOS_NOOP_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

pub async fn handle(job: NoopJob) -> Result<(), BoxDynError> {
    let now = chrono::Utc::now().timestamp_micros();
    WAITS.lock().expect("not poisoned").push((job.enqueued_us, now));
    Ok(())
}

/// Write (enqueued, started) pairs, in µs, to BUILDOS_NOOP_OUT.
pub fn report() {
    let Ok(path) = std::env::var("BUILDOS_NOOP_OUT") else { return };
    let waits = WAITS.lock().expect("not poisoned");
    if let Err(error) = std::fs::write(&path, serde_json::to_vec(&*waits).unwrap_or_default()) {
        tracing::warn!(%error, path, "could not write the no-op figures");
    }
}
