//! Scheduling: a person's working hours and limits (`Preferences`), the
//! planner that places tasks into free time (`planner`, a pure function),
//! and the service that loads what the planner needs, applies an accepted
//! plan in one transaction and undoes it as one batch (`service`).

#[cfg(feature = "server")]
pub mod planner;
#[cfg(feature = "server")]
pub mod service;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One weekday's working hours (local time); `None` in [`Preferences::hours`] is a day off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// How tasks are planned for a person (their timezone is the account's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    /// Monday to Sunday.
    pub hours: [Option<WorkHours>; 7],
    /// Free minutes kept between a task's block and anything next to it.
    pub buffer_minutes: i32,
    /// The length of a task that has none.
    pub default_minutes: i32,
    /// At most this many minutes of tasks on one day.
    pub max_day_minutes: i32,
    /// Days nothing is planned on (holidays), beside the days without hours.
    pub days_off: Vec<NaiveDate>,
    /// A task too long for one free stretch may be split into blocks
    /// (its parts) of at least this many minutes; 0: never split.
    pub split_minutes: i32,
}

impl Default for Preferences {
    fn default() -> Self {
        let day = Some(WorkHours {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
        });
        Self {
            hours: [day, day, day, day, day, None, None],
            buffer_minutes: 10,
            default_minutes: 60,
            max_day_minutes: 360,
            days_off: Vec::new(),
            split_minutes: 60,
        }
    }
}

impl Preferences {
    pub const BUFFER_MAX: i32 = 120;
    pub const DEFAULT_MINUTES: std::ops::RangeInclusive<i32> = 5..=480;
    pub const DAY_MINUTES: std::ops::RangeInclusive<i32> = 30..=1440;
    pub const DAYS_OFF_MAX: usize = 100;
    pub const SPLIT_MINUTES: std::ops::RangeInclusive<i32> = 15..=480;

    /// The first thing wrong, as (field, message).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Some(i) = self.hours.iter().position(|h| h.is_some_and(|h| h.end <= h.start)) {
            const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
            return Some(("hours", format!("{}'s hours must end after they start.", DAYS[i])));
        }
        if !(0..=Self::BUFFER_MAX).contains(&self.buffer_minutes) {
            return Some(("buffer_minutes", format!("The buffer must be 0 to {} minutes.", Self::BUFFER_MAX)));
        }
        if !Self::DEFAULT_MINUTES.contains(&self.default_minutes) {
            let r = Self::DEFAULT_MINUTES;
            return Some(("default_minutes", format!("A task's length must be {} to {} minutes.", r.start(), r.end())));
        }
        if !Self::DAY_MINUTES.contains(&self.max_day_minutes) {
            let r = Self::DAY_MINUTES;
            return Some((
                "max_day_minutes",
                format!("The daily maximum must be {} to {} minutes.", r.start(), r.end()),
            ));
        }
        if self.split_minutes != 0 && !Self::SPLIT_MINUTES.contains(&self.split_minutes) {
            let r = Self::SPLIT_MINUTES;
            return Some((
                "split_minutes",
                format!("The shortest block must be {} to {} minutes (0: never split).", r.start(), r.end()),
            ));
        }
        if self.days_off.len() > Self::DAYS_OFF_MAX {
            return Some(("days_off", format!("At most {} days off.", Self::DAYS_OFF_MAX)));
        }
        None
    }
}

/// A block the planner proposes: new (`moved_from` None) or moved from where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Placement {
    pub task_id: Uuid,
    pub title: String,
    pub due: Option<NaiveDate>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// "Mon 7 Dec, 09:00–10:30", in the person's timezone.
    pub when: String,
    /// Where it was, when it is moved ("Tue 8 Dec, 14:00").
    pub was: Option<String>,
    /// One line: why here ("due Friday, high priority: first free 90 minutes").
    pub reason: String,
    /// Where its block was before, when it is moved.
    pub moved_from: Option<DateTime<Utc>>,
    /// After its due date: there was no free time before it.
    pub late: bool,
    /// One of the blocks a task too long for one free stretch is split into.
    #[serde(default)]
    pub part: Option<Part>,
}

/// Block `n` of the `of` blocks a task is split into: applied, each becomes
/// a subtask ("Write the report (part 1 of 3)") with its own time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 20))]
    pub n: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 20))]
    pub of: u32,
}

impl Part {
    /// The most blocks one task is split into.
    pub const MAX: u32 = 20;
}

/// A task the planner could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unplaced {
    pub task_id: Uuid,
    pub title: String,
    pub due: Option<NaiveDate>,
    pub reason: String,
}

/// A proposed plan for the days `from` to `to`: nothing is written until it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub placements: Vec<Placement>,
    pub unplaced: Vec<Unplaced>,
    /// Minutes of tasks to place, and free working minutes in the window before placing them.
    pub work_minutes: i64,
    pub free_minutes: i64,
}

/// One block of an accepted proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    pub task_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// As proposed: the block is one part of the task, created as its subtask.
    #[serde(default)]
    pub part: Option<Part>,
}

/// An applied plan: its id (to undo it) and how many blocks it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedPlan {
    pub id: Uuid,
    pub blocks: usize,
}

/// What undoing a plan did: blocks put back, and blocks left alone because
/// they changed after the plan (moved by hand or in Google, done, deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UndonePlan {
    pub restored: usize,
    pub kept: usize,
}

/// "90 minutes", "2 h", "3 h 30".
pub fn duration_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        _ if minutes <= 120 => format!("{minutes} minutes"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}
