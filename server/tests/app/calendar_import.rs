//! Calendars brought in by address (a fake calendar server on 127.0.0.1) or
//! upload, the week the calendar page shows, moving a task, and what must
//! not work (private addresses by default, other people's calendars).

use crate::support::TestApp;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{Datelike, Days, NaiveDate, Utc};
use domain::Error as AppError;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};

/// Next week's Monday (so every event is inside the import window).
fn next_monday() -> NaiveDate {
    let today = Utc::now().date_naive();
    today + Days::new(u64::from(7 - today.weekday().num_days_from_monday()))
}

fn ics(events: &[(&str, &str, String, String)]) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fake//EN\r\n");
    for (uid, summary, start, end) in events {
        s += &format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\nDTSTART:{start}\r\nDTEND:{end}\r\nEND:VEVENT\r\n"
        );
    }
    s + "END:VCALENDAR\r\n"
}

fn utc(day: NaiveDate, hm: &str) -> String {
    format!("{}T{hm}00Z", day.format("%Y%m%d"))
}

/// A calendar server whose answer the test can change: (status, body).
async fn fake_calendar(body: String) -> (String, Arc<Mutex<(StatusCode, String)>>) {
    let state = Arc::new(Mutex::new((StatusCode::OK, body)));
    async fn serve(State(s): State<Arc<Mutex<(StatusCode, String)>>>) -> impl IntoResponse {
        let (status, body) = s.lock().unwrap().clone();
        (status, [("content-type", "text/calendar")], body)
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/work.ics", get(serve)).with_state(state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/work.ics"), state)
}

async fn week(app: &TestApp, c: &reqwest::Client, monday: NaiveDate) -> Value {
    app.ok(c, "get_calendar_week", &[("week", &monday.to_string())]).await
}

/// (day index, summary, time) of every event in a week.
fn events_of(w: &Value) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (i, d) in w["days"].as_array().unwrap().iter().enumerate() {
        for e in d["events"].as_array().unwrap() {
            out.push((i, e["summary"].as_str().unwrap().to_string(), e["time"].as_str().unwrap().to_string()));
        }
    }
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn an_address_calendar_is_read_refreshed_and_keeps_its_events_when_a_refresh_fails(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool.clone()).await; // Ada is in Europe/Paris
    let monday = next_monday();
    let tuesday = monday + Days::new(1);
    let (url, fake) = fake_calendar(ics(&[("a", "Planning", utc(monday, "0900"), utc(monday, "1000"))])).await;
    app.ok(&c, "add_calendar_url", &[("name", "Work"), ("url", &url)]).await;
    let w = week(&app, &c, monday).await;
    assert_eq!(w["monday"], monday.to_string());
    assert_eq!(events_of(&w), [(0, "Planning".to_string(), "10:00–11:00".to_string())], "in Paris time");
    assert_eq!(w["sources"][0]["name"], "Work");
    assert_eq!(w["sources"][0]["events"], 1);

    // The calendar changes; refreshed, the week follows.
    fake.lock().unwrap().1 = ics(&[
        ("a", "Planning (moved)", utc(tuesday, "1300"), utc(tuesday, "1400")),
        ("b", "Review", utc(monday, "1500"), utc(monday, "1530")),
    ]);
    let id = w["sources"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.ok(&c, "refresh_calendar", &[("id", &id)]).await, 2);
    let mut got = events_of(&week(&app, &c, monday).await);
    got.sort();
    assert_eq!(
        got,
        [(0, "Review".to_string(), "16:00–16:30".to_string()), (1, "Planning (moved)".into(), "14:00–15:00".into())]
    );

    // The server fails: the error is named on the calendar, the events stay.
    *fake.lock().unwrap() = (StatusCode::INTERNAL_SERVER_ERROR, String::new());
    assert!(matches!(app.call(&c, "refresh_calendar", &[("id", &id)]).await, Err(AppError::Upstream(_))));
    let w = week(&app, &c, monday).await;
    assert!(w["sources"][0]["error"].as_str().unwrap().contains("500"), "{}", w["sources"][0]);
    assert_eq!(events_of(&w).len(), 2);

    // The worker's hourly tick picks up calendars not refreshed for an hour.
    assert!(domain::calendar::import::stale_sources(&pool).await.unwrap().is_empty());
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    sqlx::query("update calendar_sources set refreshed_at = now() - interval '2 hours'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stale = domain::calendar::import::stale_sources(&pool).await.unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].0.to_string(), id);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_addresses_and_files_are_refused_by_field_and_add_nothing(pool: PgPool) {
    let app = TestApp::builder(pool).calendar_fetch_private(false).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let (url, _) = fake_calendar(ics(&[])).await;
    let refused = |r: Result<Value, AppError>, field: &str, words: &str| match r {
        Err(AppError::Validation(inv)) => {
            let f = inv.fields.iter().find(|f| f.field == field).unwrap_or_else(|| panic!("{inv:?}"));
            assert!(f.message.contains(words), "{}", f.message);
        }
        other => panic!("{other:?}"),
    };
    refused(app.call(&c, "add_calendar_url", &[("name", "Mine"), ("url", &url)]).await, "url", "private network");
    refused(
        app.call(&c, "add_calendar_url", &[("name", "Mine"), ("url", "ftp://example.com/x.ics")]).await,
        "url",
        "https://",
    );
    refused(
        app.call(&c, "add_calendar_url", &[("name", ""), ("url", "https://example.com/x.ics")]).await,
        "name",
        "name",
    );
    let w = week(&app, &c, next_monday()).await;
    assert_eq!(w["sources"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_uploaded_file_is_a_calendar_and_other_people_never_see_it(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let bob = app.signed_up("bob@example.com").await;
    let monday = next_monday();
    let upload = |c: &reqwest::Client, name: &str, body: String| {
        let form = reqwest::multipart::Form::new()
            .text("name", name.to_string())
            .part("file", reqwest::multipart::Part::text(body).file_name("cal.ics"));
        let req = c.post(app.url("/calendar/import")).header("origin", app.url("")).multipart(form);
        async move { req.send().await.unwrap() }
    };
    let done = upload(&ada, "Holidays", ics(&[("h", "Dentist", utc(monday, "0900"), utc(monday, "1000"))])).await;
    let location = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!((done.status().as_u16(), location(&done)), (303, "/calendar#calendars".to_string()));
    let w = week(&app, &ada, monday).await;
    assert_eq!(events_of(&w).len(), 1);
    assert_eq!(w["sources"][0]["url"], Value::Null);

    let bad = upload(&ada, "Junk", "<html>not a calendar</html>".into()).await;
    assert!(location(&bad).contains("import_error=This+is+not+an+iCalendar"), "{}", location(&bad));
    assert!(location(&bad).contains("import_name=Junk"), "the name typed comes back: {}", location(&bad));
    assert_eq!(week(&app, &ada, monday).await["sources"].as_array().unwrap().len(), 1, "nothing added");

    // Bob sees none of it and cannot remove or refresh it.
    let wb = week(&app, &bob, monday).await;
    assert!(events_of(&wb).is_empty() && wb["sources"].as_array().unwrap().is_empty());
    let id = w["sources"][0]["id"].as_str().unwrap();
    assert_eq!(app.call(&bob, "remove_calendar", &[("id", id)]).await, Err(AppError::NotFound));
    assert_eq!(app.call(&bob, "refresh_calendar", &[("id", id)]).await, Err(AppError::NotFound));
    app.ok(&ada, "remove_calendar", &[("id", id)]).await;
    assert!(events_of(&week(&app, &ada, monday).await).is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn moving_a_task_on_the_calendar_keeps_its_due_date_distance(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Garden").await;
    let monday = next_monday();
    let (tue, thu) = (monday + Days::new(1), monday + Days::new(3));
    let id = app
        .task(&c, &pid, &[("title", "Prune roses"), ("start_date", &tue.to_string()), ("due_date", &thu.to_string())])
        .await;
    let w = week(&app, &c, monday).await;
    assert_eq!(w["days"][1]["tasks"][0]["title"], "Prune roses");
    assert_eq!(w["days"][3]["tasks"][0]["title"], "Prune roses", "shown on its due day too");

    app.ok(&c, "move_task", &[("id", &id), ("date", &(monday + Days::new(2)).to_string())]).await;
    let t = app.ok(&c, "get_task", &[("id", &id)]).await;
    assert_eq!(t["start_date"], (monday + Days::new(2)).to_string());
    assert_eq!(t["due_date"], (monday + Days::new(4)).to_string());
    assert!(matches!(
        app.call(&c, "move_task", &[("id", &id), ("date", "someday")]).await,
        Err(AppError::Validation(_))
    ));
}

#[sqlx::test(migrations = "../migrations")]
async fn recent_meetings_suggest_projects_reviewed_and_confirmed_as_a_brain_dump(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let bob = app.signed_up("bob@example.com").await;
    let today = Utc::now().date_naive();
    let day = |offset: i64| today + chrono::Duration::days(offset);
    // A weekly review (three past, the next tomorrow), a kickoff three days ago, and lunches.
    let mut body = ics(&[
        ("k", "Acme kickoff", utc(day(-3), "1000"), utc(day(-3), "1130")),
        ("l1", "Lunch", utc(day(-2), "1200"), utc(day(-2), "1300")),
        ("l2", "Lunch", utc(day(-1), "1200"), utc(day(-1), "1300")),
    ]);
    let series = format!(
        "BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:Acme design review\r\nDTSTART:{}\r\nDTEND:{}\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\nEND:VEVENT\r\nEND:VCALENDAR",
        utc(day(-20), "1400"),
        utc(day(-20), "1500")
    );
    body = body.replace("END:VCALENDAR", &series);
    let form = reqwest::multipart::Form::new()
        .text("name", "Work")
        .part("file", reqwest::multipart::Part::text(body).file_name("work.ics"));
    let r = ada.post(app.url("/calendar/import")).header("origin", app.url("")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 303);

    // Bob has no calendar: told so by field, and no dump is made.
    let err = app.call(&bob, "suggest_projects", &[]).await.unwrap_err();
    assert!(err.field_message("calendar").unwrap().starts_with("Nothing to suggest yet"), "{err:?}");
    assert_eq!(app.ok(&bob, "list_brain_dumps", &[]).await, serde_json::json!([]));

    // Ada is sent to the review of a new dump.
    let r = ada.post(app.url("/api/suggest_projects")).header("origin", app.url("")).send().await.unwrap();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    let id = location.strip_prefix("/brain-dump/").unwrap_or_else(|| panic!("{} {location:?}", r.status()));
    let dump = app.ok(&ada, "get_brain_dump", &[("id", id)]).await;
    assert_eq!(dump["status"], "parsed");
    assert!(dump["content"].as_str().unwrap().starts_with("# Acme\nIn your calendar over the past four weeks: "));
    let ops = dump["operations"].as_array().unwrap().clone();
    let named = |key: &str| ops.iter().filter_map(|o| o["fields"][key].as_str()).collect::<Vec<_>>();
    assert_eq!(named("name"), ["Acme"]);
    assert_eq!(named("title"), ["Prepare for Acme design review", "Follow up on Acme kickoff"]);
    assert_eq!(ops[1]["fields"]["due_date"], day(1).to_string());
    assert_eq!(app.call(&bob, "get_brain_dump", &[("id", id)]).await, Err(AppError::NotFound));

    // Confirmed like any dump; asked again, the open tasks are not suggested twice.
    assert_eq!(app.confirm(&ada, &dump, &Value::Array(ops)).await.unwrap(), 3);
    let acme = app.ok(&ada, "get_project", &[("slug", "acme")]).await;
    assert_eq!(acme["tasks"].as_array().unwrap().len(), 2);
    let r = ada.post(app.url("/api/suggest_projects")).header("origin", app.url("")).send().await.unwrap();
    let again = r.headers()["location"].to_str().unwrap().trim_start_matches("/brain-dump/").to_string();
    let dump = app.ok(&ada, "get_brain_dump", &[("id", &again)]).await;
    let ops = dump["operations"].as_array().unwrap();
    assert!(ops.iter().all(|o| o["table"] != "task"), "{ops:?}");
    assert!(
        ops.iter().any(|o| o["project"]["existing"].is_string()),
        "the heading names the existing project: {ops:?}"
    );
}
