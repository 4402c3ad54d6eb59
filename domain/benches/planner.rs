//! The planner: 500 tasks against 2,000 busy intervals over four weeks.
//!
//! `cargo bench -p domain --features server --bench planner`

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use domain::schedule::planner::{Input, Item, plan};
use domain::schedule::{Preferences, WorkHours};
use domain::task::model::Priority;
use std::hint::black_box;
use std::time::Instant;

/// A small deterministic generator (the same week on every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn main() {
    let tz = chrono_tz::Europe::Paris;
    let from = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let to = from + Duration::days(27);
    let local = |day: i64, minute: i64| -> DateTime<Utc> {
        let d = from + Duration::days(day);
        tz.from_local_datetime(&d.and_time(NaiveTime::MIN)).earliest().unwrap().with_timezone(&Utc)
            + Duration::minutes(minute)
    };
    let mut rng = Lcg(42);
    // 2,000 events from several calendars, any time of day, 5 to 30
    // minutes long (about 70 a day: roughly half of each day busy).
    let busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = (0..2_000)
        .map(|_| {
            let start = local(rng.next(28) as i64, rng.next(24 * 12) as i64 * 5);
            (start, start + Duration::minutes(5 * (1 + rng.next(6) as i64)))
        })
        .collect();
    // 500 tasks: lengths 15 minutes to 2 hours, most due within the four
    // weeks; 50 pinned blocks and 100 blocks placed earlier.
    let items: Vec<Item> = (0..500u128)
        .map(|n| {
            let block = (n < 150).then(|| (local(rng.next(28) as i64, 9 * 60 + rng.next(32) as i64 * 15), 60));
            Item {
                id: uuid::Uuid::from_u128(n + 1),
                title: format!("Task {n}"),
                minutes: (n % 5 != 0).then(|| 15 * (1 + rng.next(8) as i32)),
                priority: [Priority::Low, Priority::Medium, Priority::High][rng.next(3) as usize],
                due: (n % 4 != 0).then(|| from + Duration::days(rng.next(28) as i64)),
                start: (n % 7 == 0).then(|| from + Duration::days(rng.next(14) as i64)),
                block,
                pinned: n < 50,
                splittable: true,
            }
        })
        .collect();
    // Working 08:00–20:00 every day, at most 8 hours of tasks a day.
    let day = Some(WorkHours {
        start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
    });
    let prefs = Preferences { hours: [day; 7], max_day_minutes: 480, ..Preferences::default() };
    let input = Input { now: local(0, 6 * 60), tz, from, to, prefs: &prefs, busy: &busy, items: &items };
    for _ in 0..20 {
        black_box(plan(black_box(&input)));
    }
    let runs = 500;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        black_box(plan(black_box(&input)));
        times.push(t.elapsed());
    }
    times.sort();
    let p = plan(&input);
    println!(
        "{} tasks, {} busy intervals, {} days: {} placed ({} late), {} unplaced",
        items.len(),
        busy.len(),
        (to - from).num_days() + 1,
        p.placements.len(),
        p.placements.iter().filter(|p| p.late).count(),
        p.unplaced.len()
    );
    println!(
        "per plan over {runs} runs: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times[runs / 2].as_secs_f64() * 1e3,
        times[runs * 99 / 100].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3
    );
}
