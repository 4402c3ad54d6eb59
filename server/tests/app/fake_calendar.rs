//! A fake Google Calendar API v3 on 127.0.0.1, in Google's wire format:
//! the calendar list; events listed with page tokens and sync tokens (410
//! when a token is expired), recurring events already expanded as Google's
//! singleEvents does; insert (409 on a taken id), patch with If-Match (412),
//! delete (a deleted event stays, cancelled, as Google keeps it); watch and
//! stop; 429 on demand. Every request is logged for the tests to count.

#![allow(dead_code)]

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Calendars {
    /// calendarList entries.
    pub list: Vec<Value>,
    /// Events by calendar, each with the change number that last touched it.
    pub events: HashMap<String, Vec<(u64, Value)>>,
    /// The last change number (sync tokens are "sync-N").
    pub seq: u64,
    /// Events per page of a list.
    pub page_size: usize,
    /// Sync tokens up to this change number are expired (410).
    pub expired_before: u64,
    /// The next this many requests answer 429.
    pub rate_limited: usize,
    /// The next this many requests answer 403 userRateLimitExceeded (Google's other way).
    pub rate_limited_403: usize,
    /// An access token answered 401 (revoked early, say).
    pub refused_token: Option<String>,
    /// Inserts answer after this long (the event is kept first).
    pub insert_delay: Option<Duration>,
    /// "METHOD path?query" of every request.
    pub requests: Vec<String>,
    pub watches: Vec<Value>,
    pub stops: Vec<Value>,
}

#[derive(Clone, Default)]
pub struct FakeCalendar(pub Arc<Mutex<Calendars>>);

fn error(status: StatusCode, reason: &str) -> Response {
    let body = json!({ "error": { "code": status.as_u16(), "message": reason,
                                  "errors": [{ "domain": "global", "reason": reason }] } });
    (status, axum::Json(body)).into_response()
}

impl FakeCalendar {
    pub fn with(&self) -> std::sync::MutexGuard<'_, Calendars> {
        self.0.lock().unwrap()
    }

    pub fn add_calendar(&self, id: &str, summary: &str, primary: bool) {
        self.with().list.push(json!({ "id": id, "summary": summary, "primary": primary, "accessRole": "owner" }));
    }

    /// The person changes an event in Google (made if new): a new etag.
    pub fn put(&self, calendar: &str, mut event: Value) {
        let mut c = self.with();
        c.seq += 1;
        let seq = c.seq;
        event["etag"] = json!(format!("\"{seq}\""));
        if event.get("status").is_none() {
            event["status"] = json!("confirmed");
        }
        let events = c.events.entry(calendar.to_string()).or_default();
        match events.iter_mut().find(|(_, e)| e["id"] == event["id"]) {
            Some(slot) => {
                let mut merged = slot.1.clone();
                for (k, v) in event.as_object().unwrap() {
                    merged[k] = v.clone();
                }
                *slot = (seq, merged);
            }
            None => events.push((seq, event)),
        }
    }

    /// The person deletes an event in Google.
    pub fn cancel(&self, calendar: &str, id: &str) {
        self.put(calendar, json!({ "id": id, "status": "cancelled" }));
    }

    pub fn event(&self, calendar: &str, id: &str) -> Option<Value> {
        self.with().events.get(calendar)?.iter().find(|(_, e)| e["id"] == id).map(|(_, e)| e.clone())
    }

    /// Events of `calendar` that are not cancelled.
    pub fn live(&self, calendar: &str) -> Vec<Value> {
        let c = self.with();
        c.events
            .get(calendar)
            .map(|v| v.iter().filter(|(_, e)| e["status"] != "cancelled").map(|(_, e)| e.clone()).collect())
            .unwrap_or_default()
    }

    /// How many requests so far start with `prefix` ("GET /calendars/").
    pub fn count(&self, prefix: &str) -> usize {
        self.with().requests.iter().filter(|r| r.starts_with(prefix)).count()
    }

    /// The routes, under `/calendar/v3`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/calendar/v3/users/me/calendarList", get(calendar_list))
            .route("/calendar/v3/calendars/{cal}/events", get(list).post(insert))
            .route("/calendar/v3/calendars/{cal}/events/watch", post(watch))
            .route("/calendar/v3/calendars/{cal}/events/{id}", get(one).patch(patch).delete(delete))
            .route("/calendar/v3/channels/stop", post(stop))
            .layer(axum::middleware::from_fn_with_state(self.clone(), log))
            .with_state(self.clone())
    }
}

async fn log(State(fake): State<FakeCalendar>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let line = format!("{} {}", req.method(), req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""));
    let bearer = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut authorized = bearer.starts_with("Bearer ya29.");
    {
        let mut c = fake.with();
        if c.refused_token.as_deref().is_some_and(|t| bearer == format!("Bearer {t}")) {
            authorized = false;
        }
        c.requests.push(line.replace("/calendar/v3", ""));
        if c.rate_limited > 0 {
            c.rate_limited -= 1;
            return error(StatusCode::TOO_MANY_REQUESTS, "rateLimitExceeded");
        }
        if c.rate_limited_403 > 0 {
            c.rate_limited_403 -= 1;
            return error(StatusCode::FORBIDDEN, "userRateLimitExceeded");
        }
    }
    if !authorized {
        return error(StatusCode::UNAUTHORIZED, "authError");
    }
    next.run(req).await
}

async fn calendar_list(State(fake): State<FakeCalendar>) -> Response {
    axum::Json(json!({ "kind": "calendar#calendarList", "items": fake.with().list })).into_response()
}

async fn list(
    State(fake): State<FakeCalendar>,
    Path(cal): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let c = fake.with();
    if !c.list.iter().any(|e| e["id"] == cal.as_str()) {
        return error(StatusCode::NOT_FOUND, "notFound");
    }
    // A page token: "offset:since:upto".
    let (offset, since, upto) = match q.get("pageToken") {
        Some(p) => {
            let parts: Vec<u64> = p.split(':').map(|n| n.parse().unwrap()).collect();
            (parts[0] as usize, parts[1], parts[2])
        }
        None => {
            let since = match q.get("syncToken") {
                Some(t) => {
                    let n: u64 = t.strip_prefix("sync-").unwrap().parse().unwrap();
                    if n < c.expired_before {
                        return error(StatusCode::GONE, "fullSyncRequired");
                    }
                    n
                }
                None => {
                    assert!(q.contains_key("timeMin") && q.contains_key("timeMax"), "a full sync names its window");
                    0
                }
            };
            (0, since, c.seq)
        }
    };
    let full = since == 0;
    let matching: Vec<Value> = c
        .events
        .get(&cal)
        .map(|v| {
            v.iter()
                .filter(|(s, e)| *s > since && *s <= upto && !(full && e["status"] == "cancelled"))
                .map(|(_, e)| e.clone())
                .collect()
        })
        .unwrap_or_default();
    let size = if c.page_size == 0 { 2500 } else { c.page_size };
    let page: Vec<Value> = matching.iter().skip(offset).take(size).cloned().collect();
    let mut body = json!({ "kind": "calendar#events", "items": page });
    if offset + size < matching.len() {
        body["nextPageToken"] = json!(format!("{}:{since}:{upto}", offset + size));
    } else {
        body["nextSyncToken"] = json!(format!("sync-{upto}"));
    }
    axum::Json(body).into_response()
}

async fn one(State(fake): State<FakeCalendar>, Path((cal, id)): Path<(String, String)>) -> Response {
    match fake.event(&cal, &id) {
        Some(e) => axum::Json(e).into_response(),
        None => error(StatusCode::NOT_FOUND, "notFound"),
    }
}

async fn insert(
    State(fake): State<FakeCalendar>,
    Path(cal): Path<String>,
    axum::Json(event): axum::Json<Value>,
) -> Response {
    if event["id"].is_string() && fake.event(&cal, event["id"].as_str().unwrap()).is_some() {
        return error(StatusCode::CONFLICT, "duplicate");
    }
    let mut event = event;
    if !event["id"].is_string() {
        event["id"] = json!(uuid::Uuid::new_v4().simple().to_string());
    }
    let id = event["id"].as_str().unwrap().to_string();
    fake.put(&cal, event);
    let delay = fake.with().insert_delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    axum::Json(fake.event(&cal, &id).unwrap()).into_response()
}

async fn patch(
    State(fake): State<FakeCalendar>,
    Path((cal, id)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Json(mut change): axum::Json<Value>,
) -> Response {
    let Some(current) = fake.event(&cal, &id) else { return error(StatusCode::NOT_FOUND, "notFound") };
    if let Some(etag) = headers.get("if-match")
        && etag.to_str().unwrap() != current["etag"].as_str().unwrap()
    {
        return error(StatusCode::PRECONDITION_FAILED, "conditionNotMet");
    }
    change["id"] = json!(id);
    fake.put(&cal, change);
    axum::Json(fake.event(&cal, &id).unwrap()).into_response()
}

async fn delete(State(fake): State<FakeCalendar>, Path((cal, id)): Path<(String, String)>) -> Response {
    match fake.event(&cal, &id) {
        None => error(StatusCode::NOT_FOUND, "notFound"),
        Some(e) if e["status"] == "cancelled" => error(StatusCode::GONE, "deleted"),
        Some(_) => {
            fake.cancel(&cal, &id);
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

async fn watch(
    State(fake): State<FakeCalendar>,
    Path(cal): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let resource = format!("resource-{}", fake.with().watches.len() + 1);
    let expiration = (chrono::Utc::now() + chrono::Duration::days(7)).timestamp_millis();
    let mut kept = body.clone();
    kept["calendar"] = json!(cal);
    kept["resourceId"] = json!(resource);
    fake.with().watches.push(kept);
    axum::Json(json!({ "kind": "api#channel", "id": body["id"], "resourceId": resource,
                       "token": body["token"], "expiration": expiration.to_string() }))
    .into_response()
}

async fn stop(State(fake): State<FakeCalendar>, axum::Json(body): axum::Json<Value>) -> Response {
    fake.with().stops.push(body);
    StatusCode::NO_CONTENT.into_response()
}
