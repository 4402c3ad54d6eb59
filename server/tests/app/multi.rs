//! Two web servers and two workers on one PostgreSQL behave as one: a session
//! made on one server works on the other; a brain dump processed on one is
//! heard by a page waiting on the other and confirmed through it; with
//! workers SIGKILLed while briefs are generated and sent, every brief is
//! emailed (a copy only ever with the same Message-ID, counted) and a killed
//! worker's jobs are finished by another.
//!
//! The workers are the worker binary, which `cargo test -p server -p worker`
//! (scripts/test.sh) builds beside this test.

use crate::llm::{Reply, op, start};
use crate::processes::{Worker, url_of, wait_for};
use crate::smtp::Smtp;
use crate::support::{PASSWORD, TestApp};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The worker binary of this build (target/<profile>/worker, beside deps/).
fn worker_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(|deps| deps.parent()).unwrap().join("worker");
    assert!(path.exists(), "{} is missing: run `cargo test -p server -p worker`", path.display());
    path
}

/// Each received message's Message-ID.
fn message_ids(smtp: &Smtp) -> Vec<String> {
    smtp.received()
        .iter()
        .map(|raw| {
            let text = String::from_utf8_lossy(raw);
            text.lines()
                .find_map(|l| l.strip_prefix("Message-ID: ").or_else(|| l.strip_prefix("Message-Id: ")))
                .map(|id| id.trim().to_string())
                .unwrap_or_else(|| panic!("a message without Message-ID: {text}"))
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn two_servers_and_two_workers_on_one_database_behave_as_one(pool: PgPool) {
    server::prepare_jobs(&pool).await.unwrap();
    // Server A thinks slowly (a model streaming its answer); B has its own connections.
    let answer = json!({ "operations": [
        op(json!({ "table": "project", "reference": "new-project-1", "name": "Garden", "context": "Spring." })),
        op(json!({ "title": "Buy seeds", "project_ref": "new-project-1" })),
    ] });
    let (_fake, engine) =
        start(vec![Reply::Trickled(answer.to_string(), Duration::from_millis(100))], Duration::from_secs(60)).await;
    let a = TestApp::builder(pool.clone()).engine(engine).spawn().await;
    let pool_b =
        PgPoolOptions::new().max_connections(10).connect_with((*pool.connect_options()).clone()).await.unwrap();
    let b = TestApp::spawn(pool_b).await;

    // Signed up on A, known on B; signed in on B, known on A; signed out on A, gone on B.
    let ada = a.signed_up("ada@example.com").await;
    assert_eq!(b.ok(&ada, "current_user", &[]).await["email"], "ada@example.com");
    let phone = TestApp::client();
    b.login(&phone, "ada@example.com", PASSWORD).await.unwrap();
    assert_eq!(a.ok(&phone, "current_user", &[]).await["email"], "ada@example.com");
    a.ok(&phone, "logout", &[]).await;
    assert_eq!(b.ok(&phone, "current_user", &[]).await, Value::Null);

    // A brain dump processed on A while a page on B waits: B hears it is done
    // (NOTIFY, not a poll: B would look again only after a minute), then it
    // is confirmed through B.
    let id = b.ok(&ada, "save_draft", &[("content", "Garden: buy seeds")]).await.as_str().unwrap().to_string();
    let on_a = ada.get(a.url(&format!("/brain-dump/{id}/events"))).send().await.unwrap();
    let a_events = tokio::spawn(crate::support::read_events(on_a, |_, _| {}));
    let ada2 = ada.clone();
    wait_for("A to start processing", Duration::from_secs(10), || {
        let (b, ada, id) = (&b, &ada2, &id);
        async move { b.ok(ada, "get_brain_dump", &[("id", id)]).await["status"] == "processing" }
    })
    .await;
    let on_b = ada.get(b.url(&format!("/brain-dump/{id}/events"))).send().await.unwrap();
    let b_events = tokio::time::timeout(Duration::from_secs(30), crate::support::read_events(on_b, |_, _| {}))
        .await
        .expect("B heard that A finished");
    let b_names: Vec<&str> = b_events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(b_names.first(), Some(&"status"));
    assert!(b_events.iter().any(|(_, e)| e["message"] == "Still processing…"), "{b_events:?}");
    assert_eq!(b_names.last(), Some(&"done"), "{b_events:?}");
    let a_events = a_events.await.unwrap();
    assert_eq!(a_events.iter().filter(|(n, _)| n == "operation").count(), 2);
    let dump = b.ok(&ada, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!(b.confirm(&ada, &dump, &dump["operations"]).await.unwrap(), 2);
    let projects = a.ok(&ada, "list_projects", &[]).await;
    assert_eq!(projects[0]["name"], "Garden", "{projects}");

    // Briefs for 300 people, two workers, six SIGKILLs while they work.
    const PEOPLE: usize = 300;
    const KILLS: usize = 6;
    let smtp = Smtp::start().await;
    let today = chrono::Utc::now().date_naive();
    let people: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (email, password_hash, email_verified_at)
         select 'person' || n || '@example.com', 'x', now() from generate_series(1, $1) n returning id",
    )
    .bind(PEOPLE as i32)
    .fetch_all(&pool)
    .await
    .unwrap();
    let (binary, url) = (worker_binary(), url_of(&pool));
    let start_worker = || Worker::start(&binary, &url, &smtp, &[("WORKER_CONCURRENCY", "4")]);
    for &person in &people {
        domain::brief::service::generate_now(&pool, person, today).await.unwrap();
    }
    let mut workers = [start_worker(), start_worker()];
    let started = Instant::now();
    // The jobs each killed worker held when it died (worker names hold the pid).
    let mut orphans: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    let running_of = |pid: u32| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, String)>(
                "select id, job_type from apalis.jobs where status = 'Running' and lock_by like '%-' || $1 || '-%'",
            )
            .bind(pid.to_string())
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    for kill in 0..KILLS {
        // Kill the workers in turn, each while it holds a job, spread over the sending.
        let target = kill % 2;
        let pid = workers[target].pid();
        let sent_before = smtp.count();
        wait_for("emails to flow", Duration::from_secs(60), || async {
            smtp.count() >= sent_before + PEOPLE / (KILLS + 2)
        })
        .await;
        let looking = Instant::now();
        while running_of(pid).await.is_empty() {
            assert!(looking.elapsed() < Duration::from_secs(30), "worker {pid} took no job for 30 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        workers[target].kill();
        // What it still held once dead (a job it was finishing as it died may have got through).
        orphans.insert(pid, running_of(pid).await);
        workers[target] = start_worker();
    }

    // Every brief arrives; a copy is only ever a resend with the same Message-ID.
    wait_for("every brief's email", Duration::from_secs(180), || async {
        message_ids(&smtp).iter().filter(|id| id.starts_with("<brief-")).collect::<HashSet<_>>().len() >= PEOPLE
    })
    .await;
    wait_for("every job done", Duration::from_secs(120), || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from apalis.jobs where status <> 'Done' and job_type in ('briefs', 'email')",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
            == 0
    })
    .await;
    let received = message_ids(&smtp);
    let distinct: HashSet<&String> = received.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    // (Ada's own brief may have been mailed too: the workers' first tick found it due.)
    let sent: Vec<(String, bool)> =
        sqlx::query_as("select message_id, to_address like 'person%' from emails where status = 'sent'")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    drop(tx);
    assert_eq!(sent.iter().filter(|(_, person)| *person).count(), PEOPLE, "every brief's email marked sent");
    let sent: HashSet<&String> = sent.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct, sent, "every email received, each under its own Message-ID; none lost");
    let resent = received.len() - distinct.len();
    // A killed worker's jobs were finished by another.
    let orphaned: Vec<&(String, String)> = orphans.values().flatten().collect();
    assert!(!orphaned.is_empty());
    let emails_cut_short = orphaned.iter().filter(|(_, queue)| queue == "email").count();
    assert!(resent <= emails_cut_short, "a copy only from an email job cut short: {resent} of {emails_cut_short}");
    for (pid, jobs) in &orphans {
        for (job, _) in jobs {
            let (status, by): (String, Option<String>) =
                sqlx::query_as("select status, lock_by from apalis.jobs where id = $1")
                    .bind(job)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(status, "Done", "job {job} of killed worker {pid}");
            assert!(by.is_none_or(|w| !w.contains(&format!("-{pid}-"))), "job {job} finished by another worker");
        }
    }
    eprintln!(
        "{PEOPLE} briefs, {KILLS} SIGKILLs, {} jobs orphaned ({emails_cut_short} sending an email) and finished by another worker, 0 lost, {resent} resent with the same Message-ID, in {:.1} s",
        orphaned.len(),
        started.elapsed().as_secs_f64()
    );
}
