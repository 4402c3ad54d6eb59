//! The calendar page's week: imported events and dated tasks, day by day.

use super::import::{busy_between, list_sources};
use super::model::{CalendarDay, CalendarWeek};
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
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    Ok(CalendarWeek {
        monday,
        today,
        timezone: timezone.to_string(),
        days,
        sources: list_sources(conn, user_id).await?,
    })
}
