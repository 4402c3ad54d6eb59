//! Task types shared by the server and the browser.

use super::recurrence::Recurrence;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! text_enum {
    ($name:ident { $($variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn parse(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }
    };
}
pub(crate) use text_enum;

text_enum!(Priority { Low = "low" / "Low", Medium = "medium" / "Medium", High = "high" / "High" });
text_enum!(TaskStatus {
    Backlog = "backlog" / "Backlog",
    InProgress = "in_progress" / "In progress",
    Done = "done" / "Done",
    Blocked = "blocked" / "Blocked",
});

/// A task as the UI sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: Uuid,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub project_slug: Option<String>,
    pub parent_task_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub details: String,
    pub priority: Priority,
    pub status: TaskStatus,
    pub duration_minutes: Option<i32>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub recurrence: Option<Recurrence>,
    pub recurrence_end: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What a list row shows: lists never carry descriptions or details, which
/// can be long (the project page and dashboard stay small however much is written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    pub id: Uuid,
    pub project_name: Option<String>,
    pub project_slug: Option<String>,
    pub title: String,
    pub priority: Priority,
    pub status: TaskStatus,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub recurrence: Option<Recurrence>,
}

/// The editable fields of a task, as typed into a form (all text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskForm {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub duration_minutes: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub recurrence: String,
    #[serde(default)]
    pub recurrence_end: String,
    #[serde(default)]
    pub parent_task_id: String,
}

impl TaskForm {
    /// The submitted values, for re-showing them next to an error.
    pub fn pairs(&self) -> [(&'static str, &str); 11] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("details", &self.details),
            ("priority", &self.priority),
            ("status", &self.status),
            ("duration_minutes", &self.duration_minutes),
            ("start_date", &self.start_date),
            ("due_date", &self.due_date),
            ("recurrence", &self.recurrence),
            ("recurrence_end", &self.recurrence_end),
            ("parent_task_id", &self.parent_task_id),
        ]
    }
}
