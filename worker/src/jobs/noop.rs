//! The benchmark queue: no-op jobs that record how long they waited
//! (enqueue to start). Enabled with BUILDOS_NOOP_QUEUE=1; the figures are
//! written at shutdown to BUILDOS_NOOP_OUT (JSON) for scripts/bench-queue.sh.

use apalis::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoopJob {
    /// When it was enqueued, in microseconds since the epoch (the benchmark's clock).
    pub enqueued_us: i64,
}

impl domain::jobs::Job for NoopJob {
    const QUEUE: &'static str = "noop";
}

/// Per job, in µs since the epoch: enqueued, the last notification received,
/// the last fetch started and the last one that returned jobs (all before it
/// started), and started. At a steady low rate these split the wait by stage.
static WAITS: Mutex<Vec<Stamps>> = Mutex::new(Vec::new());
type Stamps = (i64, i64, i64, i64, i64);
static LAST_FETCH_US: AtomicI64 = AtomicI64::new(0);
static LAST_FOUND_US: AtomicI64 = AtomicI64::new(0);

pub fn enabled() -> bool {
    std::env::var("BUILDOS_NOOP_QUEUE").is_ok_and(|v| v == "1")
}

/// BUILDOS_NOOP_PLAIN_PUBSUB=1: the no-op queue wakes with apalis' own
/// `with_pubsub()` instead of `Wakeups` (the benchmark's "before").
pub fn plain_pubsub() -> bool {
    std::env::var("BUILDOS_NOOP_PLAIN_PUBSUB").is_ok_and(|v| v == "1")
}

pub fn concurrency() -> usize {
    std::env::var("BUILDOS_NOOP_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

pub async fn handle(job: NoopJob) -> Result<(), BoxDynError> {
    let now = chrono::Utc::now().timestamp_micros();
    let notified = super::wakeups::LAST_RECEIVED_US.load(Ordering::Relaxed);
    let (fetch, found) = (LAST_FETCH_US.load(Ordering::Relaxed), LAST_FOUND_US.load(Ordering::Relaxed));
    WAITS.lock().expect("not poisoned").push((job.enqueued_us, notified, fetch, found, now));
    Ok(())
}

/// Fetches apalis started, those that found jobs, and the jobs they found
/// (every queue's: the idle ones add one empty fetch per poll interval each).
static FETCHES: AtomicU64 = AtomicU64::new(0);
static FOUND: AtomicU64 = AtomicU64::new(0);
static JOBS: AtomicU64 = AtomicU64::new(0);

/// Counts apalis' fetches from its own trace events in
/// `apalis_core::backend::persistence` (apalis-core 1.0.0, `mod.rs`): line 325
/// "dispatching Fetch future" and line 345 "fetch_next returned batch" (with
/// `count`). Told apart by line, so that no message is formatted.
pub struct FetchCounter;

const FETCH_LINE: u32 = 325;
const FOUND_LINE: u32 = 345;

#[derive(Default)]
struct Count(u64);

impl Visit for Count {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "count" {
            self.0 = value;
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for FetchCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let now = || chrono::Utc::now().timestamp_micros();
        match event.metadata().line() {
            Some(FETCH_LINE) => {
                FETCHES.fetch_add(1, Ordering::Relaxed);
                LAST_FETCH_US.store(now(), Ordering::Relaxed);
            }
            Some(FOUND_LINE) => {
                let mut c = Count::default();
                event.record(&mut c);
                FOUND.fetch_add(1, Ordering::Relaxed);
                LAST_FOUND_US.store(now(), Ordering::Relaxed);
                JOBS.fetch_add(c.0, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// BUILDOS_NOOP_COUNTS=1: count fetches and stamp the stages (the latency
/// runs; the throughput runs go without, as it costs a little per job).
pub fn counting() -> bool {
    std::env::var("BUILDOS_NOOP_COUNTS").is_ok_and(|v| v == "1")
}

/// The counter, listening to apalis' persistence events only (at TRACE).
pub fn fetch_counter<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    FetchCounter.with_filter(Targets::new().with_target("apalis_core::backend::persistence", tracing::Level::TRACE))
}

/// Write the per-job times (see `WAITS`), in µs, to BUILDOS_NOOP_OUT, and the
/// counts (notifications received, fetches, fetches that found jobs, jobs
/// found) beside it, with `.counts` for `.json`.
pub fn report() {
    let Ok(path) = std::env::var("BUILDOS_NOOP_OUT") else { return };
    let waits = WAITS.lock().expect("not poisoned");
    if let Err(error) = std::fs::write(&path, serde_json::to_vec(&*waits).unwrap_or_default()) {
        tracing::warn!(%error, path, "could not write the no-op figures");
    }
    let counts = serde_json::json!({
        "notifications": super::wakeups::RECEIVED.load(Ordering::Relaxed),
        "fetches": FETCHES.load(Ordering::Relaxed),
        "fetches_with_jobs": FOUND.load(Ordering::Relaxed),
        "jobs_fetched": JOBS.load(Ordering::Relaxed),
    });
    let counts_path = format!("{}.counts", path.trim_end_matches(".json"));
    if let Err(error) = std::fs::write(&counts_path, counts.to_string()) {
        tracing::warn!(%error, path = counts_path, "could not write the no-op counts");
    }
}
