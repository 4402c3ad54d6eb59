//! Daily briefs: the scheduler across timezones and DST days, generation,
//! "generate now", the page's data, and the job rows they enqueue.

use crate::support::TestApp;
use chrono::{DateTime, TimeZone, Utc};
use domain::brain_dump::llm::Engine;
use domain::brief::service::{Generated, generate, schedule_due};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// A person with `timezone`, created directly (the scheduler only needs the row).
async fn person(pool: &PgPool, email: &str, timezone: &str) -> Uuid {
    sqlx::query_scalar("insert into users (email, password_hash, timezone, email_verified_at) values ($1, 'x', $2, now()) returning id")
        .bind(email)
        .bind(timezone)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn prefs(pool: &PgPool, user: Uuid, sql_set: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.user_id', $1, true)").bind(user.to_string()).execute(&mut *tx).await.unwrap();
    sqlx::query("insert into brief_preferences (user_id) values ($1) on conflict do nothing")
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("update brief_preferences set {sql_set} where user_id = $1")))
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// (user, local date) of every brief, and how many brief jobs are queued.
async fn briefs(pool: &PgPool) -> (Vec<(Uuid, chrono::NaiveDate)>, i64) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    let rows: Vec<(Uuid, chrono::NaiveDate)> =
        sqlx::query_as("select user_id, brief_date from briefs order by brief_date, user_id")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    let jobs: i64 =
        sqlx::query_scalar("select count(*) from apalis.jobs where job_type = 'briefs'").fetch_one(pool).await.unwrap();
    (rows, jobs)
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn someone_who_signs_up_after_todays_brief_time_gets_their_first_brief_the_next_time(pool: PgPool) {
    server::prepare_jobs(&pool).await.unwrap();
    let (early, late) =
        (person(&pool, "early@example.com", "UTC").await, person(&pool, "late@example.com", "UTC").await);
    // Both at the default 07:00; one signed up at 06:00, the other at 09:00.
    for (user, signed_up) in [(early, at(2026, 12, 7, 6, 0)), (late, at(2026, 12, 7, 9, 0))] {
        sqlx::query("update users set created_at = $2 where id = $1")
            .bind(user)
            .bind(signed_up)
            .execute(&pool)
            .await
            .unwrap();
    }
    schedule_due(&pool, at(2026, 12, 7, 10, 0)).await.unwrap();
    assert_eq!(briefs(&pool).await.0, [(early, date(2026, 12, 7))], "no unasked-for brief in the afternoon");
    schedule_due(&pool, at(2026, 12, 8, 7, 0)).await.unwrap();
    let rows = briefs(&pool).await.0;
    assert!(rows.contains(&(late, date(2026, 12, 8))), "{rows:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_scheduler_makes_one_brief_per_person_per_local_date_across_timezones_and_dst(pool: PgPool) {
    server::prepare_jobs(&pool).await.unwrap();
    let paris = person(&pool, "paris@example.com", "Europe/Paris").await;
    let east = person(&pool, "kiritimati@example.com", "Pacific/Kiritimati").await; // UTC+14
    let west = person(&pool, "pago@example.com", "Pacific/Pago_Pago").await; // UTC-11
    let ny = person(&pool, "ny@example.com", "America/New_York").await;
    let weekly = person(&pool, "weekly@example.com", "UTC").await;
    let off = person(&pool, "off@example.com", "UTC").await;
    prefs(&pool, ny, "time_of_day = '02:30'").await;
    prefs(&pool, weekly, "frequency = 'weekly', day_of_week = 7").await; // Sundays
    prefs(&pool, off, "enabled = false").await;

    // Sunday 2026-03-08, the US spring-forward day. In New York 02:30 does not exist:
    // at 06:00 UTC it is 01:00 EST (not yet), at 07:00 UTC it is 03:00 EDT (due).
    schedule_due(&pool, at(2026, 3, 8, 6, 0)).await.unwrap();
    assert!(!briefs(&pool).await.0.iter().any(|(u, _)| *u == ny));
    schedule_due(&pool, at(2026, 3, 8, 7, 0)).await.unwrap();
    assert_eq!(briefs(&pool).await.0.iter().filter(|(u, _)| *u == ny).count(), 1);

    // Then hourly ticks through that UTC day and the next, twice each (two workers, or a repeated tick).
    for hour in 0..48 {
        let now = at(2026, 3, 8, 0, 0) + chrono::Duration::hours(hour);
        schedule_due(&pool, now).await.unwrap();
        schedule_due(&pool, now).await.unwrap();
    }
    let (rows, jobs) = briefs(&pool).await;
    let of = |u: Uuid| rows.iter().filter(|(user, _)| *user == u).map(|(_, d)| *d).collect::<Vec<_>>();
    assert_eq!(of(paris), [date(2026, 3, 8), date(2026, 3, 9)]);
    // Kiritimati is already on the 9th at 10:00 UTC on the 8th, and on the 10th by the end.
    assert_eq!(of(east), [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]);
    // Pago Pago is still on the 7th (13:00) at the first tick: that day's brief is due too.
    assert_eq!(of(west), [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]);
    // New York: the 7th (19:00 EST at the first tick), the 8th once (from 03:00 EDT), the 9th.
    assert_eq!(of(ny), [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]);
    assert_eq!(of(weekly), [date(2026, 3, 8)], "Sunday only");
    assert_eq!(of(off), Vec::<chrono::NaiveDate>::new(), "opted out: none");
    assert_eq!(jobs as usize, rows.len(), "one job per brief, enqueued with it");

    // Fall back in New York (2026-11-01): 01:00–02:00 happens twice; a 01:30 brief comes once.
    prefs(&pool, ny, "time_of_day = '01:30'").await;
    for minutes in (0..6 * 60).step_by(30) {
        schedule_due(&pool, at(2026, 11, 1, 4, 0) + chrono::Duration::minutes(minutes)).await.unwrap();
    }
    let (rows, _) = briefs(&pool).await;
    let nov1 = rows.iter().filter(|(u, d)| *u == ny && *d == date(2026, 11, 1)).count();
    assert_eq!(nov1, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_brief_has_each_active_projects_sections_and_is_generated_once(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let (garden, _) = app.project(&c, "Garden").await;
    let (paused, _) = app.project(&c, "Old plans").await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let d = |days: i64| (today + chrono::Duration::days(days)).to_string();
    app.task(&c, &garden, &[("title", "Water the beds"), ("due_date", &d(0))]).await;
    app.task(&c, &garden, &[("title", "Buy seeds"), ("due_date", &d(-3)), ("priority", "high")]).await;
    app.task(&c, &garden, &[("title", "Build a shed"), ("due_date", &d(5))]).await;
    app.task(&c, &garden, &[("title", "Someday"), ("due_date", &d(30))]).await;
    let done = app.task(&c, &garden, &[("title", "Dig"), ("due_date", &d(-1))]).await;
    app.complete(&c, &done).await;
    app.task(&c, &paused, &[("title", "Hidden"), ("due_date", &d(0))]).await;
    app.ok(&c, "update_project", &[("id", &paused), ("name", "Old plans"), ("status", "paused")]).await;

    let id = app.ok(&c, "generate_brief", &[]).await.as_str().unwrap().to_string();
    let overview = app.ok(&c, "get_briefs", &[]).await;
    assert_eq!(overview["latest"]["status"], "queued");
    let jobs: i64 = sqlx::query_scalar("select count(*) from apalis.jobs where job_type = 'briefs'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, 1, "generate now enqueues the job in its transaction");

    let user_id: Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    let brief_id: Uuid = id.parse().unwrap();
    let first = generate(&pool, user_id, brief_id, &Engine::Offline).await.unwrap();
    assert!(matches!(first, Generated::Ready { email: Some(_) }), "{first:?}");
    assert_eq!(generate(&pool, user_id, brief_id, &Engine::Offline).await.unwrap(), Generated::AlreadyReady);

    let brief = app.ok(&c, "get_brief", &[("id", &id)]).await;
    assert_eq!(brief["status"], "ready");
    let projects = brief["content"]["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 1, "only active projects: {projects:?}");
    let titles = |k: &str| -> Vec<String> {
        projects[0][k].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(titles("today"), ["Water the beds"]);
    assert_eq!(titles("overdue"), ["Buy seeds"]);
    assert_eq!(titles("upcoming"), ["Build a shed"]);
    assert_eq!(titles("completed"), ["Dig"]);
    let summary = brief["summary"].as_str().unwrap();
    assert!(
        summary.contains("Today: 1 task and 1 overdue, across 1 project.")
            && summary.contains("Start with “Buy seeds”"),
        "{summary}"
    );

    // One email row and one email job, however often the brief job runs.
    let emails: i64 =
        sqlx::query_scalar("select count(*) from apalis.jobs where job_type = 'email'").fetch_one(&pool).await.unwrap();
    assert_eq!(emails, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn brief_preferences_are_validated_and_saved(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let defaults = app.ok(&c, "get_brief_prefs", &[]).await;
    assert_eq!((defaults["enabled"].as_bool(), defaults["time_of_day"].as_str()), (Some(true), Some("07:00:00")));
    let bad = app
        .call(&c, "save_brief_prefs", &[("frequency", "hourly"), ("day_of_week", "9"), ("time_of_day", "7am")])
        .await
        .unwrap_err();
    for field in ["frequency", "day_of_week", "time_of_day"] {
        assert!(bad.field_message(field).is_some(), "{field}: {bad:?}");
    }
    app.ok(&c, "save_brief_prefs", &[("frequency", "weekly"), ("day_of_week", "5"), ("time_of_day", "06:45")]).await;
    let saved: Value = app.ok(&c, "get_brief_prefs", &[]).await;
    assert_eq!(
        (
            saved["enabled"].as_bool(),
            saved["frequency"].as_str(),
            saved["day_of_week"].as_i64(),
            saved["email"].as_bool()
        ),
        (Some(false), Some("weekly"), Some(5), Some(false)),
        "unticked boxes are off"
    );
}
