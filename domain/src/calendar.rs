//! Calendars. For now: the private ICS feed of a person's dated tasks, which
//! Google, Apple and Outlook can subscribe to with no account here.

#[cfg(feature = "server")]
pub mod feed;

use serde::{Deserialize, Serialize};

/// The person's feed address, if the feed is on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarFeed {
    /// A secret address: whoever has it can read the person's dated tasks.
    pub url: String,
}
