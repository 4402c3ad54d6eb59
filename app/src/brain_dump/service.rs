//! Brain dumps on the server: autosaved drafts, parsing, confirm (one transaction,
//! checked against what was reviewed) and undo (refused when an item was edited since).

use super::llm::{self, Engine};
use super::model::{AppliedChange, BrainDump, DumpStatus, DumpSummary, MAX_CHARS};
use super::offline::{self, KnownProject};
use super::operation::{Kind, Operation, ProjectRef, Table};
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

fn check_length(content: &str) -> Result<(), AppError> {
    let n = content.chars().count();
    if n > MAX_CHARS {
        return Err(AppError::field(
            "content",
            format!("A brain dump holds at most 50,000 characters; this one has {n}. Split it in two."),
        ));
    }
    Ok(())
}

/// Save the draft being typed (there is one per person); returns its id.
pub async fn save_draft(pool: &PgPool, user_id: Uuid, content: &str) -> Result<Uuid, AppError> {
    check_length(content)?;
    let mut tx = begin_as(pool, user_id).await?;
    let id = sqlx::query_scalar!(
        "insert into brain_dumps (user_id, content) values ($1, $2)
         on conflict (user_id) where status = 'draft' do update set content = excluded.content
         returning id",
        user_id,
        content
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The draft being typed, if any.
pub async fn find_draft(pool: &PgPool, user_id: Uuid) -> Result<Option<(Uuid, String)>, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!("select id, content from brain_dumps where user_id = $1 and status = 'draft'", user_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.map(|r| (r.id, r.content)))
}

/// Past dumps (not the draft), newest first.
pub async fn list_dumps(pool: &PgPool, user_id: Uuid) -> Result<Vec<DumpSummary>, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let rows = sqlx::query!(
        r#"select id, left(content, 140) as "preview!", status, jsonb_array_length(operations) as "operations!", created_at
           from brain_dumps where user_id = $1 and status <> 'draft' order by created_at desc limit 50"#,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| DumpSummary {
            id: r.id,
            preview: r.preview,
            status: DumpStatus::parse(&r.status).unwrap_or(DumpStatus::Failed),
            operations: r.operations,
            created_at: r.created_at,
        })
        .collect())
}

pub async fn get_dump(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<BrainDump, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let r = sqlx::query!(
        "select id, content, status, engine, operations, error, created_at, updated_at
         from brain_dumps where id = $1 and user_id = $2",
        id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let operations: Vec<Operation> = serde_json::from_value(r.operations).map_err(crate::error::internal)?;
    let existing: Vec<Uuid> = operations
        .iter()
        .filter_map(|o| match o.project {
            Some(ProjectRef::Existing(id)) => Some(id),
            _ => None,
        })
        .collect();
    let project_names =
        sqlx::query!("select id, name from projects where id = any($1) and user_id = $2", &existing, user_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    tx.commit().await?;
    Ok(BrainDump {
        id: r.id,
        content: r.content,
        status: DumpStatus::parse(&r.status).unwrap_or(DumpStatus::Failed),
        engine: r.engine,
        operations,
        project_names,
        error: r.error,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Propose operations for dump `id` with `engine`, on the person's local `today`.
/// A parsed (or failed) dump can be parsed again (re-review after a conflict).
///
/// The LLM is called outside any transaction: the dump is marked `processing`
/// first, then `parsed` with the operations, or `failed` with the reason.
pub async fn parse(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    today: NaiveDate,
    engine: &Engine,
) -> Result<BrainDump, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let row =
        sqlx::query!("select content, status from brain_dumps where id = $1 and user_id = $2 for update", id, user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    if !matches!(row.status.as_str(), "draft" | "parsed" | "failed") {
        return Err(AppError::Conflict(match row.status.as_str() {
            "processing" => "This brain dump is being processed already.".into(),
            _ => "This brain dump has already been applied.".into(),
        }));
    }
    if row.content.trim().is_empty() {
        return Err(AppError::field("content", "Write something first: there is nothing to process yet."));
    }
    let known: Vec<KnownProject> =
        sqlx::query!("select id, name from projects where user_id = $1 and deleted_at is null", user_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|p| KnownProject { id: p.id, name: p.name })
            .collect();
    let ops = match engine {
        Engine::Offline => offline::parse(&row.content, today, &known),
        Engine::Llm(config) => {
            let recent: Vec<(String, String)> = sqlx::query!(
                r#"select p.name as "project!", t.title from tasks t join projects p on p.id = t.project_id
                   where t.user_id = $1 and t.deleted_at is null and p.deleted_at is null and t.status <> 'done'
                   order by t.updated_at desc limit 40"#,
                user_id
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.project, r.title))
            .collect();
            sqlx::query!("update brain_dumps set status = 'processing', error = null where id = $1", id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            let result = llm::propose(config, &row.content, today, &known, &recent).await;
            tx = begin_as(pool, user_id).await?;
            match result {
                Ok(ops) => ops,
                Err(e) => {
                    tracing::warn!(user.id = %user_id, dump.id = %id, error = %e, "LLM engine failed");
                    let message = e.to_string();
                    sqlx::query!("update brain_dumps set status = 'failed', error = $2 where id = $1", id, message)
                        .execute(&mut *tx)
                        .await?;
                    // The failed attempt stays in the history; its text stays in the editor.
                    sqlx::query!(
                        "insert into brain_dumps (user_id, content) values ($1, $2)
                         on conflict (user_id) where status = 'draft' do nothing",
                        user_id,
                        row.content
                    )
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Err(AppError::Upstream(message));
                }
            }
        }
    };
    let json = serde_json::to_value(&ops).map_err(crate::error::internal)?;
    sqlx::query!(
        "update brain_dumps set status = 'parsed', engine = $3, operations = $2, error = null,
                parsed_at = now() where id = $1",
        id,
        json,
        engine.name()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, engine = engine.name(), operations = ops.len(), "brain dump parsed");
    get_dump(pool, user_id, id).await
}

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
        _ => Err("Changing or deleting existing items from a brain dump is not supported yet; untick this one.".into()),
    }
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
    for op in &ops {
        match check(op) {
            Ok(c) => checked.push(c),
            Err(m) => op_error(&mut errors, op, m),
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
            None if op.table == Table::Note => op_error(&mut errors, op, "A note needs a project."),
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
    let now: DateTime<Utc> = sqlx::query_scalar!(r#"select now() as "now!""#).fetch_one(&mut *tx).await?;
    let mut created: HashMap<String, Uuid> = HashMap::new();
    let mut applied = Vec::with_capacity(ops.len());
    for (op, input) in ops.iter().zip(checked) {
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
        };
        applied.push(AppliedChange { table: table.into(), id: row_id, updated_at: now });
    }
    let json = serde_json::to_value(&applied).map_err(crate::error::internal)?;
    sqlx::query!("update brain_dumps set status = 'applied', applied = $2, applied_at = now() where id = $1", id, json)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, created = applied.len(), "brain dump applied");
    Ok(applied.len())
}

/// Revert everything a confirmed dump created, unless something was edited
/// (or added to one of its projects) since: then nothing changes and the
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
        &projects,
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
    sqlx::query!(
        "update notes set deleted_at = now() where id = any($1) and user_id = $2 and deleted_at is null",
        &notes,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update tasks set deleted_at = now() where id = any($1) and user_id = $2 and deleted_at is null",
        &tasks,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update projects set deleted_at = now() where id = any($1) and user_id = $2 and deleted_at is null",
        &projects,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("update brain_dumps set status = 'undone', undone_at = now() where id = $1", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, dump.id = %id, "brain dump undone");
    Ok(())
}
