//! Brief status changes to the browser: PostgreSQL NOTIFY (sent by the worker
//! and the web in the transaction that changes a brief) → the server's one
//! LISTEN connection ([`super::Bus`]) → each person's open pages, as server-sent events.

use app::auth::request::current_in;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use std::time::Duration;
use tokio::sync::broadcast;
use tower_sessions::Session;
use uuid::Uuid;

/// A brief changed: whose, and the JSON payload ({user_id, brief_id, status}).
#[derive(Debug, Clone)]
pub struct BriefChanged {
    pub user_id: Uuid,
    pub payload: String,
}

/// `GET /briefs/events`: this person's brief changes, as `brief` events.
pub async fn events(
    State(pool): State<PgPool>,
    State(bus): State<super::Bus>,
    State(streams): State<super::Streams>,
    session: Session,
) -> Response {
    let user = match current_in(&pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "Log in first.").into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let user_id = user.id;
    let Some(slot) = streams.open(user_id) else { return super::too_many() };
    // The stream holds its slot; it ends after an hour (the browser reconnects).
    let stream = futures::stream::unfold((bus.briefs.subscribe(), slot), move |(mut rx, slot)| async move {
        loop {
            match rx.recv().await {
                Ok(change) if change.user_id == user_id => {
                    let event = Event::default().event("brief").data(change.payload);
                    return Some((Ok::<_, std::convert::Infallible>(event), (rx, slot)));
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures::StreamExt::take_until(stream, tokio::time::sleep(Duration::from_secs(3600)));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response()
}
