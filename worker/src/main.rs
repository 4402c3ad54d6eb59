//! `worker`: background jobs over the same PostgreSQL (daily briefs, email, SMS).
//!
//! Until the job queue lands it keeps the database tidy: expired sessions and
//! old login attempts are removed every hour.

use anyhow::{Context, Result};
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<()> {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .context("connecting to PostgreSQL")?;
    let store = app::auth::session_store::PgSessionStore::new(pool.clone());
    tracing::info!("worker started");
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match store.delete_expired().await {
                    Ok(n) => tracing::info!(sessions.deleted = n, "expired sessions removed"),
                    Err(error) => tracing::warn!(%error, "could not remove expired sessions"),
                }
                if let Err(error) = sqlx::query("delete from login_attempts where created_at < now() - interval '1 day'").execute(&pool).await {
                    tracing::warn!(%error, "could not prune login attempts");
                }
            }
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("worker stopped");
    Ok(())
}
