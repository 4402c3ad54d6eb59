//! The queue page for admins (ADMIN_EMAILS): job counts by queue and state,
//! failed jobs with their error, retry and cancel.

use crate::components::{Empty, Layout, loaded};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
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

/// The pool, if the signed-in person is an admin (their email is in ADMIN_EMAILS).
#[cfg(feature = "ssr")]
async fn require_admin() -> Result<sqlx::PgPool, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let admins = std::env::var("ADMIN_EMAILS").unwrap_or_default();
    let is_admin = admins.split(',').map(str::trim).any(|a| !a.is_empty() && a.eq_ignore_ascii_case(&user.email));
    if is_admin { Ok(pool) } else { Err(AppError::Forbidden) }
}

#[server(endpoint = "queue_overview")]
pub async fn queue_overview() -> Result<Queues, AppError> {
    use sqlx::Row;
    let pool = require_admin().await?;
    let counts = sqlx::query(
        "select job_type, case when status = 'Failed' and attempts >= max_attempts then 'Dead'
                               when status in ('Pending', 'Failed') and run_at > now() then 'Scheduled'
                               else status end as state, count(*) as n
         from apalis.jobs group by 1, 2 order by 1, 2",
    )
    .fetch_all(&pool)
    .await?
    .into_iter()
    .map(|r| QueueCount { queue: r.get(0), state: r.get(1), count: r.get(2) })
    .collect();
    let failed = sqlx::query(
        "select id, job_type, status, attempts, max_attempts, last_result->>'Err', convert_from(job, 'UTF8'), done_at
         from apalis.jobs where status in ('Failed', 'Killed') order by done_at desc nulls last limit 100",
    )
    .fetch_all(&pool)
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
#[server(endpoint = "retry_job")]
pub async fn retry_job(id: String) -> Result<(), AppError> {
    let pool = require_admin().await?;
    let n = sqlx::query(
        "update apalis.jobs set status = 'Pending', attempts = 0, run_at = now(), lock_by = null, lock_at = null,
                done_at = null
         where id = $1 and status in ('Failed', 'Killed')",
    )
    .bind(id.trim())
    .execute(&pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict("Only a failed or cancelled job can be retried.".into()));
    }
    Ok(())
}

/// Cancel a job that is waiting (pending, or failed and waiting to retry).
/// A job a worker has already taken cannot be cancelled.
#[server(endpoint = "cancel_job")]
pub async fn cancel_job(id: String) -> Result<(), AppError> {
    let pool = require_admin().await?;
    let n = sqlx::query(
        "update apalis.jobs set status = 'Killed', done_at = now(), last_result = '{\"Err\": \"cancelled by an admin\"}'
         where id = $1 and status in ('Pending', 'Failed')",
    )
    .bind(id.trim())
    .execute(&pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict("Only a waiting job can be cancelled; this one is running or finished.".into()));
    }
    Ok(())
}

#[component]
pub fn QueuesPage() -> impl IntoView {
    let retry = ServerAction::<RetryJob>::new();
    let cancel = ServerAction::<CancelJob>::new();
    let data = Resource::new(move || (retry.version().get(), cancel.version().get()), |_| queue_overview());
    let error = move || {
        retry
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    view! {
        <Layout>
            <Title text="Queues · BuildOS" />
            <h1 class="page-title">"Job queues"</h1>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {loaded(data, move |o: Queues| view! {
                {if o.counts.is_empty() {
                    view! { <Empty><p>"No jobs yet. Briefs, emails and texts will show here once the worker has run."</p></Empty> }.into_any()
                } else {
                    view! {
                        <table class="card w-full text-sm [&_td]:px-2 [&_td]:py-1 [&_th]:px-2 [&_th]:py-1">
                            <caption class="sr-only">"Jobs by queue and state"</caption>
                            <thead><tr class="border-b border-slate-200 text-left"><th scope="col">"Queue"</th><th scope="col">"State"</th><th scope="col" class="text-right">"Jobs"</th></tr></thead>
                            <tbody>
                                {o.counts.into_iter().map(|c| view! {
                                    <tr><td>{c.queue}</td><td>{c.state}</td><td class="text-right">{c.count}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
                <h2 class="section-title mt-8">"Failed jobs"</h2>
                {if o.failed.is_empty() {
                    view! { <Empty><p>"No failed jobs."</p></Empty> }.into_any()
                } else {
                    view! {
                        <ul class="space-y-2">
                            {o.failed.into_iter().map(|j| {
                                let (rid, cid) = (j.id.clone(), j.id.clone());
                                view! {
                                    <li class="card text-sm" data-job=j.id.clone()>
                                        <p><strong>{j.queue}</strong>" · "{j.status}" · "{format!("{} of {} attempts", j.attempts, j.max_attempts)}</p>
                                        <p class="text-red-700">{j.error.unwrap_or_else(|| "(no error recorded)".into())}</p>
                                        <p class="truncate font-mono text-xs text-slate-500">{j.payload}</p>
                                        <div class="mt-2 flex gap-2">
                                            <ActionForm action=retry><input type="hidden" name="id" value=rid /><button class="btn" type="submit">"Retry"</button></ActionForm>
                                            <ActionForm action=cancel><input type="hidden" name="id" value=cid /><button class="btn" type="submit">"Cancel"</button></ActionForm>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            })}
        </Layout>
    }
}
