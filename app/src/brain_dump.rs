//! Brain dumps: server functions (thin: authenticate, convert, call the
//! service), the review form's adapter, and the pages.

pub use domain::brain_dump::{model, operation, review};

use crate::error::AppError;
use leptos::prelude::*;
use model::BrainDump;
use operation::Operation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, forms},
    domain::brain_dump::{llm::Engine, service},
};

/// The engine configured for this server.
#[cfg(feature = "ssr")]
fn engine() -> Result<Engine, AppError> {
    Ok(crate::auth::request::settings()?.engine.clone())
}

/// The draft being typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Whose it is (the text kept on this device while offline is theirs alone).
    pub owner: Uuid,
    /// None: nothing written yet.
    pub id: Option<Uuid>,
    pub content: String,
    /// Whether this server transcribes recordings (voice capture records
    /// then); else the browser's own speech recognition, where it has one.
    pub transcribe: bool,
}

#[server(endpoint = "get_draft")]
pub async fn get_draft() -> Result<Draft, AppError> {
    let (pool, user) = require_user().await?;
    let found = service::find_draft(&pool, user.id).await?;
    let (id, content) = found.map_or((None, String::new()), |(id, content)| (Some(id), content));
    let transcribe = crate::auth::request::settings()?.transcription.is_some();
    Ok(Draft { owner: user.id, id, content, transcribe })
}

/// Autosave: the text survives a reload, a crash or a lost connection.
#[server(endpoint = "save_draft")]
pub async fn save_draft(#[server(default)] content: String) -> Result<Uuid, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::save_draft(&pool, user.id, &content).await?)
}

/// Propose operations (offline engine), using the person's local date.
#[server(endpoint = "parse_brain_dump")]
pub async fn parse_brain_dump(id: String) -> Result<BrainDump, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::parse(&pool, user.id, forms::id(&id)?, &engine()?).await?)
}

#[server(endpoint = "get_brain_dump")]
pub async fn get_brain_dump(id: String) -> Result<BrainDump, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::get_dump(&pool, user.id, forms::id(&id)?).await?)
}

/// Apply the reviewed operations; returns how many items were created.
/// `version` is the dump's `updated_at` as reviewed.
#[server(endpoint = "confirm_brain_dump", input = server_fn::codec::Json)]
pub async fn confirm_brain_dump(
    id: String,
    version: chrono::DateTime<chrono::Utc>,
    operations: Vec<Operation>,
) -> Result<usize, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::confirm(&pool, user.id, forms::id(&id)?, version, operations).await?)
}

/// Stop processing: the text goes back to the editor. True when something was stopped.
#[server(endpoint = "cancel_brain_dump")]
pub async fn cancel_brain_dump(id: String) -> Result<bool, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::cancel(&pool, user.id, forms::id(&id)?).await?)
}

#[server(endpoint = "list_brain_dumps")]
pub async fn list_brain_dumps() -> Result<Vec<model::DumpSummary>, AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::list_dumps(&pool, user.id).await?)
}

#[server(endpoint = "undo_brain_dump")]
pub async fn undo_brain_dump(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    Ok(service::undo(&pool, user.id, forms::id(&id)?).await?)
}

/// Save the text and propose operations in one step, then open the review.
#[server(endpoint = "process_brain_dump")]
pub async fn process_brain_dump(#[server(default)] content: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = service::save_draft(&pool, user.id, &content).await?;
    service::parse(&pool, user.id, id, &engine()?).await?;
    leptos_axum::redirect(&format!("/brain-dump/{id}"));
    Ok(())
}

/// One card of the review form, as the browser sends it (all text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardEdit {
    /// "on" when ticked (an unticked checkbox sends nothing).
    pub enabled: String,
    pub text: String,
    pub start_date: String,
    pub due_date: String,
    /// "low", "medium" or "high"; absent: unchanged.
    pub priority: Option<String>,
    /// A recurrence, or "" for none; absent: unchanged.
    pub recurrence: Option<String>,
    /// Whole minutes, or "" for none; absent: unchanged.
    pub duration_minutes: Option<String>,
}

/// Confirm from the review form (works without JavaScript): `ops[op-1][text]=…`.
#[server(endpoint = "confirm_review")]
pub async fn confirm_review(
    id: String,
    version: String,
    #[server(default)] ops: std::collections::BTreeMap<String, CardEdit>,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let version = chrono::DateTime::parse_from_rfc3339(&version)
        .map_err(|_| AppError(domain::Error::Conflict("This review page is out of date; reload it.".into())))?
        .to_utc();
    let stored = service::get_dump(&pool, user.id, id).await?.operations;
    let reviewed = apply_edits(stored, &ops)?;
    service::confirm(&pool, user.id, id, version, reviewed).await?;
    leptos_axum::redirect(&format!("/brain-dump/{id}"));
    Ok(())
}

pub mod pages;
mod voice;

/// The stored operations with the person's ticks and edits; a card missing
/// from the form is unticked. Unreadable dates are named by the card's id.
pub fn apply_edits(
    stored: Vec<Operation>,
    cards: &std::collections::BTreeMap<String, CardEdit>,
) -> Result<Vec<Operation>, AppError> {
    use domain::task::model::Priority;
    use domain::task::recurrence::Recurrence;
    use operation::{Kind, Table};
    let mut c = crate::error::Checks::default();
    let ops = stored
        .into_iter()
        .map(|mut op| {
            let Some(card) = cards.get(&op.id) else {
                op.enabled = false;
                return op;
            };
            op.enabled = card.enabled == "on";
            if op.kind == Kind::Delete {
                return op;
            }
            // On a change, an emptied text field means "keep what it is".
            let text = Some(card.text.clone()).filter(|t| op.kind == Kind::Create || !t.trim().is_empty());
            let f = &mut op.fields;
            match op.table {
                Table::Project => f.name = text,
                Table::Task => {
                    f.title = text;
                    if let Some(p) = &card.priority {
                        f.priority = Priority::parse(p);
                    }
                    if let Some(r) = &card.recurrence {
                        f.recurrence = Recurrence::parse(r);
                    }
                    if let Some(m) = &card.duration_minutes
                        && let Some(m) = c.take(&op.id, domain::task::Minutes::parse(m, "Minutes"))
                    {
                        f.duration_minutes = m;
                    }
                    for (value, slot, label) in [
                        (&card.start_date, &mut f.start_date, "Start date"),
                        (&card.due_date, &mut f.due_date, "Due date"),
                    ] {
                        if let Some(d) = c.take(&op.id, crate::forms::date(value, label)) {
                            *slot = d;
                        }
                    }
                }
                Table::Note => f.body = text,
                Table::ProjectContext => f.context = text,
            }
            op
        })
        .collect();
    c.finish()?;
    Ok(ops)
}
