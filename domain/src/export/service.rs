//! Export reads a person's rows into the document; import writes a document
//! through the entities' own services, in one transaction.

use super::*;
use crate::Error;
use crate::db::begin_as;
use crate::task::model::TaskStatus;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;

/// Everything `user_id` owns, but what is in the bin.
pub async fn export(conn: &mut PgConnection, user_id: Uuid) -> Result<Export, Error> {
    let account = sqlx::query_as!(Account, "select email, display_name, timezone from users where id = $1", user_id)
        .fetch_one(&mut *conn)
        .await?;
    let settings = Settings {
        brief: crate::brief::service::get_prefs(&mut *conn, user_id).await?,
        scheduling: crate::schedule::service::preferences(&mut *conn, user_id).await?,
    };
    // Each list as JSON built by PostgreSQL, read through the same typed
    // inputs the API reads (so an export always imports).
    let lists = sqlx::query!(
        r#"select
             (select coalesce(jsonb_agg(jsonb_build_object(
                  'id', p.id, 'name', p.name, 'description', p.description, 'context', p.context,
                  'status', p.status, 'tags', p.tags, 'start_date', p.start_date, 'end_date', p.end_date,
                  'created_at', p.created_at) order by p.created_at, p.id), '[]')
              from projects p where p.user_id = $1 and p.deleted_at is null) as "projects!",
             (select coalesce(jsonb_agg(jsonb_build_object(
                  'id', t.id, 'project_id', t.project_id, 'title', t.title, 'description', t.description,
                  'details', t.details, 'priority', t.priority, 'status', t.status,
                  'duration_minutes', t.duration_minutes, 'start_date', t.start_date, 'due_date', t.due_date,
                  'recurrence', t.recurrence, 'recurrence_end', t.recurrence_end,
                  'parent_task_id', case when parent.deleted_at is null then t.parent_task_id end,
                  'completed_at', t.completed_at, 'created_at', t.created_at)
                  order by t.parent_task_id is not null, t.created_at, t.id), '[]')
              from tasks t
              left join projects p on p.id = t.project_id and p.user_id = t.user_id
              left join tasks parent on parent.id = t.parent_task_id and parent.user_id = t.user_id
              where t.user_id = $1 and t.deleted_at is null and p.deleted_at is null) as "tasks!",
             (select coalesce(jsonb_agg(jsonb_build_object(
                  'id', n.id, 'project_id', n.project_id, 'title', n.title, 'body', n.body,
                  'created_at', n.created_at) order by n.created_at, n.id), '[]')
              from notes n join projects p on p.id = n.project_id and p.user_id = n.user_id
              where n.user_id = $1 and n.deleted_at is null and p.deleted_at is null) as "notes!",
             (select coalesce(jsonb_agg(jsonb_build_object(
                  'id', b.id, 'content', b.content, 'status', b.status, 'operations', b.operations,
                  'created_at', b.created_at) order by b.created_at, b.id), '[]')
              from brain_dumps b where b.user_id = $1) as "brain_dumps!",
             (select coalesce(jsonb_agg(jsonb_build_object(
                  'id', r.id, 'brief_date', r.brief_date, 'content', r.content, 'summary', r.summary,
                  'generated_at', r.generated_at) order by r.brief_date), '[]')
              from briefs r where r.user_id = $1 and r.status = 'ready' and r.content is not null) as "briefs!""#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    fn read<T: serde::de::DeserializeOwned>(what: &str, v: serde_json::Value) -> Result<T, Error> {
        serde_json::from_value(v).map_err(|e| crate::error::internal(anyhow::anyhow!("exporting {what}: {e}")))
    }
    Ok(Export {
        format: Format::BuildosExport,
        version: VERSION,
        exported_at: Utc::now(),
        account,
        settings,
        projects: read("projects", lists.projects)?,
        tasks: read("tasks", lists.tasks)?,
        notes: read("notes", lists.notes)?,
        brain_dumps: read("brain dumps", lists.brain_dumps)?,
        briefs: read("briefs", lists.briefs)?,
    })
}

/// Read an uploaded file: JSON in this format and version.
pub fn parse(text: &str) -> Result<Export, Error> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::field("file", format!("The file is not JSON ({e}). Choose a BuildOS export (.json).")))?;
    read(value, "file")
}

/// Read a document sent as JSON, each problem named by where it is
/// (`tasks[3].title: …`) and reported as a problem with `field`.
pub fn read(value: serde_json::Value, field: &str) -> Result<Export, Error> {
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Error::field(field, "This is not a BuildOS export (its \"format\" is not \"buildos-export\")."));
    }
    if value.get("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
        return Err(Error::field(
            field,
            format!("This export's version is not one this server reads (it reads {VERSION})."),
        ));
    }
    // Each item's fields first, so that a problem names its field (the
    // flattened whole would name only the item).
    fn each<T: serde::de::DeserializeOwned>(value: &serde_json::Value, list: &str) -> Result<(), String> {
        for (i, item) in value[list].as_array().into_iter().flatten().enumerate() {
            serde_path_to_error::deserialize::<_, T>(item.clone())
                .map_err(|e| format!("{list}[{i}].{}: {}", e.path(), e.inner()))?;
        }
        Ok(())
    }
    each::<ProjectInput>(&value, "projects")
        .and_then(|()| each::<TaskInput>(&value, "tasks"))
        .and_then(|()| each::<NoteInput>(&value, "notes"))
        .map_err(|e| Error::field(field, format!("The export is not valid at {e}")))?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::field(field, format!("The export is not valid at {}: {}", e.path(), e.inner())))
}

/// The item of `kind` that `source_id` became in an earlier import, or
/// `source_id` itself when the person already has it (an export of this account).
async fn already_there(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: &str,
    source_id: Uuid,
) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar!(
        r#"select coalesce(
               (select target_id from import_origins where user_id = $1 and kind = $2 and source_id = $3),
               (select id from projects where id = $3 and user_id = $1 and $2 = 'project'),
               (select id from tasks where id = $3 and user_id = $1 and $2 = 'task'),
               (select id from notes where id = $3 and user_id = $1 and $2 = 'note'),
               (select id from brain_dumps where id = $3 and user_id = $1 and $2 = 'brain_dump'),
               (select id from briefs where id = $3 and user_id = $1 and $2 = 'brief')) as found"#,
        user_id,
        kind,
        source_id
    )
    .fetch_one(&mut *conn)
    .await?)
}

async fn remember(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: &str,
    source_id: Uuid,
    target_id: Uuid,
) -> Result<(), Error> {
    sqlx::query!(
        "insert into import_origins (user_id, kind, source_id, target_id) values ($1, $2, $3, $4)",
        user_id,
        kind,
        source_id,
        target_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Import `doc` into `user_id`'s account in one transaction (rolled back when
/// `preview`): what is already there is left as it is, the rest is created
/// through the entities' own services with new ids. The settings are taken
/// only into an account with no projects and no tasks yet (a move), never
/// over what a person set.
pub async fn import(pool: &PgPool, user_id: Uuid, doc: &Export, preview: bool) -> Result<ImportReport, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let report = import_in(&mut tx, user_id, doc, preview).await?;
    if preview {
        tx.rollback().await?
    } else {
        tx.commit().await?
    }
    Ok(report)
}

async fn import_in(conn: &mut PgConnection, user_id: Uuid, doc: &Export, preview: bool) -> Result<ImportReport, Error> {
    let mut r = ImportReport { preview, ..Default::default() };
    let skip = |r: &mut ImportReport, kind: &str, id: Uuid, reason: &str| {
        r.skipped.push(Skipped { kind: kind.into(), id, reason: reason.into() })
    };
    let empty = sqlx::query_scalar!(
        r#"select not exists (select 1 from projects where user_id = $1)
              and not exists (select 1 from tasks where user_id = $1) as "empty!""#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    if empty {
        crate::brief::service::save_prefs(&mut *conn, user_id, &doc.settings.brief).await?;
        crate::schedule::service::save_preferences(&mut *conn, user_id, &doc.settings.scheduling).await?;
        r.settings_applied = true;
    }

    let mut projects = HashMap::new();
    for (i, p) in doc.projects.iter().enumerate() {
        let id = match already_there(conn, user_id, "project", p.id).await? {
            Some(id) => {
                r.already_there.projects += 1;
                id
            }
            None => {
                let (id, _) = crate::project::service::insert_project(conn, user_id, p.fields.clone())
                    .await
                    .map_err(|e| at(e, "projects", i))?;
                remember(conn, user_id, "project", p.id, id).await?;
                r.created.projects += 1;
                id
            }
        };
        projects.insert(p.id, id);
    }

    // Parents before their subtasks, however the file orders them.
    let exported: std::collections::HashSet<Uuid> = doc.tasks.iter().map(|t| t.id).collect();
    let mut tasks: HashMap<Uuid, Uuid> = HashMap::new();
    let mut waiting: Vec<(usize, &ExportedTask)> = doc.tasks.iter().enumerate().collect();
    while !waiting.is_empty() {
        let (ready, later): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|(_, t)| match t.fields.parent_task_id {
            Some(parent) if exported.contains(&parent) && parent != t.id => tasks.contains_key(&parent),
            _ => true,
        });
        // A loop of parents: the rest go in without their parent.
        let (ready, later) = if ready.is_empty() { (later, Vec::new()) } else { (ready, later) };
        for (i, t) in ready {
            let project_id = match t.project_id {
                None => None,
                Some(p) => match projects.get(&p) {
                    Some(id) => Some(*id),
                    None => {
                        skip(&mut r, "task", t.id, "Its project is not in the export.");
                        continue;
                    }
                },
            };
            if let Some(id) = already_there(conn, user_id, "task", t.id).await? {
                r.already_there.tasks += 1;
                tasks.insert(t.id, id);
                continue;
            }
            let mut input = t.fields.clone();
            input.project_id = project_id;
            input.parent_task_id = input.parent_task_id.and_then(|p| tasks.get(&p).copied());
            // Done as it was, without making a repeating task's next
            // occurrence (the export holds that one already).
            let done = input.status == TaskStatus::Done;
            if done {
                input.status = TaskStatus::Backlog;
            }
            let id = crate::task::service::insert_task(conn, user_id, input).await.map_err(|e| at(e, "tasks", i))?;
            if done {
                crate::task::service::restore_done(conn, user_id, id, t.completed_at).await?;
            }
            remember(conn, user_id, "task", t.id, id).await?;
            r.created.tasks += 1;
            tasks.insert(t.id, id);
        }
        waiting = later;
    }

    for (i, n) in doc.notes.iter().enumerate() {
        let Some(&project_id) = projects.get(&n.project_id) else {
            skip(&mut r, "note", n.id, "Its project is not in the export.");
            continue;
        };
        if already_there(conn, user_id, "note", n.id).await?.is_some() {
            r.already_there.notes += 1;
            continue;
        }
        let id = match crate::note::service::insert_note(conn, user_id, project_id, n.fields.clone()).await {
            Ok(id) => id,
            Err(Error::NotFound) => {
                skip(&mut r, "note", n.id, "Its project is in the bin.");
                continue;
            }
            Err(e) => return Err(at(e, "notes", i)),
        };
        remember(conn, user_id, "note", n.id, id).await?;
        r.created.notes += 1;
    }

    for b in &doc.brain_dumps {
        if already_there(conn, user_id, "brain_dump", b.id).await?.is_some() {
            r.already_there.brain_dumps += 1;
            continue;
        }
        match crate::brain_dump::service::import_dump(conn, user_id, b).await? {
            Some(id) => {
                remember(conn, user_id, "brain_dump", b.id, id).await?;
                r.created.brain_dumps += 1;
            }
            None => skip(&mut r, "brain_dump", b.id, "A draft is already being written in this account."),
        }
    }

    for b in &doc.briefs {
        if already_there(conn, user_id, "brief", b.id).await?.is_some() {
            r.already_there.briefs += 1;
            continue;
        }
        match crate::brief::service::import_brief(conn, user_id, b).await? {
            Some(id) => {
                remember(conn, user_id, "brief", b.id, id).await?;
                r.created.briefs += 1;
            }
            None => skip(&mut r, "brief", b.id, &format!("There is already a brief for {}.", b.brief_date)),
        }
    }
    Ok(r)
}

/// A validation error about item `i` of `list`, named so ("tasks[3].title").
fn at(e: Error, list: &str, i: usize) -> Error {
    match e {
        Error::Validation(mut invalid) => {
            for f in &mut invalid.fields {
                f.field = format!("{list}[{i}].{}", f.field);
                f.message = format!("{list}[{i}]: {}", f.message);
            }
            Error::Validation(invalid)
        }
        e => e,
    }
}

/// Keep an uploaded file (our export, a Todoist project's CSV or a Todoist
/// backup) and preview importing it; its id, for the page that shows the
/// preview and offers the import itself.
pub async fn upload(pool: &PgPool, user_id: Uuid, file: &[u8], file_name: &str) -> Result<Uuid, Error> {
    let (doc, notes) = if super::todoist::is_backup(file) {
        super::todoist::read_backup(file)?
    } else {
        let text = std::str::from_utf8(file).map_err(|_| {
            Error::field(
                "file",
                "The file is not one this can read: a BuildOS export is JSON, a Todoist project CSV, a Todoist backup a zip.",
            )
        })?;
        if super::todoist::looks_like(text) {
            super::todoist::read(text, file_name)?
        } else {
            (parse(text)?, Vec::new())
        }
    };
    let mut report = import(pool, user_id, &doc, true).await?;
    report.skipped.extend(notes);
    let mut tx = begin_as(pool, user_id).await?;
    let id = sqlx::query_scalar!(
        "insert into import_uploads (user_id, document, report) values ($1, $2, $3) returning id",
        user_id,
        serde_json::to_value(&doc).map_err(crate::error::internal)?,
        serde_json::to_value(&report).map_err(crate::error::internal)?
    )
    .fetch_one(&mut *tx)
    .await?;
    // Old previews never imported are not kept.
    sqlx::query!(
        "delete from import_uploads where user_id = $1 and applied_at is null and created_at < now() - interval '1 day'",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get_upload(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<Upload, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select report, applied, document->>'exported_at' as "exported_at!", document#>>'{account,email}' as "email!"
           from import_uploads where id = $1 and user_id = $2"#,
        id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(Upload {
        id,
        preview: serde_json::from_value(row.report).map_err(crate::error::internal)?,
        applied: row.applied.map(serde_json::from_value).transpose().map_err(crate::error::internal)?,
        exported_at: row.exported_at.parse().map_err(crate::error::internal)?,
        exported_by: row.email,
    })
}

/// Import an upload (once: a second call reports what the first did).
pub async fn apply_upload(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<ImportReport, Error> {
    let upload = get_upload(pool, user_id, id).await?;
    if let Some(done) = upload.applied {
        return Ok(done);
    }
    let mut tx = begin_as(pool, user_id).await?;
    let document = sqlx::query_scalar!(
        "select document from import_uploads where id = $1 and user_id = $2 and applied_at is null for update",
        id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::Conflict("This file was imported already.".into()))?;
    let doc: Export = serde_json::from_value(document).map_err(crate::error::internal)?;
    let mut report = import_in(&mut tx, user_id, &doc, false).await?;
    // What the file's reading left out, as the preview said.
    report.skipped.extend(upload.preview.skipped.into_iter().filter(|s| s.kind == "todoist"));
    sqlx::query!(
        "update import_uploads set applied = $3, applied_at = now() where id = $1 and user_id = $2",
        id,
        user_id,
        serde_json::to_value(&report).map_err(crate::error::internal)?
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(report)
}
