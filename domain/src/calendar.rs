//! Calendars: the private ICS feed of a person's dated tasks (Google, Apple
//! and Outlook subscribe to it with no account here), calendars brought in
//! as .ics files or addresses, and the week the calendar page shows.

#[cfg(feature = "server")]
pub mod feed;
#[cfg(feature = "server")]
pub mod google;
#[cfg(feature = "server")]
pub mod import;
pub mod model;
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
