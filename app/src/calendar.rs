//! The calendar feed section of the profile: the private ICS address to
//! subscribe to from Google, Apple or Outlook; a new address; off.

use crate::components::loaded;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::auth::request::{require_user, settings},
    domain::calendar::feed,
};

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
                            <input id="calendar-feed-url" class="input font-mono text-xs" readonly value=url onfocus="this.select()" />
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
