//! Sign in with Google (OpenID Connect: authorization code with PKCE, state
//! and nonce checked, the id token's signature, issuer, audience and expiry
//! verified against the provider's published keys).
//!
//! Who a Google identity is: the account it was linked to; else, for a signed-in
//! person, theirs (when Google says the address is verified); else an account
//! with that address, only once the person enters its password (and Google
//! says the address is verified); else a new account.

use super::password;
use super::service::Origin;
use crate::error::{Error, internal};
use crate::settings::Secret;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// PUBLIC_GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (the original's names);
/// GOOGLE_ISSUER (https://accounts.google.com) and GOOGLE_CALENDAR_API
/// (https://www.googleapis.com/calendar/v3) for a stand-in provider.
#[derive(Clone, Debug)]
pub struct GoogleConfig {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub issuer: String,
    pub calendar_api: String,
}

/// What a sign-in in progress keeps in the session until Google sends the person back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// Connecting Google Calendar (its scope, offline access), not signing in.
    pub calendar: bool,
}

/// Google Calendar's scope: read the calendars, write events.
pub const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";

/// The tokens Google gave for calendar access.
#[derive(Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<std::time::Duration>,
}

/// Who Google says the person is (from a verified id token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

fn http() -> Result<openidconnect::reqwest::Client, Error> {
    // No redirects: a provider's answer is taken as it is (SSRF hardening, as the crate advises).
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(internal)
}

fn upstream(what: &str, e: impl std::fmt::Display) -> Error {
    tracing::warn!(error = %e, "Google sign-in: {what}");
    Error::Upstream(format!("Signing in with Google did not work ({what}). Try again, or log in with your password."))
}

/// What discovery tells besides the standard: where tokens are revoked.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Revocation {
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}
impl openidconnect::AdditionalProviderMetadata for Revocation {}

type Metadata = openidconnect::ProviderMetadata<
    Revocation,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

async fn metadata(config: &GoogleConfig) -> Result<Metadata, Error> {
    let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| upstream("the issuer address", e))?;
    Metadata::discover_async(issuer, &http()?).await.map_err(|e| upstream("discovery", e))
}

/// Why a refresh failed.
#[derive(Debug)]
pub enum RefreshError {
    /// Google no longer accepts the refresh token (revoked, expired): reconnect.
    InvalidGrant,
    Other(Error),
}

/// A fresh access token from `refresh_token`.
pub async fn refresh(config: &GoogleConfig, refresh_token: &str) -> Result<Tokens, RefreshError> {
    use openidconnect::{OAuth2TokenResponse, RefreshToken, RequestTokenError};
    let meta = metadata(config).await.map_err(RefreshError::Other)?;
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.expose().clone())),
    );
    let http = http().map_err(RefreshError::Other)?;
    let token = RefreshToken::new(refresh_token.to_string());
    let answer = client
        .exchange_refresh_token(&token)
        .map_err(|e| RefreshError::Other(upstream("the token address", e)))?
        .request_async(&http)
        .await;
    match answer {
        Ok(t) => Ok(Tokens {
            access_token: t.access_token().secret().clone(),
            refresh_token: t.refresh_token().map(|r| r.secret().clone()),
            expires_in: t.expires_in(),
        }),
        Err(RequestTokenError::ServerResponse(e))
            if *e.error() == openidconnect::core::CoreErrorResponseType::InvalidGrant =>
        {
            Err(RefreshError::InvalidGrant)
        }
        Err(e) => Err(RefreshError::Other(upstream("refreshing calendar access", e))),
    }
}

/// Tell Google to forget `token` (a refresh token: every access token it gave goes too).
pub async fn revoke(config: &GoogleConfig, token: &str) -> Result<(), Error> {
    let meta = metadata(config).await?;
    let Some(endpoint) = meta.additional_metadata().revocation_endpoint.clone() else {
        return Err(upstream("no revocation address", "missing"));
    };
    let status = http()?
        .post(endpoint)
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| upstream("revoking access", e))?
        .status();
    if status.is_success() { Ok(()) } else { Err(upstream("revoking access", status)) }
}

/// Where to send the person (Google's consent page), and what to keep until
/// they come back. `calendar`: ask for calendar access too, offline (a refresh token).
pub async fn start(config: &GoogleConfig, redirect: &str, calendar: bool) -> Result<(String, Pending), Error> {
    let client = CoreClient::from_provider_metadata(
        metadata(config).await?,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.expose().clone())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(internal)?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    if calendar {
        request = request
            .add_scope(Scope::new(CALENDAR_SCOPE.into()))
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent");
    }
    let (url, state, nonce) = request.url();
    let pending = Pending {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        calendar,
    };
    Ok((url.to_string(), pending))
}

/// The person Google sent back with `code` and `state`, checked against what
/// `start` kept: the state (in constant time), the code with its PKCE
/// verifier, the id token's signature, issuer, audience, expiry and nonce.
pub async fn finish(
    config: &GoogleConfig,
    redirect: &str,
    pending: Pending,
    code: &str,
    state: &str,
) -> Result<(Identity, Tokens), Error> {
    use subtle::ConstantTimeEq;
    if !bool::from(pending.state.as_bytes().ct_eq(state.as_bytes())) {
        return Err(Error::Forbidden);
    }
    let client = CoreClient::from_provider_metadata(
        metadata(config).await?,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.expose().clone())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(internal)?);
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| upstream("the token address", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&http()?)
        .await
        .map_err(|e| upstream("the code exchange", e))?;
    let id_token = token.id_token().ok_or_else(|| upstream("no id token", "missing"))?;
    // A token that is not for this sign-in (signature, issuer, audience, expiry, nonce) is refused.
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce)).map_err(|error| {
        tracing::warn!(%error, "Google sign-in: the id token was refused");
        Error::Forbidden
    })?;
    let identity = Identity {
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string().to_lowercase()),
        email_verified: claims.email_verified() == Some(true),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
    };
    use openidconnect::OAuth2TokenResponse;
    let tokens = Tokens {
        access_token: token.access_token().secret().clone(),
        refresh_token: token.refresh_token().map(|t| t.secret().clone()),
        expires_in: token.expires_in(),
    };
    Ok((identity, tokens))
}

/// What to do with a Google identity.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sign this person in.
    SignIn(Uuid),
    /// An account has this (verified) address: its password proves it is theirs.
    NeedsPassword(String),
}

/// Who `identity` is (see the module), linking or making the account when the rules allow.
pub async fn resolve(
    pool: &PgPool,
    admin_emails: &[String],
    identity: &Identity,
    signed_in: Option<Uuid>,
) -> Result<Outcome, Error> {
    let linked = sqlx::query_scalar!(
        "select user_id from user_identities where provider = 'google' and subject = $1",
        identity.subject
    )
    .fetch_optional(pool)
    .await?;
    if let Some(user_id) = linked {
        // Signed in as someone else: never switch accounts behind their back.
        if signed_in.is_some_and(|me| me != user_id) {
            return Err(Error::Forbidden);
        }
        return Ok(Outcome::SignIn(user_id));
    }
    let verified_email = identity.email.clone().filter(|_| identity.email_verified);
    if let Some(user_id) = signed_in {
        if verified_email.is_none() {
            return Err(Error::Conflict(
                "Google has not verified the address of that account, so it cannot be linked.".into(),
            ));
        }
        link(pool, user_id, identity).await?;
        return Ok(Outcome::SignIn(user_id));
    }
    let email = identity.email.clone().ok_or_else(|| upstream("no email address", "missing"))?;
    let existing = sqlx::query_scalar!("select id from users where email = $1", email).fetch_optional(pool).await?;
    if existing.is_some() {
        return match verified_email {
            Some(email) => Ok(Outcome::NeedsPassword(email)),
            None => Err(Error::Conflict(
                "An account already uses this address, and Google has not verified it: log in with your password."
                    .into(),
            )),
        };
    }
    // A new account: no password of its own (it can be set with "Forgot your password?").
    let unusable = password::hash(Uuid::new_v4().to_string()).await?;
    let mut tx = pool.begin().await?;
    let name: String = identity.name.clone().unwrap_or_default().chars().take(crate::limits::DISPLAY_NAME).collect();
    let user_id = super::service::insert_user(&mut tx, &email, &unusable, &name, "UTC", identity.email_verified)
        .await?
        .ok_or_else(|| Error::Conflict("An account already uses this address: log in with your password.".into()))?;
    insert_link(&mut tx, user_id, identity).await?;
    super::service::sync_admins(&mut tx, admin_emails).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "account created with Google");
    Ok(Outcome::SignIn(user_id))
}

/// Link `identity` to the account with its (verified) address, whose `password` was entered.
pub async fn link_with_password(
    pool: &PgPool,
    mail: &super::mail::Mail,
    identity: &Identity,
    password: String,
    origin: &Origin,
) -> Result<Uuid, Error> {
    let email = identity.email.clone().filter(|_| identity.email_verified).ok_or(Error::Forbidden)?;
    let user_id = super::service::check_password(pool, mail, &email, password, origin).await?;
    link(pool, user_id, identity).await?;
    Ok(user_id)
}

async fn link(pool: &PgPool, user_id: Uuid, identity: &Identity) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    insert_link(&mut tx, user_id, identity).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "Google account linked");
    Ok(())
}

async fn insert_link(conn: &mut sqlx::PgConnection, user_id: Uuid, identity: &Identity) -> Result<(), Error> {
    sqlx::query!(
        "insert into user_identities (provider, subject, user_id, email) values ('google', $1, $2, $3)
         on conflict (provider, subject) do nothing",
        identity.subject,
        user_id,
        identity.email
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The address of the Google account linked to `user_id`, if one is.
pub async fn linked_email(pool: &PgPool, user_id: Uuid) -> Result<Option<String>, Error> {
    let row = sqlx::query_scalar!(
        "select coalesce(email, '') from user_identities where user_id = $1 and provider = 'google'
         order by created_at limit 1",
        user_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.flatten())
}
