//! Who is asking: the pool, the session and the signed-in person of the current request.

use super::{SESSION_DAYS, USER_ID_KEY, User};
use crate::error::AppError;
use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use domain::account::service::Origin;
use domain::error::internal;
use leptos::prelude::use_context;
use sqlx::PgPool;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::{Expiry, Session};
use uuid::Uuid;

/// The pool, provided as context by the server for every request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| AppError(internal(anyhow::anyhow!("no PgPool in context"))))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError(internal(anyhow::anyhow!("session layer missing: {e}"))))
}

/// The client's address: the peer's, or the one a trusted proxy (TRUSTED_PROXIES) forwarded.
pub async fn client_ip() -> Option<IpAddr> {
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok()?.0.ip();
    let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
    Some(client_address_of(peer, &headers, &*settings().ok()?))
}

/// The client's address from `peer` and the forwarding header (believed from TRUSTED_PROXIES only).
pub fn client_address_of(peer: IpAddr, headers: &HeaderMap, settings: &domain::settings::Settings) -> IpAddr {
    let rfc7239 = settings.proxy_header_rfc7239;
    let name = if rfc7239 { "forwarded" } else { "x-forwarded-for" };
    let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
    domain::account::rate_limit::client_address(peer, &values, rfc7239, &settings.trusted_proxies)
}

/// The cookie that recognises a browser that signed in before (so that
/// someone else's failed guesses never lock it out).
pub const DEVICE_COOKIE: &str = "buildos_device";

/// Where this request comes from, for the login limits.
pub async fn origin() -> Origin {
    let device = leptos_axum::extract::<HeaderMap>().await.ok().and_then(|h| device_of(&h));
    Origin { ip: client_ip().await, device: device.map(|d| domain::account::rate_limit::device_digest(&d)) }
}

fn device_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| *k == DEVICE_COOKIE && v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(_, v)| v.to_string())
}

/// Give this browser a device cookie if it has none; the digest of its cookie.
pub async fn remember_device() -> Option<String> {
    let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
    if let Some(device) = device_of(&headers) {
        return Some(domain::account::rate_limit::device_digest(&device));
    }
    let device = uuid::Uuid::new_v4().simple().to_string();
    let secure = settings().ok().is_some_and(|s| s.cookie_secure);
    let cookie = format!(
        "{DEVICE_COOKIE}={device}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        400 * 24 * 3600,
        if secure { "; Secure" } else { "" }
    );
    if let (Some(res), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::HeaderValue::from_str(&cookie))
    {
        res.append_header(axum::http::header::SET_COOKIE, value);
    }
    Some(domain::account::rate_limit::device_digest(&device))
}

/// Sign `user_id` in on `session`: a fresh session id (no fixation), their id,
/// and what the list of signed-in browsers shows of it.
pub async fn begin_session(
    session: &Session,
    user_id: Uuid,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let internal = |e| AppError(internal(e));
    session.cycle_id().await.map_err(internal)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(internal)?;
    let user_agent: String = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_default();
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    let meta = serde_json::json!({ "signed_in_at": chrono::Utc::now(), "user_agent": user_agent, "ip": ip });
    session.insert("meta", meta).await.map_err(internal)?;
    Ok(())
}

/// The signed-in person, if any.
///
/// Sessions slide: when the stored expiry is more than a day old (under
/// `SESSION_DAYS - 1` days left), it is renewed, so an active person stays
/// signed in while the session row is written at most once a day.
pub async fn current(pool: &PgPool) -> Result<Option<User>, AppError> {
    current_in(pool, &session().await?).await
}

/// The signed-in person of `session` (for handlers outside server functions).
pub async fn current_in(pool: &PgPool, session: &Session) -> Result<Option<User>, AppError> {
    let Some(id) = session.get::<Uuid>(USER_ID_KEY).await.map_err(|e| AppError(internal(e)))? else {
        return Ok(None);
    };
    // Read with the session (one round trip), unless signed in during this request.
    let loaded = session
        .get::<domain::account::SessionUser>(super::LOADED_USER_KEY)
        .await
        .ok()
        .flatten()
        .filter(|l| l.user.id == id)
        .map(|l| (l.user, l.renew));
    let found = match loaded {
        Some(found) => Some(found),
        None => {
            let session_id = session.id().map(|i| i.to_string());
            domain::account::service::session_user(pool, id, session_id).await?
        }
    };
    let Some((user, renew)) = found else { return Ok(None) };
    if renew {
        session.set_expiry(Some(Expiry::OnInactivity(time::Duration::days(SESSION_DAYS))));
    }
    domain::error_log::note_user(user.id);
    Ok(Some(user))
}

/// The settings of this server, provided as context for every request.
pub fn settings() -> Result<std::sync::Arc<domain::settings::Settings>, AppError> {
    use_context::<std::sync::Arc<domain::settings::Settings>>()
        .ok_or_else(|| AppError(internal(anyhow::anyhow!("no Settings in context"))))
}

/// The pool and the signed-in person, or `Unauthorized`.
pub async fn require_user() -> Result<(PgPool, User), AppError> {
    let pool = pool()?;
    let user = current(&pool).await?.ok_or(AppError(domain::Error::Unauthorized))?;
    Ok((pool, user))
}
