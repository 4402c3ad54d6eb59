//! The calendar page's week: imported events and dated tasks, day by day.

use super::import::{busy_between, list_sources};
use super::model::{CalendarDay, CalendarWeek, DayTask};
use crate::error::Error;
use chrono::{Datelike, Days, NaiveDate};
use sqlx::PgConnection;
use uuid::Uuid;

/// The week holding `day` (its Monday to Sunday), for a person in `timezone` whose today is `today`.
pub async fn week(
    conn: &mut PgConnection,
    user_id: Uuid,
    day: NaiveDate,
    today: NaiveDate,
    timezone: &str,
) -> Result<CalendarWeek, Error> {
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    let sunday = monday + Days::new(6);
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let events = busy_between(&mut *conn, user_id, monday, sunday, timezone).await?;
    let tasks = crate::task::service::list_dated_between(&mut *conn, user_id, monday, sunday).await?;
    // Blocks still to come that an event now overlaps (an event added or
    // moved after they were placed): the page offers a re-plan. Pinned
    // blocks are the person's own choice and are not flagged.
    let now = chrono::Utc::now();
    let clashes = tasks
        .iter()
        .filter(|t| !t.pinned)
        .filter_map(|t| {
            let at = t.scheduled_at?;
            let end = at + chrono::Duration::minutes(i64::from(t.duration_minutes.unwrap_or(30)));
            let hit = end > now && events.iter().any(|e| !e.all_day && e.starts_at < end && at < e.ends_at);
            hit.then(|| t.title.clone())
        })
        .collect();
    let days = (0..7)
        .map(|i| {
            let date = monday + Days::new(i);
            let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).date_naive();
            CalendarDay {
                date,
                events: events
                    .iter()
                    .filter(|e| {
                        // The days an event covers: its end is exclusive.
                        let last = if e.ends_at > e.starts_at {
                            local(e.ends_at - chrono::Duration::seconds(1))
                        } else {
                            local(e.starts_at)
                        };
                        (local(e.starts_at)..=last).contains(&date)
                    })
                    .cloned()
                    .collect(),
                tasks: tasks
                    .iter()
                    .filter(|t| t.start_date == Some(date) || t.due_date == Some(date))
                    .map(|t| {
                        let block = t.scheduled_at.filter(|at| local(*at) == date).map(|at| {
                            let minutes = i64::from(t.duration_minutes.unwrap_or(30));
                            let (from, to) =
                                (at.with_timezone(&tz), (at + chrono::Duration::minutes(minutes)).with_timezone(&tz));
                            (format!("{}–{}", from.format("%H:%M"), to.format("%H:%M")), from.format("%Y-%m-%dT%H:%M"))
                        });
                        DayTask {
                            task: t.clone(),
                            time: block.as_ref().map(|b| b.0.clone()),
                            start_local: block.map(|b| b.1.to_string()),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(CalendarWeek {
        monday,
        today,
        timezone: timezone.to_string(),
        days,
        clashes,
        sources: list_sources(&mut *conn, user_id).await?,
        google: super::google::connection_in(conn, user_id).await?,
    })
}
