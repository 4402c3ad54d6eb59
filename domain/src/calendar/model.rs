//! Calendar types shared by the server and the browser.

use crate::task::model::TaskSummary;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A calendar brought in from elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarSource {
    pub id: Uuid,
    pub name: String,
    /// The address it is refreshed from; None for an uploaded file.
    pub url: Option<String>,
    pub refreshed_at: Option<DateTime<Utc>>,
    /// Why the last refresh failed.
    pub error: Option<String>,
    pub events: i32,
    /// Its all-day events are days off for planning (a holiday calendar).
    pub holidays: bool,
}

/// A busy stretch from one of those calendars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusyEvent {
    pub summary: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    /// "09:00–09:15" in the person's timezone, or "All day".
    pub time: String,
    /// The calendar's name.
    pub source: String,
}

/// One day of the calendar page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub events: Vec<BusyEvent>,
    /// Open tasks starting or due that day.
    pub tasks: Vec<DayTask>,
}

/// A task on a day of the calendar page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayTask {
    #[serde(flatten)]
    pub task: TaskSummary,
    /// "09:30–11:00" in the person's timezone, when it has a block of time that day.
    pub time: Option<String>,
    /// Its block as `datetime-local` text ("2026-12-07T09:30"), for the reschedule form.
    pub start_local: Option<String>,
}

/// One of the person's Google calendars: whether it counts as busy time,
/// whether it receives scheduled tasks, and how its sync stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoogleCalendarState {
    pub calendar_id: String,
    pub summary: String,
    pub busy: bool,
    pub target: bool,
    pub synced_at: Option<DateTime<Utc>>,
    /// Why the last sync failed.
    pub error: Option<String>,
    /// Google said it no longer exists (or is no longer shared).
    pub disabled: bool,
}

/// A week (Monday to Sunday) of the calendar page, in the person's timezone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarWeek {
    pub monday: NaiveDate,
    pub today: NaiveDate,
    pub timezone: String,
    pub days: Vec<CalendarDay>,
    /// Titles of the tasks whose coming (unpinned) block an event now overlaps.
    #[serde(default)]
    pub clashes: Vec<String>,
    pub sources: Vec<CalendarSource>,
    /// The Google Calendar connection, if any.
    pub google: Option<GoogleConnection>,
}

/// What the profile shows of a Google Calendar connection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoogleConnection {
    pub google_email: String,
    /// Google no longer accepts the access given: connect again.
    pub needs_reconnect: bool,
    pub connected_at: chrono::DateTime<chrono::Utc>,
    /// Its calendars (empty until the worker has read the list).
    #[serde(default)]
    pub calendars: Vec<GoogleCalendarState>,
}
