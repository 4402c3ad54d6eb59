//! The admin pages (confirmed addresses in ADMIN_EMAILS): the overview of the last week, the job queues (counts by queue and
//! state, failed jobs with their error, retry and cancel) and the error log (5xx answers and
//! failed job attempts, grouped by cause).

use crate::components::{Empty, Layout, loaded};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

pub use domain::admin::{AiUse, FailedJob, Overview, QueueCount, Queues};
pub use domain::error_log::ErrorGroup;

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

/// The last seven days at a glance.
#[server(endpoint = "admin_overview")]
pub async fn admin_overview() -> Result<Overview, AppError> {
    let pool = require_admin().await?;
    let prices = crate::auth::request::settings()?.llm_prices;
    Ok(domain::admin::overview(&pool, prices).await?)
}

/// The error log, grouped by cause.
#[server(endpoint = "error_groups")]
pub async fn error_groups() -> Result<Vec<ErrorGroup>, AppError> {
    let pool = require_admin().await?;
    Ok(domain::error_log::groups(&pool, 200).await?)
}

/// Between the admin pages.
#[component]
fn AdminNav(current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, label: &'static str| {
        let here = href == current;
        view! {
            <a href=href class=if here { "font-semibold" } else { "link" } aria-current=here.then_some("page")>{label}</a>
        }
    };
    view! {
        <nav aria-label="Admin" class="mb-4 flex gap-4 text-sm">
            {link("/admin", "Overview")}
            {link("/admin/queues", "Job queues")}
            {link("/admin/errors", "Errors")}
        </nav>
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A figure with its label.
#[component]
fn Figure(label: &'static str, value: String, #[prop(optional)] note: Option<String>) -> impl IntoView {
    view! {
        <div class="card">
            <p class="text-sm text-slate-600">{label}</p>
            <p class="text-2xl font-semibold">{value}</p>
            {note.map(|n| view! { <p class="text-xs text-slate-600">{n}</p> })}
        </div>
    }
}

fn dollars(amount: f64) -> String {
    format!("${amount:.2}")
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_overview());
    view! {
        <Layout>
            <Title text="Admin · BuildOS" />
            <AdminNav current="/admin" />
            <h1 class="page-title">"The last seven days"</h1>
            {loaded(data, move |o: Overview| {
                let ai_calls: i64 = o.ai.iter().map(|a| a.calls).sum();
                let cost = o.ai_priced.then(|| o.ai.iter().filter_map(|a| a.cost).sum::<f64>());
                let oldest = o.oldest_waiting_seconds.map(|s| format!("oldest waiting {s:.0} s"));
                view! {
                    <div class="grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="figures">
                        <Figure label="People" value=o.people.to_string() note=format!("{} confirmed, {} new", o.confirmed, o.joined_this_week) />
                        <Figure label="Active" value=o.active_this_week.to_string() note="signed in, used a token or the AI".to_string() />
                        <Figure label="Briefs emailed" value=o.briefs_emailed.to_string() note=format!("{} emails failed", o.emails_failed) />
                        <Figure label="Texts sent" value=o.texts_sent.to_string() note=format!("{} failed", o.texts_failed) />
                        <Figure label="AI calls" value=ai_calls.to_string() note=cost.map_or_else(|| "set LLM_PRICE_INPUT and LLM_PRICE_OUTPUT to see the cost".to_string(), dollars) />
                        <Figure label="Jobs waiting" value=o.jobs_waiting.to_string() note=oldest.unwrap_or_else(|| "none waiting".into()) />
                        <Figure label="Jobs running" value=o.jobs_running.to_string() />
                        <Figure label="Jobs out of attempts" value=o.jobs_dead.to_string() note="retry or cancel them on the queue page".to_string() />
                    </div>
                    <h2 class="section-title mt-8">"AI use"</h2>
                    {if o.ai.is_empty() {
                        view! { <Empty><p>"No AI calls this week. With an OpenAI-compatible key set, brain dumps, briefs, phases and voice use it."</p></Empty> }.into_any()
                    } else {
                        view! {
                            <table class="card w-full text-sm [&_td]:px-2 [&_td]:py-1 [&_th]:px-2 [&_th]:py-1">
                                <caption class="sr-only">"AI calls, tokens and cost by purpose"</caption>
                                <thead><tr class="border-b border-slate-200 text-left">
                                    <th scope="col">"Purpose"</th><th scope="col" class="text-right">"Calls"</th>
                                    <th scope="col" class="text-right">"Prompt tokens"</th><th scope="col" class="text-right">"Completion tokens"</th>
                                    <th scope="col" class="text-right">"Cost"</th>
                                </tr></thead>
                                <tbody>
                                    {o.ai.into_iter().map(|a| view! {
                                        <tr>
                                            <td>{a.purpose.replace('_', " ")}</td><td class="text-right">{a.calls}</td>
                                            <td class="text-right">{a.prompt_tokens}</td><td class="text-right">{a.completion_tokens}</td>
                                            <td class="text-right">{a.cost.map_or_else(|| "–".to_string(), dollars)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <h2 class="section-title mt-8">"Recent errors"</h2>
                    {if o.errors.is_empty() {
                        view! { <Empty><p>"No errors in the last 30 days."</p></Empty> }.into_any()
                    } else {
                        view! {
                            <ul class="space-y-1 text-sm">
                                {o.errors.into_iter().map(|g| view! {
                                    <li class="card"><span class="font-semibold break-words">{g.summary}</span>
                                        {format!(" · {} · {} time{} · last {}", g.kind, g.count, if g.count == 1 { "" } else { "s" }, when(g.last_seen))}</li>
                                }).collect_view()}
                            </ul>
                            <a class="link mt-2 inline-block" href="/admin/errors">"All errors"</a>
                        }.into_any()
                    }}
                }
            })}
        </Layout>
    }
}

#[component]
pub fn ErrorsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| error_groups());
    view! {
        <Layout>
            <Title text="Errors · BuildOS" />
            <AdminNav current="/admin/errors" />
            <h1 class="page-title">"Errors"</h1>
            <p class="mb-4 text-sm text-slate-600">
                "Answers with a 5xx status and failed job attempts of the last 30 days, grouped by cause, latest first. "
                "The request id is the one in the server's log lines and in the answer's X-Request-Id header."
            </p>
            {loaded(data, move |groups: Vec<ErrorGroup>| {
                if groups.is_empty() {
                    view! { <Empty><p>"No errors in the last 30 days."</p></Empty> }.into_any()
                } else {
                    view! {
                        <ul class="space-y-2">
                            {groups.into_iter().map(|g| {
                                let place = g.route.clone().or_else(|| g.queue.clone().map(|q| format!("queue {q}"))).unwrap_or_default();
                                view! {
                                    <li class="card text-sm" data-testid="error-group">
                                        <p class="font-semibold break-words">{g.summary}</p>
                                        <p class="text-slate-600">
                                            {format!("{} · {} · {} time{}", g.kind, place, g.count, if g.count == 1 { "" } else { "s" })}
                                        </p>
                                        <p class="text-slate-600">{format!("First {} · last {}", when(g.first_seen), when(g.last_seen))}</p>
                                        <details class="mt-1">
                                            <summary class="cursor-pointer">"Latest"</summary>
                                            <dl class="mt-1 grid grid-cols-[auto_1fr] gap-x-3 font-mono text-xs">
                                                {g.request_id.map(|r| view! { <dt>"Request"</dt><dd data-testid="request-id">{r}</dd> })}
                                                {g.job_id.map(|j| view! { <dt>"Job"</dt><dd>{j}</dd> })}
                                                <dt>"Cause"</dt><dd class="whitespace-pre-wrap break-words">{g.cause}</dd>
                                            </dl>
                                        </details>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            })}
        </Layout>
    }
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
            <AdminNav current="/admin/queues" />
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
