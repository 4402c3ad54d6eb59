//! Daily briefs: what matters today in each active project, built by the worker
//! at each person's chosen local time, shown on the brief page and emailed.

pub mod pages;

pub use domain::brief::{mask, model};

use crate::error::AppError;
use leptos::prelude::*;
use model::{Brief, BriefListItem, BriefPrefs};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, forms},
    domain::brief::service,
};

/// The brief page's data: the latest brief and the list of past ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefsOverview {
    pub latest: Option<Brief>,
    pub past: Vec<BriefListItem>,
}

#[server(endpoint = "get_briefs")]
pub async fn get_briefs() -> Result<BriefsOverview, AppError> {
    let (pool, user) = require_user().await?;
    let past = service::list_briefs(&pool, user.id).await?;
    let latest = match past.first() {
        Some(b) => Some(service::get_brief(&pool, user.id, b.id).await?),
        None => None,
    };
    Ok(BriefsOverview { latest, past })
}

#[server(endpoint = "get_brief")]
pub async fn get_brief(id: String) -> Result<Brief, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::get_brief(&pool, user.id, forms::id(&id)?).await?)
}

/// Generate today's brief now (the worker picks it up within a second).
#[server(endpoint = "generate_brief")]
pub async fn generate_brief() -> Result<uuid::Uuid, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::generate_now(&pool, user.id, user.today()).await?)
}

#[server(endpoint = "get_brief_prefs")]
pub async fn get_brief_prefs() -> Result<BriefPrefs, AppError> {
    let (pool, user) = require_user().await?;
    let uid = user.id;
    Ok(domain::db::as_user(&pool, uid, move |tx| Box::pin(service::get_prefs(tx, uid))).await?)
}

/// The brief preferences form (all text; checkboxes send "on").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BriefPrefsForm {
    pub enabled: String,
    pub frequency: String,
    pub day_of_week: String,
    pub time_of_day: String,
    pub email: String,
}

#[server(endpoint = "save_brief_prefs")]
pub async fn save_brief_prefs(#[server(flatten)] form: BriefPrefsForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let mut c = crate::error::Checks::default();
    let frequency = model::Frequency::parse(form.frequency.trim());
    if frequency.is_none() {
        c.fail("frequency", "Choose every day or once a week.");
    }
    let day = form.day_of_week.trim().parse::<i16>().ok().filter(|d| (1..=7).contains(d));
    if day.is_none() {
        c.fail("day_of_week", "Choose a day of the week.");
    }
    let time = chrono::NaiveTime::parse_from_str(form.time_of_day.trim(), "%H:%M").ok();
    if time.is_none() {
        c.fail("time_of_day", "Time must look like 07:30.");
    }
    let input = [
        ("frequency", form.frequency.as_str()),
        ("day_of_week", form.day_of_week.as_str()),
        ("time_of_day", form.time_of_day.as_str()),
    ];
    c.finish().map_err(|e| AppError(e).with_input(input))?;
    let prefs = BriefPrefs {
        enabled: form.enabled == "on",
        frequency: frequency.unwrap_or(model::Frequency::Daily),
        day_of_week: day.unwrap_or(1),
        time_of_day: time.unwrap_or_default(),
        email: form.email == "on",
    };
    let uid = user.id;
    Ok(domain::db::as_user(&pool, uid, move |tx| Box::pin(async move { service::save_prefs(tx, uid, &prefs).await }))
        .await?)
}

/// Who an unsubscribe link is for (the address, partly hidden), without logging in.
#[server(endpoint = "unsubscribe_info")]
pub async fn unsubscribe_info(token: String) -> Result<String, AppError> {
    let pool = crate::auth::request::pool()?;
    let user_id = unsubscribe_user(&pool, &token).await?;
    let user = domain::account::service::get_user(&pool, user_id).await?;
    Ok(mask(&user.email))
}

/// Stop brief emails for the person a signed link names (no login needed).
#[server(endpoint = "unsubscribe")]
pub async fn unsubscribe(token: String) -> Result<(), AppError> {
    let pool = crate::auth::request::pool()?;
    let user_id = unsubscribe_user(&pool, &token).await?;
    Ok(service::unsubscribe(&pool, user_id).await?)
}

/// Whose a signed unsubscribe link is.
#[cfg(feature = "ssr")]
pub async fn unsubscribe_user(pool: &sqlx::PgPool, token: &str) -> Result<uuid::Uuid, AppError> {
    let settings = crate::auth::request::settings()?;
    Ok(domain::brief::service::unsubscribe_user(pool, settings.secret_key.as_ref().map(|k| k.expose().as_str()), token)
        .await?)
}
