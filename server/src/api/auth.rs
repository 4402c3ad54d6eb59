//! Bearer tokens on /api/v1: who is calling, and how fast they may.
//!
//! Only the `Authorization: Bearer` header counts here: session cookies are
//! never read on the API, so a browser's ambient cookies cannot write through
//! it; and pages never read tokens.

use super::problem::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use uuid::Uuid;

/// The person a valid token belongs to.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub id: Uuid,
    pub token_id: Uuid,
    pub scope: domain::api_token::Scope,
    pub timezone: String,
}

impl ApiUser {
    /// Today's date where this person is.
    pub fn today(&self) -> chrono::NaiveDate {
        domain::brain_dump::offline::dates::today_in(&self.timezone)
    }
}

/// Requests per minute per person, whatever token they use (API_RATE_PER_MINUTE, default 600).
#[derive(Clone)]
pub struct ApiLimiter(pub Arc<DefaultKeyedRateLimiter<Uuid>>);

impl ApiLimiter {
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).expect("at least one");
        ApiLimiter(Arc::new(RateLimiter::keyed(Quota::per_minute(n))))
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized =
            || ApiError::new(StatusCode::UNAUTHORIZED, "Send a valid token as Authorization: Bearer <token>.");
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or_else(unauthorized)?;
        let owner = domain::api_token::service::authenticate(&state.pool, token).await?.ok_or_else(unauthorized)?;
        let (token_id, user_id) = (owner.token_id, owner.user_id);
        // A read-only token reads: anything but GET is refused.
        if owner.scope == domain::api_token::Scope::Read
            && !matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "This token is read-only; make a read-and-write token to change things.",
            ));
        }
        if let Err(not_until) = state.api_limiter.0.check_key(&user_id) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(ApiError {
                retry_after: Some(wait.as_secs().max(1)),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests with this token; slow down.")
            });
        }
        let user = domain::account::service::get_user(&state.pool, user_id).await.map_err(|_| unauthorized())?;
        domain::error_log::note_user(user_id);
        Ok(ApiUser { id: user_id, token_id, scope: owner.scope, timezone: user.timezone })
    }
}
