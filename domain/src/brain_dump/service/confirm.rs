//! Confirm: apply the reviewed operations in one transaction, checked against
//! what was reviewed. Every write goes through the entities' own services.

use crate::brain_dump::model::AppliedChange;
use crate::brain_dump::operation::{Kind, Operation, ProjectRef, Table};
use crate::db::begin_as;
use crate::error::{Error, FieldError, Invalid};
use crate::item::{self, Item};
use crate::note::NoteInput;
use crate::patch;
use crate::project::ProjectInput;
use crate::task::TaskInput;
use crate::{note, project, task};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

fn op_error(errors: &mut Vec<FieldError>, op: &Operation, message: impl Into<String>) {
    errors.push(FieldError { field: op.id.clone(), message: message.into() });
}

/// What an enabled operation will do, checked.
enum Checked {
    NewProject(ProjectInput),
    NewTask(TaskInput),
    NewNote(NoteInput),
    Project(ProjectInput),
    Task(TaskInput),
    Note(NoteInput),
    Delete,
}

/// The operation's fields as JSON (only those it sets).
fn fields_json(op: &Operation) -> serde_json::Value {
    serde_json::to_value(&op.fields).unwrap_or_default()
}

/// A typed input from JSON, checked: the message of the first problem.
fn input<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    check: fn(&T) -> Result<(), Error>,
) -> Result<T, String> {
    let t: T = patch::read(value).map_err(Error::messages)?;
    check(&t).map_err(Error::messages)?;
    Ok(t)
}

/// A new item, from the operation's fields alone.
fn check_new(op: &Operation) -> Result<Checked, String> {
    let f = fields_json(op);
    match op.table {
        Table::Project => input(f, ProjectInput::check).map(Checked::NewProject),
        Table::Task => input(f, TaskInput::check).map(Checked::NewTask),
        Table::Note => input(f, |_: &NoteInput| Ok(())).map(Checked::NewNote),
        Table::ProjectContext => Err("Project context is added to an existing project.".into()),
    }
}

/// A change to an existing item: its current row (`row`) with the operation's fields on top.
fn check_change(op: &Operation, row: &serde_json::Value) -> Result<Checked, String> {
    if op.kind == Kind::Delete {
        return Ok(Checked::Delete);
    }
    let merged = |changes: serde_json::Value| {
        let mut value = row.clone();
        patch::merge(&mut value, changes);
        value
    };
    match op.table {
        Table::Project => input(merged(fields_json(op)), ProjectInput::check).map(Checked::Project),
        Table::ProjectContext => {
            let added = op.fields.context.as_deref().map(str::trim).unwrap_or_default();
            if added.is_empty() {
                return Err("Write what to add to the project's context, or untick this.".into());
            }
            let now = row["context"].as_str().unwrap_or_default();
            let context = if now.is_empty() { added.to_string() } else { format!("{now}\n\n{added}") };
            input(merged(serde_json::json!({ "context": context })), ProjectInput::check).map(Checked::Project)
        }
        Table::Task => input(merged(fields_json(op)), TaskInput::check).map(Checked::Task),
        Table::Note => input(merged(fields_json(op)), |_: &NoteInput| Ok(())).map(Checked::Note),
    }
}

/// What an update or delete touches.
fn target_table(table: Table) -> Item {
    match table {
        Table::Project | Table::ProjectContext => Item::Project,
        Table::Task => Item::Task,
        Table::Note => Item::Note,
    }
}

/// The existing row an operation changes, locked, as it is now.
#[derive(sqlx::FromRow)]
struct Target {
    name: String,
    version: DateTime<Utc>,
    deleted: bool,
    row: serde_json::Value,
}

/// The item an operation changes, locked until confirm commits; its name,
/// version and row as JSON (for undo).
async fn lock_target(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    table: Item,
    id: Uuid,
) -> Result<Option<Target>, Error> {
    // Checked by the confirm and undo tests rather than at compile time: the
    // same four columns from whichever table.
    let from = match table {
        Item::Project => {
            "select name, updated_at as version, deleted_at is not null as deleted, to_jsonb(p) as row
                      from projects p where id = $1 and user_id = $2 for update"
        }
        Item::Task => {
            "select title as name, updated_at as version, deleted_at is not null as deleted, to_jsonb(t) as row
                   from tasks t where id = $1 and user_id = $2 for update"
        }
        Item::Note => {
            "select coalesce(nullif(title, ''), left(body, 40)) as name, updated_at as version,
                     deleted_at is not null as deleted, to_jsonb(n) as row
              from notes n where id = $1 and user_id = $2 for update"
        }
    };
    Ok(sqlx::query_as::<_, Target>(from).bind(id).bind(user_id).fetch_optional(tx).await?)
}

/// Confirm the operations of dump `id` named in `chosen` (the rest unticked),
/// as they were proposed: what the API and agents (MCP) do, where the page
/// sends its edited cards to [`confirm`]. An id the dump does not have is a
/// conflict; `version` (default: the dump as it is now) guards against changes.
pub async fn confirm_chosen(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    chosen: &[String],
    version: Option<DateTime<Utc>>,
) -> Result<usize, Error> {
    let dump = super::get_dump(pool, user_id, id).await?;
    let unknown: Vec<&str> =
        chosen.iter().filter(|o| !dump.operations.iter().any(|s| &s.id == *o)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(Error::Conflict(format!("Not operations of this brain dump: {}.", unknown.join(", "))));
    }
    let ops = dump
        .operations
        .into_iter()
        .map(|mut o| {
            o.enabled = chosen.contains(&o.id);
            o
        })
        .collect();
    confirm(pool, user_id, id, version.unwrap_or(dump.updated_at), ops).await
}

/// Apply the reviewed operations (the person's edits and ticks) in one transaction.
///
/// `version` is the dump's `updated_at` when the review was shown. Nothing is
/// written when the dump was processed again since (the review is of other
/// proposals), when any ticked operation is invalid (each named by its id), or
/// when a project it points at was deleted since the review (a `Conflict`
/// naming it, so the person can re-review).
pub async fn confirm(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    version: DateTime<Utc>,
    reviewed: Vec<Operation>,
) -> Result<usize, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        "select status, operations, updated_at from brain_dumps where id = $1 and user_id = $2 for update",
        id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.status == "parsed" && row.updated_at != version {
        return Err(Error::Conflict(
            "This brain dump was processed again after this review was opened. Reload to review the new proposals."
                .into(),
        ));
    }
    if row.status != "parsed" {
        return Err(Error::Conflict(match row.status.as_str() {
            "applied" => "This brain dump has already been applied.".into(),
            "undone" => "This brain dump was undone; process it again to apply it.".into(),
            _ => "This brain dump has not been processed yet.".into(),
        }));
    }
    let stored: Vec<Operation> = serde_json::from_value(row.operations).map_err(crate::error::internal)?;
    let mut errors = Vec::new();
    let mut reviewed_by_id: HashMap<String, Operation> = HashMap::new();
    for op in reviewed {
        if stored.iter().any(|s| s.id == op.id) {
            reviewed_by_id.insert(op.id.clone(), op);
        } else {
            op_error(&mut errors, &op, "This operation is not part of the brain dump.");
        }
    }
    // What the person sees is what is applied: the stored operation, with their
    // edits to its fields, project and tick (never its kind or table).
    let ops: Vec<Operation> = stored
        .into_iter()
        .filter_map(|s| {
            let r = reviewed_by_id.remove(&s.id)?;
            Some(Operation { fields: r.fields, project: r.project, enabled: r.enabled, ..s })
        })
        .filter(|o| o.enabled)
        .collect();
    let new_refs: Vec<&str> = ops
        .iter()
        .filter(|o| o.table == Table::Project && o.kind == Kind::Create)
        .filter_map(|o| o.reference.as_deref())
        .collect();
    let mut checked = Vec::with_capacity(ops.len());
    let mut stale = Vec::new();
    let mut befores: HashMap<String, serde_json::Value> = HashMap::new();
    for op in &ops {
        if op.kind == Kind::Create {
            match check_new(op) {
                Ok(c) => checked.push(c),
                Err(m) => op_error(&mut errors, op, m),
            }
        } else if let Some(target) = op.target_id {
            let table = target_table(op.table);
            let name = table.as_str();
            match lock_target(&mut tx, user_id, table, target).await? {
                None => op_error(&mut errors, op, format!("The {name} it changes was not found.")),
                Some(t) if t.deleted => stale.push(format!("the {name} \"{}\" was deleted", t.name)),
                Some(t) if op.target_version.is_some_and(|v| v != t.version) => {
                    stale.push(format!("the {name} \"{}\" was edited", t.name))
                }
                Some(t) => {
                    match check_change(op, &t.row) {
                        Ok(c) => checked.push(c),
                        Err(m) => op_error(&mut errors, op, m),
                    }
                    befores.insert(op.id.clone(), t.row);
                }
            }
        } else {
            op_error(&mut errors, op, "It does not say which existing item it changes.");
        }
        match &op.project {
            Some(ProjectRef::New(r)) if !new_refs.contains(&r.as_str()) => op_error(
                &mut errors,
                op,
                "It belongs to a project that is not being created: tick that project or untick this.",
            ),
            Some(ProjectRef::Existing(pid)) => {
                let p =
                    sqlx::query!("select name, deleted_at from projects where id = $1 and user_id = $2", pid, user_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match p {
                    None => op_error(&mut errors, op, "Its project was not found."),
                    Some(p) if p.deleted_at.is_some() => stale.push(format!("the project \"{}\" was deleted", p.name)),
                    Some(_) => {}
                }
            }
            None if op.table == Table::Note && op.kind == Kind::Create => {
                op_error(&mut errors, op, "A note needs a project.")
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(Invalid { fields: errors, input: BTreeMap::new() }));
    }
    if !stale.is_empty() {
        stale.dedup();
        return Err(Error::Conflict(format!(
            "Nothing was applied: since you reviewed it, {}. Process the brain dump again to review it afresh.",
            stale.join(", ")
        )));
    }
    // New projects first, so that what goes into them finds them whatever the order proposed.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| !(ops[i].table == Table::Project && ops[i].kind == Kind::Create));
    let mut slots: Vec<Option<Checked>> = checked.into_iter().map(Some).collect();
    let ordered: Vec<(&Operation, Checked)> =
        order.into_iter().filter_map(|i| slots[i].take().map(|c| (&ops[i], c))).collect();
    let now: DateTime<Utc> = sqlx::query_scalar!(r#"select now() as "now!""#).fetch_one(&mut *tx).await?;
    let mut created: HashMap<String, Uuid> = HashMap::new();
    let mut applied = Vec::with_capacity(ops.len());
    let change = |table: Item, id: Uuid, action: &str, before: Option<serde_json::Value>| AppliedChange {
        table,
        id,
        updated_at: now,
        action: action.into(),
        before,
    };
    for (op, input) in ordered {
        let project_id = match &op.project {
            Some(ProjectRef::Existing(pid)) => Some(*pid),
            Some(ProjectRef::New(r)) => created.get(r).copied(),
            None => None,
        };
        let target = op.target_id.unwrap_or_default();
        let before = befores.remove(&op.id);
        match input {
            Checked::NewProject(p) => {
                let (pid, _) = project::service::insert_project(&mut tx, user_id, p).await?;
                if let Some(r) = &op.reference {
                    created.insert(r.clone(), pid);
                }
                applied.push(change(Item::Project, pid, "created", None));
            }
            Checked::NewTask(t) => {
                let id = task::service::insert_task(&mut tx, user_id, TaskInput { project_id, ..t }).await?;
                applied.push(change(Item::Task, id, "created", None));
            }
            Checked::NewNote(n) => {
                let pid = project_id.ok_or_else(|| Error::field(&op.id, "A note needs a project."))?;
                let id = note::service::insert_note(&mut tx, user_id, pid, n).await?;
                applied.push(change(Item::Note, id, "created", None));
            }
            Checked::Project(p) => {
                project::service::update_project(&mut tx, user_id, target, p).await?;
                applied.push(change(Item::Project, target, "updated", before));
            }
            Checked::Task(t) => {
                let next = task::service::update_task(&mut tx, user_id, target, t).await?;
                applied.push(change(Item::Task, target, "updated", before));
                // A repeating task marked done came back: undo removes the next one too.
                if let Some(next) = next {
                    applied.push(change(Item::Task, next, "created", None));
                }
            }
            Checked::Note(n) => {
                note::service::update_note(&mut tx, user_id, target, n).await?;
                applied.push(change(Item::Note, target, "updated", before));
            }
            Checked::Delete => {
                let table = target_table(op.table);
                item::set_deleted(&mut tx, user_id, table, target, true).await?;
                applied.push(change(table, target, "deleted", before));
            }
        }
    }
    let json = serde_json::to_value(&applied).map_err(crate::error::internal)?;
    sqlx::query!("update brain_dumps set status = 'applied', applied = $2, applied_at = now() where id = $1", id, json)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, changes = applied.len(), "brain dump applied");
    Ok(applied.len())
}
