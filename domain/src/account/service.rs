//! Accounts in the database: signing up, checking a password under the
//! failed-login limits, the person behind a session, the profile.

use super::{NewAccount, ProfileInput, SESSION_DAYS, User, password, rate_limit};
use crate::error::Error;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The account `email` and `password` belong to, under the failed-login
/// limits (per account and per address). Used by the login page and the
/// API's token endpoint alike.
pub async fn check_password(
    pool: &PgPool,
    email: &str,
    password: String,
    ip: Option<std::net::IpAddr>,
) -> Result<Uuid, Error> {
    let email = email.trim().to_lowercase();
    let echo = [("email", email.as_str())];
    if email.is_empty() || email.chars().count() > crate::limits::EMAIL {
        return Err(Error::field("email", "Enter the email address of your account.").with_input(echo));
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
        None => Err(Error::field("password", "That email and password do not match an account.").with_input(echo)),
    }
}

pub async fn create_account(pool: &PgPool, new: NewAccount) -> Result<Uuid, Error> {
    let hash = password::hash(new.password.expose().to_string()).await?;
    let id = sqlx::query_scalar!(
        "insert into users (email, password_hash, display_name, timezone) values ($1, $2, $3, $4)
         on conflict (email) do nothing returning id",
        new.email.as_str(),
        hash,
        new.display_name.as_str(),
        new.timezone.as_str()
    )
    .fetch_optional(pool)
    .await?;
    let id = id.ok_or_else(|| Error::field("email", "An account with this email already exists. Log in instead."))?;
    tracing::info!(user.id = %id, "account created");
    Ok(id)
}

/// The person `user_id` of session `session_id`, and whether the session's
/// expiry should be renewed (it slides: renewed once it is a day old).
pub async fn session_user(
    pool: &PgPool,
    user_id: Uuid,
    session_id: Option<String>,
) -> Result<Option<(User, bool)>, Error> {
    let row = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.timezone,
                  (select s.expires_at < now() + make_interval(days => $3::int - 1)
                     from sessions s where s.id = $2) as renew
           from users u where u.id = $1"#,
        user_id,
        session_id,
        SESSION_DAYS as i32
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let user = User { id: r.id, email: r.email, display_name: r.display_name, timezone: r.timezone };
        (user, r.renew == Some(true))
    }))
}

/// The person `user_id` (for API tokens).
pub async fn get_user(pool: &PgPool, user_id: Uuid) -> Result<User, Error> {
    sqlx::query_as!(User, "select id, email, display_name, timezone from users where id = $1", user_id)
        .fetch_one(pool)
        .await
        .map_err(Error::from)
}

pub async fn update_profile(conn: &mut PgConnection, user_id: Uuid, p: &ProfileInput) -> Result<(), Error> {
    sqlx::query!(
        "update users set display_name = $2, timezone = $3 where id = $1",
        user_id,
        p.display_name.as_str(),
        p.timezone.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}
