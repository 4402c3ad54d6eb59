//! Turning the review form's cards back into operations.

use super::CardEdit;
use super::operation::{Kind, Operation, ProjectRef, Table};
use crate::error::{AppError, FieldError, Invalid};
use crate::forms;
use crate::task::model::Priority;
use crate::task::recurrence::Recurrence;
use std::collections::BTreeMap;

/// The text a card edits: a project's name, a task's title, a note's body,
/// the context added to a project.
pub fn card_text(op: &Operation) -> String {
    let f = &op.fields;
    match op.table {
        Table::Project => f.name.clone(),
        Table::Task => f.title.clone(),
        Table::Note => f.body.clone(),
        Table::ProjectContext => f.context.clone(),
    }
    .unwrap_or_default()
}

/// What a card is, in words: "New project", "Change task", "Delete note", "Add to project context".
pub fn kind_label(op: &Operation) -> &'static str {
    match (op.kind, op.table) {
        (_, Table::ProjectContext) => "Add to project context",
        (Kind::Create, Table::Project) => "New project",
        (Kind::Create, Table::Task) => "Task",
        (Kind::Create, Table::Note) => "Note",
        (Kind::Update, Table::Project) => "Change project",
        (Kind::Update, Table::Task) => "Change task",
        (Kind::Update, Table::Note) => "Change note",
        (Kind::Delete, Table::Project) => "Delete project",
        (Kind::Delete, Table::Task) => "Delete task",
        (Kind::Delete, Table::Note) => "Delete note",
    }
}

/// Where a task or note goes, in words: "in Garden", "in the new project Garden", "in your inbox".
/// `known` names existing projects; `new` names the projects this dump creates, by reference.
pub fn home_label(op: &Operation, known: &[(uuid::Uuid, String)], new: &[(String, String)]) -> Option<String> {
    match (&op.project, op.table) {
        // A change or deletion stays where its item is.
        _ if op.kind != Kind::Create => None,
        (_, Table::Project) => None,
        (Some(ProjectRef::Existing(id)), _) => {
            known.iter().find(|(n, _)| n == id).map(|(_, name)| format!("in {name}"))
        }
        (Some(ProjectRef::New(r)), _) => {
            new.iter().find(|(reference, _)| reference == r).map(|(_, name)| format!("in the new project {name}"))
        }
        (None, _) => Some("in your inbox (no project)".into()),
    }
}

/// The projects a list of operations creates, as (reference, name) pairs.
pub fn new_projects(ops: &[Operation]) -> Vec<(String, String)> {
    ops.iter()
        .filter(|o| o.table == Table::Project)
        .filter_map(|o| Some((o.reference.clone()?, o.fields.name.clone()?)))
        .collect()
}

/// The stored operations with the person's ticks and edits; a card missing
/// from the form is unticked. Unreadable dates are named by the card's id.
pub fn apply_edits(stored: Vec<Operation>, cards: &BTreeMap<String, CardEdit>) -> Result<Vec<Operation>, AppError> {
    let mut errors = Vec::new();
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
                    for (value, slot, label) in [
                        (&card.start_date, &mut f.start_date, "Start date"),
                        (&card.due_date, &mut f.due_date, "Due date"),
                    ] {
                        match forms::date(value, label) {
                            Ok(d) => *slot = d,
                            Err(message) => errors.push(FieldError { field: op.id.clone(), message }),
                        }
                    }
                }
                Table::Note => f.body = text,
                Table::ProjectContext => f.context = text,
            }
            op
        })
        .collect();
    if errors.is_empty() {
        Ok(ops)
    } else {
        Err(AppError::Validation(Invalid { fields: errors, input: BTreeMap::new() }))
    }
}
