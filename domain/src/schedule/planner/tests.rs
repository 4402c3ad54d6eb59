//! The planner's rules, as examples and as properties over random weeks
//! (random hours, busy time, tasks and pinned blocks, across clock changes).

use super::*;
use crate::schedule::WorkHours;
use chrono::NaiveTime;
use proptest::prelude::*;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn item(n: u128, minutes: i32) -> Item {
    Item {
        id: Uuid::from_u128(n),
        title: format!("task {n}"),
        minutes: Some(minutes),
        priority: Priority::Medium,
        due: None,
        start: None,
        block: None,
        pinned: false,
        splittable: true,
    }
}

const PARIS: Tz = chrono_tz::Europe::Paris;

fn every_day(start: NaiveTime, end: NaiveTime) -> Preferences {
    Preferences { hours: [Some(WorkHours { start, end }); 7], buffer_minutes: 0, ..Preferences::default() }
}

#[test]
fn a_block_starts_at_nine_local_on_both_sides_of_a_clock_change() {
    // Summer time starts in Paris on Sunday 29 March 2026 at 02:00.
    let prefs = Preferences { max_day_minutes: 60, ..every_day(hm(9, 0), hm(17, 0)) };
    let items: Vec<Item> = (1..=3).map(|n| item(n, 60)).collect();
    let input = Input {
        now: utc("2026-03-28T00:00:00Z"),
        tz: PARIS,
        from: date("2026-03-28"),
        to: date("2026-03-30"),
        prefs: &prefs,
        busy: &[],
        items: &items,
    };
    let starts: Vec<String> = plan(&input).placements.iter().map(|p| p.start.to_rfc3339()).collect();
    assert_eq!(starts, ["2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00", "2026-03-30T07:00:00+00:00"]);
}

#[test]
fn working_hours_a_clock_change_skips_start_an_hour_later() {
    // 02:30 does not exist in Paris on 29 March 2026.
    let prefs = every_day(hm(2, 30), hm(5, 0));
    let span = working_span(&prefs, PARIS, date("2026-03-29")).unwrap();
    assert_eq!(span.0, utc("2026-03-29T01:30:00Z"));
    assert_eq!(span.1, utc("2026-03-29T03:00:00Z"));
}

#[test]
fn reasons_say_why_and_over_commitment_is_counted() {
    // Thursday 3 December 2026, before work; 09:00–17:00, at most 6 h a day.
    let prefs = Preferences { buffer_minutes: 0, ..Preferences::default() };
    let mut urgent = item(1, 90);
    urgent.due = Some(date("2026-12-04"));
    urgent.priority = Priority::High;
    let mut big: Vec<Item> = (2..=4).map(|n| item(n, 240)).collect();
    for b in &mut big {
        b.due = Some(date("2026-12-04"));
    }
    let mut items = vec![urgent];
    items.extend(big);
    let input = Input {
        now: utc("2026-12-03T06:00:00Z"),
        tz: PARIS,
        from: date("2026-12-03"),
        to: date("2026-12-09"),
        prefs: &prefs,
        busy: &[],
        items: &items,
    };
    let p = plan(&input);
    assert_eq!(p.placements[0].reason, "due tomorrow, high priority: first free 90 minutes");
    assert_eq!(p.placements[0].start, utc("2026-12-03T08:00:00Z"));
    // 90 + 3 × 240 minutes due by Friday; 2 × 6 h of room by then.
    let late: Vec<&Placement> = p.placements.iter().filter(|p| p.late).collect();
    assert_eq!(late.len(), 1, "{p:#?}");
    assert_eq!(late[0].reason, "due tomorrow, too late: 13 h 30 of work, 12 h free by tomorrow: first free 4 h");
    assert_eq!(late[0].start, utc("2026-12-07T08:00:00Z"), "the next working day, Monday");
    assert_eq!((p.work_minutes, p.free_minutes), (810, 5 * 360));
}

#[test]
fn pinned_blocks_stay_kept_blocks_stay_and_a_block_that_became_busy_moves() {
    let prefs = Preferences { buffer_minutes: 10, ..Preferences::default() };
    let mut pinned = item(1, 60);
    pinned.block = Some((utc("2026-12-07T08:00:00Z"), 60));
    pinned.pinned = true;
    let mut kept = item(2, 60);
    kept.block = Some((utc("2026-12-07T12:00:00Z"), 60));
    let mut clashing = item(3, 60);
    clashing.block = Some((utc("2026-12-07T14:00:00Z"), 60));
    let fresh = item(4, 30);
    let busy = [(utc("2026-12-07T14:30:00Z"), utc("2026-12-07T15:00:00Z"))];
    let items = [pinned, kept, clashing, fresh];
    let input = Input {
        now: utc("2026-12-07T07:00:00Z"),
        tz: PARIS,
        from: date("2026-12-07"),
        to: date("2026-12-13"),
        prefs: &prefs,
        busy: &busy,
        items: &items,
    };
    let p = plan(&input);
    let ids: Vec<u128> = p.placements.iter().map(|p| p.task_id.as_u128()).collect();
    assert_eq!(ids, [3, 4], "the pinned and the still-fitting blocks are not proposed: {p:#?}");
    // After the pinned block and its buffer.
    assert_eq!(p.placements[0].moved_from, Some(utc("2026-12-07T14:00:00Z")));
    assert_eq!(p.placements[0].reason, "moved (its time is busy now): first free 60 minutes");
    assert_eq!(p.placements[0].start, utc("2026-12-07T09:10:00Z"));
    assert_eq!(p.placements[1].start, utc("2026-12-07T10:20:00Z"));
    assert_eq!(p.placements[1].moved_from, None);
}

#[test]
fn a_task_longer_than_the_daily_maximum_says_so() {
    let prefs = Preferences { split_minutes: 0, ..Preferences::default() };
    let items = [item(1, 420)];
    let input = Input {
        now: utc("2026-12-07T07:00:00Z"),
        tz: PARIS,
        from: date("2026-12-07"),
        to: date("2026-12-13"),
        prefs: &prefs,
        busy: &[],
        items: &items,
    };
    let p = plan(&input);
    assert!(p.placements.is_empty());
    assert_eq!(p.unplaced[0].reason, "7 h is more than your daily maximum (6 h): shorten it or split it");
}

fn monday_week<'a>(prefs: &'a Preferences, busy: &'a [Span], items: &'a [Item]) -> Input<'a> {
    Input {
        now: utc("2026-12-07T07:00:00Z"),
        tz: PARIS,
        from: date("2026-12-07"),
        to: date("2026-12-13"),
        prefs,
        busy,
        items,
    }
}

#[test]
fn a_task_longer_than_a_day_allows_is_split_into_parts() {
    let prefs = Preferences::default();
    let mut long = item(1, 420);
    long.due = Some(date("2026-12-09"));
    let p = plan(&monday_week(&prefs, &[], std::slice::from_ref(&long)));
    let blocks: Vec<(&str, Option<Part>)> = p.placements.iter().map(|p| (p.when.as_str(), p.part)).collect();
    assert_eq!(
        blocks,
        [
            ("Mon 7 Dec, 09:00–15:00", Some(Part { n: 1, of: 2 })),
            ("Tue 8 Dec, 09:00–10:00", Some(Part { n: 2, of: 2 }))
        ]
    );
    assert_eq!(p.placements[0].reason, "due Wednesday: no free 7 h in one go, part 1 of 2");
    assert!(p.unplaced.is_empty());

    // A subtask is not split; nor is anything when splitting is off.
    long.splittable = false;
    let p = plan(&monday_week(&prefs, &[], std::slice::from_ref(&long)));
    assert!(p.placements.is_empty());
    assert_eq!(p.unplaced[0].reason, "7 h is more than your daily maximum (6 h): shorten it or split it");
    long.splittable = true;
    let off = Preferences { split_minutes: 0, ..Preferences::default() };
    assert!(plan(&monday_week(&off, &[], std::slice::from_ref(&long))).placements.is_empty());
}

#[test]
fn parts_in_time_are_preferred_to_one_late_block() {
    let prefs = Preferences::default();
    let mut report = item(1, 240);
    report.due = Some(date("2026-12-07"));
    // Monday 11:00–13:00 in Paris is busy: no four hours in one go that day.
    let busy = [(utc("2026-12-07T10:00:00Z"), utc("2026-12-07T12:00:00Z"))];
    let p = plan(&monday_week(&prefs, &busy, std::slice::from_ref(&report)));
    let whens: Vec<&str> = p.placements.iter().map(|p| p.when.as_str()).collect();
    assert_eq!(whens, ["Mon 7 Dec, 09:00–10:50", "Mon 7 Dec, 13:10–15:20"]);
    assert!(p.placements.iter().all(|p| !p.late && p.part.is_some()));

    // With parts of at least two hours it cannot be done in time: one block on Tuesday, late.
    let prefs = Preferences { split_minutes: 120, ..Preferences::default() };
    let p = plan(&monday_week(&prefs, &busy, std::slice::from_ref(&report)));
    assert_eq!(p.placements.len(), 1);
    assert_eq!((p.placements[0].when.as_str(), p.placements[0].late), ("Tue 8 Dec, 09:00–13:00", true));
    assert_eq!(p.placements[0].part, None);
}

// --- Properties -------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    tz: Tz,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
    prefs: Preferences,
    busy: Vec<Span>,
    items: Vec<Item>,
}

fn case() -> impl Strategy<Value = Case> {
    let zones = prop::sample::select(vec![
        chrono_tz::Europe::Paris,
        chrono_tz::America::New_York,
        chrono_tz::UTC,
        chrono_tz::Asia::Kolkata,
    ]);
    // Windows around clock changes (Europe: 29 Mar, 25 Oct; US: 8 Mar, 1 Nov 2026) and one without.
    let starts = prop::sample::select(vec!["2026-03-26", "2026-10-22", "2026-03-05", "2026-10-29", "2026-12-03"]);
    let hours = prop::option::weighted(0.8, (0u32..=24, 2u32..=20)).prop_map(|o| {
        o.map(|(half_hours, len)| {
            let start = half_hours * 30;
            let end = (start + len * 30).min(23 * 60 + 59);
            WorkHours { start: hm(start / 60, start % 60), end: hm(end / 60, end % 60) }
        })
    });
    (
        zones,
        starts,
        1i64..=14,
        0i64..=2 * 1440,
        prop::array::uniform7(hours),
        (0i32..=30, 15i32..=120, 30i32..=600, prop::sample::select(vec![0, 15, 30, 60])),
        prop::collection::vec(0i64..14, 0..3),
        prop::collection::vec((0i64..15 * 1440, 5i64..=240), 0..40),
        prop::collection::vec(
            (
                prop::option::of(5i32..=300),
                0u8..3,
                prop::option::of(-3i64..=16),
                prop::option::of(-2i64..=10),
                prop::option::of((-1440i64..15 * 1440, 15i64..=180, any::<bool>())),
            ),
            0..30,
        ),
    )
        .prop_map(|(tz, start, days, now_offset, hours, (buffer, default, max_day, split), off, busy, items)| {
            let from = date(start);
            let midnight = tz.from_local_datetime(&from.and_time(hm(0, 0))).earliest().unwrap().with_timezone(&Utc);
            let mut hours_fixed = hours;
            for h in hours_fixed.iter_mut().flatten() {
                if h.end <= h.start {
                    h.end = h.start + Duration::minutes(30);
                }
            }
            Case {
                tz,
                now: midnight + Duration::minutes(now_offset) + Duration::seconds(now_offset % 53),
                from,
                to: from + Duration::days(days - 1),
                prefs: Preferences {
                    hours: hours_fixed,
                    buffer_minutes: buffer,
                    default_minutes: default,
                    max_day_minutes: max_day,
                    days_off: off.into_iter().map(|d| from + Duration::days(d)).collect(),
                    split_minutes: split,
                },
                busy: busy
                    .into_iter()
                    .map(|(s, len)| (midnight + Duration::minutes(s), midnight + Duration::minutes(s + len)))
                    .collect(),
                items: items
                    .into_iter()
                    .enumerate()
                    .map(|(n, (minutes, p, due, start, block))| Item {
                        id: Uuid::from_u128(n as u128 * 7919 % 1000),
                        title: format!("t{}", n % 4),
                        minutes,
                        priority: [Priority::Low, Priority::Medium, Priority::High][p as usize],
                        due: due.map(|d| from + Duration::days(d)),
                        start: start.map(|d| from + Duration::days(d)),
                        block: block.map(|(at, len, _)| (midnight + Duration::minutes(at), len)),
                        pinned: block.is_some_and(|b| b.2),
                        splittable: n % 5 != 4,
                    })
                    .collect(),
            }
        })
}

fn run(c: &Case) -> Proposal {
    plan(&Input { now: c.now, tz: c.tz, from: c.from, to: c.to, prefs: &c.prefs, busy: &c.busy, items: &c.items })
}

/// What occupies time after the plan: busy time, pinned and kept blocks,
/// the placements `counted`; and each day's task minutes.
fn occupied(
    c: &Case,
    p: &Proposal,
    counted: impl Fn(&Placement) -> bool,
) -> (Vec<Span>, std::collections::BTreeMap<NaiveDate, i64>) {
    let day = |t: DateTime<Utc>| t.with_timezone(&c.tz).date_naive();
    let moved: std::collections::BTreeSet<Uuid> =
        p.placements.iter().map(|p| p.task_id).chain(p.unplaced.iter().map(|u| u.task_id)).collect();
    let mut spans: Vec<Span> = c.busy.clone();
    let mut per_day = std::collections::BTreeMap::new();
    for i in &c.items {
        if let Some((s, m)) = i.block.filter(|_| i.pinned || !moved.contains(&i.id)) {
            spans.push((s, s + Duration::minutes(m)));
            *per_day.entry(day(s)).or_insert(0) += m;
        }
    }
    for pl in p.placements.iter().filter(|pl| counted(pl)) {
        spans.push((pl.start, pl.end));
        *per_day.entry(day(pl.start)).or_insert(0) += (pl.end - pl.start).num_minutes();
    }
    (spans, per_day)
}

fn earliest(now: DateTime<Utc>) -> DateTime<Utc> {
    let s = now.timestamp();
    DateTime::from_timestamp(s + (300 - s.rem_euclid(300)) % 300, 0).unwrap()
}

/// A free stretch of `minutes` on a day from `first` to `last`, after the
/// plan, counting only the placements of tasks due by `due_by` (None: all).
fn free_slot(
    c: &Case,
    p: &Proposal,
    first: NaiveDate,
    last: NaiveDate,
    minutes: i64,
    due_by: Option<NaiveDate>,
) -> Option<Span> {
    let due_of = |id: Uuid| c.items.iter().find(|i| i.id == id).and_then(|i| i.due);
    let (spans, per_day) = occupied(c, p, |pl| due_by.is_none_or(|d| due_of(pl.task_id).is_some_and(|x| x <= d)));
    let buffer = Duration::minutes(i64::from(c.prefs.buffer_minutes));
    let length = Duration::minutes(minutes);
    let mut d = first.max(c.from);
    while d <= last.min(c.to) {
        let used = per_day.get(&d).copied().unwrap_or(0);
        if let Some(work) =
            working_span(&c.prefs, c.tz, d).filter(|_| used + minutes <= i64::from(c.prefs.max_day_minutes))
        {
            // A free stretch, moved as early as it goes, starts at the day's
            // start, at the earliest time, or right after something (and its buffer).
            let candidates = [work.0, earliest(c.now)].into_iter().chain(spans.iter().map(|s| s.1 + buffer));
            for t in candidates {
                let slot = (t, t + length);
                if t >= work.0
                    && slot.1 <= work.1
                    && t >= earliest(c.now)
                    && !spans.iter().any(|s| overlaps((s.0 - buffer, s.1 + buffer), slot))
                {
                    return Some(slot);
                }
            }
        }
        d = d.succ_opt().unwrap();
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn placements_respect_busy_time_hours_limits_due_dates_and_pins(c in case()) {
        let p = run(&c);
        let buffer = Duration::minutes(i64::from(c.prefs.buffer_minutes));
        let day = |t: DateTime<Utc>| t.with_timezone(&c.tz).date_naive();
        let today = day(c.now);
        let (spans, per_day) = occupied(&c, &p, |_| true);
        for pl in &p.placements {
            let item = c.items.iter().find(|i| i.id == pl.task_id).unwrap();
            prop_assert!(!item.pinned, "a pinned block was moved: {pl:?}");
            let minutes = i64::from(item.minutes.unwrap_or(c.prefs.default_minutes));
            let length = (pl.end - pl.start).num_minutes();
            match pl.part {
                None => prop_assert_eq!(length, minutes),
                // Split only when allowed: parts of the shortest length or more, adding up to the task.
                Some(part) => {
                    prop_assert!(item.splittable && c.prefs.split_minutes > 0);
                    prop_assert!(length >= i64::from(c.prefs.split_minutes), "{pl:?} is too short");
                    let parts: Vec<&Placement> = p.placements.iter().filter(|q| q.task_id == pl.task_id).collect();
                    prop_assert_eq!(parts.len(), part.of as usize);
                    prop_assert!(parts.iter().all(|q| q.part.is_some_and(|x| x.of == part.of)));
                    prop_assert_eq!(parts.iter().map(|q| (q.end - q.start).num_minutes()).sum::<i64>(), minutes);
                }
            }
            prop_assert!(pl.start >= c.now);
            // Within the working hours of a day of the window.
            let d = day(pl.start);
            prop_assert!(c.from <= d && d <= c.to);
            let work = working_span(&c.prefs, c.tz, d);
            prop_assert!(work.is_some_and(|w| w.0 <= pl.start && pl.end <= w.1), "{pl:?} outside {work:?}");
            // Nothing else within its buffer: busy time, pinned and kept blocks, other placements.
            let others = spans.iter().filter(|s| **s != (pl.start, pl.end)).count();
            let clear = spans.iter().filter(|s| !overlaps((s.0 - buffer, s.1 + buffer), (pl.start, pl.end))).count();
            prop_assert_eq!(others, clear, "{:?} overlaps something", pl);
            // The daily maximum.
            prop_assert!(per_day[&d] <= i64::from(c.prefs.max_day_minutes), "{d}: {} minutes", per_day[&d]);
            // Not after its due date while a free stretch exists before it,
            // even counting only the tasks due by then (the earliest due go first).
            if let Some(due) = item.due.filter(|due| *due >= today) {
                prop_assert_eq!(pl.late, d > due);
                if d > due {
                    let first = item.start.unwrap_or(c.from);
                    prop_assert_eq!(free_slot(&c, &p, first, due, minutes, Some(due)), None, "{:?} is late", pl);
                }
            }
            if let Some(start) = item.start {
                prop_assert!(d >= start);
            }
        }
        // Whatever was left unplaced really had no room.
        for u in &p.unplaced {
            let item = c.items.iter().find(|i| i.id == u.task_id).unwrap();
            prop_assert!(!item.pinned);
            let minutes = i64::from(item.minutes.unwrap_or(c.prefs.default_minutes));
            prop_assert_eq!(free_slot(&c, &p, item.start.unwrap_or(c.from), c.to, minutes, None), None, "{:?}", u);
        }
        // Every task without a block is placed or said to be unplaced.
        let answered = p.placements.len() + p.unplaced.len();
        let without = c.items.iter().filter(|i| i.block.is_none()).count();
        prop_assert!(answered >= without);
    }

    #[test]
    fn the_same_input_in_any_order_gives_the_same_plan(c in case()) {
        let p = run(&c);
        let mut shuffled = c.clone();
        shuffled.items.reverse();
        shuffled.busy.reverse();
        shuffled.items.rotate_left(c.items.len() / 3);
        prop_assert_eq!(&p, &run(&shuffled));
        prop_assert_eq!(&p, &run(&c));
    }
}
