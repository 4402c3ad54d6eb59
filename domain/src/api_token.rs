//! Personal access tokens for the API: made (shown once), listed, revoked, checked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a token is for, as its owner names it.
pub type TokenName = crate::text::Text<1, { crate::limits::TOKEN_NAME }>;

text_enum!(Scope {
    ReadWrite = "read_write" / "Read and write",
    Read = "read" / "Read only",
});

// text_enum! declares the enum, so `#[default]` cannot go on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Scope {
    fn default() -> Self {
        Scope::ReadWrite
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    pub scope: Scope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new token: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub token: String,
}

/// Who a valid token belongs to, and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOwner {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub scope: Scope,
}

#[cfg(feature = "server")]
pub mod service {
    use super::{ApiTokenInfo, NewApiToken, Scope, TokenName, TokenOwner};
    use crate::error::Error;
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    use sqlx::PgPool;
    use uuid::Uuid;

    /// Live tokens one person may have.
    pub const MAX_TOKENS: i64 = 20;

    /// What a token's hash is kept as.
    pub fn hash(token: &str) -> String {
        Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Make a token for `user_id`: `bos_` and 43 random URL-safe characters (256 bits).
    pub async fn create(pool: &PgPool, user_id: Uuid, name: &TokenName, scope: Scope) -> Result<NewApiToken, Error> {
        let name = name.to_string();
        let live: i64 = sqlx::query_scalar!(
            r#"select count(*) as "n!" from api_tokens where user_id = $1 and revoked_at is null"#,
            user_id
        )
        .fetch_one(pool)
        .await?;
        if live >= MAX_TOKENS {
            return Err(Error::field("name", format!("You have {MAX_TOKENS} tokens; revoke one first.")));
        }
        let bytes: [u8; 32] = rand::random();
        let token = format!("bos_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        let prefix: String = token.chars().take(10).collect();
        let id = sqlx::query_scalar!(
            "insert into api_tokens (user_id, name, token_hash, prefix, scope) values ($1, $2, $3, $4, $5) returning id",
            user_id,
            name,
            hash(&token),
            prefix,
            scope.as_str()
        )
        .fetch_one(pool)
        .await?;
        tracing::info!(user.id = %user_id, token.id = %id, "API token created");
        Ok(NewApiToken { id, name, scope, token })
    }

    pub async fn list(pool: &PgPool, user_id: Uuid) -> Result<Vec<ApiTokenInfo>, Error> {
        Ok(sqlx::query_as!(
            ApiTokenInfo,
            r#"select id, name, prefix, scope as "scope: _", created_at, last_used_at from api_tokens
             where user_id = $1 and revoked_at is null order by created_at desc"#,
            user_id
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn revoke(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<(), Error> {
        let n = sqlx::query!(
            "update api_tokens set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null",
            id,
            user_id
        )
        .execute(pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(Error::NotFound);
        }
        tracing::info!(user.id = %user_id, token.id = %id, "API token revoked");
        Ok(())
    }

    /// Who a bearer token belongs to (a live token) and its scope, noting
    /// when it was last used (at most once a minute, to keep reads cheap).
    pub async fn authenticate(pool: &PgPool, token: &str) -> Result<Option<TokenOwner>, Error> {
        let row = sqlx::query!(
            r#"with t as (
                 select id, user_id, scope, last_used_at from api_tokens where token_hash = $1 and revoked_at is null),
               touched as (
                 update api_tokens a set last_used_at = now() from t
                 where a.id = t.id and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute'))
               select id as "id!", user_id as "user_id!", scope as "scope!: Scope" from t"#,
            hash(token)
        )
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|r| TokenOwner { token_id: r.id, user_id: r.user_id, scope: r.scope }))
    }
}
