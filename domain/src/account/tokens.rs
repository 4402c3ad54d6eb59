//! Links sent by email: each carries a random token, of which only the SHA-256
//! is stored; it works once, until it expires, and a newer link of the same
//! kind replaces the older ones.

use crate::error::Error;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Confirm the address of a new account (two days).
    VerifyEmail,
    /// Choose a new password (30 minutes).
    ResetPassword,
    /// Confirm a new address (a day).
    ChangeEmail,
    /// Finish a sign-in the failed-login limits held back (15 minutes).
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::SignIn => "sign_in",
        }
    }

    /// How long a link works.
    pub fn minutes(self) -> i32 {
        match self {
            Purpose::VerifyEmail => 48 * 60,
            Purpose::ResetPassword => 30,
            Purpose::ChangeEmail => 24 * 60,
            Purpose::SignIn => 15,
        }
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// A new link token for `user_id` (with the address to confirm, for
/// `ChangeEmail`); earlier unused ones of the same kind stop working.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    new_email: Option<&str>,
) -> Result<String, Error> {
    let token: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    sqlx::query!(
        "update account_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null",
        user_id,
        purpose.as_str()
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into account_tokens (user_id, purpose, token_hash, new_email, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(mins => $5))",
        user_id,
        purpose.as_str(),
        digest(&token),
        new_email,
        purpose.minutes()
    )
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// What a used link was for.
#[derive(Debug)]
pub struct Redeemed {
    pub user_id: Uuid,
    pub new_email: Option<String>,
}

/// Use `token` (once): whom it was for, or a clear error when it is unknown,
/// used already or expired.
pub async fn redeem(conn: &mut PgConnection, purpose: Purpose, token: &str) -> Result<Redeemed, Error> {
    let row = sqlx::query!(
        "update account_tokens set used_at = now()
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
         returning user_id, new_email",
        digest(token),
        purpose.as_str()
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| Redeemed { user_id: r.user_id, new_email: r.new_email })
        .ok_or_else(|| Error::field("token", "This link has expired or was used already. Ask for a new one."))
}

/// Whether a link of `purpose` was made for `user_id` in the last minute.
pub async fn issued_within_a_minute(conn: &mut PgConnection, user_id: Uuid, purpose: Purpose) -> Result<bool, Error> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from account_tokens where user_id = $1 and purpose = $2
                            and created_at > now() - interval '1 minute') as "e!""#,
        user_id,
        purpose.as_str()
    )
    .fetch_one(conn)
    .await?)
}
