//! Accounts in the database: signing up, checking a password under the
//! failed-login limits, the person behind a session, the profile; confirming
//! an address, resetting and changing a password, changing the address,
//! the sessions of a person.

use super::mail::{AccountEmail, Mail, send_later};
use super::rate_limit::{self, Guard};
use super::tokens::{self, Purpose};
use super::{Email, NewAccount, Password, ProfileInput, SESSION_DAYS, SessionInfo, User, password};
use crate::error::Error;
use sqlx::{PgConnection, PgPool};
use std::net::IpAddr;
use uuid::Uuid;

/// Where a sign-in comes from: the client's address and the digest of its
/// device cookie (see [`rate_limit::device_digest`]).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<IpAddr>,
    pub device: Option<String>,
}

/// What a login past the failed-login limits is told, whether or not the password was right.
pub const LINK_NEEDED: &str = "There have been many failed sign-ins, so from here a password is not enough on its own: \
     if it was right, we have emailed you a link that finishes signing in.";

/// The account `email` and `password` belong to, under the failed-login
/// limits (see [`rate_limit`]). Used by the login page and the API's token
/// endpoint alike. Past the limits, a right password gets an emailed link
/// instead, and the answer is [`LINK_NEEDED`] either way.
pub async fn check_password(
    pool: &PgPool,
    mail: &Mail,
    email: &str,
    password: String,
    origin: &Origin,
) -> Result<Uuid, Error> {
    let email = email.trim().to_lowercase();
    let echo = [("email", email.as_str())];
    if email.is_empty() || email.chars().count() > crate::limits::EMAIL {
        return Err(Error::field("email", "Enter the email address of your account.").with_input(echo));
    }
    // Recorded as failed before the (slow) password check, under a per-email
    // lock: parallel guesses cannot slip past the limits together.
    let attempt = rate_limit::begin_attempt(pool, &email, origin.ip, origin.device.as_deref()).await?;
    if let Guard::Password(delay) = attempt.guard {
        tokio::time::sleep(delay).await;
    }
    let found =
        sqlx::query!("select id, password_hash from users where email = $1", email).fetch_optional(pool).await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let ok = password::verify(password, stored).await?;
    match (found.filter(|_| ok), attempt.guard) {
        (Some(user), Guard::Password(_)) => {
            rate_limit::mark_succeeded(pool, attempt.id, origin.device.as_deref()).await?;
            Ok(user.id)
        }
        (found, Guard::Link) => {
            if let Some(user) = found {
                // In the background: the answer takes as long either way.
                let (pool, mail) = (pool.clone(), mail.clone());
                tokio::spawn(async move {
                    match issue_at_most_once_a_minute(&pool, user.id, Purpose::SignIn, None).await {
                        Ok(Some(token)) => {
                            send_later(&mail, &email, AccountEmail::SignIn { token });
                            tracing::info!(user.id = %user.id, "sign-in held back by the failed-login limits; link emailed");
                        }
                        Ok(None) => {}
                        Err(error) => tracing::warn!(%error, "a sign-in link could not be made"),
                    }
                });
            }
            Err(Error::TooManyRequests(LINK_NEEDED.into()))
        }
        (None, _) => Err(Error::field("password", "That email and password do not match an account.").with_input(echo)),
    }
}

/// A new link of `purpose` for `user_id`, unless one was made in the last
/// minute (so nobody can fill a mailbox with them).
async fn issue_at_most_once_a_minute(
    pool: &PgPool,
    user_id: Uuid,
    purpose: Purpose,
    new_email: Option<&str>,
) -> Result<Option<String>, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("select id from users where id = $1 for update", user_id).fetch_one(&mut *tx).await?;
    if tokens::issued_within_a_minute(&mut tx, user_id, purpose).await? {
        return Ok(None);
    }
    let token = tokens::issue(&mut tx, user_id, purpose, new_email).await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Finish a sign-in with the emailed link: the person it was for. The place
/// it is finished from becomes known.
pub async fn finish_sign_in(
    pool: &PgPool,
    admin_emails: &[String],
    token: &str,
    origin: &Origin,
) -> Result<Uuid, Error> {
    let mut tx = pool.begin().await?;
    let used = tokens::redeem(&mut tx, Purpose::SignIn, token).await?;
    // The link came to that mailbox: the address is theirs.
    let email = sqlx::query_scalar!(
        "update users set email_verified_at = coalesce(email_verified_at, now()) where id = $1 returning email",
        used.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sync_admins(&mut tx, admin_emails).await?;
    rate_limit::record_success(&mut tx, &email, origin.ip, origin.device.as_deref()).await?;
    tx.commit().await?;
    Ok(used.user_id)
}

/// Make an account (under the sign-up limits, counted by `ip`) and email
/// a link to confirm its address.
pub async fn create_account(
    pool: &PgPool,
    settings: &crate::settings::Settings,
    new: NewAccount,
    ip: Option<IpAddr>,
) -> Result<Uuid, Error> {
    // Counted whether or not the address is taken: probing for accounts costs the same.
    let mut tx = pool.begin().await?;
    rate_limit::begin_signup(&mut tx, ip, &settings.signups).await?;
    tx.commit().await?;
    let hash = password::hash(new.password.expose().to_string()).await?;
    let mut tx = pool.begin().await?;
    let id = insert_user(&mut tx, new.email.as_str(), &hash, new.display_name.as_str(), new.timezone.as_str(), false)
        .await?
        .ok_or_else(|| Error::field("email", "An account with this email already exists. Log in instead."))?;
    let token = tokens::issue(&mut tx, id, Purpose::VerifyEmail, None).await?;
    tx.commit().await?;
    send_later(&settings.mail(), new.email.as_str(), AccountEmail::Verify { token });
    tracing::info!(user.id = %id, "account created");
    Ok(id)
}

/// The one way an account row is made (a sign-up, or a first Google sign-in):
/// its id, or None when the address is taken. `verified`: the address is known to be theirs.
pub async fn insert_user(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
    display_name: &str,
    timezone: &str,
    verified: bool,
) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar!(
        "insert into users (email, password_hash, display_name, timezone, email_verified_at)
         values ($1, $2, $3, $4, case when $5 then now() end)
         on conflict (email) do nothing returning id",
        email,
        password_hash,
        display_name,
        timezone,
        verified
    )
    .fetch_optional(conn)
    .await?)
}

/// Email a new link to confirm the address of `user_id` (at most one a minute).
pub async fn resend_verification(pool: &PgPool, mail: &Mail, user_id: Uuid) -> Result<(), Error> {
    let user =
        sqlx::query!(r#"select email, email_verified_at is not null as "verified!" from users where id = $1"#, user_id)
            .fetch_one(pool)
            .await?;
    if user.verified {
        return Err(Error::Conflict("Your address is confirmed already.".into()));
    }
    let Some(token) = issue_at_most_once_a_minute(pool, user_id, Purpose::VerifyEmail, None).await? else {
        return Err(Error::TooManyRequests("A link was sent less than a minute ago; check your inbox.".into()));
    };
    send_later(mail, &user.email, AccountEmail::Verify { token });
    Ok(())
}

/// Confirm an address with its link: for a new account's address, or a new
/// address (`change`), which then replaces the old one. Whom it was for.
pub async fn confirm_email(pool: &PgPool, admin_emails: &[String], token: &str, change: bool) -> Result<Uuid, Error> {
    let mut tx = pool.begin().await?;
    let purpose = if change { Purpose::ChangeEmail } else { Purpose::VerifyEmail };
    let used = tokens::redeem(&mut tx, purpose, token).await?;
    let updated = sqlx::query!(
        "update users set email = coalesce($2, email), email_verified_at = now() where id = $1",
        used.user_id,
        used.new_email
    )
    .execute(&mut *tx)
    .await;
    match updated {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(Error::field("token", "Another account uses that address now; it cannot be yours too."));
        }
        other => other?,
    };
    sync_admins(&mut tx, admin_emails).await?;
    tx.commit().await?;
    tracing::info!(user.id = %used.user_id, changed = change, "email address confirmed");
    Ok(used.user_id)
}

/// Admins are the people with a confirmed address listed in ADMIN_EMAILS.
pub async fn sync_admins(conn: &mut PgConnection, admin_emails: &[String]) -> Result<(), Error> {
    sqlx::query!(
        "update users set is_admin = (email_verified_at is not null and email = any($1))
         where is_admin <> (email_verified_at is not null and email = any($1))",
        admin_emails
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether `user_id` is an admin.
pub async fn is_admin(pool: &PgPool, user_id: Uuid) -> Result<bool, Error> {
    Ok(sqlx::query_scalar!("select is_admin from users where id = $1", user_id)
        .fetch_optional(pool)
        .await?
        .unwrap_or(false))
}

/// Email a password-reset link to `email` if it has an account (at most one a
/// minute). The answer is the same either way, and as quick.
pub async fn request_reset(pool: &PgPool, mail: &Mail, email: &Email) -> Result<(), Error> {
    let user =
        sqlx::query_scalar!("select id from users where email = $1", email.as_str()).fetch_optional(pool).await?;
    if let Some(user_id) = user
        && let Some(token) = issue_at_most_once_a_minute(pool, user_id, Purpose::ResetPassword, None).await?
    {
        send_later(mail, email.as_str(), AccountEmail::Reset { token });
        tracing::info!(user.id = %user_id, "password reset link emailed");
    }
    Ok(())
}

/// Set a new password with a reset link: every session and API token of the
/// person ends (whoever knew the old password is out), other links stop
/// working, and devices known before count as known no longer. Whom it was for.
pub async fn reset_password(
    pool: &PgPool,
    admin_emails: &[String],
    token: &str,
    new: &Password,
    origin: &Origin,
) -> Result<Uuid, Error> {
    let hash = password::hash(new.expose().to_string()).await?;
    let mut tx = pool.begin().await?;
    let used = tokens::redeem(&mut tx, Purpose::ResetPassword, token).await?;
    let email = sqlx::query_scalar!(
        "update users set password_hash = $2, password_changed_at = now(),
                          email_verified_at = coalesce(email_verified_at, now())
         where id = $1 returning email",
        used.user_id,
        hash
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("delete from sessions where user_id = $1", used.user_id).execute(&mut *tx).await?;
    sqlx::query!("delete from api_tokens where user_id = $1", used.user_id).execute(&mut *tx).await?;
    retire_links(&mut tx, used.user_id).await?;
    sync_admins(&mut tx, admin_emails).await?;
    rate_limit::record_success(&mut tx, &email, origin.ip, origin.device.as_deref()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %used.user_id, "password reset; every session and API token ended");
    Ok(used.user_id)
}

/// The password changed: links that sign in, reset or change the address stop working.
async fn retire_links(conn: &mut PgConnection, user_id: Uuid) -> Result<(), Error> {
    sqlx::query!(
        "update account_tokens set used_at = now()
         where user_id = $1 and purpose in ('sign_in', 'reset_password', 'change_email') and used_at is null",
        user_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Check `current` as the password of `user_id` (counted like a login).
async fn check_current(pool: &PgPool, user_id: Uuid, current: String, origin: &Origin) -> Result<String, Error> {
    let user = sqlx::query!("select email, password_hash from users where id = $1", user_id).fetch_one(pool).await?;
    let email = user.email;
    let attempt = rate_limit::begin_attempt(pool, &email, origin.ip, origin.device.as_deref()).await?;
    if attempt.guard == Guard::Link {
        return Err(Error::TooManyRequests("Too many wrong passwords. Wait 15 minutes and try again.".into()));
    }
    if !password::verify(current, Some(user.password_hash)).await? {
        return Err(Error::field("current_password", "That is not your current password."));
    }
    rate_limit::mark_succeeded(pool, attempt.id, origin.device.as_deref()).await?;
    Ok(email)
}

/// Change the password of `user_id` (who knows the current one); every other
/// session (all but `keep`) ends.
pub async fn change_password(
    pool: &PgPool,
    user_id: Uuid,
    current: String,
    new: &Password,
    keep: &str,
    origin: &Origin,
) -> Result<(), Error> {
    let email = check_current(pool, user_id, current, origin).await?;
    let hash = password::hash(new.expose().to_string()).await?;
    let mut tx = pool.begin().await?;
    sqlx::query!("update users set password_hash = $2, password_changed_at = now() where id = $1", user_id, hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("delete from sessions where user_id = $1 and id <> $2", user_id, keep).execute(&mut *tx).await?;
    retire_links(&mut tx, user_id).await?;
    // This browser, where the new password was just set, stays known.
    rate_limit::record_success(&mut tx, &email, origin.ip, origin.device.as_deref()).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "password changed; other sessions ended");
    Ok(())
}

/// Delete `user_id`'s account for good (who knows the password): Google's
/// access revoked, every queued job of theirs cancelled, every row of theirs
/// removed (the rows hang on `users` and go with it), then a goodbye email.
/// Returns the address it went to.
pub async fn delete_account(
    pool: &PgPool,
    settings: &crate::settings::Settings,
    user_id: Uuid,
    current: String,
    origin: &Origin,
) -> Result<String, Error> {
    let email = check_current(pool, user_id, current, origin).await?;
    // Nothing is charged for an account that is gone (and nothing is deleted if Stripe cannot be told).
    if let Some(billing) = &settings.billing {
        crate::billing::service::cancel_for_deletion(pool, billing, user_id).await?;
    }
    // Google first, while the connection is there (revoked at Google; a
    // failure there is logged, and the tokens are deleted here regardless).
    let connected = sqlx::query_scalar!(
        r#"select exists (select 1 from google_connections where user_id = $1) as "connected!""#,
        user_id
    );
    let mut tx = crate::db::begin_as(pool, user_id).await?;
    let connected = connected.fetch_one(&mut *tx).await?;
    tx.commit().await?;
    if let (true, Some(config), Some(key)) = (connected, &settings.google, &settings.encryption_key)
        && let Err(error) = crate::calendar::google::disconnect(pool, key.expose(), config, user_id).await
    {
        tracing::warn!(%error, user.id = %user_id, "Google access could not be revoked while deleting an account");
    }
    let mut tx = pool.begin().await?;
    // Every job that names them (by their id, wherever in its payload),
    // waiting or done: nothing is sent after this.
    let jobs = sqlx::query!(
        "delete from apalis.jobs where convert_from(job, 'UTF8') like '%' || $1 || '%'",
        user_id.to_string()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!("delete from login_attempts where email = $1", email).execute(&mut *tx).await?;
    sqlx::query!("delete from users where id = $1", user_id).execute(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, jobs, "account deleted");
    send_later(&settings.mail(), &email, AccountEmail::Deleted);
    Ok(email)
}

/// Start changing the address of `user_id` (who knows the password) to `new`:
/// a link to confirm it goes to the new address, a notice to the old one.
pub async fn request_email_change(
    pool: &PgPool,
    mail: &Mail,
    user_id: Uuid,
    current: String,
    new: &Email,
    origin: &Origin,
) -> Result<(), Error> {
    let old = check_current(pool, user_id, current, origin).await?;
    if old == new.as_str() {
        return Err(Error::field("new_email", "That is your address already."));
    }
    let taken = sqlx::query_scalar!(r#"select exists (select 1 from users where email = $1) as "t!""#, new.as_str())
        .fetch_one(pool)
        .await?;
    if taken {
        return Err(Error::field("new_email", "Another account uses that address."));
    }
    let Some(token) = issue_at_most_once_a_minute(pool, user_id, Purpose::ChangeEmail, Some(new.as_str())).await?
    else {
        return Err(Error::TooManyRequests("A link was sent less than a minute ago; check that inbox.".into()));
    };
    send_later(mail, new.as_str(), AccountEmail::ConfirmNewAddress { token });
    send_later(mail, &old, AccountEmail::AddressChanging { new_email: new.as_str().to_string() });
    Ok(())
}

/// The signed-in sessions of `user_id`, the current one (`current`) first.
pub async fn sessions(pool: &PgPool, user_id: Uuid, current: &str) -> Result<Vec<SessionInfo>, Error> {
    let rows = sqlx::query!(
        r#"select encode(sha256(convert_to(id, 'UTF8')), 'hex') as "key!", id = $2 as "current!",
                  data->'meta'->>'signed_in_at' as signed_in_at, data->'meta'->>'user_agent' as user_agent,
                  data->'meta'->>'ip' as ip,
                  expires_at - make_interval(days => $3::int) as "last_seen!"
           from sessions where user_id = $1 and expires_at > now()
           order by id = $2 desc, expires_at desc"#,
        user_id,
        current,
        SESSION_DAYS as i32
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            key: r.key,
            current: r.current,
            signed_in_at: r.signed_in_at.and_then(|t| t.parse().ok()),
            user_agent: r.user_agent.unwrap_or_default(),
            ip: r.ip.unwrap_or_default(),
            last_seen: r.last_seen,
        })
        .collect())
}

/// Sign out one session of `user_id` (by its key in [`sessions`]), or every
/// one but `current` when `key` is None. How many ended.
pub async fn end_sessions(pool: &PgPool, user_id: Uuid, current: &str, key: Option<&str>) -> Result<u64, Error> {
    let ended = sqlx::query!(
        "delete from sessions where user_id = $1 and id <> $2
           and ($3::text is null or encode(sha256(convert_to(id, 'UTF8')), 'hex') = $3)",
        user_id,
        current,
        key
    )
    .execute(pool)
    .await?
    .rows_affected();
    if key.is_some() && ended == 0 {
        return Err(Error::NotFound);
    }
    Ok(ended)
}

/// The person `user_id` of session `session_id`, and whether the session's
/// expiry should be renewed (it slides: renewed once it is a day old).
pub async fn session_user(
    pool: &PgPool,
    user_id: Uuid,
    session_id: Option<String>,
) -> Result<Option<(User, bool)>, Error> {
    let row = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.timezone, u.email_verified_at is not null as "email_verified!",
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
        let user = User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            timezone: r.timezone,
            email_verified: r.email_verified,
        };
        (user, r.renew == Some(true))
    }))
}

/// A live session's stored data and expiry and, in the same round trip, its
/// person (as [`session_user`] reads them), if it has one.
pub async fn load_session(
    pool: &PgPool,
    id: &str,
) -> Result<Option<(serde_json::Value, chrono::DateTime<chrono::Utc>, Option<super::SessionUser>)>, Error> {
    let row = sqlx::query!(
        r#"select s.data, s.expires_at, u.id as "user_id?", u.email as "email?", u.display_name as "display_name?",
                  u.timezone as "timezone?", u.email_verified_at is not null as "email_verified!",
                  s.expires_at < now() + make_interval(days => $2::int - 1) as "renew!"
           from sessions s left join users u on u.id = s.user_id
           where s.id = $1 and s.expires_at > now()"#,
        id,
        SESSION_DAYS as i32
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let user = match (r.user_id, r.email, r.display_name, r.timezone) {
            (Some(id), Some(email), Some(display_name), Some(timezone)) => Some(super::SessionUser {
                user: User { id, email, display_name, timezone, email_verified: r.email_verified },
                renew: r.renew,
            }),
            _ => None,
        };
        (r.data, r.expires_at, user)
    }))
}

/// The person `user_id` (for API tokens).
pub async fn get_user(pool: &PgPool, user_id: Uuid) -> Result<User, Error> {
    sqlx::query_as!(
        User,
        r#"select id, email, display_name, timezone, email_verified_at is not null as "email_verified!"
           from users where id = $1"#,
        user_id
    )
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
