//! Brief types shared by the server, the worker and the browser.

use crate::task::model::Priority;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

text_enum!(BriefStatus {
    Queued = "queued" / "Queued",
    Generating = "generating" / "Generating",
    Ready = "ready" / "Ready",
    Failed = "failed" / "Failed",
});

text_enum!(Frequency { Daily = "daily" / "Every day", Weekly = "weekly" / "Once a week" });

/// When and how a person gets their brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefPrefs {
    pub enabled: bool,
    pub frequency: Frequency,
    /// 1 = Monday … 7 = Sunday.
    pub day_of_week: i16,
    pub time_of_day: NaiveTime,
    pub email: bool,
}

impl Default for BriefPrefs {
    fn default() -> Self {
        BriefPrefs {
            enabled: true,
            frequency: Frequency::Daily,
            day_of_week: 1,
            time_of_day: NaiveTime::from_hms_opt(7, 0, 0).expect("valid time"),
            email: true,
        }
    }
}

/// A task line in a brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefTask {
    pub id: Uuid,
    pub title: String,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefNote {
    pub id: Uuid,
    pub title: String,
    pub excerpt: String,
}

/// One active project's part of the brief.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSection {
    pub project_id: Uuid,
    pub name: String,
    pub slug: String,
    pub today: Vec<BriefTask>,
    pub overdue: Vec<BriefTask>,
    /// Due in the next seven days (after today).
    pub upcoming: Vec<BriefTask>,
    /// Completed in the last seven days.
    pub completed: Vec<BriefTask>,
    /// Notes written or edited in the last seven days.
    pub notes: Vec<BriefNote>,
}

impl ProjectSection {
    pub fn is_quiet(&self) -> bool {
        self.today.is_empty()
            && self.overdue.is_empty()
            && self.upcoming.is_empty()
            && self.completed.is_empty()
            && self.notes.is_empty()
    }
}

/// One line of today's schedule: an event from the person's calendars, or
/// a task's block (`task_id`), with its local time ("09:00–10:30").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleLine {
    pub time: String,
    pub title: String,
    pub task_id: Option<Uuid>,
}

/// A task that may miss its due date (the planner finds no time for it
/// before then), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AtRisk {
    pub task_id: Uuid,
    pub title: String,
    pub due_date: NaiveDate,
    pub reason: String,
}

/// A planned block the planner would move (an event now overlaps it, its
/// time passed with the task still open, …): the brief proposes the re-plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockMove {
    pub task_id: Uuid,
    pub title: String,
    /// Where it is ("Tue 8 Dec, 14:00").
    pub was: String,
    /// Where the re-plan puts it ("Wed 9 Dec, 09:00–10:00").
    pub when: String,
    /// Why it moves ("its time is busy now").
    pub why: String,
}

/// Everything a brief shows, built by rules from the person's data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefContent {
    pub projects: Vec<ProjectSection>,
    /// What needs the person's attention outside their projects, e.g.
    /// "Google Calendar needs reconnecting".
    #[serde(default)]
    pub notices: Vec<String>,
    /// Today's events and task blocks, in time order.
    #[serde(default)]
    pub schedule: Vec<ScheduleLine>,
    /// Tasks due in the next seven days with no time for them before then
    /// (re-plan from the calendar page: `/calendar?plan=1`).
    #[serde(default)]
    pub at_risk: Vec<AtRisk>,
    /// Planned blocks a re-plan of this week (today to Sunday, what the
    /// brief's link opens) would move, and where: past ones still open,
    /// ones an event now overlaps, …
    #[serde(default)]
    pub moves: Vec<BlockMove>,
}

impl BriefContent {
    pub fn count(&self, section: impl Fn(&ProjectSection) -> usize) -> usize {
        self.projects.iter().map(section).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brief {
    pub id: Uuid,
    pub brief_date: NaiveDate,
    pub status: BriefStatus,
    pub content: Option<BriefContent>,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A past brief in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BriefListItem {
    pub id: Uuid,
    pub brief_date: NaiveDate,
    pub status: BriefStatus,
}
