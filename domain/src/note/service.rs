//! Notes on a project: the only code that writes them, in the caller's
//! person-scoped transaction.

use super::NoteInput;
use super::model::Note;
use crate::error::Error;
use sqlx::PgConnection;
use uuid::Uuid;

/// A page of live notes (of one project when given), newest first; and how many in all.
pub async fn list_notes(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Note>, i64), Error> {
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from notes where user_id = $1 and deleted_at is null
             and ($2::uuid is null or project_id = $2)"#,
        user_id,
        project_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let notes = sqlx::query_as!(
        Note,
        "select id, project_id, title, body, created_at, updated_at from notes
         where user_id = $1 and deleted_at is null and ($2::uuid is null or project_id = $2)
         order by created_at desc limit $3 offset $4",
        user_id,
        project_id,
        limit,
        offset
    )
    .fetch_all(conn)
    .await?;
    Ok((notes, total))
}

pub async fn get_note(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<Note, Error> {
    sqlx::query_as!(
        Note,
        "select id, project_id, title, body, created_at, updated_at from notes
         where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id
    )
    .fetch_one(conn)
    .await
    .map_err(Error::from)
}

/// Add a note to a live project of this person.
pub async fn insert_note(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Uuid,
    n: NoteInput,
) -> Result<Uuid, Error> {
    let id = sqlx::query_scalar!(
        "insert into notes (user_id, project_id, title, body)
         select $1, id, $3, $4 from projects where id = $2 and user_id = $1 and deleted_at is null
         returning id",
        user_id,
        project_id,
        n.title.as_str(),
        n.body.as_str()
    )
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update_note(conn: &mut PgConnection, user_id: Uuid, id: Uuid, n: NoteInput) -> Result<(), Error> {
    let done = sqlx::query!(
        "update notes set title = $3, body = $4 where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id,
        n.title.as_str(),
        n.body.as_str()
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}
