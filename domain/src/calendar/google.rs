//! A person's Google Calendar connection: its tokens, encrypted at rest
//! (XChaCha20-Poly1305 with ENCRYPTION_KEY, bound to the person), a fresh
//! access token when the old one expires, "needs reconnecting" when Google
//! answers invalid_grant, and disconnecting (the token revoked at Google).

use crate::account::google::{self, GoogleConfig, RefreshError, Tokens};
use crate::db::begin_as;
use crate::error::{Error, internal};
use crate::jobs::Job as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sqlx::PgPool;
use uuid::Uuid;

pub use super::model::GoogleConnection as Connection;

/// `plain` encrypted for `user_id`: a random nonce, then the ciphertext.
pub fn seal(key: &[u8; 32], user_id: Uuid, plain: &str) -> Result<Vec<u8>, Error> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: user_id.as_bytes() })
        .map_err(|_| internal(anyhow::anyhow!("encryption failed")))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// What [`seal`] made for `user_id`, or an error (another key, another person, tampered).
pub fn open(key: &[u8; 32], user_id: Uuid, sealed: &[u8]) -> Result<String, Error> {
    if sealed.len() < 24 {
        return Err(internal(anyhow::anyhow!("a sealed token is too short")));
    }
    let (nonce, body) = sealed.split_at(24);
    let plain = XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: user_id.as_bytes() })
        .map_err(|_| internal(anyhow::anyhow!("a stored token could not be decrypted (ENCRYPTION_KEY changed?)")))?;
    String::from_utf8(plain).map_err(internal)
}

fn expiry(tokens: &Tokens) -> Option<chrono::DateTime<chrono::Utc>> {
    // A minute early, so a token is never used as it runs out.
    let secs = tokens.expires_in?.as_secs().saturating_sub(60);
    Some(chrono::Utc::now() + chrono::Duration::seconds(i64::try_from(secs).ok()?))
}

/// Keep the connection Google just gave `user_id` (a refresh token is needed).
pub async fn save(
    pool: &PgPool,
    key: &[u8; 32],
    user_id: Uuid,
    google_email: &str,
    tokens: &Tokens,
) -> Result<(), Error> {
    let refresh = tokens.refresh_token.as_deref().ok_or_else(|| {
        Error::Upstream(
            "Google gave no lasting access; remove BuildOS from your Google account's apps and connect again.".into(),
        )
    })?;
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "insert into google_connections (user_id, google_email, refresh_token, access_token, access_expires_at)
         values ($1, $2, $3, $4, $5)
         on conflict (user_id) do update set google_email = $2, refresh_token = $3, access_token = $4,
           access_expires_at = $5, status = 'connected', connected_at = now()",
        user_id,
        google_email,
        seal(key, user_id, refresh)?,
        seal(key, user_id, &tokens.access_token)?,
        expiry(tokens)
    )
    .execute(&mut *tx)
    .await?;
    // The calendar list is read, and the chosen calendars synced, by the worker.
    crate::jobs::GoogleJob::Calendars { user_id }.enqueue(&mut tx).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "Google Calendar connected");
    Ok(())
}

/// The connection of `user_id`, if there is one.
pub async fn connection(pool: &PgPool, user_id: Uuid) -> Result<Option<Connection>, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let found = connection_in(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(found)
}

/// The same, in the caller's transaction.
pub async fn connection_in(tx: &mut sqlx::PgConnection, user_id: Uuid) -> Result<Option<Connection>, Error> {
    let row = sqlx::query!(
        r#"select google_email, status = 'needs_reconnect' as "needs_reconnect!", connected_at
           from google_connections where user_id = $1"#,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let calendars = super::sync::calendars(&mut *tx, user_id).await?;
    Ok(Some(Connection {
        google_email: row.google_email,
        needs_reconnect: row.needs_reconnect,
        connected_at: row.connected_at,
        calendars,
    }))
}

/// An access token for `user_id`'s calendars: the stored one while it lasts,
/// else a fresh one. When Google refuses the refresh token (invalid_grant),
/// the connection is marked "needs reconnecting" and the answer says so.
pub async fn access_token(
    pool: &PgPool,
    key: &[u8; 32],
    config: &GoogleConfig,
    user_id: Uuid,
) -> Result<String, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select refresh_token, access_token, access_expires_at > now() as "fresh?", status
           from google_connections where user_id = $1"#,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    tx.commit().await?;
    if row.status == "needs_reconnect" {
        return Err(Error::Conflict(NEEDS_RECONNECT.into()));
    }
    if let (Some(sealed), Some(true)) = (&row.access_token, row.fresh) {
        return open(key, user_id, sealed);
    }
    let refresh = open(key, user_id, &row.refresh_token)?;
    match google::refresh(config, &refresh).await {
        Ok(tokens) => {
            let mut tx = begin_as(pool, user_id).await?;
            sqlx::query!(
                "update google_connections set access_token = $2, access_expires_at = $3,
                        refresh_token = coalesce($4, refresh_token)
                 where user_id = $1",
                user_id,
                seal(key, user_id, &tokens.access_token)?,
                expiry(&tokens),
                tokens.refresh_token.as_deref().map(|r| seal(key, user_id, r)).transpose()?
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(tokens.access_token)
        }
        Err(RefreshError::InvalidGrant) => {
            let mut tx = begin_as(pool, user_id).await?;
            sqlx::query!(
                "update google_connections set status = 'needs_reconnect', access_token = null where user_id = $1",
                user_id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(user.id = %user_id, "Google refused the refresh token; the calendar needs reconnecting");
            Err(Error::Conflict(NEEDS_RECONNECT.into()))
        }
        Err(RefreshError::Other(e)) => Err(e),
    }
}

/// Forget the stored access token (Google refused it before it expired):
/// the next call refreshes it.
pub async fn forget_access_token(pool: &PgPool, user_id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "update google_connections set access_token = null, access_expires_at = null where user_id = $1",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a person whose connection lapsed is told.
pub const NEEDS_RECONNECT: &str = "Google Calendar needs reconnecting: Google no longer accepts BuildOS's access.";

/// Disconnect: the access is revoked at Google (a failure there is logged:
/// the person can also remove it in their Google account) and forgotten here.
pub async fn disconnect(pool: &PgPool, key: &[u8; 32], config: &GoogleConfig, user_id: Uuid) -> Result<(), Error> {
    // Push channels stop first, while the access lasts (a failure is logged:
    // an unstopped channel expires within a week, and its notifications find nothing).
    let stopped = async {
        let api = super::google_api::Api::new(&config.calendar_api, &access_token(pool, key, config, user_id).await?)?;
        super::channels::stop_all(pool, &api, user_id).await
    };
    if let Err(error) = stopped.await {
        tracing::warn!(%error, user.id = %user_id, "Google push channels could not be stopped");
    }
    let mut tx = begin_as(pool, user_id).await?;
    // Tasks keep their times; their events stay in Google as the person's own.
    sqlx::query!("delete from task_events where user_id = $1", user_id).execute(&mut *tx).await?;
    let sealed =
        sqlx::query_scalar!("delete from google_connections where user_id = $1 returning refresh_token", user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    tx.commit().await?;
    match open(key, user_id, &sealed) {
        Ok(token) => {
            if let Err(error) = google::revoke(config, &token).await {
                tracing::warn!(%error, user.id = %user_id, "the Google token could not be revoked");
            }
        }
        Err(error) => tracing::warn!(%error, user.id = %user_id, "the Google token could not be read to revoke it"),
    }
    tracing::info!(user.id = %user_id, "Google Calendar disconnected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_person() {
        let (key, other_key) = ([7u8; 32], [8u8; 32]);
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = seal(&key, ada, "1//refresh-token").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"refresh"), "not stored in the clear");
        assert_eq!(open(&key, ada, &sealed).unwrap(), "1//refresh-token");
        assert!(open(&other_key, ada, &sealed).is_err());
        assert!(open(&key, bob, &sealed).is_err(), "bound to its person");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&key, ada, &tampered).is_err());
    }
}
