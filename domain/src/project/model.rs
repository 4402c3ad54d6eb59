//! Project types shared by the server and the browser.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

text_enum!(ProjectStatus {
    Active = "active" / "Active",
    Paused = "paused" / "Paused",
    Completed = "completed" / "Completed",
    Archived = "archived" / "Archived",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub context: String,
    /// `context` rendered from markdown and sanitised on the server.
    pub context_html: String,
    pub status: ProjectStatus,
    pub tags: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub open_tasks: i64,
    pub deleted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A project in a list: no context (which can be long), so lists stay small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub status: ProjectStatus,
    pub tags: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub open_tasks: i64,
    pub updated_at: DateTime<Utc>,
}
