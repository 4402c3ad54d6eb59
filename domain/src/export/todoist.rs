//! A Todoist project exported as CSV ("Export as template → CSV"), read into
//! our own export document so that it is previewed and imported the same way.
//!
//! Columns (by name, any order): TYPE (task, section, note), CONTENT,
//! DESCRIPTION, PRIORITY (1 = p1, the highest … 4 = none), INDENT (1 = a
//! task, 2 = its subtask, …), DATE, DURATION and DURATION_UNIT; the others
//! (AUTHOR, RESPONSIBLE, DATE_LANG, TIMEZONE, DEADLINE…) are not used.
//! The file is one project, named after the file. Ids are derived from the
//! file's name and each row, so importing the same file again adds nothing.
//!
//! A Todoist backup (Settings → Backups) is a zip with one such CSV per
//! project ("Home Renovation [2203306141].csv"): every project in it is read.

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

/// The project's name from the file's name ("Home Renovation.csv" and, in a
/// backup, "Home Renovation [2203306141].csv" → "Home Renovation").
fn project_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let base = base.strip_suffix(".csv").or_else(|| base.strip_suffix(".CSV")).unwrap_or(base).trim();
    let base = match base.strip_suffix(']').and_then(|b| b.rsplit_once(" [")) {
        Some((name, id)) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => name.trim(),
        _ => base,
    };
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

/// Whether `bytes` are a zip archive (a Todoist backup).
pub fn is_backup(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The most a backup may unpack to, and the most files it may hold: a small
/// zip cannot be made to fill the server's memory.
const BACKUP_MAX_BYTES: u64 = 64 * 1024 * 1024;
const BACKUP_MAX_FILES: usize = 5_000;

/// Read a Todoist backup: every project CSV in the zip, into one document,
/// and what could not be carried over (files that are not project CSVs too).
pub fn read_backup(bytes: &[u8]) -> Result<(Export, Vec<Skipped>), crate::Error> {
    use std::io::Read;
    let bad = |m: String| crate::Error::field("file", m);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("The zip file cannot be read: {e}")))?;
    if archive.len() > BACKUP_MAX_FILES {
        return Err(bad(format!("The zip file holds more than {BACKUP_MAX_FILES} files.")));
    }
    let mut doc: Option<Export> = None;
    let mut notes = Vec::new();
    let mut left = BACKUP_MAX_BYTES;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(format!("The zip file cannot be read: {e}")))?;
        let name = entry.name().to_string();
        if entry.is_dir()
            || name.starts_with("__MACOSX/")
            || name.rsplit('/').next().is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if !name.to_ascii_lowercase().ends_with(".csv") {
            notes.push(skipped(stable_id(&name, "file"), format!("{name}: not a project CSV; left out.")));
            continue;
        }
        let mut raw = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut raw)
            .map_err(|e| bad(format!("{name} cannot be unpacked: {e}")))?;
        left = left
            .checked_sub(raw.len() as u64)
            .ok_or_else(|| bad(format!("The backup unpacks to more than {} MB.", BACKUP_MAX_BYTES / 1024 / 1024)))?;
        let Ok(text) = String::from_utf8(raw) else {
            return Err(bad(format!("{name} is not UTF-8 text.")));
        };
        if !looks_like(&text) {
            notes.push(skipped(stable_id(&name, "file"), format!("{name}: not a Todoist project CSV; left out.")));
            continue;
        }
        let (one, more) = read(&text, &name).map_err(|e| bad(format!("{name}: {e}")))?;
        notes.extend(more);
        match &mut doc {
            None => doc = Some(one),
            Some(all) => {
                all.projects.extend(one.projects);
                all.tasks.extend(one.tasks);
            }
        }
    }
    let doc = doc.ok_or_else(|| bad("The zip file holds no Todoist project CSV.".into()))?;
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

    fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, body) in files {
            out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(body).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_todoist_backup_brings_every_project_in_it() {
        let garden = "TYPE,CONTENT,PRIORITY,INDENT\r\ntask,Sow the beans,4,1\r\n";
        let backup = zip(&[
            ("Home Renovation [2203306141].csv", SAMPLE.as_bytes()),
            ("Garden [2203306142].csv", garden.as_bytes()),
            ("__MACOSX/._Garden [2203306142].csv", b"\0\x05\x16\x07"),
            ("readme.txt", b"Todoist backup"),
        ]);
        assert!(is_backup(&backup) && !is_backup(SAMPLE.as_bytes()));
        let (doc, notes) = read_backup(&backup).unwrap();
        let names: Vec<&str> = doc.projects.iter().map(|p| p.fields.name.as_str()).collect();
        assert_eq!(names, ["Home Renovation", "Garden"], "named without Todoist's ids");
        assert_eq!(doc.tasks.len(), 4);
        assert_eq!(doc.tasks[3].project_id, Some(doc.projects[1].id));
        assert!(notes.iter().any(|n| n.reason.starts_with("readme.txt")), "{notes:?}");
        // The same project gives the same ids from a backup as from its own CSV.
        assert_eq!(doc.projects[0].id, read(SAMPLE, "Home Renovation.csv").unwrap().0.projects[0].id);

        assert!(read_backup(&zip(&[("readme.txt", b"none")])).is_err(), "no project: refused");
        assert!(read_backup(b"PK\x03\x04 not really").is_err());
        // A bomb: a small zip of a huge file is refused, not unpacked.
        let huge = vec![b'a'; (BACKUP_MAX_BYTES + 10) as usize];
        let bomb = zip(&[("big.csv", &huge)]);
        assert!(bomb.len() < 1024 * 1024);
        let e = read_backup(&bomb).unwrap_err().to_string();
        assert!(e.contains("64 MB"), "{e}");
    }
}
