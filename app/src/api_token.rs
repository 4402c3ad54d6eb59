//! Personal access tokens for the JSON API: made and revoked on the profile page.

use crate::components::{Empty, loaded};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use crate::auth::request::require_user;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new token: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

#[cfg(feature = "ssr")]
pub mod service {
    use super::{ApiTokenInfo, NewApiToken};
    use crate::error::AppError;
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

    pub fn check_name(name: &str) -> Result<String, AppError> {
        let name = name.trim();
        match name.chars().count() {
            0 => Err(AppError::field("name", "Give the token a name, such as the script that uses it.")),
            n if n > 100 => Err(AppError::field("name", "A token name has at most 100 characters.")),
            _ => Ok(name.to_string()),
        }
    }

    /// Make a token for `user_id`: `bos_` and 43 random URL-safe characters (256 bits).
    pub async fn create(pool: &PgPool, user_id: Uuid, name: &str) -> Result<NewApiToken, AppError> {
        let name = check_name(name)?;
        let live: i64 = sqlx::query_scalar!(
            r#"select count(*) as "n!" from api_tokens where user_id = $1 and revoked_at is null"#,
            user_id
        )
        .fetch_one(pool)
        .await?;
        if live >= MAX_TOKENS {
            return Err(AppError::field("name", format!("You have {MAX_TOKENS} tokens; revoke one first.")));
        }
        let bytes: [u8; 32] = rand::random();
        let token = format!("bos_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
        let prefix: String = token.chars().take(10).collect();
        let id = sqlx::query_scalar!(
            "insert into api_tokens (user_id, name, token_hash, prefix) values ($1, $2, $3, $4) returning id",
            user_id,
            name,
            hash(&token),
            prefix
        )
        .fetch_one(pool)
        .await?;
        tracing::info!(user.id = %user_id, token.id = %id, "API token created");
        Ok(NewApiToken { id, name, token })
    }

    pub async fn list(pool: &PgPool, user_id: Uuid) -> Result<Vec<ApiTokenInfo>, AppError> {
        Ok(sqlx::query_as!(
            ApiTokenInfo,
            "select id, name, prefix, created_at, last_used_at from api_tokens
             where user_id = $1 and revoked_at is null order by created_at desc",
            user_id
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn revoke(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<(), AppError> {
        let n = sqlx::query!(
            "update api_tokens set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null",
            id,
            user_id
        )
        .execute(pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::NotFound);
        }
        tracing::info!(user.id = %user_id, token.id = %id, "API token revoked");
        Ok(())
    }

    /// Who a bearer token belongs to (a live token), noting when it was last
    /// used (at most once a minute, to keep reads cheap).
    pub async fn authenticate(pool: &PgPool, token: &str) -> Result<Option<(Uuid, Uuid)>, AppError> {
        let row = sqlx::query!(
            r#"with t as (
                 select id, user_id, last_used_at from api_tokens where token_hash = $1 and revoked_at is null),
               touched as (
                 update api_tokens a set last_used_at = now() from t
                 where a.id = t.id and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute'))
               select id as "id!", user_id as "user_id!" from t"#,
            hash(token)
        )
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|r| (r.id, r.user_id)))
    }
}

#[server(endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let (pool, user) = require_user().await?;
    service::list(&pool, user.id).await
}

#[server(endpoint = "create_api_token")]
pub async fn create_api_token(#[server(default)] name: String) -> Result<NewApiToken, AppError> {
    let (pool, user) = require_user().await?;
    service::create(&pool, user.id, &name).await.map_err(|e| e.with_input([("name", name.as_str())]))
}

#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    service::revoke(&pool, user.id, crate::forms::id(&id)?).await
}

/// The API tokens section of the profile page.
#[component]
pub fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    let fresh = move || create.value().get().and_then(Result::ok);
    let error = move || create.value().get().and_then(Result::err).and_then(|e| e.field_message("name"));
    view! {
        <h2 id="api" class="section-title mt-8">"API tokens"</h2>
        <p class="mb-2 max-w-lg text-sm text-slate-600">
            "For scripts and other tools: send one as " <code>"Authorization: Bearer …"</code> " to the "
            <a class="link" href="/api/v1/docs">"JSON API"</a> "."
        </p>
        <ActionForm action=create attr:class="card max-w-lg space-y-2" attr:novalidate=true>
            <label class="label" for="token-name">"Name"</label>
            <div class="flex gap-2">
                <input id="token-name" name="name" class="input flex-1" placeholder="e.g. my backup script" maxlength="100" />
                <button type="submit" class="btn-primary">"Create token"</button>
            </div>
            {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {move || fresh().map(|t| view! {
                <div class="banner" role="status">
                    <p>{format!("Token “{}” created. Copy it now: it is not shown again.", t.name)}</p>
                    <code class="block break-all" data-testid="new-token">{t.token}</code>
                </div>
            })}
        </ActionForm>
        {loaded(tokens, move |list: Vec<ApiTokenInfo>| {
            if list.is_empty() {
                return view! { <Empty><p>"No tokens yet."</p></Empty> }.into_any();
            }
            view! {
                <ul class="card mt-3 max-w-lg divide-y divide-slate-100">
                    {list.into_iter().map(|t| {
                        let used = t.last_used_at.map(|d| format!("last used {}", d.format("%Y-%m-%d %H:%M"))).unwrap_or_else(|| "never used".into());
                        view! {
                            <li class="flex flex-wrap items-center gap-2 py-2 text-sm">
                                <span class="font-semibold">{t.name}</span>
                                <code class="text-xs text-slate-500">{format!("{}…", t.prefix)}</code>
                                <span class="text-xs text-slate-500">{used}</span>
                                <ActionForm action=revoke attr:class="ml-auto">
                                    <input type="hidden" name="id" value=t.id.to_string() />
                                    <button type="submit" class="btn">"Revoke"</button>
                                </ActionForm>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        })}
    }
}
