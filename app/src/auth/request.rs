//! Who is asking: the pool, the session and the signed-in person of the current request.

use super::{SESSION_DAYS, USER_ID_KEY, User};
use crate::error::AppError;
use axum::extract::ConnectInfo;
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

/// The peer address (the server runs with connect info).
pub async fn client_ip() -> Option<IpAddr> {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|c| c.0.ip())
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
    let session_id = session.id().map(|i| i.to_string());
    let Some((user, renew)) = domain::account::service::session_user(pool, id, session_id).await? else {
        return Ok(None);
    };
    if renew {
        session.set_expiry(Some(Expiry::OnInactivity(time::Duration::days(SESSION_DAYS))));
    }
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
