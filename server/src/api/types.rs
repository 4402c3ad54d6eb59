//! What the API sends and receives, with their OpenAPI schemas. Bodies are
//! translated to the same forms and services the pages use.

use app::brain_dump::model::BrainDump;
use app::brain_dump::operation::{Operation, ProjectRef};
use app::brief::model::{Brief, BriefListItem};
use app::note::model::Note;
use app::project::model::Project;
use app::task::model::Task;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// How many match, in all.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many (1–100, default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Skip this many (default 0).
    #[param(minimum = 0, maximum = 1000000)]
    pub offset: Option<i64>,
}

impl PageQuery {
    pub fn bounds(&self) -> Result<(i64, i64), super::problem::ApiError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=100).contains(&limit) {
            return Err(super::problem::ApiError::field("limit", "limit is from 1 to 100."));
        }
        if !(0..=1_000_000).contains(&offset) {
            return Err(super::problem::ApiError::field("offset", "offset is from 0 to 1000000."));
        }
        Ok((limit, offset))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiProject {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// Markdown.
    pub context: String,
    #[schema(value_type = String, example = "active")]
    pub status: String,
    pub tags: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub open_tasks: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ApiProject {
    fn from(p: Project) -> Self {
        ApiProject {
            id: p.id,
            name: p.name,
            slug: p.slug,
            description: p.description,
            context: p.context,
            status: p.status.as_str().into(),
            tags: p.tags,
            start_date: p.start_date,
            end_date: p.end_date,
            open_tasks: p.open_tasks,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Active,
    Paused,
    Completed,
    Archived,
}

/// A new project, or (every field optional) changes to one.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProjectBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(max_length = 100000)]
    pub context: Option<String>,
    pub status: Option<ProjectStatus>,
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectFilter {
    pub status: Option<ProjectStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTask {
    pub id: Uuid,
    pub project_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    pub details: String,
    #[schema(example = "medium")]
    pub priority: String,
    #[schema(example = "backlog")]
    pub status: String,
    pub duration_minutes: Option<i32>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    #[schema(example = "weekly")]
    pub recurrence: Option<String>,
    pub recurrence_end: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<Task> for ApiTask {
    fn from(t: Task) -> Self {
        ApiTask {
            id: t.id,
            project_id: t.project_id,
            title: t.title,
            description: t.description,
            details: t.details,
            priority: t.priority.as_str().into(),
            status: t.status.as_str().into(),
            duration_minutes: t.duration_minutes,
            start_date: t.start_date,
            due_date: t.due_date,
            recurrence: t.recurrence.map(|r| r.as_str().into()),
            recurrence_end: t.recurrence_end,
            completed_at: t.completed_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Backlog,
    InProgress,
    Done,
    Blocked,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    Daily,
    Weekdays,
    Weekly,
    Biweekly,
    Monthly,
    Quarterly,
    Yearly,
}

/// A new task, or (every field optional) changes to one.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TaskBody {
    /// The project it belongs to (none: the inbox). Only when creating.
    pub project_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(max_length = 100000)]
    pub details: Option<String>,
    pub priority: Option<Priority>,
    pub status: Option<TaskStatus>,
    #[schema(minimum = 1, maximum = 10080)]
    pub duration_minutes: Option<i32>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    /// Needs a start date.
    pub recurrence: Option<Recurrence>,
    pub recurrence_end: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilter {
    pub project_id: Option<Uuid>,
    pub status: Option<TaskStatus>,
    /// Due on or before this date.
    pub due_before: Option<NaiveDate>,
    /// Due on or after this date.
    pub due_after: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiNote {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Note> for ApiNote {
    fn from(n: Note) -> Self {
        ApiNote {
            id: n.id,
            project_id: n.project_id,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// A new note (project_id and body required), or changes to one.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteBody {
    /// Only when creating.
    pub project_id: Option<Uuid>,
    #[schema(max_length = 200)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 100000)]
    pub body: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoteFilter {
    pub project_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBrainDump {
    /// What is on your mind (at most 50,000 characters).
    #[schema(min_length = 1, max_length = 50000)]
    pub content: String,
}

/// One proposed change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiOperation {
    /// "op-1", "op-2", …: what confirm takes.
    pub id: String,
    #[schema(example = "task")]
    pub table: String,
    #[schema(example = "create")]
    pub kind: String,
    /// For a new project: the name other operations use for it.
    pub reference: Option<String>,
    /// For a change or deletion: the existing item.
    pub target_id: Option<Uuid>,
    /// The existing project it goes to.
    pub project_id: Option<Uuid>,
    /// The new project (by reference) it goes to.
    pub project_ref: Option<String>,
    /// The fields it sets (name, title, details, body, context, priority, status, dates, recurrence).
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    pub reasoning: String,
    pub enabled: bool,
    /// Why it cannot be applied, if so.
    pub error: Option<String>,
}

impl From<Operation> for ApiOperation {
    fn from(o: Operation) -> Self {
        let (project_id, project_ref) = match o.project {
            Some(ProjectRef::Existing(id)) => (Some(id), None),
            Some(ProjectRef::New(r)) => (None, Some(r)),
            None => (None, None),
        };
        ApiOperation {
            id: o.id,
            table: serde_json::to_value(o.table).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            kind: serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            reference: o.reference,
            target_id: o.target_id,
            project_id,
            project_ref,
            fields: serde_json::to_value(&o.fields).unwrap_or_default(),
            reasoning: o.reasoning,
            enabled: o.enabled,
            error: o.error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiBrainDump {
    pub id: Uuid,
    pub content: String,
    #[schema(example = "parsed")]
    pub status: String,
    pub engine: Option<String>,
    pub operations: Vec<ApiOperation>,
    pub error: Option<String>,
    /// Send this back with confirm: it refuses when the dump was processed again since.
    pub version: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<BrainDump> for ApiBrainDump {
    fn from(d: BrainDump) -> Self {
        ApiBrainDump {
            id: d.id,
            content: d.content,
            status: d.status.as_str().into(),
            engine: d.engine,
            operations: d.operations.into_iter().map(Into::into).collect(),
            error: d.error,
            version: d.updated_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmBody {
    /// The operations to apply ("op-1", …); the others are left out.
    #[schema(max_items = 1000)]
    pub operation_ids: Vec<String>,
    /// The dump's `version` as reviewed (default: as it is now).
    pub version: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Confirmed {
    /// How many items were created, changed or deleted.
    pub applied: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiBrief {
    pub id: Uuid,
    pub brief_date: NaiveDate,
    #[schema(example = "ready")]
    pub status: String,
    pub summary: Option<String>,
    /// Each active project's sections: today, overdue, upcoming, completed, notes.
    #[schema(value_type = Option<Object>)]
    pub content: Option<serde_json::Value>,
    pub error: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
}

impl From<Brief> for ApiBrief {
    fn from(b: Brief) -> Self {
        ApiBrief {
            id: b.id,
            brief_date: b.brief_date,
            status: b.status.as_str().into(),
            summary: b.summary,
            content: b.content.and_then(|c| serde_json::to_value(c).ok()),
            error: b.error,
            generated_at: b.generated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiBriefListItem {
    pub id: Uuid,
    pub brief_date: NaiveDate,
    #[schema(example = "ready")]
    pub status: String,
}

impl From<BriefListItem> for ApiBriefListItem {
    fn from(b: BriefListItem) -> Self {
        ApiBriefListItem { id: b.id, brief_date: b.brief_date, status: b.status.as_str().into() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(min_length = 10, max_length = 1000)]
    pub password: String,
    #[schema(max_length = 100)]
    pub display_name: Option<String>,
    /// An IANA timezone (default UTC).
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 1000)]
    pub password: String,
    /// What the token is for.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`. Shown only now.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub timezone: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_parse<T: serde::de::DeserializeOwned>(names: impl IntoIterator<Item = &'static str>) -> usize {
        names.into_iter().map(|n| serde_json::from_value::<T>(serde_json::json!(n)).map(|_| 1).expect(n)).sum()
    }

    /// The API's enums mirror the app's: same names, same count (they are
    /// separate so the API's schema is its own, but must not drift).
    #[test]
    fn api_enums_match_the_app() {
        use app::project::model::ProjectStatus as P;
        use app::task::model::{Priority as Pr, TaskStatus as S};
        use app::task::recurrence::Recurrence as R;
        assert_eq!(all_parse::<ProjectStatus>(P::ALL.iter().map(|v| v.as_str())), 4);
        assert_eq!(all_parse::<Priority>(Pr::ALL.iter().map(|v| v.as_str())), Pr::ALL.len());
        assert_eq!(all_parse::<TaskStatus>(S::ALL.iter().map(|v| v.as_str())), S::ALL.len());
        assert_eq!(all_parse::<Recurrence>(R::ALL.iter().map(|v| v.as_str())), R::ALL.len());
        assert_eq!(P::ALL.len(), 4);
    }
}
