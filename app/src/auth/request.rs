//! Who is asking: the pool, the session and the signed-in person of the current request.

use super::{USER_ID_KEY, User};
use crate::error::{AppError, internal};
use axum::extract::ConnectInfo;
use leptos::prelude::use_context;
use sqlx::PgPool;
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;
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
pub async fn current(pool: &PgPool) -> Result<Option<User>, AppError> {
    let session = session().await?;
    let Some(id) = session.get::<Uuid>(USER_ID_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    let user = sqlx::query_as!(User, "select id, email, display_name, timezone from users where id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(user)
}

/// The pool and the signed-in person, or `Unauthorized`.
pub async fn require_user() -> Result<(PgPool, User), AppError> {
    let pool = pool()?;
    let user = current(&pool).await?.ok_or(AppError::Unauthorized)?;
    Ok((pool, user))
}
