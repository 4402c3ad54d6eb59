//! Personal access tokens for the JSON API: made and revoked on the profile page.

use crate::components::{Empty, loaded};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {crate::auth::request::require_user, domain::api_token::service};

pub use domain::api_token::{ApiTokenInfo, NewApiToken};

#[server(endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::list(&pool, user.id).await?)
}

#[server(endpoint = "create_api_token")]
pub async fn create_api_token(
    #[server(default)] name: String,
    #[server(default)] scope: String,
) -> Result<NewApiToken, AppError> {
    let (pool, user) = require_user().await?;
    let echo = [("name", name.as_str())];
    let parsed =
        domain::api_token::TokenName::parse(&name, "Name").map_err(|m| AppError::field("name", m).with_input(echo))?;
    let scope = match scope.trim() {
        "" => domain::api_token::Scope::ReadWrite,
        s => domain::api_token::Scope::parse(s)
            .ok_or_else(|| AppError::field("scope", "Choose read only, or read and write."))?,
    };
    service::create(&pool, user.id, &parsed, scope).await.map_err(|e| AppError(e).with_input(echo))
}

#[server(endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::revoke(&pool, user.id, crate::forms::id(&id)?).await?)
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
            <a class="link" href="/api/v1/docs">"JSON API"</a> ", or to the MCP server at " <code>"/mcp"</code>
            " so an AI assistant can search, read and (with a read-and-write token) add to your BuildOS."
        </p>
        <ActionForm action=create attr:class="card max-w-lg space-y-2" attr:novalidate=true>
            <label class="label" for="token-name">"Name"</label>
            <div class="flex flex-wrap gap-2">
                <input id="token-name" name="name" class="input flex-1" placeholder="e.g. my backup script" maxlength="100" />
                <label class="sr-only" for="token-scope">"Access"</label>
                <select id="token-scope" name="scope" class="input w-auto">
                    <option value="read_write">"Read and write"</option>
                    <option value="read">"Read only"</option>
                </select>
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
                                <span class="text-xs text-slate-600">{t.scope.label()}</span>
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
