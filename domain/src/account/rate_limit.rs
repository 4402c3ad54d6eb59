//! Failed-login limits per account and per address, kept in PostgreSQL so
//! every server process sees the same counts.

use crate::error::Error;
use sqlx::PgPool;
use std::net::IpAddr;

/// Failures allowed for one email inside the window, since its last success.
pub const PER_ACCOUNT: i64 = 5;
/// Failures allowed from one address inside the window, whatever the email.
pub const PER_ADDRESS: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;

/// Refuse when either limit is reached; otherwise record this attempt as a
/// failure (until [`mark_succeeded`]) and return its id. Counting and recording
/// happen under a per-email lock, so concurrent attempts are counted one by one.
pub async fn begin_attempt(pool: &PgPool, email: &str, ip: Option<IpAddr>) -> Result<i64, Error> {
    let ip = ip.map(sqlx::types::ipnetwork::IpNetwork::from);
    let mut tx = pool.begin().await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('login:' || $1))", email).execute(&mut *tx).await?;
    let row = sqlx::query!(
        r#"
        with window_start as (select now() - make_interval(mins => $3::int) as t)
        select
          (select count(*) from login_attempts a, window_start w
            where a.email = $1 and not a.succeeded and a.created_at > w.t
              and a.created_at > coalesce((select max(created_at) from login_attempts s
                                           where s.email = $1 and s.succeeded), '-infinity'))
            as "by_account!",
          (select count(*) from login_attempts a, window_start w
            where $2::inet is not null and a.ip = $2 and not a.succeeded and a.created_at > w.t)
            as "by_address!"
        "#,
        email,
        ip,
        WINDOW_MINUTES as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.by_account >= PER_ACCOUNT {
        return Err(Error::TooManyRequests(format!(
            "Too many failed log-in attempts for this account. Please wait {WINDOW_MINUTES} minutes and try again."
        )));
    }
    if row.by_address >= PER_ADDRESS {
        return Err(Error::TooManyRequests(format!(
            "Too many failed log-in attempts from your network. Please wait {WINDOW_MINUTES} minutes and try again."
        )));
    }
    let id = sqlx::query_scalar!(
        "insert into login_attempts (email, ip, succeeded) values ($1, $2, false) returning id",
        email,
        ip
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The password was right: this attempt no longer counts as a failure.
pub async fn mark_succeeded(pool: &PgPool, attempt: i64) -> Result<(), Error> {
    sqlx::query!("update login_attempts set succeeded = true where id = $1", attempt).execute(pool).await?;
    Ok(())
}
