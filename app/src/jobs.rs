//! The job queue, as the web and the worker write to it: rows in `apalis.jobs`
//! (apalis-postgres's table, created by its migrations at start-up).
//!
//! Jobs are inserted with plain SQL on the caller's connection, so a job is
//! enqueued in the same transaction as the write it belongs to: both commit or
//! neither does. The payload is the JSON apalis' codec reads.

use crate::error::{AppError, internal};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const BRIEFS: &str = "briefs";
pub const EMAIL: &str = "email";
pub const SMS: &str = "sms";
pub const MAINTENANCE: &str = "maintenance";

/// Generate brief `brief_id` (and send it, when the person wants email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefJob {
    pub brief_id: Uuid,
    pub user_id: Uuid,
}

/// Send email `email_id` (a row of `emails`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailJob {
    pub email_id: Uuid,
    pub user_id: Uuid,
}

/// Send SMS `sms_id` (a row of `sms_messages`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsJob {
    pub sms_id: Uuid,
    pub user_id: Uuid,
}

/// Housekeeping, run hourly and at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MaintenanceJob {
    /// Enqueue the briefs that are due, then prune old jobs and expired sessions.
    Tick,
}

/// How many times a job is tried before it stays failed.
pub const MAX_ATTEMPTS: i32 = 5;

/// Enqueue `job` on `queue` in the caller's transaction. With a `key`, a job
/// with the same key on the same queue is enqueued once (later calls do nothing).
pub async fn enqueue<T: Serialize>(
    conn: &mut sqlx::PgConnection,
    queue: &str,
    job: &T,
    key: Option<&str>,
) -> Result<bool, AppError> {
    let payload = serde_json::to_vec(job).map_err(internal)?;
    let inserted = sqlx::query(
        "insert into apalis.jobs (id, job_type, job, max_attempts, run_at, idempotency_key)
         values (apalis.generate_ulid(), $1, $2, $3, now(), $4)
         on conflict (job_type, idempotency_key) do nothing",
    )
    .bind(queue)
    .bind(payload)
    .bind(MAX_ATTEMPTS)
    .bind(key)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

/// Enqueue `job` to run at `at` (not before).
pub async fn enqueue_at<T: Serialize>(
    conn: &mut sqlx::PgConnection,
    queue: &str,
    job: &T,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let payload = serde_json::to_vec(job).map_err(internal)?;
    sqlx::query(
        "insert into apalis.jobs (id, job_type, job, max_attempts, run_at)
         values (apalis.generate_ulid(), $1, $2, $3, $4)",
    )
    .bind(queue)
    .bind(payload)
    .bind(MAX_ATTEMPTS)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Enqueue many jobs in one statement (the scheduler's bulk path).
pub async fn enqueue_many<T: Serialize>(
    conn: &mut sqlx::PgConnection,
    queue: &str,
    jobs: &[T],
) -> Result<u64, AppError> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let payloads: Vec<Vec<u8>> = jobs.iter().map(serde_json::to_vec).collect::<Result<_, _>>().map_err(internal)?;
    let n = sqlx::query(
        "insert into apalis.jobs (id, job_type, job, max_attempts, run_at)
         select apalis.generate_ulid(), $1, p, $3, now() from unnest($2::bytea[]) as p",
    )
    .bind(queue)
    .bind(payloads)
    .bind(MAX_ATTEMPTS)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// Remove what is no longer needed: finished jobs after 14 days (failed ones
/// after 30, so the queue page shows them meanwhile), dead workers' rows,
/// expired sessions, old login attempts. Returns how many jobs went.
pub async fn prune(pool: &sqlx::PgPool) -> Result<u64, AppError> {
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
    let sessions = crate::auth::session_store::PgSessionStore::new(pool.clone()).delete_expired().await?;
    sqlx::query("delete from login_attempts where created_at < now() - interval '1 day'").execute(pool).await?;
    tracing::info!(jobs.pruned = jobs, sessions.pruned = sessions, "maintenance done");
    Ok(jobs)
}
