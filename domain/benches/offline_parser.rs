//! Offline brain-dump parser: throughput (MB/s) and per-dump latency for a 5,000-character dump.
//!
//! `cargo bench -p domain --features server --bench offline_parser`

use chrono::NaiveDate;
use domain::brain_dump::offline::{KnownProject, parse};
use std::hint::black_box;
use std::time::Instant;

/// A realistic dump: headings, bullets, checkboxes, dates, prose, a known project.
fn dump(target_chars: usize) -> String {
    let block = "# Garden\nWe want vegetables this spring, and the beds are a mess.\n- buy seeds by Friday\n- [x] clear the beds\n- water the tomatoes every Monday\nProject: Newsletter\n1. Draft the first issue tomorrow, urgent\n2. pick a mailing tool before Dec 20\nFeeling swamped this week. Call the bank about the mortgage. Tomorrow I need to email Sam the slides!\nTODO: renew passport asap\n## Home\nPay the electricity bill by 12/15. Someday repaint the hall, low priority.\n\n";
    let mut s = String::new();
    while s.chars().count() < target_chars {
        s.push_str(block);
    }
    s.chars().take(target_chars).collect()
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let known: Vec<KnownProject> =
        (0..50).map(|i| KnownProject { id: uuid::Uuid::new_v4(), name: format!("Project {i}") }).collect();
    let text = dump(5_000);
    // Warm up (regexes compile on first use).
    for _ in 0..50 {
        black_box(parse(black_box(&text), today, &known));
    }
    let runs = 2_000;
    let mut times = Vec::with_capacity(runs);
    let started = Instant::now();
    for _ in 0..runs {
        let t = Instant::now();
        black_box(parse(black_box(&text), today, &known));
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    let mb = (text.len() * runs) as f64 / 1_000_000.0;
    let ops = parse(&text, today, &known).len();
    println!("dump: {} characters ({} bytes), {} operations", text.chars().count(), text.len(), ops);
    println!("throughput: {:.1} MB/s over {} runs", mb / total.as_secs_f64(), runs);
    println!(
        "per dump: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        times[runs / 2].as_secs_f64() * 1e3,
        times[runs * 99 / 100].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3
    );
}
