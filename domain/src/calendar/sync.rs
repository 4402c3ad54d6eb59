//! Google Calendar → BuildOS: the person's calendar list, and each chosen
//! calendar's events kept in step.
//!
//! A sync of one calendar is one transaction: the first one (or after Google
//! answers 410) lists the events of a window around today, page by page,
//! recurring ones expanded; later ones ask only what changed since the sync
//! token. A failure halfway changes nothing, and the token is kept only with
//! the events it belongs to. One sync per calendar runs at a time (an
//! advisory lock); any number of triggers while one is queued (polling, push
//! notifications) make no second one (`sync_wanted`).
//!
//! Events BuildOS made for tasks follow the two-way rules instead of
//! counting as busy time: moved in Google, the task moves and is pinned;
//! deleted in Google, the task is unscheduled and kept; our own writes (the
//! etag we stored) are not applied back.

use super::google::access_token;
use super::google_api::{Api, ApiError, Event};
use super::model::GoogleCalendarState;
use crate::account::google::GoogleConfig;
use crate::db::begin_as;
use crate::error::Error;
use crate::jobs::{GoogleJob, Job};
use crate::settings::Settings;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Events are kept from this long ago…
const PAST: Duration = Duration::days(31);
/// …to this far ahead.
const AHEAD: Duration = Duration::days(366);

/// What a Google call needs from the settings.
#[derive(Clone, Copy)]
pub struct Google<'a> {
    pub config: &'a GoogleConfig,
    pub key: &'a [u8; 32],
    pub public_base_url: &'a str,
}

impl<'a> Google<'a> {
    pub fn from_settings(settings: &'a Settings) -> Result<Self, Error> {
        match (&settings.google, &settings.encryption_key) {
            (Some(config), Some(key)) => {
                Ok(Google { config, key: key.expose(), public_base_url: &settings.public_base_url })
            }
            _ => Err(Error::Conflict(
                "Google Calendar is not set up on this server (PUBLIC_GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and \
                 ENCRYPTION_KEY)."
                    .into(),
            )),
        }
    }

    /// A client with a valid access token for `user_id`.
    pub async fn api(&self, pool: &PgPool, user_id: Uuid) -> Result<Api, Error> {
        let token = access_token(pool, self.key, self.config, user_id).await?;
        Api::new(&self.config.calendar_api, &token)
    }

    /// After using `api`: a token Google refused (401) is forgotten, so the
    /// job's retry starts with a fresh one.
    pub async fn settle<T>(
        &self,
        pool: &PgPool,
        user_id: Uuid,
        api: &Api,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        if api.refused() {
            tracing::info!(user.id = %user_id, "Google refused the access token; it will be refreshed");
            super::google::forget_access_token(pool, user_id).await?;
        }
        result
    }
}

/// Ask for a sync of `calendar_id`, in the caller's transaction: queued once
/// however often this is called before it starts. True when this call queued it.
pub async fn request_sync(conn: &mut PgConnection, user_id: Uuid, calendar_id: &str) -> Result<bool, Error> {
    let flipped = sqlx::query_scalar!(
        "update google_calendars set sync_wanted = true
         where user_id = $1 and calendar_id = $2 and not sync_wanted and not disabled and (busy or target)
         returning true as \"flipped!\"",
        user_id,
        calendar_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if flipped {
        GoogleJob::Sync { user_id, calendar_id: calendar_id.to_string() }.enqueue(conn).await?;
    }
    Ok(flipped)
}

/// Read the person's calendar list again: new calendars are added (the
/// primary one counts as busy and receives tasks, until the person chooses),
/// removed ones go with their events; then every chosen one is synced.
pub async fn refresh_calendars(pool: &PgPool, google: Google<'_>, user_id: Uuid) -> Result<usize, Error> {
    let api = google.api(pool, user_id).await?;
    let list = api.calendars().await.map_err(Error::from);
    let list = google.settle(pool, user_id, &api, list).await?;
    let mut tx = begin_as(pool, user_id).await?;
    let first = sqlx::query_scalar!("select count(*) from google_calendars where user_id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?
        == Some(0);
    let ids: Vec<String> = list.iter().map(|c| c.id.clone()).collect();
    sqlx::query!("delete from google_calendars where user_id = $1 and calendar_id <> all($2)", user_id, &ids)
        .execute(&mut *tx)
        .await?;
    for c in &list {
        let chosen = first && c.primary;
        sqlx::query!(
            "insert into google_calendars (user_id, calendar_id, summary, busy, target)
             values ($1, $2, $3, $4, $4 and $5)
             on conflict (user_id, calendar_id) do update set summary = excluded.summary",
            user_id,
            c.id,
            c.summary_override.as_deref().unwrap_or(&c.summary),
            chosen,
            matches!(c.access_role.as_str(), "owner" | "writer")
        )
        .execute(&mut *tx)
        .await?;
    }
    let chosen = sqlx::query_scalar!(
        "select calendar_id from google_calendars where user_id = $1 and (busy or target) and not disabled",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in &chosen {
        request_sync(&mut tx, user_id, id).await?;
    }
    tx.commit().await?;
    Ok(list.len())
}

/// The person's Google calendars, their choices and sync state (the primary first, then by name).
pub async fn calendars(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<GoogleCalendarState>, Error> {
    Ok(sqlx::query_as!(
        GoogleCalendarState,
        "select calendar_id, summary, busy, target, synced_at, error, disabled from google_calendars
         where user_id = $1 order by target desc, lower(summary), calendar_id",
        user_id
    )
    .fetch_all(conn)
    .await?)
}

/// Change one calendar's part: counted as busy time or not (`busy`), the
/// one receiving scheduled tasks or not (`target`); None leaves that as it is.
pub async fn set_calendar(
    conn: &mut PgConnection,
    user_id: Uuid,
    calendar_id: &str,
    busy: Option<bool>,
    target: Option<bool>,
) -> Result<(), Error> {
    let known = calendars(&mut *conn, user_id).await?;
    if !known.iter().any(|c| c.calendar_id == calendar_id) {
        return Err(Error::NotFound);
    }
    let busy_ids: Vec<String> = known
        .iter()
        .filter(|c| if c.calendar_id == calendar_id { busy.unwrap_or(c.busy) } else { c.busy })
        .map(|c| c.calendar_id.clone())
        .collect();
    let current_target = known.iter().find(|c| c.target).map(|c| c.calendar_id.as_str());
    let target = match target {
        Some(true) => Some(calendar_id),
        Some(false) if current_target == Some(calendar_id) => None,
        _ => current_target,
    };
    choose(conn, user_id, &busy_ids, target).await
}

/// The person's choice: which calendars count as busy time, and which one
/// (if any) receives scheduled tasks. A calendar newly counted is synced in
/// full; one no longer counted loses its events here. Then the worker reads
/// the list again and syncs (queued in this transaction).
pub async fn choose(
    conn: &mut PgConnection,
    user_id: Uuid,
    busy: &[String],
    target: Option<&str>,
) -> Result<(), Error> {
    let known = calendars(&mut *conn, user_id).await?;
    let unknown = busy.iter().map(String::as_str).chain(target).find(|id| !known.iter().any(|c| c.calendar_id == *id));
    if unknown.is_some() {
        return Err(Error::field(
            "target",
            "That calendar is not among your Google calendars any more; reload the page.",
        ));
    }
    sqlx::query!(
        "update google_calendars set target = false, busy = calendar_id = any($2),
                sync_token = case when not busy and calendar_id = any($2) then null else sync_token end
         where user_id = $1",
        user_id,
        busy
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update google_calendars set target = true, sync_token = case when not busy then null else sync_token end
         where user_id = $1 and calendar_id = $2",
        user_id,
        target
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "delete from google_events e using google_calendars c
         where c.user_id = $1 and e.user_id = c.user_id and e.calendar_id = c.calendar_id and not c.busy",
        user_id
    )
    .execute(&mut *conn)
    .await?;
    GoogleJob::Calendars { user_id }.enqueue(conn).await?;
    Ok(())
}

/// How a sync went.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    /// Whether the whole window was listed (first sync, or after 410).
    pub full: bool,
    pub pages: usize,
    /// Events Google sent.
    pub events: usize,
    /// Tasks moved or unscheduled by what happened to their events in Google.
    pub tasks_changed: usize,
}

/// Sync `calendar_id` of `user_id` now (see the module's comment).
pub async fn sync(pool: &PgPool, google: Google<'_>, user_id: Uuid, calendar_id: &str) -> Result<Synced, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    // One sync of a calendar at a time: a second waits here, then starts from
    // the token the first one left.
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 7))",
        user_id.to_string(),
        calendar_id
    )
    .execute(&mut *tx)
    .await?;
    // Triggers from now on queue another sync (committed at once, so they see it).
    let mut flag = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        "update google_calendars set sync_wanted = false where user_id = $1 and calendar_id = $2
         returning sync_token, busy, target, disabled",
        user_id,
        calendar_id
    )
    .fetch_optional(&mut *flag)
    .await?;
    flag.commit().await?;
    let Some(row) = row else { return Err(Error::NotFound) };
    if row.disabled || !(row.busy || row.target) {
        return Ok(Synced::default());
    }
    let api = google.api(pool, user_id).await?;
    let tz: chrono_tz::Tz = sqlx::query_scalar!("select timezone from users where id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let now = Utc::now();
    let window = (now - PAST, now + AHEAD);
    let mut token = row.sync_token;
    let mut out = Synced { full: token.is_none(), ..Synced::default() };
    if out.full {
        clear(&mut tx, user_id, calendar_id).await?;
    }
    let mut page: Option<String> = None;
    let next_token = loop {
        let listed = api.events(calendar_id, token.as_deref(), window, page.as_deref()).await;
        let listed = match listed {
            Ok(listed) => listed,
            Err(ApiError::Gone) if token.is_some() => {
                tracing::info!(user.id = %user_id, calendar = calendar_id, "sync token expired (410): full sync");
                clear(&mut tx, user_id, calendar_id).await?;
                (token, page, out.full) = (None, None, true);
                continue;
            }
            Err(ApiError::NotFound) => {
                drop(tx);
                let mut tx = begin_as(pool, user_id).await?;
                sqlx::query!(
                    "update google_calendars set disabled = true, sync_token = null,
                            error = 'Google says this calendar no longer exists or is no longer shared with you.'
                     where user_id = $1 and calendar_id = $2",
                    user_id,
                    calendar_id
                )
                .execute(&mut *tx)
                .await?;
                clear(&mut tx, user_id, calendar_id).await?;
                tx.commit().await?;
                return Err(Error::NotFound);
            }
            Err(e) => {
                drop(tx);
                let e = Error::from(e);
                record_error(pool, user_id, calendar_id, &e.to_string()).await;
                return google.settle(pool, user_id, &api, Err(e)).await;
            }
        };
        out.pages += 1;
        out.events += listed.items.len();
        out.tasks_changed += apply(&mut tx, user_id, calendar_id, row.busy, tz, &listed.items).await?;
        match (listed.next_page_token, listed.next_sync_token) {
            (Some(p), _) => page = Some(p),
            (None, t) => break t,
        }
    };
    sqlx::query!(
        // Counted as busy meanwhile (the person's choice during this sync),
        // the calendar's events were not all kept: the next sync is in full.
        "update google_calendars set sync_token = case when busy = $4 then $3 end, synced_at = now(), error = null
         where user_id = $1 and calendar_id = $2",
        user_id,
        calendar_id,
        next_token,
        row.busy
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, calendar = calendar_id, ?out, "calendar synced");
    Ok(out)
}

async fn clear(conn: &mut PgConnection, user_id: Uuid, calendar_id: &str) -> Result<(), Error> {
    sqlx::query!("delete from google_events where user_id = $1 and calendar_id = $2", user_id, calendar_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Keep why the last sync failed, for the calendar page.
async fn record_error(pool: &PgPool, user_id: Uuid, calendar_id: &str, error: &str) {
    let result = async {
        let mut tx = begin_as(pool, user_id).await?;
        sqlx::query!(
            "update google_calendars set error = $3 where user_id = $1 and calendar_id = $2",
            user_id,
            calendar_id,
            error
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a sync error");
    }
}

/// An event's stretch of time (dates in `tz`, the end date exclusive).
pub fn span(e: &Event, tz: chrono_tz::Tz) -> Option<(DateTime<Utc>, DateTime<Utc>, bool)> {
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .earliest()
            .or_else(|| tz.from_local_datetime(&d.and_hms_opt(1, 0, 0)?).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    let at = |w: &super::google_api::When| w.date_time.or_else(|| midnight(w.date?));
    let (start, end) = (at(&e.start)?, at(&e.end)?);
    Some((start, end.max(start), e.start.date.is_some()))
}

/// Apply one page of events; how many tasks changed.
async fn apply(
    conn: &mut PgConnection,
    user_id: Uuid,
    calendar_id: &str,
    busy: bool,
    tz: chrono_tz::Tz,
    events: &[Event],
) -> Result<usize, Error> {
    let mut gone: Vec<String> = Vec::new();
    let (mut ids, mut summaries, mut starts, mut ends, mut all_days) = (vec![], vec![], vec![], vec![], vec![]);
    let mut tasks_changed = 0;
    for e in events {
        if let Some(task_id) = e.task_id() {
            tasks_changed += usize::from(apply_to_task(conn, user_id, task_id, e, tz).await?);
            continue;
        }
        let free = e.transparency.as_deref() == Some("transparent");
        match span(e, tz) {
            Some((start, end, all_day)) if busy && !e.cancelled() && !free => {
                ids.push(e.id.clone());
                summaries.push(if e.summary.is_empty() { "Busy".to_string() } else { e.summary.clone() });
                starts.push(start);
                ends.push(end);
                all_days.push(all_day);
            }
            _ => gone.push(e.id.clone()),
        }
    }
    sqlx::query!(
        "delete from google_events where user_id = $1 and calendar_id = $2 and event_id = any($3)",
        user_id,
        calendar_id,
        &gone
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into google_events (user_id, calendar_id, event_id, summary, starts_at, ends_at, all_day)
         select $1, $2, * from unnest($3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bool[])
         on conflict (user_id, calendar_id, event_id) do update
           set summary = excluded.summary, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
               all_day = excluded.all_day",
        user_id,
        calendar_id,
        &ids,
        &summaries,
        &starts,
        &ends,
        &all_days
    )
    .execute(&mut *conn)
    .await?;
    Ok(tasks_changed)
}

/// The two-way rules for an event BuildOS made for `task_id`. True when the task changed.
async fn apply_to_task(
    conn: &mut PgConnection,
    user_id: Uuid,
    task_id: Uuid,
    e: &Event,
    tz: chrono_tz::Tz,
) -> Result<bool, Error> {
    let known = sqlx::query!(
        "select etag, starts_at, ends_at, summary from task_events
         where task_id = $1 and user_id = $2 and event_id = $3 for update",
        task_id,
        user_id,
        e.id
    )
    .fetch_optional(&mut *conn)
    .await?;
    // An event we no longer keep (its task done or deleted), or our own write.
    let Some(known) = known else { return Ok(false) };
    if known.etag == e.etag {
        return Ok(false);
    }
    if e.cancelled() {
        return unschedule(conn, user_id, task_id).await;
    }
    let Some((start, end, _)) = span(e, tz) else { return Ok(false) };
    let moved = (start, end) != (known.starts_at, known.ends_at);
    let renamed = !e.summary.trim().is_empty() && e.summary != known.summary;
    sqlx::query!(
        "update task_events set etag = $2, starts_at = $3, ends_at = $4, summary = $5 where task_id = $1",
        task_id,
        e.etag,
        start,
        end,
        if renamed { &e.summary } else { &known.summary }
    )
    .execute(&mut *conn)
    .await?;
    if moved || renamed {
        move_task(conn, user_id, task_id, moved.then_some((start, end)), renamed.then_some(e.summary.as_str())).await?;
    }
    Ok(moved || renamed)
}

/// Deleted in Google: the task keeps everything but its time.
pub(crate) async fn unschedule(conn: &mut PgConnection, user_id: Uuid, task_id: Uuid) -> Result<bool, Error> {
    sqlx::query!("delete from task_events where task_id = $1 and user_id = $2", task_id, user_id)
        .execute(&mut *conn)
        .await?;
    let changed = crate::task::service::unschedule_block(conn, user_id, task_id).await?;
    tracing::info!(user.id = %user_id, task.id = %task_id, "event deleted in Google: task unscheduled");
    Ok(changed)
}

/// Moved (or renamed) in Google: the task follows.
pub(crate) async fn move_task(
    conn: &mut PgConnection,
    user_id: Uuid,
    task_id: Uuid,
    to: Option<(DateTime<Utc>, DateTime<Utc>)>,
    title: Option<&str>,
) -> Result<(), Error> {
    crate::task::service::follow_event(conn, user_id, task_id, to, title).await?;
    tracing::info!(user.id = %user_id, task.id = %task_id, "event changed in Google: task follows");
    Ok(())
}

/// Calendars due a poll (no sync for `minutes`), for every connected person;
/// true for one whose queued sync seems lost (wanted, yet no sync for an
/// hour): it is queued again directly.
pub async fn due_for_poll(pool: &PgPool, minutes: i64) -> Result<Vec<(Uuid, String, bool)>, Error> {
    let mut tx = crate::db::begin_system(pool).await?;
    let rows = sqlx::query!(
        r#"select c.user_id, c.calendar_id, c.sync_wanted as "lost!"
           from google_calendars c join google_connections g using (user_id)
           where g.status = 'connected' and (c.busy or c.target) and not c.disabled
             and (c.synced_at is null or c.synced_at < now() - make_interval(mins => $1::int))
             and (not c.sync_wanted or c.synced_at is null or c.synced_at < now() - interval '1 hour')"#,
        i32::try_from(minutes).unwrap_or(5)
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.calendar_id, r.lost)).collect())
}
