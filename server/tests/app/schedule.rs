//! Planning through API v1: a proposal with reasons, applied in part as one
//! plan, refused when it no longer fits, undone as one batch (leaving alone
//! what changed since); another person's plan and tasks are not found.

use crate::api::api_for;
use crate::support::TestApp;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Europe::Paris;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// The first Monday at least a week away (so every block is in the future,
/// whatever the hour the test runs).
fn next_monday() -> NaiveDate {
    let today = Utc::now().with_timezone(&Paris).date_naive();
    let mut d = today + Duration::days(7);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).expect("an RFC 3339 time").to_utc()
}

/// A transaction as Ada: her rows are read as their owner (row-level security).
async fn as_ada(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.user_id', (select id::text from users where email = 'ada@example.com'), true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

async fn block(pool: &PgPool, task: &str) -> (Option<DateTime<Utc>>, Option<i32>) {
    let mut tx = as_ada(pool).await;
    sqlx::query_as("select scheduled_at, duration_minutes from tasks where id = $1::uuid")
        .bind(task)
        .fetch_one(&mut *tx)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_week_is_proposed_applied_in_part_refused_when_stale_and_undone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = api_for(&app, "ada@example.com").await;
    let monday = next_monday();
    let (_, project) = ada.post("/api/v1/projects", json!({ "name": "Launch" })).await;
    let pid = project["id"].as_str().unwrap().to_string();
    let task = async |title: &str, fields: Value| {
        let mut body = json!({ "project_id": pid, "title": title });
        body.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let (status, t) = ada.post("/api/v1/tasks", body).await;
        assert_eq!(status, 201, "{t}");
        t["id"].as_str().unwrap().to_string()
    };
    let report = task(
        "Write the report",
        json!({ "due_date": (monday + Duration::days(2)).to_string(), "duration_minutes": 90, "priority": "high" }),
    )
    .await;
    let slides = task("Slides", json!({ "due_date": (monday + Duration::days(4)).to_string() })).await;
    let someday = task("Someday: a pond", json!({})).await;
    let huge = task(
        "Rewrite everything",
        json!({ "due_date": (monday + Duration::days(1)).to_string(), "duration_minutes": 2000 }),
    )
    .await;

    // A week that has not started: Monday to Sunday.
    let window = json!({ "from": monday.to_string(), "to": (monday + Duration::days(6)).to_string() });
    let (status, proposal) = ada.post("/api/v1/schedule/proposals", window.clone()).await;
    assert_eq!(status, 200, "{proposal}");
    assert_eq!(proposal["from"], monday.to_string());
    let placements = proposal["placements"].as_array().unwrap();
    let of = |id: &str| placements.iter().find(|p| p["task_id"] == id).cloned();
    let r = of(&report).expect("the report is placed");
    let s = of(&slides).expect("the slides are placed");
    assert!(of(&someday).is_none(), "a task with no date and normal priority is not planned");
    // Due first and high priority: the first free 90 minutes, Monday 09:00 in Paris.
    let start = at(&r["start"]).with_timezone(&Paris);
    assert_eq!((start.date_naive(), start.hour(), start.minute()), (monday, 9, 0), "{r}");
    assert_eq!(at(&r["end"]) - at(&r["start"]), Duration::minutes(90));
    assert!(r["reason"].as_str().unwrap().contains("high priority"), "{r}");
    // Next, after the 10-minute buffer.
    assert_eq!(at(&s["start"]), at(&r["end"]) + Duration::minutes(10), "{s}");
    assert_eq!(at(&s["end"]) - at(&s["start"]), Duration::minutes(60), "the default length");
    let unplaced = proposal["unplaced"].as_array().unwrap();
    let too_long = unplaced.iter().find(|u| u["task_id"] == huge.as_str()).expect("the 2000-minute task does not fit");
    assert!(too_long["reason"].as_str().unwrap().contains("even in parts"), "{too_long}");

    // Only the report is kept (the slides unticked).
    let keep = |p: &Value| json!({ "task_id": p["task_id"], "start": p["start"], "end": p["end"] });
    let (status, plan) = ada.post("/api/v1/schedule/plans", json!({ "placements": [keep(&r)] })).await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["blocks"], 1);
    assert_eq!(block(&pool, &report).await, (Some(at(&r["start"])), Some(90)));
    assert_eq!(block(&pool, &slides).await, (None, None), "an unticked block is not written");

    // The slides on top of the report's block: refused, nothing written.
    let clash = json!({ "task_id": slides, "start": r["start"], "end": r["end"] });
    let (status, problem) = ada.post("/api/v1/schedule/plans", json!({ "placements": [clash] })).await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("Write the report"), "{problem}");
    assert_eq!(block(&pool, &slides).await, (None, None));
    // A block in the past (a stale proposal), and one that ends before it starts.
    let past = json!({ "task_id": slides, "start": "2020-01-06T09:00:00Z", "end": "2020-01-06T10:00:00Z" });
    let (status, _) = ada.post("/api/v1/schedule/plans", json!({ "placements": [past] })).await;
    assert_eq!(status, 409);
    let backwards = json!({ "task_id": slides, "start": s["end"], "end": s["start"] });
    let (status, problem) = ada.post("/api/v1/schedule/plans", json!({ "placements": [backwards] })).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "placements");

    // Proposed again, the report keeps its block and the slides still fit.
    let (_, again) = ada.post("/api/v1/schedule/proposals", window.clone()).await;
    let kept = again["placements"].as_array().unwrap().iter().find(|p| p["task_id"] == report.as_str()).cloned();
    assert!(kept.is_none(), "a block that still fits is not proposed again: {again}");
    let s2 = again["placements"].as_array().unwrap().iter().find(|p| p["task_id"] == slides.as_str()).unwrap().clone();
    let (status, second) = ada.post("/api/v1/schedule/plans", json!({ "placements": [keep(&s2)] })).await;
    assert_eq!(status, 201, "{second}");

    // Another person finds neither the plan nor the task.
    let bea = api_for(&app, "bea@example.com").await;
    let plan_id = second["id"].as_str().unwrap();
    let (status, _) = bea.post(&format!("/api/v1/schedule/plans/{plan_id}/undo"), json!({})).await;
    assert_eq!(status, 404);
    let theirs = json!({ "task_id": slides, "start": s2["start"], "end": s2["end"] });
    let (status, _) = bea.post("/api/v1/schedule/plans", json!({ "placements": [theirs] })).await;
    assert_eq!(status, 404);
    let (status, empty) = bea.post("/api/v1/schedule/proposals", window).await;
    assert_eq!((status, empty["placements"].as_array().unwrap().len()), (StatusCode::OK, 0));
    assert_eq!(block(&pool, &slides).await.0, Some(at(&s2["start"])));

    // The first plan undone: the report goes back to no block.
    let first_id = plan["id"].as_str().unwrap();
    let (status, undone) = ada.post(&format!("/api/v1/schedule/plans/{first_id}/undo"), json!({})).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone, json!({ "restored": 1, "kept": 0 }));
    assert_eq!(block(&pool, &report).await, (None, Some(90)), "its own length stays");
    let (status, _) = ada.post(&format!("/api/v1/schedule/plans/{first_id}/undo"), json!({})).await;
    assert_eq!(status, 409, "undone once only");

    // The slides' block changed since the second plan (a new length): undo leaves it.
    let (status, _) = ada.patch(&format!("/api/v1/tasks/{slides}"), json!({ "duration_minutes": 45 })).await;
    assert_eq!(status, 200);
    let (_, undone) = ada.post(&format!("/api/v1/schedule/plans/{plan_id}/undo"), json!({})).await;
    assert_eq!(undone, json!({ "restored": 0, "kept": 1 }));
    assert_eq!(block(&pool, &slides).await, (Some(at(&s2["start"])), Some(45)));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_proposal_window_is_checked_and_the_body_may_be_left_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = api_for(&app, "ada@example.com").await;
    let today = Utc::now().with_timezone(&Paris).date_naive();
    let (status, p) = ada.send(reqwest::Method::POST, "/api/v1/schedule/proposals", None).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["from"].as_str(), p["to"].as_str()),
        (Some(&*today.to_string()), Some(&*(today + Duration::days(6)).to_string()))
    );
    // A day before today counts from today.
    let (status, p) = ada.post("/api/v1/schedule/proposals", json!({ "from": "2020-01-01" })).await;
    assert_eq!((status, p["from"].as_str()), (StatusCode::OK, Some(&*today.to_string())));
    for (body, field) in [
        (json!({ "from": (today + Duration::days(3)).to_string(), "to": today.to_string() }), "to"),
        (json!({ "to": (today + Duration::days(31)).to_string() }), "to"),
    ] {
        let (status, problem) = ada.post("/api/v1/schedule/proposals", body.clone()).await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    let (status, _) = ada.post("/api/v1/schedule/proposals", json!({ "from": "tomorrow" })).await;
    assert_eq!(status, 422);
    // `null` is a left-out body; an array is not a window (serde alone would read one).
    let (status, p) = ada.post("/api/v1/schedule/proposals", Value::Null).await;
    assert_eq!((status, p["from"].as_str()), (StatusCode::OK, Some(&*today.to_string())));
    let (status, _) = ada.post("/api/v1/schedule/proposals", json!([null, null])).await;
    assert_eq!(status, 422);
    let (status, problem) = ada.post("/api/v1/schedule/plans", json!({ "placements": [] })).await;
    assert_eq!(status, 422, "{problem}");
}

#[sqlx::test(migrations = "../migrations")]
async fn planning_preferences_are_saved_checked_field_by_field_and_used(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let prefs = app.ok(&c, "get_scheduling_preferences", &[]).await;
    assert_eq!(prefs["hours"][0], json!({ "start": "09:00:00", "end": "17:00:00" }), "Monday 09–17 by default");
    assert_eq!(prefs["hours"][5], Value::Null, "Saturday off by default");

    // Each mistake is named by its field, and nothing is saved.
    let valid = [
        ("hours[mon][start]", "10:00"),
        ("hours[mon][end]", "12:30"),
        ("hours[tue][start]", "09:00"),
        ("hours[tue][end]", "17:00"),
        ("buffer_minutes", "0"),
        ("default_minutes", "30"),
        ("max_day_hours", "2.5"),
        ("days_off", "2026-12-24, 2026-12-25"),
        ("split_minutes", "45"),
    ];
    for (field, value, named) in [
        ("hours[tue][end]", "08:00", "tue_start"),
        ("hours[tue][end]", "", "tue_start"),
        ("buffer_minutes", "500", "buffer_minutes"),
        ("default_minutes", "lots", "default_minutes"),
        ("max_day_hours", "0.1", "max_day_hours"),
        ("days_off", "Christmas", "days_off"),
        ("split_minutes", "5", "split_minutes"),
    ] {
        let form: Vec<_> = valid.iter().map(|&(k, v)| if k == field { (k, value) } else { (k, v) }).collect();
        let err = app.call(&c, "save_scheduling_preferences", &form).await.unwrap_err();
        assert!(err.field_message(named).is_some(), "{field}={value:?} names {named}: {err:?}");
    }
    assert_eq!(app.ok(&c, "get_scheduling_preferences", &[]).await, prefs);

    app.ok(&c, "save_scheduling_preferences", &valid).await;
    let saved = app.ok(&c, "get_scheduling_preferences", &[]).await;
    assert_eq!(saved["hours"][0], json!({ "start": "10:00:00", "end": "12:30:00" }));
    assert_eq!(saved["hours"][2], Value::Null, "a day left out of the form is a day off");
    assert_eq!((saved["buffer_minutes"].as_i64(), saved["default_minutes"].as_i64()), (Some(0), Some(30)));
    assert_eq!(saved["max_day_minutes"], 150);
    assert_eq!(saved["days_off"], json!(["2026-12-24", "2026-12-25"]));
    assert_eq!(saved["split_minutes"], 45);

    // The planner follows them: Monday from 10:00, 30-minute blocks back to back.
    let monday = next_monday();
    let (pid, _) = app.project(&c, "Launch").await;
    let due = (monday + Duration::days(1)).to_string();
    for title in ["One", "Two"] {
        app.task(&c, &pid, &[("title", title), ("due_date", &due)]).await;
    }
    let p = app.ok(&c, "propose_plan", &[("week", &monday.to_string())]).await;
    let starts: Vec<_> =
        p["placements"].as_array().unwrap().iter().map(|b| at(&b["start"]).with_timezone(&Paris)).collect();
    assert_eq!(starts.len(), 2, "{p}");
    assert_eq!((starts[0].date_naive(), starts[0].hour(), starts[0].minute()), (monday, 10, 0));
    assert_eq!(starts[1] - starts[0], Duration::minutes(30), "no buffer");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_brief_has_todays_schedule_and_the_tasks_at_risk(pool: PgPool) {
    use domain::brain_dump::llm::Engine;
    use domain::brief::service::generate;
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let (pid, _) = app.project(&c, "Launch").await;
    let today = Utc::now().with_timezone(&Paris).date_naive();
    let d = |days: i64| (today + Duration::days(days)).to_string();
    let huge = app.task(&c, &pid, &[("title", "Huge report"), ("due_date", &d(2)), ("duration_minutes", "600")]).await;
    app.task(&c, &pid, &[("title", "Someday")]).await;
    app.task(&c, &pid, &[("title", "Later"), ("due_date", &d(20)), ("duration_minutes", "600")]).await;
    let prep = app.task(&c, &pid, &[("title", "Stand-up prep")]).await;
    app.ok(&c, "schedule_task", &[("id", &prep), ("start", &format!("{today}T12:00")), ("minutes", "30")]).await;

    let user_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    // A block a plan placed (not pinned) yesterday, the task still open. The
    // brief moves it within this week (what its link re-plans): working every
    // day, so that there is room whatever today is (but in Sunday's last half hour).
    let mut every_day: Vec<(String, String)> =
        [("buffer_minutes", "10"), ("default_minutes", "30"), ("max_day_hours", "6")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        every_day.push((format!("hours[{day}][start]"), "00:00".into()));
        every_day.push((format!("hours[{day}][end]"), "23:59".into()));
    }
    let form: Vec<(&str, &str)> = every_day.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.ok(&c, "save_scheduling_preferences", &form).await;
    let missed = app.task(&c, &pid, &[("title", "Missed block")]).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.user_id', $1, true)")
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("update tasks set scheduled_at = now() - interval '1 day', duration_minutes = 30 where id = $1::uuid")
        .bind(&missed)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let id = app.ok(&c, "generate_brief", &[]).await.as_str().unwrap().to_string();
    generate(&pool, user_id, id.parse().unwrap(), &Engine::Offline).await.unwrap();
    let brief = app.ok(&c, "get_brief", &[("id", &id)]).await;
    assert_eq!(
        brief["content"]["schedule"],
        json!([{ "time": "12:00–12:30", "title": "Stand-up prep", "task_id": prep }]),
        "{brief}"
    );
    let at_risk = brief["content"]["at_risk"].as_array().unwrap();
    assert_eq!(at_risk.len(), 1, "only tasks due within the week: {at_risk:?}");
    assert_eq!((at_risk[0]["task_id"].as_str(), at_risk[0]["due_date"].as_str()), (Some(&*huge), Some(&*d(2))));
    assert!(at_risk[0]["reason"].as_str().unwrap().contains("more than your daily maximum"), "{}", at_risk[0]);
    // The worker's brief proposes the re-plan of the block that is now in the past.
    let moves = brief["content"]["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!((moves[0]["task_id"].as_str(), moves[0]["why"].as_str()), (Some(&*missed), Some("its time has passed")));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_event_landing_on_a_planned_block_is_flagged_and_the_next_plan_moves_the_block(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let monday = next_monday();
    let (pid, _) = app.project(&c, "Launch").await;
    let report =
        app.task(&c, &pid, &[("title", "Report"), ("due_date", &(monday + Duration::days(2)).to_string())]).await;
    let week = monday.to_string();
    let p = app.ok(&c, "propose_plan", &[("week", &week)]).await;
    let b = &p["placements"][0];
    assert_eq!(b["task_id"], report.as_str(), "{p}");
    // Applied through the page's form: blocks[b-<id>][start|end|on].
    let (start, end) = (b["start"].as_str().unwrap(), b["end"].as_str().unwrap());
    let key = |part: &str| format!("blocks[b-{report}][{part}]");
    let unticked = [("week", week.as_str()), (&key("start"), start), (&key("end"), end)];
    let err = app.call(&c, "apply_plan", &unticked).await.unwrap_err();
    assert!(err.field_message("placements").is_some(), "{err:?}");
    let form = [("week", week.as_str()), (&key("start"), start), (&key("end"), end), (&key("on"), "on")];
    app.ok(&c, "apply_plan", &form).await;
    let w = app.ok(&c, "get_calendar_week", &[("week", &week)]).await;
    assert_eq!(w["clashes"], json!([]));

    // A meeting is added over the block.
    let fmt = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let block_at = at(&b["start"]);
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:m1\r\nSUMMARY:Board meeting\r\n\
         DTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        fmt(block_at - Duration::minutes(30)),
        fmt(block_at + Duration::minutes(30))
    );
    let form = reqwest::multipart::Form::new()
        .text("name", "Work")
        .part("file", reqwest::multipart::Part::text(ics).file_name("work.ics"));
    let r = c.post(app.url("/calendar/import")).header("origin", app.url("")).multipart(form).send().await.unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let w = app.ok(&c, "get_calendar_week", &[("week", &week)]).await;
    assert_eq!(w["clashes"], json!(["Report"]));

    // Planned again, the block moves past the meeting (and the buffer), with why.
    let p = app.ok(&c, "propose_plan", &[("week", &week)]).await;
    let moved = &p["placements"][0];
    assert_eq!((moved["task_id"].as_str(), moved["moved_from"].as_str()), (Some(&*report), Some(start)), "{p}");
    assert_eq!(at(&moved["start"]), block_at + Duration::minutes(40));
    assert!(moved["reason"].as_str().unwrap().starts_with("moved"), "{moved}");
}

/// A subtask as (title, start, minutes, deleted, id).
type Subtask = (String, Option<DateTime<Utc>>, Option<i32>, bool, uuid::Uuid);

/// The subtasks of `task`, by title.
async fn parts(pool: &PgPool, task: &str) -> Vec<Subtask> {
    let mut tx = as_ada(pool).await;
    sqlx::query_as(
        "select title, scheduled_at, duration_minutes, deleted_at is not null, id from tasks
         where parent_task_id = $1::uuid order by title",
    )
    .bind(task)
    .fetch_all(&mut *tx)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_long_task_is_split_into_parts_applied_as_subtasks_and_undone(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let monday = next_monday();
    let week = monday.to_string();
    let (pid, _) = app.project(&c, "Launch").await;
    let due = (monday + Duration::days(1)).to_string();
    let report =
        app.task(&c, &pid, &[("title", "Write the report"), ("due_date", &due), ("duration_minutes", "480")]).await;

    // Eight hours against six a day: Monday 09:00–15:00 and Tuesday 09:00–11:00 in Paris.
    let p = app.ok(&c, "propose_plan", &[("week", &week)]).await;
    let blocks = p["placements"].as_array().unwrap().clone();
    assert_eq!(blocks.len(), 2, "{p}");
    let local = |v: &Value| at(v).with_timezone(&Paris).format("%a %H:%M").to_string();
    let shown: Vec<_> = blocks.iter().map(|b| (local(&b["start"]), local(&b["end"]), b["part"].clone())).collect();
    assert_eq!(
        shown,
        [
            ("Mon 09:00".into(), "Mon 15:00".into(), json!({ "n": 1, "of": 2 })),
            ("Tue 09:00".into(), "Tue 11:00".into(), json!({ "n": 2, "of": 2 }))
        ]
    );
    assert!(blocks[0]["reason"].as_str().unwrap().contains("part 1 of 2"), "{}", blocks[0]);

    // The page's form: one key per part, each saying which part it is.
    let mut form: Vec<(String, String)> = vec![("week".into(), week.clone())];
    for b in &blocks {
        let key = format!("b-{report}-{}", b["part"]["n"]);
        for (name, value) in [
            ("start", b["start"].as_str().unwrap().to_string()),
            ("end", b["end"].as_str().unwrap().to_string()),
            ("part", format!("{}/{}", b["part"]["n"], b["part"]["of"])),
            ("on", "on".into()),
        ] {
            form.push((format!("blocks[{key}][{name}]"), value));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // A part given twice is refused, and nothing is written.
    let mut twice = pairs.clone();
    twice.iter_mut().filter(|(k, _)| k.ends_with("[part]")).for_each(|(_, v)| *v = "1/2");
    let err = app.call(&c, "apply_plan", &twice).await.unwrap_err();
    assert!(err.field_message("placements").is_some(), "{err:?}");
    assert!(parts(&pool, &report).await.is_empty());

    app.ok(&c, "apply_plan", &pairs).await;
    let made = parts(&pool, &report).await;
    let titles: Vec<_> =
        made.iter().map(|p| (p.0.as_str(), p.1.map(|t| t == at(&blocks[0]["start"])), p.2, p.3)).collect();
    assert_eq!(
        titles,
        [
            ("Write the report (part 1 of 2)", Some(true), Some(360), false),
            ("Write the report (part 2 of 2)", Some(false), Some(120), false)
        ]
    );
    assert_eq!(block(&pool, &report).await, (None, Some(480)), "the task keeps its length and has no block itself");

    // Planned again, nothing moves: the parts still fit, the task is planned through them.
    let again = app.ok(&c, "propose_plan", &[("week", &week)]).await;
    assert_eq!(again["placements"], json!([]), "{again}");

    // A subtask is never split: parts for a part are refused.
    let part_id = made[0].4;
    let start = (monday + Duration::days(3)).to_string();
    let key = |name: &str| format!("blocks[b-{part_id}-1][{name}]");
    let (from, to) = (format!("{start}T08:00:00Z"), format!("{start}T09:00:00Z"));
    let split_part = [
        ("week", week.as_str()),
        (&key("start"), &from),
        (&key("end"), &to),
        (&key("part"), "1/2"),
        (&key("on"), "on"),
    ];
    let err = app.call(&c, "apply_plan", &split_part).await.unwrap_err();
    assert_eq!(err.field_message("placements").as_deref(), Some("A subtask cannot be split into parts."), "{err:?}");

    // Undone: the parts go to the bin, the task is as it was and is planned again.
    let mut tx = as_ada(&pool).await;
    let plan_id: uuid::Uuid = sqlx::query_scalar("select id from schedule_plans").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    app.ok(&c, "undo_plan", &[("id", &plan_id.to_string()), ("week", &week)]).await;
    assert!(parts(&pool, &report).await.iter().all(|p| p.3), "both parts deleted");
    assert_eq!(block(&pool, &report).await, (None, Some(480)));
    let p = app.ok(&c, "propose_plan", &[("week", &week)]).await;
    assert_eq!(p["placements"].as_array().unwrap().len(), 2, "{p}");

    // Two tasks that had blocks, split in one plan with their parts interleaved.
    let slides = app.task(&c, &pid, &[("title", "Slides"), ("due_date", &due), ("duration_minutes", "120")]).await;
    let form = |day: NaiveDate, blocks: &[(&str, u32, &str)]| -> Vec<(String, String)> {
        let mut form = vec![("week".to_string(), week.clone())];
        for (i, (task, hour, part)) in blocks.iter().enumerate() {
            let key = format!("blocks[b-{task}-{i}]");
            form.push((format!("{key}[start]"), format!("{day}T{hour:02}:00:00Z")));
            form.push((format!("{key}[end]"), format!("{day}T{:02}:00:00Z", hour + 1)));
            form.push((format!("{key}[part]"), part.to_string()));
            form.push((format!("{key}[on]"), "on".into()));
        }
        form
    };
    let call = async |form: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        app.ok(&c, "apply_plan", &pairs).await;
    };
    call(form(monday + Duration::days(3), &[(&report, 6, ""), (&slides, 8, "")])).await;
    let friday = monday + Duration::days(4);
    call(form(friday, &[(&report, 6, "1/2"), (&slides, 7, "1/2"), (&report, 8, "2/2"), (&slides, 9, "2/2")])).await;
    assert_eq!(block(&pool, &report).await.0, None, "the report gave up its block");
    assert_eq!(block(&pool, &slides).await.0, None, "the slides gave up theirs");
    let live = |parts: Vec<Subtask>| parts.into_iter().filter(|p| !p.3).map(|p| p.0).collect::<Vec<_>>();
    assert_eq!(live(parts(&pool, &slides).await), ["Slides (part 1 of 2)", "Slides (part 2 of 2)"]);
    assert_eq!(live(parts(&pool, &report).await).len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_calendar_marked_as_holidays_makes_its_all_day_events_days_off(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let monday = next_monday();
    let week = monday.to_string();
    let (pid, _) = app.project(&c, "Launch").await;
    app.task(&c, &pid, &[("title", "Report"), ("due_date", &(monday + Duration::days(2)).to_string())]).await;
    // A country's holiday calendar: one all-day event on Monday.
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:h1\r\nSUMMARY:Holiday\r\n\
         DTSTART;VALUE=DATE:{}\r\nDTEND;VALUE=DATE:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        monday.format("%Y%m%d"),
        (monday + Duration::days(1)).format("%Y%m%d")
    );
    let form = reqwest::multipart::Form::new()
        .text("name", "Public holidays")
        .part("file", reqwest::multipart::Part::text(ics).file_name("holidays.ics"));
    let r = c.post(app.url("/calendar/import")).header("origin", app.url("")).multipart(form).send().await.unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let day_of_first_block = async || {
        let p = app.ok(&c, "propose_plan", &[("week", &week)]).await;
        at(&p["placements"][0]["start"]).with_timezone(&Paris).date_naive()
    };
    // An all-day event does not block time by itself.
    assert_eq!(day_of_first_block().await, monday);

    let w = app.ok(&c, "get_calendar_week", &[("week", &week)]).await;
    let id = w["sources"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(w["sources"][0]["holidays"], false);
    app.ok(&c, "set_holiday_calendar", &[("id", &id), ("on", "true")]).await;
    assert_eq!(day_of_first_block().await, monday + Duration::days(1), "Monday is a day off");
    app.ok(&c, "set_holiday_calendar", &[("id", &id), ("on", "false")]).await;
    assert_eq!(day_of_first_block().await, monday);

    // Another person's calendar is not found.
    let bea = app.signed_up("bea@example.com").await;
    let err = app.call(&bea, "set_holiday_calendar", &[("id", &id), ("on", "true")]).await.unwrap_err();
    assert_eq!(format!("{err:?}"), "NotFound");
}
