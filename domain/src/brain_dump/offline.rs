//! The offline engine: a deterministic brain-dump parser that needs no LLM.
//!
//! Headings and "Project:" lines start projects; bullets, numbered items,
//! checkboxes, TODO lines and imperative sentences become tasks (with dates,
//! priority and recurrence read from their words); everything else is kept
//! as project context or a note, so no line of the person's text is lost.

pub mod dates;

use super::operation::{Fields, Kind, Operation, ProjectRef, Table};
use crate::task::model::TaskStatus;
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;
use uuid::Uuid;

/// A project the person already has, so news about it does not create a duplicate.
#[derive(Debug, Clone)]
pub struct KnownProject {
    pub id: Uuid,
    pub name: String,
}

/// Project names are at most this long; a longer heading also goes into the context.
const MAX_NAME: usize = 200;
const MAX_TITLE: usize = 500;

static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^(?:#{1,6}\s*|project\s*:\s*)(.*)$").unwrap());
static CHECKBOX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:[-*+•]\s*)?\[([ xX])\]\s*(.*)$").unwrap());
static BULLET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:[-*+•]|\d{1,3}[.)])\s+(.*)$").unwrap());
/// A line of list or heading markers and nothing else.
static MARKERS_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[-*+•#]+|\d{1,3}[.)]|(?:[-*+•]\s*)?\[[ xX]\])$").unwrap());
static TODO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^(?:todo|to do|to-do)\b\s*:?\s*(.*)$").unwrap());
/// "I need to …", "remember to …": the rest is a task.
static INTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:i\s+)?(?:really\s+)?(?:need\s+to|have\s+to|must|should|gotta|got\s+to|remember\s+to|don'?t\s+forget\s+to|do\s+not\s+forget\s+to)\s+(.+)$").unwrap()
});

/// Verbs that start a task when a sentence begins with them ("Call the bank.").
const IMPERATIVES: &[&str] = &[
    "apply",
    "arrange",
    "ask",
    "back",
    "book",
    "bring",
    "buy",
    "call",
    "cancel",
    "change",
    "check",
    "choose",
    "clean",
    "collect",
    "complete",
    "confirm",
    "contact",
    "create",
    "decide",
    "deliver",
    "deploy",
    "draft",
    "drop",
    "email",
    "e-mail",
    "file",
    "fill",
    "find",
    "finish",
    "fix",
    "follow",
    "get",
    "install",
    "invite",
    "learn",
    "mail",
    "make",
    "meet",
    "message",
    "move",
    "order",
    "organise",
    "organize",
    "pack",
    "pay",
    "phone",
    "pick",
    "plan",
    "post",
    "practice",
    "practise",
    "prepare",
    "print",
    "publish",
    "read",
    "register",
    "remind",
    "renew",
    "reply",
    "research",
    "reschedule",
    "respond",
    "return",
    "review",
    "ring",
    "schedule",
    "send",
    "set",
    "share",
    "ship",
    "sign",
    "sort",
    "start",
    "study",
    "submit",
    "take",
    "text",
    "tidy",
    "update",
    "visit",
    "wash",
    "water",
    "write",
];

/// A line's text without its list or heading markers (what must not be lost).
pub fn content_of(line: &str) -> &str {
    let line = line.trim();
    if MARKERS_ONLY.is_match(line) {
        return "";
    }
    for re in [&*CHECKBOX, &*HEADING, &*BULLET, &*TODO] {
        if let Some(c) = re.captures(line) {
            return c.get(c.len() - 1).map_or("", |m| m.as_str()).trim();
        }
    }
    line
}

fn is_imperative(sentence: &str) -> bool {
    let first =
        sentence.split_whitespace().next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
    IMPERATIVES.contains(&first.to_lowercase().as_str())
}

/// Split prose into sentences at `.`, `!` or `?` followed by whitespace.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_some_and(|(_, n)| n.is_whitespace()) {
            let end = i + c.len_utf8();
            out.push(text[start..end].trim());
            start = end;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

struct Parser<'a> {
    today: NaiveDate,
    known: &'a [KnownProject],
    ops: Vec<Operation>,
    projects_created: usize,
    /// Where tasks and notes go now.
    current: Option<ProjectRef>,
    /// Index in `ops` of the project created by the current heading, while its context is still open.
    open_context: Option<usize>,
    /// The project that holds text found outside any project, once needed.
    loose: Option<ProjectRef>,
    paragraph: Vec<&'a str>,
}

impl<'a> Parser<'a> {
    fn push(&mut self, table: Table, fields: Fields, project: Option<ProjectRef>, reasoning: String) -> usize {
        let id = format!("op-{}", self.ops.len() + 1);
        self.ops.push(Operation {
            id,
            table,
            kind: Kind::Create,
            reference: None,
            target_id: None,
            target_version: None,
            project,
            fields,
            reasoning,
            enabled: true,
            error: None,
        });
        self.ops.len() - 1
    }

    fn new_project(&mut self, name: &str, context: Option<String>, reasoning: String) -> ProjectRef {
        self.projects_created += 1;
        let reference = format!("new-project-{}", self.projects_created);
        let fields = Fields { name: Some(truncate(name, MAX_NAME)), context, ..Fields::default() };
        let i = self.push(Table::Project, fields, None, reasoning);
        self.ops[i].reference = Some(reference.clone());
        ProjectRef::New(reference)
    }

    fn heading(&mut self, name: &'a str, line: &'a str) {
        self.flush();
        let wanted = name.trim().to_lowercase();
        if let Some(p) = self.known.iter().find(|p| p.name.trim().to_lowercase() == wanted) {
            self.current = Some(ProjectRef::Existing(p.id));
            self.open_context = None;
            return;
        }
        // A name too long to be a name keeps its full line in the context.
        let context = (name.chars().count() > MAX_NAME).then(|| line.trim().to_string());
        let r = self.new_project(name.trim(), context, format!("The heading \"{}\" names a new project.", name.trim()));
        self.open_context = Some(self.ops.len() - 1);
        self.current = Some(r);
    }

    fn task(&mut self, text: &str, done: bool, source: &str, why: &str) {
        let e = dates::extract(text, self.today);
        // Only date words (say "- tomorrow"): the words themselves are the title.
        let bare = e.title.is_empty().then(|| text.trim().to_string());
        self.task_with(e, bare.as_deref(), done, source, why);
    }

    /// A task from what `e` read; `title` replaces the text left after reading it.
    fn task_with(&mut self, e: dates::Extracted, title: Option<&str>, done: bool, source: &str, why: &str) {
        let title = title.unwrap_or(e.title.as_str());
        let title = capitalise(&truncate(title, MAX_TITLE));
        // Whenever the title is not the line's own text, that text is kept in the details.
        let content = content_of(source);
        let details = (title != content).then(|| content.to_string());
        let mut reasons = vec![why.to_string()];
        if let Some(d) = e.due {
            reasons.push(format!("due {d}"));
        }
        if let Some(d) = e.start {
            reasons.push(format!("starts {d}"));
        }
        if let Some(r) = e.recurrence {
            reasons.push(r.label().to_lowercase());
        }
        if let Some(p) = e.priority {
            reasons.push(format!("{} priority", p.label().to_lowercase()));
        }
        let fields = Fields {
            title: Some(title),
            details,
            priority: e.priority,
            status: done.then_some(TaskStatus::Done),
            start_date: e.start,
            due_date: e.due,
            recurrence: e.recurrence,
            ..Fields::default()
        };
        let project = self.current.clone();
        self.push(Table::Task, fields, project, reasons.join("; ") + ".");
        // Once items follow a heading, later prose is a note rather than the project's context.
        self.open_context = None;
    }

    /// Prose: sentences that read as tasks become tasks; the paragraph itself
    /// is kept (as context or a note) unless every line was exactly one task.
    fn flush(&mut self) {
        if self.paragraph.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.paragraph);
        let mut keep_text = false;
        for line in &lines {
            let parts = sentences(line);
            let mut tasks = 0;
            for s in &parts {
                if s.ends_with('?') {
                    continue; // a question is not a task
                }
                let source = if parts.len() == 1 { *line } else { *s };
                let e = dates::extract(s.trim_end_matches(['.', '!']), self.today);
                if let Some(rest) = INTENT.captures(&e.title).and_then(|c| c.get(1)).map(|m| m.as_str().to_string()) {
                    self.task_with(e, Some(&rest), false, source, "A sentence that says something needs doing");
                    tasks += 1;
                } else if is_imperative(&e.title) {
                    self.task_with(e, None, false, source, "A sentence that starts with a verb");
                    tasks += 1;
                }
            }
            if !(parts.len() == 1 && tasks == 1) {
                keep_text = true;
            }
        }
        if !keep_text {
            return;
        }
        let body = lines.join("\n");
        if let Some(i) = self.open_context {
            let context = self.ops[i].fields.context.get_or_insert_with(String::new);
            if !context.is_empty() {
                context.push_str("\n\n");
            }
            context.push_str(&body);
            return;
        }
        let project = match (&self.current, &self.loose) {
            (Some(p), _) | (None, Some(p)) => p.clone(),
            (None, None) => {
                let r = self.new_project(
                    "Brain dump notes",
                    None,
                    "Text outside any project is kept here, so nothing you wrote is lost.".into(),
                );
                self.loose = Some(r.clone());
                r
            }
        };
        self.push(
            Table::Note,
            Fields { body: Some(body), ..Fields::default() },
            Some(project),
            "Text that is not a task, kept as a note.".into(),
        );
    }

    fn line(&mut self, line: &'a str) {
        let trimmed = line.trim();
        if content_of(trimmed).is_empty() {
            self.flush();
            return;
        }
        if let Some(c) = CHECKBOX.captures(trimmed) {
            self.flush();
            let text = c.get(2).map_or("", |m| m.as_str()).trim();
            if !text.is_empty() {
                let done = c.get(1).is_some_and(|m| m.as_str() != " ");
                self.task(text, done, trimmed, if done { "A checked item (already done)" } else { "A checkbox item" });
            }
        } else if let Some(c) = HEADING.captures(trimmed) {
            let name = c.get(1).map_or("", |m| m.as_str()).trim();
            if name.is_empty() {
                self.flush();
            } else {
                self.heading(name, line);
            }
        } else if let Some(c) = BULLET.captures(trimmed) {
            self.flush();
            let text = c.get(1).map_or("", |m| m.as_str()).trim();
            if !text.is_empty() {
                self.task(text, false, trimmed, "A list item");
            }
        } else if let Some(c) = TODO.captures(trimmed) {
            self.flush();
            let text = c.get(1).map_or("", |m| m.as_str()).trim();
            if !text.is_empty() {
                self.task(text, false, trimmed, "A TODO line");
            }
        } else {
            self.paragraph.push(trimmed);
        }
    }
}

/// Parse a brain dump written on the person's local `today`.
pub fn parse(text: &str, today: NaiveDate, known: &[KnownProject]) -> Vec<Operation> {
    let mut p = Parser {
        today,
        known,
        ops: Vec::new(),
        projects_created: 0,
        current: None,
        open_context: None,
        loose: None,
        paragraph: Vec::new(),
    };
    for line in text.lines() {
        p.line(line);
    }
    p.flush();
    p.ops
}

#[cfg(test)]
mod tests;
