//! Sign in with Google: `GET /auth/google` sends the person to Google's
//! consent page (PKCE, state and nonce kept in their session);
//! `GET /auth/google/callback` brings them back signed in, or to
//! `/login/google` to link an existing account by its password.

use crate::AppState;
use app::auth::request::{begin_session, client_address_of, current_in};
use app::auth::{GOOGLE_LINK_KEY, USER_ID_KEY};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Error;
use domain::account::google::{self, Outcome, Pending};
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

const PENDING_KEY: &str = "google_pending";

fn callback_url(state: &AppState) -> String {
    format!("{}/auth/google/callback", state.settings.public_base_url)
}

/// Back to the login page with a reason (a fixed word: no text from the address is shown).
fn failed(reason: &str) -> Response {
    Redirect::to(&format!("/login?google={reason}")).into_response()
}

pub async fn start(State(state): State<AppState>, session: Session) -> Response {
    begin(&state, &session, false).await
}

/// `GET /auth/google/calendar`: connect Google Calendar (signed in, with ENCRYPTION_KEY set).
pub async fn start_calendar(State(state): State<AppState>, session: Session) -> Response {
    if !matches!(current_in(&state.pool, &session).await, Ok(Some(_))) {
        return Redirect::to("/login?next=%2Fprofile").into_response();
    }
    if state.settings.encryption_key.is_none() {
        return Redirect::to("/profile?calendar=off#google-calendar").into_response();
    }
    begin(&state, &session, true).await
}

async fn begin(state: &AppState, session: &Session, calendar: bool) -> Response {
    let Some(config) = &state.settings.google else { return failed("off") };
    match google::start(config, &callback_url(state), calendar).await {
        Ok((url, pending)) => match session.insert(PENDING_KEY, pending).await {
            Ok(()) => Redirect::to(&url).into_response(),
            Err(error) => {
                tracing::warn!(%error, "Google sign-in: the session could not be written");
                failed("failed")
            }
        },
        Err(_) => failed("unreachable"),
    }
}

#[derive(Deserialize)]
pub struct Back {
    code: Option<String>,
    state: Option<String>,
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(back): Query<Back>,
) -> Response {
    let Some(config) = &state.settings.google else { return failed("off") };
    // Used once: a replayed callback finds nothing.
    let pending = session.remove::<Pending>(PENDING_KEY).await.ok().flatten();
    let (Some(pending), Some(code), Some(returned)) = (pending, back.code, back.state) else {
        return failed("failed");
    };
    let calendar = pending.calendar;
    let (identity, tokens) = match google::finish(config, &callback_url(&state), pending, &code, &returned).await {
        Ok(found) => found,
        Err(Error::Forbidden) => return failed("failed"),
        Err(_) => return failed("unreachable"),
    };
    let signed_in = current_in(&state.pool, &session).await.ok().flatten().map(|u| u.id);
    if calendar {
        let (Some(user_id), Some(key)) = (signed_in, &state.settings.encryption_key) else { return failed("failed") };
        let email = identity.email.clone().unwrap_or_default();
        return match domain::calendar::google::save(&state.pool, key.expose(), user_id, &email, &tokens).await {
            Ok(()) => Redirect::to("/profile?calendar=connected#google-calendar").into_response(),
            Err(error) => {
                tracing::warn!(%error, "Google Calendar: the connection could not be kept");
                Redirect::to("/profile?calendar=failed#google-calendar").into_response()
            }
        };
    }
    match google::resolve(&state.pool, &state.settings.admin_emails, &identity, signed_in).await {
        Ok(Outcome::SignIn(user_id)) => {
            let already = session.get::<uuid::Uuid>(USER_ID_KEY).await.ok().flatten() == Some(user_id);
            if !already {
                let ip = client_address_of(peer.ip(), &headers, &state.settings);
                if begin_session(&session, user_id, &headers, Some(ip)).await.is_err() {
                    return failed("failed");
                }
            }
            tracing::info!(user.id = %user_id, "signed in with Google");
            Redirect::to(if signed_in.is_some() { "/profile?google=linked" } else { "/" }).into_response()
        }
        Ok(Outcome::NeedsPassword(_)) => match session.insert(GOOGLE_LINK_KEY, &identity).await {
            Ok(()) => Redirect::to("/login/google").into_response(),
            Err(_) => failed("failed"),
        },
        // The Google account is another person's here: the signed-in person stays who they are.
        Err(Error::Forbidden) => Redirect::to("/profile?google=taken#google").into_response(),
        Err(Error::Conflict(_)) => failed("unverified"),
        Err(_) => failed("failed"),
    }
}
