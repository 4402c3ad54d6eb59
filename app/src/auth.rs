//! Accounts: sign up, log in, log out, and the signed-in person.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;
pub mod settings;

pub use domain::account::{SESSION_DAYS, SessionInfo, User};

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::error::Checks,
    domain::account::service::{self, Origin},
    domain::account::{DisplayName, Email, NewAccount, Password, Timezone},
    uuid::Uuid,
};

/// The session key holding the signed-in person's id.
pub const USER_ID_KEY: &str = "user_id";
/// The session's person as the session store read them with the session
/// (never stored: the store leaves it out when writing).
pub const LOADED_USER_KEY: &str = "_loaded_user";

/// Where to go after signing in: only local paths, so a link cannot send
/// people to another site.
pub fn safe_next(next: &str) -> String {
    // Browsers drop tabs and newlines from URLs ("/\t/evil.com" is "//evil.com")
    // and a header cannot hold them, so any control or space character is refused.
    let clean = !next.chars().any(|c| c.is_control() || c.is_whitespace());
    let local = next.starts_with('/') && !next[1..].starts_with(['/', '\\']) && !next.contains('\\');
    if clean && local { next.to_string() } else { "/".to_string() }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/projects/garden?x=1"), "/projects/garden?x=1");
        for evil in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "https://evil.com",
            "/a\r\nSet-Cookie: x",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(evil), "/", "{evil:?}");
        }
    }
}

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let pool = request::pool()?;
    request::current(&pool).await
}

#[server(endpoint = "signup")]
pub async fn signup(
    email: String,
    password: String,
    #[server(default)] display_name: String,
    #[server(default)] timezone: String,
) -> Result<(), AppError> {
    let pool = request::pool()?;
    let settings = request::settings()?;
    let echo = [("email", email.as_str()), ("display_name", display_name.as_str())];
    if !settings.registration_open {
        return Err(
            AppError::field("email", "This server does not take new accounts. Ask its owner for one.").with_input(echo)
        );
    }
    let mut c = Checks::default();
    let email_ok = c.take("email", Email::new(&email));
    let password_ok = c.take("password", Password::new(&password));
    let name_ok = c.take("display_name", DisplayName::parse(&display_name, "Display name"));
    let timezone_ok = c.take("timezone", Timezone::new(&timezone));
    c.finish().map_err(|e| AppError(e).with_input(echo))?;
    let new = NewAccount {
        email: email_ok.expect("parsed"),
        password: password_ok.expect("parsed"),
        display_name: name_ok.expect("parsed"),
        timezone: timezone_ok.expect("parsed"),
    };
    let ip = request::client_ip().await;
    let user_id = service::create_account(&pool, &settings, new, ip).await.map_err(|e| AppError(e).with_input(echo))?;
    // This browser and address are known from now on (if that fails, the account still stands).
    let device = request::remember_device().await;
    let email = email.trim().to_lowercase();
    let known = async {
        let mut conn = pool.acquire().await?;
        domain::account::rate_limit::record_success(&mut conn, &email, ip, device.as_deref()).await
    };
    if let Err(error) = known.await {
        tracing::warn!(%error, user.id = %user_id, "the new account's browser could not be recorded");
    }
    start_session(user_id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, #[server(default)] next: String) -> Result<(), AppError> {
    let pool = request::pool()?;
    let settings = request::settings()?;
    let origin = Origin { ip: request::client_ip().await, device: request::remember_device().await };
    let user_id = service::check_password(&pool, &settings.mail(), &email, password, &origin).await?;
    start_session(user_id).await?;
    tracing::info!(user.id = %user_id, "logged in");
    leptos_axum::redirect(&safe_next(&next));
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = request::session().await?;
    // flush deletes the stored session, so the old cookie is worthless.
    session.flush().await.map_err(|e| AppError(domain::error::internal(e)))?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Finish a sign-in held back by the failed-login limits, with the emailed link.
#[server(endpoint = "finish_sign_in")]
pub async fn finish_sign_in(#[server(default)] token: String) -> Result<(), AppError> {
    let pool = request::pool()?;
    let origin = Origin { ip: request::client_ip().await, device: request::remember_device().await };
    let admins = &request::settings()?.admin_emails;
    let user_id = service::finish_sign_in(&pool, admins, &token, &origin).await?;
    start_session(user_id).await?;
    tracing::info!(user.id = %user_id, "signed in with an emailed link");
    leptos_axum::redirect("/");
    Ok(())
}

/// Confirm an address with its emailed link (`change`: a new address replacing the old).
#[server(endpoint = "confirm_email")]
pub async fn confirm_email(#[server(default)] token: String, #[server(default)] change: bool) -> Result<(), AppError> {
    let pool = request::pool()?;
    let settings = request::settings()?;
    service::confirm_email(&pool, &settings.admin_emails, &token, change).await?;
    leptos_axum::redirect("/profile?email=confirmed");
    Ok(())
}

/// Email a new confirmation link to the signed-in person.
#[server(endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let (pool, user) = request::require_user().await?;
    Ok(service::resend_verification(&pool, &request::settings()?.mail(), user.id).await?)
}

/// Email a link to choose a new password, if `email` has an account. The
/// answer is the same either way.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(#[server(default)] email: String) -> Result<(), AppError> {
    let pool = request::pool()?;
    let address =
        Email::new(&email).map_err(|m| AppError::field("email", m).with_input([("email", email.as_str())]))?;
    service::request_reset(&pool, &request::settings()?.mail(), &address).await?;
    leptos_axum::redirect("/reset-password?sent=1");
    Ok(())
}

/// Choose a new password with the emailed link; every other session ends and this browser is signed in.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    #[server(default)] token: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    let pool = request::pool()?;
    let new = Password::new(&password).map_err(|m| AppError::field("password", m))?;
    let origin = Origin { ip: request::client_ip().await, device: request::remember_device().await };
    let admins = &request::settings()?.admin_emails;
    let user_id = service::reset_password(&pool, admins, &token, &new, &origin).await?;
    start_session(user_id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Change the password (knowing the current one); every other session ends.
#[server(endpoint = "change_password")]
pub async fn change_password(
    #[server(default)] current_password: String,
    #[server(default)] new_password: String,
) -> Result<(), AppError> {
    let (pool, user) = request::require_user().await?;
    let new = Password::new(&new_password).map_err(|m| AppError::field("new_password", m))?;
    let session = request::session().await?;
    let keep = session.id().map(|i| i.to_string()).unwrap_or_default();
    let origin = request::origin().await;
    service::change_password(&pool, user.id, current_password, &new, &keep, &origin).await?;
    leptos_axum::redirect("/profile?password=changed#account");
    Ok(())
}

/// Delete the account for good (knowing the password, and saying so with
/// the box): everything goes, this browser is signed out, a goodbye email goes out.
#[server(endpoint = "delete_account")]
pub async fn delete_account(
    #[server(default)] current_password: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    let (pool, user) = request::require_user().await?;
    if confirm != "on" {
        return Err(AppError::field("confirm", "Tick the box to say you understand that this cannot be undone."));
    }
    let origin = request::origin().await;
    let settings = request::settings()?;
    service::delete_account(&pool, &settings, user.id, current_password, &origin).await?;
    let session = request::session().await?;
    session.flush().await.map_err(|e| AppError(domain::error::internal(e)))?;
    leptos_axum::redirect("/login?deleted=1");
    Ok(())
}

/// Start changing the address (knowing the password): confirmed from the new address.
#[server(endpoint = "change_email")]
pub async fn change_email(
    #[server(default)] current_password: String,
    #[server(default)] new_email: String,
) -> Result<(), AppError> {
    let (pool, user) = request::require_user().await?;
    let echo = [("new_email", new_email.as_str())];
    let new = Email::new(&new_email).map_err(|m| AppError::field("new_email", m).with_input(echo))?;
    let origin = request::origin().await;
    service::request_email_change(&pool, &request::settings()?.mail(), user.id, current_password, &new, &origin)
        .await
        .map_err(|e| AppError(e).with_input(echo))?;
    leptos_axum::redirect("/profile?email=sent#account");
    Ok(())
}

/// The browsers signed in to this account.
#[server(endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let (pool, user) = request::require_user().await?;
    let current = request::session().await?.id().map(|i| i.to_string()).unwrap_or_default();
    Ok(service::sessions(&pool, user.id, &current).await?)
}

/// Sign out one other browser (`key` from the list), or every other one (no key).
#[server(endpoint = "end_sessions")]
pub async fn end_sessions(#[server(default)] key: String) -> Result<u64, AppError> {
    let (pool, user) = request::require_user().await?;
    let current = request::session().await?.id().map(|i| i.to_string()).unwrap_or_default();
    let key = Some(key.trim()).filter(|k| !k.is_empty());
    Ok(service::end_sessions(&pool, user.id, &current, key).await?)
}

/// A fresh session id at every sign-in (no fixation), holding the person's
/// id, and what the sessions list shows of it.
#[cfg(feature = "ssr")]
async fn start_session(user_id: Uuid) -> Result<(), AppError> {
    let session = request::session().await?;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.unwrap_or_default();
    request::begin_session(&session, user_id, &headers, request::client_ip().await).await
}

/// Whether "Continue with Google" is offered (PUBLIC_GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET set).
#[server(endpoint = "google_options")]
pub async fn google_options() -> Result<GoogleSignIn, AppError> {
    let enabled = request::settings()?.google.is_some();
    let session = request::session().await?;
    let linking = session
        .get::<domain::account::google::Identity>(GOOGLE_LINK_KEY)
        .await
        .map_err(|e| AppError(domain::error::internal(e)))?
        .and_then(|i| i.email);
    let pool = request::pool()?;
    let linked = match request::current_in(&pool, &session).await? {
        Some(user) => domain::account::google::linked_email(&pool, user.id).await?,
        None => None,
    };
    Ok(GoogleSignIn { enabled, linking, linked })
}

/// Google's side of signing in, for the pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoogleSignIn {
    pub enabled: bool,
    /// The address of the account a Google sign-in waits to be linked to (by its password).
    pub linking: Option<String>,
    /// For a signed-in person: the address of the Google account linked to theirs.
    pub linked: Option<String>,
}

/// The session key of a Google identity waiting for its account's password.
pub const GOOGLE_LINK_KEY: &str = "google_link";

/// Link the Google identity that came back to the account with its address, whose password this is.
#[server(endpoint = "link_google")]
pub async fn link_google(#[server(default)] password: String) -> Result<(), AppError> {
    let pool = request::pool()?;
    let settings = request::settings()?;
    let session = request::session().await?;
    let internal = |e| AppError(domain::error::internal(e));
    let Some(identity) = session.get::<domain::account::google::Identity>(GOOGLE_LINK_KEY).await.map_err(internal)?
    else {
        return Err(AppError::field("password", "Nothing is waiting to be linked: continue with Google again."));
    };
    let origin = Origin { ip: request::client_ip().await, device: request::remember_device().await };
    let user_id =
        domain::account::google::link_with_password(&pool, &settings.mail(), &identity, password, &origin).await?;
    session.remove::<serde_json::Value>(GOOGLE_LINK_KEY).await.map_err(internal)?;
    start_session(user_id).await?;
    leptos_axum::redirect("/");
    Ok(())
}
