//! Task types shared by the server and the browser.

use super::recurrence::Recurrence;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

text_enum!(Priority { Low = "low" / "Low", Medium = "medium" / "Medium", High = "high" / "High" });
text_enum!(TaskStatus {
    Backlog = "backlog" / "Backlog",
    InProgress = "in_progress" / "In progress",
    Done = "done" / "Done",
    Blocked = "blocked" / "Blocked",
});

/// A task as the UI and the API see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
