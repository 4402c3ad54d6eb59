//! Undo: revert what a confirmed dump created, unless it was edited since.

use crate::brain_dump::model::AppliedChange;
use crate::db::begin_as;
use crate::error::Error;
use crate::item::{self, Item};
use crate::{note, patch, project, task};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

/// Revert everything a confirmed dump did (created items removed, changed
/// fields restored, deleted items back), unless something was edited (or
/// added to one of its new projects) since: then nothing changes and the
/// `Conflict` names what.
pub async fn undo(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row =
        sqlx::query!("select status, applied from brain_dumps where id = $1 and user_id = $2 for update", id, user_id)
            .fetch_one(&mut *tx)
            .await?;
    if row.status != "applied" {
        return Err(Error::Conflict("Only an applied brain dump can be undone.".into()));
    }
    let changes: Vec<AppliedChange> = serde_json::from_value(row.applied).map_err(crate::error::internal)?;
    let ids = |table: Item| changes.iter().filter(|c| c.table == table).map(|c| c.id).collect::<Vec<_>>();
    let (projects, tasks, notes) = (ids(Item::Project), ids(Item::Task), ids(Item::Note));
    let created = |table: Item| {
        changes.iter().filter(|c| c.table == table && c.action == "created").map(|c| c.id).collect::<Vec<_>>()
    };
    let new_projects = created(Item::Project);
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
        return Err(Error::Conflict(format!(
            "Nothing was undone: {} changed since this brain dump was applied, and undo would lose that.",
            edited.join(", ")
        )));
    }
    // Through the entities' own services, in the order that keeps every row valid:
    // what confirm created goes, what it changed gets its fields back, what it
    // deleted comes back.
    for c in changes.iter().filter(|c| c.action == "created") {
        match item::set_deleted(&mut tx, user_id, c.table, c.id, true).await {
            Ok(_) | Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    for c in changes.iter().filter(|c| c.action == "deleted") {
        item::set_deleted(&mut tx, user_id, c.table, c.id, false).await?;
    }
    for c in changes.iter().filter(|c| c.action == "updated") {
        let Some(before) = c.before.clone() else { continue };
        match c.table {
            Item::Note => note::service::update_note(&mut tx, user_id, c.id, patch::read(before)?).await?,
            Item::Task => drop(task::service::update_task(&mut tx, user_id, c.id, patch::read(before)?).await?),
            Item::Project => {
                drop(project::service::update_project(&mut tx, user_id, c.id, patch::read(before)?).await?)
            }
        }
    }
    sqlx::query!(
        "update brain_dumps set status = 'undone', undone_at = now() where id = $1 and user_id = $2",
        id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, "brain dump undone");
    Ok(())
}
