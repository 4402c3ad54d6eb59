//! BuildOS → Google Calendar: a scheduled task's event, kept in step.
//!
//! Every write that changes a task's time, length, title, status or bin
//! queues [`reconcile`] (a trigger on `tasks`, so no write path can forget).
//! It compares what the task should show with what was last written
//! (`task_events`) and makes the one call that closes the gap: insert (under
//! an id derived from the task id, so a retry after a crash finds the event
//! instead of making a second one), patch with If-Match, or delete.
//!
//! A 412 (the event changed in Google since our last write) reads the event
//! again and applies the two-way rules: deleted there, the task is
//! unscheduled; what changed there and not here (time, title) is taken into
//! the task; what changed here is written over the fresh etag.

use super::google_api::{ApiError, Event, TASK_PROPERTY, event_id_of};
use super::sync::{Google, move_task, span, unschedule};
use crate::db::begin_as;
use crate::error::Error;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What a task's event shows.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    calendar_id: String,
    summary: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

/// A task with no length takes this long in the calendar.
const DEFAULT_MINUTES: i32 = 30;

/// What happened.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    Nothing,
    Inserted,
    Updated,
    Deleted,
    /// Google had deleted it: the task was unscheduled.
    Unscheduled,
}

/// Bring `task_id`'s event in Google in step with the task (see the module's comment).
pub async fn reconcile(pool: &PgPool, google: Google<'_>, user_id: Uuid, task_id: Uuid) -> Result<Pushed, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended($1, 11))", task_id.to_string())
        .execute(&mut *tx)
        .await?;
    let wanted = wanted(&mut tx, user_id, task_id).await?;
    let written = sqlx::query!(
        "select calendar_id, event_id, etag, summary, starts_at, ends_at from task_events where task_id = $1",
        task_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let last = written.as_ref().map(|w| Shown {
        calendar_id: w.calendar_id.clone(),
        summary: w.summary.clone(),
        starts_at: w.starts_at,
        ends_at: w.ends_at,
    });
    if wanted == last {
        return Ok(Pushed::Nothing);
    }
    let api = google.api(pool, user_id).await?;
    let event_id = event_id_of(task_id);
    let outcome: Result<Pushed, Error> = async {
        Ok(match (wanted, written) {
            (None, None) => Pushed::Nothing,
            (None, Some(w)) => {
                api.delete_event(&w.calendar_id, &w.event_id).await?;
                sqlx::query!("delete from task_events where task_id = $1", task_id).execute(&mut *tx).await?;
                Pushed::Deleted
            }
            (Some(want), Some(w)) if w.calendar_id != want.calendar_id => {
                // Another calendar receives tasks now: the event moves there.
                api.delete_event(&w.calendar_id, &w.event_id).await?;
                sqlx::query!("delete from task_events where task_id = $1", task_id).execute(&mut *tx).await?;
                insert(&api, &mut tx, user_id, task_id, &event_id, &want).await?
            }
            (Some(want), None) => insert(&api, &mut tx, user_id, task_id, &event_id, &want).await?,
            (Some(want), Some(w)) => {
                let before = Shown {
                    calendar_id: w.calendar_id,
                    summary: w.summary,
                    starts_at: w.starts_at,
                    ends_at: w.ends_at,
                };
                match api.patch_event(&want.calendar_id, &w.event_id, &body(&want), Some(&w.etag)).await {
                    Ok(e) => {
                        store(&mut tx, user_id, task_id, &want, &e).await?;
                        Pushed::Updated
                    }
                    Err(ApiError::Stale) => {
                        let theirs = api.get_event(&want.calendar_id, &w.event_id).await?;
                        merge(&api, &mut tx, user_id, task_id, want, before, theirs).await?
                    }
                    Err(ApiError::NotFound | ApiError::Gone) => {
                        unschedule(&mut tx, user_id, task_id).await?;
                        Pushed::Unscheduled
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        })
    }
    .await;
    let outcome = google.settle(pool, user_id, &api, outcome).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, task.id = %task_id, ?outcome, "task event pushed to Google");
    Ok(outcome)
}

/// What the task's event should show now: None when it should have none
/// (not scheduled, done, in the bin, or no calendar receives tasks).
async fn wanted(conn: &mut PgConnection, user_id: Uuid, task_id: Uuid) -> Result<Option<Shown>, Error> {
    let row = sqlx::query!(
        r#"select t.title, t.scheduled_at as "scheduled_at!", t.duration_minutes, c.calendar_id
           from tasks t
           join google_calendars c on c.user_id = t.user_id and c.target and not c.disabled
           join google_connections g on g.user_id = t.user_id and g.status = 'connected'
           where t.id = $1 and t.user_id = $2 and t.scheduled_at is not null and t.status <> 'done'
             and t.deleted_at is null"#,
        task_id,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Shown {
        calendar_id: r.calendar_id,
        summary: r.title,
        starts_at: r.scheduled_at,
        ends_at: r.scheduled_at + chrono::Duration::minutes(i64::from(r.duration_minutes.unwrap_or(DEFAULT_MINUTES))),
    }))
}

fn body(want: &Shown) -> Value {
    json!({
        "summary": want.summary,
        "start": { "dateTime": want.starts_at.to_rfc3339() },
        "end": { "dateTime": want.ends_at.to_rfc3339() },
    })
}

async fn insert(
    api: &super::google_api::Api,
    conn: &mut PgConnection,
    user_id: Uuid,
    task_id: Uuid,
    event_id: &str,
    want: &Shown,
) -> Result<Pushed, Error> {
    let mut new = body(want);
    new["id"] = json!(event_id);
    new["extendedProperties"] = json!({ "private": { TASK_PROPERTY: task_id.to_string() } });
    let event = match api.insert_event(&want.calendar_id, &new).await {
        Ok(e) => e,
        // Made before (a retry after a crash, or an event deleted since, which
        // Google keeps as cancelled): the same event, written over.
        Err(ApiError::Conflict) => {
            let existing = api.get_event(&want.calendar_id, event_id).await?;
            let mut patch = body(want);
            patch["status"] = json!("confirmed");
            api.patch_event(&want.calendar_id, event_id, &patch, Some(&existing.etag)).await?
        }
        Err(e) => return Err(e.into()),
    };
    store(conn, user_id, task_id, want, &event).await?;
    Ok(Pushed::Inserted)
}

async fn store(conn: &mut PgConnection, user_id: Uuid, task_id: Uuid, shown: &Shown, e: &Event) -> Result<(), Error> {
    sqlx::query!(
        "insert into task_events (task_id, user_id, calendar_id, event_id, etag, summary, starts_at, ends_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (task_id) do update set calendar_id = $3, event_id = $4, etag = $5, summary = $6,
                                             starts_at = $7, ends_at = $8",
        task_id,
        user_id,
        shown.calendar_id,
        e.id,
        e.etag,
        shown.summary,
        shown.starts_at,
        shown.ends_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Both sides changed since our last write: deleted in Google wins (the task
/// is unscheduled); otherwise each field takes the side that changed it, ours
/// when both did (it is the later write).
async fn merge(
    api: &super::google_api::Api,
    conn: &mut PgConnection,
    user_id: Uuid,
    task_id: Uuid,
    mut want: Shown,
    before: Shown,
    theirs: Event,
) -> Result<Pushed, Error> {
    if theirs.cancelled() {
        unschedule(conn, user_id, task_id).await?;
        return Ok(Pushed::Unscheduled);
    }
    let tz = chrono_tz::UTC;
    let mut take_time = None;
    if let Some((start, end, _)) = span(&theirs, tz) {
        let ours = (want.starts_at, want.ends_at) != (before.starts_at, before.ends_at);
        if !ours && (start, end) != (before.starts_at, before.ends_at) {
            (want.starts_at, want.ends_at) = (start, end);
            take_time = Some((start, end));
        }
    }
    let mut take_title = None;
    if want.summary == before.summary && !theirs.summary.trim().is_empty() && theirs.summary != before.summary {
        want.summary = theirs.summary.clone();
        take_title = Some(theirs.summary.as_str());
    }
    if take_time.is_some() || take_title.is_some() {
        move_task(conn, user_id, task_id, take_time, take_title).await?;
    }
    let e = api.patch_event(&want.calendar_id, &theirs.id, &body(&want), Some(&theirs.etag)).await?;
    store(conn, user_id, task_id, &want, &e).await?;
    Ok(Pushed::Updated)
}
