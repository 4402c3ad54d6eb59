//! The queues, their handlers, and the policies around them: exponential
//! backoff kept in the database, permanent failures that stop retrying, and
//! orphaned jobs of a dead worker re-enqueued after 30 s.

pub mod noop;

use anyhow::{Context, Result};
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use app::brain_dump::llm::Engine;
use app::error::AppError;
use app::jobs::{BRIEFS, BriefJob, EMAIL, EmailJob, MAINTENANCE, MaintenanceJob, SMS, SmsJob};
use app::notify::email::Mailer;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub mailer: Mailer,
    pub engine: Engine,
    pub base_url: String,
    pub signing_key: Arc<Vec<u8>>,
    pub sms: app::notify::sms::SmsSender,
    /// This process, in worker names: unique per start, so a restarted process
    /// never takes over a dead one's name (its jobs would not be recovered).
    pub instance: String,
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

impl Ctx {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(env("WORKER_DB_CONNECTIONS").and_then(|v| v.parse().ok()).unwrap_or(12))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::migrate!("../migrations").run(&pool).await.context("running migrations")?;
        PostgresStorage::<()>::setup(&pool).await.context("setting up the job tables")?;
        let signing_key = app::notify::token::signing_key(&pool).await.context("reading the signing key")?;
        let started = chrono::Utc::now().timestamp_micros();
        Ok(Ctx {
            mailer: Mailer::from_env().map_err(anyhow::Error::msg)?,
            engine: Engine::from_env(),
            base_url: env("PUBLIC_BASE_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
            signing_key: Arc::new(signing_key),
            sms: app::notify::sms::SmsSender::from_env(),
            instance: format!("{}-{started:x}", std::process::id()),
            pool,
        })
    }
}

/// The configuration of one queue's storage: heartbeats every 10 s, with a
/// dead worker's jobs re-enqueued after three missed ones (30 s).
fn config(queue: &str, batch: usize) -> Config {
    Config::default().queue(queue).batch_size(batch).heartbeat_interval(Duration::from_secs(10)).missed_heartbeats(3)
}

/// The retry policy, kept in the database so it survives restarts: after a
/// failed attempt the job's `run_at` moves 2^attempt × 5 s ahead (5, 10, 20,
/// 40 s…); after `MAX_ATTEMPTS` it stays `Failed`, visible on the queue page.
async fn back_off(pool: &PgPool, id: &TaskId, attempt: &Attempt) {
    let delay = 5.0 * 2f64.powi(attempt.current().min(12) as i32);
    let moved = sqlx::query("update apalis.jobs set run_at = now() + make_interval(secs => $2) where id = $1")
        .bind(id.to_string())
        .bind(delay)
        .execute(pool)
        .await;
    if let Err(error) = moved {
        tracing::warn!(%error, job.id = %id, "could not schedule the retry");
    }
}

/// Map an app error to the job's outcome: input that can never work stops
/// (Killed); anything else is retried with backoff.
async fn outcome(ctx: &Ctx, id: &TaskId, attempt: &Attempt, e: AppError) -> BoxDynError {
    match e {
        AppError::NotFound | AppError::Validation(_) | AppError::Forbidden => {
            tracing::warn!(job.id = %id, error = %e, "job failed for good");
            AbortError::new(e).into()
        }
        other => {
            tracing::warn!(job.id = %id, attempt = attempt.current(), error = %other, "job failed; will retry");
            back_off(&ctx.pool, id, attempt).await;
            other.into()
        }
    }
}

/// Tests and benchmarks only: pause inside a brief job (to kill a worker mid-job).
fn test_pause() -> Option<Duration> {
    env("BUILDOS_TEST_JOB_PAUSE_MS").and_then(|v| v.parse().ok()).map(Duration::from_millis)
}

async fn brief(job: BriefJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    if let Some(pause) = test_pause() {
        tracing::info!(brief.id = %job.brief_id, "pausing inside the brief job (BUILDOS_TEST_JOB_PAUSE_MS)");
        tokio::time::sleep(pause).await;
    }
    match app::brief::service::generate(&ctx.pool, job.user_id, job.brief_id, &ctx.engine).await {
        Ok(_) => Ok(()),
        Err(e) => {
            // apalis counts attempts from 1 in the handler: this was the last one,
            // or the error is one that stops the job for good.
            let last = attempt.current() >= app::jobs::MAX_ATTEMPTS as usize;
            let hopeless = matches!(e, AppError::NotFound | AppError::Validation(_) | AppError::Forbidden);
            if last || hopeless {
                let _ = app::brief::service::mark_failed(&ctx.pool, job.user_id, job.brief_id, &e.to_string()).await;
            }
            Err(outcome(&ctx, &id, &attempt, e).await)
        }
    }
}

async fn email(job: EmailJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let sent =
        app::notify::email::deliver(&ctx.pool, &ctx.mailer, &ctx.base_url, &ctx.signing_key, job.user_id, job.email_id)
            .await;
    match sent {
        Ok(_) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

async fn sms(job: SmsJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    match app::notify::sms::deliver(&ctx.pool, &ctx.sms, job.user_id, job.sms_id).await {
        // Quiet hours: the same message, enqueued again for when they end.
        Ok(app::notify::sms::Delivery::Deferred(until)) => {
            let mut conn = ctx.pool.acquire().await?;
            app::jobs::enqueue_at(&mut conn, SMS, &job, until).await?;
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

async fn maintenance(job: MaintenanceJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let MaintenanceJob::Tick = job;
    let now = chrono::Utc::now();
    if let Err(e) = app::brief::service::schedule_due(&ctx.pool, now).await {
        return Err(outcome(&ctx, &id, &attempt, e).await);
    }
    if let Err(e) = app::notify::sms::schedule_reminders(&ctx.pool, now).await {
        return Err(outcome(&ctx, &id, &attempt, e).await);
    }
    if let Err(e) = app::jobs::prune(&ctx.pool).await {
        tracing::warn!(error = %e, "pruning failed");
    }
    Ok(())
}

/// The apalis-cron tick: enqueue the hourly maintenance job, once per hour
/// however many worker processes run (the hour is its idempotency key).
async fn hourly(tick: Tick, ctx: Data<Ctx>) -> Result<(), BoxDynError> {
    let _ = tick;
    let key = format!("tick:{}", chrono::Utc::now().format("%Y-%m-%dT%H"));
    let mut conn = ctx.pool.acquire().await?;
    app::jobs::enqueue(&mut conn, MAINTENANCE, &MaintenanceJob::Tick, Some(&key)).await?;
    Ok(())
}

/// How often an idle queue looks for work besides LISTEN/NOTIFY wake-ups
/// (WORKER_POLL_MS, default 1000): the upper bound on a job's wait when a
/// wake-up is missed under load, and on a scheduled retry's lateness.
fn poll_interval() -> Duration {
    Duration::from_millis(env("WORKER_POLL_MS").and_then(|v| v.parse().ok()).unwrap_or(1000).max(5))
}

fn concurrency() -> usize {
    env("WORKER_CONCURRENCY").and_then(|v| v.parse().ok()).unwrap_or(8)
}

/// Every queue's worker, registered with a monitor that restarts a worker whose
/// database connection failed (after a pause, so a PostgreSQL restart is ridden out).
pub fn monitor(ctx: Ctx) -> Result<Monitor> {
    let n = concurrency();
    let schedule = cron::Schedule::from_str("0 0 * * * *").context("the hourly schedule")?;
    let mut monitor = Monitor::new();
    macro_rules! queue {
        ($queue:expr, $ty:ty, $handler:expr, $conc:expr) => {{
            let ctx = ctx.clone();
            monitor = monitor.register(move |restarts| {
                WorkerBuilder::new(format!("{}-{}-{restarts}", $queue, ctx.instance))
                    // LISTEN/NOTIFY wake-ups, and a poll as a safety net (and for
                    // retries scheduled in the future).
                    .backend(
                        PostgresStorage::<$ty>::new(&ctx.pool)
                            .with_config(config($queue, $conc))
                            .with_pubsub()
                            .poll_with_interval(poll_interval()),
                    )
                    .data(ctx.clone())
                    .concurrency($conc)
                    .build($handler)
            });
        }};
    }
    queue!(BRIEFS, BriefJob, brief, n);
    queue!(EMAIL, EmailJob, email, n);
    queue!(SMS, SmsJob, sms, n);
    queue!(MAINTENANCE, MaintenanceJob, maintenance, 1);
    if noop::enabled() {
        queue!(noop::QUEUE, noop::NoopJob, noop::handle, noop::concurrency());
    }
    {
        let ctx = ctx.clone();
        let schedule = schedule.clone();
        monitor = monitor.register(move |restarts| {
            WorkerBuilder::new(format!("cron-{}-{restarts}", ctx.instance))
                .backend(CronScheduler::new(schedule.clone()))
                .data(ctx.clone())
                .build(hourly)
        });
    }
    Ok(monitor
        .should_restart(|_worker, error| {
            tracing::warn!(%error, "a worker stopped; restarting it");
            // A pause between restarts: a database restart takes a few seconds.
            std::thread::sleep(Duration::from_millis(500));
            true
        })
        .shutdown_timeout(Duration::from_secs(30)))
}
