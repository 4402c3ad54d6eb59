//! Undo: revert what a confirmed dump created, unless it was edited since.

use crate::brain_dump::model::AppliedChange;
use crate::db::begin_as;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// Revert everything a confirmed dump did (created items removed, changed
/// fields restored, deleted items back), unless something was edited (or
/// added to one of its new projects) since: then nothing changes and the
/// `Conflict` names what.
pub async fn undo(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let row =
        sqlx::query!("select status, applied from brain_dumps where id = $1 and user_id = $2 for update", id, user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    if row.status != "applied" {
        return Err(AppError::Conflict("Only an applied brain dump can be undone.".into()));
    }
    let changes: Vec<AppliedChange> = serde_json::from_value(row.applied).map_err(crate::error::internal)?;
    let ids = |table: &str| changes.iter().filter(|c| c.table == table).map(|c| c.id).collect::<Vec<_>>();
    let (projects, tasks, notes) = (ids("project"), ids("task"), ids("note"));
    let created = |table: &str| {
        changes.iter().filter(|c| c.table == table && c.action == "created").map(|c| c.id).collect::<Vec<_>>()
    };
    let (new_projects, new_tasks, new_notes) = (created("project"), created("task"), created("note"));
    // The rows as they were before confirm changed or deleted them.
    let before = |table: &str| {
        serde_json::Value::Array(changes.iter().filter(|c| c.table == table).filter_map(|c| c.before.clone()).collect())
    };
    let recorded: HashMap<Uuid, DateTime<Utc>> = changes.iter().map(|c| (c.id, c.updated_at)).collect();
    // Lock what undo checks and changes, so nothing can be edited (or, for the
    // projects, have a task or note attached) between the check and the revert.
    sqlx::query!("select 1 as x from projects where id = any($1) and user_id = $2 for update", &projects, user_id)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query!("select 1 as x from tasks where id = any($1) and user_id = $2 for update", &tasks, user_id)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query!("select 1 as x from notes where id = any($1) and user_id = $2 for update", &notes, user_id)
        .fetch_all(&mut *tx)
        .await?;
    let current = sqlx::query!(
        r#"select id as "id!", name as "name!", updated_at as "updated_at!" from projects
             where id = any($1) and user_id = $4
           union all select id, title, updated_at from tasks where id = any($2) and user_id = $4
           union all select id, coalesce(nullif(title, ''), left(body, 40)), updated_at from notes
             where id = any($3) and user_id = $4"#,
        &projects,
        &tasks,
        &notes,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut edited: Vec<String> = current
        .iter()
        .filter(|r| recorded.get(&r.id) != Some(&r.updated_at))
        .map(|r| format!("\"{}\"", r.name))
        .collect();
    let added = sqlx::query!(
        r#"select p.name as "name!" from projects p
           where p.id = any($1) and p.user_id = $4 and (
             exists (select 1 from tasks t where t.project_id = p.id and t.deleted_at is null and t.id <> all($2))
             or exists (select 1 from notes n where n.project_id = p.id and n.deleted_at is null and n.id <> all($3)))"#,
        &new_projects,
        &tasks,
        &notes,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    edited.extend(added.into_iter().map(|p| format!("\"{}\" (it has new items)", p.name)));
    if !edited.is_empty() {
        return Err(AppError::Conflict(format!(
            "Nothing was undone: {} changed since this brain dump was applied, and undo would lose that.",
            edited.join(", ")
        )));
    }
    // One statement: every data-modifying CTE runs, whether or not it is read.
    sqlx::query!(
        "with notes_gone as (
             update notes set deleted_at = now() where id = any($1) and user_id = $4 and deleted_at is null),
         tasks_gone as (
             update tasks set deleted_at = now() where id = any($2) and user_id = $4 and deleted_at is null),
         projects_gone as (
             update projects set deleted_at = now() where id = any($3) and user_id = $4 and deleted_at is null)
         update brain_dumps set status = 'undone', undone_at = now() where id = $5 and user_id = $4",
        &new_notes,
        &new_tasks,
        &new_projects,
        user_id,
        id
    )
    .execute(&mut *tx)
    .await?;
    // Changed and deleted rows get their earlier fields back.
    sqlx::query!(
        "with projects_back as (
             update projects p set name = b.name, description = b.description, context = b.context,
                    deleted_at = b.deleted_at
             from jsonb_populate_recordset(null::projects, $1) b where p.id = b.id and p.user_id = $4),
         tasks_back as (
             update tasks t set title = b.title, description = b.description, details = b.details,
                    priority = b.priority, status = b.status, start_date = b.start_date, due_date = b.due_date,
                    recurrence = b.recurrence, recurrence_end = b.recurrence_end, series_anchor = b.series_anchor,
                    completed_at = b.completed_at, deleted_at = b.deleted_at
             from jsonb_populate_recordset(null::tasks, $2) b where t.id = b.id and t.user_id = $4)
         update notes n set title = b.title, body = b.body, deleted_at = b.deleted_at
         from jsonb_populate_recordset(null::notes, $3) b where n.id = b.id and n.user_id = $4",
        before("project"),
        before("task"),
        before("note"),
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, "brain dump undone");
    Ok(())
}
