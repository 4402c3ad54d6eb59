//! A project's phases on its page: the timeline, and the proposal to review
//! at `?phases=1` (rename, re-date, untick a phase, move a task to another),
//! applied in one go. Plain forms and links: it works without JavaScript.

use crate::components::{Empty, FormError, Prefill, Submit, loaded};
use crate::error::AppError;
use domain::project::phases::{Phase, PhaseProposal};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
#[cfg(feature = "ssr")]
use {
    crate::auth::request::{require_user, settings},
    crate::forms,
    domain::db::as_user,
    domain::project::phases::{PhaseInput, service},
    domain::project::service::ProjectKey,
};

/// Phases proposed for the project `slug` (nothing is saved).
#[server(endpoint = "propose_phases")]
pub async fn propose_phases(slug: String) -> Result<PhaseProposal, AppError> {
    let (pool, user) = require_user().await?;
    let engine = settings()?.engine.clone();
    let (_, proposal) = service::propose(&pool, user.id, ProjectKey::Slug(&slug), &engine, user.today()).await?;
    Ok(proposal)
}

/// One phase of the review form: `phases[p-1][on|name|start|end]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PhaseField {
    /// "on" while ticked; an unticked checkbox is not sent.
    #[serde(default)]
    pub on: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
}

/// Apply the ticked phases (replacing the project's current ones), each with
/// the tasks whose `tasks[t-<id>]` names it; back to the project.
#[server(endpoint = "apply_phases")]
pub async fn apply_phases(
    slug: String,
    #[server(default)] phases: BTreeMap<String, PhaseField>,
    #[server(default)] tasks: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    // Keys in their order: p-2 before p-10.
    let mut ticked: Vec<(&String, &PhaseField)> = phases.iter().filter(|(_, p)| p.on.is_some()).collect();
    ticked.sort_by_key(|(k, _)| k.trim_start_matches("p-").parse::<u32>().unwrap_or(u32::MAX));
    // Everything the form held comes back with an error: ticks and task moves too.
    let mut echo: Vec<(String, String)> = Vec::new();
    for (k, p) in &phases {
        echo.push((format!("phases[{k}][on]"), p.on.clone().unwrap_or_default()));
        echo.push((format!("phases[{k}][name]"), p.name.clone()));
        echo.push((format!("phases[{k}][start]"), p.start.clone()));
        echo.push((format!("phases[{k}][end]"), p.end.clone()));
    }
    for (t, phase) in &tasks {
        echo.push((format!("tasks[{t}]"), phase.clone()));
    }
    let with_echo = |e: AppError| e.with_input(echo.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut inputs = Vec::new();
    for (key, p) in ticked {
        let field = |m: String| with_echo(AppError::field(key, m));
        let name = domain::project::Name::parse(&p.name, "The phase's name").map_err(field)?;
        let day = |v: &str, label: &str| -> Result<chrono::NaiveDate, AppError> {
            forms::date(v, label).map_err(field)?.ok_or_else(|| field(format!("{label} is needed.")))
        };
        let (start_date, end_date) = (day(&p.start, "The start")?, day(&p.end, "The end")?);
        let mut task_ids = Vec::new();
        for (t, _) in tasks.iter().filter(|(_, v)| *v == key) {
            task_ids.push(forms::id(t.trim_start_matches("t-"))?);
        }
        inputs.push(PhaseInput { key: key.clone(), name, start_date, end_date, task_ids });
    }
    PhaseInput::check_all(&inputs).map_err(|e| with_echo(AppError(e)))?;
    let uid = user.id;
    let slug2 = slug.clone();
    let n = as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            let project = domain::project::service::get_project(&mut *tx, uid, ProjectKey::Slug(&slug2)).await?;
            service::apply(tx, uid, project.id, &inputs).await
        })
    })
    .await?;
    leptos_axum::redirect(&format!("/projects/{slug}?phased={n}"));
    Ok(())
}

/// Take the project's phases away (its tasks stay).
#[server(endpoint = "remove_phases")]
pub async fn remove_phases(slug: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let uid = user.id;
    let slug2 = slug.clone();
    as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            let project = domain::project::service::get_project(&mut *tx, uid, ProjectKey::Slug(&slug2)).await?;
            service::remove(tx, uid, project.id).await
        })
    })
    .await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}

fn span(a: chrono::NaiveDate, b: chrono::NaiveDate) -> String {
    if a == b {
        a.format("%a %-d %b").to_string()
    } else {
        format!("{} – {}", a.format("%a %-d %b"), b.format("%a %-d %b"))
    }
}

/// The phases as a timeline: a bar per phase over the project's whole span.
#[component]
fn Timeline(phases: Vec<Phase>, today: chrono::NaiveDate) -> impl IntoView {
    let first = phases.iter().map(|p| p.start_date).min().unwrap_or(today);
    let last = phases.iter().map(|p| p.end_date).max().unwrap_or(today);
    let days = ((last - first).num_days() + 1).max(1) as f64;
    view! {
        <ol class="card space-y-3" data-testid="phase-timeline">
            {phases.into_iter().map(|p| {
                let left = (p.start_date - first).num_days() as f64 * 100.0 / days;
                let width = ((p.end_date - p.start_date).num_days() + 1) as f64 * 100.0 / days;
                let now = p.start_date <= today && today <= p.end_date;
                let done = p.tasks.iter().filter(|t| t.done).count();
                let total = p.tasks.len();
                view! {
                    <li data-phase=p.name.clone()>
                        <div class="flex flex-wrap items-baseline gap-2 text-sm">
                            <span class="font-semibold">{p.name.clone()}</span>
                            {now.then(|| view! { <span class="badge">"Now"</span> })}
                            <span class="text-xs text-slate-600">{span(p.start_date, p.end_date)}</span>
                            <span class="ml-auto text-xs text-slate-600">{format!("{done} of {total} done")}</span>
                        </div>
                        <div class="mt-1 h-2 rounded bg-slate-100" aria-hidden="true">
                            <div
                                class=if now { "h-2 rounded bg-indigo-600" } else { "h-2 rounded bg-indigo-300" }
                                style=format!("margin-left:{left:.2}%;width:{width:.2}%")
                            ></div>
                        </div>
                        {(!p.tasks.is_empty()).then(|| view! {
                            <ul class="mt-1 flex flex-wrap gap-x-3 text-xs">
                                {p.tasks.iter().map(|t| view! {
                                    <li>
                                        <a href=format!("/tasks/{}", t.id) class=if t.done { "link line-through" } else { "link" }>{t.title.clone()}</a>
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// A proposal for the project `slug` while `proposing` (the page is at `?phases=1`).
pub fn proposal_resource(
    slug: impl Fn() -> String + Send + Sync + 'static,
    proposing: Signal<bool>,
) -> Resource<Result<Option<PhaseProposal>, AppError>> {
    Resource::new(
        move || proposing.get().then(&slug),
        |slug| async move {
            match slug {
                Some(s) => propose_phases(s).await.map(Some),
                None => Ok(None),
            }
        },
    )
}

/// The project page's phases: the proposal while `proposing` (the page is at
/// `?phases=1`), else the timeline (or how to get one) and what was applied.
#[component]
pub fn PhasesSection(
    slug: String,
    phases: Vec<Phase>,
    today: chrono::NaiveDate,
    proposing: Signal<bool>,
    /// The page's `phased` query: how many phases were just applied.
    applied: Signal<String>,
    /// The proposal while `proposing`, from [`proposal_resource`], made by the
    /// page itself: then reloading the project after an apply does not
    /// propose again, and it hydrates in step with the server (a resource
    /// made inside the project's loaded view did not, on a direct visit).
    proposal: Resource<Result<Option<PhaseProposal>, AppError>>,
    apply: ServerAction<ApplyPhases>,
    remove: ServerAction<RemovePhases>,
) -> impl IntoView {
    let page = format!("/projects/{slug}");
    let generate = format!("{page}?phases=1");
    let (slug_apply, slug_remove) = (slug.clone(), slug.clone());
    view! {
        <section aria-label="Phases" class="mb-6 space-y-2">
            <h2 class="section-title">"Phases"</h2>
            {move || {
                let n = applied.get().parse::<usize>().unwrap_or(0);
                (n > 0).then(|| view! {
                    <p class="banner" role="status">{format!("{n} phase{} applied.", if n == 1 { "" } else { "s" })}</p>
                })
            }}
            {move || (!proposing.get()).then(|| {
                let (phases, generate, slug_remove) = (phases.clone(), generate.clone(), slug_remove.clone());
                if phases.is_empty() {
                    view! {
                        <Empty>
                            <p>"No phases yet. BuildOS can split this project into phases from its tasks' dates and the headings of its context; you review them first."</p>
                            <a href=generate class="btn-primary mt-2 inline-block">"Generate phases"</a>
                        </Empty>
                    }.into_any()
                } else {
                    view! {
                        <Timeline phases today />
                        <div class="flex flex-wrap items-center gap-2">
                            <a href=generate class="btn">"Generate again"</a>
                            <ActionForm action=remove>
                                <input type="hidden" name="slug" value=slug_remove />
                                <button type="submit" class="btn">"Remove phases"</button>
                            </ActionForm>
                        </div>
                    }.into_any()
                }
            })}
            {move || proposing.get().then(|| {
                let (slug, page) = (slug_apply.clone(), page.clone());
                loaded(proposal, move |p: Option<PhaseProposal>| {
                    p.map(|p| view! { <ProposalView proposal=p slug=slug.clone() cancel=page.clone() apply /> })
                })
            })}
        </section>
    }
}

#[component]
fn ProposalView(
    proposal: PhaseProposal,
    slug: String,
    cancel: String,
    apply: ServerAction<ApplyPhases>,
) -> impl IntoView {
    let p = Prefill::track(apply);
    let options: Vec<(String, String)> = proposal.phases.iter().map(|ph| (ph.key.clone(), ph.name.clone())).collect();
    let phase_of =
        |id: uuid::Uuid| proposal.phases.iter().find(|ph| ph.task_ids.contains(&id)).map(|ph| ph.key.clone());
    let loose: Vec<(uuid::Uuid, String)> =
        proposal.tasks.iter().filter(|(id, _)| phase_of(*id).is_none()).cloned().collect();
    let title_of =
        |id: &uuid::Uuid| proposal.tasks.iter().find(|(t, _)| t == id).map(|(_, n)| n.clone()).unwrap_or_default();
    let by = if proposal.engine == "llm" {
        "Proposed by the AI"
    } else {
        "Proposed from the tasks' dates and the context's headings"
    };
    let task_row = {
        let options = options.clone();
        let p = p.clone();
        move |id: uuid::Uuid, title: String, current: Option<String>| {
            let select_id = format!("task-phase-{id}");
            let current = p.value(&format!("tasks[t-{id}]"), &current.unwrap_or_default());
            view! {
                <li class="flex flex-wrap items-center gap-2 text-sm">
                    <label for=select_id.clone() class="grow">{title}</label>
                    <select id=select_id name=format!("tasks[t-{id}]") class="input w-auto py-0 text-xs">
                        {options.iter().map(|(k, n)| view! { <option value=k.clone() selected=*k == current>{n.clone()}</option> }).collect_view()}
                        <option value="" selected=current.is_empty()>"No phase"</option>
                    </select>
                </li>
            }
        }
    };
    let row = task_row.clone();
    let phase_list = proposal.phases.iter().map(|ph| {
                let k = ph.key.clone();
                let name_of = |f: &str| format!("phases[{k}][{f}]");
                let (on_id, name_id, start_id, end_id) = (format!("{k}-on"), format!("{k}-name"), format!("{k}-start"), format!("{k}-end"));
                let name = p.value(&name_of("name"), &ph.name);
                let start = p.value(&name_of("start"), &ph.start_date.to_string());
                let end = p.value(&name_of("end"), &ph.end_date.to_string());
                let ticked = p.value(&name_of("on"), "on") == "on";
                let row = row.clone();
                view! {
                    <fieldset class="space-y-2 rounded border border-slate-200 p-3" data-proposed-phase=k.clone()>
                        <legend class="sr-only">{ph.name.clone()}</legend>
                        <div class="flex flex-wrap items-center gap-2">
                            <input id=on_id.clone() type="checkbox" name=name_of("on") value="on" checked=ticked class="h-4 w-4" />
                            <label for=on_id class="text-sm font-semibold">"Keep this phase"</label>
                        </div>
                        <div class="grid gap-2 sm:grid-cols-[2fr_1fr_1fr]">
                            <label class="text-xs text-slate-600">"Name"
                                <input id=name_id name=name_of("name") value=name class="input" maxlength="200" required />
                            </label>
                            <label class="text-xs text-slate-600">"Starts"
                                <input id=start_id type="date" name=name_of("start") value=start class="input" required />
                            </label>
                            <label class="text-xs text-slate-600">"Ends"
                                <input id=end_id type="date" name=name_of("end") value=end class="input" required />
                            </label>
                        </div>
                        {p.error(&k).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        <p class="text-xs text-slate-500">{ph.reason.clone()}</p>
                        <ul class="space-y-1">
                            {ph.task_ids.iter().map(|id| row(*id, title_of(id), Some(k.clone()))).collect_view()}
                        </ul>
                    </fieldset>
                }
            }).collect_view();
    let loose_list = (!loose.is_empty()).then(|| {
        view! {
            <div class="space-y-1">
                <h4 class="text-sm font-semibold">"Not in a phase"</h4>
                <ul class="space-y-1">{loose.into_iter().map(|(id, t)| task_row(id, t, None)).collect_view()}</ul>
            </div>
        }
    });
    let (note, replaces) = (proposal.note.clone(), proposal.replaces.join(", "));
    let p2 = p.clone();
    view! {
        <ActionForm action=apply attr:class="card space-y-3" attr:data-testid="phase-proposal">
            <h3 class="font-semibold">"Proposed phases"</h3>
            <p class="text-sm text-slate-600">{by}". Rename, re-date or untick a phase, or move a task to another; nothing changes until you apply."</p>
            {note.map(|n| view! { <p class="banner" role="status">{n}</p> })}
            {(!replaces.is_empty()).then(|| view! {
                <p class="text-sm">{format!("Applying replaces the current phases: {replaces}.")}</p>
            })}
            <FormError prefill=p2.clone() />
            {p2.error("phases").map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <input type="hidden" name="slug" value=slug />
            {phase_list}
            {loose_list}
            <div class="flex flex-wrap items-center gap-2">
                <Submit pending=apply.pending() idle="Apply ticked phases" busy="Applying…" />
                <a href=cancel class="btn">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
