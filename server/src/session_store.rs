//! tower-sessions storage in PostgreSQL, so any server process can serve any request.

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn parts(record: &Record) -> Result<(String, Option<Uuid>, serde_json::Value, chrono::DateTime<chrono::Utc>)> {
    let mut data = record.data.clone();
    data.remove(app::auth::LOADED_USER_KEY);
    let data = serde_json::to_value(&data).map_err(|e| Error::Encode(e.to_string()))?;
    let user_id = record.data.get(app::auth::USER_ID_KEY).and_then(|v| serde_json::from_value::<Uuid>(v.clone()).ok());
    let expires = chrono::DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0)
        .ok_or_else(|| Error::Encode("expiry out of range".into()))?;
    Ok((record.id.to_string(), user_id, data, expires))
}

impl PgSessionStore {
    /// Insert a new session (never over another one) or update an existing
    /// one (never bringing back a deleted one); whether a row was written.
    async fn write(&self, record: &Record, new: bool) -> Result<bool> {
        let (id, user_id, data, expires) = parts(record)?;
        let written = sqlx::query_scalar!(
            r#"with updated as (
                 update sessions set user_id = $2, data = $3, expires_at = $4 where id = $1 and not $5 returning 1),
               inserted as (
                 insert into sessions (id, user_id, data, expires_at) select $1, $2, $3, $4 where $5
                 on conflict (id) do nothing returning 1)
               select (select count(*) from updated) + (select count(*) from inserted) as "n!""#,
            id,
            user_id,
            data,
            expires,
            new
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(written == 1)
    }
}

#[async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely, but
        // never overwrite another person's session if it happens.
        while !self.write(record, true).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    /// Update only: a session deleted meanwhile (logged out elsewhere, or by
    /// a request that raced this one) must not come back.
    async fn save(&self, record: &Record) -> Result<()> {
        self.write(record, false).await.map(drop)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        // The session's person comes with it: one round trip for both.
        let row = domain::account::service::load_session(&self.pool, &id.to_string()).await.map_err(backend)?;
        let Some((data, expires_at, user)) = row else { return Ok(None) };
        let mut data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_value(data).map_err(|e| Error::Decode(e.to_string()))?;
        data.remove(app::auth::LOADED_USER_KEY);
        if let Some(user) = user {
            let user = serde_json::to_value(user).map_err(|e| Error::Decode(e.to_string()))?;
            data.insert(app::auth::LOADED_USER_KEY.into(), user);
        }
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query!("delete from sessions where id = $1", id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
