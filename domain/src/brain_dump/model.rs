//! Brain-dump types shared by the server and the browser.

use super::operation::Operation;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most a brain dump can hold, in characters.
pub const MAX_CHARS: usize = crate::limits::BRAIN_DUMP;

text_enum!(DumpStatus {
    Draft = "draft" / "Draft",
    New = "new" / "Not processed yet",
    Processing = "processing" / "Processing",
    Parsed = "parsed" / "Ready to review",
    Applied = "applied" / "Applied",
    Undone = "undone" / "Undone",
    Failed = "failed" / "Failed",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrainDump {
    pub id: Uuid,
    pub content: String,
    pub status: DumpStatus,
    pub engine: Option<String>,
    pub operations: Vec<Operation>,
    /// Names of the existing projects the operations point at (for the review cards).
    pub project_names: Vec<(Uuid, String)>,
    /// Names of the existing items the operations change or delete, as they are now.
    #[serde(default)]
    pub target_names: Vec<(Uuid, String)>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row the confirm step created, changed or deleted, as undo needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedChange {
    pub table: crate::item::Item,
    pub id: Uuid,
    /// The row's `updated_at` right after confirm: a different one means it was edited since.
    pub updated_at: DateTime<Utc>,
    /// "created", "updated" or "deleted".
    #[serde(default = "created")]
    pub action: String,
    /// For "updated" and "deleted": the whole row before confirm, which undo puts back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
}

fn created() -> String {
    "created".into()
}

/// A past dump in the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DumpSummary {
    pub id: Uuid,
    /// The start of the text.
    pub preview: String,
    pub status: DumpStatus,
    pub operations: i32,
    pub created_at: DateTime<Utc>,
}

/// What the server streams while it processes a dump (one server-sent event each).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParseEvent {
    /// What is happening now, in words.
    Status { message: String },
    /// One proposal, as soon as the engine has it; `home` says where it goes.
    Operation { operation: Box<Operation>, home: Option<String> },
    /// All proposals are stored: the review can open.
    Done { id: Uuid, operations: usize },
    /// Processing failed; the text is safe.
    Failed { message: String },
    /// The person cancelled; the text is back in the editor.
    Cancelled,
}

impl ParseEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            ParseEvent::Status { .. } => "status",
            ParseEvent::Operation { .. } => "operation",
            ParseEvent::Done { .. } => "done",
            ParseEvent::Failed { .. } => "failed",
            ParseEvent::Cancelled => "cancelled",
        }
    }
}
