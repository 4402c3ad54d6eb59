//! The calendar: its page (`pages`), the server functions behind it, and the
//! profile's feed section (the private ICS address to subscribe to from
//! Google, Apple or Outlook; a new address; off).

pub mod pages;

use crate::components::loaded;
use crate::error::AppError;
use leptos::prelude::*;

pub use domain::calendar::model::CalendarWeek;
#[cfg(feature = "ssr")]
use {
    crate::auth::request::{require_user, settings},
    crate::forms,
    domain::calendar::{feed, import, week},
    domain::db::as_user,
};

/// The week holding `week` (a date; "" for this week), with the person's calendars.
#[server(endpoint = "get_calendar_week")]
pub async fn get_calendar_week(#[server(default)] week: String) -> Result<CalendarWeek, AppError> {
    let (pool, user) = require_user().await?;
    let today = user.today();
    let day = match week.trim() {
        "" => today,
        w => chrono::NaiveDate::parse_from_str(w, "%Y-%m-%d")
            .map_err(|_| AppError::field("week", "The week must be a date like 2026-12-07."))?,
    };
    let (uid, tz) = (user.id, user.timezone.clone());
    Ok(as_user(&pool, uid, move |tx| Box::pin(async move { week::week(tx, uid, day, today, &tz).await })).await?)
}

/// Add a calendar by its address (read once now, then hourly by the worker).
#[server(endpoint = "add_calendar_url")]
pub async fn add_calendar_url(#[server(default)] name: String, #[server(default)] url: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let echo = [("name", name.as_str()), ("url", url.as_str())];
    import::add(&pool, &*settings()?, user.id, &name, import::Origin::Url(url.clone()))
        .await
        .map(drop)
        .map_err(|e| AppError(e).with_input(echo))
}

/// Download an address calendar again now; how many events it has.
#[server(endpoint = "refresh_calendar")]
pub async fn refresh_calendar(id: String) -> Result<usize, AppError> {
    let (pool, user) = require_user().await?;
    Ok(import::refresh(&pool, &*settings()?, user.id, forms::id(&id)?).await?)
}

#[server(endpoint = "remove_calendar")]
pub async fn remove_calendar(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    Ok(as_user(&pool, uid, move |tx| Box::pin(import::remove(tx, uid, id))).await?)
}

/// Mark a calendar as holidays (`on` "true": its all-day events are days off
/// for planning) or not.
#[server(endpoint = "set_holiday_calendar")]
pub async fn set_holiday_calendar(id: String, #[server(default)] on: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id, on) = (user.id, forms::id(&id)?, on == "true");
    Ok(as_user(&pool, uid, move |tx| Box::pin(import::set_holidays(tx, uid, id, on))).await?)
}

/// Suggest projects from the person's recent meetings (calendar analysis): a
/// brain dump to review, which the browser is sent to.
#[server(endpoint = "suggest_projects")]
pub async fn suggest_projects() -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let engine = settings()?.engine.clone();
    let id =
        domain::calendar::analysis::suggest_dump(&pool, user.id, &user.timezone, &engine, chrono::Utc::now()).await?;
    leptos_axum::redirect(&format!("/brain-dump/{id}"));
    Ok(())
}

/// Move a task to another day (its start date; a due date keeps its distance).
#[server(endpoint = "move_task")]
pub async fn move_task(id: String, #[server(default)] date: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    let day = forms::date(&date, "Day")
        .map_err(|m| AppError::field("date", m))?
        .ok_or_else(|| AppError::field("date", "Choose a day."))?;
    Ok(as_user(&pool, uid, move |tx| Box::pin(domain::task::service::move_to(tx, uid, id, day))).await?)
}

/// Give a task a block of time: `start` a local date and time
/// (`2026-12-07T09:30`, in the person's timezone; "" takes the block away),
/// `minutes` its length ("" keeps it). With Google Calendar connected, its
/// event follows.
#[server(endpoint = "schedule_task")]
pub async fn schedule_task(
    id: String,
    #[server(default)] start: String,
    #[server(default)] minutes: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    let echo = [("start", start.as_str()), ("minutes", minutes.as_str())];
    let at =
        forms::local_time(&start, &user.timezone, "Start").map_err(|m| AppError::field("start", m).with_input(echo))?;
    let minutes =
        domain::task::Minutes::parse(&minutes, "Length").map_err(|m| AppError::field("minutes", m).with_input(echo))?;
    Ok(as_user(&pool, uid, move |tx| Box::pin(domain::task::service::schedule(tx, uid, id, at, minutes))).await?)
}

/// The feed's address, or None while it is off.
#[server(endpoint = "get_calendar_feed")]
pub async fn get_calendar_feed() -> Result<Option<String>, AppError> {
    let (pool, user) = require_user().await?;
    Ok(feed::address(&pool, &*settings()?, user.id).await?)
}

/// A new address (the old one stops working), and the feed on.
#[server(endpoint = "replace_calendar_feed")]
pub async fn replace_calendar_feed() -> Result<String, AppError> {
    let (pool, user) = require_user().await?;
    Ok(feed::replace(&pool, &*settings()?, user.id).await?)
}

#[server(endpoint = "turn_off_calendar_feed")]
pub async fn turn_off_calendar_feed() -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    Ok(feed::turn_off(&pool, user.id).await?)
}

#[component]
pub fn CalendarFeedSettings() -> impl IntoView {
    let replace = ServerAction::<ReplaceCalendarFeed>::new();
    let turn_off = ServerAction::<TurnOffCalendarFeed>::new();
    let address = Resource::new(move || (replace.version().get(), turn_off.version().get()), |_| get_calendar_feed());
    view! {
        <h2 id="calendar" class="section-title mt-8">"Calendar feed"</h2>
        <p class="mb-2 max-w-lg text-sm text-slate-600">
            "Your tasks with a start or due date, in Google Calendar, Apple Calendar or Outlook: "
            "add this address there as a calendar “from URL” (it updates by itself, about every hour). "
            "Keep it private: anyone with the address can read these tasks."
        </p>
        {loaded(address, move |url: Option<String>| {
            let on = url.is_some();
            view! {
                <div class="card max-w-lg space-y-3">
                    {match url {
                        Some(url) => view! {
                            <label class="label" for="calendar-feed-url">"Feed address"</label>
                            <input id="calendar-feed-url" class="input font-mono text-xs" readonly value=url />
                        }.into_any(),
                        None => view! { <p class="text-sm">"The feed is off: no address works."</p> }.into_any(),
                    }}
                    <div class="flex flex-wrap gap-2">
                        <ActionForm action=replace>
                            <button type="submit" class="btn">{if on { "Make a new address" } else { "Turn the feed on" }}</button>
                        </ActionForm>
                        {on.then(|| view! {
                            <ActionForm action=turn_off>
                                <button type="submit" class="btn">"Turn the feed off"</button>
                            </ActionForm>
                        })}
                    </div>
                    {on.then(|| view! { <p class="hint">"A new address stops the old one working (use it if the address got out)."</p> })}
                </div>
            }
        })}
    }
}

/// Google Calendar on the profile: whether it can be connected, and the connection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoogleCalendar {
    /// Google and ENCRYPTION_KEY are configured.
    pub available: bool,
    pub connection: Option<domain::calendar::model::GoogleConnection>,
}

#[server(endpoint = "get_google_calendar")]
pub async fn get_google_calendar() -> Result<GoogleCalendar, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let settings = crate::auth::request::settings()?;
    let available = settings.google.is_some() && settings.encryption_key.is_some();
    let connection = domain::calendar::google::connection(&pool, user.id).await?;
    Ok(GoogleCalendar { available, connection })
}

/// Count a Google calendar as busy time or not (`busy`: "true"/"false"), or
/// make it the one receiving scheduled tasks (`target`); "" leaves that part.
#[server(endpoint = "set_google_calendar")]
pub async fn set_google_calendar(
    calendar_id: String,
    #[server(default)] busy: String,
    #[server(default)] target: String,
) -> Result<(), AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let flag = |v: &str, name: &str| match v {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(AppError::field(name, "Must be true or false.")),
    };
    let (busy, target) = (flag(&busy, "busy")?, flag(&target, "target")?);
    let uid = user.id;
    Ok(as_user(&pool, uid, move |tx| {
        Box::pin(async move { domain::calendar::sync::set_calendar(tx, uid, &calendar_id, busy, target).await })
    })
    .await?)
}

/// Disconnect Google Calendar: revoked at Google and forgotten here.
#[server(endpoint = "disconnect_google_calendar")]
pub async fn disconnect_google_calendar() -> Result<(), AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let settings = crate::auth::request::settings()?;
    let (Some(config), Some(key)) = (&settings.google, &settings.encryption_key) else {
        return Err(AppError(domain::Error::NotFound));
    };
    domain::calendar::google::disconnect(&pool, key.expose(), config, user.id).await?;
    Ok(())
}

/// Each Google calendar's part: counted as busy time (its events block time
/// on the calendar page and for planning), and the one receiving scheduled tasks.
#[component]
fn GoogleCalendarChoices(
    calendars: Vec<domain::calendar::model::GoogleCalendarState>,
    set: ServerAction<SetGoogleCalendar>,
) -> impl IntoView {
    if calendars.is_empty() {
        return view! { <p class="text-slate-600">"Reading your calendar list… reload in a moment to choose which calendars count."</p> }.into_any();
    }
    view! {
        <ul class="divide-y divide-slate-100" aria-label="Your Google calendars">
            {calendars.into_iter().map(|c| {
                let (id, busy_id, target_id) = (c.calendar_id.clone(), c.calendar_id.clone(), c.calendar_id.clone());
                let state = match (c.busy, c.target) {
                    (true, true) => "Busy time · receives scheduled tasks",
                    (true, false) => "Busy time",
                    (false, true) => "Receives scheduled tasks",
                    (false, false) => "Not used",
                };
                view! {
                    <li class="flex flex-wrap items-center gap-2 py-2" data-calendar=id>
                        <span class="font-semibold">{c.summary.clone()}</span>
                        <span class="text-xs text-slate-500">{state}</span>
                        {c.error.clone().map(|e| view! { <p class="field-error w-full" role="alert">{e}</p> })}
                        <span class="ml-auto flex gap-2">
                            <ActionForm action=set>
                                <input type="hidden" name="calendar_id" value=busy_id />
                                <input type="hidden" name="busy" value=(!c.busy).to_string() />
                                <button type="submit" class="btn text-xs">{if c.busy { "Stop counting as busy" } else { "Count as busy" }}</button>
                            </ActionForm>
                            {(!c.target && !c.disabled).then(move || view! {
                                <ActionForm action=set>
                                    <input type="hidden" name="calendar_id" value=target_id />
                                    <input type="hidden" name="target" value="true" />
                                    <button type="submit" class="btn text-xs">"Send tasks here"</button>
                                </ActionForm>
                            })}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }.into_any()
}

/// Google Calendar on the profile (when the server offers it): connect, the
/// connection's state ("needs reconnecting" when Google refused it), disconnect.
#[component]
pub fn GoogleCalendarSettings() -> impl IntoView {
    let disconnect = ServerAction::<DisconnectGoogleCalendar>::new();
    let set = ServerAction::<SetGoogleCalendar>::new();
    let state = Resource::new(move || (disconnect.version().get(), set.version().get()), |_| get_google_calendar());
    let said = crate::components::query_param("calendar");
    view! {
        {loaded(state, move |g: GoogleCalendar| g.available.then(|| view! {
            <h2 id="google-calendar" class="section-title mt-8">"Google Calendar"</h2>
            <div class="card max-w-lg space-y-2 text-sm">
                {move || match said().as_str() {
                    "connected" => Some(view! { <p class="banner" role="status">"Google Calendar is connected."</p> }.into_any()),
                    "failed" => Some(view! { <p class="form-error" role="alert">"Connecting did not work. Try again."</p> }.into_any()),
                    _ => None,
                }}
                {match g.connection.clone() {
                    None => view! {
                        <p>"Connect your Google Calendar: your events count as busy time, and scheduled tasks can go into it."</p>
                        <a href="/auth/google/calendar" rel="external" class="btn-primary inline-block">"Connect Google Calendar"</a>
                    }.into_any(),
                    Some(c) if c.needs_reconnect => view! {
                        <p class="form-error" role="alert" data-testid="google-calendar-state">
                            {format!("Google no longer accepts BuildOS's access to {}: connect again.", c.google_email)}
                        </p>
                        <a href="/auth/google/calendar" rel="external" class="btn-primary inline-block">"Reconnect"</a>
                    }.into_any(),
                    Some(c) => view! {
                        <p data-testid="google-calendar-state">{format!("Connected to {} since {}.", c.google_email, c.connected_at.format("%Y-%m-%d"))}</p>
                        <GoogleCalendarChoices calendars=c.calendars.clone() set />
                    }.into_any(),
                }}
                {move || set.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                {g.connection.is_some().then(|| view! {
                    <ActionForm action=disconnect>
                        <button type="submit" class="btn">"Disconnect"</button>
                    </ActionForm>
                })}
            </div>
        }))}
    }
}
