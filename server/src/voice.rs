//! `POST /brain-dump/transcribe`: a recording from the brain-dump page (the
//! body, with the recording's own Content-Type) turned into text. Answers
//! `{"text": "…"}`, or a `domain::Error` as JSON (the same shape server
//! functions use) with the status that says what went wrong.

use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Error;

/// What the page may send: the service's limit, plus room for nothing else.
pub const LIMIT: usize = domain::brain_dump::voice::MAX_BYTES;

fn refuse(error: Error) -> Response {
    (crate::fn_errors::status_of(&error), Json(error)).into_response()
}

pub async fn transcribe(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match app::auth::request::current_in(&state.pool, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => return refuse(Error::Unauthorized),
        Err(e) => return refuse(e.0),
    };
    let Some(config) = &state.settings.transcription else {
        return (StatusCode::NOT_FOUND, Json(Error::NotFound)).into_response();
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    match domain::brain_dump::voice::transcribe(&state.pool, user.id, config, content_type, body.into()).await {
        Ok(text) => Json(serde_json::json!({ "text": text })).into_response(),
        Err(error) => refuse(error),
    }
}
