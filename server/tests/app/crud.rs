//! Projects, tasks and notes: create, edit, complete (with recurrence), soft delete and undo, dashboard.

use crate::support::TestApp;
use chrono::{Days, Utc};
use domain::Error as AppError;
use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn projects_are_created_edited_and_get_unique_slugs(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (id, slug) = app.project(&c, "Garden Plan").await;
    assert_eq!(slug, "garden-plan");
    let (_, second) = app.project(&c, "Garden plan!").await;
    assert_eq!(second, "garden-plan-2");

    app.ok(
        &c,
        "update_project",
        &[
            ("id", &id),
            ("name", "Vegetable garden"),
            ("context", "# Goals\n\nGrow **tomatoes**.<script>alert(1)</script>"),
            ("status", "paused"),
            ("tags", "Home, outdoors"),
            ("start_date", "2026-03-01"),
            ("end_date", "2026-09-30"),
        ],
    )
    .await;
    let d = app.ok(&c, "get_project", &[("slug", "vegetable-garden")]).await;
    let p = &d["project"];
    assert_eq!(p["status"], "paused");
    assert_eq!(p["tags"], serde_json::json!(["home", "outdoors"]));
    assert_eq!(p["start_date"], "2026-03-01");
    let html = p["context_html"].as_str().unwrap();
    assert!(html.contains("<strong>tomatoes</strong>"), "{html}");
    assert!(!html.contains("<script"), "markdown is sanitised: {html}");
    // The old slug is gone once renamed.
    assert_eq!(app.call(&c, "get_project", &[("slug", "garden-plan")]).await, Err(AppError::NotFound));
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_project_input_names_fields_keeps_the_text_and_changes_nothing(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let long = "x".repeat(201);
    let err = app
        .call(
            &c,
            "create_project",
            &[("name", &long), ("context", "keep me"), ("start_date", "2026-05-01"), ("end_date", "2026-04-01")],
        )
        .await
        .unwrap_err();
    assert!(err.field_message("name").unwrap().contains("too long"));
    assert!(err.field_message("end_date").unwrap().contains("before the start date"));
    assert_eq!(err.input("context").as_deref(), Some("keep me"));
    assert_eq!(err.input("name").as_deref(), Some(long.as_str()));
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);

    let err = app.call(&c, "create_project", &[("name", "  ")]).await.unwrap_err();
    assert_eq!(err.field_message("name").as_deref(), Some("Name is required."));
}

#[sqlx::test(migrations = "../migrations")]
async fn tasks_are_created_edited_and_validated(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Launch").await;
    let id = app.task(&c, &pid, &[("title", "Write copy"), ("priority", "high"), ("due_date", "2026-12-01")]).await;
    let t = app.ok(&c, "get_task", &[("id", &id)]).await;
    assert_eq!(
        (t["priority"].as_str(), t["due_date"].as_str(), t["status"].as_str()),
        (Some("high"), Some("2026-12-01"), Some("backlog"))
    );

    app.ok(
        &c,
        "update_task",
        &[
            ("id", &id),
            ("title", "Write launch copy"),
            ("status", "in_progress"),
            ("duration_minutes", "90"),
            ("details", "Tone: warm"),
        ],
    )
    .await;
    let t = app.ok(&c, "get_task", &[("id", &id)]).await;
    assert_eq!(t["title"], "Write launch copy");
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["duration_minutes"], 90);
    assert_eq!(t["details"], "Tone: warm");

    let err = app
        .call(
            &c,
            "update_task",
            &[("id", &id), ("title", ""), ("due_date", "2026-02-30"), ("recurrence", "weekly"), ("priority", "urgent")],
        )
        .await
        .unwrap_err();
    for field in ["title", "due_date", "start_date", "priority"] {
        assert!(err.field_message(field).is_some(), "{field} should be named: {err:?}");
    }
    assert_eq!(err.input("due_date").as_deref(), Some("2026-02-30"));
    let t = app.ok(&c, "get_task", &[("id", &id)]).await;
    assert_eq!(t["title"], "Write launch copy", "a rejected edit changes nothing");
}

async fn open_and_done(app: &TestApp, c: &reqwest::Client, pid: &str) -> (Vec<Value>, Vec<Value>) {
    app.tasks_of(c, pid).await.into_iter().partition(|t| t["status"] != "done")
}

#[sqlx::test(migrations = "../migrations")]
async fn completing_a_monthly_task_on_the_31st_creates_the_next_occurrence_once(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Bills").await;
    let id = app
        .task(
            &c,
            &pid,
            &[
                ("title", "Pay rent"),
                ("start_date", "2027-01-31"),
                ("due_date", "2027-02-02"),
                ("recurrence", "monthly"),
            ],
        )
        .await;
    app.complete(&c, &id).await;
    app.complete(&c, &id).await; // a double click creates nothing more
    let (open, done) = open_and_done(&app, &c, &pid).await;
    assert_eq!(done.len(), 1);
    assert_eq!(open.len(), 1, "exactly one next occurrence");
    assert_eq!(open[0]["start_date"], "2027-02-28");
    assert_eq!(open[0]["due_date"], "2027-03-02", "the due date keeps its offset");
    assert_eq!(open[0]["recurrence"], "monthly");

    // From Feb 28 the series returns to the 31st.
    let next = open[0]["id"].as_str().unwrap().to_string();
    app.complete(&c, &next).await;
    let (open, _) = open_and_done(&app, &c, &pid).await;
    assert_eq!(open[0]["start_date"], "2027-03-31");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_yearly_leap_day_task_lands_on_feb_28_and_stops_at_its_end(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Birthdays").await;
    let id = app
        .task(
            &c,
            &pid,
            &[
                ("title", "Leap birthday"),
                ("start_date", "2028-02-29"),
                ("recurrence", "yearly"),
                ("recurrence_end", "2029-12-31"),
            ],
        )
        .await;
    app.complete(&c, &id).await;
    let (open, _) = open_and_done(&app, &c, &pid).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["start_date"], "2029-02-28");
    // The next one (2030) would be after the series' end: none is created.
    let next = open[0]["id"].as_str().unwrap().to_string();
    app.complete(&c, &next).await;
    let (open, done) = open_and_done(&app, &c, &pid).await;
    assert_eq!((open.len(), done.len()), (0, 2));
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_is_soft_and_can_be_undone(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, slug) = app.project(&c, "Move house").await;
    let tid = app.task(&c, &pid, &[("title", "Book van")]).await;
    app.ok(&c, "create_note", &[("project_id", &pid), ("title", "Movers"), ("body", "Call Tuesday")]).await;
    let nid = app.ok(&c, "get_project", &[("slug", &slug)]).await["notes"][0]["id"].as_str().unwrap().to_string();

    app.ok(&c, "set_deleted", &[("item", "task"), ("id", &tid), ("deleted", "true")]).await;
    assert_eq!(app.call(&c, "get_task", &[("id", &tid)]).await, Err(AppError::NotFound));
    app.ok(&c, "set_deleted", &[("item", "task"), ("id", &tid), ("deleted", "false")]).await;
    assert_eq!(app.ok(&c, "get_task", &[("id", &tid)]).await["title"], "Book van");

    app.ok(&c, "set_deleted", &[("item", "note"), ("id", &nid), ("deleted", "true")]).await;
    assert_eq!(app.ok(&c, "get_project", &[("slug", &slug)]).await["notes"].as_array().unwrap().len(), 0);
    app.ok(&c, "set_deleted", &[("item", "note"), ("id", &nid), ("deleted", "false")]).await;
    assert_eq!(app.ok(&c, "get_project", &[("slug", &slug)]).await["notes"][0]["body"], "Call Tuesday");

    app.ok(&c, "set_deleted", &[("item", "project"), ("id", &pid), ("deleted", "true")]).await;
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
    assert_eq!(app.call(&c, "get_project", &[("slug", &slug)]).await, Err(AppError::NotFound));
    app.ok(&c, "set_deleted", &[("item", "project"), ("id", &pid), ("deleted", "false")]).await;
    let d = app.ok(&c, "get_project", &[("slug", &slug)]).await;
    assert_eq!(d["tasks"].as_array().unwrap().len(), 1, "its tasks come back with it");
}

#[sqlx::test(migrations = "../migrations")]
async fn notes_are_validated_and_edited(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, slug) = app.project(&c, "Reading").await;
    let err =
        app.call(&c, "create_note", &[("project_id", &pid), ("title", "Kept title"), ("body", " ")]).await.unwrap_err();
    assert_eq!(err.field_message("body").as_deref(), Some("Note is required."));
    assert_eq!(err.input("title").as_deref(), Some("Kept title"));
    app.ok(&c, "create_note", &[("project_id", &pid), ("body", "Dune")]).await;
    let nid = app.ok(&c, "get_project", &[("slug", &slug)]).await["notes"][0]["id"].as_str().unwrap().to_string();
    app.ok(&c, "update_note", &[("id", &nid), ("title", "Sci-fi"), ("body", "Dune, Hyperion")]).await;
    let note = &app.ok(&c, "get_project", &[("slug", &slug)]).await["notes"][0];
    assert_eq!((note["title"].as_str(), note["body"].as_str()), (Some("Sci-fi"), Some("Dune, Hyperion")));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_dashboard_sorts_tasks_into_today_overdue_upcoming_and_completed(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    // The account is in Europe/Paris: "today" is Paris' date.
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let (pid, _) = app.project(&c, "Week").await;
    let day = |n: i64| if n >= 0 { today + Days::new(n as u64) } else { today - Days::new((-n) as u64) };
    let (d_today, d_past, d_soon, d_far) =
        (day(0).to_string(), day(-2).to_string(), day(3).to_string(), day(30).to_string());
    app.task(&c, &pid, &[("title", "Due today"), ("due_date", &d_today)]).await;
    app.task(&c, &pid, &[("title", "Late"), ("due_date", &d_past)]).await;
    app.task(&c, &pid, &[("title", "Soon"), ("start_date", &d_soon)]).await;
    app.task(&c, &pid, &[("title", "Far away"), ("due_date", &d_far)]).await;
    let done = app.task(&c, &pid, &[("title", "Finished")]).await;
    app.complete(&c, &done).await;

    let dash = app.ok(&c, "get_dashboard", &[]).await;
    let titles = |s: &str| {
        dash["lists"][s]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles("today"), ["Due today"]);
    assert_eq!(titles("overdue"), ["Late"]);
    assert_eq!(titles("upcoming"), ["Soon"]);
    assert_eq!(titles("completed"), ["Finished"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn marking_a_recurring_task_done_in_the_editor_brings_it_back_too(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Chores").await;
    let id = app.task(&c, &pid, &[("title", "Bins out"), ("start_date", "2027-01-05"), ("recurrence", "weekly")]).await;
    let form = [
        ("id", id.as_str()),
        ("title", "Bins out"),
        ("start_date", "2027-01-05"),
        ("recurrence", "weekly"),
        ("status", "done"),
    ];
    app.ok(&c, "update_task", &form).await;
    app.ok(&c, "update_task", &form).await; // saving again creates nothing more
    let (open, done) = open_and_done(&app, &c, &pid).await;
    assert_eq!((open.len(), done.len()), (1, 1));
    assert_eq!(open[0]["start_date"], "2027-01-12");
}

#[sqlx::test(migrations = "../migrations")]
async fn moving_a_monthly_tasks_start_moves_its_series(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Bills").await;
    let id = app.task(&c, &pid, &[("title", "Rent"), ("start_date", "2027-01-31"), ("recurrence", "monthly")]).await;
    app.ok(
        &c,
        "update_task",
        &[("id", &id), ("title", "Rent"), ("start_date", "2027-02-10"), ("recurrence", "monthly")],
    )
    .await;
    app.complete(&c, &id).await;
    let (open, _) = open_and_done(&app, &c, &pid).await;
    assert_eq!(open[0]["start_date"], "2027-03-10", "the series follows the new day, not the 31st");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_task_that_started_already_shows_today_even_when_due_later(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let (pid, _) = app.project(&c, "Thesis").await;
    let (start, due) = ((today - Days::new(3)).to_string(), (today + Days::new(21)).to_string());
    app.task(&c, &pid, &[("title", "Write chapter 2"), ("start_date", &start), ("due_date", &due)]).await;
    let dash = app.ok(&c, "get_dashboard", &[]).await;
    assert_eq!(dash["lists"]["today"][0]["title"], "Write chapter 2", "{dash}");
}
