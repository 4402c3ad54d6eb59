//! The queue page for admins (confirmed addresses in ADMIN_EMAILS): job counts by queue and state,
//! failed jobs with their error, retry and cancel.

use crate::components::{Empty, Layout, loaded};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

pub use domain::admin::{FailedJob, QueueCount, Queues};

/// The pool, if the signed-in person is an admin (marked in the database: a
/// confirmed address listed in ADMIN_EMAILS).
#[cfg(feature = "ssr")]
async fn require_admin() -> Result<sqlx::PgPool, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let admin = domain::account::service::is_admin(&pool, user.id).await?;
    if admin { Ok(pool) } else { Err(AppError(domain::Error::Forbidden)) }
}

#[server(endpoint = "queue_overview")]
pub async fn queue_overview() -> Result<Queues, AppError> {
    let pool = require_admin().await?;
    Ok(domain::admin::queue_overview(&pool).await?)
}

/// Run a failed or cancelled job again now, with a fresh set of attempts.
#[server(endpoint = "retry_job")]
pub async fn retry_job(id: String) -> Result<(), AppError> {
    let pool = require_admin().await?;
    Ok(domain::admin::retry_job(&pool, id.trim()).await?)
}

/// Cancel a job that is waiting (pending, or failed and waiting to retry).
#[server(endpoint = "cancel_job")]
pub async fn cancel_job(id: String) -> Result<(), AppError> {
    let pool = require_admin().await?;
    Ok(domain::admin::cancel_job(&pool, id.trim()).await?)
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
