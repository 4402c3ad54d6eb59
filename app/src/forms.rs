//! Form adapters: the text a browser submits, turned into the domain's typed
//! inputs, with every problem named by its field and the typed text kept.

use crate::error::{AppError, Checks};
use chrono::NaiveDate;
use domain::project::{self, ProjectInput, Tags};
use domain::task::model::{Priority, TaskStatus};
use domain::task::recurrence::Recurrence;
use domain::task::{self, Minutes, TaskInput};
use serde::{Deserialize, Serialize};

/// An ISO date (`YYYY-MM-DD`, what `<input type=date>` sends) or nothing.
pub fn date(value: &str, label: &str) -> Result<Option<NaiveDate>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{label} must be a date like 2026-12-31."))
}

/// A local date and time (`YYYY-MM-DDTHH:MM`, what `<input
/// type=datetime-local>` sends) in `timezone`, as an instant; or nothing. A
/// time a clock change skips is read an hour later.
#[cfg(feature = "ssr")]
pub fn local_time(value: &str, timezone: &str, label: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let bad = || format!("{label} must be a date and time like 2026-12-31T09:30.");
    let naive = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad())?;
    domain::calendar::instant_in(naive, timezone).map(Some).ok_or_else(bad)
}

/// An id from a URL or form; anything unparsable is simply not found.
pub fn id(value: &str) -> Result<uuid::Uuid, AppError> {
    value.trim().parse().map_err(|_| AppError(domain::Error::NotFound))
}

/// A form's problems, with what was typed in it (to show again beside them).
fn typed(e: domain::Error, form: &impl Serialize) -> AppError {
    let typed = serde_json::to_value(form).unwrap_or_default();
    let fields = typed.as_object().into_iter().flatten();
    AppError(e).with_input(fields.filter_map(|(name, value)| Some((name.as_str(), value.as_str()?))))
}

/// One of a text enum's values, or `default` when blank.
fn choice<T: Copy>(value: &str, default: T, parse: fn(&str) -> Option<T>, message: &str) -> Result<T, String> {
    match value.trim() {
        "" => Ok(default),
        v => parse(v).ok_or_else(|| message.to_string()),
    }
}

/// The editable fields of a project, as typed into a form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectForm {
    pub name: String,
    pub description: String,
    pub context: String,
    pub status: String,
    pub tags: String,
    pub start_date: String,
    pub end_date: String,
}

impl ProjectForm {
    pub fn parse(&self) -> Result<ProjectInput, AppError> {
        let mut c = Checks::default();
        let name = c.take("name", project::Name::parse(&self.name, "Name"));
        let description = c.take("description", project::Description::parse(&self.description, "Description"));
        let context = c.take("context", project::Context::parse(&self.context, "Context"));
        let status = c.take(
            "status",
            choice(
                &self.status,
                Default::default(),
                domain::project::model::ProjectStatus::parse,
                "Status is not one of the choices.",
            ),
        );
        let tags = c.take("tags", Tags::parse(&self.tags));
        let start_date = c.take("start_date", date(&self.start_date, "Start date")).flatten();
        let end_date = c.take("end_date", date(&self.end_date, "End date")).flatten();
        project::check_dates(&mut c, start_date, end_date);
        let input = match (name, description, context, status, tags) {
            (Some(name), Some(description), Some(context), Some(status), Some(tags)) => {
                Some(ProjectInput { name, description, context, status, tags, start_date, end_date })
            }
            _ => None,
        };
        c.finish().map_err(|e| typed(e, self))?;
        Ok(input.expect("every field parsed"))
    }
}

/// The editable fields of a task, as typed into a form (all text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub details: String,
    pub priority: String,
    pub status: String,
    pub duration_minutes: String,
    pub start_date: String,
    pub due_date: String,
    pub recurrence: String,
    pub recurrence_end: String,
    pub parent_task_id: String,
}

impl TaskForm {
    pub fn parse(&self) -> Result<TaskInput, AppError> {
        let mut c = Checks::default();
        let title = c.take("title", task::Title::parse(&self.title, "Title"));
        let description = c.take("description", task::Description::parse(&self.description, "Description"));
        let details = c.take("details", task::Details::parse(&self.details, "Details"));
        let priority = c.take(
            "priority",
            choice(&self.priority, Priority::Medium, Priority::parse, "Priority must be low, medium or high."),
        );
        let status = c.take(
            "status",
            choice(&self.status, TaskStatus::Backlog, TaskStatus::parse, "Status is not one of the choices."),
        );
        let duration_minutes = c.take("duration_minutes", Minutes::parse(&self.duration_minutes, "Duration")).flatten();
        let start_date = c.take("start_date", date(&self.start_date, "Start date")).flatten();
        let due_date = c.take("due_date", date(&self.due_date, "Due date")).flatten();
        let recurrence = match self.recurrence.trim() {
            "" | "none" => None,
            r => c.take(
                "recurrence",
                Recurrence::parse(r).ok_or_else(|| "Repeat is not one of the choices.".to_string()),
            ),
        };
        let recurrence_end = c.take("recurrence_end", date(&self.recurrence_end, "Repeat until")).flatten();
        let parent_task_id = match self.parent_task_id.trim() {
            "" => None,
            p => c.take("parent_task_id", p.parse().map_err(|_| "Parent task was not found.".to_string())),
        };
        // A start date that did not parse is named already; the rules between fields wait for it.
        if self.start_date.trim().is_empty() || start_date.is_some() {
            task::check_repeat(&mut c, start_date, recurrence, recurrence_end);
        }
        let input = match (title, description, details, priority, status) {
            (Some(title), Some(description), Some(details), Some(priority), Some(status)) => Some(TaskInput {
                project_id: None,
                title,
                description,
                details,
                priority,
                status,
                duration_minutes,
                start_date,
                due_date,
                recurrence,
                recurrence_end,
                parent_task_id,
            }),
            _ => None,
        };
        c.finish().map_err(|e| typed(e, self))?;
        Ok(input.expect("every field parsed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(date("", "Due date"), Ok(None));
        assert_eq!(date("2028-02-29", "Due date"), Ok(NaiveDate::from_ymd_opt(2028, 2, 29)));
        assert!(date("2027-02-29", "Due date").unwrap_err().starts_with("Due date"));
    }

    #[test]
    fn a_task_form_names_every_bad_field_and_keeps_the_text() {
        let form = TaskForm {
            title: " ".into(),
            duration_minutes: "0".into(),
            recurrence: "weekly".into(),
            ..TaskForm::default()
        };
        let e = form.parse().unwrap_err();
        assert_eq!(e.field_message("title").unwrap(), "Title is required.");
        assert!(e.field_message("duration_minutes").unwrap().contains("from 1 to 10080"));
        assert_eq!(e.input("recurrence").as_deref(), Some("weekly"));
    }

    #[test]
    fn a_repeating_task_needs_a_start_date() {
        let form = TaskForm { title: "Water plants".into(), recurrence: "weekly".into(), ..TaskForm::default() };
        assert_eq!(
            form.parse().unwrap_err().field_message("start_date").unwrap(),
            "A repeating task needs a start date."
        );
    }

    #[test]
    fn a_project_form_checks_its_dates() {
        let form = ProjectForm {
            name: "Garden".into(),
            start_date: "2026-05-01".into(),
            end_date: "2026-04-01".into(),
            ..ProjectForm::default()
        };
        assert!(form.parse().unwrap_err().field_message("end_date").is_some());
        assert_eq!(
            ProjectForm { name: " Garden ".into(), ..ProjectForm::default() }.parse().unwrap().name.as_str(),
            "Garden"
        );
    }
}
