//! The offline engine: a deterministic brain-dump parser that needs no LLM.
//!
//! Headings, "Project:" lines, labels ("Home: …", "Work - …") and a short
//! title line above a list or a paragraph start projects. Bullets (any common
//! mark), numbered items, checkboxes and TODO lines become tasks; so do the
//! clauses of prose that say something needs doing ("I have to …", "then …",
//! "remember to …") or start with a verb, and the lines of a terse list. Dates,
//! times, priority and recurrence are read out of each task's words. What is
//! not a task is kept as project context or a note (without the sentences that
//! became tasks: those are kept in the tasks' details), so no word is lost.

pub mod dates;

use super::operation::{Fields, Kind, Operation, ProjectRef, Table};
use crate::task::model::TaskStatus;
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;
use uuid::Uuid;

/// `re`'s captures in `text`. Most text does not match: the fast matcher says
/// so first, and the slower capturing search runs only on a match.
fn captures<'t>(re: &Regex, text: &'t str) -> Option<regex::Captures<'t>> {
    if re.is_match(text) { re.captures(text) } else { None }
}

/// A project the person already has, so news about it does not create a duplicate.
#[derive(Debug, Clone)]
pub struct KnownProject {
    pub id: Uuid,
    pub name: String,
}

/// Project names are at most this long; a longer heading also goes into the context.
const MAX_NAME: usize = 200;
const MAX_TITLE: usize = 500;

// List and heading marks: each pattern matches the mark only, and the line's
// content is what follows the match (read with `find`, the fast matcher).
static HEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^(?:#{1,6}\s*|project\s*:\s*)").unwrap());
static CHECKBOX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:[-*+•–—‣◦·]\s*)?\[[ xX]\]\s*").unwrap());
static BULLET: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:[-*+•–—‣◦·]|\d{1,3}[.)])\s+").unwrap());
static TODO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^(?:todo|to do|to-do)\b\s*:?\s*").unwrap());
/// A line of list or heading markers and nothing else.
static MARKERS_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[-*+•–—‣◦·#]+|\d{1,3}[.)]|(?:[-*+•–—‣◦·]\s*)?\[[ xX]\])$").unwrap());
/// "Home: call the plumber, …", "Work - review the deck": a short label, then items.
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?P<label>\p{L}[^:–—]{0,40}?)\s*(?::|\s[-–—]\s)\s*(?P<rest>\S.*)$").unwrap());
/// Where a sentence may divide into separate things to do.
static CLAUSE_BREAK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\s*;\s*|,\s*|\s+(?:and|then)\s+").unwrap());
/// "I need to …", "remember to …", "I'll …": the rest is a task (wherever the phrase is).
static INTENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:(?:i|we)\s+)?(?:(?:really|also|still|just|definitely|probably|then)\s+)*(?:needs?\s+to|ha(?:ve|s)\s+to|must|should|gotta|got\s+to|want\s+to|wanna|remember\s+to|don['’]?t\s+forget\s+to|do\s+not\s+forget\s+to|i['’]ll|i\s+will|we['’]ll|we\s+will|i['’]m\s+going\s+to|going\s+to|plan\s+to)\s+(?P<rest>.+)$").unwrap()
});

/// Words that open a clause without changing what it asks ("then write …", "also call …").
const FILLERS: &[&str] = &[
    "also", "and", "anyway", "anyways", "but", "finally", "first", "just", "lastly", "maybe", "next", "oh", "ok",
    "okay", "or", "please", "pls", "plus", "so", "then",
];

/// Labels that are not projects ("Note: …", "Urgent: …").
const NOT_PROJECTS: &[&str] = &[
    "fyi",
    "idea",
    "ideas",
    "important",
    "note",
    "notes",
    "note to self",
    "ps",
    "p.s",
    "q",
    "question",
    "re",
    "reminder",
    "todo",
    "update",
    "urgent",
    "asap",
    "why",
    "because",
    "http",
    "https",
];

/// Verbs that start a task when a clause begins with them ("Call the bank.", "Réserver le camion").
const IMPERATIVES: &[&str] = &[
    "add",
    "apply",
    "arrange",
    "ask",
    "back",
    "bake",
    "book",
    "borrow",
    "bring",
    "buy",
    "call",
    "cancel",
    "change",
    "check",
    "choose",
    "clean",
    "clear",
    "collect",
    "complete",
    "confirm",
    "contact",
    "cook",
    "create",
    "decide",
    "deliver",
    "deploy",
    "dig",
    "do",
    "download",
    "draft",
    "drop",
    "email",
    "e-mail",
    "exchange",
    "export",
    "feed",
    "file",
    "fill",
    "find",
    "finish",
    "fix",
    "follow",
    "get",
    "give",
    "hire",
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
    "paint",
    "pay",
    "phone",
    "pick",
    "plan",
    "post",
    "practice",
    "practise",
    "prepare",
    "price",
    "print",
    "prune",
    "publish",
    "put",
    "read",
    "register",
    "remind",
    "renew",
    "repaint",
    "replace",
    "reply",
    "research",
    "reschedule",
    "respond",
    "return",
    "review",
    "ring",
    "schedule",
    "sell",
    "send",
    "set",
    "share",
    "ship",
    "sign",
    "sort",
    "start",
    "study",
    "submit",
    "suggest",
    "take",
    "tell",
    "text",
    "tidy",
    "try",
    "update",
    "visit",
    "wash",
    "water",
    "wipe",
    "write",
    "appeler",
    "acheter",
    "annuler",
    "chercher",
    "commander",
    "contacter",
    "écrire",
    "envoyer",
    "faire",
    "finir",
    "nettoyer",
    "payer",
    "préparer",
    "prendre",
    "ranger",
    "rappeler",
    "répondre",
    "réparer",
    "réserver",
    "trouver",
    "vérifier",
    "buscar",
    "comprar",
    "devolver",
    "enviar",
    "escribir",
    "hacer",
    "limpiar",
    "llamar",
    "llevar",
    "pagar",
    "preparar",
    "recoger",
    "reservar",
    "revisar",
    "terminar",
];

/// A line's text without its list or heading markers (what must not be lost).
pub fn content_of(line: &str) -> &str {
    let line = line.trim();
    if MARKERS_ONLY.is_match(line) {
        return "";
    }
    mark(line).map_or(line, |(_, rest)| rest)
}

/// How a line is marked, if it is.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Checkbox { done: bool },
    Heading,
    Bullet,
    Todo,
}

/// The line's mark and the text after it (trimmed).
fn mark(line: &str) -> Option<(Mark, &str)> {
    let marks = [
        (&*CHECKBOX, Mark::Checkbox { done: false }),
        (&*HEADING, Mark::Heading),
        (&*BULLET, Mark::Bullet),
        (&*TODO, Mark::Todo),
    ];
    marks.into_iter().find_map(|(re, kind)| {
        let m = re.find(line)?;
        let kind = match kind {
            Mark::Checkbox { .. } => Mark::Checkbox { done: m.as_str().contains(['x', 'X']) },
            other => other,
        };
        Some((kind, line[m.end()..].trim()))
    })
}

/// `text` without the words that open a clause without meaning ("Then also …").
fn without_fillers(text: &str) -> &str {
    let mut t = text.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—'));
    loop {
        let first = t.split_whitespace().next().unwrap_or("");
        let word = first.trim_end_matches(',').to_lowercase();
        if word.is_empty() || !FILLERS.contains(&word.as_str()) || first.len() == t.len() {
            return t;
        }
        t = t[first.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
}

fn is_imperative(clause: &str) -> bool {
    let first = without_fillers(clause)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
    IMPERATIVES.contains(&first.to_lowercase().as_str())
}

/// What a clause asks to be done, if anything: the words after "I need to …",
/// or the clause itself when it starts with a verb.
fn asks(clause: &str) -> Option<String> {
    if let Some(rest) = captures(&INTENT, clause).and_then(|c| c.name("rest")) {
        let rest = without_fillers(rest.as_str());
        let first = rest.split_whitespace().next().unwrap_or("").to_lowercase();
        // "It should be fine" asks nothing.
        return (!matches!(first.as_str(), "" | "be" | "not" | "have" | "i" | "we" | "you")).then(|| rest.to_string());
    }
    is_imperative(clause).then(|| without_fillers(clause).to_string())
}

/// A sentence in the pieces that each ask one thing ("…, then write show
/// notes", "… and tell sales", "…; feed the cat"); a piece that asks nothing
/// stays with the one before it.
fn clauses(sentence: &str) -> Vec<&str> {
    let mut cuts = vec![0];
    for m in CLAUSE_BREAK.find_iter(sentence) {
        // Only how the next piece starts matters: look at its first words, so
        // a long sentence with many commas stays linear.
        let right = &sentence[m.end()..];
        let mut head = right.len().min(80);
        while !right.is_char_boundary(head) {
            head -= 1;
        }
        if m.as_str().contains(';') || asks(&right[..head]).is_some() {
            cuts.push(m.start());
        }
    }
    cuts.push(sentence.len());
    cuts.windows(2)
        .map(|w| sentence[w[0]..w[1]].trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';')))
        .filter(|c| !c.is_empty())
        .collect()
}

/// Split prose into sentences at `.`, `!` or `?` followed by whitespace (not
/// after "Dr." and other abbreviations or an initial).
fn sentences(text: &str) -> Vec<&str> {
    const ABBREVIATIONS: &[&str] = &["dr", "mr", "mrs", "ms", "st", "prof", "e.g", "i.e", "etc", "vs", "approx", "no"];
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?') && chars.peek().is_some_and(|(_, n)| n.is_whitespace()) {
            let word = text[start..i].rsplit(char::is_whitespace).next().unwrap_or("").to_lowercase();
            if c == '.' && (ABBREVIATIONS.contains(&word.as_str()) || word.chars().count() == 1) {
                continue;
            }
            let end = i + c.len_utf8();
            out.push(text[start..end].trim());
            start = end;
        }
    }
    out.push(text[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// A line of a terse list with no marks ("car MOT", "dentist 3pm tmrw").
fn is_fragment(line: &str) -> bool {
    line.split_whitespace().count() <= 5
        && !line.ends_with(['.', '?', ':', ',', ';'])
        && line.chars().any(char::is_alphanumeric)
}

/// A short first line that names what follows ("Kitchen renovation").
fn is_title(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (1..=8).contains(&words)
        && !line.ends_with(['.', '!', '?', ',', ';', ':'])
        && content_of(line) == line
        && captures(&LABEL, line).is_none()
        && !INTENT.is_match(line)
}

/// Prose that can follow a title line: a sentence, or a long line.
fn is_prose(line: &str) -> bool {
    line.split_whitespace().count() >= 6 || line.ends_with(['.', '!', '?'])
}

fn is_list_item(line: &str) -> bool {
    CHECKBOX.is_match(line) || BULLET.is_match(line)
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
        let title = Some(title.unwrap_or(e.title.as_str()).trim())
            .filter(|t| t.chars().any(char::is_alphanumeric))
            .unwrap_or_else(|| content_of(source));
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
        if let Some(m) = e.minutes {
            reasons.push(format!("takes {} min", m.get()));
        }
        let fields = Fields {
            title: Some(title),
            details,
            priority: e.priority,
            status: done.then_some(TaskStatus::Done),
            start_date: e.start,
            due_date: e.due,
            recurrence: e.recurrence,
            duration_minutes: e.minutes,
            ..Fields::default()
        };
        let project = self.current.clone();
        self.push(Table::Task, fields, project, reasons.join("; ") + ".");
        // Once items follow a heading, later prose is a note rather than the project's context.
        self.open_context = None;
    }

    /// Prose: the clauses that ask for something become tasks; the rest of
    /// the paragraph is kept (as context or a note), without the sentences
    /// that became tasks (their tasks keep them in their details). A terse
    /// list with no marks ("car MOT", "taxes") is a task a line.
    fn flush(&mut self) {
        if self.paragraph.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.paragraph);
        if lines.len() >= 2 && lines.iter().all(|l| is_fragment(l)) {
            for line in &lines {
                self.task(line.trim_end_matches(['!', '.']), false, line, "A line of a short list");
            }
            return;
        }
        let mut kept: Vec<String> = Vec::new();
        for line in &lines {
            let parts = sentences(line);
            let mut rest: Vec<&str> = Vec::new();
            for s in &parts {
                // A sentence that looks like a list item ("… ! - [x] …") keeps its whole line.
                let source = if parts.len() == 1 || content_of(s) != *s { *line } else { *s };
                if s.ends_with('?') || self.prose_tasks(s, source) == 0 {
                    rest.push(s);
                }
            }
            if !rest.is_empty() {
                kept.push(rest.join(" "));
            }
        }
        if kept.is_empty() {
            return;
        }
        let body = kept.join("\n");
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

    /// The tasks one sentence asks for (one a clause); how many.
    fn prose_tasks(&mut self, sentence: &str, source: &str) -> usize {
        let mut n = 0;
        for clause in clauses(sentence.trim_end_matches(['.', '!'])) {
            let e = dates::extract(clause, self.today);
            if let Some(title) = asks(&e.title) {
                self.task_with(e, Some(&title), false, source, "A sentence that says something needs doing");
                n += 1;
            } else if e.due.is_some() && !e.title.is_empty() {
                self.task_with(e, None, false, source, "Something with a deadline");
                n += 1;
            }
        }
        n
    }

    /// "Home: call the plumber, renew passport": the label names a project
    /// (or, "Tomorrow: …", a date) and the items are its tasks. A label
    /// followed by prose rather than items starts the project with that prose.
    fn labelled(&mut self, label: &'a str, rest: &'a str, line: &'a str) {
        self.flush();
        let when = dates::extract(label, self.today);
        let date_label = when.title.is_empty() && (when.start.is_some() || when.due.is_some());
        let items: Vec<&str> = rest
            .trim_end_matches(['.', '!'])
            .split([',', ';'])
            .map(str::trim)
            .filter(|i| i.chars().any(char::is_alphanumeric))
            .collect();
        let list = !items.is_empty() && items.iter().all(|i| asks(i).is_some() || i.split_whitespace().count() <= 4);
        if !list && date_label {
            self.paragraph.push(line.trim());
            return;
        }
        if !date_label {
            self.heading(label, line);
        }
        if !list {
            self.paragraph.push(rest);
            return;
        }
        for item in items {
            let mut e = dates::extract(item, self.today);
            if date_label {
                e.start = e.start.or(when.start);
                e.due = e.due.or(when.due);
            }
            let title =
                asks(&e.title).unwrap_or_else(|| if e.title.is_empty() { item.to_string() } else { e.title.clone() });
            let source = if date_label || content_of(item) != item { line } else { item };
            self.task_with(e, Some(&title), false, source, "An item after a label");
        }
    }

    fn line(&mut self, line: &'a str) {
        let trimmed = line.trim();
        if content_of(trimmed).is_empty() {
            self.flush();
            return;
        }
        match mark(trimmed) {
            Some((Mark::Checkbox { done }, text)) => {
                self.flush();
                if !text.is_empty() {
                    let why = if done { "A checked item (already done)" } else { "A checkbox item" };
                    self.task(text, done, trimmed, why);
                }
            }
            Some((Mark::Heading, "")) => self.flush(),
            Some((Mark::Heading, name)) => self.heading(name, line),
            Some((kind @ (Mark::Bullet | Mark::Todo), text)) => {
                self.flush();
                if !text.is_empty() {
                    self.task(text, false, trimmed, if kind == Mark::Bullet { "A list item" } else { "A TODO line" });
                }
            }
            None => match label_of(trimmed) {
                Some((label, rest)) => self.labelled(label, rest, line),
                None => self.paragraph.push(trimmed),
            },
        }
    }
}
/// "Home: call the plumber, …": the label and what follows, when the line is one.
fn label_of(line: &str) -> Option<(&str, &str)> {
    let c = captures(&LABEL, line)?;
    let (label, rest) = (c.name("label")?.as_str().trim(), c.name("rest")?.as_str().trim());
    let short = label.split_whitespace().count() <= 3;
    (short
        && !NOT_PROJECTS.contains(&label.to_lowercase().as_str())
        && !rest.starts_with("//")
        && !INTENT.is_match(label))
    .then_some((label, rest))
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
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let starts_block = i == 0 || lines[i - 1].trim().is_empty();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        // A short title line over a list or a paragraph names their project.
        if starts_block
            && is_title(trimmed)
            && (is_list_item(next) || is_prose(next))
            && dates::extract(trimmed, today).title == trimmed
        {
            p.heading(trimmed, line);
        } else {
            p.line(line);
        }
    }
    p.flush();
    p.ops
}

#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;
