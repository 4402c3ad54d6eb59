//! Dates, recurrence and priority words inside one task's text, relative to the person's local today.

use crate::task::Minutes;
use crate::task::model::Priority;
use crate::task::recurrence::Recurrence;
use chrono::{Datelike, Days, NaiveDate, TimeZone, Weekday};
use regex::{Captures, Regex};
use std::sync::LazyLock;

/// What one piece of text says, and the text with those words taken out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extracted {
    pub title: String,
    pub start: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub recurrence: Option<Recurrence>,
    pub priority: Option<Priority>,
    /// How long it takes ("30 min", "2h", "an hour").
    pub minutes: Option<Minutes>,
}

/// The person's date at `now`, in their timezone (so "tomorrow" is right across DST changes).
pub fn local_today<Tz: TimeZone>(now: chrono::DateTime<chrono::Utc>, tz: &Tz) -> NaiveDate {
    now.with_timezone(tz).date_naive()
}

/// Today in the IANA `timezone` of a person (UTC when it is not one).
pub fn today_in(timezone: &str) -> NaiveDate {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    local_today(chrono::Utc::now(), &tz)
}

const WEEKDAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
const MONTHS: &str = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

/// One date expression, as text (resolved by [`resolve`]).
static DATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r"(?:today|tonight|this (?:morning|afternoon|evening)|tomorrow|tmrw|next week|next month|(?:the )?weekend|(?:the )?end of (?:the |this )?(?:month|week)|in (?:\d{{1,2}}|a|an|one|two|three|four|five|six) (?:days?|weeks?|months?)|(?:next )?(?:{WEEKDAYS})|(?:{MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTHS})\.?(?:,? \d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2}}(?:\d{{2}})?)?)"
    )
});

fn re(pattern: &str) -> Regex {
    // Spaces in the patterns stand for any run of whitespace.
    Regex::new(&format!("(?i){}", pattern.replace(' ', r"\s+"))).expect("valid pattern")
}

static DUE: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"\b(?:by|due(?: on| by)?|before|until|deadline:?) (?P<d>{})\b", *DATE)));
/// "before the hosting expires on Dec 31": a deadline told by an event.
static DUE_EVENT: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"\b(?:before|by) [^,.;!?]{{1,40}}? on (?P<d>{})\b", *DATE)));
static START: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"\b(?:on |this |starting |from |for |at )?(?P<d>{})\b", *DATE)));
/// A time of day ("3pm", "10:30", "at noon"): not kept in a title (the line keeps it).
static TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:at )?(?:\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}|noon|midnight)\b"));

/// Recurrence phrases, one named group per pattern (one pass over the text).
static RECURRENCE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:(?P<biweekly>every (?:other|second) week|every two weeks|biweekly|bi-weekly|fortnightly)|(?P<weekdays>every weekday|on weekdays|weekdays)|(?P<daily>(?:every|each) (?:day|morning|evening|night)|daily|nightly)|(?P<weekly>every week|each week|weekly)|(?P<monthly>every month|each month|monthly)|(?P<quarterly>every quarter|each quarter|quarterly)|(?P<yearly>every year|each year|yearly|annually))\b",
    )
});
static EVERY_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?:every|each) (?P<other>(?:other|second) )?(?P<w>{WEEKDAYS})s?(?: (?:morning|afternoon|evening|night))?\b"
    ))
});
/// A length of time: "30 min", "2h", "1.5 hours", "1h30", "an hour", "half an hour".
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:(?:for|takes?|taking|about|around|roughly|approx\.?|~)\s*)?(?:(?P<h>\d{1,3}(?:\.\d{1,2})?)\s*(?:h|hrs?|hours?)(?:\s*(?P<hm>\d{1,2})\s*(?:m|mins?|minutes?)?)?|(?P<m>\d{1,4})(?:\s*(?:mins?|minutes?)|m)|(?P<half>half an?) hour|(?:an?|one) hour)\b",
    )
});
static HIGH: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\b(?:urgent(?:ly)?|asap|high priority|top priority|important)\b:?|(?:^|\s)!+(?:\s|$))"));
static LOW: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:low priority|someday|whenever)\b"));

fn weekday(name: &str) -> Option<Weekday> {
    name.get(..3).and_then(|p| p.to_ascii_lowercase().parse::<Weekday>().ok())
}

/// The first `day` on or after `from`.
fn on_or_after(from: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (day.num_days_from_monday() + 7 - from.weekday().num_days_from_monday()) % 7;
    from + Days::new(ahead.into())
}

fn month(name: &str) -> Option<u32> {
    let p = name.get(..3)?.to_ascii_lowercase();
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|m| *m == p)
        .map(|i| i as u32 + 1)
}

/// A month and day with no year: the next time it comes round (today included).
fn next_month_day(today: NaiveDate, m: u32, d: u32, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    // Feb 29 said in a common year means the next leap year's.
    (0..8).find_map(|k| NaiveDate::from_ymd_opt(today.year() + k, m, d).filter(|date| *date >= today))
}

static PARTS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        format!(r"^(?P<month>{MONTHS})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<year>\d{{4}}))?$"),
        format!(r"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<month>{MONTHS})\.?(?:,? (?P<year>\d{{4}}))?$"),
        r"^(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})$".to_string(),
        r"^(?P<mnum>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>\d{2}|\d{4}))?$".to_string(),
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

/// The date a date expression names, from the person's `today`.
pub fn resolve(expr: &str, today: NaiveDate) -> Option<NaiveDate> {
    let e = expr.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    match e.as_str() {
        "today" | "tonight" | "this morning" | "this afternoon" | "this evening" => return Some(today),
        "tomorrow" | "tmrw" => return today.succ_opt(),
        "next week" => return Some(on_or_after(today + Days::new(1), Weekday::Mon)),
        "next month" => return today.with_day(1)?.checked_add_months(chrono::Months::new(1)),
        "weekend" | "the weekend" => return Some(on_or_after(today, Weekday::Sat)),
        _ => {}
    }
    if let Some(unit) = e.strip_prefix("the ").unwrap_or(&e).strip_prefix("end of ") {
        return if unit.ends_with("week") {
            Some(on_or_after(today, Weekday::Fri))
        } else {
            let first_of_next = today.with_day(1)?.checked_add_months(chrono::Months::new(1))?;
            first_of_next.pred_opt()
        };
    }
    if let Some(rest) = e.strip_prefix("in ") {
        let mut words = rest.split(' ');
        let n: u32 = match words.next()? {
            "a" | "an" | "one" => 1,
            "two" => 2,
            "three" => 3,
            "four" => 4,
            "five" => 5,
            "six" => 6,
            digits => digits.parse().ok()?,
        };
        return match words.next()?.trim_end_matches('s') {
            "day" => today.checked_add_days(Days::new(n.into())),
            "week" => today.checked_add_days(Days::new(u64::from(n) * 7)),
            "month" => today.checked_add_months(chrono::Months::new(n)),
            _ => None,
        };
    }
    if let Some(day) = e.strip_prefix("next ").and_then(weekday) {
        // The named day in the coming week (Monday to Sunday after this one).
        let next_monday = on_or_after(today + Days::new(1), Weekday::Mon);
        return Some(on_or_after(next_monday, day));
    }
    if let Some(day) = weekday(&e).filter(|_| WEEKDAYS.split('|').any(|w| w == e)) {
        return Some(on_or_after(today, day));
    }
    for part in PARTS.iter() {
        if let Some(c) = part.captures(&e) {
            let m =
                c.name("month").and_then(|m| month(m.as_str())).or_else(|| c.name("mnum")?.as_str().parse().ok())?;
            let d: u32 = c.name("day")?.as_str().parse().ok()?;
            let y =
                c.name("year").and_then(|y| y.as_str().parse::<i32>().ok()).map(|y| if y < 100 { 2000 + y } else { y });
            return next_month_day(today, m, d, y);
        }
    }
    None
}

/// Take out the first match of `pattern` whose value `f` accepts (not one
/// that is the start of a possessive: "Friday's trip" keeps its Friday).
fn take<T>(text: &mut String, pattern: &Regex, f: impl Fn(&Captures) -> Option<T>) -> Option<T> {
    // Most text holds no match: the fast matcher says so before any capturing search.
    if !pattern.is_match(text) {
        return None;
    }
    let (range, value) = pattern.captures_iter(text).find_map(|c| {
        let whole = c.get(0)?;
        let possessive = text[whole.end()..].starts_with(['\'', '’']);
        Some((whole.range(), f(&c).filter(|_| !possessive)?))
    })?;
    text.replace_range(range, " ");
    Some(value)
}

/// Take out the first length of time that is not a moment ("in 2 hours")
/// or a rhythm ("every 2 hours").
fn take_duration(text: &mut String) -> Option<Minutes> {
    if !DURATION.is_match(text) {
        return None;
    }
    let (range, minutes) = DURATION.captures_iter(text).find_map(|c| {
        let whole = c.get(0)?;
        let before = text[..whole.start()].split_whitespace().next_back().unwrap_or("").to_lowercase();
        if ["in", "within", "every", "each", "after"].contains(&before.as_str()) {
            return None;
        }
        let number = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<f64>().ok());
        let minutes = match (number("h"), number("m")) {
            (Some(h), _) => h * 60.0 + number("hm").unwrap_or(0.0),
            (None, Some(m)) => m,
            (None, None) if c.name("half").is_some() => 30.0,
            (None, None) => 60.0,
        };
        Some((whole.range(), Minutes::new(minutes.round() as i32)))
    })?;
    text.replace_range(range, " ");
    minutes
}

/// Words a title should not end on once a date was taken out after them.
const TRAILING: &[&str] = &["at", "before", "by", "due", "for", "from", "in", "next", "on", "this", "until"];

/// Read dates, recurrence and priority out of `text`.
pub fn extract(text: &str, today: NaiveDate) -> Extracted {
    let mut t = text.to_string();
    let mut out = Extracted::default();
    if let Some((day, other)) =
        take(&mut t, &EVERY_WEEKDAY, |c| Some((weekday(c.name("w")?.as_str())?, c.name("other").is_some())))
    {
        out.recurrence = Some(if other { Recurrence::Biweekly } else { Recurrence::Weekly });
        out.start = Some(on_or_after(today, day));
    } else {
        // "the quarterly report" is a report, not a repeat.
        let said = |c: &Captures| {
            let before = t[..c.get(0)?.start()].split_whitespace().next_back().unwrap_or("").to_lowercase();
            let adjective = ["a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "that", "last"];
            (!adjective.contains(&before.as_str())).then_some(())?;
            Recurrence::ALL.iter().copied().find(|r| c.name(r.as_str()).is_some())
        };
        let found = RECURRENCE
            .is_match(&t)
            .then(|| RECURRENCE.captures_iter(&t).find_map(|c| Some((c.get(0)?.range(), said(&c)?))));
        if let Some((range, r)) = found.flatten() {
            t.replace_range(range, " ");
            out.recurrence = Some(r);
        }
    }
    if take(&mut t, &HIGH, |_| Some(())).is_some() {
        out.priority = Some(Priority::High);
    } else if take(&mut t, &LOW, |_| Some(())).is_some() {
        out.priority = Some(Priority::Low);
    }
    out.minutes = take_duration(&mut t);
    while take(&mut t, &TIME, |_| Some(())).is_some() {}
    out.due = take(&mut t, &DUE, |c| resolve(c.name("d")?.as_str(), today))
        .or_else(|| take(&mut t, &DUE_EVENT, |c| resolve(c.name("d")?.as_str(), today)));
    // An explicit start ("every Monday starting Dec 7") wins over the weekday's next date.
    if let Some(start) = take(&mut t, &START, |c| resolve(c.name("d")?.as_str(), today)) {
        out.start = Some(start);
    }
    // A repeating task needs a start: the due date, or today.
    if out.recurrence.is_some() && out.start.is_none() {
        out.start = Some(out.due.unwrap_or(today));
    }
    let mut words: Vec<&str> = t.split_whitespace().collect();
    // "Book the studio for Friday" is "Book the studio", not "… for".
    if t != text {
        while words.len() > 1 && words.last().is_some_and(|w| TRAILING.contains(&w.to_lowercase().as_str())) {
            words.pop();
        }
    }
    // Brackets emptied by what was taken out ("inbox zero (half an hour)") go too.
    words.retain(|w| !matches!(*w, "()" | "[]"));
    let mut words = words.join(" ");
    if t != text {
        for empty in ["( )", "[ ]"] {
            words = words.replace(empty, " ").split_whitespace().collect::<Vec<_>>().join(" ");
        }
    }
    out.title =
        words.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—')).to_string();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    /// 2026-11-28, a Saturday.
    fn today() -> NaiveDate {
        d(2026, 11, 28)
    }

    #[test]
    fn relative_words() {
        assert_eq!(resolve("today", today()), Some(today()));
        assert_eq!(resolve("tomorrow", today()), Some(d(2026, 11, 29)));
        assert_eq!(resolve("next week", today()), Some(d(2026, 11, 30)));
        assert_eq!(resolve("Friday", today()), Some(d(2026, 12, 4)));
        assert_eq!(resolve("saturday", today()), Some(today()), "the named day, today included");
        assert_eq!(resolve("next Tuesday", today()), Some(d(2026, 12, 1)));
    }

    #[test]
    fn calendar_dates_roll_into_next_year_once_passed() {
        assert_eq!(resolve("Dec 20", today()), Some(d(2026, 12, 20)));
        assert_eq!(resolve("20 December", today()), Some(d(2026, 12, 20)));
        assert_eq!(resolve("Jan 3rd", today()), Some(d(2027, 1, 3)));
        assert_eq!(resolve("12/10", today()), Some(d(2026, 12, 10)));
        assert_eq!(resolve("11/1", today()), Some(d(2027, 11, 1)));
        assert_eq!(resolve("2027-02-28", today()), Some(d(2027, 2, 28)));
        assert_eq!(resolve("March 5, 2030", today()), Some(d(2030, 3, 5)));
        assert_eq!(resolve("Feb 29", today()), Some(d(2028, 2, 29)), "the next leap day");
        assert_eq!(resolve("Feb 30", today()), None);
        assert_eq!(resolve("2026-13-01", today()), None);
    }

    #[test]
    fn month_and_year_ends() {
        let eom = d(2026, 1, 31);
        assert_eq!(resolve("tomorrow", eom), Some(d(2026, 2, 1)));
        let eoy = d(2026, 12, 31);
        assert_eq!(resolve("tomorrow", eoy), Some(d(2027, 1, 1)));
        assert_eq!(resolve("next week", eoy), Some(d(2027, 1, 4)));
        assert_eq!(resolve("Jan 2", eoy), Some(d(2027, 1, 2)));
        assert_eq!(resolve("Friday", eoy), Some(d(2027, 1, 1)));
    }

    #[test]
    fn today_follows_the_persons_timezone_across_a_dst_change() {
        let ny = chrono_tz::America::New_York;
        // 2026-03-08 02:00 EST → 03:00 EDT. 06:30 UTC is 01:30 EST, 07:30 UTC is 03:30 EDT.
        let before = chrono::Utc.with_ymd_and_hms(2026, 3, 8, 6, 30, 0).unwrap();
        let after = chrono::Utc.with_ymd_and_hms(2026, 3, 8, 7, 30, 0).unwrap();
        assert_eq!(local_today(before, &ny), d(2026, 3, 8));
        assert_eq!(local_today(after, &ny), d(2026, 3, 8));
        // 04:30 UTC on Mar 8 is still Mar 7 in New York (23:30 EST).
        let late = chrono::Utc.with_ymd_and_hms(2026, 3, 8, 4, 30, 0).unwrap();
        let today = local_today(late, &ny);
        assert_eq!(today, d(2026, 3, 7));
        assert_eq!(extract("call mom tomorrow", today).start, Some(d(2026, 3, 8)));
        // Autumn: 2026-11-01 02:00 EDT → 01:00 EST; 05:30 UTC is 00:30 EST on Nov 1.
        let autumn = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap();
        assert_eq!(local_today(autumn, &ny), d(2026, 11, 1));
        let autumn_eve = chrono::Utc.with_ymd_and_hms(2026, 11, 1, 3, 30, 0).unwrap();
        assert_eq!(local_today(autumn_eve, &ny), d(2026, 10, 31));
        assert_eq!(extract("pay rent tomorrow", local_today(autumn_eve, &ny)).start, Some(d(2026, 11, 1)));
    }

    #[test]
    fn due_dates_and_start_dates_are_told_apart() {
        let e = extract("Send the report by Friday", today());
        assert_eq!((e.title.as_str(), e.due, e.start), ("Send the report", Some(d(2026, 12, 4)), None));
        let e = extract("Call the plumber tomorrow", today());
        assert_eq!((e.title.as_str(), e.start), ("Call the plumber", Some(d(2026, 11, 29))));
        let e = extract("Book flights on Dec 20, due 12/15", today());
        assert_eq!((e.title.as_str(), e.start, e.due), ("Book flights", Some(d(2026, 12, 20)), Some(d(2026, 12, 15))));
    }

    #[test]
    fn priority_words() {
        assert_eq!(extract("URGENT: fix the leak", today()).priority, Some(Priority::High));
        assert_eq!(extract("fix the leak asap", today()).title, "fix the leak");
        assert_eq!(extract("! renew passport", today()).priority, Some(Priority::High));
        assert_eq!(extract("renew passport high priority", today()).priority, Some(Priority::High));
        assert_eq!(extract("tidy garage, low priority", today()).priority, Some(Priority::Low));
        assert_eq!(extract("say hello!", today()).priority, None, "an exclamation in a word is not a marker");
    }

    #[test]
    fn recurrence_phrases_set_a_pattern_and_a_start() {
        let e = extract("Water plants every Monday", today());
        assert_eq!(
            (e.title.as_str(), e.recurrence, e.start),
            ("Water plants", Some(Recurrence::Weekly), Some(d(2026, 11, 30)))
        );
        assert_eq!(extract("stand-up weekdays", today()).recurrence, Some(Recurrence::Weekdays));
        assert_eq!(extract("take vitamins daily", today()).start, Some(today()));
        assert_eq!(extract("1:1 every other week", today()).recurrence, Some(Recurrence::Biweekly));
        assert_eq!(extract("pay rent monthly starting Dec 1", today()).start, Some(d(2026, 12, 1)));
        let e = extract("gym every Monday starting Dec 7", today());
        assert_eq!((e.title.as_str(), e.start), ("gym", Some(d(2026, 12, 7))));
        assert_eq!(extract("review goals quarterly", today()).recurrence, Some(Recurrence::Quarterly));
        assert_eq!(extract("renew domain yearly", today()).recurrence, Some(Recurrence::Yearly));
        assert_eq!(extract("weekly review", today()).recurrence, Some(Recurrence::Weekly));
    }

    #[test]
    fn words_that_only_look_like_dates_stay_in_the_title() {
        let e = extract("Read about the 4th of July parade", today());
        assert_eq!(e.start, Some(d(2027, 7, 4)), "4th of July is a date");
        let e = extract("May I borrow the ladder", today());
        assert_eq!((e.title.as_str(), e.start), ("May I borrow the ladder", None));
    }
}
