//! Planning: "Plan my week" on the calendar page (a proposal shown as new
//! and moved blocks, each one can be unticked, applied in one go and undone
//! as one batch), and the scheduling preferences on the profile. Everything
//! works as plain forms and links too (without JavaScript): the proposal is
//! the page at `?plan=1`, applying and undoing redirect back with the outcome.

use crate::components::{FormError, Prefill, Submit, loaded};
use crate::error::AppError;
use domain::schedule::{Preferences, Proposal};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
#[cfg(feature = "ssr")]
use {
    crate::auth::request::require_user,
    crate::forms,
    domain::db::as_user,
    domain::schedule::{Accepted, WorkHours, service},
};

/// The calendar address for the week of `week` ("" for this week), with `extra` query.
fn calendar_url(week: &str, extra: &str) -> String {
    match (week.is_empty(), extra.is_empty()) {
        (true, true) => "/calendar".into(),
        (true, false) => format!("/calendar?{extra}"),
        (false, true) => format!("/calendar?week={week}"),
        (false, false) => format!("/calendar?week={week}&{extra}"),
    }
}

/// The week a form names, checked: a date ("" for this week), as text again.
#[cfg(feature = "ssr")]
fn week_of(week: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    forms::date(week, "The week").map_err(|m| AppError::field("week", m))
}

/// A proposal for the calendar's week holding `week` (a date; "" for this
/// week), from today or its Monday, whichever is later, to its Sunday.
#[server(endpoint = "propose_plan")]
pub async fn propose_plan(#[server(default)] week: String) -> Result<Proposal, AppError> {
    let (pool, user) = require_user().await?;
    let today = user.today();
    let day = week_of(&week)?.unwrap_or(today);
    let monday = day - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&day).num_days_from_monday()));
    let sunday = monday + chrono::Duration::days(6);
    if sunday < today {
        return Err(AppError::field("week", "That week is over: plan this week or a later one."));
    }
    let (from, to) = service::window(today, Some(monday.max(today)), Some(sunday))?;
    let (uid, tz) = (user.id, user.timezone.clone());
    let now = chrono::Utc::now();
    Ok(as_user(&pool, uid, move |tx| Box::pin(async move { service::propose(tx, uid, &tz, now, from, to).await }))
        .await?)
}

/// One block of the proposal form: `blocks[b-<task id>][start|end|on|part]`
/// (`b-<task id>-<n>` for part n of a task split into parts).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BlockField {
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
    /// "on" while ticked; an unticked checkbox is not sent.
    #[serde(default)]
    pub on: Option<String>,
    /// "n/of" for a part, else empty.
    #[serde(default)]
    pub part: String,
}

/// Apply the ticked blocks of a proposal as one plan that can be undone;
/// back to the week, which says what was planned.
#[server(endpoint = "apply_plan")]
pub async fn apply_plan(
    #[server(default)] week: String,
    #[server(default)] blocks: BTreeMap<String, BlockField>,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let week = week_of(&week)?.map(|d| d.to_string()).unwrap_or_default();
    let out_of_date = || AppError(domain::Error::Conflict("This proposal is out of date: plan again.".into()));
    let time = |v: &str| chrono::DateTime::parse_from_rfc3339(v).map(|t| t.to_utc()).map_err(|_| out_of_date());
    let mut accepted = Vec::new();
    for (key, b) in blocks.iter().filter(|(_, b)| b.on.is_some()) {
        let id = key.trim_start_matches("b-");
        let part = match b.part.split_once('/') {
            None if b.part.is_empty() => None,
            Some((n, of)) => Some(domain::schedule::Part {
                n: n.parse().map_err(|_| out_of_date())?,
                of: of.parse().map_err(|_| out_of_date())?,
            }),
            None => return Err(out_of_date()),
        };
        accepted.push(Accepted {
            task_id: forms::id(id.get(..36).unwrap_or(id))?,
            start: time(&b.start)?,
            end: time(&b.end)?,
            part,
        });
    }
    let (uid, tz) = (user.id, user.timezone.clone());
    let now = chrono::Utc::now();
    let plan =
        as_user(&pool, uid, move |tx| Box::pin(async move { service::apply(tx, uid, &tz, now, &accepted).await }))
            .await?;
    leptos_axum::redirect(&calendar_url(&week, &format!("applied={}&blocks={}", plan.id, plan.blocks)));
    Ok(())
}

/// Undo plan `id`; back to the week, which says what was put back.
#[server(endpoint = "undo_plan")]
pub async fn undo_plan(id: String, #[server(default)] week: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let week = week_of(&week)?.map(|d| d.to_string()).unwrap_or_default();
    let (uid, id) = (user.id, forms::id(&id)?);
    let undone = as_user(&pool, uid, move |tx| Box::pin(service::undo(tx, uid, id))).await?;
    leptos_axum::redirect(&calendar_url(&week, &format!("undone={}&kept={}", undone.restored, undone.kept)));
    Ok(())
}

/// The proposal for the week of `week` while `planning`.
pub fn proposal_resource(week: Signal<String>, planning: Signal<bool>) -> Resource<Result<Option<Proposal>, AppError>> {
    Resource::new(
        move || planning.get().then(|| week.get()),
        |week| async move {
            match week {
                Some(w) => propose_plan(w).await.map(Some),
                None => Ok(None),
            }
        },
    )
}

/// "Plan my week" for the week of `week` ("" for this week): the link that
/// opens a proposal, the proposal (`planning`: the page is at `?plan=1`), or
/// what was just applied or undone (from the page's query).
#[component]
pub fn PlanPanel(
    week: Signal<String>,
    planning: Signal<bool>,
    apply: ServerAction<ApplyPlan>,
    undo: ServerAction<UndoPlan>,
    /// The page's query: `applied`, `blocks`, `undone`, `kept`.
    outcome: Signal<(String, String, String, String)>,
    /// From [`proposal_resource`], made by the page itself: a resource made
    /// inside the week's loaded view would not hydrate in step with the server.
    proposal: Resource<Result<Option<Proposal>, AppError>>,
) -> impl IntoView {
    let banner = move || {
        let (applied, count, restored, kept) = outcome.get();
        let number = |v: &str| v.parse::<usize>().unwrap_or(0);
        if !restored.is_empty() {
            return Some(
                view! {
                    <p class="banner" role="status">
                        {format!("Plan undone: {} back where they were.", blocks(number(&restored)))}
                        {(number(&kept) > 0).then(|| format!(" {} changed since and stayed as they are.", blocks(number(&kept))))}
                    </p>
                }
                .into_any(),
            );
        }
        (!applied.is_empty()).then(|| {
            let p = Prefill::of(undo);
            view! {
                <div class="banner flex flex-wrap items-center gap-2" role="status">
                    <span>{format!("Planned {}.", blocks(number(&count)))}</span>
                    <ActionForm action=undo>
                        <input type="hidden" name="id" value=applied />
                        <input type="hidden" name="week" value=week.get() />
                        <Submit pending=undo.pending() idle="Undo" busy="Undoing…" class="btn" />
                    </ActionForm>
                </div>
                <FormError prefill=p />
            }
            .into_any()
        })
    };
    view! {
        <section class="mb-4 space-y-2" aria-label="Plan my week">
            {banner}
            {move || (!planning.get()).then(|| view! {
                <div class="flex flex-wrap items-center gap-2">
                    <a href=calendar_url(&week.get(), "plan=1") class="btn-primary">"Plan my week"</a>
                    <span class="hint">"Places your open tasks into free working time; nothing changes until you apply."</span>
                </div>
            })}
            {move || planning.get().then(|| loaded(proposal, move |p: Option<Proposal>| {
                p.map(|p| view! { <ProposalView proposal=p week=week.get_untracked() apply /> })
            }))}
        </section>
    }
}

fn blocks(n: usize) -> String {
    if n == 1 { "1 block".into() } else { format!("{n} blocks") }
}

#[component]
fn ProposalView(proposal: Proposal, week: String, apply: ServerAction<ApplyPlan>) -> impl IntoView {
    let hours = |m: i64| domain::schedule::duration_text(m);
    let summary = format!(
        "{} of tasks to place, {} free in your working hours from {} to {}.",
        hours(proposal.work_minutes),
        hours(proposal.free_minutes),
        proposal.from.format("%a %-d %b"),
        proposal.to.format("%a %-d %b")
    );
    let nothing = proposal.placements.is_empty();
    let dismiss = calendar_url(&week, "");
    let p = Prefill::track(apply);
    view! {
        <ActionForm action=apply attr:class="card space-y-3" attr:data-testid="plan-proposal">
            <h2 class="font-semibold">"Proposed plan"</h2>
            <p class="text-sm">{summary}</p>
            <FormError prefill=p.clone() />
            // Field errors of this form have no field to sit beside: shown here.
            {["placements", "week"].into_iter().find_map(|f| p.error(f)).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <input type="hidden" name="week" value=week />
            {nothing.then(|| view! {
                <p class="text-sm text-slate-600">"Nothing to place: tasks with a due date, a start date this week or high priority are planned, and those already have their time."</p>
            })}
            <ul class="divide-y divide-slate-100">
                {proposal.placements.into_iter().map(|b| {
                    let id = b.task_id.to_string();
                    let key = match b.part {
                        Some(part) => format!("{id}-{}", part.n),
                        None => id.clone(),
                    };
                    let input_id = format!("plan-{key}");
                    // Keys start with a letter: the form decoder reads a key starting with a digit as a list index.
                    let field = |name: &str| format!("blocks[b-{key}][{name}]");
                    let kind = if b.moved_from.is_some() { "Moved" } else { "New" };
                    let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    view! {
                        <li class="flex items-start gap-2 py-2 text-sm" data-block=id.clone()>
                            <input type="hidden" name=field("start") value=rfc(b.start) />
                            <input type="hidden" name=field("end") value=rfc(b.end) />
                            {b.part.map(|part| view! { <input type="hidden" name=field("part") value=format!("{}/{}", part.n, part.of) /> })}
                            <input id=input_id.clone() type="checkbox" name=field("on") value="on" checked=true class="mt-1 h-4 w-4" />
                            <label for=input_id class="min-w-0 grow">
                                <span class="font-semibold">{b.when.clone()}</span>
                                " "
                                <span class=if b.late { "badge-high" } else { "badge" }>{if b.late { "Late" } else { kind }}</span>
                                {b.part.map(|part| view! { " " <span class="badge">{format!("Part {} of {}", part.n, part.of)}</span> })}
                                <span class="block break-words">{b.title.clone()}</span>
                                {b.was.clone().map(|w| view! { <span class="block text-xs text-slate-500">{format!("was {w}")}</span> })}
                                <span class="block text-xs text-slate-600">{b.reason.clone()}</span>
                            </label>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(!proposal.unplaced.is_empty()).then(|| view! {
                <h3 class="text-sm font-semibold">"Not placed"</h3>
                <ul class="space-y-1 text-sm" data-testid="plan-unplaced">
                    {proposal.unplaced.into_iter().map(|u| view! {
                        <li><span class="font-medium">{u.title}</span><span class="block text-xs text-slate-600">{u.reason}</span></li>
                    }).collect_view()}
                </ul>
            })}
            <div class="flex flex-wrap gap-2">
                {(!nothing).then(|| view! { <Submit pending=apply.pending() idle="Apply ticked blocks" busy="Applying…" /> })}
                <a href=dismiss class="btn">"Dismiss"</a>
            </div>
        </ActionForm>
    }
}

/// One weekday's hours as the form sends them: `hours[mon][start]`, `hours[mon][end]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DayField {
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub end: String,
}

/// Scheduling preferences as the form sends them.
#[server(endpoint = "save_scheduling_preferences")]
pub async fn save_scheduling_preferences(
    #[server(default)] hours: BTreeMap<String, DayField>,
    #[server(default)] buffer_minutes: String,
    #[server(default)] default_minutes: String,
    #[server(default)] max_day_hours: String,
    #[server(default)] days_off: String,
    #[server(default)] split_minutes: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let day = |key: &str| hours.get(key).cloned().unwrap_or_default();
    let days: Vec<(&str, String, String)> = DAYS
        .iter()
        .map(|(key, _)| {
            let d = day(key);
            (*key, d.start, d.end)
        })
        .collect();
    let mut echo: Vec<(String, String)> = days
        .iter()
        .flat_map(|(d, s, e)| [(format!("{d}_start"), s.to_string()), (format!("{d}_end"), e.to_string())])
        .collect();
    echo.extend([
        ("buffer_minutes".into(), buffer_minutes.clone()),
        ("default_minutes".into(), default_minutes.clone()),
        ("max_day_hours".into(), max_day_hours.clone()),
        ("days_off".into(), days_off.clone()),
        ("split_minutes".into(), split_minutes.clone()),
    ]);
    let fail = |field: &str, message: String| {
        AppError::field(field, message).with_input(echo.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    };
    let time = |v: &str| {
        chrono::NaiveTime::parse_from_str(v, "%H:%M").or_else(|_| chrono::NaiveTime::parse_from_str(v, "%H:%M:%S")).ok()
    };
    let mut hours = [None; 7];
    for (i, (day, start, end)) in days.iter().enumerate() {
        hours[i] = match (start.trim(), end.trim()) {
            ("", "") => None,
            (s, e) => match (time(s), time(e)) {
                (Some(start), Some(end)) => Some(WorkHours { start, end }),
                _ => {
                    return Err(fail(
                        &format!("{day}_start"),
                        "Give a start and an end like 09:00, or leave both empty for a day off.".into(),
                    ));
                }
            },
        };
    }
    let number = |v: &str, field: &str, label: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| fail(field, format!("{label} must be a number.")))
    };
    let buffer = number(&buffer_minutes, "buffer_minutes", "The buffer")?;
    let default = number(&default_minutes, "default_minutes", "The default length")?;
    let max_day = number(&max_day_hours, "max_day_hours", "The daily maximum")?;
    let split = match split_minutes.trim() {
        "" => 0.0,
        v => number(v, "split_minutes", "The shortest block")?,
    };
    let mut off = Vec::new();
    for part in days_off.split([',', '\n', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
        off.push(
            forms::date(part, "Each day off")
                .map_err(|m| fail("days_off", m))?
                .ok_or_else(|| fail("days_off", "Each day off must be a date.".into()))?,
        );
    }
    let prefs = Preferences {
        hours,
        buffer_minutes: buffer.round().clamp(-1.0, 100_000.0) as i32,
        default_minutes: default.round().clamp(-1.0, 100_000.0) as i32,
        max_day_minutes: (max_day * 60.0).round().clamp(-1.0, 100_000.0) as i32,
        days_off: off,
        split_minutes: split.round().clamp(-1.0, 100_000.0) as i32,
    };
    if let Some((field, message)) = prefs.problem() {
        let field = match field {
            "hours" => {
                let i = prefs.hours.iter().position(|h| h.is_some_and(|h| h.end <= h.start)).unwrap_or(0);
                format!("{}_start", days[i].0)
            }
            "max_day_minutes" => "max_day_hours".into(),
            f => f.into(),
        };
        return Err(fail(&field, message));
    }
    let uid = user.id;
    Ok(as_user(&pool, uid, move |tx| Box::pin(async move { service::save_preferences(tx, uid, &prefs).await })).await?)
}

#[server(endpoint = "get_scheduling_preferences")]
pub async fn get_scheduling_preferences() -> Result<Preferences, AppError> {
    let (pool, user) = require_user().await?;
    let uid = user.id;
    Ok(as_user(&pool, uid, move |tx| Box::pin(service::preferences(tx, uid))).await?)
}

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// The profile's "Planning" section.
#[component]
pub fn SchedulingSettings() -> impl IntoView {
    let save = ServerAction::<SaveSchedulingPreferences>::new();
    let prefs = Resource::new(move || save.version().get(), |_| get_scheduling_preferences());
    view! {
        <h2 id="planning" class="section-title mt-8">"Planning"</h2>
        <p class="mb-2 max-w-lg text-sm text-slate-600">"When “Plan my week” may place tasks, in your timezone."</p>
        {loaded(prefs, move |current: Preferences| {
            let p = Prefill::track(save);
            let saved = matches!(save.value().get_untracked(), Some(Ok(())));
            let t = |v: Option<chrono::NaiveTime>| v.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
            let off = current.days_off.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
            view! {
                <ActionForm action=save attr:class="card max-w-lg space-y-3" attr:novalidate=true>
                    <FormError prefill=p.clone() />
                    {saved.then(|| view! { <p class="banner" role="status">"Saved."</p> })}
                    <fieldset class="space-y-1">
                        <legend class="label">"Working hours (leave both empty for a day off)"</legend>
                        {DAYS.iter().enumerate().map(|(i, (key, name))| {
                            let (start_name, end_name) = (format!("{key}_start"), format!("{key}_end"));
                            let start = p.value(&start_name, &t(current.hours[i].map(|h| h.start)));
                            let (start_field, end_field) = (format!("hours[{key}][start]"), format!("hours[{key}][end]"));
                            let end = p.value(&end_name, &t(current.hours[i].map(|h| h.end)));
                            let error = p.error(&start_name);
                            view! {
                                <div class="flex flex-wrap items-center gap-2">
                                    <span class="w-full text-sm sm:w-24">{*name}</span>
                                    <input type="time" name=start_field value=start class="input w-36 min-w-0" aria-label=format!("{name} start") />
                                    <span aria-hidden="true">"–"</span>
                                    <input type="time" name=end_field value=end class="input w-36 min-w-0" aria-label=format!("{name} end") />
                                    {error.map(|e| view! { <p class="field-error w-full" role="alert">{e}</p> })}
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    <NumberField label="Buffer between blocks (minutes)" name="buffer_minutes" value=p.value("buffer_minutes", &current.buffer_minutes.to_string()) error=p.error("buffer_minutes") />
                    <NumberField label="Length of a task without one (minutes)" name="default_minutes" value=p.value("default_minutes", &current.default_minutes.to_string()) error=p.error("default_minutes") />
                    <NumberField label="At most this many hours of tasks a day" name="max_day_hours" value=p.value("max_day_hours", &format!("{}", f64::from(current.max_day_minutes) / 60.0)) error=p.error("max_day_hours") />
                    <NumberField label="Split a long task into blocks of at least (minutes; 0: never split)" name="split_minutes" value=p.value("split_minutes", &current.split_minutes.to_string()) error=p.error("split_minutes") />
                    <label class="label" for="planning-days-off">"Days off (holidays), as dates"</label>
                    <input id="planning-days-off" name="days_off" class="input" placeholder="2026-12-24, 2026-12-25" value=p.value("days_off", &off) />
                    {p.error("days_off").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <Submit pending=save.pending() idle="Save planning" busy="Saving…" />
                </ActionForm>
            }
        })}
    }
}

#[component]
fn NumberField(label: &'static str, name: &'static str, value: String, error: Option<String>) -> impl IntoView {
    let id = format!("planning-{name}");
    view! {
        <label class="label" for=id.clone()>{label}</label>
        <input id=id type="number" step="any" name=name value=value class="input w-32" aria-invalid=error.is_some().to_string() />
        {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
    }
}
