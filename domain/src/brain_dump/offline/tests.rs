//! The offline parser: examples, and properties over any input.

use super::*;
use crate::task::model::Priority;
use crate::task::recurrence::Recurrence;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
/// 2026-11-28, a Saturday.
fn today() -> NaiveDate {
    d(2026, 11, 28)
}

fn titles(ops: &[Operation]) -> Vec<&str> {
    ops.iter().filter(|o| o.table == Table::Task).filter_map(|o| o.fields.title.as_deref()).collect()
}

#[test]
fn headings_start_projects_and_items_become_their_tasks() {
    let ops = parse(
        "# Garden\nWe want vegetables this spring.\n- buy seeds by Friday\n- [x] clear the beds\n\nProject: Newsletter\n1. Draft the first issue tomorrow\n2) pick a mailing tool",
        today(),
        &[],
    );
    let projects: Vec<_> = ops.iter().filter(|o| o.table == Table::Project).collect();
    assert_eq!(projects.len(), 2);
    assert_eq!(projects[0].fields.name.as_deref(), Some("Garden"));
    assert_eq!(projects[0].reference.as_deref(), Some("new-project-1"));
    assert_eq!(projects[0].fields.context.as_deref(), Some("We want vegetables this spring."));
    assert_eq!(projects[1].fields.name.as_deref(), Some("Newsletter"));

    let tasks: Vec<_> = ops.iter().filter(|o| o.table == Table::Task).collect();
    assert_eq!(titles(&ops), ["Buy seeds", "Clear the beds", "Draft the first issue", "Pick a mailing tool"]);
    assert_eq!(tasks[0].project, Some(ProjectRef::New("new-project-1".into())));
    assert_eq!(tasks[0].fields.due_date, Some(d(2026, 12, 4)));
    assert_eq!(tasks[1].fields.status, Some(TaskStatus::Done));
    assert_eq!(tasks[2].project, Some(ProjectRef::New("new-project-2".into())));
    assert_eq!(tasks[2].fields.start_date, Some(d(2026, 11, 29)));
    assert!(ops.iter().all(|o| o.enabled && o.error.is_none() && !o.reasoning.is_empty()));
    let ids: Vec<_> = ops.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, (1..=ops.len()).map(|i| format!("op-{i}")).collect::<Vec<_>>());
}

#[test]
fn a_heading_naming_an_existing_project_adds_to_it_instead_of_duplicating() {
    let id = Uuid::new_v4();
    let known = [KnownProject { id, name: "Garden".into() }];
    let ops = parse("## garden\n- water the tomatoes daily", today(), &known);
    assert!(ops.iter().all(|o| o.table != Table::Project));
    assert_eq!(ops[0].project, Some(ProjectRef::Existing(id)));
    assert_eq!(ops[0].fields.recurrence, Some(Recurrence::Daily));
    assert_eq!(ops[0].fields.start_date, Some(today()));
}

#[test]
fn imperative_and_intent_sentences_in_prose_become_tasks_and_the_prose_is_kept() {
    let ops = parse(
        "Feeling swamped this week. Call the bank about the mortgage. Tomorrow I need to email Sam the slides!\nShould I move house?",
        today(),
        &[],
    );
    assert_eq!(titles(&ops), ["Call the bank about the mortgage", "Email Sam the slides"]);
    let email = ops.iter().find(|o| o.fields.title.as_deref() == Some("Email Sam the slides")).unwrap();
    assert_eq!(email.fields.start_date, Some(d(2026, 11, 29)));
    let note = ops.iter().find(|o| o.table == Table::Note).expect("the paragraph is kept");
    assert!(note.fields.body.as_deref().unwrap().starts_with("Feeling swamped this week."));
    assert!(note.fields.body.as_deref().unwrap().contains("Should I move house?"));
    // Outside any project, notes go to one catch-all project.
    let holder = ops.iter().find(|o| o.table == Table::Project).unwrap();
    assert_eq!(holder.fields.name.as_deref(), Some("Brain dump notes"));
    assert_eq!(note.project, holder.reference.clone().map(ProjectRef::New));
}

#[test]
fn todo_lines_priorities_and_a_line_that_is_exactly_one_task() {
    let ops = parse("TODO: renew passport asap\nPay the electricity bill by Dec 20.", today(), &[]);
    assert_eq!(titles(&ops), ["Renew passport", "Pay the electricity bill"]);
    assert_eq!(ops[0].fields.priority, Some(Priority::High));
    assert_eq!(ops[1].fields.due_date, Some(d(2026, 12, 20)));
    assert!(ops.iter().all(|o| o.table == Table::Task), "a line that is one task needs no note: {ops:#?}");
    assert_eq!(ops[1].fields.details.as_deref(), Some("Pay the electricity bill by Dec 20."), "the line is kept");
}

#[test]
fn a_task_whose_title_is_its_line_has_no_details() {
    let ops = parse("- Water the ferns", today(), &[]);
    assert_eq!(ops[0].fields.title.as_deref(), Some("Water the ferns"));
    assert_eq!(ops[0].fields.details, None);
}

#[test]
fn empty_markers_and_blank_input_produce_nothing() {
    assert!(parse("", today(), &[]).is_empty());
    assert!(parse("\n  \n-\n#\n- [ ]\n", today(), &[]).is_empty());
}

#[test]
fn content_of_strips_only_markers() {
    assert_eq!(content_of("  - [x] done thing "), "done thing");
    assert_eq!(content_of("### Garden"), "Garden");
    assert_eq!(content_of("Project: Move"), "Move");
    assert_eq!(content_of("12. twelfth"), "twelfth");
    assert_eq!(content_of("TODO: x"), "x");
    assert_eq!(content_of("plain words"), "plain words");
}

/// Lines built from pieces that exercise every rule, in any order.
fn dump_line() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("# ".to_string()),
        Just("- ".to_string()),
        Just("- [x] ".to_string()),
        Just("1. ".to_string()),
        Just("TODO: ".to_string()),
        Just("Project: ".to_string()),
        Just("call ".to_string()),
        Just("I need to ".to_string()),
        Just("tomorrow ".to_string()),
        Just("by Friday ".to_string()),
        Just("every Monday ".to_string()),
        Just("Dec 20 ".to_string()),
        Just("12/10 ".to_string()),
        Just("2027-02-29 ".to_string()),
        Just("urgent ".to_string()),
        Just("! ".to_string()),
        Just(". ".to_string()),
        Just("? ".to_string()),
        "[a-zA-Z]{1,8} ",
        "\\PC{0,12}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|p| p.concat())
}

/// The words (runs of letters and digits) of `s`, lowercased.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Every word of every line's content is in some operation's text.
fn assert_no_word_lost(text: &str, today: NaiveDate) -> Result<(), TestCaseError> {
    let ops = parse(text, today, &[]);
    let kept: std::collections::HashSet<String> = ops.iter().flat_map(Operation::texts).flat_map(words).collect();
    for line in text.lines() {
        for w in words(content_of(line)) {
            prop_assert!(kept.contains(&w), "{:?} of line {:?} is in no operation: {:#?}", w, line, ops);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(text in "\\PC*(\n\\PC*){0,5}", days in 0u32..4000) {
        let today = d(2024, 1, 1) + chrono::Days::new(days.into());
        let _ = parse(&text, today, &[]);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&String::from_utf8_lossy(&bytes), today(), &[]);
    }

    #[test]
    fn every_word_of_every_line_ends_up_in_some_operation(lines in prop::collection::vec(dump_line(), 1..12), days in 0u32..4000) {
        let text = lines.join("\n");
        let today = d(2024, 1, 1) + chrono::Days::new(days.into());
        assert_no_word_lost(&text, today)?;
    }

    #[test]
    fn no_word_of_any_unicode_text_is_lost(text in "\\PC*(\n\\PC*){0,5}") {
        assert_no_word_lost(&text, today())?;
    }

    #[test]
    fn every_task_has_a_title_and_repeating_tasks_a_start(lines in prop::collection::vec(dump_line(), 1..12)) {
        for op in parse(&lines.join("\n"), today(), &[]) {
            if op.table == Table::Task {
                prop_assert!(op.fields.title.as_deref().is_some_and(|t| !t.trim().is_empty()), "{:?}", op);
                if op.fields.recurrence.is_some() {
                    prop_assert!(op.fields.start_date.is_some(), "{:?}", op);
                }
            }
        }
    }
}

#[test]
fn lengths_of_time_become_durations_and_leave_the_title() {
    let ops = parse(
        "- gym 45 min tomorrow\n- write the report 2h\n- call the dentist, 10 minutes\n- prep slides 1.5 hours\n- 1:1 with Jo 1h30\n- inbox zero (half an hour)\n- read for an hour",
        today(),
        &[],
    );
    let minutes: Vec<Option<i32>> =
        ops.iter().filter(|o| o.table == Table::Task).map(|o| o.fields.duration_minutes.map(|m| m.get())).collect();
    assert_eq!(minutes, [Some(45), Some(120), Some(10), Some(90), Some(90), Some(30), Some(60)]);
    assert_eq!(
        titles(&ops),
        ["Gym", "Write the report", "Call the dentist", "Prep slides", "1:1 with Jo", "Inbox zero", "Read"]
    );
}

#[test]
fn a_moment_or_a_rhythm_is_not_a_duration() {
    let ops = parse("- leave in 2 hours\n- stretch every 2 hours\n- water plants within 30 min", today(), &[]);
    assert!(ops.iter().all(|o| o.fields.duration_minutes.is_none()), "{ops:#?}");
}
