//! `/calendar`: the week, day by day (a list on phones): events from the
//! person's calendars beside their dated tasks, each task movable to another
//! day; below, the calendars themselves (add by address or file, refresh, remove).

use super::{
    AddCalendarUrl, MoveTask, RefreshCalendar, RemoveCalendar, ScheduleTask, SetHolidayCalendar, SuggestProjects,
    get_calendar_week,
};
use crate::components::{Empty, FormError, Layout, Prefill, Submit, loaded, query_param};
use crate::plan::{ApplyPlan, PlanPanel, UndoPlan, proposal_resource};
use domain::calendar::model::{CalendarDay, CalendarSource, CalendarWeek, DayTask, GoogleConnection};
use leptos::prelude::*;
use leptos_meta::Title;

/// The actions a task on the calendar can take.
#[derive(Clone, Copy)]
struct TaskActions {
    mover: ServerAction<MoveTask>,
    scheduler: ServerAction<ScheduleTask>,
}

#[component]
fn TaskItem(item: DayTask, day: chrono::NaiveDate, actions: TaskActions) -> impl IntoView {
    let task = item.task;
    let due = task.due_date == Some(day) && task.start_date != Some(day);
    let id = task.id.to_string();
    let (move_id, schedule_id) = (format!("move-{}-{day}", task.id), format!("schedule-{}-{day}", task.id));
    let length_id = format!("length-{}-{day}", task.id);
    let start = item.start_local.clone().unwrap_or_else(|| format!("{day}T09:00"));
    let minutes = task.duration_minutes.map(|m| m.to_string()).unwrap_or_default();
    let timed = item.time.is_some();
    let title = task.title.clone();
    let (move_form_id, schedule_form_id, clear_form_id) = (id.clone(), id.clone(), id.clone());
    let forms = move || {
        view! {
            <ActionForm action=actions.mover attr:class="flex flex-wrap items-center gap-1">
                <input type="hidden" name="id" value=move_form_id />
                <label for=move_id.clone() class="sr-only">{format!("New day for {title}")}</label>
                <input id=move_id type="date" name="date" value=day.to_string() class="input min-w-0 grow basis-28 py-0 text-xs" required />
                <button type="submit" class="btn px-2 py-0 text-xs">"Move"</button>
            </ActionForm>
            <details class="text-xs">
                <summary class="cursor-pointer text-slate-600">{if timed { "Change time" } else { "Schedule a time" }}</summary>
                <ActionForm action=actions.scheduler attr:class="mt-1 space-y-1">
                    <input type="hidden" name="id" value=schedule_form_id />
                    <label for=schedule_id.clone() class="label text-xs">"Start"</label>
                    <input id=schedule_id type="datetime-local" name="start" value=start class="input w-full min-w-0 py-0 text-xs" required />
                    <label for=length_id.clone() class="label text-xs">"Minutes"</label>
                    <input id=length_id type="number" name="minutes" min="1" max="10080" value=minutes placeholder="30" class="input w-full min-w-0 py-0 text-xs" />
                    <button type="submit" class="btn px-2 py-0 text-xs">"Schedule"</button>
                </ActionForm>
                {timed.then(move || view! {
                    <ActionForm action=actions.scheduler attr:class="mt-1">
                        <input type="hidden" name="id" value=clear_form_id />
                        <input type="hidden" name="start" value="" />
                        <button type="submit" class="btn px-2 py-0 text-xs">"Remove the time"</button>
                    </ActionForm>
                })}
            </details>
        }
    };
    view! {
        <li class="space-y-1 rounded border border-indigo-100 bg-indigo-50 p-2 text-sm" data-task=id>
            {item.time.clone().map(|t| view! { <span class="block text-xs font-semibold" data-testid="task-time">{t}{task.pinned.then_some(" · pinned")}</span> })}
            <a href=format!("/tasks/{}", task.id) class="link font-medium">{task.title.clone()}</a>
            {due.then(|| view! { <span class="badge-high ml-1">"Due"</span> })}
            {task.project_name.clone().map(|p| view! { <p class="text-xs text-slate-600">{p}</p> })}
            {(!due).then(forms)}
        </li>
    }
    .into_any()
}

/// The Google Calendar connection as the calendar page shows it: each
/// counted calendar's last sync and error, or what to do.
#[component]
fn GoogleState(google: Option<GoogleConnection>) -> impl IntoView {
    let Some(g) = google else {
        return view! {
            <p class="text-sm text-slate-600" data-testid="google-state">
                "Google Calendar is not connected. "<a href="/profile#google-calendar" class="link">"Connect it on your profile"</a>" to see its events here and send scheduled tasks to it."
            </p>
        }.into_any();
    };
    if g.needs_reconnect {
        return view! {
            <p class="form-error" role="alert" data-testid="google-state">
                "Google Calendar needs reconnecting: Google no longer accepts BuildOS's access. "
                <a href="/auth/google/calendar" rel="external" class="link">"Reconnect"</a>
            </p>
        }
        .into_any();
    }
    let counted: Vec<_> = g.calendars.into_iter().filter(|c| c.busy || c.target).collect();
    view! {
        <div class="card space-y-1 text-sm" data-testid="google-state">
            <p>{format!("Google Calendar: {}", g.google_email)}" · "<a href="/profile#google-calendar" class="link">"choose calendars"</a></p>
            {counted.is_empty().then(|| view! { <p class="text-slate-600">"Reading your calendars… (this page shows them once the first sync is done)"</p> })}
            <ul class="space-y-1">
                {counted.into_iter().map(|c| {
                    let role = match (c.busy, c.target) { (true, true) => "busy time · receives tasks", (true, false) => "busy time", _ => "receives tasks" };
                    let synced = c.synced_at.map(|t| format!("synced {}", t.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_else(|| "not synced yet".into());
                    view! {
                        <li>
                            <span class="font-semibold">{c.summary.clone()}</span>
                            <span class="text-xs text-slate-500">{format!(" · {role} · {synced}")}</span>
                            {c.error.clone().map(|e| view! { <p class="field-error" role="alert">{format!("Last sync failed: {e}")}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }.into_any()
}

#[component]
fn Day(day: CalendarDay, today: chrono::NaiveDate, actions: TaskActions) -> impl IntoView {
    let label = day.date.format("%A %-d %B").to_string();
    let free = day.events.is_empty() && day.tasks.is_empty();
    let date = day.date;
    view! {
        <section aria-label=label.clone() class=if date == today { "card space-y-2 ring-2 ring-indigo-300" } else { "card space-y-2" }>
            <h2 class="text-sm font-semibold">{day.date.format("%a %-d").to_string()}{(date == today).then_some(" · today")}</h2>
            <ul class="space-y-1">
                {day.events.into_iter().map(|e| view! {
                    <li class="rounded bg-slate-100 p-2 text-xs" data-event="">
                        <span class="font-semibold">{e.time.clone()}</span>" "{e.summary.clone()}
                        <span class="block text-slate-500">{e.source.clone()}</span>
                    </li>
                }).collect_view()}
                {day.tasks.into_iter().map(|t| view! { <TaskItem item=t day=date actions /> }).collect_view()}
            </ul>
            {free.then(|| view! { <p class="text-xs text-slate-500">"Nothing yet."</p> })}
        </section>
    }
}

#[component]
fn Sources(
    sources: Vec<CalendarSource>,
    refresh: ServerAction<RefreshCalendar>,
    remove: ServerAction<RemoveCalendar>,
    holidays: ServerAction<SetHolidayCalendar>,
    /// Google Calendar is connected (then these are only the others).
    google: bool,
) -> impl IntoView {
    if sources.is_empty() {
        let lead = if google { "No other calendars yet." } else { "No calendars yet." };
        return view! {
            <Empty><p>{lead}" Add your work or family calendar by its address (most calendar apps can share one as “iCal” or “.ics”), or upload an .ics file: its events then show here as busy time."</p></Empty>
        }.into_any();
    }
    view! {
        <ul class="card divide-y divide-slate-100">
            {sources.into_iter().map(|s| {
                let when = s.refreshed_at.map(|t| format!("updated {}", t.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_else(|| "not read yet".into());
                let id = s.id.to_string();
                let refresh_id = id.clone();
                let holiday_id = id.clone();
                let (on, holiday_label) = if s.holidays {
                    ("false", format!("Not holidays: plan on the days of {} again", s.name))
                } else {
                    ("true", format!("Holidays: the all-day events of {} become days off for planning", s.name))
                };
                view! {
                    <li class="flex flex-wrap items-center gap-2 py-2 text-sm">
                        <span class="font-semibold">{s.name.clone()}</span>
                        <span class="text-xs text-slate-500">{format!("{} · {when} · {}", if s.events == 1 { "1 event".to_string() } else { format!("{} events", s.events) }, if s.url.is_some() { "from an address, refreshed hourly" } else { "uploaded file" })}</span>
                        {s.holidays.then(|| view! { <span class="badge">"Holidays: days off"</span> })}
                        {s.error.clone().map(|e| view! { <p class="field-error w-full" role="alert">{format!("Last refresh failed: {e}")}</p> })}
                        <span class="ml-auto flex flex-wrap gap-2">
                            <ActionForm action=holidays>
                                <input type="hidden" name="id" value=holiday_id />
                                <input type="hidden" name="on" value=on />
                                <button type="submit" class="btn" title=holiday_label.clone() aria-label=holiday_label>
                                    {if s.holidays { "Not holidays" } else { "Holidays" }}
                                </button>
                            </ActionForm>
                            {s.url.is_some().then(|| view! {
                                <ActionForm action=refresh>
                                    <input type="hidden" name="id" value=refresh_id />
                                    <button type="submit" class="btn">"Refresh now"</button>
                                </ActionForm>
                            })}
                            <ActionForm action=remove>
                                <input type="hidden" name="id" value=id.clone() />
                                <button type="submit" class="btn" aria-label=format!("Remove {}", s.name)>"Remove"</button>
                            </ActionForm>
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }.into_any()
}

/// Calendar analysis: projects and tasks suggested by the recent meetings,
/// reviewed like a brain dump.
#[component]
fn SuggestFromCalendar() -> impl IntoView {
    let suggest = ServerAction::<SuggestProjects>::new();
    let error = move || suggest.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <ActionForm action=suggest attr:class="card mt-3 space-y-2" attr:data-testid="suggest-projects">
            <h3 class="font-semibold">"Projects from your meetings"</h3>
            <p class="text-sm text-slate-600">
                "BuildOS reads the past four weeks of these calendars, groups repeating meetings and ones that share a name, "
                "and suggests projects with tasks (preparing for the next meeting, following up on the last). You review them first, like a brain dump."
            </p>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Submit pending=suggest.pending() idle="Suggest projects" busy="Reading your meetings…" />
        </ActionForm>
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let week_param = query_param("week");
    let import_error = query_param("import_error");
    let import_name = query_param("import_name");
    let mover = ServerAction::<MoveTask>::new();
    let scheduler = ServerAction::<ScheduleTask>::new();
    let actions = TaskActions { mover, scheduler };
    let add = ServerAction::<AddCalendarUrl>::new();
    let refresh = ServerAction::<RefreshCalendar>::new();
    let remove = ServerAction::<RemoveCalendar>::new();
    let holidays = ServerAction::<SetHolidayCalendar>::new();
    let apply = ServerAction::<ApplyPlan>::new();
    let undo = ServerAction::<UndoPlan>::new();
    let plan_param = query_param("plan");
    let planning = Signal::derive(move || plan_param() == "1");
    let (applied, blocks, undone, kept) =
        (query_param("applied"), query_param("blocks"), query_param("undone"), query_param("kept"));
    let outcome = Signal::derive(move || (applied(), blocks(), undone(), kept()));
    let proposal = proposal_resource(Signal::derive(week_param), planning);
    let week = Resource::new(
        move || {
            (
                week_param(),
                mover.version().get(),
                scheduler.version().get(),
                add.version().get(),
                refresh.version().get(),
                remove.version().get(),
                holidays.version().get(),
                apply.version().get(),
                undo.version().get(),
            )
        },
        |(w, ..)| get_calendar_week(w),
    );
    let errors = move || {
        [mover.value().get(), scheduler.value().get(), refresh.value().get().map(|r| r.map(drop)), remove.value().get()]
            .into_iter()
            .flatten()
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .next()
            .or_else(|| Some(import_error()).filter(|e| !e.is_empty()))
    };
    view! {
        <Layout>
            <Title text="Calendar · BuildOS" />
            {loaded(week, move |w: CalendarWeek| {
                let shift = |days: i64| format!("/calendar?week={}", w.monday + chrono::Duration::days(days));
                let today = w.today;
                view! {
                    <div class="mb-3 flex flex-wrap items-center gap-2">
                        <h1 class="page-title mr-auto">"Calendar"</h1>
                        <a href=shift(-7) class="btn">"← Previous week"</a>
                        <a href="/calendar" class="btn">"This week"</a>
                        <a href=shift(7) class="btn">"Next week →"</a>
                    </div>
                    <p class="mb-3 text-sm text-slate-600">
                        {format!("Week of {} · times in {}", w.monday.format("%-d %B %Y"), w.timezone)}
                    </p>
                    {move || errors().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                    {(!w.clashes.is_empty()).then(|| {
                        let names = w.clashes.iter().map(|t| format!("“{t}”")).collect::<Vec<_>>().join(", ");
                        view! {
                            <p class="form-error" role="alert" data-testid="plan-clashes">
                                {format!("An event now overlaps the block of {names}. ")}
                                <a href=format!("/calendar?week={}&plan=1", w.monday) class="link">"Re-plan the week"</a>
                            </p>
                        }
                    })}
                    <PlanPanel week=Signal::derive(week_param) planning apply undo outcome proposal />
                    <div class="grid gap-3 md:grid-cols-2 lg:grid-cols-7">
                        {w.days.into_iter().map(|d| view! { <Day day=d today=today actions /> }).collect_view()}
                    </div>
                    <h2 id="calendars" class="section-title mt-8">"Your calendars"</h2>
                    <div class="mb-3"><GoogleState google=w.google.clone() /></div>
                    {(w.google.is_some() || !w.sources.is_empty()).then(|| view! { <SuggestFromCalendar /> })}
                    <Sources sources=w.sources refresh remove holidays google=w.google.is_some() />
                }
            })}
            <div class="mt-4 grid gap-4 md:grid-cols-2">
                {move || {
                    let p = Prefill::track(add);
                    view! {
                        <ActionForm action=add attr:class="card space-y-2" attr:novalidate=true>
                            <h3 class="font-semibold">"Add by address"</h3>
                            <FormError prefill=p.clone() />
                            <label class="label" for="calendar-url-name">"Name"</label>
                            <input id="calendar-url-name" name="name" class="input" placeholder="Work" value=p.value("name", "") maxlength="200" />
                            {p.error("name").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            <label class="label" for="calendar-url">"Address (https:// or webcal://)"</label>
                            <input id="calendar-url" name="url" type="url" class="input" value=p.value("url", "") placeholder="https://…/basic.ics" />
                            {p.error("url").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            <Submit pending=add.pending() idle="Add calendar" busy="Reading it…" />
                        </ActionForm>
                    }
                }}
                <form method="post" action="/calendar/import" enctype="multipart/form-data" class="card space-y-2">
                    <h3 class="font-semibold">"Upload an .ics file"</h3>
                    <label class="label" for="calendar-file-name">"Name"</label>
                    <input id="calendar-file-name" name="name" class="input" placeholder="Holidays" maxlength="200" required value=import_name />
                    <label class="label" for="calendar-file">"File"</label>
                    <input id="calendar-file" name="file" type="file" accept=".ics,text/calendar" class="input" required />
                    <button type="submit" class="btn-primary">"Upload"</button>
                </form>
            </div>
        </Layout>
    }
}
