//! Accounts: sign up, log in, log out, and the signed-in person.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;

pub use domain::account::{SESSION_DAYS, User};

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::error::Checks,
    domain::account::{DisplayName, Email, NewAccount, Password, Timezone, service},
    uuid::Uuid,
};

/// The session key holding the signed-in person's id.
pub const USER_ID_KEY: &str = "user_id";

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
    let echo = [("email", email.as_str()), ("display_name", display_name.as_str())];
    if !request::settings()?.registration_open {
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
    let user_id = service::create_account(&pool, new).await.map_err(|e| AppError(e).with_input(echo))?;
    start_session(user_id).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, #[server(default)] next: String) -> Result<(), AppError> {
    let pool = request::pool()?;
    let ip = request::client_ip().await;
    let user_id = service::check_password(&pool, &email, password, ip).await?;
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

/// A fresh session id at every sign-in (no fixation), holding the person's id.
#[cfg(feature = "ssr")]
async fn start_session(user_id: Uuid) -> Result<(), AppError> {
    let session = request::session().await?;
    session.cycle_id().await.map_err(|e| AppError(domain::error::internal(e)))?;
    session.insert(USER_ID_KEY, user_id).await.map_err(|e| AppError(domain::error::internal(e)))?;
    Ok(())
}
