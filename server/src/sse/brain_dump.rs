//! Processing a dump with progress streamed to the browser as server-sent events:
//! status lines, each proposal as the engine produces it, then done, failed or cancelled.
//!
//! `GET /brain-dump/{id}/events` processes a draft (the page saved it just before);
//! for a dump that is processing or processed already (a reconnect) it replays
//! where things stand, so a dropped connection never processes twice.

use crate::AppState;
use app::auth::request::current_in;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::Error;
use domain::brain_dump::llm::Engine;
use domain::brain_dump::model::{DumpStatus, ParseEvent};
use domain::brain_dump::{review, service};
use futures::stream::Stream;
use sqlx::PgPool;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tower_sessions::Session;
use uuid::Uuid;

fn sse_event(e: &ParseEvent) -> Event {
    Event::default().event(e.name()).data(serde_json::to_string(e).unwrap_or_else(|_| "{}".into()))
}

pub async fn events(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    // Processing costs money with an LLM: only our own pages may start it.
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| !matches!(s, "same-origin" | "none")) {
        return (StatusCode::FORBIDDEN, "Cross-origin requests are not allowed.").into_response();
    }
    let (pool, engine) = (state.pool.clone(), state.settings.engine.clone());
    let user = match current_in(&pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Log in first.").into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let Ok(id) = id.parse::<Uuid>() else { return (StatusCode::NOT_FOUND, "Not found.").into_response() };
    let Some(slot) = state.streams.open(user.id) else { return super::too_many() };
    // Subscribed before anything is read, so no change can slip between the two.
    let changes = state.bus.dumps.subscribe();
    let (tx, rx) = mpsc::unbounded_channel::<ParseEvent>();
    let _ = tx.send(ParseEvent::Status { message: "Received; starting…".into() });
    tokio::spawn(async move {
        let _slot = slot; // held until this stream's work ends
        let emit = |e: ParseEvent| {
            let _ = tx.send(e);
        };
        let work = run(&pool, user.id, id, &engine, changes, &emit);
        tokio::select! {
            last = work => emit(last),
            // The page went away (closed, navigated, cancelled): stop, and give the text back.
            _ = tx.closed() => {
                if let Err(error) = service::cancel(&pool, user.id, id).await {
                    tracing::warn!(%error, dump.id = %id, "could not cancel after the page went away");
                }
            }
        }
    });
    Sse::new(events_of(rx)).keep_alive(KeepAlive::new().interval(Duration::from_secs(10))).into_response()
}

fn events_of(mut rx: mpsc::UnboundedReceiver<ParseEvent>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(|e| Ok(sse_event(&e)))))
}

/// Process draft `id`, or replay a dump already past that; returns the last event.
async fn run(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    engine: &Engine,
    mut changes: broadcast::Receiver<Uuid>,
    emit: &(dyn Fn(ParseEvent) + Send + Sync),
) -> ParseEvent {
    let mut dump = match service::get_dump(pool, user_id, id).await {
        Ok(d) => d,
        Err(e) => return ParseEvent::Failed { message: e.to_string() },
    };
    if dump.status == DumpStatus::Draft {
        return match service::parse_streaming(pool, user_id, id, engine, emit).await {
            Ok(operations) => ParseEvent::Done { id, operations },
            Err(Error::Conflict(_)) if still(pool, user_id, id, DumpStatus::Draft).await => ParseEvent::Cancelled,
            Err(e) => ParseEvent::Failed { message: message(e) },
        };
    }
    // Someone else is processing it (another tab, or this page before a
    // reconnect): wait for them to change its status (NOTIFY), looking again
    // now and then in case a notification was lost (a database restart).
    let deadline = tokio::time::Instant::now() + WAIT_AT_MOST;
    if dump.status == DumpStatus::Processing {
        emit(ParseEvent::Status { message: "Still processing…".into() });
    }
    while dump.status == DumpStatus::Processing {
        if tokio::time::Instant::now() > deadline {
            return ParseEvent::Failed {
                message: "Still processing after 10 minutes. Reload the page to see where it got to.".into(),
            };
        }
        let _ = tokio::time::timeout(LOOK_AGAIN, changed(&mut changes, id)).await;
        dump = match service::get_dump(pool, user_id, id).await {
            Ok(d) => d,
            Err(e) => return ParseEvent::Failed { message: e.to_string() },
        };
    }
    match dump.status {
        DumpStatus::Failed => {
            ParseEvent::Failed { message: dump.error.unwrap_or_else(|| "Processing failed; try again.".into()) }
        }
        DumpStatus::Draft => ParseEvent::Cancelled,
        _ => {
            let new = review::new_projects(&dump.operations);
            for operation in &dump.operations {
                let home = review::home_label(operation, &dump.project_names, &new);
                emit(ParseEvent::Operation { operation: Box::new(operation.clone()), home });
            }
            ParseEvent::Done { id, operations: dump.operations.len() }
        }
    }
}

/// How long a page waits for processing started elsewhere before it gives up.
const WAIT_AT_MOST: Duration = Duration::from_secs(600);
/// How often a waiting page looks at the dump without being told it changed.
const LOOK_AGAIN: Duration = Duration::from_secs(60);

/// Until dump `id` changed status (or the notifications fell behind or stopped).
async fn changed(changes: &mut broadcast::Receiver<Uuid>, id: Uuid) {
    loop {
        match changes.recv().await {
            Ok(changed) if changed == id => return,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

async fn still(pool: &PgPool, user_id: Uuid, id: Uuid, status: DumpStatus) -> bool {
    service::get_dump(pool, user_id, id).await.is_ok_and(|d| d.status == status)
}

/// An error in words for the page (a field error's own message, not "invalid input").
fn message(e: Error) -> String {
    e.messages()
}
