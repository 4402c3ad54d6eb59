//! Calendars: the private ICS feed of a person's dated tasks (Google, Apple
//! and Outlook subscribe to it with no account here), calendars brought in
//! as .ics files or addresses, two-way Google Calendar sync (`sync`: Google →
//! here, `push`: here → Google, `channels`: Google's push notifications), and
//! the week the calendar page shows.

#[cfg(feature = "server")]
pub mod analysis;
#[cfg(feature = "server")]
pub mod channels;
#[cfg(feature = "server")]
pub mod feed;
#[cfg(feature = "server")]
pub mod google;
#[cfg(feature = "server")]
pub mod google_api;
#[cfg(feature = "server")]
pub mod import;
pub mod model;
#[cfg(feature = "server")]
pub mod push;
#[cfg(feature = "server")]
pub mod sync;
#[cfg(feature = "server")]
pub mod week;

use serde::{Deserialize, Serialize};

/// The person's feed address, if the feed is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    /// A secret address: whoever has it can read the person's dated tasks.
    pub url: String,
}

/// The instant a local date and time names in `timezone` (UTC if unknown); a
/// time a clock change skips is read an hour later.
#[cfg(feature = "server")]
pub fn instant_in(naive: chrono::NaiveDateTime, timezone: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone as _;
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
}
