//! The ICS feed: its signed address (replaced and turned off from the
//! profile), and the feed itself, RFC 5545, built with the `icalendar` crate.
//!
//! An address is `<base>/calendar/<user id>.<HMAC>.ics`; the HMAC covers the
//! feed's generation, so a new address makes every older one fail. Nothing
//! secret is stored: a leaked database does not leak feed addresses.

use crate::db::{as_user, begin_as};
use crate::error::Error;
use crate::notify::token;
use crate::settings::Settings;
use crate::task::recurrence::Recurrence;
use chrono::{DateTime, Days, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// At most this many tasks are in a feed (the earliest first).
pub const MAX_TASKS: i64 = 5_000;

fn purpose(generation: i32) -> String {
    format!("calendar-feed:{generation}")
}

/// The key feed addresses are signed with, and the served address they start with.
async fn signer(pool: &PgPool, settings: &Settings) -> Result<(Vec<u8>, String), Error> {
    let secret = settings.secret_key.as_ref().map(|k| k.expose().as_str());
    Ok((token::signing_key(pool, secret).await?, settings.public_base_url.clone()))
}

fn url((key, base): &(Vec<u8>, String), user_id: Uuid, generation: i32) -> String {
    format!("{base}/calendar/{}.ics", token::sign(key, &purpose(generation), user_id))
}

/// The feed's generation and whether it is on (no row: the first, on).
async fn state(conn: &mut PgConnection, user_id: Uuid) -> Result<(i32, bool), Error> {
    let row = sqlx::query!("select generation, enabled from calendar_feeds where user_id = $1", user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map_or((1, true), |r| (r.generation, r.enabled)))
}

/// The feed's address, or None when the person turned it off.
pub async fn address(pool: &PgPool, settings: &Settings, user_id: Uuid) -> Result<Option<String>, Error> {
    let signer = signer(pool, settings).await?;
    let (generation, enabled) = as_user(pool, user_id, move |tx| Box::pin(state(tx, user_id))).await?;
    Ok(enabled.then(|| url(&signer, user_id, generation)))
}

/// A new address (every older one stops working), and the feed on.
pub async fn replace(pool: &PgPool, settings: &Settings, user_id: Uuid) -> Result<String, Error> {
    let signer = signer(pool, settings).await?;
    let mut tx = begin_as(pool, user_id).await?;
    let generation = sqlx::query_scalar!(
        "insert into calendar_feeds (user_id, generation) values ($1, 2)
         on conflict (user_id) do update
           set generation = calendar_feeds.generation + 1, enabled = true, updated_at = now()
         returning generation",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, feed.generation = generation, "calendar feed address replaced");
    Ok(url(&signer, user_id, generation))
}

/// Turn the feed off: every address stops working until a new one is made.
pub async fn turn_off(pool: &PgPool, user_id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "insert into calendar_feeds (user_id, enabled) values ($1, false)
         on conflict (user_id) do update set enabled = false, updated_at = now()",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "calendar feed turned off");
    Ok(())
}

/// A dated task, as the feed shows it.
struct FeedTask {
    id: Uuid,
    title: String,
    description: String,
    project_name: Option<String>,
    start_date: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    recurrence: Option<Recurrence>,
    recurrence_end: Option<NaiveDate>,
    scheduled_at: Option<DateTime<Utc>>,
    duration_minutes: Option<i32>,
    updated_at: DateTime<Utc>,
}

/// The feed behind `token_text` (the last part of its address, without
/// `.ics`), as ICS text. A token that is not a live address is NotFound.
pub async fn render(pool: &PgPool, settings: &Settings, token_text: &str) -> Result<String, Error> {
    let (key, base) = signer(pool, settings).await?;
    // The id in the token is only a claim until the signature is checked
    // against that person's generation; nothing else is read before.
    let claimed: Uuid = token_text.split_once('.').and_then(|(id, _)| id.parse().ok()).ok_or(Error::NotFound)?;
    let mut tx = begin_as(pool, claimed).await?;
    let (generation, enabled) = state(&mut tx, claimed).await?;
    if !enabled || token::verify(&key, &purpose(generation), token_text) != Some(claimed) {
        return Err(Error::NotFound);
    }
    let tasks = sqlx::query_as!(
        FeedTask,
        r#"select t.id, t.title, t.description, p.name as "project_name?", t.start_date, t.due_date,
                  t.recurrence as "recurrence: _", t.recurrence_end, t.scheduled_at, t.duration_minutes,
                  t.updated_at
           from tasks t left join projects p on p.id = t.project_id
           where t.user_id = $1 and t.deleted_at is null and t.status <> 'done'
             and (p.id is null or p.deleted_at is null)
             and (t.start_date is not null or t.due_date is not null or t.scheduled_at is not null)
           order by least(t.start_date, t.due_date), t.id
           limit $2"#,
        claimed,
        MAX_TASKS
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(calendar(&base, &tasks).to_string())
}

/// RRULE for a recurrence, ending on `end` (inclusive) when given.
fn rrule(r: Recurrence, end: Option<NaiveDate>) -> String {
    let rule = match r {
        Recurrence::Daily => "FREQ=DAILY",
        Recurrence::Weekdays => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        Recurrence::Weekly => "FREQ=WEEKLY",
        Recurrence::Biweekly => "FREQ=WEEKLY;INTERVAL=2",
        Recurrence::Monthly => "FREQ=MONTHLY",
        Recurrence::Quarterly => "FREQ=MONTHLY;INTERVAL=3",
        Recurrence::Yearly => "FREQ=YEARLY",
    };
    match end {
        // With a date-only DTSTART, UNTIL is a date too.
        Some(end) => format!("{rule};UNTIL={}", end.format("%Y%m%d")),
        None => rule.to_string(),
    }
}

/// An all-day item on `day` (DTEND is the next day: RFC 5545's end is exclusive).
fn all_day(uid: &str, summary: &str, day: NaiveDate, t: &FeedTask, link: &str) -> Event {
    let about: Vec<&str> =
        [t.project_name.as_deref(), Some(t.description.as_str()).filter(|d| !d.is_empty()), Some(link)]
            .into_iter()
            .flatten()
            .collect();
    Event::new()
        .uid(uid)
        .summary(summary)
        .description(&about.join("\n"))
        .starts(day)
        .ends(day.checked_add_days(Days::new(1)).unwrap_or(day))
        .timestamp(t.updated_at)
        .last_modified(t.updated_at)
        .url(link)
        .done()
}

/// A scheduled task is an event at its time (its length, 30 minutes when
/// unset); other tasks with a start date are all-day events on that day
/// (repeating ones with their rule); a due date is an all-day "Due:" item
/// (unless it is the start day).
/// UIDs come from the task ids, so a calendar app updates rather than duplicates.
fn calendar(base: &str, tasks: &[FeedTask]) -> Calendar {
    let mut cal = Calendar::empty();
    // NAME is RFC 7986's; X-WR-CALNAME is what Google, Apple and Outlook read.
    for (k, v) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//BuildOS//Tasks//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", "BuildOS tasks"),
    ] {
        cal.append_property(Property::new(k, v));
    }
    cal.name("BuildOS tasks").description("Your dated tasks in BuildOS").ttl(&chrono::Duration::hours(1));
    for t in tasks {
        let link = format!("{base}/tasks/{}", t.id);
        if let Some(at) = t.scheduled_at {
            let mut e = all_day(&format!("task-{}@buildos", t.id), &t.title, at.date_naive(), t, &link);
            let end = at + chrono::Duration::minutes(i64::from(t.duration_minutes.unwrap_or(30)));
            e.starts(at).ends(end);
            cal.push(e);
        } else if let Some(start) = t.start_date {
            let mut e = all_day(&format!("task-{}@buildos", t.id), &t.title, start, t, &link);
            if let Some(r) = t.recurrence {
                e.add_property("RRULE", rrule(r, t.recurrence_end));
            }
            cal.push(e);
        }
        if let Some(due) = t.due_date.filter(|d| Some(*d) != t.start_date) {
            cal.push(all_day(&format!("due-{}@buildos", t.id), &format!("Due: {}", t.title), due, t, &link));
        }
    }
    cal.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_recurrence_has_its_rule_and_an_end_is_a_date() {
        assert_eq!(rrule(Recurrence::Weekdays, None), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
        assert_eq!(rrule(Recurrence::Quarterly, None), "FREQ=MONTHLY;INTERVAL=3");
        let end = NaiveDate::from_ymd_opt(2027, 6, 30);
        assert_eq!(rrule(Recurrence::Biweekly, end), "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270630");
        for r in Recurrence::ALL {
            assert!(rrule(*r, None).starts_with("FREQ="), "{r:?}");
        }
    }
}
