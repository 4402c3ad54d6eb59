//! Tasks: create, edit, complete (recurring ones come back), soft delete, lists.
//!
//! Every function runs inside the caller's person-scoped transaction
//! (`db::begin_as`), so several compose into one; this is the only code that
//! writes tasks.

use super::TaskInput;
use super::model::{DashboardLists, Task, TaskStatus, TaskSummary};
use super::recurrence::Recurrence;
use crate::error::Error;
use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

/// A foreign key naming somebody else's (or no) project or parent task.
fn not_found_on_fk(e: sqlx::Error) -> Error {
    match &e {
        // A parent that is not one of the person's tasks (deleted since, or
        // never theirs): a conflict with what is stored, not a missing task
        // (the one being written exists).
        sqlx::Error::Database(db) if db.constraint() == Some("tasks_parent_task_id_user_id_fkey") => {
            Error::Conflict("parent_task_id: there is no such task to be the parent (it may have been deleted).".into())
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::NotFound,
        _ => e.into(),
    }
}

/// A project's tasks for its page: open ones by date, then the done ones.
pub async fn list_project_tasks(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Uuid,
) -> Result<Vec<TaskSummary>, Error> {
    summaries(conn, user_id, Some(project_id), None, None).await
}

/// Open tasks starting or due between `from` and `to` (inclusive): the calendar's week.
pub async fn list_dated_between(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<TaskSummary>, Error> {
    summaries(conn, user_id, None, None, Some((from, to))).await
}

/// List rows, open tasks first (by date, high priority first on a day), then
/// done ones (latest first); narrowed to one project, and/or to what the
/// dashboard shows for `today` (open up to a week ahead, done in the last week),
/// and/or to open tasks starting or due in a window of days;
/// at most 1,000 rows, so a page stays bounded.
async fn summaries(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Option<Uuid>,
    today: Option<NaiveDate>,
    window: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<TaskSummary>, Error> {
    Ok(sqlx::query_as!(
        TaskSummary,
        "select t.id, p.name as \"project_name?\", p.slug as \"project_slug?\", t.title,
                t.priority as \"priority: _\", t.status as \"status: _\", t.start_date, t.due_date,
                t.recurrence as \"recurrence: _\", t.scheduled_at, t.duration_minutes, t.pinned
         from tasks t left join projects p on p.id = t.project_id
         where t.user_id = $1 and t.deleted_at is null and (p.id is null or p.deleted_at is null)
           and ($2::uuid is null or t.project_id = $2)
           and ($3::date is null
             or (t.status <> 'done' and least(t.start_date, t.due_date) <= $3::date + 7)
             or (t.status = 'done' and t.completed_at > now() - interval '7 days'))
           and ($4::date is null
             or (t.status <> 'done' and (t.start_date between $4 and $5 or t.due_date between $4 and $5)))
         order by (t.status = 'done'), t.completed_at desc nulls first,
                  coalesce(t.due_date, t.start_date) nulls last, t.scheduled_at nulls last,
                  t.priority = 'high' desc, t.created_at
         limit 1000",
        user_id,
        project_id,
        today,
        window.map(|w| w.0),
        window.map(|w| w.1)
    )
    .fetch_all(conn)
    .await?)
}

/// What a task list can be narrowed to (the API's filters).
#[derive(Debug, Default)]
pub struct TaskFilter {
    pub project_id: Option<Uuid>,
    pub status: Option<TaskStatus>,
    /// Due on or before.
    pub due_before: Option<NaiveDate>,
    /// Due on or after.
    pub due_after: Option<NaiveDate>,
}

/// A page of the person's tasks matching `f` (by due date), and how many match in all.
pub async fn list_tasks(
    conn: &mut PgConnection,
    user_id: Uuid,
    f: &TaskFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Task>, i64), Error> {
    let total: i64 = sqlx::query_scalar!(
        r#"select count(*) as "n!" from tasks
           where user_id = $1 and deleted_at is null
             and ($2::uuid is null or project_id = $2) and ($3::text is null or status = $3)
             and ($4::date is null or due_date <= $4) and ($5::date is null or due_date >= $5)"#,
        user_id,
        f.project_id,
        f.status.map(TaskStatus::as_str),
        f.due_before,
        f.due_after
    )
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query_as!(
        Task,
        "select t.id, t.project_id, p.name as \"project_name?\", p.slug as \"project_slug?\", t.parent_task_id,
                t.title, t.description, t.details, t.priority as \"priority: _\", t.status as \"status: _\",
                t.duration_minutes, t.start_date, t.due_date, t.recurrence as \"recurrence: _\", t.recurrence_end, t.completed_at, t.deleted_at, t.updated_at
         from tasks t left join projects p on p.id = t.project_id
         where t.user_id = $1 and t.deleted_at is null
           and ($2::uuid is null or t.project_id = $2) and ($3::text is null or t.status = $3)
           and ($4::date is null or t.due_date <= $4) and ($5::date is null or t.due_date >= $5)
         order by t.due_date nulls last, t.created_at
         limit $6 offset $7",
        user_id,
        f.project_id,
        f.status.map(TaskStatus::as_str),
        f.due_before,
        f.due_after,
        limit,
        offset
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((rows, total))
}

pub async fn get_task(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<Task, Error> {
    sqlx::query_as!(
        Task,
        "select t.id, t.project_id, p.name as \"project_name?\", p.slug as \"project_slug?\", t.parent_task_id,
                t.title, t.description, t.details, t.priority as \"priority: _\", t.status as \"status: _\",
                t.duration_minutes, t.start_date, t.due_date, t.recurrence as \"recurrence: _\", t.recurrence_end, t.completed_at, t.deleted_at, t.updated_at
         from tasks t left join projects p on p.id = t.project_id
         where t.id = $1 and t.user_id = $2 and t.deleted_at is null",
        id,
        user_id
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(Error::from)
}

/// Create a task: a row in its project, then its fields written as any
/// change is (so a task created done that repeats gets its next occurrence).
pub async fn insert_task(conn: &mut PgConnection, user_id: Uuid, t: TaskInput) -> Result<Uuid, Error> {
    t.check()?;
    let id = sqlx::query_scalar!(
        "insert into tasks (user_id, project_id, title) values ($1, $2, $3) returning id",
        user_id,
        t.project_id,
        t.title.as_str()
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(not_found_on_fk)?;
    update_task(conn, user_id, id, t).await?;
    tracing::info!(user.id = %user_id, task.id = %id, "task created");
    Ok(id)
}

/// Mark an imported task done as it was recorded (`completed_at`), without
/// creating a next occurrence: the export being imported holds that one.
pub async fn restore_done(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    completed_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Error> {
    sqlx::query!(
        "update tasks set status = 'done', completed_at = coalesce($3, now()) where id = $1 and user_id = $2",
        id,
        user_id,
        completed_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replace a task's fields (not its project). Marked done, a recurring task's
/// next occurrence is created, as with [`set_task_done`]; its id is returned.
pub async fn update_task(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    t: TaskInput,
) -> Result<Option<Uuid>, Error> {
    if t.parent_task_id == Some(id) {
        return Err(Error::field("parent_task_id", "A task cannot be its own parent."));
    }
    t.check()?;
    let done = sqlx::query!(
        "update tasks set parent_task_id = $3, title = $4, description = $5, details = $6, priority = $7,
                status = $8, duration_minutes = $9, start_date = $10, due_date = $11, recurrence = $12,
                recurrence_end = $13,
                series_anchor = case when recurrence is distinct from $12 or series_anchor is null
                                          or start_date is distinct from $10 then $10
                                     else series_anchor end,
                completed_at = case when $8 = 'done' then coalesce(completed_at, now()) end
         where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id,
        t.parent_task_id,
        t.title.as_str(),
        t.description.as_str(),
        t.details.as_str(),
        t.priority.as_str(),
        t.status.as_str(),
        t.duration_minutes.map(|m| m.get()),
        t.start_date,
        t.due_date,
        t.recurrence.map(Recurrence::as_str),
        t.recurrence_end
    )
    .execute(&mut *conn)
    .await
    .map_err(not_found_on_fk)?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    if t.status == TaskStatus::Done { create_next_occurrence(conn, user_id, id).await } else { Ok(None) }
}

/// Mark a task done, or (not `done`) put it back to the backlog. Done, a
/// recurring task's next occurrence is created at the same time (once:
/// completing the same occurrence again creates nothing); its id is returned.
pub async fn set_task_done(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    done: bool,
) -> Result<Option<Uuid>, Error> {
    let changed = sqlx::query!(
        "update tasks set status = case when $3 then 'done' else 'backlog' end,
                          completed_at = case when $3 then coalesce(completed_at, now()) end
         where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id,
        done
    )
    .execute(&mut *conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    if !done {
        return Ok(None);
    }
    let next_id = create_next_occurrence(conn, user_id, id).await?;
    tracing::info!(user.id = %user_id, task.id = %id, next.id = ?next_id, "task completed");
    Ok(next_id)
}

/// For a done recurring task: its next occurrence, created once (a second
/// call for the same task creates nothing). However the task became done.
async fn create_next_occurrence(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<Option<Uuid>, Error> {
    let task = sqlx::query!(
        "select project_id, parent_task_id, title, description, details, priority, duration_minutes,
                start_date, due_date, recurrence, recurrence_end, series_anchor
         from tasks where id = $1 and user_id = $2 and status = 'done'",
        id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(task) = task else { return Ok(None) };
    let (Some(pattern), Some(start)) = (task.recurrence.as_deref().and_then(Recurrence::parse), task.start_date) else {
        return Ok(None);
    };
    let anchor = task.series_anchor.unwrap_or(start);
    let next_start = pattern.next_after(anchor, start);
    let next_due = task.due_date.map(|due| next_start + (due - start));
    if task.recurrence_end.is_some_and(|end| next_start > end) {
        return Ok(None);
    }
    let next = sqlx::query_scalar!(
        "insert into tasks (user_id, project_id, parent_task_id, title, description, details, priority,
                            duration_minutes, start_date, due_date, recurrence, recurrence_end,
                            series_anchor, previous_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict (previous_id) do nothing
         returning id",
        user_id,
        task.project_id,
        task.parent_task_id,
        task.title,
        task.description,
        task.details,
        task.priority,
        task.duration_minutes,
        next_start,
        next_due,
        task.recurrence,
        task.recurrence_end,
        anchor,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(next)
}

/// Move task `id` to `day` (its start date); a due date keeps its distance
/// from the start. Through the same write as any change.
pub async fn move_to(conn: &mut PgConnection, user_id: Uuid, id: Uuid, day: NaiveDate) -> Result<(), Error> {
    let current = get_task(&mut *conn, user_id, id).await?;
    let due = match (current.start_date, current.due_date) {
        (Some(start), Some(due)) => Some(day + (due - start)),
        (None, Some(due)) => Some(due.max(day)),
        (_, None) => None,
    };
    let input: TaskInput = crate::patch::merged(&current, serde_json::json!({ "start_date": day, "due_date": due }))?;
    input.check()?;
    update_task(conn, user_id, id, input).await.map(drop)
}

/// Give task `id` a block of time from `at` (its start date becomes that
/// day, in the person's timezone), `minutes` long (None keeps its length);
/// `at` None takes the block away. A block set by hand is pinned: a planner
/// leaves it where the person put it. With Google Calendar connected, the
/// task's event follows (the `tasks` trigger queues it).
pub async fn schedule(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    at: Option<chrono::DateTime<chrono::Utc>>,
    minutes: Option<super::Minutes>,
) -> Result<(), Error> {
    let changed = sqlx::query!(
        "update tasks t set scheduled_at = $3::timestamptz, pinned = $3::timestamptz is not null,
                duration_minutes = coalesce($4, duration_minutes),
                start_date = coalesce(($3::timestamptz at time zone u.timezone)::date, start_date)
         from users u
         where t.id = $1 and t.user_id = $2 and u.id = t.user_id and t.deleted_at is null",
        id,
        user_id,
        at,
        minutes.map(super::Minutes::get)
    )
    .execute(&mut *conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tracing::info!(user.id = %user_id, task.id = %id, scheduled = ?at, "task scheduled");
    Ok(())
}

/// Give task `id` a planned block: from `at`, `minutes` long, its start date
/// `day` (the block's local day); unpinned, so a later plan may move it.
pub async fn place_block(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    at: chrono::DateTime<chrono::Utc>,
    minutes: i32,
    day: NaiveDate,
) -> Result<(), Error> {
    set_block(conn, user_id, id, Some(at), Some(minutes), Some(day), false).await
}

/// Set task `id`'s block, length, start date and pin as given (undoing a
/// plan puts them back as they were).
pub async fn set_block(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    at: Option<chrono::DateTime<chrono::Utc>>,
    minutes: Option<i32>,
    day: Option<NaiveDate>,
    pinned: bool,
) -> Result<(), Error> {
    let changed = sqlx::query!(
        "update tasks set scheduled_at = $3, duration_minutes = $4, start_date = $5, pinned = $6
         where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id,
        at,
        minutes,
        day,
        pinned
    )
    .execute(&mut *conn)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Put the open tasks `ids` of project `project_id` into phase `phase_id`;
/// how many there were.
pub async fn set_phase(
    conn: &mut PgConnection,
    user_id: Uuid,
    project_id: Uuid,
    ids: &[Uuid],
    phase_id: Uuid,
) -> Result<u64, Error> {
    Ok(sqlx::query!(
        "update tasks set phase_id = $1
         where id = any($2) and project_id = $3 and user_id = $4 and deleted_at is null and status <> 'done'",
        phase_id,
        ids,
        project_id,
        user_id
    )
    .execute(conn)
    .await?
    .rows_affected())
}

/// Take task `id`'s block of time away (its event was deleted elsewhere);
/// the task keeps everything else. False when it had no block.
pub async fn unschedule_block(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<bool, Error> {
    let changed = sqlx::query!(
        "update tasks set scheduled_at = null, pinned = false
         where id = $1 and user_id = $2 and scheduled_at is not null",
        id,
        user_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(changed.rows_affected() > 0)
}

/// Task `id` follows its calendar event: moved `to` a new time (it takes the
/// new length and is pinned: a planner leaves it where the person put it),
/// and/or renamed to `title` (cleaned as the task form would take it).
pub async fn follow_event(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    to: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
    title: Option<&str>,
) -> Result<(), Error> {
    let minutes = to.map(|(s, e)| i32::try_from((e - s).num_minutes().clamp(1, 10_080)).unwrap_or(30));
    let title = title
        .map(|t| t.trim().chars().filter(|c| !c.is_control()).take(crate::limits::TASK_TITLE).collect::<String>())
        .filter(|t| !t.trim().is_empty());
    sqlx::query!(
        "update tasks set scheduled_at = coalesce($3, scheduled_at), duration_minutes = coalesce($4, duration_minutes),
                          pinned = pinned or $3 is not null, title = coalesce($5, title)
         where id = $1 and user_id = $2",
        id,
        user_id,
        to.map(|(s, _)| s),
        minutes,
        title.as_deref()
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The dashboard's lists, for the person's local `today`.
pub async fn dashboard_lists(
    conn: &mut PgConnection,
    user_id: Uuid,
    today: NaiveDate,
) -> Result<DashboardLists, Error> {
    // One query; each row is sorted into its section below. A task is overdue
    // when its due date (or, without one, its start date) has passed.
    let rows = summaries(conn, user_id, None, Some(today), None).await?;
    let mut lists = DashboardLists::default();
    for task in rows {
        let when = task.due_date.or(task.start_date);
        if task.status == TaskStatus::Done {
            lists.completed.push(task);
        } else if when.is_some_and(|d| d < today) {
            lists.overdue.push(task);
        } else if task.start_date == Some(today)
            || task.due_date == Some(today)
            || task.start_date.is_some_and(|s| s < today)
        {
            lists.today.push(task);
        } else {
            lists.upcoming.push(task);
        }
    }
    Ok(lists)
}
