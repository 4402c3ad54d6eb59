//! Transactions on behalf of one person: row-level security sees only their rows.

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

pub type Tx = Transaction<'static, Postgres>;

/// Begin a transaction in which `app.user_id` is `user_id`.
///
/// Every query on projects, tasks and notes runs inside one of these; the
/// policies in the migrations then hide every other person's rows, even if a
/// query forgot its own `user_id = $1` filter.
pub async fn begin_as(pool: &PgPool, user_id: Uuid) -> Result<Tx, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('app.user_id', $1, true)").bind(user_id.to_string()).execute(&mut *tx).await?;
    Ok(tx)
}
