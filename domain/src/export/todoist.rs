//! A Todoist project exported as CSV ("Export as template → CSV"), read into
//! our own export document so that it is previewed and imported the same way.
//!
//! Columns (by name, any order): TYPE (task, section, note), CONTENT,
//! DESCRIPTION, PRIORITY (1 = p1, the highest … 4 = none), INDENT (1 = a
//! task, 2 = its subtask, …), DATE, DURATION and DURATION_UNIT; the others
//! (AUTHOR, RESPONSIBLE, DATE_LANG, TIMEZONE, DEADLINE…) are not used.
//! The file is one project, named after the file. Ids are derived from the
//! file's name and each row, so importing the same file again adds nothing.

use super::*;
use crate::task::model::Priority;
use sha1::{Digest, Sha1};

/// Whether `text` looks like a Todoist CSV (its header starts with TYPE,CONTENT).
pub fn looks_like(text: &str) -> bool {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    head.get(..12).is_some_and(|h| h.eq_ignore_ascii_case("TYPE,CONTENT"))
}

/// An id for `what` in file `file`, the same every time.
fn stable_id(file: &str, what: &str) -> Uuid {
    let hash = Sha1::digest(format!("todoist\n{file}\n{what}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The project's name from the file's name ("Home Renovation.csv" → "Home Renovation").
fn project_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let base = base.strip_suffix(".csv").or_else(|| base.strip_suffix(".CSV")).unwrap_or(base).trim();
    let name: String = base.chars().take(crate::limits::PROJECT_NAME).collect();
    if name.is_empty() { "Imported from Todoist".into() } else { name }
}

/// Read a Todoist CSV named `file_name`: the document to import, and what
/// could not be carried over as it was (each said in the report).
pub fn read(text: &str, file_name: &str) -> Result<(Export, Vec<Skipped>), crate::Error> {
    use crate::Error;
    let bad = |m: String| Error::field("file", m);
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().map_err(|e| bad(format!("The CSV file cannot be read: {e}")))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(kind), Some(content)) = (column("TYPE"), column("CONTENT")) else {
        return Err(bad("This is not a Todoist CSV file (it needs TYPE and CONTENT columns).".into()));
    };
    let (description, priority, indent, date) =
        (column("DESCRIPTION"), column("PRIORITY"), column("INDENT"), column("DATE"));
    let (duration, unit) = (column("DURATION"), column("DURATION_UNIT"));

    let name = project_name(file_name);
    let now = Utc::now();
    let project_id = stable_id(&name, "project");
    let project: ProjectInput = serde_json::from_value(serde_json::json!({ "name": name }))
        .map_err(|e| bad(format!("The project name from the file name cannot be used: {e}")))?;
    let mut tasks: Vec<ExportedTask> = Vec::new();
    let mut notes: Vec<Skipped> = Vec::new();
    // The open task at each depth, for subtasks.
    let mut parents: Vec<Uuid> = Vec::new();
    let mut section = String::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record = record.map_err(|e| bad(format!("Line {line} of the CSV file cannot be read: {e}")))?;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim().to_string();
        let text = get(Some(content));
        let id = stable_id(&name, &format!("{line}\n{text}"));
        match get(Some(kind)).as_str() {
            "" if text.is_empty() => continue,
            "section" => {
                section = text;
                parents.clear();
            }
            "note" => match tasks.last_mut() {
                // A comment on the task above: kept in its details.
                Some(task) if !text.is_empty() => {
                    let details = format!(
                        "{}{}{text}",
                        task.fields.details.as_str(),
                        if task.fields.details.is_empty() { "" } else { "\n\n" }
                    );
                    match crate::task::Details::new(&details) {
                        Ok(d) => task.fields.details = d,
                        Err(e) => notes
                            .push(skipped(id, format!("Line {line}: a comment left out: the details {}.", e.reason()))),
                    }
                }
                _ => notes.push(skipped(id, format!("Line {line}: a comment with no task above it, left out."))),
            },
            "task" if text.is_empty() => {
                notes.push(skipped(id, format!("Line {line}: a task without a name, left out.")))
            }
            "task" => {
                let mut description_text = get(description);
                if !section.is_empty() {
                    description_text = format!(
                        "Section: {section}{}{description_text}",
                        if description_text.is_empty() { "" } else { "\n\n" }
                    );
                }
                let due = get(date);
                let due_date = chrono::NaiveDate::parse_from_str(due.get(..10).unwrap_or(&due), "%Y-%m-%d").ok();
                if due_date.is_none() && !due.is_empty() {
                    // Natural-language and repeating dates ("every monday") are not read: kept as text.
                    description_text = format!(
                        "{description_text}{}Todoist date: {due}",
                        if description_text.is_empty() { "" } else { "\n\n" }
                    );
                    notes.push(skipped(id, format!("Line {line}: the date \u{201c}{due}\u{201d} is not a calendar date; it is kept in the description.")));
                }
                let minutes = match (get(duration).parse::<i64>().ok(), get(unit).to_lowercase().as_str()) {
                    (Some(n), "minute" | "minutes" | "") => Some(n),
                    (Some(n), "day" | "days") => Some(n * 8 * 60),
                    _ => None,
                }
                .and_then(|m| i32::try_from(m).ok())
                .and_then(crate::task::Minutes::new);
                let depth = get(indent).parse::<usize>().unwrap_or(1).max(1);
                parents.truncate(depth - 1);
                let parent = if depth > 1 { parents.last().copied() } else { None };
                let fields = serde_json::json!({
                    "title": text,
                    "description": description_text,
                    "priority": match get(priority).as_str() { "1" | "2" => Priority::High, _ => Priority::Medium },
                    "due_date": due_date,
                    "duration_minutes": minutes.map(|m| m.get()),
                    "parent_task_id": parent,
                });
                let fields: TaskInput = serde_path_to_error::deserialize(fields)
                    .map_err(|e| bad(format!("Line {line} of the CSV file: the task's {} {}", e.path(), e.inner())))?;
                tasks.push(ExportedTask {
                    id,
                    project_id: Some(project_id),
                    fields,
                    completed_at: None,
                    created_at: now,
                });
                parents.push(id);
            }
            other => notes.push(skipped(
                id,
                format!(
                    "Line {line}: a row of type \u{201c}{other}\u{201d} is not a task, section or comment; left out."
                ),
            )),
        }
    }
    let doc = Export {
        format: Format::BuildosExport,
        version: VERSION,
        exported_at: now,
        account: Account { email: "Todoist".into(), display_name: String::new(), timezone: String::new() },
        settings: Settings { brief: Default::default(), scheduling: Default::default() },
        projects: vec![ExportedProject { id: project_id, fields: project, created_at: now }],
        tasks,
        notes: Vec::new(),
        brain_dumps: Vec::new(),
        briefs: Vec::new(),
    };
    Ok((doc, notes))
}

fn skipped(id: Uuid, reason: String) -> Skipped {
    Skipped { kind: "todoist".into(), id, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT\r\n\
        task,Paint the hall @home,Two coats,1,1,Ada (1),,2026-12-10,en,Europe/Paris,90,minute\r\n\
        note,Buy the grey one,,,,,,,,,,\r\n\
        task,Buy brushes,,4,2,Ada (1),,,en,,,\r\n\
        ,,,,,,,,,,,\r\n\
        section,Garden,,,,,,,,,,\r\n\
        task,Water the plants,,3,1,Ada (1),,every monday,en,,,\r\n";

    #[test]
    fn a_todoist_csv_becomes_one_project_with_its_tasks() {
        assert!(looks_like(SAMPLE) && !looks_like("{\"format\": 1}"));
        let (doc, notes) = read(SAMPLE, "Home Renovation.csv").unwrap();
        assert_eq!(doc.projects[0].fields.name.as_str(), "Home Renovation");
        let t: Vec<&str> = doc.tasks.iter().map(|t| t.fields.title.as_str()).collect();
        assert_eq!(t, ["Paint the hall @home", "Buy brushes", "Water the plants"]);
        let paint = &doc.tasks[0].fields;
        assert_eq!(
            (paint.priority, paint.due_date.map(|d| d.to_string())),
            (Priority::High, Some("2026-12-10".into()))
        );
        assert_eq!(paint.duration_minutes.map(|m| m.get()), Some(90));
        assert_eq!(paint.details.as_str(), "Buy the grey one", "the comment is kept");
        assert_eq!(doc.tasks[1].fields.parent_task_id, Some(doc.tasks[0].id), "INDENT 2 is a subtask");
        let water = &doc.tasks[2].fields;
        assert_eq!(water.parent_task_id, None);
        assert_eq!(water.description.as_str(), "Section: Garden\n\nTodoist date: every monday");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].reason.contains("every monday"));
        // The same file gives the same ids (so a second import adds nothing).
        assert_eq!(read(SAMPLE, "Home Renovation.csv").unwrap().0.tasks[2].id, doc.tasks[2].id);
        assert!(read("NAME,WHAT\r\n", "x.csv").is_err());
    }
}
