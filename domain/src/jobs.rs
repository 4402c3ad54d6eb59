//! The job queue, as the web and the worker write to it: rows in `apalis.jobs`
//! (apalis-postgres's table, created by its migrations at start-up).
//!
//! Jobs are inserted with plain SQL on the caller's connection, so a job is
//! enqueued in the same transaction as the write it belongs to: both commit or
//! neither does. The payload is the JSON apalis' codec reads.

use crate::error::{Error, internal};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// A kind of job: its payload type names its queue, so a job cannot land on
/// the wrong one. The worker registers one handler per implementor.
pub trait Job: Serialize + serde::de::DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The queue (apalis' `job_type`) this job runs on.
    const QUEUE: &'static str;

    /// Enqueue in the caller's transaction.
    fn enqueue<'a>(&'a self, conn: &'a mut PgConnection) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        async move { insert(conn, Self::QUEUE, self, None, None).await.map(drop) }
    }

    /// Enqueue once per `key` on this queue (later calls with the same key do
    /// nothing); true when this call enqueued it.
    fn enqueue_once<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        key: &'a str,
    ) -> impl Future<Output = Result<bool, Error>> + Send + 'a {
        async move { insert(conn, Self::QUEUE, self, Some(key), None).await }
    }

    /// Enqueue to run at `at` (not before).
    fn enqueue_at<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        async move { insert(conn, Self::QUEUE, self, None, Some(at)).await.map(drop) }
    }
}

/// Generate brief `brief_id` (and send it, when the person wants email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefJob {
    pub brief_id: Uuid,
    pub user_id: Uuid,
}

impl Job for BriefJob {
    const QUEUE: &'static str = "briefs";
}

/// Send email `email_id` (a row of `emails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailJob {
    pub email_id: Uuid,
    pub user_id: Uuid,
}

impl Job for EmailJob {
    const QUEUE: &'static str = "email";
}

/// Send SMS `sms_id` (a row of `sms_messages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsJob {
    pub sms_id: Uuid,
    pub user_id: Uuid,
}

impl Job for SmsJob {
    const QUEUE: &'static str = "sms";
}

/// Download an address calendar again (the hourly tick enqueues the stale ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarJob {
    pub source_id: Uuid,
    pub user_id: Uuid,
}

impl Job for CalendarJob {
    const QUEUE: &'static str = "calendar";
}

/// Google Calendar, Google → here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GoogleJob {
    /// Read the person's calendar list again, then sync the chosen calendars.
    Calendars { user_id: Uuid },
    /// Sync one calendar (queued through `calendar::sync::request_sync`, once per trigger burst).
    Sync { user_id: Uuid, calendar_id: String },
}

impl Job for GoogleJob {
    const QUEUE: &'static str = "google";
}

/// Google Calendar, here → Google: bring a task's event in step. Queued by a
/// trigger on `tasks` (migration 20261205000001), whose JSON is this struct's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEventJob {
    pub task_id: Uuid,
    pub user_id: Uuid,
}

impl Job for TaskEventJob {
    const QUEUE: &'static str = "google-events";
}

/// A billing email: a failed payment (Stripe retries), or a subscription that ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingEmailJob {
    pub user_id: Uuid,
    pub email: BillingEmail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BillingEmail {
    PaymentFailed { next_attempt: Option<DateTime<Utc>> },
    Ended,
}

impl Job for BillingEmailJob {
    const QUEUE: &'static str = "billing-email";
}

/// Housekeeping, run hourly and at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MaintenanceJob {
    /// Enqueue the briefs that are due, then prune old jobs and expired sessions.
    Tick,
    /// Every few minutes: queue syncs of Google calendars not synced lately,
    /// and renew push channels about to expire.
    Poll,
}

impl Job for MaintenanceJob {
    const QUEUE: &'static str = "maintenance";
}

/// How many times a job is tried before it stays failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// Insert a job row on the caller's connection, so it commits with the write
/// it belongs to; a job enqueued while answering a request carries the
/// request's id (`request_id` in apalis' metadata, which its reader needs
/// without null values: no request, no metadata).
async fn insert<T: Serialize>(
    conn: &mut PgConnection,
    queue: &str,
    job: &T,
    key: Option<&str>,
    at: Option<DateTime<Utc>>,
) -> Result<bool, Error> {
    let payload = serde_json::to_vec(job).map_err(internal)?;
    let inserted = sqlx::query(
        "insert into apalis.jobs (id, job_type, job, max_attempts, run_at, idempotency_key, metadata)
         values (apalis.generate_ulid(), $1, $2, $3, coalesce($5, now()), $4, case when $6::text is not null then hstore('request_id', $6::text) end)
         on conflict (job_type, idempotency_key) do nothing",
    )
    .bind(queue)
    .bind(payload)
    .bind(MAX_ATTEMPTS)
    .bind(key)
    .bind(at)
    .bind(crate::error_log::request_id())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

/// Enqueue many jobs of one kind in one statement (the scheduler's bulk path).
pub async fn enqueue_many<J: Job>(conn: &mut PgConnection, jobs: &[J]) -> Result<u64, Error> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let payloads: Vec<Vec<u8>> = jobs.iter().map(serde_json::to_vec).collect::<Result<_, _>>().map_err(internal)?;
    let n = sqlx::query(
        "insert into apalis.jobs (id, job_type, job, max_attempts, run_at, metadata)
         select apalis.generate_ulid(), $1, p, $3, now(),
                case when $4::text is not null then hstore('request_id', $4::text) end from unnest($2::bytea[]) as p",
    )
    .bind(J::QUEUE)
    .bind(payloads)
    .bind(MAX_ATTEMPTS)
    .bind(crate::error_log::request_id())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// Remove what is no longer needed: finished jobs after 14 days (failed ones
/// after 30, so the queue page shows them meanwhile), dead workers' rows,
/// expired sessions, old login attempts. Returns how many jobs went.
pub async fn prune(pool: &sqlx::PgPool) -> Result<u64, Error> {
    let jobs = sqlx::query(
        "delete from apalis.jobs where
           (status in ('Done', 'Killed') and done_at < now() - interval '14 days')
           or (status = 'Failed' and attempts >= max_attempts and done_at < now() - interval '30 days')",
    )
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query(
        "delete from apalis.workers w where last_seen < now() - interval '1 day'
           and not exists (select 1 from apalis.jobs j where j.lock_by = w.id)",
    )
    .execute(pool)
    .await?;
    let sessions = sqlx::query("delete from sessions where expires_at < now()").execute(pool).await?.rows_affected();
    // Failures count for a day at most; a success keeps its device and address known for months.
    sqlx::query(
        "delete from login_attempts where created_at < now() - interval '1 day'
           and (not succeeded or created_at < now() - interval '180 days')",
    )
    .execute(pool)
    .await?;
    sqlx::query("delete from signup_attempts where created_at < now() - interval '1 day'").execute(pool).await?;
    // Kept 35 days: the quotas look at a day, the admin overview at a week.
    sqlx::query("delete from llm_calls where created_at < now() - interval '35 days'").execute(pool).await?;
    sqlx::query("delete from account_tokens where expires_at < now() - interval '1 day'").execute(pool).await?;
    crate::error_log::prune(pool).await?;
    crate::billing::service::prune(pool).await?;
    tracing::info!(jobs.pruned = jobs, sessions.pruned = sessions, "maintenance done");
    Ok(jobs)
}
