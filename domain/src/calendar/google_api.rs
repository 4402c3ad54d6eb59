//! Google Calendar API v3, the few calls BuildOS makes, in Google's wire
//! format: the calendar list, events (listed with page and sync tokens,
//! inserted, patched with If-Match, deleted), and push channels (watch, stop).
//!
//! Errors are handled as Google documents them: 429 and the rate-limit 403s
//! are retried with exponential backoff (Retry-After honoured); 410 on a
//! list means the sync token expired; 404 that the calendar or event is gone;
//! 409 on insert that the event id is taken; 412 that the etag is stale.

use crate::error::{Error, internal};
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// What a call can end in, besides success.
#[derive(Debug)]
pub enum ApiError {
    /// 404: the calendar or event does not exist (or is no longer shared).
    NotFound,
    /// 409: an event with that id exists (insert).
    Conflict,
    /// 410: the sync token is no longer valid (list), or the event is already deleted.
    Gone,
    /// 412: the etag given with If-Match is not the event's.
    Stale,
    /// 401: the access token was refused.
    Unauthorized,
    /// Anything else (after the retries, for rate limits).
    Other(Error),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Other(e) => e,
            other => Error::Upstream(format!("Google Calendar answered {other:?}")),
        }
    }
}

/// One calendar of the person's list.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarEntry {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub summary_override: Option<String>,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub access_role: String,
    #[serde(default)]
    pub deleted: bool,
}

/// A start or end: a time, or a date for an all-day event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct When {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
}

/// An event as Google sends it (the fields BuildOS reads).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub start: When,
    #[serde(default)]
    pub end: When,
    /// "transparent": the event does not block time.
    #[serde(default)]
    pub transparency: Option<String>,
    #[serde(default)]
    pub extended_properties: Option<ExtendedProperties>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExtendedProperties {
    #[serde(default)]
    pub private: std::collections::HashMap<String, String>,
}

/// The private property holding the id of the task an event stands for.
pub const TASK_PROPERTY: &str = "buildosTaskId";

impl Event {
    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    /// The task this event was made for, if BuildOS made it.
    pub fn task_id(&self) -> Option<uuid::Uuid> {
        self.extended_properties.as_ref()?.private.get(TASK_PROPERTY)?.parse().ok()
    }
}

/// One page of an events list.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsPage {
    #[serde(default)]
    pub items: Vec<Event>,
    pub next_page_token: Option<String>,
    pub next_sync_token: Option<String>,
}

/// A push channel Google opened.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub resource_id: String,
    /// Milliseconds since the epoch, as a string.
    pub expiration: Option<String>,
}

/// A client for one person's access token.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Google refused the access token (401): it must not be used again.
    refused: std::sync::atomic::AtomicBool,
}

/// How many times a rate-limited call is tried.
const TRIES: u32 = 5;

impl Api {
    pub fn new(base: &str, access_token: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(internal)?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: access_token.to_string(),
            refused: Default::default(),
        })
    }

    /// Whether Google refused the access token (401) in any call so far.
    pub fn refused(&self) -> bool {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `method path` with `query` and `body`; the JSON answer (Null for 204).
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        let url = format!("{}{path}", self.base);
        for attempt in 0..TRIES {
            let mut req = self.http.request(method.clone(), &url).bearer_auth(&self.token).query(query);
            if let Some(body) = body {
                req = req.json(body);
            }
            if let Some(etag) = if_match {
                req = req.header("If-Match", etag);
            }
            let res = req.send().await.map_err(|e| {
                ApiError::Other(Error::Upstream(format!("Google Calendar could not be reached: {}", e.without_url())))
            })?;
            let status = res.status();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = res.text().await.unwrap_or_default();
            if status.is_success() {
                return if text.trim().is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_str(&text).map_err(|e| ApiError::Other(internal(e)))
                };
            }
            let reason = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"]["errors"][0]["reason"].as_str().map(str::to_string))
                .unwrap_or_default();
            let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
                || (status == StatusCode::FORBIDDEN
                    && matches!(reason.as_str(), "rateLimitExceeded" | "userRateLimitExceeded"));
            if rate_limited && attempt + 1 < TRIES {
                // 0.5, 1, 2, 4 s, or what Google asks for (at most a minute).
                let wait = retry_after.unwrap_or(Duration::from_millis(500 << attempt)).min(Duration::from_secs(60));
                tracing::info!(%status, %reason, ?wait, "Google Calendar rate limit; trying again");
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(match status {
                StatusCode::NOT_FOUND => ApiError::NotFound,
                StatusCode::CONFLICT => ApiError::Conflict,
                StatusCode::GONE => ApiError::Gone,
                StatusCode::PRECONDITION_FAILED => ApiError::Stale,
                StatusCode::UNAUTHORIZED => {
                    self.refused.store(true, std::sync::atomic::Ordering::Relaxed);
                    ApiError::Unauthorized
                }
                _ => ApiError::Other(Error::Upstream(format!(
                    "Google Calendar answered {status}{}",
                    if reason.is_empty() { String::new() } else { format!(" ({reason})") }
                ))),
            });
        }
        unreachable!("the last try returns")
    }

    fn calendar_path(calendar_id: &str) -> String {
        format!("/calendars/{}", urlencoding(calendar_id))
    }

    /// Every calendar in the person's list (all pages).
    pub async fn calendars(&self) -> Result<Vec<CalendarEntry>, ApiError> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query = vec![("maxResults", "250")];
            if let Some(p) = &page {
                query.push(("pageToken", p));
            }
            let v = self.call(Method::GET, "/users/me/calendarList", &query, None, None).await?;
            let items: Vec<CalendarEntry> =
                serde_json::from_value(v["items"].clone()).map_err(|e| ApiError::Other(internal(e)))?;
            out.extend(items.into_iter().filter(|c| !c.deleted));
            match v["nextPageToken"].as_str() {
                Some(p) => page = Some(p.to_string()),
                None => return Ok(out),
            }
        }
    }

    /// One page of `calendar_id`'s events: with `sync_token`, what changed
    /// since; without, the events between `window` (recurring ones expanded).
    pub async fn events(
        &self,
        calendar_id: &str,
        sync_token: Option<&str>,
        window: (DateTime<Utc>, DateTime<Utc>),
        page_token: Option<&str>,
    ) -> Result<EventsPage, ApiError> {
        let (min, max) = (window.0.to_rfc3339(), window.1.to_rfc3339());
        let mut query = vec![("singleEvents", "true"), ("maxResults", "2500"), ("showDeleted", "true")];
        match sync_token {
            Some(t) => query.push(("syncToken", t)),
            None => query.extend([("timeMin", min.as_str()), ("timeMax", max.as_str())]),
        }
        if let Some(p) = page_token {
            query.push(("pageToken", p));
        }
        let v =
            self.call(Method::GET, &format!("{}/events", Self::calendar_path(calendar_id)), &query, None, None).await?;
        serde_json::from_value(v).map_err(|e| ApiError::Other(internal(e)))
    }

    pub async fn get_event(&self, calendar_id: &str, event_id: &str) -> Result<Event, ApiError> {
        let path = format!("{}/events/{}", Self::calendar_path(calendar_id), urlencoding(event_id));
        let v = self.call(Method::GET, &path, &[], None, None).await?;
        serde_json::from_value(v).map_err(|e| ApiError::Other(internal(e)))
    }

    pub async fn insert_event(&self, calendar_id: &str, body: &Value) -> Result<Event, ApiError> {
        let path = format!("{}/events", Self::calendar_path(calendar_id));
        let v = self.call(Method::POST, &path, &[], Some(body), None).await?;
        serde_json::from_value(v).map_err(|e| ApiError::Other(internal(e)))
    }

    pub async fn patch_event(
        &self,
        calendar_id: &str,
        event_id: &str,
        body: &Value,
        etag: Option<&str>,
    ) -> Result<Event, ApiError> {
        let path = format!("{}/events/{}", Self::calendar_path(calendar_id), urlencoding(event_id));
        let v = self.call(Method::PATCH, &path, &[], Some(body), etag).await?;
        serde_json::from_value(v).map_err(|e| ApiError::Other(internal(e)))
    }

    /// Delete an event; one already gone (404, 410) counts as deleted.
    pub async fn delete_event(&self, calendar_id: &str, event_id: &str) -> Result<(), ApiError> {
        let path = format!("{}/events/{}", Self::calendar_path(calendar_id), urlencoding(event_id));
        match self.call(Method::DELETE, &path, &[], None, None).await {
            Ok(_) | Err(ApiError::NotFound | ApiError::Gone) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Ask Google to notify `address` of changes to `calendar_id`'s events.
    pub async fn watch(
        &self,
        calendar_id: &str,
        channel_id: uuid::Uuid,
        token: &str,
        address: &str,
    ) -> Result<Channel, ApiError> {
        let body = json!({ "id": channel_id, "type": "web_hook", "address": address, "token": token });
        let path = format!("{}/events/watch", Self::calendar_path(calendar_id));
        let v = self.call(Method::POST, &path, &[], Some(&body), None).await?;
        serde_json::from_value(v).map_err(|e| ApiError::Other(internal(e)))
    }

    /// Stop a channel (one Google no longer knows counts as stopped).
    pub async fn stop(&self, channel_id: uuid::Uuid, resource_id: &str) -> Result<(), ApiError> {
        let body = json!({ "id": channel_id, "resourceId": resource_id });
        match self.call(Method::POST, "/channels/stop", &[], Some(&body), None).await {
            Ok(_) | Err(ApiError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A path segment, percent-encoded (calendar ids hold '@' and '#').
fn urlencoding(s: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("a base");
    url.path_segments_mut().expect("a base").push(s);
    url.path().trim_start_matches('/').to_string()
}

/// The event id of a task's event: Google allows base32hex characters
/// (a–v, 0–9), 5 to 1024 of them, and a UUID's hex digits are among them; the
/// same task always gives the same id, so a retried insert cannot make a
/// second event.
pub fn event_id_of(task_id: uuid::Uuid) -> String {
    format!("buildos{}", task_id.simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_event_id_is_valid_for_google_and_stable() {
        let task = uuid::Uuid::new_v4();
        let id = event_id_of(task);
        assert_eq!(id, event_id_of(task));
        assert!((5..=1024).contains(&id.len()));
        assert!(id.chars().all(|c| matches!(c, 'a'..='v' | '0'..='9')), "{id}");
    }

    #[test]
    fn calendar_ids_are_encoded_as_one_path_segment() {
        assert_eq!(
            urlencoding("en.usa#holiday@group.v.calendar.google.com"),
            "en.usa%23holiday@group.v.calendar.google.com"
        );
        assert_eq!(urlencoding("a/b"), "a%2Fb");
    }
}
