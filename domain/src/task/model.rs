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
    /// None for a task in the inbox.
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub project_slug: Option<String>,
    /// The task this one is a step of.
    pub parent_task_id: Option<Uuid>,
    pub title: String,
    /// One or two lines, shown in lists.
    pub description: String,
    /// Longer notes, markdown.
    pub details: String,
    pub priority: Priority,
    pub status: TaskStatus,
    /// How long it takes, in minutes (for scheduling).
    pub duration_minutes: Option<i32>,
    /// When to start; a repeating task's occurrence date.
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    /// Marked done, a repeating task comes back on its next date.
    pub recurrence: Option<Recurrence>,
    /// No occurrence after this date.
    pub recurrence_end: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Set while the task is in the bin (it can be restored).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Changes with every write: what brain-dump confirm and undo compare.
    pub updated_at: DateTime<Utc>,
}

/// What a list row shows: lists never carry descriptions or details, which
/// can be long (the project page and dashboard stay small however much is written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
///
/// Empty fields are left out of the JSON: lists are embedded in every page
/// that shows them (for hydration), and most rows have most fields empty.
pub struct TaskSummary {
    pub id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_slug: Option<String>,
    pub title: String,
    pub priority: Priority,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// Its block of time, when scheduled (it lasts `duration_minutes`, 30 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<i32>,
    /// Placed by the person (by hand, or moved in Google): a planner leaves it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
}

/// The dashboard's lists of tasks, for the person's local today.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardLists {
    pub today: Vec<TaskSummary>,
    pub overdue: Vec<TaskSummary>,
    /// The next seven days, after today.
    pub upcoming: Vec<TaskSummary>,
    /// Done in the last seven days.
    pub completed: Vec<TaskSummary>,
}

impl DashboardLists {
    pub fn is_empty(&self) -> bool {
        [&self.today, &self.overdue, &self.upcoming, &self.completed].iter().all(|l| l.is_empty())
    }
}
