//! Confirm: apply the reviewed operations in one transaction, checked against what was reviewed.

use crate::brain_dump::model::AppliedChange;
use crate::brain_dump::operation::{Kind, Operation, ProjectRef, Table};
use crate::db::begin_as;
use crate::error::{AppError, FieldError, Invalid};
use crate::note::service::{NoteInput, insert_note_in};
use crate::project::model::ProjectForm;
use crate::project::service::{ProjectInput, insert_project_in};
use crate::task::model::TaskForm;
use crate::task::service::{TaskInput, insert_task_in};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

fn op_error(errors: &mut Vec<FieldError>, op: &Operation, message: impl Into<String>) {
    errors.push(FieldError { field: op.id.clone(), message: message.into() });
}

/// Field errors of a form, as one sentence for an operation card.
fn messages(e: AppError) -> String {
    match e {
        AppError::Validation(inv) => inv.fields.into_iter().map(|f| f.message).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// What an enabled operation will do, checked.
enum Checked {
    Project(ProjectInput),
    Task(TaskInput),
    Note(NoteInput),
    /// Change or delete an existing row (or add to a project's context).
    Change,
}

/// The person's text for a field that must not be blank when set.
fn bounded(v: &Option<String>, label: &str, min: usize, max: usize) -> Result<(), String> {
    match v.as_deref().map(|s| s.trim().chars().count()) {
        Some(n) if n < min => Err(format!("{label} cannot be empty.")),
        Some(n) if n > max => Err(format!("{label} is too long (at most {max} characters).")),
        _ => Ok(()),
    }
}

/// An update or delete: only the fields its table has, within their limits.
fn check_change(op: &Operation) -> Result<(), String> {
    let f = &op.fields;
    if op.target_id.is_none() {
        return Err("It does not say which existing item it changes.".into());
    }
    if op.kind == Kind::Delete {
        return Ok(());
    }
    match op.table {
        Table::Project => {
            bounded(&f.name, "Name", 1, 200)?;
            bounded(&f.description, "Description", 0, 2000)?;
            bounded(&f.context, "Context", 0, 100_000)
        }
        Table::ProjectContext => match &f.context {
            Some(c) if !c.trim().is_empty() => bounded(&f.context, "Context", 1, 100_000),
            _ => Err("Write what to add to the project's context, or untick this.".into()),
        },
        Table::Task => {
            bounded(&f.title, "Title", 1, 500)?;
            bounded(&f.description, "Description", 0, 5000)?;
            bounded(&f.details, "Details", 0, 100_000)
        }
        Table::Note => {
            bounded(&f.title, "Title", 0, 200)?;
            bounded(&f.body, "Note", 1, 100_000)
        }
    }
}

fn check(op: &Operation) -> Result<Checked, String> {
    let f = &op.fields;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    match (op.table, op.kind) {
        (Table::Project, Kind::Create) => ProjectInput::parse(&ProjectForm {
            name: text(&f.name),
            description: text(&f.description),
            context: text(&f.context),
            ..ProjectForm::default()
        })
        .map(Checked::Project)
        .map_err(messages),
        (Table::Task, Kind::Create) => TaskInput::parse(&TaskForm {
            title: text(&f.title),
            description: text(&f.description),
            details: text(&f.details),
            priority: f.priority.map(|p| p.as_str().to_string()).unwrap_or_default(),
            status: f.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            start_date: date(f.start_date),
            due_date: date(f.due_date),
            recurrence: f.recurrence.map(|r| r.as_str().to_string()).unwrap_or_default(),
            recurrence_end: date(f.recurrence_end),
            ..TaskForm::default()
        })
        .map(Checked::Task)
        .map_err(messages),
        (Table::Note, Kind::Create) => {
            NoteInput::parse(&text(&f.title), &text(&f.body)).map(Checked::Note).map_err(messages)
        }
        (Table::ProjectContext, Kind::Create) => Err("Project context is added to an existing project.".into()),
        _ => check_change(op).map(|()| Checked::Change),
    }
}

/// The table an update or delete touches.
fn target_table(table: Table) -> &'static str {
    match table {
        Table::Project | Table::ProjectContext => "project",
        Table::Task => "task",
        Table::Note => "note",
    }
}

/// The existing row an operation changes, locked, as it is now.
struct Target {
    name: String,
    version: DateTime<Utc>,
    deleted: bool,
    recurring: bool,
    row: serde_json::Value,
}

async fn lock_target(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    table: &str,
    id: Uuid,
) -> Result<Option<Target>, AppError> {
    let row = match table {
        "project" => sqlx::query!(
            r#"select name, updated_at, deleted_at is not null as "deleted!", false as "recurring!",
                      to_jsonb(p) as "row!" from projects p where id = $1 and user_id = $2 for update"#,
            id,
            user_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Target {
            name: r.name,
            version: r.updated_at,
            deleted: r.deleted,
            recurring: r.recurring,
            row: r.row,
        }),
        "task" => sqlx::query!(
            r#"select title, updated_at, deleted_at is not null as "deleted!", recurrence is not null as "recurring!",
                      to_jsonb(t) as "row!" from tasks t where id = $1 and user_id = $2 for update"#,
            id,
            user_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Target {
            name: r.title,
            version: r.updated_at,
            deleted: r.deleted,
            recurring: r.recurring,
            row: r.row,
        }),
        _ => sqlx::query!(
            r#"select coalesce(nullif(title, ''), left(body, 40)) as "name!", updated_at,
                      deleted_at is not null as "deleted!", false as "recurring!", to_jsonb(n) as "row!"
               from notes n where id = $1 and user_id = $2 for update"#,
            id,
            user_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| Target {
            name: r.name,
            version: r.updated_at,
            deleted: r.deleted,
            recurring: r.recurring,
            row: r.row,
        }),
    };
    Ok(row)
}

/// What the database would refuse about a change to `row` (its current
/// values), in words: context grown past its limit, a repeat without a start date.
fn conflicts_with_row(op: &Operation, row: &serde_json::Value) -> Option<String> {
    let f = &op.fields;
    match (op.table, op.kind) {
        (Table::ProjectContext, Kind::Update) => {
            let now = row["context"].as_str().map_or(0, |c| c.chars().count());
            let added = f.context.as_deref().map_or(0, |c| c.trim().chars().count());
            (now + added + 2 > 100_000).then(|| "The project's context would grow past 100,000 characters.".into())
        }
        (Table::Task, Kind::Update) => {
            let repeats = f.recurrence.is_some() || !row["recurrence"].is_null();
            let starts = f.start_date.is_some() || !row["start_date"].is_null();
            (repeats && !starts).then(|| "A repeating task needs a start date: add one, or untick this.".into())
        }
        _ => None,
    }
}

/// Apply an update or delete to its (locked, checked) target.
async fn apply_change(tx: &mut sqlx::PgConnection, user_id: Uuid, op: &Operation, id: Uuid) -> Result<(), AppError> {
    let f = &op.fields;
    let trimmed = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_string());
    match (op.table, op.kind) {
        (Table::Project | Table::ProjectContext, Kind::Delete) => {
            sqlx::query!("update projects set deleted_at = now() where id = $1 and user_id = $2", id, user_id)
                .execute(&mut *tx)
                .await?;
        }
        (Table::Task, Kind::Delete) => {
            sqlx::query!("update tasks set deleted_at = now() where id = $1 and user_id = $2", id, user_id)
                .execute(&mut *tx)
                .await?;
        }
        (Table::Note, Kind::Delete) => {
            sqlx::query!("update notes set deleted_at = now() where id = $1 and user_id = $2", id, user_id)
                .execute(&mut *tx)
                .await?;
        }
        (Table::Project, _) => {
            sqlx::query!(
                "update projects set name = coalesce($3, name), description = coalesce($4, description),
                        context = coalesce($5, context)
                 where id = $1 and user_id = $2",
                id,
                user_id,
                trimmed(&f.name),
                trimmed(&f.description),
                trimmed(&f.context)
            )
            .execute(&mut *tx)
            .await?;
        }
        (Table::ProjectContext, _) => {
            sqlx::query!(
                "update projects set context = case when context = '' then $3 else context || E'\n\n' || $3 end
                 where id = $1 and user_id = $2",
                id,
                user_id,
                f.context.as_deref().map(str::trim)
            )
            .execute(&mut *tx)
            .await?;
        }
        (Table::Task, _) => {
            sqlx::query!(
                "update tasks set title = coalesce($3, title), description = coalesce($4, description),
                        details = coalesce($5, details), priority = coalesce($6, priority),
                        status = coalesce($7, status), start_date = coalesce($8, start_date),
                        due_date = coalesce($9, due_date), recurrence = coalesce($10, recurrence),
                        series_anchor = case when $10::text is not null or $8::date is not null
                                             then coalesce($8, start_date) else series_anchor end,
                        completed_at = case when coalesce($7, status) = 'done' then coalesce(completed_at, now()) end
                 where id = $1 and user_id = $2",
                id,
                user_id,
                trimmed(&f.title),
                trimmed(&f.description),
                trimmed(&f.details),
                f.priority.map(|p| p.as_str()),
                f.status.map(|s| s.as_str()),
                f.start_date,
                f.due_date,
                f.recurrence.map(|r| r.as_str())
            )
            .execute(&mut *tx)
            .await?;
        }
        (Table::Note, _) => {
            sqlx::query!(
                "update notes set title = coalesce($3, title), body = coalesce($4, body) where id = $1 and user_id = $2",
                id,
                user_id,
                trimmed(&f.title),
                trimmed(&f.body)
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
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
) -> Result<usize, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        "select status, operations, updated_at from brain_dumps where id = $1 and user_id = $2 for update",
        id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if row.status == "parsed" && row.updated_at != version {
        return Err(AppError::Conflict(
            "This brain dump was processed again after this review was opened. Reload to review the new proposals."
                .into(),
        ));
    }
    if row.status != "parsed" {
        return Err(AppError::Conflict(match row.status.as_str() {
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
        match check(op) {
            Ok(c) => checked.push(c),
            Err(m) => op_error(&mut errors, op, m),
        }
        if let (Kind::Update | Kind::Delete, Some(target)) = (op.kind, op.target_id) {
            let table = target_table(op.table);
            match lock_target(&mut tx, user_id, table, target).await? {
                None => op_error(&mut errors, op, format!("The {table} it changes was not found.")),
                Some(t) if t.deleted => stale.push(format!("the {table} \"{}\" was deleted", t.name)),
                Some(t) if op.target_version.is_some_and(|v| v != t.version) => {
                    stale.push(format!("the {table} \"{}\" was edited", t.name))
                }
                Some(t) if t.recurring && op.fields.status == Some(crate::task::model::TaskStatus::Done) => op_error(
                    &mut errors,
                    op,
                    format!("\"{}\" repeats: complete it from its page, so that the next one is created.", t.name),
                ),
                Some(t) => {
                    if let Some(m) = conflicts_with_row(op, &t.row) {
                        op_error(&mut errors, op, m);
                    }
                    befores.insert(op.id.clone(), t.row);
                }
            }
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
        return Err(AppError::Validation(Invalid { fields: errors, input: BTreeMap::new() }));
    }
    if !stale.is_empty() {
        stale.dedup();
        return Err(AppError::Conflict(format!(
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
    for (op, input) in ordered {
        let project_id = match &op.project {
            Some(ProjectRef::Existing(pid)) => Some(*pid),
            Some(ProjectRef::New(r)) => created.get(r).copied(),
            None => None,
        };
        let (table, row_id) = match input {
            Checked::Project(p) => {
                let (pid, _) = insert_project_in(&mut tx, user_id, p).await?;
                if let Some(r) = &op.reference {
                    created.insert(r.clone(), pid);
                }
                ("project", pid)
            }
            Checked::Task(t) => ("task", insert_task_in(&mut tx, user_id, project_id, t).await?),
            Checked::Note(n) => {
                let pid = project_id.ok_or_else(|| AppError::field(&op.id, "A note needs a project."))?;
                ("note", insert_note_in(&mut tx, user_id, pid, n).await?)
            }
            Checked::Change => {
                let target = op.target_id.ok_or_else(|| AppError::field(&op.id, "No target."))?;
                apply_change(&mut tx, user_id, op, target).await?;
                let action = if op.kind == Kind::Delete { "deleted" } else { "updated" };
                applied.push(AppliedChange {
                    table: target_table(op.table).into(),
                    id: target,
                    updated_at: now,
                    action: action.into(),
                    before: befores.remove(&op.id),
                });
                continue;
            }
        };
        applied.push(AppliedChange {
            table: table.into(),
            id: row_id,
            updated_at: now,
            action: "created".into(),
            before: None,
        });
    }
    let json = serde_json::to_value(&applied).map_err(crate::error::internal)?;
    sqlx::query!("update brain_dumps set status = 'applied', applied = $2, applied_at = now() where id = $1", id, json)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, changes = applied.len(), "brain dump applied");
    Ok(applied.len())
}
