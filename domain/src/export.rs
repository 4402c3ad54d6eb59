//! A person's data as one JSON document (export), and that document read back
//! (import: ids remapped, nothing created twice when imported again).
//!
//! The format, version 1 (`docs/export-format.md` describes every field):
//! `{format: "buildos-export", version: 1, exported_at, account, settings,
//! projects, tasks, notes, brain_dumps, briefs}`. Projects, tasks and notes
//! carry the fields of the domain's typed inputs, so reading one back checks
//! it exactly as the API checks a new one. Items in the bin are not exported.

use crate::brief::model::BriefPrefs;
use crate::note::NoteInput;
use crate::project::ProjectInput;
use crate::schedule::Preferences;
use crate::task::TaskInput;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What `format` says.
pub const FORMAT: &str = "buildos-export";

/// The format's name, the only value `format` takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Format {
    #[default]
    #[serde(rename = "buildos-export")]
    BuildosExport,
}
/// The version this code writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Export {
    pub format: Format,
    /// 1 for this layout.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1))]
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    pub account: Account,
    pub settings: Settings,
    pub projects: Vec<ExportedProject>,
    pub tasks: Vec<ExportedTask>,
    pub notes: Vec<ExportedNote>,
    pub brain_dumps: Vec<ExportedBrainDump>,
    pub briefs: Vec<ExportedBrief>,
}

/// Who exported it (not imported: an import never changes the account itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub email: String,
    pub display_name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    pub brief: BriefPrefs,
    pub scheduling: Preferences,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedProject {
    pub id: Uuid,
    #[serde(flatten)]
    pub fields: ProjectInput,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedTask {
    pub id: Uuid,
    /// One of the exported projects, or none (the inbox).
    pub project_id: Option<Uuid>,
    /// `parent_task_id`, when set, is one of the exported tasks.
    #[serde(flatten)]
    pub fields: TaskInput,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedNote {
    pub id: Uuid,
    /// One of the exported projects.
    pub project_id: Uuid,
    #[serde(flatten)]
    pub fields: NoteInput,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedBrainDump {
    pub id: Uuid,
    pub content: String,
    /// draft, parsed, applied, undone or failed.
    pub status: crate::brain_dump::model::DumpStatus,
    /// What was proposed.
    pub operations: Vec<crate::brain_dump::operation::Operation>,
    pub created_at: DateTime<Utc>,
}

/// A brief that was ready (queued or failed ones are not exported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedBrief {
    pub id: Uuid,
    pub brief_date: NaiveDate,
    pub content: crate::brief::model::BriefContent,
    pub summary: Option<String>,
    pub generated_at: Option<DateTime<Utc>>,
}

/// How many of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    pub projects: u32,
    pub tasks: u32,
    pub notes: u32,
    pub brain_dumps: u32,
    pub briefs: u32,
}

impl Counts {
    pub fn total(&self) -> u32 {
        self.projects + self.tasks + self.notes + self.brain_dumps + self.briefs
    }
}

/// An item an import left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Skipped {
    /// project, task, note, brain_dump or brief.
    pub kind: String,
    /// Its id in the export.
    pub id: Uuid,
    pub reason: String,
}

/// What an import did (or, previewed, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// Only a preview: nothing was written.
    pub preview: bool,
    pub created: Counts,
    /// Already in the account (imported before, or exported from it).
    pub already_there: Counts,
    pub skipped: Vec<Skipped>,
    /// The brief and scheduling settings were taken from the export.
    pub settings_applied: bool,
}

/// An upload and what importing it would do (or did).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub id: Uuid,
    pub preview: ImportReport,
    /// Set once imported.
    pub applied: Option<ImportReport>,
    pub exported_at: DateTime<Utc>,
    pub exported_by: String,
}

/// The tasks as CSV: one row each, the columns of the export's tasks.
pub fn tasks_csv(export: &Export) -> String {
    let names: std::collections::HashMap<Uuid, &str> =
        export.projects.iter().map(|p| (p.id, p.fields.name.as_str())).collect();
    let mut out = String::from(
        "id,project,title,description,details,priority,status,duration_minutes,start_date,due_date,recurrence,recurrence_end,parent_task_id,completed_at,created_at\r\n",
    );
    let field = |s: &str| {
        // Quote every field that needs it; a leading = + - @ could run as a
        // formula in a spreadsheet, so it gets a ' before it.
        let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
    };
    let opt = |v: Option<String>| v.unwrap_or_default();
    for t in &export.tasks {
        let f = &t.fields;
        let row = [
            t.id.to_string(),
            field(t.project_id.and_then(|p| names.get(&p).copied()).unwrap_or("")),
            field(&f.title),
            field(&f.description),
            field(&f.details),
            f.priority.as_str().to_string(),
            f.status.as_str().to_string(),
            opt(f.duration_minutes.map(|m| m.get().to_string())),
            opt(f.start_date.map(|d| d.to_string())),
            opt(f.due_date.map(|d| d.to_string())),
            opt(f.recurrence.map(|r| r.as_str().to_string())),
            opt(f.recurrence_end.map(|d| d.to_string())),
            opt(f.parent_task_id.map(|d| d.to_string())),
            opt(t.completed_at.map(|d| d.to_rfc3339())),
            t.created_at.to_rfc3339(),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod todoist;
