//! The queue page's data, for admins: job counts by queue and state, failed
//! jobs with their error, retry and cancel.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueCount {
    pub queue: String,
    /// Pending, Scheduled (waiting to retry), Queued, Running, Done, Failed, Dead (out of attempts), Killed.
    pub state: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedJob {
    pub id: String,
    pub queue: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub error: Option<String>,
    pub payload: String,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queues {
    pub counts: Vec<QueueCount>,
    pub failed: Vec<FailedJob>,
}

#[cfg(feature = "server")]
pub use service::*;

#[cfg(feature = "server")]
mod service {
    use super::{FailedJob, QueueCount, Queues};
    use crate::error::Error;
    use sqlx::PgPool;

    /// Job counts by queue and state, and the latest failed jobs.
    pub async fn queue_overview(pool: &PgPool) -> Result<Queues, Error> {
        use sqlx::Row;
        let counts = sqlx::query(
            "select job_type, case when status = 'Failed' and attempts >= max_attempts then 'Dead'
                                   when status in ('Pending', 'Failed') and run_at > now() then 'Scheduled'
                                   else status end as state, count(*) as n
             from apalis.jobs group by 1, 2 order by 1, 2",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| QueueCount { queue: r.get(0), state: r.get(1), count: r.get(2) })
        .collect();
        let failed = sqlx::query(
            "select id, job_type, status, attempts, max_attempts, last_result->>'Err', convert_from(job, 'UTF8'), done_at
             from apalis.jobs where status in ('Failed', 'Killed') order by done_at desc nulls last limit 100",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| FailedJob {
            id: r.get(0),
            queue: r.get(1),
            status: r.get(2),
            attempts: r.get(3),
            max_attempts: r.get(4),
            error: r.get(5),
            payload: r.get(6),
            done_at: r.get(7),
        })
        .collect();
        Ok(Queues { counts, failed })
    }

    /// Run a failed or cancelled job again now, with a fresh set of attempts.
    pub async fn retry_job(pool: &PgPool, id: &str) -> Result<(), Error> {
        change_job(
            pool,
            id,
            "update apalis.jobs set status = 'Pending', attempts = 0, run_at = now(), lock_by = null, lock_at = null,
                    done_at = null
             where id = $1 and status in ('Failed', 'Killed')",
            "Only a failed or cancelled job can be retried.",
        )
        .await
    }

    /// Cancel a job that is waiting (pending, or failed and waiting to retry).
    /// A job a worker has already taken cannot be cancelled.
    pub async fn cancel_job(pool: &PgPool, id: &str) -> Result<(), Error> {
        change_job(
            pool,
            id,
            "update apalis.jobs set status = 'Killed', done_at = now(), last_result = '{\"Err\": \"cancelled by an admin\"}'
             where id = $1 and status in ('Pending', 'Failed')",
            "Only a waiting job can be cancelled; this one is running or finished.",
        )
        .await
    }

    /// Run `update` on job `id`; `refusal` when the job is not in a state it applies to.
    async fn change_job(pool: &PgPool, id: &str, update: &'static str, refusal: &str) -> Result<(), Error> {
        let n = sqlx::query(update).bind(id.trim()).execute(pool).await?.rows_affected();
        if n == 0 {
            return Err(Error::Conflict(refusal.into()));
        }
        Ok(())
    }
}
