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
    pub tasks: Vec<TaskSummary>,
}

/// A week (Monday to Sunday) of the calendar page, in the person's timezone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarWeek {
    pub monday: NaiveDate,
    pub today: NaiveDate,
    pub timezone: String,
    pub days: Vec<CalendarDay>,
    pub sources: Vec<CalendarSource>,
}

/// What the profile shows of a Google Calendar connection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoogleConnection {
    pub google_email: String,
    /// Google no longer accepts the access given: connect again.
    pub needs_reconnect: bool,
    pub connected_at: chrono::DateTime<chrono::Utc>,
}
