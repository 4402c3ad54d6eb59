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
pub async fn begin_as(pool: &PgPool, user_id: Uuid) -> Result<Tx, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('app.user_id', $1, true)").bind(user_id.to_string()).execute(&mut *tx).await?;
    Ok(tx)
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
