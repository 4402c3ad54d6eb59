//! Notes on a project.

use super::model::Note;
use crate::db::begin_as;
use crate::error::{AppError, Checks};
use crate::forms;
use sqlx::PgPool;
use uuid::Uuid;

pub struct NoteInput {
    pub title: String,
    pub body: String,
}

impl NoteInput {
    pub fn parse(raw_title: &str, raw_body: &str) -> Result<Self, AppError> {
        let mut c = Checks::default();
        let title = c.take("title", forms::optional(raw_title, "Title", 200));
        let body = c.take("body", forms::required(raw_body, "Note", 100_000));
        c.finish().map_err(|e| e.with_input([("title", raw_title), ("body", raw_body)]))?;
        Ok(Self { title: title.unwrap_or_default(), body: body.unwrap_or_default() })
    }
}

pub async fn list_notes(pool: &PgPool, user_id: Uuid, project_id: Uuid) -> Result<Vec<Note>, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let notes = sqlx::query_as!(
        Note,
        "select id, project_id, title, body, created_at, updated_at from notes
         where user_id = $1 and project_id = $2 and deleted_at is null order by created_at desc",
        user_id,
        project_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(notes)
}

pub async fn insert_note(pool: &PgPool, user_id: Uuid, project_id: Uuid, n: NoteInput) -> Result<Uuid, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let id = insert_note_in(&mut tx, user_id, project_id, n).await?;
    tx.commit().await?;
    Ok(id)
}

/// Insert a note inside the caller's transaction (one begun with `begin_as`).
pub async fn insert_note_in(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    project_id: Uuid,
    n: NoteInput,
) -> Result<Uuid, AppError> {
    let id = sqlx::query_scalar!(
        "insert into notes (user_id, project_id, title, body)
         select $1, id, $3, $4 from projects where id = $2 and user_id = $1 and deleted_at is null
         returning id",
        user_id,
        project_id,
        n.title,
        n.body
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(id)
}

pub async fn update_note(pool: &PgPool, user_id: Uuid, id: Uuid, n: NoteInput) -> Result<(), AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let done = sqlx::query!(
        "update notes set title = $3, body = $4 where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id,
        n.title,
        n.body
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Soft-delete or restore a note; returns its project's slug.
pub async fn set_note_deleted(pool: &PgPool, user_id: Uuid, id: Uuid, deleted: bool) -> Result<String, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let slug = sqlx::query_scalar!(
        "update notes n set deleted_at = case when $3 then now() else null end
         from projects p
         where n.id = $1 and n.user_id = $2 and p.id = n.project_id and (n.deleted_at is null) = $3
         returning p.slug",
        id,
        user_id,
        deleted
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(slug)
}
