//! How the review shows an operation: its text, its kind and where it goes.

use super::operation::{Kind, Operation, ProjectRef, Table};

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
