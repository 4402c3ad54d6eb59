//! Phases on the server: propose (outside any transaction while the model
//! thinks), apply in one transaction, list for the timeline, remove.

use super::{MAX_PHASES, Phase, PhaseInput, PhaseProposal, PhaseTask, PlanInput, PlanTask, offline};
use crate::brain_dump::llm::Engine;
use crate::brain_dump::quota::{self, Purpose};
use crate::db::begin_as;
use crate::error::Error;
use crate::project::service::{ProjectKey, get_project};
use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Phases proposed for the project `key` names, on the person's local `today`.
/// The LLM when configured and within the person's quota, else (or when it
/// fails) the offline rules, saying why in `note`. A field error on `phases`
/// when there is nothing to split.
pub async fn propose(
    pool: &PgPool,
    user_id: Uuid,
    key: ProjectKey<'_>,
    engine: &Engine,
    today: NaiveDate,
) -> Result<(Uuid, PhaseProposal), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let project = get_project(&mut tx, user_id, key).await?;
    let tasks: Vec<PlanTask> = sqlx::query_as!(
        PlanTask,
        "select id, title, start_date, due_date from tasks
         where project_id = $1 and user_id = $2 and deleted_at is null and status <> 'done'
         order by created_at, id limit 500",
        project.id,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let replaces = sqlx::query_scalar!(
        "select name from project_phases where project_id = $1 and user_id = $2 order by position",
        project.id,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut note = None;
    let llm = match engine {
        // No tasks, nothing to ask the model: the rules name phases from headings alone.
        Engine::Llm(_) if tasks.is_empty() => None,
        Engine::Llm(config) => match quota::take(&mut tx, user_id, Purpose::Phases, &config.quota).await {
            Ok(ticket) => Some((config, ticket)),
            Err(Error::TooManyRequests(why)) => {
                note = Some(format!("{why} Meanwhile these phases come from BuildOS's own rules."));
                None
            }
            Err(e) => return Err(e),
        },
        Engine::Offline => None,
    };
    tx.commit().await?;

    let input =
        PlanInput { start: project.start_date, end: project.end_date, context: &project.context, tasks: &tasks, today };
    let mut engine_used = "offline";
    let answer = match llm {
        Some((config, ticket)) => {
            let (answer, tokens) = quota::counting(super::llm::propose(config, &project.name, &input)).await;
            quota::spent(pool, ticket, &config.model, tokens).await;
            Some(answer)
        }
        None => None,
    };
    let phases = match answer {
        Some(Ok(phases)) => {
            engine_used = "llm";
            phases
        }
        Some(Err(error)) => {
            tracing::warn!(user.id = %user_id, project.id = %project.id, %error, "phases: the LLM failed; offline rules");
            note = Some("The AI service failed, so these phases come from BuildOS's own rules.".into());
            offline(&input)
        }
        None => offline(&input),
    };
    if phases.is_empty() {
        return Err(Error::field(
            "phases",
            "Nothing to split yet: add at least two open tasks, or two headings (“## Research”, “## Build”) to the project's context.",
        ));
    }
    let tasks = tasks.into_iter().map(|t| (t.id, t.title)).collect();
    Ok((project.id, PhaseProposal { phases, tasks, replaces, engine: engine_used.into(), note }))
}

/// Apply reviewed phases to project `project_id`, replacing its phases (its
/// tasks leave the old ones); how many there are now. A task no longer open
/// in the project makes it a conflict and changes nothing.
pub async fn apply(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Uuid,
    phases: &[PhaseInput],
) -> Result<usize, Error> {
    PhaseInput::check_all(phases)?;
    sqlx::query_scalar!(
        "select id from projects where id = $1 and user_id = $2 and deleted_at is null for update",
        project_id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound)?;
    remove(&mut *conn, user_id, project_id).await?;
    for (position, p) in phases.iter().enumerate() {
        let id = sqlx::query_scalar!(
            "insert into project_phases (user_id, project_id, position, name, start_date, end_date)
             values ($1, $2, $3, $4, $5, $6) returning id",
            user_id,
            project_id,
            position as i32,
            p.name.as_str(),
            p.start_date,
            p.end_date
        )
        .fetch_one(&mut *conn)
        .await?;
        let moved = crate::task::service::set_phase(&mut *conn, user_id, project_id, &p.task_ids, id).await?;
        if moved != p.task_ids.len() as u64 {
            return Err(Error::Conflict(
                "A task of these phases was done, moved or deleted since they were proposed: generate them again."
                    .into(),
            ));
        }
    }
    tracing::info!(user.id = %user_id, project.id = %project_id, phases = phases.len(), "phases applied");
    Ok(phases.len())
}

/// Take project `project_id`'s phases away (its tasks stay, in no phase).
pub async fn remove(conn: &mut PgConnection, user_id: Uuid, project_id: Uuid) -> Result<(), Error> {
    sqlx::query!("delete from project_phases where project_id = $1 and user_id = $2", project_id, user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Project `project_id`'s phases in order, each with its tasks (done ones too).
pub async fn list(conn: &mut PgConnection, user_id: Uuid, project_id: Uuid) -> Result<Vec<Phase>, Error> {
    let mut phases: Vec<Phase> = sqlx::query!(
        "select id, name, start_date, end_date from project_phases
         where project_id = $1 and user_id = $2 order by position limit $3",
        project_id,
        user_id,
        MAX_PHASES as i64
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Phase { id: r.id, name: r.name, start_date: r.start_date, end_date: r.end_date, tasks: Vec::new() })
    .collect();
    if phases.is_empty() {
        return Ok(phases);
    }
    let tasks = sqlx::query!(
        r#"select id, title, phase_id as "phase_id!", status = 'done' as "done!" from tasks
           where project_id = $1 and user_id = $2 and deleted_at is null and phase_id is not null
           order by coalesce(due_date, start_date) nulls last, created_at limit 1000"#,
        project_id,
        user_id
    )
    .fetch_all(&mut *conn)
    .await?;
    for t in tasks {
        if let Some(p) = phases.iter_mut().find(|p| p.id == t.phase_id) {
            p.tasks.push(PhaseTask { id: t.id, title: t.title, done: t.done });
        }
    }
    Ok(phases)
}
