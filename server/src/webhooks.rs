//! Endpoints other systems call: Twilio's delivery-status webhook (signed),
//! Stripe's events (signed),
//! Google Calendar's push notifications (channel token) and RFC 8058
//! one-click unsubscribe (the link itself is signed).

use crate::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// `POST /webhooks/twilio/status`: a message's delivery status. The
/// X-Twilio-Signature must sign our public URL of this endpoint and the body.
pub async fn twilio_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<Vec<(String, String)>>,
) -> Response {
    let Some(token) = state.settings.twilio_auth_token.as_ref().map(|t| t.expose().clone()) else {
        return (StatusCode::NOT_FOUND, "Twilio is not configured.").into_response();
    };
    let url = format!("{}/webhooks/twilio/status", state.settings.public_base_url);
    let signature = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !domain::notify::sms::verify_signature(&token, &url, &params, signature) {
        tracing::warn!("Twilio webhook with a bad signature refused");
        return (StatusCode::FORBIDDEN, "Bad signature.").into_response();
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (Some(sid), Some(status)) = (get("MessageSid"), get("MessageStatus")) else {
        return (StatusCode::BAD_REQUEST, "MessageSid and MessageStatus are required.").into_response();
    };
    match domain::notify::sms::record_status(&state.pool, sid, status).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::warn!(%error, "recording an SMS status failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /unsubscribe/one-click?token=`: a person following the header's link: the page asks first.
pub async fn one_click_page(Query(q): Query<TokenQuery>) -> Redirect {
    Redirect::to(&format!("/unsubscribe?token={}", urlencode(&q.token)))
}

/// `POST /unsubscribe/one-click?token=` with `List-Unsubscribe=One-Click`: mail clients unsubscribing.
pub async fn one_click(State(state): State<AppState>, Query(q): Query<TokenQuery>) -> Response {
    let (pool, key) = (&state.pool, state.settings.secret_key.as_ref().map(|k| k.expose().as_str()));
    let user_id = match domain::brief::service::unsubscribe_user(pool, key, &q.token).await {
        Ok(id) => id,
        Err(_) => return (StatusCode::BAD_REQUEST, "This unsubscribe link is not valid.").into_response(),
    };
    match domain::brief::service::unsubscribe(pool, user_id).await {
        Ok(()) => (StatusCode::OK, "Unsubscribed.").into_response(),
        Err(error) => {
            tracing::warn!(%error, "one-click unsubscribe failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_').collect()
}

/// `POST /webhooks/google/calendar`: Google's push notification that a
/// watched calendar changed. The channel id and its token (X-Goog-Channel-ID,
/// X-Goog-Channel-Token) must be one of ours, compared in constant time; the
/// answer comes at once, the sync runs in the worker (one, however many
/// notifications arrive before it starts).
pub async fn google_calendar(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (channel, token) = (header("x-goog-channel-id"), header("x-goog-channel-token"));
    match domain::calendar::channels::notified(&state.pool, channel, token).await {
        Ok(true) => StatusCode::OK.into_response(),
        Ok(false) => {
            tracing::warn!(channel, "Google Calendar notification with an unknown channel or a bad token refused");
            (StatusCode::FORBIDDEN, "Unknown channel.").into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "a Google Calendar notification could not be handled");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /webhooks/stripe`: a Stripe event. The Stripe-Signature header must
/// sign the body exactly as received, within five minutes; each event id is
/// applied once (a replay answers 200 and changes nothing). Not found when
/// billing is off.
pub async fn stripe(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    use domain::billing::service::{Received, WebhookError, receive};
    let Some(config) = state.settings.billing.as_ref() else {
        return (StatusCode::NOT_FOUND, "Billing is not enabled on this server.").into_response();
    };
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    match receive(&state.pool, config, signature, &body).await {
        Ok(Received::Applied) => (StatusCode::OK, "Applied.").into_response(),
        Ok(Received::Replayed) => (StatusCode::OK, "Already applied.").into_response(),
        Err(WebhookError::Signature(e)) => {
            tracing::warn!(error = %e, "Stripe webhook refused");
            (StatusCode::BAD_REQUEST, "Bad signature.").into_response()
        }
        Err(WebhookError::Malformed(what)) => {
            tracing::warn!(what, "Stripe webhook with a body we cannot read");
            (StatusCode::BAD_REQUEST, "Not a Stripe event.").into_response()
        }
        // Not noted as applied: Stripe's retry applies it.
        Err(WebhookError::Failed(error)) => {
            tracing::warn!(%error, "a Stripe event could not be applied; Stripe will send it again");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
