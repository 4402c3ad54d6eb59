//! Calendar analysis: the person's recent events, grouped into the projects
//! they suggest (a recurring series, or several events sharing a leading
//! word such as "Acme kickoff" and "Acme design review"), written as a brain
//! dump — a heading per project, what the calendar shows as its context, and
//! the tasks it suggests: preparing for the next meeting of a series and
//! following up on a recent one-off. The text then goes through the brain-dump
//! engine (the LLM when configured, else the offline parser, which reads this
//! format exactly) and the person reviews and confirms it like any dump.

use crate::schedule::duration_text;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashSet};

/// How far back the analysis looks, and how far ahead for a series' next meeting.
pub const PAST_DAYS: i64 = 28;
pub const AHEAD_DAYS: i64 = 14;
/// One-off events older than this get no follow-up task.
const FOLLOW_UP_DAYS: i64 = 14;
const MAX_PROJECTS: usize = 8;
const MAX_TASKS: usize = 4;
const PREPARE_MINUTES: i64 = 30;

/// A timed event of an imported or Google calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub summary: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Events that say nothing about a project.
const IGNORED: &[&str] = &[
    "lunch",
    "busy",
    "blocked",
    "block",
    "focus",
    "ooo",
    "out",
    "office",
    "holiday",
    "holidays",
    "vacation",
    "commute",
    "break",
    "travel",
    "tentative",
    "private",
    "personal",
    "hold",
    "dinner",
    "breakfast",
];
/// Words that do not name a project on their own ("Weekly sync with Anna" is Anna's).
const GENERIC: &[&str] = &[
    "a", "an", "the", "and", "or", "with", "for", "of", "on", "at", "to", "in", "re", "meeting", "meetings", "call",
    "calls", "sync", "weekly", "daily", "monthly", "biweekly", "team", "catch", "up", "catchup", "chat", "check", "in",
    "checkin", "time", "session", "standup", "stand", "1", "review", "planning", "kickoff", "kick", "off", "intro",
    "quick",
];

fn words(summary: &str) -> Vec<&str> {
    summary.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// Events with the same key are one series ("Acme sync #3" and "Acme sync #4").
fn series_key(summary: &str) -> String {
    words(summary)
        .into_iter()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn ignored(summary: &str) -> bool {
    let ws = words(summary);
    ws.is_empty()
        || ws
            .iter()
            .all(|w| IGNORED.contains(&w.to_lowercase().as_str()) || GENERIC.contains(&w.to_lowercase().as_str()))
}

/// The word that names the project an event belongs to, as written.
fn project_word(summary: &str) -> Option<&str> {
    words(summary).into_iter().find(|w| {
        w.chars().count() > 1 && !w.chars().all(|c| c.is_ascii_digit()) && !GENERIC.contains(&w.to_lowercase().as_str())
    })
}

struct Series<'a> {
    title: String,
    past: Vec<&'a Event>,
    next: Option<&'a Event>,
}

impl Series<'_> {
    fn minutes(&self) -> i64 {
        self.past.iter().map(|e| (e.ends_at - e.starts_at).num_minutes()).sum()
    }
}

/// The title on one line, without list or heading markers at its start (it
/// becomes a line of the dump: an invitation's title must not add lines) and
/// without a running number ("Acme sync #4" is "Acme sync").
fn tidy(summary: &str) -> String {
    static NUMBER: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\s*(#\d+|\(\d+\))$").expect("valid"));
    let one_line = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = one_line.trim_start_matches(|c: char| "#-*+>[]".contains(c) || c.is_whitespace());
    NUMBER.find(s).map_or(s, |m| &s[..m.start()]).to_string()
}

fn day(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

fn short_date(d: NaiveDate) -> String {
    d.format("%a %-d %b").to_string()
}

/// "on Thursdays" when every past meeting fell on one weekday, else how often.
fn rhythm(series: &Series, tz: Tz) -> String {
    let days: HashSet<_> = series.past.iter().map(|e| day(e.starts_at, tz).weekday()).collect();
    match (series.past.len(), days.len()) {
        (1, _) => format!("on {}", short_date(day(series.past[0].starts_at, tz))),
        (n, 1) => format!("{n} times, on {}s", day(series.past[0].starts_at, tz).format("%A")),
        (n, _) => format!("{n} times"),
    }
}

/// The suggestion as brain-dump text ("" when nothing suggests a project):
/// events from `now - PAST_DAYS` on, and the next meetings up to `now + AHEAD_DAYS`.
/// Tasks whose title is already one of `open_tasks` (any case) are left out.
pub fn suggest(events: &[Event], now: DateTime<Utc>, tz: Tz, open_tasks: &[String]) -> String {
    let since = now - Duration::days(PAST_DAYS);
    let until = now + Duration::days(AHEAD_DAYS);
    let mut sorted: Vec<&Event> = events
        .iter()
        .filter(|e| e.starts_at >= since && e.starts_at < until && e.ends_at > e.starts_at && !ignored(&e.summary))
        .collect();
    sorted.sort_by(|a, b| (a.starts_at, &a.summary).cmp(&(b.starts_at, &b.summary)));

    // Series by key, then projects by their naming word.
    let mut series: BTreeMap<String, Series> = BTreeMap::new();
    for e in sorted {
        let s = series.entry(series_key(&e.summary)).or_insert(Series {
            title: tidy(&e.summary),
            past: Vec::new(),
            next: None,
        });
        if e.starts_at < now {
            s.past.push(e);
            s.title = tidy(&e.summary);
        } else if s.next.is_none() {
            s.next = Some(e);
        }
    }
    let mut projects: BTreeMap<String, (String, Vec<Series>)> = BTreeMap::new();
    for (_, s) in series.into_iter().filter(|(_, s)| !s.past.is_empty()) {
        let Some(word) = project_word(&s.title).map(str::to_string) else { continue };
        projects.entry(word.to_lowercase()).or_insert_with(|| (word.clone(), Vec::new())).1.push(s);
    }
    // A project needs two meetings: a series that repeated, or two events sharing its word.
    let mut projects: Vec<(String, Vec<Series>)> = projects
        .into_values()
        .filter(|(_, ss)| ss.iter().map(|s| s.past.len()).sum::<usize>() >= 2)
        .map(|(word, ss)| (if ss.len() == 1 { ss[0].title.clone() } else { word }, ss))
        .collect();
    projects.sort_by_key(|(name, ss)| (std::cmp::Reverse(ss.iter().map(Series::minutes).sum::<i64>()), name.clone()));
    projects.truncate(MAX_PROJECTS);

    let open: HashSet<String> = open_tasks.iter().map(|t| t.trim().to_lowercase()).collect();
    let mut out = String::new();
    for (name, mut ss) in projects {
        ss.sort_by_key(|s| std::cmp::Reverse((s.past.len(), s.past.last().map(|e| e.starts_at))));
        let minutes: i64 = ss.iter().map(Series::minutes).sum();
        let seen: Vec<String> = ss.iter().map(|s| format!("{} ({})", s.title, rhythm(s, tz))).collect();
        let mut tasks = Vec::new();
        for s in &ss {
            if let Some(next) = s.next.filter(|_| s.past.len() >= 2) {
                tasks.push((
                    format!("Prepare for {}", s.title),
                    format!(" by {} {PREPARE_MINUTES} min", day(next.starts_at, tz)),
                ));
            } else if s.past.len() == 1 && s.past[0].starts_at >= now - Duration::days(FOLLOW_UP_DAYS) {
                tasks.push((format!("Follow up on {}", s.title), String::new()));
            }
        }
        tasks.retain(|(title, _)| !open.contains(&title.to_lowercase()));
        tasks.truncate(MAX_TASKS);
        out.push_str(&format!(
            "# {name}\nIn your calendar over the past four weeks: {}; {} of meetings in all.\n",
            seen.join(", "),
            duration_text(minutes)
        ));
        for (title, when) in tasks {
            out.push_str(&format!("- {title}{when}\n"));
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// Suggest projects from the person's calendars (imported and Google busy
/// ones): a new brain dump holding the suggestion, processed by `engine` and
/// ready to review. A field error on `calendar` when the events suggest nothing.
pub async fn suggest_dump(
    pool: &sqlx::PgPool,
    user_id: uuid::Uuid,
    timezone: &str,
    engine: &crate::brain_dump::llm::Engine,
    now: DateTime<Utc>,
) -> Result<uuid::Uuid, crate::Error> {
    use crate::brain_dump::{Content, service};
    let mut tx = crate::db::begin_as(pool, user_id).await?;
    let (since, until) = (now - Duration::days(PAST_DAYS), now + Duration::days(AHEAD_DAYS));
    let events = sqlx::query_as!(
        Event,
        r#"select summary as "summary!", starts_at as "starts_at!", ends_at as "ends_at!" from (
             select summary, starts_at, ends_at from calendar_events
             where user_id = $1 and not all_day and starts_at >= $2 and starts_at < $3
             union all
             select g.summary, g.starts_at, g.ends_at from google_events g join google_calendars c using (user_id, calendar_id)
             where g.user_id = $1 and c.busy and not g.all_day and g.starts_at >= $2 and g.starts_at < $3) e
           order by starts_at limit 5000"#,
        user_id,
        since,
        until
    )
    .fetch_all(&mut *tx)
    .await?;
    let open = sqlx::query_scalar!(
        "select title from tasks where user_id = $1 and deleted_at is null and status <> 'done'",
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let tz: Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let text = suggest(&events, now, tz, &open);
    let content = Content::new(&text).map_err(|_| {
        crate::Error::field(
            "calendar",
            "Nothing to suggest yet: no meeting repeated, or shared a name with another, in the past four weeks of your calendars.",
        )
    })?;
    let id = service::create(pool, user_id, &content).await?;
    if let Err(e) = service::parse(pool, user_id, id, engine).await {
        // Refused before processing (over the AI quota, say): no dump is left behind.
        service::discard(pool, user_id, id).await?;
        return Err(e);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::brain_dump::offline;
    use crate::brain_dump::operation::{ProjectRef, Table};
    use chrono::TimeZone;

    /// Monday 7 December 2026, 09:00 in Paris.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
    }

    fn event(summary: &str, days: i64, hour: u32, minutes: i64) -> Event {
        let date = now().date_naive() + Duration::days(days);
        let starts_at = Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap());
        Event { summary: summary.into(), starts_at, ends_at: starts_at + Duration::minutes(minutes) }
    }

    fn weekly(summary: &str, first: i64, hour: u32, minutes: i64, count: i64) -> Vec<Event> {
        (0..count).map(|i| event(summary, first + 7 * i, hour, minutes)).collect()
    }

    fn sample() -> Vec<Event> {
        let mut events = weekly("Acme design review", -25, 14, 60, 6); // Thursdays; next on 10 Dec
        events.push(event("Acme kickoff", -6, 9, 90));
        events.extend(weekly("Lunch", -20, 12, 60, 4));
        events.extend(weekly("Busy", -20, 15, 60, 4));
        events.push(event("Dentist", -3, 10, 30));
        // Mondays, numbered; the next one is today at 10:00, after now.
        events.extend((0..4).map(|i| event(&format!("1:1 with Anna #{}", i + 1), -21 + 7 * i, 10, 30)));
        events.push(event("Company offsite", -60, 9, 480)); // too old
        events
    }

    #[test]
    fn series_and_shared_words_become_projects_with_preparation_and_follow_up_tasks() {
        let text = suggest(&sample(), now(), chrono_tz::Europe::Paris, &[]);
        let expected = "\
# Acme
In your calendar over the past four weeks: Acme design review (4 times, on Thursdays), Acme kickoff (on Tue 1 Dec); 5 h 30 of meetings in all.
- Prepare for Acme design review by 2026-12-10 30 min
- Follow up on Acme kickoff

# 1:1 with Anna
In your calendar over the past four weeks: 1:1 with Anna (3 times, on Mondays); 90 minutes of meetings in all.
- Prepare for 1:1 with Anna by 2026-12-07 30 min";
        assert_eq!(text, expected);
    }

    #[test]
    fn the_offline_parser_reads_the_suggestion_as_projects_with_their_tasks() {
        let text = suggest(&sample(), now(), chrono_tz::Europe::Paris, &[]);
        let ops = offline::parse(&text, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), &[]);
        let projects: Vec<_> = ops.iter().filter(|o| o.table == Table::Project).collect();
        assert_eq!(
            projects.iter().filter_map(|o| o.fields.name.as_deref()).collect::<Vec<_>>(),
            ["Acme", "1:1 with Anna"]
        );
        assert!(projects[0].fields.context.as_deref().unwrap().contains("Acme kickoff (on Tue 1 Dec)"));
        let tasks: Vec<_> = ops.iter().filter(|o| o.table == Table::Task).collect();
        assert_eq!(
            tasks.iter().filter_map(|o| o.fields.title.as_deref()).collect::<Vec<_>>(),
            ["Prepare for Acme design review", "Follow up on Acme kickoff", "Prepare for 1:1 with Anna"]
        );
        assert_eq!(tasks[0].fields.due_date, NaiveDate::from_ymd_opt(2026, 12, 10));
        assert_eq!(tasks[0].fields.duration_minutes.map(|m| m.get()), Some(30));
        assert_eq!(tasks[0].project, Some(ProjectRef::New("new-project-1".into())));
        assert_eq!(tasks[2].project, Some(ProjectRef::New("new-project-2".into())));
        assert_eq!(ops.iter().filter(|o| o.table == Table::Note).count(), 0);
    }

    #[test]
    fn tasks_already_open_are_not_suggested_again_and_nothing_comes_from_noise() {
        let text = suggest(&sample(), now(), chrono_tz::Europe::Paris, &["follow up on ACME kickoff".into()]);
        assert!(!text.contains("Follow up on Acme kickoff"));
        assert!(text.contains("Prepare for Acme design review"));
        let noise =
            [weekly("Lunch", -20, 12, 60, 4), weekly("Focus time", -20, 8, 120, 4), vec![event("Dentist", -3, 10, 30)]];
        assert_eq!(suggest(&noise.concat(), now(), chrono_tz::UTC, &[]), "");
        assert_eq!(suggest(&[], now(), chrono_tz::UTC, &[]), "");
    }

    #[test]
    fn a_title_cannot_add_lines_or_markers_to_the_dump() {
        let mut events = weekly("Acme sync\n# Evil\n- do this", -20, 9, 30, 3);
        events.extend(weekly("- # Budget  review (2)", -19, 9, 30, 3));
        let text = suggest(&events, now(), chrono_tz::UTC, &[]);
        assert!(text.contains("# Acme sync # Evil - do this\n"), "{text}");
        assert!(text.contains("# Budget review\n"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with('#')).count(), 2, "{text}");
    }

    #[test]
    fn the_same_events_in_any_order_give_the_same_text() {
        let mut events = sample();
        let text = suggest(&events, now(), chrono_tz::Europe::Paris, &[]);
        events.reverse();
        assert_eq!(suggest(&events, now(), chrono_tz::Europe::Paris, &[]), text);
    }
}
