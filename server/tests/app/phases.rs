//! A project's phases: proposed by the offline rules from the context's
//! headings and the tasks' dates, reviewed (renamed, unticked, a task moved),
//! applied in one go, shown on the project page, replaced, removed; bad
//! input changes nothing; other people's projects are out of reach.

use crate::support::TestApp;
use domain::Error as AppError;
use serde_json::Value;
use sqlx::PgPool;

fn phase_names(detail: &Value) -> Vec<String> {
    detail["phases"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

fn titles(phase: &Value) -> Vec<&str> {
    phase["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn phases_are_proposed_reviewed_applied_and_shown_and_bad_input_changes_nothing(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool.clone()).await;
    let bob = app.signed_up("bob@example.com").await;
    let (pid, slug) = app.project(&ada, "Launch").await;
    // Nothing to split yet: told so by field.
    let err = app.call(&ada, "propose_phases", &[("slug", &slug)]).await.unwrap_err();
    assert!(err.field_message("phases").unwrap().starts_with("Nothing to split yet"), "{err:?}");

    let context = "Why we launch.\n\n## Research\n- interview users\n\n## Build\n\n## Ship\n";
    app.ok(&ada, "update_project", &[("id", &pid), ("name", "Launch"), ("context", context), ("status", "active")])
        .await;
    let interview = app.task(&ada, &pid, &[("title", "Interview users")]).await;
    let code = app.task(&ada, &pid, &[("title", "Write the code")]).await;
    let announce = app.task(&ada, &pid, &[("title", "Announce it")]).await;

    let p = app.ok(&ada, "propose_phases", &[("slug", &slug)]).await;
    assert_eq!(p["engine"], "offline");
    let names: Vec<&str> = p["phases"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Research", "Build", "Ship"]);
    assert_eq!(p["phases"][0]["task_ids"][0], interview.as_str());
    assert!(p["phases"][0]["reason"].as_str().unwrap().contains("named under this heading"), "{p}");
    // Proposing saves nothing; Bob cannot reach Ada's project.
    assert_eq!(phase_names(&app.ok(&ada, "get_project", &[("slug", &slug)]).await), Vec::<String>::new());
    assert_eq!(app.call(&bob, "propose_phases", &[("slug", &slug)]).await, Err(AppError::NotFound));

    // Reviewed: "Build" renamed, "Ship" unticked, "Announce it" moved into the first phase.
    let ph = |i: usize, f: &str| p["phases"][i][f].as_str().unwrap().to_string();
    let (s0, e0, s1, e1, s2, e2) = (
        ph(0, "start_date"),
        ph(0, "end_date"),
        ph(1, "start_date"),
        ph(1, "end_date"),
        ph(2, "start_date"),
        ph(2, "end_date"),
    );
    let (ti, tc, ta) = (format!("tasks[t-{interview}]"), format!("tasks[t-{code}]"), format!("tasks[t-{announce}]"));
    let form = |end0: &str| -> Vec<(String, String)> {
        [
            ("slug", slug.as_str()),
            ("phases[p-1][on]", "on"),
            ("phases[p-1][name]", "Research"),
            ("phases[p-1][start]", &s0),
            ("phases[p-1][end]", end0),
            ("phases[p-2][on]", "on"),
            ("phases[p-2][name]", "Build it"),
            ("phases[p-2][start]", &s1),
            ("phases[p-2][end]", &e1),
            ("phases[p-3][name]", "Ship"),
            ("phases[p-3][start]", &s2),
            ("phases[p-3][end]", &e2),
            (&ti, "p-1"),
            (&tc, "p-2"),
            (&ta, "p-1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let send = |f: Vec<(String, String)>| {
        let (app, ada) = (&app, &ada);
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.call(ada, "apply_phases", &pairs).await
        }
    };
    // An end before the start is named at its phase, with what was typed, and changes nothing.
    let err = send(form("2000-01-01")).await.unwrap_err();
    assert_eq!(err.field_message("p-1").as_deref(), Some("The phase ends before it starts."));
    assert_eq!(err.input("phases[p-2][name]").as_deref(), Some("Build it"));
    assert_eq!(phase_names(&app.ok(&ada, "get_project", &[("slug", &slug)]).await), Vec::<String>::new());

    send(form(&e0)).await.unwrap();
    let detail = app.ok(&ada, "get_project", &[("slug", &slug)]).await;
    assert_eq!(phase_names(&detail), ["Research", "Build it"]);
    assert_eq!(titles(&detail["phases"][0]), ["Interview users", "Announce it"]);
    assert_eq!(titles(&detail["phases"][1]), ["Write the code"]);
    assert_eq!(detail["phases"][0]["start_date"], s0.as_str());
    // The database itself refuses one of Ada's phases for a task of Bob's.
    let (bob_project, _) = app.project(&bob, "Bob's").await;
    let bob_task = app.task(&bob, &bob_project, &[("title", "Bob's task")]).await;
    let bob_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'bob@example.com'").fetch_one(&pool).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.user_id', $1, true)").bind(bob_id.to_string()).execute(&mut *tx).await.unwrap();
    let refused = sqlx::query("update tasks set phase_id = $1::uuid where id = $2::uuid")
        .bind(detail["phases"][0]["id"].as_str().unwrap())
        .bind(&bob_task)
        .execute(&mut *tx)
        .await;
    assert!(refused.unwrap_err().to_string().contains("tasks_phase"), "another person's phase is refused");
    drop(tx);

    // Generated again, the proposal says what it replaces; Bob cannot apply to Ada's project.
    let again = app.ok(&ada, "propose_phases", &[("slug", &slug)]).await;
    assert_eq!(again["replaces"], serde_json::json!(["Research", "Build it"]));
    let bobs = [
        ("slug", slug.as_str()),
        ("phases[p-1][on]", "on"),
        ("phases[p-1][name]", "Mine"),
        ("phases[p-1][start]", &s0),
        ("phases[p-1][end]", &e0),
    ];
    assert_eq!(app.call(&bob, "apply_phases", &bobs).await, Err(AppError::NotFound));
    // A task done since the proposal: a conflict, nothing changed.
    app.complete(&ada, &code).await;
    let err = send(form(&e0)).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(phase_names(&app.ok(&ada, "get_project", &[("slug", &slug)]).await), ["Research", "Build it"]);

    // Removed: the tasks stay.
    app.ok(&ada, "remove_phases", &[("slug", &slug)]).await;
    let detail = app.ok(&ada, "get_project", &[("slug", &slug)]).await;
    assert_eq!(phase_names(&detail), Vec::<String>::new());
    assert_eq!(detail["tasks"].as_array().unwrap().len(), 3);
}
