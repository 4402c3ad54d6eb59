//! Brain dumps on the server: autosaved drafts, parsing, history; confirm and undo live beside it.

mod confirm;
mod undo;

pub use confirm::{confirm, confirm_chosen};
pub use undo::undo;

use super::Content;
use super::llm::{self, Engine};
use super::model::{BrainDump, DumpStatus, DumpSummary, MAX_CHARS, ParseEvent};
use super::offline::{self, KnownProject};
use super::operation::{Operation, ProjectRef, Table};
use super::review;
use crate::db::{as_user, begin_as};
use crate::error::Error;
use sqlx::PgPool;
use uuid::Uuid;

fn check_length(content: &str) -> Result<(), Error> {
    let n = content.chars().count();
    if n > MAX_CHARS {
        return Err(Error::field(
            "content",
            format!(
                "A brain dump holds at most {},{:03} characters; this one has {n}. Split it in two.",
                MAX_CHARS / 1000,
                MAX_CHARS % 1000
            ),
        ));
    }
    Ok(())
}

/// Save the draft being typed (there is one per person); returns its id.
pub async fn save_draft(pool: &PgPool, user_id: Uuid, content: &str) -> Result<Uuid, Error> {
    check_length(content)?;
    insert(pool, user_id, content, DumpStatus::Draft).await
}

/// A new dump from text (the API's way in; the page autosaves a draft
/// instead). It is processed with `parse`.
pub async fn create(pool: &PgPool, user_id: Uuid, content: &Content) -> Result<Uuid, Error> {
    insert(pool, user_id, content.as_str(), DumpStatus::New).await
}

/// A new dump, or for a draft the person's one draft, replaced.
async fn insert(pool: &PgPool, user_id: Uuid, content: &str, status: DumpStatus) -> Result<Uuid, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let id = sqlx::query_scalar!(
        "insert into brain_dumps (user_id, content, status) values ($1, $2, $3)
         on conflict (user_id) where status = 'draft' do update set content = excluded.content
         returning id",
        user_id,
        content,
        status.as_str()
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Add an exported brain dump to the account as it was (its text, status and
/// proposals). A draft is kept only when no draft is being written (none is
/// returned then); one interrupted while processing comes back failed.
pub async fn import_dump(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    b: &crate::export::ExportedBrainDump,
) -> Result<Option<Uuid>, Error> {
    let content = crate::text::Text::<0, { crate::limits::BRAIN_DUMP }>::new(&b.content)
        .map_err(|e| Error::field("content", e.message("A brain dump")))?;
    let (status, error) = match b.status {
        DumpStatus::Processing => (DumpStatus::Failed, Some("Processing was interrupted when this was exported.")),
        s => (s, None),
    };
    Ok(sqlx::query_scalar!(
        "insert into brain_dumps (user_id, content, status, operations, error, created_at, parsed_at)
         values ($1, $2, $3, $4, $5, $6::timestamptz, case when $3 in ('parsed', 'applied', 'undone') then $6::timestamptz end)
         on conflict (user_id) where status = 'draft' do nothing
         returning id",
        user_id,
        content.as_str(),
        status.as_str(),
        serde_json::to_value(&b.operations).map_err(crate::error::internal)?,
        error,
        b.created_at
    )
    .fetch_optional(conn)
    .await?)
}

/// Remove dump `id` unless it was applied (a dump made for the person that
/// could not be processed, say over the AI quota).
pub async fn discard(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!("delete from brain_dumps where id = $1 and user_id = $2 and status <> 'applied'", id, user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The draft being typed, if any.
pub async fn find_draft(pool: &PgPool, user_id: Uuid) -> Result<Option<(Uuid, String)>, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!("select id, content from brain_dumps where user_id = $1 and status = 'draft'", user_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.map(|r| (r.id, r.content)))
}

/// Past dumps (not the draft), newest first.
pub async fn list_dumps(pool: &PgPool, user_id: Uuid) -> Result<Vec<DumpSummary>, Error> {
    as_user(pool, user_id, move |tx| {
        Box::pin(async move {
            Ok(sqlx::query_as!(
                DumpSummary,
                r#"select id, left(content, 140) as "preview!", status as "status: _",
                          jsonb_array_length(operations) as "operations!", created_at
                   from brain_dumps where user_id = $1 and status <> 'draft' order by created_at desc limit 50"#,
                user_id
            )
            .fetch_all(tx)
            .await?)
        })
    })
    .await
}

pub async fn get_dump(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<BrainDump, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let r = sqlx::query!(
        r#"select id, content, status as "status: DumpStatus", engine, operations, error, created_at, updated_at
           from brain_dumps where id = $1 and user_id = $2"#,
        id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
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
    let target_ids: Vec<Uuid> = operations.iter().filter_map(|o| o.target_id).collect();
    let target_names = if target_ids.is_empty() {
        Vec::new()
    } else {
        sqlx::query!(
            r#"select id as "id!", name as "name!" from projects where id = any($1) and user_id = $2
               union all select id, title from tasks where id = any($1) and user_id = $2
               union all select id, coalesce(nullif(title, ''), left(body, 60)) from notes
                 where id = any($1) and user_id = $2"#,
            &target_ids,
            user_id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect()
    };
    tx.commit().await?;
    Ok(BrainDump {
        id: r.id,
        content: r.content,
        status: r.status,
        engine: r.engine,
        operations,
        project_names,
        target_names,
        error: r.error,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// Propose operations for dump `id` with `engine`, on the person's local today.
/// A parsed (or failed) dump can be parsed again (re-review after a conflict).
pub async fn parse(pool: &PgPool, user_id: Uuid, id: Uuid, engine: &Engine) -> Result<BrainDump, Error> {
    parse_streaming(pool, user_id, id, engine, &|_| {}).await?;
    get_dump(pool, user_id, id).await
}

/// A `processing` dump whose processor has not finished in this long is taken to have died.
const STALE_PROCESSING: &str = "15 minutes";

/// Parse as `parse` does, telling `emit` what happens: status lines and each
/// operation as the engine produces it. Returns how many operations were stored.
///
/// The dump is marked `processing` first and the engine runs outside any
/// transaction; then the dump becomes `parsed` with the operations, or `failed`
/// with the reason. When it was cancelled meanwhile (no longer `processing`),
/// nothing is stored and the result is a `Conflict`.
pub async fn parse_streaming(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    engine: &Engine,
    emit: &(dyn Fn(ParseEvent) + Send + Sync),
) -> Result<usize, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select d.content, d.status, d.updated_at < now() - $3::text::interval as "stale!",
                  d.status = 'new' as "from_api!", u.timezone
           from brain_dumps d join users u on u.id = d.user_id
           where d.id = $1 and d.user_id = $2 for update of d"#,
        id,
        user_id,
        STALE_PROCESSING
    )
    .fetch_one(&mut *tx)
    .await?;
    let restartable = matches!(row.status.as_str(), "draft" | "new" | "parsed" | "failed")
        || (row.status == "processing" && row.stale);
    if !restartable {
        return Err(Error::Conflict(match row.status.as_str() {
            "processing" => "This brain dump is being processed already.".into(),
            _ => "This brain dump has already been applied.".into(),
        }));
    }
    if row.content.trim().is_empty() {
        return Err(Error::field("content", "Write something first: there is nothing to process yet."));
    }
    // The model costs money: a call is taken from the person's quota first
    // (a refusal changes nothing, and the model is not reached).
    let ticket = match engine {
        Engine::Llm(config) => {
            Some(super::quota::take(&mut tx, user_id, super::quota::Purpose::BrainDump, &config.quota).await?)
        }
        Engine::Offline => None,
    };
    // "Tomorrow" is read in the person's own timezone.
    let today = offline::dates::today_in(&row.timezone);
    let projects =
        sqlx::query!("select id, name, updated_at from projects where user_id = $1 and deleted_at is null", user_id)
            .fetch_all(&mut *tx)
            .await?;
    let known: Vec<KnownProject> = projects.iter().map(|p| KnownProject { id: p.id, name: p.name.clone() }).collect();
    // What the LLM may change: the projects and the most recently touched open tasks.
    let mut targets: Vec<llm::Target> = Vec::new();
    if let Engine::Llm(_) = engine {
        targets.extend(projects.into_iter().map(|p| llm::Target {
            id: p.id,
            table: Table::Project,
            name: p.name,
            project: None,
            version: p.updated_at,
        }));
        let tasks = sqlx::query!(
            r#"select t.id, t.title, t.updated_at, p.name as "project?" from tasks t
               left join projects p on p.id = t.project_id
               where t.user_id = $1 and t.deleted_at is null and p.deleted_at is null and t.status <> 'done'
               order by t.updated_at desc limit 40"#,
            user_id
        )
        .fetch_all(&mut *tx)
        .await?;
        targets.extend(tasks.into_iter().map(|t| llm::Target {
            id: t.id,
            table: Table::Task,
            name: t.title,
            project: t.project,
            version: t.updated_at,
        }));
    }
    sqlx::query!("update brain_dumps set status = 'processing', error = null where id = $1", id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let names: Vec<(Uuid, String)> = known.iter().map(|k| (k.id, k.name.clone())).collect();
    let mut new: Vec<(String, String)> = Vec::new();
    let mut show = |operation: Operation| {
        new.extend(review::new_projects(std::slice::from_ref(&operation)));
        let home = review::home_label(&operation, &names, &new);
        emit(ParseEvent::Operation { operation: Box::new(operation), home });
    };
    let result = match engine {
        Engine::Offline => {
            emit(ParseEvent::Status { message: "Reading your text…".into() });
            let ops = offline::parse(&row.content, today, &known);
            ops.iter().cloned().for_each(&mut show);
            Ok(ops)
        }
        Engine::Llm(config) => {
            emit(ParseEvent::Status { message: format!("Asking the AI ({})…", config.model) });
            let started = std::time::Instant::now();
            let (proposed, tokens) = super::quota::counting(llm::propose(
                config,
                &row.content,
                today,
                &row.timezone,
                &known,
                &targets,
                &mut show,
            ))
            .await;
            crate::metrics::llm_call("brain_dump", proposed.is_ok(), started.elapsed());
            if let Some(ticket) = ticket {
                super::quota::spent(pool, ticket, &config.model, tokens).await;
            }
            proposed
        }
    };
    let ops = match result {
        Ok(ops) => ops,
        Err(e) => {
            tracing::warn!(user.id = %user_id, dump.id = %id, error = %e, "LLM engine failed");
            let message = e.to_string();
            let mut tx = begin_as(pool, user_id).await?;
            sqlx::query!(
                "update brain_dumps set status = 'failed', error = $2 where id = $1 and status = 'processing'",
                id,
                message
            )
            .execute(&mut *tx)
            .await?;
            // The failed attempt stays in the history; its text stays in the editor
            // (not for the API's dumps: the editor is the person's own).
            if !row.from_api {
                restore_draft(&mut tx, user_id, &row.content).await?;
            }
            tx.commit().await?;
            return Err(Error::Upstream(message));
        }
    };
    let json = serde_json::to_value(&ops).map_err(crate::error::internal)?;
    let mut tx = begin_as(pool, user_id).await?;
    let stored = sqlx::query!(
        "update brain_dumps set status = 'parsed', engine = $3, operations = $2, error = null,
                parsed_at = now() where id = $1 and status = 'processing'",
        id,
        json,
        engine.name()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    if stored == 0 {
        return Err(Error::Conflict("Processing was cancelled; your text is back in the editor.".into()));
    }
    tracing::info!(user.id = %user_id, dump.id = %id, engine = engine.name(), operations = ops.len(), "brain dump parsed");
    Ok(ops.len())
}

/// Put `content` back in the editor, unless a newer draft is being typed.
async fn restore_draft(tx: &mut sqlx::PgConnection, user_id: Uuid, content: &str) -> Result<(), Error> {
    sqlx::query!(
        "insert into brain_dumps (user_id, content) values ($1, $2)
         on conflict (user_id) where status = 'draft' do nothing",
        user_id,
        content
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Stop processing dump `id`: it becomes the draft again (or, when another
/// draft is being typed meanwhile, a failed dump named "cancelled" whose text
/// stays in the history). Cancelling a dump that is not processing changes nothing.
pub async fn cancel(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<bool, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let other_draft: bool = sqlx::query_scalar!(
        r#"select exists (select 1 from brain_dumps where user_id = $1 and status = 'draft') as "e!""#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let (status, error) = if other_draft { ("failed", Some("Cancelled.")) } else { ("draft", None) };
    let changed = sqlx::query!(
        "update brain_dumps set status = $3, error = $4 where id = $1 and user_id = $2 and status = 'processing'",
        id,
        user_id,
        status,
        error
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(changed > 0)
}
