//! Who is asking: the pool, the session and the signed-in person of the current request.

use super::{SESSION_DAYS, USER_ID_KEY, User};
use crate::error::{AppError, internal};
use axum::extract::ConnectInfo;
use leptos::prelude::use_context;
use sqlx::PgPool;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::{Expiry, Session};
use uuid::Uuid;

/// The pool, provided as context by the server for every request.
pub fn pool() -> Result<PgPool, AppError> {
    use_context::<PgPool>().ok_or_else(|| internal(anyhow::anyhow!("no PgPool in context")))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| internal(anyhow::anyhow!("session layer missing: {e}")))
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
    let Some(id) = session.get::<Uuid>(USER_ID_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    let session_id = session.id().map(|i| i.to_string());
    let row = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.timezone,
                  (select s.expires_at < now() + make_interval(days => $3::int - 1)
                     from sessions s where s.id = $2) as renew
           from users u where u.id = $1"#,
        id,
        session_id,
        SESSION_DAYS as i32
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if row.renew == Some(true) {
        session.set_expiry(Some(Expiry::OnInactivity(time::Duration::days(SESSION_DAYS))));
    }
    Ok(Some(User { id: row.id, email: row.email, display_name: row.display_name, timezone: row.timezone }))
}

/// The pool and the signed-in person, or `Unauthorized`.
pub async fn require_user() -> Result<(PgPool, User), AppError> {
    let pool = pool()?;
    let user = current(&pool).await?.ok_or(AppError::Unauthorized)?;
    Ok((pool, user))
}
