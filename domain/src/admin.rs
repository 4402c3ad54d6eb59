//! The admin pages' data: the overview (people, activity, what was sent, AI
//! use and its cost, queue health, recent errors), and the queue page's job
//! counts by queue and state, failed jobs with their error, retry and cancel.

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

/// AI calls of one purpose over the last seven days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiUse {
    pub purpose: String,
    pub calls: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// In US dollars, when the prices are configured (LLM_PRICE_*).
    pub cost: Option<f64>,
}

/// The admin overview: the last seven days at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub people: i64,
    pub confirmed: i64,
    pub joined_this_week: i64,
    /// Signed in, used the app or an API token, or asked the AI in the last seven days.
    pub active_this_week: i64,
    pub briefs_emailed: i64,
    pub emails_failed: i64,
    pub texts_sent: i64,
    pub texts_failed: i64,
    pub ai: Vec<AiUse>,
    /// Whether the AI's prices are configured (LLM_PRICE_*): else no cost.
    pub ai_priced: bool,
    /// Jobs waiting to run now, running, and out of attempts.
    pub jobs_waiting: i64,
    pub jobs_running: i64,
    pub jobs_dead: i64,
    pub oldest_waiting_seconds: Option<f64>,
    /// The latest error groups (the errors page has them all).
    pub errors: Vec<crate::error_log::ErrorGroup>,
}

#[cfg(feature = "server")]
pub use service::*;

#[cfg(feature = "server")]
mod service {
    use super::{AiUse, FailedJob, Overview, QueueCount, Queues};
    use crate::error::Error;
    use crate::settings::LlmPrices;
    use sqlx::PgPool;

    /// The overview of the last seven days; AI cost when `prices` are known.
    pub async fn overview(pool: &PgPool, prices: Option<LlmPrices>) -> Result<Overview, Error> {
        let mut tx = crate::db::begin_system(pool).await?;
        let people = sqlx::query!(
            r#"select count(*) as "people!",
                      count(*) filter (where email_verified_at is not null) as "confirmed!",
                      count(*) filter (where created_at > now() - interval '7 days') as "joined!"
               from users"#
        )
        .fetch_one(&mut *tx)
        .await?;
        // A session's expiry moves forward (at most daily) while it is used.
        let active = sqlx::query_scalar!(
            r#"select count(distinct id) as "n!" from (
                 select user_id as id from sessions
                   where user_id is not null and expires_at > now() + make_interval(days => $1::int - 7)
                 union all select u.id from login_attempts l join users u on u.email = l.email
                   where l.succeeded and l.created_at > now() - interval '7 days'
                 union all select user_id from api_tokens where last_used_at > now() - interval '7 days'
                 union all select user_id from llm_calls where created_at > now() - interval '7 days'
               ) a"#,
            crate::account::SESSION_DAYS as i32
        )
        .fetch_one(&mut *tx)
        .await?;
        let sent = sqlx::query!(
            r#"select (select count(*) from emails where status = 'sent' and key like 'brief:%'
                         and sent_at > now() - interval '7 days') as "briefs!",
                      (select count(*) from emails where status = 'failed' and created_at > now() - interval '7 days') as "emails_failed!",
                      (select count(*) from sms_messages where status in ('sent', 'delivered')
                         and sent_at > now() - interval '7 days') as "texts!",
                      (select count(*) from sms_messages where status in ('failed', 'undelivered')
                         and created_at > now() - interval '7 days') as "texts_failed!""#
        )
        .fetch_one(&mut *tx)
        .await?;
        let ai = sqlx::query!(
            r#"select purpose, count(*) as "calls!", coalesce(sum(prompt_tokens), 0)::bigint as "prompt!",
                      coalesce(sum(completion_tokens), 0)::bigint as "completion!"
               from llm_calls where created_at > now() - interval '7 days' group by purpose order by purpose"#
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| AiUse {
            cost: prices.map(|p| (r.prompt as f64 * p.input + r.completion as f64 * p.output) / 1_000_000.0),
            purpose: r.purpose,
            calls: r.calls,
            prompt_tokens: r.prompt,
            completion_tokens: r.completion,
        })
        .collect();
        let jobs = sqlx::query!(
            r#"select count(*) filter (where status = 'Pending' and run_at <= now()) as "waiting!",
                      count(*) filter (where status = 'Running') as "running!",
                      count(*) filter (where status = 'Failed' and attempts >= max_attempts) as "dead!",
                      extract(epoch from now() - min(run_at) filter (where status = 'Pending' and run_at <= now()))::float8
                        as "oldest"
               from apalis.jobs"#
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let errors = crate::error_log::groups(pool, 5).await?;
        Ok(Overview {
            people: people.people,
            confirmed: people.confirmed,
            joined_this_week: people.joined,
            active_this_week: active,
            briefs_emailed: sent.briefs,
            emails_failed: sent.emails_failed,
            texts_sent: sent.texts,
            texts_failed: sent.texts_failed,
            ai,
            ai_priced: prices.is_some(),
            jobs_waiting: jobs.waiting,
            jobs_running: jobs.running,
            jobs_dead: jobs.dead,
            oldest_waiting_seconds: jobs.oldest,
            errors,
        })
    }

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
