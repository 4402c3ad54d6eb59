//! Turning the review form's cards back into operations.

use super::CardEdit;
use super::operation::{Operation, ProjectRef, Table};
use crate::error::{AppError, FieldError, Invalid};
use crate::forms;
use std::collections::BTreeMap;

/// The text a card edits: a project's name, a task's title, a note's body.
pub fn card_text(op: &Operation) -> String {
    let f = &op.fields;
    match op.table {
        Table::Project => f.name.clone(),
        Table::Task => f.title.clone(),
        Table::Note | Table::ProjectContext => f.body.clone().or_else(|| f.context.clone()),
    }
    .unwrap_or_default()
}

/// Where a task or note goes, in words: "in Garden", "in the new project Garden", "in your inbox".
/// `known` names existing projects; `new` names the projects this dump creates, by reference.
pub fn home_label(op: &Operation, known: &[(uuid::Uuid, String)], new: &[(String, String)]) -> Option<String> {
    match (&op.project, op.table) {
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
            let f = &mut op.fields;
            match op.table {
                Table::Project => f.name = Some(card.text.clone()),
                Table::Task => {
                    f.title = Some(card.text.clone());
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
                Table::Note | Table::ProjectContext => f.body = Some(card.text.clone()),
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
