//! Push notifications from Google (events.watch): a channel per chosen
//! calendar while PUBLIC_BASE_URL is https (Google calls only https
//! addresses), renewed a day before it expires (the sync token is kept: a
//! channel only says "something changed"), stopped on disconnect.
//!
//! A notification names its channel and carries the token we gave it; the
//! token is compared in constant time, and a good one queues a sync of that
//! calendar (one, however many notifications arrive before it starts).

use super::google_api::Api;
use super::sync::{Google, request_sync};
use crate::db::begin_as;
use crate::error::Error;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Where Google sends notifications, under PUBLIC_BASE_URL.
pub const WEBHOOK_PATH: &str = "/webhooks/google/calendar";

/// Channels are renewed when they have less than this left.
const RENEW_BEFORE: Duration = Duration::days(1);

fn address(google: &Google<'_>) -> Option<String> {
    let base = google.public_base_url.trim_end_matches('/');
    base.starts_with("https://").then(|| format!("{base}{WEBHOOK_PATH}"))
}

async fn open_channel(pool: &PgPool, api: &Api, address: &str, user_id: Uuid, calendar_id: &str) -> Result<(), Error> {
    let id = Uuid::new_v4();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let channel = api.watch(calendar_id, id, &token, address).await?;
    let expires_at = channel
        .expiration
        .and_then(|ms| ms.parse::<i64>().ok())
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .unwrap_or_else(|| Utc::now() + Duration::days(7));
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "insert into google_channels (id, user_id, calendar_id, token, resource_id, expires_at)
         values ($1, $2, $3, $4, $5, $6)",
        id,
        user_id,
        calendar_id,
        token,
        channel.resource_id,
        expires_at
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Open a channel for each chosen calendar of `user_id` that has none with
/// more than a day left, and close those of calendars no longer chosen.
/// Nothing while PUBLIC_BASE_URL is not https. How many were opened.
pub async fn ensure(pool: &PgPool, google: Google<'_>, user_id: Uuid) -> Result<usize, Error> {
    let Some(address) = address(&google) else { return Ok(0) };
    let mut tx = begin_as(pool, user_id).await?;
    let wanted = sqlx::query_scalar!(
        "select c.calendar_id from google_calendars c
         where c.user_id = $1 and (c.busy or c.target) and not c.disabled
           and not exists (select 1 from google_channels h where h.user_id = c.user_id
                           and h.calendar_id = c.calendar_id and h.expires_at > now() + make_interval(days => 1))",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let unwanted = sqlx::query!(
        "select h.id, h.resource_id from google_channels h join google_calendars c using (user_id, calendar_id)
         where h.user_id = $1 and (c.disabled or not (c.busy or c.target))",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    if wanted.is_empty() && unwanted.is_empty() {
        return Ok(0);
    }
    let api = google.api(pool, user_id).await?;
    for calendar_id in &wanted {
        open_channel(pool, &api, &address, user_id, calendar_id).await?;
    }
    for old in unwanted {
        close(pool, &api, user_id, old.id, &old.resource_id).await?;
    }
    Ok(wanted.len())
}

async fn close(pool: &PgPool, api: &Api, user_id: Uuid, id: Uuid, resource_id: &str) -> Result<(), Error> {
    api.stop(id, resource_id).await?;
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!("delete from google_channels where id = $1", id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Renew every channel with less than a day left: a new one first, then the
/// old one stopped (no gap). How many were renewed.
pub async fn renew_due(pool: &PgPool, google: Google<'_>) -> Result<usize, Error> {
    let Some(address) = address(&google) else { return Ok(0) };
    let mut tx = crate::db::begin_system(pool).await?;
    let due = sqlx::query!(
        "select id, user_id, calendar_id, resource_id from google_channels
         where expires_at < now() + make_interval(secs => $1)",
        RENEW_BEFORE.num_seconds() as f64
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut renewed = 0;
    for old in due {
        let result = async {
            let api = google.api(pool, old.user_id).await?;
            open_channel(pool, &api, &address, old.user_id, &old.calendar_id).await?;
            close(pool, &api, old.user_id, old.id, &old.resource_id).await
        }
        .await;
        match result {
            Ok(()) => renewed += 1,
            Err(error) => tracing::warn!(%error, user.id = %old.user_id, "a Google channel could not be renewed"),
        }
    }
    Ok(renewed)
}

/// Stop every channel of `user_id` (before disconnecting).
pub async fn stop_all(pool: &PgPool, api: &Api, user_id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let open = sqlx::query!("select id, resource_id from google_channels where user_id = $1", user_id)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    for channel in open {
        close(pool, api, user_id, channel.id, &channel.resource_id).await?;
    }
    Ok(())
}

/// A notification for `channel_id` carrying `token`: true when it is one of
/// ours (the token matches) and the calendar's sync is queued (or already was).
pub async fn notified(pool: &PgPool, channel_id: &str, token: &str) -> Result<bool, Error> {
    let Ok(channel_id) = channel_id.parse::<Uuid>() else { return Ok(false) };
    let mut tx = crate::db::begin_system(pool).await?;
    let channel = sqlx::query!("select user_id, calendar_id, token from google_channels where id = $1", channel_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    let Some(channel) = channel else { return Ok(false) };
    if !bool::from(channel.token.as_bytes().ct_eq(token.as_bytes())) {
        return Ok(false);
    }
    let mut tx = begin_as(pool, channel.user_id).await?;
    request_sync(&mut tx, channel.user_id, &channel.calendar_id).await?;
    tx.commit().await?;
    Ok(true)
}
