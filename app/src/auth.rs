//! Accounts: sign up, log in, log out, and the signed-in person.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod session_store;

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The session key holding the signed-in person's id.
pub const USER_ID_KEY: &str = "user_id";

/// Whether new accounts may be made (REGISTRATION_OPEN), provided as context by the server.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationOpen(pub bool);

/// A session ends after this many days without a visit.
pub const SESSION_DAYS: i64 = 14;

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub timezone: String,
}

impl User {
    pub fn greeting_name(&self) -> &str {
        if self.display_name.is_empty() { &self.email } else { &self.display_name }
    }
}

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
    if !use_context::<RegistrationOpen>().is_none_or(|r| r.0) {
        return Err(
            AppError::field("email", "This server does not take new accounts. Ask its owner for one.").with_input(echo)
        );
    }
    let new =
        service::NewAccount::parse(&email, &password, &display_name, &timezone).map_err(|e| e.with_input(echo))?;
    let user_id = service::create_account(&pool, new).await.map_err(|e| e.with_input(echo))?;
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
    session.flush().await.map_err(crate::error::internal)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// A fresh session id at every sign-in (no fixation), holding the person's id.
#[cfg(feature = "ssr")]
async fn start_session(user_id: Uuid) -> Result<(), AppError> {
    let session = request::session().await?;
    session.cycle_id().await.map_err(crate::error::internal)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(crate::error::internal)?;
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod service {
    //! Creating accounts.
    use super::password;
    use crate::error::{AppError, Checks};
    use crate::forms;
    use sqlx::PgPool;
    use uuid::Uuid;

    /// The account `email` and `password` belong to, under the failed-login
    /// limits (per account and per address). Used by the login page and the
    /// API's token endpoint alike.
    pub async fn check_password(
        pool: &PgPool,
        email: &str,
        password: String,
        ip: Option<std::net::IpAddr>,
    ) -> Result<Uuid, AppError> {
        use super::rate_limit;
        let email = email.trim().to_lowercase();
        let echo = [("email", email.as_str())];
        if email.is_empty() || email.len() > 254 {
            return Err(AppError::field("email", "Enter the email address of your account.").with_input(echo));
        }
        // Recorded as failed before the (slow) password check, under a per-email
        // lock: parallel guesses cannot slip past the limit together.
        let attempt = rate_limit::begin_attempt(pool, &email, ip).await?;
        let found =
            sqlx::query!("select id, password_hash from users where email = $1", email).fetch_optional(pool).await?;
        let stored = found.as_ref().map(|u| u.password_hash.clone());
        let ok = password::verify(password, stored).await?;
        if ok {
            rate_limit::mark_succeeded(pool, attempt).await?;
        }
        match found.filter(|_| ok) {
            Some(user) => Ok(user.id),
            None => {
                Err(AppError::field("password", "That email and password do not match an account.").with_input(echo))
            }
        }
    }

    pub struct NewAccount {
        pub email: String,
        pub password: String,
        pub display_name: String,
        pub timezone: String,
    }

    impl NewAccount {
        pub fn parse(email: &str, password: &str, display_name: &str, timezone: &str) -> Result<Self, AppError> {
            let mut checks = Checks::default();
            let email = email.trim().to_lowercase();
            let at = email.find('@');
            if email.is_empty() {
                checks.fail("email", "Email is required.");
            } else if email.len() > 254
                || at.is_none_or(|i| i == 0 || !email[i + 1..].contains('.'))
                || email.contains(char::is_whitespace)
            {
                checks.fail("email", "Email must be an address like name@example.com.");
            }
            let chars = password.chars().count();
            if chars < 10 {
                checks.fail("password", "Password must be at least 10 characters.");
            } else if chars > 512 {
                checks.fail("password", "Password must be at most 512 characters.");
            }
            let display_name = checks.take("display_name", forms::optional(display_name, "Display name", 100));
            let timezone = match timezone.trim() {
                "" => "UTC".to_string(),
                tz if tz.parse::<chrono_tz::Tz>().is_ok() => tz.to_string(),
                _ => {
                    checks.fail("timezone", "Timezone must be an IANA name like Europe/Paris.");
                    String::new()
                }
            };
            checks.finish()?;
            Ok(Self { email, password: password.to_string(), display_name: display_name.unwrap_or_default(), timezone })
        }
    }

    pub async fn create_account(pool: &PgPool, new: NewAccount) -> Result<Uuid, AppError> {
        let hash = password::hash(new.password).await?;
        let id = sqlx::query_scalar!(
            "insert into users (email, password_hash, display_name, timezone) values ($1, $2, $3, $4)
             on conflict (email) do nothing returning id",
            new.email,
            hash,
            new.display_name,
            new.timezone
        )
        .fetch_optional(pool)
        .await?;
        let id =
            id.ok_or_else(|| AppError::field("email", "An account with this email already exists. Log in instead."))?;
        tracing::info!(user.id = %id, "account created");
        Ok(id)
    }
}
