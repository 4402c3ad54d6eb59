//! The queues, their handlers, and the policies around them: exponential
//! backoff kept in the database, permanent failures that stop retrying, and
//! orphaned jobs of a dead worker re-enqueued after 30 s.

#[cfg(feature = "bench")]
pub mod noop;
pub mod wakeups;

use anyhow::{Context, Result};
use apalis::prelude::*;
use apalis_cron::{CronScheduler, Tick};
use apalis_postgres::{Config, PostgresStorage};
use domain::Error as AppError;
use domain::calendar::sync::Google;
use domain::jobs::{
    BillingEmailJob, BriefJob, CalendarJob, EmailJob, GoogleJob, Job, MaintenanceJob, SmsJob, TaskEventJob,
};
use domain::settings::Settings;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// What every handler can reach.
#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub signing_key: Arc<Vec<u8>>,
    /// This process, in worker names: unique per start, so a restarted process
    /// never takes over a dead one's name (its jobs would not be recovered).
    pub instance: String,
}

impl Ctx {
    pub async fn connect(settings: Settings) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.worker.db_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(settings.database_url.expose())
            .await
            .context("connecting to PostgreSQL")?;
        domain::db::check_role(&pool, settings.allow_privileged_role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        sqlx::migrate!("../migrations").run(&pool).await.context("running migrations")?;
        PostgresStorage::<()>::setup(&pool).await.context("setting up the job tables")?;
        let secret = settings.secret_key.as_ref().map(|k| k.expose().as_str());
        let signing_key = domain::notify::token::signing_key(&pool, secret).await.context("reading the signing key")?;
        let started = chrono::Utc::now().timestamp_micros();
        Ok(Ctx {
            settings: Arc::new(settings),
            signing_key: Arc::new(signing_key),
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

/// Tests only (built with the `test-hooks` feature): pause inside a job for
/// the milliseconds in `var`, so that a crash test can kill a worker mid-job.
#[cfg(feature = "test-hooks")]
async fn test_pause_ms(var: &str) {
    let pause = std::env::var(var).ok().and_then(|v| v.parse().ok()).map(Duration::from_millis);
    if let Some(pause) = pause {
        tracing::info!("pausing inside the job ({var})");
        tokio::time::sleep(pause).await;
    }
}

async fn brief(job: BriefJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    #[cfg(feature = "test-hooks")]
    test_pause_ms("BUILDOS_TEST_JOB_PAUSE_MS").await;
    match domain::brief::service::generate(&ctx.pool, job.user_id, job.brief_id, &ctx.settings.engine).await {
        Ok(_) => Ok(()),
        Err(e) => {
            // apalis counts attempts from 1 in the handler: this was the last one,
            // or the error is one that stops the job for good.
            let last = attempt.current() >= domain::jobs::MAX_ATTEMPTS as usize;
            let hopeless = matches!(e, AppError::NotFound | AppError::Validation(_) | AppError::Forbidden);
            if last || hopeless {
                let _ = domain::brief::service::mark_failed(&ctx.pool, job.user_id, job.brief_id, &e.to_string()).await;
            }
            Err(outcome(&ctx, &id, &attempt, e).await)
        }
    }
}

async fn email(job: EmailJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let s = &ctx.settings;
    let sent = domain::notify::email::deliver(
        &ctx.pool,
        &s.mailer,
        &s.email_from,
        &s.public_base_url,
        &ctx.signing_key,
        job.user_id,
        job.email_id,
    )
    .await;
    use domain::notify::email::Delivery;
    domain::metrics::email(match &sent {
        Ok(Delivery::Sent) => "sent",
        Ok(Delivery::AlreadySent) => "already_sent",
        Ok(Delivery::Unsubscribed) => "unsubscribed",
        Err(_) => "failed",
    });
    match sent {
        Ok(_) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

async fn billing_email(job: BillingEmailJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let free = ctx.settings.billing.as_ref().map(|b| b.free_ai_per_day);
    let sent = domain::billing::service::send_email(&ctx.pool, &ctx.settings.mail(), free, &job).await;
    domain::metrics::email(if sent.is_ok() { "sent" } else { "failed" });
    match sent {
        Ok(()) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

async fn sms(job: SmsJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    use domain::notify::sms::Delivery;
    let sent =
        domain::notify::sms::deliver(&ctx.pool, &ctx.settings.sms, &ctx.settings.sms_caps, job.user_id, job.sms_id)
            .await;
    domain::metrics::text(match &sent {
        Ok(Delivery::Sent(_)) => "sent",
        Ok(Delivery::Deferred(_)) => "deferred",
        Ok(Delivery::Suppressed(_)) => "suppressed",
        Ok(Delivery::AlreadyHandled) => "already_handled",
        Err(_) => "failed",
    });
    match sent {
        // Quiet hours: the same message, enqueued again for when they end.
        Ok(Delivery::Deferred(until)) => {
            let mut conn = ctx.pool.acquire().await?;
            job.enqueue_at(&mut conn, until).await?;
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

/// Refresh an address calendar. A failed download is kept on the calendar (the
/// page shows it) and tried again at the next hourly tick, not retried here.
async fn calendar(job: CalendarJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    match domain::calendar::import::refresh(&ctx.pool, &ctx.settings, job.user_id, job.source_id).await {
        Ok(_) | Err(AppError::Upstream(_) | AppError::NotFound | AppError::Conflict(_)) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

/// Google Calendar errors that retrying cannot fix until the person acts
/// (not connected any more, needs reconnecting, calendar gone): done, not retried.
fn google_outcome<T>(result: Result<T, AppError>) -> Result<(), AppError> {
    match result {
        Ok(_) | Err(AppError::Conflict(_) | AppError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn google(job: GoogleJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let google = match Google::from_settings(&ctx.settings) {
        Ok(google) => google,
        Err(_) => return Ok(()),
    };
    let done = match &job {
        GoogleJob::Calendars { user_id } => {
            match google_outcome(domain::calendar::sync::refresh_calendars(&ctx.pool, google, *user_id).await) {
                Ok(()) => google_outcome(domain::calendar::channels::ensure(&ctx.pool, google, *user_id).await),
                Err(e) => Err(e),
            }
        }
        GoogleJob::Sync { user_id, calendar_id } => {
            google_outcome(domain::calendar::sync::sync(&ctx.pool, google, *user_id, calendar_id).await)
        }
    };
    match done {
        Ok(()) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

async fn task_event(job: TaskEventJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    let Ok(google) = Google::from_settings(&ctx.settings) else { return Ok(()) };
    match google_outcome(domain::calendar::push::reconcile(&ctx.pool, google, job.user_id, job.task_id).await) {
        Ok(()) => Ok(()),
        Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
    }
}

/// Every few minutes: Google calendars not synced lately are queued, push
/// channels about to expire renewed.
async fn poll(ctx: &Ctx) -> Result<(), AppError> {
    let Ok(google) = Google::from_settings(&ctx.settings) else { return Ok(()) };
    for (user_id, calendar_id, lost) in
        domain::calendar::sync::due_for_poll(&ctx.pool, ctx.settings.worker.google_sync_minutes).await?
    {
        let mut tx = domain::db::begin_as(&ctx.pool, user_id).await?;
        if lost {
            GoogleJob::Sync { user_id, calendar_id }.enqueue(&mut tx).await?;
        } else {
            domain::calendar::sync::request_sync(&mut tx, user_id, &calendar_id).await?;
        }
        tx.commit().await?;
    }
    domain::calendar::channels::renew_due(&ctx.pool, google).await?;
    Ok(())
}

async fn maintenance(job: MaintenanceJob, ctx: Data<Ctx>, id: TaskId, attempt: Attempt) -> Result<(), BoxDynError> {
    if job == MaintenanceJob::Poll {
        return match poll(&ctx).await {
            Ok(()) => Ok(()),
            Err(e) => Err(outcome(&ctx, &id, &attempt, e).await),
        };
    }
    let now = chrono::Utc::now();
    if let Err(e) = domain::brief::service::schedule_due(&ctx.pool, now).await {
        return Err(outcome(&ctx, &id, &attempt, e).await);
    }
    if let Err(e) = domain::notify::sms::schedule_reminders(&ctx.pool, now).await {
        return Err(outcome(&ctx, &id, &attempt, e).await);
    }
    match domain::calendar::import::stale_sources(&ctx.pool).await {
        Ok(stale) => {
            let hour = now.format("%Y-%m-%dT%H");
            let mut conn = ctx.pool.acquire().await?;
            for (source_id, user_id) in stale {
                CalendarJob { source_id, user_id }.enqueue_once(&mut conn, &format!("{source_id}:{hour}")).await?;
            }
        }
        Err(e) => return Err(outcome(&ctx, &id, &attempt, e).await),
    }
    if let Err(e) = domain::jobs::prune(&ctx.pool).await {
        tracing::warn!(error = %e, "pruning failed");
    }
    Ok(())
}

/// The apalis-cron tick, every five minutes: enqueue the poll, and the hourly
/// maintenance job once per hour, however many worker processes run (the
/// five minutes and the hour are their idempotency keys).
async fn every_five_minutes(tick: Tick, ctx: Data<Ctx>) -> Result<(), BoxDynError> {
    let _ = tick;
    let now = chrono::Utc::now();
    let mut conn = ctx.pool.acquire().await?;
    let bucket = now.timestamp() / 300;
    MaintenanceJob::Poll.enqueue_once(&mut conn, &format!("poll:{bucket}")).await?;
    MaintenanceJob::Tick.enqueue_once(&mut conn, &format!("tick:{}", now.format("%Y-%m-%dT%H"))).await?;
    Ok(())
}

/// Every queue's worker, registered with a monitor that restarts a worker whose
/// database connection failed (after a pause, so a PostgreSQL restart is ridden out).
pub fn monitor(ctx: Ctx) -> Result<Monitor> {
    let n = ctx.settings.worker.concurrency;
    let poll = Duration::from_millis(ctx.settings.worker.poll_ms);
    let schedule = cron::Schedule::from_str("0 */5 * * * *").context("the five-minute schedule")?;
    let mut monitor = Monitor::new();
    let hub = wakeups::Hub::spawn(ctx.pool.clone());
    macro_rules! queue {
        ($ty:ty, $handler:expr, $conc:expr) => {
            queue!($ty, $handler, $conc, |storage: PostgresStorage<$ty>, hub: &wakeups::Hub| {
                storage.poll_with_stream(hub.wakeups(<$ty as Job>::QUEUE))
            })
        };
        // `wake`: the storage with its wake-ups from LISTEN/NOTIFY (the
        // process's one listener, see `wakeups`); a poll is added as a safety
        // net (and for retries scheduled in the future).
        ($ty:ty, $handler:expr, $conc:expr, $wake:expr) => {{
            let (ctx, hub) = (ctx.clone(), hub.clone());
            monitor = monitor.register(move |restarts| {
                let storage = PostgresStorage::<$ty>::new(&ctx.pool).with_config(config(<$ty as Job>::QUEUE, $conc));
                WorkerBuilder::new(format!("{}-{}-{restarts}", <$ty as Job>::QUEUE, ctx.instance))
                    .backend(($wake)(storage, &hub).poll_with_interval(poll))
                    .data(ctx.clone())
                    .concurrency($conc)
                    .layer(crate::metrics::JobMetrics { queue: <$ty as Job>::QUEUE, pool: ctx.pool.clone() })
                    .build($handler)
            });
        }};
    }
    queue!(BriefJob, brief, n);
    queue!(EmailJob, email, n);
    queue!(BillingEmailJob, billing_email, 1);
    queue!(SmsJob, sms, n);
    queue!(MaintenanceJob, maintenance, 1);
    queue!(CalendarJob, calendar, n);
    queue!(GoogleJob, google, n);
    queue!(TaskEventJob, task_event, n);
    #[cfg(feature = "bench")]
    if noop::enabled() && noop::plain_pubsub() {
        // apalis' own wake-ups, to compare with in the same benchmark run.
        queue!(
            noop::NoopJob,
            noop::handle,
            noop::concurrency(),
            |s: PostgresStorage<noop::NoopJob>, _: &wakeups::Hub| s.with_pubsub()
        );
    } else if noop::enabled() {
        queue!(noop::NoopJob, noop::handle, noop::concurrency());
    }
    {
        let ctx = ctx.clone();
        let schedule = schedule.clone();
        monitor = monitor.register(move |restarts| {
            WorkerBuilder::new(format!("cron-{}-{restarts}", ctx.instance))
                .backend(CronScheduler::new(schedule.clone()))
                .data(ctx.clone())
                .build(every_five_minutes)
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
