//! Project types shared by the server and the browser.

use crate::task::model::text_enum;
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

/// The editable fields of a project, as typed into a form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectForm {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub context: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub end_date: String,
}

impl ProjectForm {
    pub fn pairs(&self) -> [(&'static str, &str); 7] {
        [
            ("name", &self.name),
            ("description", &self.description),
            ("context", &self.context),
            ("status", &self.status),
            ("tags", &self.tags),
            ("start_date", &self.start_date),
            ("end_date", &self.end_date),
        ]
    }
}
