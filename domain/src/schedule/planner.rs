//! The planner: busy time, tasks and preferences in; blocks out, each with
//! a one-line reason, and the tasks that do not fit with why. A pure
//! function: no clock, no database; the same input (in any order) gives the
//! same output.
//!
//! Working hours are read in the person's timezone day by day, so a block
//! starts at 09:00 local on either side of a clock change. Tasks are taken
//! earliest due date first (overdue ones first of all), then high priority
//! first, and each goes into the first free stretch long enough for it,
//! between its start date and the end of the window, keeping the buffer
//! from busy time and other blocks and the daily maximum. Pinned blocks are
//! busy time and never move; an unpinned block that still fits where it is
//! stays there (it is not proposed again); one that no longer fits (its time
//! passed, became busy, or left the working hours) is moved.
//!
//! A task with no free stretch long enough for it before its due date (or in
//! the window) is split, when the person allows it and it is not a subtask,
//! into blocks (parts) of at least the shortest length allowed, in the first
//! free stretches from its start date: finished in time in parts is
//! preferred to one block after the due date.

use super::{Part, Placement, Preferences, Proposal, Unplaced, duration_text};
use crate::task::model::Priority;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// A task as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: Uuid,
    pub title: String,
    /// Its length; None takes the default.
    pub minutes: Option<i32>,
    pub priority: Priority,
    pub due: Option<NaiveDate>,
    pub start: Option<NaiveDate>,
    /// Its current block (start, minutes), if it has one.
    pub block: Option<(DateTime<Utc>, i64)>,
    pub pinned: bool,
    /// It may be split into parts (a subtask is not).
    pub splittable: bool,
}

/// Everything the planner needs.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    /// The local days to plan (inclusive).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub prefs: &'a Preferences,
    /// Busy time from calendars: (start, end).
    pub busy: &'a [(DateTime<Utc>, DateTime<Utc>)],
    pub items: &'a [Item],
}

type Span = (DateTime<Utc>, DateTime<Utc>);

/// One local day of the window: its working stretch, what is free in it, and
/// the minutes of tasks it can still take.
struct Day {
    date: NaiveDate,
    work: Option<Span>,
    free: Vec<Span>,
    capacity: i64,
}

/// The instant of a local date and time; a time a clock change skips is read an hour later.
pub fn local_instant(tz: Tz, date: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    let naive = date.and_time(time);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// A person's working stretch on `date`, if it is a working day.
pub fn working_span(prefs: &Preferences, tz: Tz, date: NaiveDate) -> Option<Span> {
    if prefs.days_off.contains(&date) {
        return None;
    }
    let hours = prefs.hours[date.weekday().num_days_from_monday() as usize]?;
    let (start, end) = (local_instant(tz, date, hours.start)?, local_instant(tz, date, hours.end)?);
    (start < end).then_some((start, end))
}

/// "today", "tomorrow", "Friday" (within the week), else "Fri 18 Dec".
fn day_text(day: NaiveDate, today: NaiveDate) -> String {
    match (day - today).num_days() {
        0 => "today".into(),
        1 => "tomorrow".into(),
        2..=6 => day.format("%A").to_string(),
        _ => day.format("%a %-d %b").to_string(),
    }
}

fn overlaps(a: Span, b: Span) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Take `taken` (already widened by the buffer) out of `free`.
fn subtract(free: &mut Vec<Span>, taken: Span) {
    let mut out = Vec::with_capacity(free.len() + 1);
    for &f in free.iter() {
        if !overlaps(f, taken) {
            out.push(f);
            continue;
        }
        if f.0 < taken.0 {
            out.push((f.0, taken.0));
        }
        if taken.1 < f.1 {
            out.push((taken.1, f.1));
        }
    }
    *free = out;
}

/// Blocks of at least `min` minutes adding up to `minutes`, each in the first
/// free stretch (with room in its day) of the days `first` to `last`, or None.
fn split(
    days: &[Day],
    first: NaiveDate,
    last: NaiveDate,
    minutes: i64,
    min: i64,
    buffer: Duration,
) -> Option<Vec<(usize, Span)>> {
    let mut out = Vec::new();
    let mut left = minutes;
    for (i, day) in days.iter().enumerate().filter(|(_, d)| first <= d.date && d.date <= last) {
        let (mut free, mut capacity) = (day.free.clone(), day.capacity);
        while left > 0 {
            let chosen = free.iter().find_map(|f| {
                let mut take = (f.1 - f.0).num_minutes().min(capacity).min(left);
                if take < left {
                    take -= take % 5;
                }
                // Never leave a last part shorter than the shortest allowed.
                if left - take > 0 && left - take < min {
                    take = left - min;
                }
                (take >= min).then_some((f.0, take))
            });
            let Some((start, take)) = chosen else { break };
            let span = (start, start + Duration::minutes(take));
            subtract(&mut free, (span.0 - buffer, span.1 + buffer));
            capacity -= take;
            left -= take;
            out.push((i, span));
        }
        if left == 0 {
            return (out.len() <= Part::MAX as usize).then_some(out);
        }
    }
    None
}

fn rank(p: Priority) -> u8 {
    match p {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}

/// Plan `input`'s tasks into its window.
pub fn plan(input: &Input<'_>) -> Proposal {
    let Input { now, tz, from, to, prefs, busy, items } = input.clone();
    let buffer = Duration::minutes(i64::from(prefs.buffer_minutes.max(0)));
    let today = now.with_timezone(&tz).date_naive();
    let local_day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    // Blocks start on a whole five minutes from now.
    let earliest = {
        let secs = now.timestamp();
        let step = 300;
        DateTime::from_timestamp(secs + (step - secs.rem_euclid(step)) % step, 0).unwrap_or(now)
    };

    let mut days: Vec<Day> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            let work = working_span(prefs, tz, date);
            let free = work.map(|(s, e)| (s.max(earliest), e)).filter(|(s, e)| s < e).into_iter().collect();
            Day { date, work, free, capacity: i64::from(prefs.max_day_minutes) }
        })
        .collect();
    let n = days.len();
    let index_of = |date: NaiveDate| usize::try_from((date - from).num_days()).ok().filter(|i| *i < n);

    // Busy time, sorted, widened by the buffer.
    let mut taken: Vec<Span> = busy.iter().filter(|(s, e)| s < e).map(|&(s, e)| (s - buffer, e + buffer)).collect();

    // Pinned blocks are busy time and use up their day; unpinned ones that
    // still fit are kept. Everything else open is to be placed.
    let mut items: Vec<&Item> = items.iter().collect();
    items.sort_by_key(|i| i.id);
    for item in items.iter().filter(|i| i.pinned) {
        if let Some((start, minutes)) = item.block {
            taken.push((start - buffer, start + Duration::minutes(minutes) + buffer));
            if let Some(i) = index_of(local_day(start)) {
                days[i].capacity -= minutes;
            }
        }
    }
    taken.sort();
    for day in &mut days {
        for &t in taken.iter().filter(|t| day.work.is_some_and(|w| overlaps(w, **t))) {
            subtract(&mut day.free, t);
        }
    }
    let minutes_of = |i: &Item| i64::from(i.minutes.unwrap_or(prefs.default_minutes).max(1));

    let mut to_place: Vec<(&Item, Option<&'static str>)> = Vec::new();
    // Unpinned blocks: kept in place when they still fit (by start, then id).
    let mut blocked: Vec<&&Item> = items.iter().filter(|i| !i.pinned && i.block.is_some()).collect();
    blocked.sort_by_key(|i| (i.block.map(|b| b.0), i.id));
    for item in blocked {
        let Some((start, minutes)) = item.block else { continue };
        let span = (start, start + Duration::minutes(minutes));
        let Some(i) = index_of(local_day(start)) else {
            // Outside the window: left where it is (it may run into the
            // window's first day), unless it has passed.
            if start < now {
                to_place.push((item, Some("its time has passed")));
            } else {
                for day in &mut days {
                    subtract(&mut day.free, (span.0 - buffer, span.1 + buffer));
                }
            }
            continue;
        };
        let day = &mut days[i];
        let why = if start < earliest {
            Some("its time has passed")
        } else if !day.work.is_some_and(|w| w.0 <= span.0 && span.1 <= w.1) {
            Some("it is outside your working hours")
        } else if !day.free.iter().any(|f| f.0 <= span.0 && span.1 <= f.1) {
            Some("its time is busy now")
        } else if day.capacity < minutes {
            Some("its day is full")
        } else if item.due.is_some_and(|d| day.date > d) {
            Some("it is after the due date")
        } else {
            None
        };
        match why {
            None => {
                day.capacity -= minutes;
                subtract(&mut day.free, (span.0 - buffer, span.1 + buffer));
            }
            Some(why) => to_place.push((item, Some(why))),
        }
    }
    // Free working minutes up to the end of each day (before placing anything).
    let free_before: Vec<i64> = days
        .iter()
        .scan(0, |sum, d| {
            *sum += d.free.iter().map(|(s, e)| (*e - *s).num_minutes()).sum::<i64>().min(d.capacity.max(0));
            Some(*sum)
        })
        .collect();
    to_place.extend(items.iter().filter(|i| !i.pinned && i.block.is_none()).map(|i| (*i, None)));
    // Earliest due first (none last), then high priority, then start date, title, id.
    to_place.sort_by(|(a, _), (b, _)| {
        (a.due.is_none(), a.due, rank(a.priority), a.start, &a.title, a.id).cmp(&(
            b.due.is_none(),
            b.due,
            rank(b.priority),
            b.start,
            &b.title,
            b.id,
        ))
    });
    let work_minutes: i64 = to_place.iter().map(|(i, _)| minutes_of(i)).sum();
    // Work due on or before each due date, for the over-commitment figure.
    let work_due_by = |due: NaiveDate| -> i64 {
        to_place.iter().filter(|(i, _)| i.due.is_some_and(|d| d <= due)).map(|(i, _)| minutes_of(i)).sum()
    };

    let mut placements = Vec::new();
    let mut unplaced = Vec::new();
    for &(item, moved_why) in &to_place {
        let minutes = minutes_of(item);
        let length = Duration::minutes(minutes);
        let first = item.start.map_or(from, |s| s.max(from));
        let overdue = item.due.is_some_and(|d| d < today);
        // One block, the earliest; in parts when one block would be after
        // the due date (or there is none) and parts are allowed and fit.
        let whole = days
            .iter()
            .position(|d| d.date >= first && d.capacity >= minutes && d.free.iter().any(|f| f.1 - f.0 >= length));
        let split_min = i64::from(prefs.split_minutes);
        let can_split = item.splittable && split_min > 0 && minutes >= 2 * split_min;
        let in_time = match item.due {
            Some(d) if !overdue => d.min(to),
            _ => to,
        };
        let parts =
            |last: NaiveDate| can_split.then(|| split(&days, first, last, minutes, split_min, buffer)).flatten();
        let parts: Option<Vec<(usize, Span)>> = match whole {
            Some(i) if days[i].date <= in_time => None,
            Some(_) => parts(in_time),
            None => parts(in_time).or_else(|| if in_time < to { parts(to) } else { None }),
        };
        let mut why = Vec::new();
        if let Some(w) = moved_why {
            why.push(format!("moved ({w})"));
        }
        match item.due {
            Some(d) if d < today => why.push(format!("overdue since {}", day_text(d, today))),
            Some(d) => why.push(format!("due {}", day_text(d, today))),
            None => {}
        }
        if item.priority == Priority::High {
            why.push("high priority".into());
        }
        if item.start.is_some_and(|s| s > from) {
            why.push(format!("starts {}", item.start.map(|s| day_text(s, today)).unwrap_or_default()));
        }
        let over = |due: NaiveDate| {
            let free = index_of(due).map_or_else(|| free_before.last().copied().unwrap_or(0), |i| free_before[i]);
            format!(
                "{} of work, {} free by {}",
                duration_text(work_due_by(due)),
                duration_text(free),
                day_text(due, today)
            )
        };
        // The blocks: parts when split, else the whole task on its day.
        let blocks: Vec<(usize, Span)> = match (parts, whole) {
            (Some(parts), _) => parts,
            (_, Some(i)) => {
                let slot = days[i].free.iter().copied().find(|f| f.1 - f.0 >= length).unwrap_or_default();
                vec![(i, (slot.0, slot.0 + length))]
            }
            (_, None) => {
                let reason = match item.due {
                    _ if minutes > i64::from(prefs.max_day_minutes) && !can_split => format!(
                        "{} is more than your daily maximum ({}): shorten it or split it",
                        duration_text(minutes),
                        duration_text(i64::from(prefs.max_day_minutes))
                    ),
                    Some(d) if !overdue && d <= to => format!(
                        "no free {} before the end of {}{}: {}",
                        duration_text(minutes),
                        day_text(to, today),
                        if can_split { ", even in parts" } else { "" },
                        over(d)
                    ),
                    _ => format!(
                        "no free {} before the end of {}{}",
                        duration_text(minutes),
                        day_text(to, today),
                        if can_split { ", even in parts" } else { "" }
                    ),
                };
                unplaced.push(Unplaced { task_id: item.id, title: item.title.clone(), due: item.due, reason });
                continue;
            }
        };
        let of = u32::try_from(blocks.len()).unwrap_or(Part::MAX);
        let local = |t: DateTime<Utc>| t.with_timezone(&tz);
        for (n, (i, span)) in (1..).zip(blocks) {
            let day = &mut days[i];
            day.capacity -= (span.1 - span.0).num_minutes();
            subtract(&mut day.free, (span.0 - buffer, span.1 + buffer));
            let late = !overdue && item.due.is_some_and(|d| day.date > d);
            let mut why = why.clone();
            if late && let Some(d) = item.due {
                why.push(format!("too late: {}", over(d)));
            }
            let what = if of > 1 {
                format!("no free {} in one go, part {n} of {of}", duration_text(minutes))
            } else {
                format!("first free {}", duration_text(minutes))
            };
            let reason = if why.is_empty() { what } else { format!("{}: {what}", why.join(", ")) };
            let moved_from = item.block.filter(|_| moved_why.is_some() && n == 1).map(|b| b.0);
            placements.push(Placement {
                task_id: item.id,
                title: item.title.clone(),
                due: item.due,
                start: span.0,
                end: span.1,
                when: format!("{}–{}", local(span.0).format("%a %-d %b, %H:%M"), local(span.1).format("%H:%M")),
                was: moved_from.map(|t| local(t).format("%a %-d %b, %H:%M").to_string()),
                reason,
                moved_from,
                late,
                part: (of > 1).then_some(Part { n, of }),
            });
        }
    }
    placements.sort_by_key(|p| (p.start, p.task_id));
    Proposal { from, to, placements, unplaced, work_minutes, free_minutes: free_before.last().copied().unwrap_or(0) }
}

#[cfg(test)]
mod tests;
