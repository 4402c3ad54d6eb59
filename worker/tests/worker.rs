//! The worker binary as a process: a brief generated and emailed end to end,
//! a SIGKILL in the middle of a job (the job runs again and the email arrives
//! exactly once; a task's Google event is made exactly once), and a
//! PostgreSQL restart (jobs enqueued after it are done).

use sqlx::PgPool;
use std::process::Command;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[path = "../../server/tests/app/smtp.rs"]
mod smtp;
use smtp::Smtp;

#[path = "../../server/tests/app/fake_calendar.rs"]
mod fake_calendar;

#[path = "../../server/tests/app/prometheus.rs"]
mod prometheus;

#[path = "../../server/tests/app/processes.rs"]
mod processes;
use processes::{url_of, wait_for};

/// The worker binary of this package, as a process.
struct Worker;

impl Worker {
    fn start(url: &str, smtp: &Smtp, extra: &[(&str, &str)]) -> processes::Worker {
        processes::Worker::start(std::path::Path::new(env!("CARGO_BIN_EXE_worker")), url, smtp, extra)
    }
}

/// A person (UTC) with a project and a task due today; their brief enqueued now.
async fn person_with_brief(pool: &PgPool, email: &str) -> (Uuid, Uuid) {
    let user: Uuid = sqlx::query_scalar(
        "insert into users (email, password_hash, email_verified_at) values ($1, 'x', now()) returning id",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap();
    let mut tx = domain::db::begin_as(pool, user).await.unwrap();
    let project: Uuid =
        sqlx::query_scalar("insert into projects (user_id, name, slug) values ($1, 'Garden', 'garden') returning id")
            .bind(user)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    sqlx::query("insert into tasks (user_id, project_id, title, due_date) values ($1, $2, 'Buy seeds', current_date)")
        .bind(user)
        .bind(project)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let brief = domain::brief::service::generate_now(pool, user, today).await.unwrap();
    (user, brief)
}

async fn job_status(pool: &PgPool, queue: &str) -> Vec<String> {
    sqlx::query_scalar("select status from apalis.jobs where job_type = $1 order by run_at")
        .bind(queue)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn brief_status(pool: &PgPool, user: Uuid, brief: Uuid) -> String {
    let mut tx = domain::db::begin_as(pool, user).await.unwrap();
    let s: String =
        sqlx::query_scalar("select status from briefs where id = $1").bind(brief).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    s
}

async fn prepared(pool: &PgPool) {
    apalis_postgres::PostgresStorage::<()>::setup(pool).await.unwrap();
}

/// The queue's tables, an SMTP server, and the database URL for workers to start with.
async fn ready_to_send(pool: &PgPool) -> (Smtp, String) {
    prepared(pool).await;
    (Smtp::start().await, url_of(pool))
}

#[sqlx::test(migrations = "../migrations")]
async fn a_worker_killed_mid_job_leaves_it_to_another_which_sends_exactly_one_email(pool: PgPool) {
    let (smtp, url) = ready_to_send(&pool).await;
    let (user, brief) = person_with_brief(&pool, "ada@example.com").await;

    // Worker A takes the brief job and stalls inside it; then it is killed.
    let mut a = Worker::start(&url, &smtp, &[("BUILDOS_TEST_JOB_PAUSE_MS", "600000")]);
    wait_for("worker A to take the job", Duration::from_secs(30), || async {
        job_status(&pool, "briefs").await == ["Running"]
    })
    .await;
    a.kill();
    let killed = Instant::now();
    assert_eq!(brief_status(&pool, user, brief).await, "queued", "A died before doing anything");

    // Worker B (restarted, or another machine) recovers the orphaned job.
    let _b = Worker::start(&url, &smtp, &[]);
    wait_for("the email", Duration::from_secs(90), || async { smtp.count() > 0 }).await;
    let recovered_in = killed.elapsed();
    assert!(recovered_in <= Duration::from_secs(60), "the job ran again {recovered_in:?} after the kill");
    // Give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.count(), 1, "exactly one email");
    assert_eq!(brief_status(&pool, user, brief).await, "ready");
    assert_eq!(job_status(&pool, "briefs").await, ["Done"]);
    assert_eq!(job_status(&pool, "email").await, ["Done"]);
    eprintln!("recovered {recovered_in:?} after SIGKILL");
}

/// Needs BUILDOS_PG_RESTART_CMD (scripts/test.sh sets it for its own PostgreSQL):
/// restarting the database under every other test would break them, so this
/// one runs alone, after them.
#[sqlx::test(migrations = "../migrations")]
#[ignore = "restarts PostgreSQL: run alone by scripts/test.sh"]
async fn after_a_postgres_restart_the_worker_carries_on(pool: PgPool) {
    let restart = std::env::var("BUILDOS_PG_RESTART_CMD").expect("BUILDOS_PG_RESTART_CMD");
    let (smtp, url) = ready_to_send(&pool).await;
    let _w = Worker::start(&url, &smtp, &[]);
    let (_, first) = person_with_brief(&pool, "before@example.com").await;
    wait_for("the first email", Duration::from_secs(30), || async { smtp.count() == 1 }).await;
    let _ = first;

    let status = Command::new("sh").arg("-c").arg(&restart).status().unwrap();
    assert!(status.success(), "restarting PostgreSQL failed");
    // The test's own pool reconnects too; wait until the database answers.
    wait_for("PostgreSQL", Duration::from_secs(30), || async { sqlx::query("select 1").execute(&pool).await.is_ok() })
        .await;

    let (user, brief) = person_with_brief(&pool, "after@example.com").await;
    wait_for("the email of a job enqueued after the restart", Duration::from_secs(60), || async { smtp.count() == 2 })
        .await;
    assert_eq!(brief_status(&pool, user, brief).await, "ready");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_job_backs_off_and_a_hopeless_one_stops_for_good(pool: PgPool) {
    let (smtp, url) = ready_to_send(&pool).await;
    let (user, _) = person_with_brief(&pool, "ada@example.com").await;
    // An email that can never be sent: the brief it is for does not exist.
    let mut tx = domain::db::begin_as(&pool, user).await.unwrap();
    let hopeless: Uuid = sqlx::query_scalar(
        "insert into emails (user_id, key, to_address, subject, message_id)
         values ($1, 'brief:00000000-0000-0000-0000-000000000000', 'not an address', 's', '<x@buildos>') returning id",
    )
    .bind(user)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    // Enqueued while answering a request: the job carries the request's id into the error log.
    let job = domain::jobs::EmailJob { email_id: hopeless, user_id: user };
    let (enqueued, _) =
        domain::error_log::scoped(Some("req-hopeless".into()), domain::jobs::Job::enqueue(&job, &mut tx)).await;
    enqueued.unwrap();
    tx.commit().await.unwrap();

    // SMTP is down (a closed port): the brief's email fails and waits before its next try.
    let _w = Worker::start(&url, &smtp, &[("SMTP_URL", "smtp://127.0.0.1:9")]);
    let failed = "select count(*) = 1 from apalis.jobs where job_type = 'email' and status = 'Failed'";
    wait_for("the email job to fail", Duration::from_secs(30), || async {
        sqlx::query_scalar::<_, bool>(failed).fetch_one(&pool).await.unwrap()
    })
    .await;
    let (attempts, wait, error): (i32, f64, String) = sqlx::query_as(
        "select attempts, extract(epoch from run_at - now())::float8, last_result->>'Err'
         from apalis.jobs where job_type = 'email' and status = 'Failed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(wait > 2.0, "the retry waits (exponential backoff), not at once: {wait:.1} s");
    assert!(error.contains("sending the email failed"), "{error}");

    // The hopeless one is killed after one attempt and stays visible, with its reason.
    wait_for("the hopeless job to stop", Duration::from_secs(30), || async {
        sqlx::query_scalar::<_, bool>(
            "select count(*) = 1 from apalis.jobs where job_type = 'email' and status = 'Killed'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, attempts, error): (String, i32, String) = sqlx::query_as(
        "select status, attempts, last_result->>'Err' from apalis.jobs where job_type = 'email' and convert_from(job, 'UTF8') like '%' || $1 || '%'",
    )
    .bind(hopeless.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), attempts), ("Killed", 1), "not retried");
    assert!(error.contains("Not found"), "{error}");
    assert_eq!(smtp.count(), 0);

    // Both failures are in the error log, with their job, queue, person and cause.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    type Event = (String, Option<String>, Option<Uuid>, Option<String>, String, bool);
    let events: Vec<Event> = sqlx::query_as(
        // (distinct: the first email's retry may have failed again meanwhile)
        "select distinct kind, queue, user_id, request_id, cause,
                job_id = (select id from apalis.jobs j where j.id = e.job_id and j.job_type = 'email')
         from error_events e order by cause",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let [(k1, q1, u1, r1, c1, j1), (k2, q2, u2, r2, c2, j2)] = &events[..] else { panic!("{events:?}") };
    assert_eq!(
        (k1.as_str(), q1.as_deref(), *u1, r1.as_deref(), *j1),
        ("job", Some("email"), Some(user), Some("req-hopeless"), true)
    );
    assert!(c1.contains("Not found"), "{c1}");
    assert_eq!((k2.as_str(), q2.as_deref(), *u2, r2.as_deref(), *j2), ("job", Some("email"), Some(user), None, true));
    assert!(c2.contains("sending the email failed"), "{c2}");
}

#[sqlx::test(migrations = "../migrations")]
async fn finished_jobs_are_pruned_after_their_retention(pool: PgPool) {
    prepared(&pool).await;
    let insert = "insert into apalis.jobs (id, job_type, job, status, attempts, max_attempts, done_at)
                  values (apalis.generate_ulid(), 'email', '\\x7b7d', $1, $2, 5, now() - make_interval(days => $3))";
    for (status, attempts, days) in
        [("Done", 1, 15), ("Done", 1, 1), ("Killed", 1, 20), ("Failed", 5, 20), ("Failed", 5, 40), ("Failed", 1, 40)]
    {
        sqlx::query(insert).bind(status).bind(attempts).bind(days).execute(&pool).await.unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    for days in [29, 31] {
        sqlx::query(
            "insert into error_events (fingerprint, summary, kind, cause, created_at)
             values (repeat('0', 32), 'x', 'job', 'x', now() - make_interval(days => $1))",
        )
        .bind(days)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(domain::jobs::prune(&pool).await.unwrap(), 3, "Done 15 d, Killed 20 d, dead Failed 40 d");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    let kept: Vec<i32> = sqlx::query_scalar("select extract(day from now() - created_at)::int from error_events")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(kept, [29], "errors are kept 30 days");
    drop(tx);
    let left: Vec<(String, i32)> = sqlx::query_as(
        "select status, extract(day from now() - done_at)::int from apalis.jobs order by status, done_at desc",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(left, [("Done".into(), 1), ("Failed".into(), 20), ("Failed".into(), 40)], "recent, visible, retrying");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_worker_killed_while_inserting_a_task_event_leaves_exactly_one_event_in_google(pool: PgPool) {
    use fake_calendar::FakeCalendar;
    let (smtp, url) = ready_to_send(&pool).await;
    // A fake Google Calendar that keeps an insert, then takes 3 s to answer.
    let fake = FakeCalendar::default();
    fake.add_calendar("ada@work.example", "Ada", true);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/calendar/v3", listener.local_addr().unwrap());
    let router = fake.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    fake.with().insert_delay = Some(Duration::from_secs(3));

    // Ada: connected (a fresh access token, so no refresh is needed), her
    // primary calendar receiving tasks, and a task scheduled tomorrow.
    let key = [9u8; 32];
    let user: Uuid = sqlx::query_scalar(
        "insert into users (email, password_hash, email_verified_at) values ('ada@example.com', 'x', now()) returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let seal = |t: &str| domain::calendar::google::seal(&key, user, t).unwrap();
    let mut tx = domain::db::begin_as(&pool, user).await.unwrap();
    sqlx::query(
        "insert into google_connections (user_id, google_email, refresh_token, access_token, access_expires_at)
         values ($1, 'ada@work.example', $2, $3, now() + interval '1 hour')",
    )
    .bind(user)
    .bind(seal("1//refresh"))
    .bind(seal("ya29.fresh"))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("insert into google_calendars (user_id, calendar_id, summary, busy, target) values ($1, 'ada@work.example', 'Ada', true, true)")
        .bind(user)
        .execute(&mut *tx)
        .await
        .unwrap();
    let task: Uuid = sqlx::query_scalar(
        "insert into tasks (user_id, title, scheduled_at, duration_minutes) values ($1, 'Write the report', now() + interval '1 day', 60) returning id",
    )
    .bind(user)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(job_status(&pool, "google-events").await, ["Pending"], "the write queued the push");

    use base64::Engine as _;
    let env = [
        ("PUBLIC_GOOGLE_CLIENT_ID", "test.apps.googleusercontent.com"),
        ("GOOGLE_CLIENT_SECRET", "test-secret"),
        ("GOOGLE_ISSUER", "http://127.0.0.1:9"),
        ("GOOGLE_CALENDAR_API", api.as_str()),
    ];
    let encoded = base64::engine::general_purpose::STANDARD.encode(key);
    let with_key: Vec<(&str, &str)> = env.iter().copied().chain([("ENCRYPTION_KEY", encoded.as_str())]).collect();

    // Worker A sends the insert; Google keeps the event; A is killed before the answer.
    let mut a = Worker::start(&url, &smtp, &with_key);
    wait_for("the insert to reach Google", Duration::from_secs(30), || async { fake.count("POST /calendars/") == 1 })
        .await;
    a.kill();
    assert_eq!(fake.live("ada@work.example").len(), 1);
    let mut tx = domain::db::begin_as(&pool, user).await.unwrap();
    let kept: i64 = sqlx::query_scalar("select count(*) from task_events").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(kept, 0, "A died before keeping what Google answered");

    // Worker B retries the orphaned job: the same event id is taken (409), so it
    // finds that event and keeps it, and no second one is made.
    fake.with().insert_delay = None;
    let _b = Worker::start(&url, &smtp, &with_key);
    wait_for("the task event kept", Duration::from_secs(90), || async {
        let mut tx = domain::db::begin_as(&pool, user).await.unwrap();
        let n: i64 = sqlx::query_scalar("select count(*) from task_events").fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        n == 1
    })
    .await;
    let live = fake.live("ada@work.example");
    assert_eq!(live.len(), 1, "exactly one event: {live:?}");
    assert_eq!(live[0]["id"], domain::calendar::google_api::event_id_of(task));
    assert_eq!(fake.count("POST /calendars/"), 2, "the retry's insert was refused as a duplicate");
    wait_for("the job done", Duration::from_secs(10), || async {
        job_status(&pool, "google-events").await == ["Done"]
    })
    .await;
}

/// The worker's own `/metrics`, read as Prometheus would: each job counted
/// by queue and outcome and timed, the emails sent, the queues' depth; the
/// counts move with the work; a forwarded request is refused.
#[sqlx::test(migrations = "../migrations")]
async fn the_worker_counts_its_jobs_and_emails_at_its_own_metrics(pool: PgPool) {
    use prometheus::{get, parse, sum, value};
    let (smtp, url) = ready_to_send(&pool).await;
    person_with_brief(&pool, "ada@example.com").await;
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let _worker = Worker::start(&url, &smtp, &[("WORKER_METRICS_ADDR", &addr.to_string())]);
    wait_for("the email", Duration::from_secs(60), || async { job_status(&pool, "email").await == ["Done"] }).await;

    let (status, text) = get(addr, "/metrics", &[]).await;
    assert_eq!(status, 200, "{text}");
    let m = parse(text).await;
    let jobs = |m: &serde_json::Value, queue: &str| {
        value(m, "buildos_jobs", "buildos_jobs_total", &[("queue", queue), ("outcome", "ok")]).unwrap_or(0.0)
    };
    assert_eq!((jobs(&m, "briefs"), jobs(&m, "email")), (1.0, 1.0), "{m}");
    let timed = sum(&m, "buildos_job_duration_seconds", "buildos_job_duration_seconds_count", &[("queue", "briefs")]);
    assert_eq!(timed, 1.0);
    assert_eq!(value(&m, "buildos_emails", "buildos_emails_total", &[("outcome", "sent")]), Some(1.0));
    assert_eq!(value(&m, "buildos_queue_depth", "buildos_queue_depth", &[("queue", "briefs")]), Some(0.0));
    assert!(value(&m, "buildos_queue_oldest_waiting_seconds", "buildos_queue_oldest_waiting_seconds", &[]).is_some());

    // Moving: another person's brief, another of each.
    person_with_brief(&pool, "bob@example.com").await;
    wait_for("the second email", Duration::from_secs(60), || async { smtp.count() == 2 }).await;
    wait_for("the email job to finish", Duration::from_secs(10), || async {
        job_status(&pool, "email").await == ["Done", "Done"]
    })
    .await;
    let m = parse(get(addr, "/metrics", &[]).await.1).await;
    assert_eq!((jobs(&m, "briefs"), jobs(&m, "email")), (2.0, 2.0), "{m}");
    assert_eq!(value(&m, "buildos_emails", "buildos_emails_total", &[("outcome", "sent")]), Some(2.0));

    assert_eq!(get(addr, "/metrics", &[("x-forwarded-for", "203.0.113.9")]).await.0, 403);
}
