//! The operations a brain dump proposes: what both engines (LLM and offline) produce,
//! what the review screen shows, and what confirm applies.

use crate::task::model::{Priority, TaskStatus};
use crate::task::recurrence::Recurrence;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which kind of thing an operation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Project,
    Task,
    Note,
    /// A project's markdown context (appended to on update).
    ProjectContext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Create,
    Update,
    Delete,
}

/// The project a task or note belongs to: one that exists, or one created
/// by an earlier operation of the same dump (its `reference`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProjectRef {
    Existing(Uuid),
    New(String),
}

/// The fields an operation sets; which ones apply depends on its table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence_end: Option<NaiveDate>,
    /// How long the task takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<crate::task::Minutes>,
}

/// One proposed change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    /// Stable within its dump ("op-1", "op-2", …): what the review edits and confirm names.
    pub id: String,
    pub table: Table,
    pub kind: Kind,
    /// For a created project: the name later operations use to point at it ("new-project-1").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// For updates and deletes: the existing row (for project context: the project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<Uuid>,
    /// The target's `updated_at` when the proposal was made: confirm refuses when it changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<chrono::DateTime<chrono::Utc>>,
    /// For tasks, notes and project context: the project they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    pub fields: Fields,
    /// Why the engine proposes it, in a sentence the person can read.
    pub reasoning: String,
    pub enabled: bool,
    /// Set by validation: this operation cannot be applied, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Operation {
    /// Every piece of the person's text this operation carries (for the "nothing is lost" check).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let f = &self.fields;
        [&f.name, &f.title, &f.description, &f.details, &f.context, &f.body].into_iter().flatten().map(String::as_str)
    }
}
