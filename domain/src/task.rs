//! Tasks: the shared types, the typed input every write goes through, and
//! (server side) the service.

pub mod model;
pub mod recurrence;
#[cfg(feature = "server")]
pub mod service;

use crate::error::{Checks, Error};
use crate::limits;
use crate::text::Text;
use chrono::NaiveDate;
use model::{Priority, TaskStatus};
use recurrence::Recurrence;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub type Title = Text<1, { limits::TASK_TITLE }>;
pub type Description = Text<0, { limits::TASK_DESCRIPTION }>;
pub type Details = Text<0, { limits::TASK_DETAILS }>;

// The enum comes from `text_enum!`, which cannot mark a `#[default]` variant.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Priority::Medium
    }
}

// The enum comes from `text_enum!`, which cannot mark a `#[default]` variant.
#[allow(clippy::derivable_impls)]
impl Default for TaskStatus {
    fn default() -> Self {
        TaskStatus::Backlog
    }
}

/// A duration in whole minutes, from 1 to a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Minutes(i32);

impl Minutes {
    pub fn new(n: i32) -> Option<Self> {
        (1..=limits::DURATION_MAX).contains(&n).then_some(Self(n))
    }

    /// From form text ("" is no duration).
    pub fn parse(value: &str, label: &str) -> Result<Option<Self>, String> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        value
            .parse()
            .ok()
            .and_then(Self::new)
            .map(Some)
            .ok_or_else(|| format!("{label} must be a whole number of minutes from 1 to {}.", limits::DURATION_MAX))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// Any JSON number that is a whole number in range: `420` and `420.0` alike
/// (both are integers to JSON Schema).
impl<'de> Deserialize<'de> for Minutes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Whole;
        fn range<E: serde::de::Error>() -> E {
            E::custom(format!("must be a whole number of minutes from 1 to {}", limits::DURATION_MAX))
        }
        impl serde::de::Visitor<'_> for Whole {
            type Value = Minutes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number of minutes")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Minutes, E> {
                i32::try_from(n).ok().and_then(Minutes::new).ok_or_else(range)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Minutes, E> {
                self.visit_i64(i64::try_from(n).map_err(|_| range())?)
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Minutes, E> {
                if n.fract() != 0.0 || n.abs() > 1e9 {
                    return Err(range());
                }
                self.visit_i64(n as i64)
            }
        }
        d.deserialize_any(Whole)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Minutes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(1))
            .maximum(Some(limits::DURATION_MAX))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Minutes {}

/// Everything a task is made of, each value already valid. Pages, the API,
/// brain-dump confirm and undo all write tasks through this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskInput {
    /// The project it belongs to (none: the inbox). Only used when creating.
    #[serde(default, skip_serializing)]
    pub project_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub title: Title,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub description: Description,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub details: Details,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub status: TaskStatus,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub duration_minutes: Option<Minutes>,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// Needs a start date.
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// Needs a repeat pattern.
    #[serde(default)]
    pub recurrence_end: Option<NaiveDate>,
    #[serde(default)]
    pub parent_task_id: Option<Uuid>,
}

impl TaskInput {
    /// A task with only a title (every other field at its default).
    pub fn titled(title: Title) -> Self {
        TaskInput {
            project_id: None,
            title,
            description: Description::empty(),
            details: Details::empty(),
            priority: Priority::Medium,
            status: TaskStatus::Backlog,
            duration_minutes: None,
            start_date: None,
            due_date: None,
            recurrence: None,
            recurrence_end: None,
            parent_task_id: None,
        }
    }

    /// The rules between fields, each error naming its field.
    pub fn check(&self) -> Result<(), Error> {
        let mut c = Checks::default();
        check_repeat(&mut c, self.start_date, self.recurrence, self.recurrence_end);
        c.finish()
    }
}

/// A repeating task needs a start date; "repeat until" needs a pattern and
/// comes after the start. (Forms check this beside their other fields.)
pub fn check_repeat(
    c: &mut Checks,
    start_date: Option<NaiveDate>,
    recurrence: Option<Recurrence>,
    recurrence_end: Option<NaiveDate>,
) {
    if recurrence.is_some() && start_date.is_none() {
        c.fail("start_date", "A repeating task needs a start date.");
    }
    if recurrence.is_none() && recurrence_end.is_some() {
        c.fail("recurrence_end", "Repeat until needs a repeat pattern.");
    }
    if let (Some(s), Some(e)) = (start_date, recurrence_end)
        && e < s
    {
        c.fail("recurrence_end", "Repeat until must not be before the start date.");
    }
}

#[cfg(test)]
mod tests {
    use super::Minutes;

    #[test]
    fn minutes_are_any_whole_json_number_in_range() {
        let read = |json: &str| serde_json::from_str::<Minutes>(json).map(Minutes::get);
        assert_eq!(read("420").unwrap(), 420);
        assert_eq!(read("420.0").unwrap(), 420, "an integer to JSON Schema");
        for bad in ["420.5", "0", "-3", "10081", "1e300", "\"60\""] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
