//! Give server-function errors their proper HTTP status.
//!
//! server_fn answers every error with 500; we read our own `domain::Error` back
//! from the body and use 400, 401, 403, 404, 409 or 429 where that is what
//! happened, so logs, metrics and scripts see the truth.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use domain::Error;

/// Errors are small; anything larger is left as it is.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn status_from_app_error(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<Error>(&bytes) {
        parts.status = status_of(&error);
    }
    Response::from_parts(parts, Body::from(bytes))
}

pub fn status_of(error: &Error) -> StatusCode {
    match error {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Unauthorized => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::Validation(_) | Error::Transport(_) => StatusCode::BAD_REQUEST,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        Error::Upstream(_) => StatusCode::BAD_GATEWAY,
        Error::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
