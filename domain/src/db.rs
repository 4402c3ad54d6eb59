//! Transactions on behalf of one person: row-level security sees only their rows.

use crate::error::Error;
use futures::future::BoxFuture;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

pub type Tx = Transaction<'static, Postgres>;

/// Begin a transaction in which `app.user_id` is `user_id`: the one way in.
///
/// Every query on a person's rows runs inside one of these; the policies in
/// the migrations then hide every other person's rows, even if a query forgot
/// its own `user_id = $1` filter. Services take the `&mut PgConnection` of
/// such a transaction, so several compose into one.
///
/// One round trip: `BEGIN` and the setting go together as one simple query
/// (a `Uuid` prints as hex digits and dashes only, so it is safe inline).
pub async fn begin_as(pool: &PgPool, user_id: Uuid) -> Result<Tx, sqlx::Error> {
    pool.begin_with(sqlx::AssertSqlSafe(format!("BEGIN; SELECT set_config('app.user_id', '{user_id}', true)"))).await
}

/// Begin a transaction of the system itself (`app.system` on): the
/// policies let it see every person's rows, for the jobs and the admin
/// pages that need that (briefs due, calendar pushes, the error log). One
/// round trip, as [`begin_as`].
pub async fn begin_system(pool: &PgPool) -> Result<Tx, sqlx::Error> {
    pool.begin_with("BEGIN; SELECT set_config('app.system', 'on', true)").await
}

/// Refuse a database role that row-level security does not apply to (a
/// superuser, or BYPASSRLS), unless `allowed` (then say so loudly).
pub async fn check_role(pool: &PgPool, allowed: bool) -> Result<(), Error> {
    let row: (String, bool, bool) =
        sqlx::query_as("select current_user::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(pool)
            .await?;
    role_verdict(&row.0, row.1, row.2, allowed)
}

fn role_verdict(role: &str, superuser: bool, bypassrls: bool, allowed: bool) -> Result<(), Error> {
    if !(superuser || bypassrls) {
        return Ok(());
    }
    let what = if superuser { "a superuser" } else { "BYPASSRLS" };
    if allowed {
        tracing::error!(
            db.role = role,
            "ALLOW_PRIVILEGED_DATABASE_ROLE: the database role is {what}; row-level security protects nobody"
        );
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "refusing to start: the database role \"{role}\" is {what}, so row-level security would not keep people's \
         data apart. Connect as a plain role (NOSUPERUSER NOBYPASSRLS), or set ALLOW_PRIVILEGED_DATABASE_ROLE=true \
         for a throwaway test database."
    )))
}

/// Run `work` in a transaction as `user_id`; commit when it succeeds, roll back otherwise.
///
/// `db::as_user(&pool, user.id, move |tx| Box::pin(task::service::get_task(tx, user.id, id))).await`
pub async fn as_user<T, F>(pool: &PgPool, user_id: Uuid, work: F) -> Result<T, Error>
where
    F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<T, Error>>,
{
    let mut tx = begin_as(pool, user_id).await?;
    let value = work(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::role_verdict;

    #[test]
    fn a_role_that_bypasses_row_level_security_is_refused_unless_allowed() {
        assert!(role_verdict("buildos", false, false, false).is_ok());
        let refused = role_verdict("postgres", true, false, false).unwrap_err().to_string();
        assert!(refused.contains("\"postgres\" is a superuser"), "{refused}");
        assert!(role_verdict("etl", false, true, false).unwrap_err().to_string().contains("BYPASSRLS"));
        assert!(role_verdict("postgres", true, true, true).is_ok());
    }
}
