//! Plans in the database: the person's preferences, a proposal for a window
//! of days (nothing written), an accepted proposal applied in the caller's
//! transaction (each block through `task::service`, so Google follows by the
//! `tasks` trigger), and a plan undone as one batch.

use super::planner::{Input, Item, plan};
use super::{Accepted, AppliedPlan, Part, Preferences, Proposal, UndonePlan, WorkHours};
use crate::error::Error;
use crate::task::model::Priority;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The longest window a plan covers, in days.
pub const WINDOW_DAYS: i64 = 31;
/// The most blocks one plan applies.
pub const BLOCKS_MAX: usize = 2_000;

/// The person's preferences (the defaults until they save some).
pub async fn preferences(conn: &mut PgConnection, user_id: Uuid) -> Result<Preferences, Error> {
    let row = sqlx::query!(
        r#"select day_starts as "day_starts: Vec<Option<NaiveTime>>", day_ends as "day_ends: Vec<Option<NaiveTime>>",
                  buffer_minutes, default_minutes, max_day_minutes, days_off, split_minutes
           from scheduling_preferences where user_id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(Preferences::default()) };
    let mut hours = [None; 7];
    for (i, h) in hours.iter_mut().enumerate() {
        if let (Some(Some(start)), Some(Some(end))) = (r.day_starts.get(i), r.day_ends.get(i)) {
            *h = Some(WorkHours { start: *start, end: *end });
        }
    }
    Ok(Preferences {
        hours,
        buffer_minutes: r.buffer_minutes,
        default_minutes: r.default_minutes,
        max_day_minutes: r.max_day_minutes,
        days_off: r.days_off,
        split_minutes: r.split_minutes,
    })
}

/// Save the person's preferences (checked first: nothing is saved when one is wrong).
pub async fn save_preferences(conn: &mut PgConnection, user_id: Uuid, p: &Preferences) -> Result<(), Error> {
    if let Some((field, message)) = p.problem() {
        return Err(Error::field(field, message));
    }
    let mut days_off = p.days_off.clone();
    days_off.sort();
    days_off.dedup();
    let starts: Vec<Option<NaiveTime>> = p.hours.iter().map(|h| h.map(|h| h.start)).collect();
    let ends: Vec<Option<NaiveTime>> = p.hours.iter().map(|h| h.map(|h| h.end)).collect();
    sqlx::query!(
        "insert into scheduling_preferences (user_id, day_starts, day_ends, buffer_minutes, default_minutes,
                                             max_day_minutes, days_off, split_minutes)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (user_id) do update set day_starts = $2, day_ends = $3, buffer_minutes = $4,
             default_minutes = $5, max_day_minutes = $6, days_off = $7, split_minutes = $8",
        user_id,
        &starts as &[Option<NaiveTime>],
        &ends as &[Option<NaiveTime>],
        p.buffer_minutes,
        p.default_minutes,
        p.max_day_minutes,
        &days_off,
        p.split_minutes
    )
    .execute(conn)
    .await?;
    tracing::info!(user.id = %user_id, "scheduling preferences saved");
    Ok(())
}

/// The days a plan covers: `from` (None: today) to `to` (None: six days
/// later), not before today and at most [`WINDOW_DAYS`] long.
pub fn window(
    today: NaiveDate,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let from = from.unwrap_or(today);
    let to = to.unwrap_or(from + Duration::days(6));
    if from < today {
        return Err(Error::field("from", "The plan cannot start before today."));
    }
    if to < from {
        return Err(Error::field("to", "The last day must not be before the first."));
    }
    if (to - from).num_days() >= WINDOW_DAYS {
        return Err(Error::field("to", format!("A plan covers at most {WINDOW_DAYS} days.")));
    }
    Ok((from, to))
}

/// The instants a window of local days runs between.
fn bounds(tz: chrono_tz::Tz, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| super::planner::local_instant(tz, d, NaiveTime::MIN).unwrap_or_default();
    (midnight(from), midnight(to + Duration::days(1)))
}

/// Calendar busy time (imported calendars and Google calendars counted as
/// busy; all-day events do not block time) overlapping `span`.
async fn busy(
    conn: &mut PgConnection,
    user_id: Uuid,
    span: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>, String)>, Error> {
    let rows = sqlx::query!(
        r#"select starts_at as "starts_at!", ends_at as "ends_at!", summary as "summary!" from (
             select starts_at, ends_at, summary from calendar_events
             where user_id = $1 and not all_day and starts_at < $3 and ends_at > $2
             union all
             select g.starts_at, g.ends_at, g.summary
             from google_events g join google_calendars c using (user_id, calendar_id)
             where g.user_id = $1 and c.busy and not g.all_day and g.starts_at < $3 and g.ends_at > $2) b
           limit 20000"#,
        user_id,
        span.0,
        span.1
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.starts_at, r.ends_at, r.summary)).collect())
}

/// Open tasks the planner considers for a window ending `to` (`end` its last
/// instant): those with a block before its end (pinned ones are busy time),
/// and unscheduled ones due or starting by then, or of high priority. A task
/// with open subtasks and no block is planned through its subtasks (they are
/// its parts once it was split); a subtask is never split.
async fn items(conn: &mut PgConnection, user_id: Uuid, to: NaiveDate, end: DateTime<Utc>) -> Result<Vec<Item>, Error> {
    let rows = sqlx::query!(
        r#"select t.id, t.title, t.duration_minutes, t.priority as "priority: Priority", t.due_date, t.start_date,
                  t.scheduled_at, t.pinned, t.parent_task_id is null as "splittable!"
           from tasks t left join projects p on p.id = t.project_id
           where t.user_id = $1 and t.deleted_at is null and (p.id is null or p.deleted_at is null)
             and t.status <> 'done'
             and (t.scheduled_at < $3
                  or (t.scheduled_at is null and (t.due_date <= $2 or t.start_date <= $2 or t.priority = 'high')
                      and (t.start_date is null or t.start_date <= $2)
                      and not exists (select 1 from tasks c where c.parent_task_id = t.id and c.user_id = t.user_id
                                        and c.deleted_at is null and c.status <> 'done')))
           order by t.id limit 5000"#,
        user_id,
        to,
        end
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Item {
            id: r.id,
            title: r.title,
            minutes: r.duration_minutes,
            priority: r.priority,
            due: r.due_date,
            start: r.start_date,
            block: r.scheduled_at.map(|at| (at, i64::from(r.duration_minutes.unwrap_or(30)))),
            pinned: r.pinned,
            splittable: r.splittable,
        })
        .collect())
}

/// Local day `day`'s busy time and open task blocks, in time order, as
/// (start, end, title, the task when it is a task's block); at most 50.
pub async fn day_agenda(
    conn: &mut PgConnection,
    user_id: Uuid,
    timezone: &str,
    day: NaiveDate,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>, String, Option<Uuid>)>, Error> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let span = bounds(tz, day, day);
    let mut out: Vec<_> = busy(&mut *conn, user_id, span).await?.into_iter().map(|(s, e, t)| (s, e, t, None)).collect();
    let blocks = sqlx::query!(
        r#"select t.id, t.title, t.scheduled_at as "at!", t.duration_minutes
           from tasks t left join projects p on p.id = t.project_id
           where t.user_id = $1 and t.deleted_at is null and (p.id is null or p.deleted_at is null)
             and t.status <> 'done' and t.scheduled_at >= $2 and t.scheduled_at < $3
           order by t.scheduled_at limit 50"#,
        user_id,
        span.0,
        span.1
    )
    .fetch_all(&mut *conn)
    .await?;
    for b in blocks {
        let end = b.at + Duration::minutes(i64::from(b.duration_minutes.unwrap_or(30)));
        out.push((b.at, end, b.title, Some(b.id)));
    }
    out.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    out.truncate(50);
    Ok(out)
}

/// A proposal for the days `from` to `to` (see [`window`]) as of `now`: nothing is written.
pub async fn propose(
    conn: &mut PgConnection,
    user_id: Uuid,
    timezone: &str,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Proposal, Error> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut prefs = preferences(&mut *conn, user_id).await?;
    let span = bounds(tz, from, to);
    prefs.days_off.extend(crate::calendar::import::holidays_between(&mut *conn, user_id, tz, span).await?);
    let busy: Vec<_> = busy(&mut *conn, user_id, span).await?.into_iter().map(|(s, e, _)| (s, e)).collect();
    let items = items(conn, user_id, to, span.1).await?;
    Ok(plan(&Input { now, tz, from, to, prefs: &prefs, busy: &busy, items: &items }))
}

/// Apply the `accepted` blocks (all of a proposal, or some) as one plan:
/// each task takes its block (unpinned, so a later plan may move it); a task
/// split into parts keeps its fields and loses its own block, and each part
/// becomes its subtask with that block ("Write the report (part 1 of 3)"). Bad
/// input changes nothing: a task that is not the person's, done or pinned,
/// a block in the past, or one that overlaps busy time, another task's block
/// or another accepted block (the calendar changed since the proposal: plan again).
pub async fn apply(
    conn: &mut PgConnection,
    user_id: Uuid,
    timezone: &str,
    now: DateTime<Utc>,
    accepted: &[Accepted],
) -> Result<AppliedPlan, Error> {
    if accepted.is_empty() {
        return Err(Error::field("placements", "Choose at least one block to apply."));
    }
    if accepted.len() > BLOCKS_MAX {
        return Err(Error::field("placements", format!("At most {BLOCKS_MAX} blocks at once.")));
    }
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut sorted: Vec<&Accepted> = accepted.iter().collect();
    sorted.sort_by_key(|a| (a.start, a.task_id));
    // The tasks first, locked: one that is not the person's names nothing (404);
    // one deleted, done or pinned since the proposal is a conflict.
    let ids: Vec<Uuid> = sorted.iter().map(|a| a.task_id).collect();
    check_parts(&sorted)?;
    let tasks = sqlx::query!(
        r#"select id, scheduled_at, duration_minutes, start_date, pinned, title, project_id, due_date,
                  priority as "priority: Priority", parent_task_id,
                  (deleted_at is not null or status = 'done') as "gone!"
           from tasks where user_id = $1 and id = any($2) order by id for update"#,
        user_id,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let before: HashMap<Uuid, _> = tasks.into_iter().map(|t| (t.id, t)).collect();
    for a in &sorted {
        match before.get(&a.task_id) {
            None => return Err(Error::NotFound),
            Some(t) if t.gone => {
                return Err(Error::Conflict("A task in the plan was deleted or done since: plan again.".into()));
            }
            Some(t) if t.pinned => {
                return Err(Error::Conflict("A task in the plan was pinned to its time since: plan again.".into()));
            }
            Some(t) if a.part.is_some() && t.parent_task_id.is_some() => {
                return Err(Error::field("placements", "A subtask cannot be split into parts."));
            }
            Some(_) => {}
        }
    }
    for (i, a) in sorted.iter().enumerate() {
        let minutes = (a.end - a.start).num_minutes();
        if a.end <= a.start || !(5..=1440).contains(&minutes) {
            return Err(Error::field("placements", "Each block must be 5 minutes to 24 hours long."));
        }
        if i > 0 && sorted[i - 1].end > a.start {
            return Err(Error::field("placements", "Two blocks overlap."));
        }
        if a.start < now - Duration::minutes(5) {
            return Err(Error::Conflict("A block now starts in the past: plan again.".into()));
        }
    }
    let (first, last) = (sorted[0].start, sorted.iter().map(|a| a.end).max().unwrap_or(sorted[0].end));
    let clash = |what: &str| Error::Conflict(format!("A block now overlaps {what}: plan again."));
    for (s, e, summary) in busy(&mut *conn, user_id, (first, last)).await? {
        if sorted.iter().any(|a| a.start < e && s < a.end) {
            return Err(clash(&format!("“{summary}”")));
        }
    }
    let others = sqlx::query!(
        r#"select title, scheduled_at as "at!", duration_minutes from tasks
           where user_id = $1 and deleted_at is null and status <> 'done' and scheduled_at is not null
             and not (id = any($2)) and scheduled_at < $4 and scheduled_at + make_interval(mins => coalesce(duration_minutes, 30)) > $3"#,
        user_id,
        &ids,
        first,
        last
    )
    .fetch_all(&mut *conn)
    .await?;
    for o in others {
        let end = o.at + Duration::minutes(i64::from(o.duration_minutes.unwrap_or(30)));
        if sorted.iter().any(|a| a.start < end && o.at < a.end) {
            return Err(clash(&format!("the block of “{}”", o.title)));
        }
    }
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let plan_id = sqlx::query_scalar!(
        "insert into schedule_plans (user_id, from_date, to_date) values ($1, $2, $3) returning id",
        user_id,
        local(first),
        local(last).max(local(first))
    )
    .fetch_one(&mut *conn)
    .await?;
    let record = |task_id: Uuid, at: Option<DateTime<Utc>>, minutes: Option<i32>, created: bool| {
        let before = before.get(&task_id).filter(|_| !created);
        sqlx::query!(
            "insert into schedule_plan_blocks (plan_id, user_id, task_id, before_at, before_minutes, before_start_date,
                                               before_pinned, after_at, after_minutes, created)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            plan_id,
            user_id,
            task_id,
            before.and_then(|b| b.scheduled_at),
            before.and_then(|b| b.duration_minutes),
            before.and_then(|b| b.start_date),
            before.is_some_and(|b| b.pinned),
            at,
            minutes,
            created
        )
    };
    for a in &sorted {
        let Some(task) = before.get(&a.task_id) else { return Err(Error::NotFound) };
        let minutes = i32::try_from((a.end - a.start).num_minutes()).unwrap_or(60);
        let id = match a.part {
            None => a.task_id,
            Some(part) => {
                let suffix = format!(" (part {} of {})", part.n, part.of);
                let keep = crate::limits::TASK_TITLE.saturating_sub(suffix.chars().count());
                let title: String = task.title.chars().take(keep).chain(suffix.chars()).collect();
                let input = crate::task::TaskInput {
                    project_id: task.project_id,
                    priority: task.priority,
                    duration_minutes: crate::task::Minutes::new(minutes),
                    due_date: task.due_date,
                    parent_task_id: Some(a.task_id),
                    ..crate::task::TaskInput::titled(
                        crate::task::Title::new(&title)
                            .map_err(|e| Error::field("placements", e.message("A part's title")))?,
                    )
                };
                crate::task::service::insert_task(&mut *conn, user_id, input).await?
            }
        };
        record(id, Some(a.start), Some(minutes), a.part.is_some()).execute(&mut *conn).await?;
        crate::task::service::place_block(&mut *conn, user_id, id, a.start, minutes, local(a.start)).await?;
    }
    // A task split into parts gives up its own block: the parts have the time.
    let mut split: Vec<Uuid> = sorted.iter().filter(|a| a.part.is_some()).map(|a| a.task_id).collect();
    split.sort();
    split.dedup();
    for id in split {
        let Some(task) = before.get(&id).filter(|t| t.scheduled_at.is_some()) else { continue };
        record(id, None, task.duration_minutes, false).execute(&mut *conn).await?;
        crate::task::service::set_block(&mut *conn, user_id, id, None, task.duration_minutes, task.start_date, false)
            .await?;
    }
    tracing::info!(user.id = %user_id, plan.id = %plan_id, blocks = sorted.len(), "plan applied");
    Ok(AppliedPlan { id: plan_id, blocks: sorted.len() })
}

/// Each task in `sorted` has one block, or parts numbered once each, `n` of
/// the same `of` (at most [`Part::MAX`]).
fn check_parts(sorted: &[&Accepted]) -> Result<(), Error> {
    let mut tasks: HashMap<Uuid, Vec<Option<Part>>> = HashMap::new();
    for a in sorted {
        tasks.entry(a.task_id).or_default().push(a.part);
    }
    for blocks in tasks.values() {
        let parts: Vec<Part> = blocks.iter().flatten().copied().collect();
        if blocks.len() > 1 && parts.len() < blocks.len() {
            return Err(Error::field("placements", "A task can have only one block in a plan, or parts."));
        }
        let of = parts.first().map_or(1, |p| p.of);
        if parts.iter().any(|p| p.n == 0 || p.n > p.of || p.of != of || p.of > Part::MAX) {
            return Err(Error::field(
                "placements",
                format!("Parts are numbered 1 to their count, at most {}.", Part::MAX),
            ));
        }
        if (1..parts.len()).any(|i| parts[..i].iter().any(|q| q.n == parts[i].n)) {
            return Err(Error::field("placements", "A part is given twice."));
        }
    }
    Ok(())
}

/// Undo plan `id` as one batch: each block goes back to where it was,
/// unless it changed after the plan (moved by hand or in Google, done,
/// deleted): that one is left as it is, and counted. The parts a plan
/// created go to the bin, unless changed since.
pub async fn undo(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<UndonePlan, Error> {
    let undone = sqlx::query_scalar!(
        "update schedule_plans set undone_at = now() where id = $1 and user_id = $2 and undone_at is null returning id",
        id,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if undone.is_none() {
        let exists =
            sqlx::query_scalar!("select 1 as \"one!\" from schedule_plans where id = $1 and user_id = $2", id, user_id)
                .fetch_optional(&mut *conn)
                .await?;
        return Err(match exists {
            Some(_) => Error::Conflict("This plan was already undone.".into()),
            None => Error::NotFound,
        });
    }
    let blocks = sqlx::query!(
        r#"select b.task_id, b.before_at, b.before_minutes, b.before_start_date, b.before_pinned, b.created,
                  (t.deleted_at is null and t.status <> 'done' and t.scheduled_at is not distinct from b.after_at
                   and t.duration_minutes is not distinct from b.after_minutes) as "unchanged!"
           from schedule_plan_blocks b join tasks t on t.id = b.task_id
           where b.plan_id = $1 and b.user_id = $2
           order by b.task_id for update of t"#,
        id,
        user_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut result = UndonePlan { restored: 0, kept: 0 };
    for b in blocks {
        if !b.unchanged {
            result.kept += 1;
            continue;
        }
        if b.created {
            crate::item::set_deleted(&mut *conn, user_id, crate::item::Item::Task, b.task_id, true).await?;
            result.restored += 1;
            continue;
        }
        crate::task::service::set_block(
            &mut *conn,
            user_id,
            b.task_id,
            b.before_at,
            b.before_minutes,
            b.before_start_date,
            b.before_pinned,
        )
        .await?;
        result.restored += 1;
    }
    tracing::info!(user.id = %user_id, plan.id = %id, restored = result.restored, kept = result.kept, "plan undone");
    Ok(result)
}
