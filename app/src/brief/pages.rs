//! The brief pages: today's brief with "generate now" and live status, past
//! briefs, one brief, and the unsubscribe page of email links.

use super::model::{Brief, BriefStatus, BriefTask, ProjectSection};
use super::{BriefsOverview, GenerateBrief, Unsubscribe};
use crate::components::{Empty, Layout, Submit, loaded, path_param, query_param};
use leptos::prelude::*;
use leptos_meta::Title;

/// Follow `/briefs/events` while the page is open (with JavaScript).
fn listen_for_changes() -> RwSignal<u64> {
    let changes = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use leptos::wasm_bindgen::{JsCast, closure::Closure};
        let Ok(es) = web_sys::EventSource::new("/briefs/events") else { return };
        let on = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| changes.update(|n| *n += 1));
        let _ = es.add_event_listener_with_callback("brief", on.as_ref().unchecked_ref());
        on.forget();
        let stored = StoredValue::new_local(Some(es));
        on_cleanup(move || {
            if let Some(es) = stored.try_get_value().flatten() {
                es.close();
            }
        });
    });
    changes
}

#[component]
pub fn BriefsPage() -> impl IntoView {
    let generate = ServerAction::<GenerateBrief>::new();
    let changes = listen_for_changes();
    let data = Resource::new(move || (generate.version().get(), changes.get()), |_| super::get_briefs());
    let error = move || generate.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <Layout>
            <Title text="Daily brief · BuildOS" />
            <div class="flex flex-wrap items-center gap-3">
                <h1 class="page-title mr-auto">"Daily brief"</h1>
                <ActionForm action=generate>
                    <Submit pending=generate.pending() idle="Generate now" busy="Starting…" />
                </ActionForm>
            </div>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <p class="mb-4 text-sm text-slate-600">
                "Every morning at the time you choose, what matters today in each active project. "
                <a href="/profile#brief" class="link">"Brief settings"</a>
            </p>
            {loaded(data, |o: BriefsOverview| view! {
                {match o.latest {
                    None => view! {
                        <Empty><p>"No brief yet. Press Generate now, or wait for tomorrow morning's."</p></Empty>
                    }.into_any(),
                    Some(b) => view! { <BriefView brief=b /> }.into_any(),
                }}
                {(o.past.len() > 1).then(|| view! {
                    <h2 class="section-title mt-8">"Past briefs"</h2>
                    <ul class="card divide-y divide-slate-100">
                        {o.past.into_iter().skip(1).map(|b| view! {
                            <li class="flex items-baseline gap-2 py-2">
                                <a class="link flex-1" href=format!("/briefs/{}", b.id)>{b.brief_date.format("%A %-d %B %Y").to_string()}</a>
                                <span class="badge">{b.status.label()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            })}
        </Layout>
    }
}

#[component]
pub fn BriefPage() -> impl IntoView {
    let id = path_param("id");
    let changes = listen_for_changes();
    let brief = Resource::new(move || (id(), changes.get()), |(id, _)| super::get_brief(id));
    view! {
        <Layout>
            <Title text="Brief · BuildOS" />
            <a href="/briefs" class="link text-sm">"← Daily brief"</a>
            {loaded(brief, |b: Brief| view! { <BriefView brief=b /> })}
        </Layout>
    }
}

/// One brief: status, summary, then each active project's sections.
#[component]
fn BriefView(brief: Brief) -> impl IntoView {
    let date = brief.brief_date.format("%A %-d %B %Y").to_string();
    let busy = matches!(brief.status, BriefStatus::Queued | BriefStatus::Generating);
    let notices: Vec<String> = brief.content.as_ref().map(|c| c.notices.clone()).unwrap_or_default();
    let (schedule, at_risk, moves) =
        brief.content.as_ref().map(|c| (c.schedule.clone(), c.at_risk.clone(), c.moves.clone())).unwrap_or_default();
    let sections: Vec<ProjectSection> =
        brief.content.map(|c| c.projects.into_iter().filter(|p| !p.is_quiet()).collect()).unwrap_or_default();
    let quiet = sections.is_empty() && schedule.is_empty() && at_risk.is_empty() && moves.is_empty();
    view! {
        <article class="space-y-4" data-brief-status=brief.status.as_str()>
            <div class="flex flex-wrap items-baseline gap-2">
                <h2 class="text-xl font-semibold">{date}</h2>
                <span class="badge" role="status">{brief.status.label()}</span>
            </div>
            {busy.then(|| view! {
                <p class="loading" aria-busy="true">"Putting your brief together… this page updates by itself (without JavaScript, reload in a moment)."</p>
            })}
            {brief.error.filter(|_| brief.status == BriefStatus::Failed).map(|e| view! {
                <p class="form-error" role="alert">{format!("This brief could not be generated: {e}. Press Generate now to try again.")}</p>
            })}
            {notices.into_iter().map(|n| view! {
                <p class="form-error" role="alert" data-testid="brief-notice">{n}" "<a href="/profile#google-calendar" class="link">"Reconnect"</a></p>
            }).collect_view()}
            {brief.summary.map(|s| view! { <p class="card text-slate-700" data-testid="brief-summary">{s}</p> })}
            {(!schedule.is_empty()).then(|| view! {
                <section class="card" data-testid="brief-schedule">
                    <h3 class="font-semibold">"Today's schedule"</h3>
                    <ul class="mt-1 space-y-1 text-sm">
                        {schedule.into_iter().map(|s| view! {
                            <li>
                                <span class="font-semibold">{s.time}</span>" "
                                {match s.task_id {
                                    Some(id) => view! { <a class="link" href=format!("/tasks/{id}")>{s.title}</a> }.into_any(),
                                    None => view! { <span>{s.title}</span> }.into_any(),
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            {(!moves.is_empty()).then(|| view! {
                <section class="card" data-testid="brief-moves">
                    <h3 class="font-semibold">"Planned blocks to move"</h3>
                    <ul class="mt-1 space-y-1 text-sm">
                        {moves.into_iter().map(|m| view! {
                            <li>
                                <a class="link" href=format!("/tasks/{}", m.task_id)>{m.title}</a>
                                <span class="text-slate-600">{format!(": {} → {}", m.was, m.when)}</span>
                                <span class="block text-xs text-slate-600">{m.why}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <a href="/calendar?plan=1" class="btn mt-2">"Re-plan your week"</a>
                </section>
            })}
            {(!at_risk.is_empty()).then(|| view! {
                <section class="card" data-testid="brief-at-risk">
                    <h3 class="font-semibold">"At risk of missing their due date"</h3>
                    <ul class="mt-1 space-y-1 text-sm">
                        {at_risk.into_iter().map(|r| view! {
                            <li>
                                <a class="link" href=format!("/tasks/{}", r.task_id)>{r.title}</a>
                                <span class="text-slate-500">{format!(" · due {}", r.due_date.format("%-d %b"))}</span>
                                <span class="block text-xs text-slate-600">{r.reason}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <a href="/calendar?plan=1" class="btn mt-2">"Re-plan your week"</a>
                </section>
            })}
            {(brief.status == BriefStatus::Ready && quiet).then(|| view! {
                <Empty><p>"Nothing due, overdue or recently done in your active projects. A calm day, or time for a brain dump."</p></Empty>
            })}
            {sections.into_iter().map(|p| view! { <Section project=p /> }).collect_view()}
        </article>
    }
}

#[component]
fn Section(project: ProjectSection) -> impl IntoView {
    let list = |label: &'static str, tasks: Vec<BriefTask>| {
        (!tasks.is_empty()).then(|| view! {
            <h4 class="mt-2 text-sm font-semibold text-slate-600">{label}</h4>
            <ul class="list-disc pl-5 text-sm">
                {tasks.into_iter().map(|t| {
                    let due = t.due_date.map(|d| format!(" · due {}", d.format("%-d %b"))).unwrap_or_default();
                    view! { <li><a class="link" href=format!("/tasks/{}", t.id)>{t.title}</a><span class="text-slate-500">{due}</span></li> }
                }).collect_view()}
            </ul>
        })
    };
    view! {
        <section class="card">
            <h3 class="font-semibold"><a class="link" href=format!("/projects/{}", project.slug)>{project.name}</a></h3>
            {list("Today", project.today)}
            {list("Overdue", project.overdue)}
            {list("Next 7 days", project.upcoming)}
            {list("Recently completed", project.completed)}
            {(!project.notes.is_empty()).then(|| view! {
                <h4 class="mt-2 text-sm font-semibold text-slate-600">"Recent notes"</h4>
                <ul class="list-disc pl-5 text-sm">
                    {project.notes.into_iter().map(|n| view! { <li><strong>{n.title}</strong>": "{n.excerpt}</li> }).collect_view()}
                </ul>
            })}
        </section>
    }
}

/// `/unsubscribe?token=…` from an email: works without logging in.
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let token = query_param("token");
    let unsubscribe = ServerAction::<Unsubscribe>::new();
    let who = Resource::new(token, super::unsubscribe_info);
    view! {
        <main class="mx-auto max-w-md px-4 py-12">
            <Title text="Unsubscribe · BuildOS" />
            <h1 class="page-title">"Stop brief emails"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || who.get().map(|r| match r {
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(email) => {
                        let done = matches!(unsubscribe.value().get(), Some(Ok(())));
                        if done {
                            view! { <p class="banner" role="status">{format!("Done: {email} will get no more brief emails. You can turn them back on in your profile.")}</p> }.into_any()
                        } else {
                            view! {
                                <p class="mb-4">{format!("Stop sending the daily brief to {email}?")}</p>
                                <ActionForm action=unsubscribe>
                                    <input type="hidden" name="token" value=token() />
                                    <button type="submit" class="btn-primary">"Unsubscribe"</button>
                                </ActionForm>
                                {move || unsubscribe.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Brief settings on the profile page: on/off, daily or weekly, day, time, email.
#[component]
pub fn BriefSettings() -> impl IntoView {
    use super::SaveBriefPrefs;
    use super::model::{BriefPrefs, Frequency};
    use crate::components::{FormError, Prefill};
    let save = ServerAction::<SaveBriefPrefs>::new();
    let prefs = Resource::new(move || save.version().get(), |_| super::get_brief_prefs());
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    view! {
        <h2 id="brief" class="section-title mt-8">"Daily brief"</h2>
        {loaded(prefs, move |b: BriefPrefs| {
            let p = Prefill::track(save);
            let saved = matches!(save.value().get_untracked(), Some(Ok(())));
            let frequency = p.value("frequency", b.frequency.as_str());
            let day = p.value("day_of_week", &b.day_of_week.to_string());
            let time = p.value("time_of_day", &b.time_of_day.format("%H:%M").to_string());
            view! {
                <ActionForm action=save attr:class="card max-w-lg space-y-3" attr:novalidate=true>
                    <FormError prefill=p.clone() />
                    {saved.then(|| view! { <p class="banner" role="status">"Saved."</p> })}
                    <label class="flex items-center gap-2"><input type="checkbox" name="enabled" value="on" checked=b.enabled class="h-4 w-4" />"Make me a brief"</label>
                    <div class="grid gap-3 sm:grid-cols-3">
                        <label class="text-sm">"How often"
                            <select name="frequency" class="input">
                                {Frequency::ALL.iter().map(|f| view! { <option value=f.as_str() selected=frequency == f.as_str()>{f.label()}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="text-sm">"Day (weekly)"
                            <select name="day_of_week" class="input">
                                {days.iter().enumerate().map(|(i, d)| { let v = (i + 1).to_string(); view! { <option value=v.clone() selected=day == v>{*d}</option> } }).collect_view()}
                            </select>
                        </label>
                        <label class="text-sm">"At (your time)"
                            <input type="time" name="time_of_day" value=time class="input" />
                        </label>
                    </div>
                    {p.error("time_of_day").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <label class="flex items-center gap-2"><input type="checkbox" name="email" value="on" checked=b.email class="h-4 w-4" />"Email it to me"</label>
                    <button type="submit" class="btn-primary" disabled=move || save.pending().get()>"Save brief settings"</button>
                </ActionForm>
            }
        })}
    }
}
