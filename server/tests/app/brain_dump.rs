//! Brain dumps end to end through the server functions: draft, parse (offline), confirm, undo.

use crate::support::TestApp;
use domain::Error as AppError;
use reqwest::Client;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Save `text` as the draft and parse it; the dump as JSON.
async fn parsed(app: &TestApp, c: &Client, text: &str) -> Value {
    let id = app.ok(c, "save_draft", &[("content", text)]).await;
    app.ok(c, "parse_brain_dump", &[("id", id.as_str().unwrap())]).await
}

fn project_names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_draft_is_autosaved_once_per_person_and_capped_at_50000_characters(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let empty = app.ok(&c, "get_draft", &[]).await;
    assert_eq!((&empty["id"], &empty["content"]), (&Value::Null, &Value::from("")));
    let first = app.ok(&c, "save_draft", &[("content", "half a thought")]).await;
    let second = app.ok(&c, "save_draft", &[("content", "half a thought, now whole")]).await;
    assert_eq!(first, second, "one draft, updated in place");
    let too_long = "x".repeat(50_001);
    let err = app.call(&c, "save_draft", &[("content", &too_long)]).await.unwrap_err();
    assert!(err.field_message("content").unwrap().contains("at most 50,000 characters"), "{err:?}");
    let draft = app.ok(&c, "get_draft", &[]).await;
    assert_eq!(draft["content"], "half a thought, now whole", "a rejected save changes nothing");
    assert!(app.ok(&c, "save_draft", &[("content", &"y".repeat(50_000))]).await.is_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_dump_naming_two_projects_is_reviewed_confirmed_and_undone(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(
        &app,
        &c,
        "# Garden\nWe want vegetables.\n- buy seeds by Friday\n- water the beds daily\n\n# Newsletter\n- draft issue one\n- pick a mailing tool",
    )
    .await;
    assert_eq!(dump["status"], "parsed");
    assert_eq!(dump["engine"], "offline");
    let mut ops = dump["operations"].as_array().unwrap().clone();
    let titles: Vec<&str> = ops.iter().filter_map(|o| o["fields"]["title"].as_str()).collect();
    assert_eq!(titles, ["Buy seeds", "Water the beds", "Draft issue one", "Pick a mailing tool"]);
    // Nothing is written before confirm.
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);

    // Untick one task, edit another.
    for op in ops.iter_mut() {
        match op["fields"]["title"].as_str() {
            Some("Pick a mailing tool") => op["enabled"] = json!(false),
            Some("Draft issue one") => op["fields"]["title"] = json!("Draft the first issue"),
            _ => {}
        }
    }
    assert_eq!(app.confirm(&c, &dump, &Value::Array(ops.clone())).await.unwrap(), 5);
    let projects = app.ok(&c, "list_projects", &[]).await;
    assert_eq!(project_names(&projects).len(), 2);
    let garden = app.ok(&c, "get_project", &[("slug", "garden")]).await;
    assert_eq!(garden["project"]["context"], "We want vegetables.");
    let garden_tasks: Vec<&str> =
        garden["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(garden_tasks.len(), 2);
    let newsletter = app.ok(&c, "get_project", &[("slug", "newsletter")]).await;
    let titles: Vec<&str> =
        newsletter["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Draft the first issue"], "edited, and the unticked one left out");

    // Applying twice is refused.
    assert!(matches!(app.confirm(&c, &dump, &Value::Array(ops)).await, Err(AppError::Conflict(_))));

    app.ok(&c, "undo_brain_dump", &[("id", dump["id"].as_str().unwrap())]).await;
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
    assert_eq!(app.call(&c, "get_project", &[("slug", "garden")]).await, Err(AppError::NotFound));
    let after = app.ok(&c, "get_brain_dump", &[("id", dump["id"].as_str().unwrap())]).await;
    assert_eq!(after["status"], "undone");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_invalid_ticked_operation_is_named_and_nothing_is_applied(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(&app, &c, "# Trip\n- book flights\n- pack").await;
    let mut ops = dump["operations"].as_array().unwrap().clone();
    ops[1]["fields"]["title"] = json!("   ");
    ops[2]["fields"]["due_date"] = json!("2026-01-01");
    ops[2]["fields"]["recurrence_end"] = json!("2025-01-01");
    let err = app.confirm(&c, &dump, &Value::Array(ops)).await.unwrap_err();
    assert!(err.field_message("op-2").unwrap().contains("Title is required"), "{err:?}");
    assert!(err.field_message("op-3").is_some(), "{err:?}");
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_task_pointing_at_an_unticked_new_project_is_refused(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(&app, &c, "# Trip\n- book flights").await;
    let mut ops = dump["operations"].as_array().unwrap().clone();
    ops[0]["enabled"] = json!(false);
    let err = app.confirm(&c, &dump, &Value::Array(ops)).await.unwrap_err();
    assert!(err.field_message("op-2").unwrap().contains("not being created"), "{err:?}");
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn news_about_an_existing_project_is_added_to_it_and_a_stale_review_is_caught(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (garden_id, _) = app.project(&c, "Garden").await;
    let dump = parsed(&app, &c, "## Garden\n- prune the roses").await;
    let ops = dump["operations"].as_array().unwrap().clone();
    assert_eq!(ops.len(), 1, "no duplicate project: {ops:?}");
    assert_eq!(ops[0]["project"], json!({ "existing": garden_id }));
    assert_eq!(dump["project_names"], json!([[garden_id, "Garden"]]), "the review can name it");

    // The project is deleted between review and confirm.
    app.ok(&c, "set_deleted", &[("item", "project"), ("id", &garden_id), ("deleted", "true")]).await;
    let err = app.confirm(&c, &dump, &Value::Array(ops.clone())).await.unwrap_err();
    match err {
        AppError::Conflict(m) => assert!(m.contains("\"Garden\" was deleted"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    app.ok(&c, "set_deleted", &[("item", "project"), ("id", &garden_id), ("deleted", "false")]).await;
    assert!(app.tasks_of(&c, &garden_id).await.is_empty(), "nothing was applied");

    // Re-review: process again and confirm.
    let again = app.ok(&c, "parse_brain_dump", &[("id", dump["id"].as_str().unwrap())]).await;
    app.confirm(&c, &again, &again["operations"]).await.unwrap();
    let tasks = app.tasks_of(&c, &garden_id).await;
    assert_eq!(tasks[0]["title"], "Prune the roses");
}

#[sqlx::test(migrations = "../migrations")]
async fn another_persons_ids_smuggled_into_operations_are_rejected(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let alice = app.signed_up("alice@example.com").await;
    let (alice_project, alice_slug) = app.project(&alice, "Alice's plan").await;
    let alice_dump = parsed(&app, &alice, "- Alice's own task").await;

    let bob = app.signed_up("bob@example.com").await;
    let dump = parsed(&app, &bob, "# Bob\n- plant a task").await;
    let mut ops = dump["operations"].as_array().unwrap().clone();
    ops[1]["project"] = json!({ "existing": alice_project });
    let err = app.confirm(&bob, &dump, &Value::Array(ops)).await.unwrap_err();
    assert!(err.field_message("op-2").unwrap().contains("not found"), "{err:?}");
    assert_eq!(app.ok(&bob, "list_projects", &[]).await.as_array().unwrap().len(), 0);
    assert!(app.ok(&alice, "get_project", &[("slug", &alice_slug)]).await["tasks"].as_array().unwrap().is_empty());

    // Alice's dump itself is invisible to Bob.
    let alice_dump_id = alice_dump["id"].as_str().unwrap();
    for endpoint in ["get_brain_dump", "parse_brain_dump", "undo_brain_dump"] {
        assert_eq!(app.call(&bob, endpoint, &[("id", alice_dump_id)]).await, Err(AppError::NotFound), "{endpoint}");
    }
    assert_eq!(app.confirm(&bob, &alice_dump, &alice_dump["operations"]).await, Err(AppError::NotFound));
}

#[sqlx::test(migrations = "../migrations")]
async fn undo_is_refused_and_names_the_item_when_it_was_edited_since(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(&app, &c, "# Move\n- book the van\n- pack books").await;
    app.confirm(&c, &dump, &dump["operations"]).await.unwrap();
    let (project_id, _) = {
        let list = app.ok(&c, "list_projects", &[]).await;
        (list[0]["id"].as_str().unwrap().to_string(), ())
    };
    let task = app.tasks_of(&c, &project_id).await.into_iter().find(|t| t["title"] == "Book the van").unwrap();
    app.ok(&c, "update_task", &[("id", task["id"].as_str().unwrap()), ("title", "Book the big van")]).await;

    let err = app.call(&c, "undo_brain_dump", &[("id", dump["id"].as_str().unwrap())]).await.unwrap_err();
    match err {
        AppError::Conflict(m) => assert!(m.contains("\"Book the big van\""), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(app.tasks_of(&c, &project_id).await.len(), 2, "nothing was undone");

    // A task added by hand to the dump's project also blocks undo (it would vanish with the project).
    let dump2 = parsed(&app, &c, "# Garden\n- dig").await;
    app.confirm(&c, &dump2, &dump2["operations"]).await.unwrap();
    let list = app.ok(&c, "list_projects", &[]).await;
    let garden =
        list.as_array().unwrap().iter().find(|p| p["name"] == "Garden").unwrap()["id"].as_str().unwrap().to_string();
    app.task(&c, &garden, &[("title", "Added by hand")]).await;
    let err = app.call(&c, "undo_brain_dump", &[("id", dump2["id"].as_str().unwrap())]).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(ref m) if m.contains("\"Garden\" (it has new items)")), "{err:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_review_of_an_older_parse_is_refused(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let first = parsed(&app, &c, "# Trip\n- book flights").await;
    // Processed again (say in another tab) after the first review was shown.
    let second = app.ok(&c, "parse_brain_dump", &[("id", first["id"].as_str().unwrap())]).await;
    assert_ne!(first["updated_at"], second["updated_at"]);
    let err = app.confirm(&c, &first, &first["operations"]).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict(ref m) if m.contains("processed again")), "{err:?}");
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
    app.confirm(&c, &second, &second["operations"]).await.unwrap();
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn processing_streams_status_then_each_proposal_then_done_and_a_reconnect_replays(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let text = "# Garden\n- buy seeds by Friday\n- fix the fence\n\n# Taxes\n- file the return";
    let id = app.ok(&c, "save_draft", &[("content", text)]).await.as_str().unwrap().to_string();
    let url = app.url(&format!("/brain-dump/{id}/events"));
    let events = crate::support::read_events(c.get(&url).send().await.unwrap(), |_, _| {}).await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["status", "status", "operation", "operation", "operation", "operation", "operation", "done"]);
    assert_eq!(events[0].1["type"], "status");
    let titles: Vec<&str> = events[2..7]
        .iter()
        .map(|(_, e)| e["operation"]["fields"]["name"].as_str().or(e["operation"]["fields"]["title"].as_str()).unwrap())
        .collect();
    assert_eq!(titles, ["Garden", "Buy seeds", "Fix the fence", "Taxes", "File the return"]);
    assert_eq!(events[3].1["home"], "in the new project Garden");
    assert_eq!(events[7].1, json!({ "type": "done", "id": id, "operations": 5 }));
    let dump = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!(dump["status"], "parsed");

    // A reconnect replays the stored proposals; it does not process again.
    let again = crate::support::read_events(c.get(&url).send().await.unwrap(), |_, _| {}).await;
    assert_eq!(again.iter().filter(|(n, _)| n == "operation").count(), 5);
    assert_eq!(again.last().unwrap().1["type"], "done");
    let after = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!(after["updated_at"], dump["updated_at"], "not parsed a second time");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_stream_refuses_other_sites_strangers_and_other_peoples_dumps(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let id = app.ok(&ada, "save_draft", &[("content", "- buy seeds")]).await.as_str().unwrap().to_string();
    let url = app.url(&format!("/brain-dump/{id}/events"));

    let cross = ada.get(&url).header("sec-fetch-site", "cross-site").send().await.unwrap();
    assert_eq!(cross.status(), 403);
    let anonymous = TestApp::client().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let eve = app.signed_up("eve@example.com").await;
    let events = crate::support::read_events(eve.get(&url).send().await.unwrap(), |_, _| {}).await;
    assert_eq!(events.last().unwrap().1["type"], "failed");
    assert!(events.iter().all(|(n, _)| n != "operation"));

    let dump = app.ok(&ada, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!(dump["status"], "draft", "nothing was processed");
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_a_dump_that_is_not_processing_changes_nothing(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(&app, &c, "- buy seeds").await;
    let id = dump["id"].as_str().unwrap();
    assert_eq!(app.ok(&c, "cancel_brain_dump", &[("id", id)]).await, false);
    let eve = app.signed_up("eve@example.com").await;
    assert_eq!(app.ok(&eve, "cancel_brain_dump", &[("id", id)]).await, false);
    assert_eq!(app.ok(&c, "get_brain_dump", &[("id", id)]).await["status"], "parsed");
}

#[sqlx::test(migrations = "../migrations")]
async fn review_cards_edit_priority_and_recurrence(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let dump = parsed(&app, &c, "# Home\n- water the plants").await;
    let (id, version) = (dump["id"].as_str().unwrap(), dump["updated_at"].as_str().unwrap());
    let mut form = vec![
        ("id", id),
        ("version", version),
        ("ops[op-1][enabled]", "on"),
        ("ops[op-1][text]", "Home"),
        ("ops[op-2][enabled]", "on"),
        ("ops[op-2][text]", "Water the plants"),
        ("ops[op-2][priority]", "high"),
        ("ops[op-2][recurrence]", "weekly"),
    ];
    // A repeating task needs a start date: the card is named, nothing applied.
    let err = app.call(&c, "confirm_review", &form).await.unwrap_err();
    assert!(err.field_message("op-2").unwrap().to_lowercase().contains("start"), "{err:?}");
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);

    form.push(("ops[op-2][start_date]", "2026-12-01"));
    app.ok(&c, "confirm_review", &form).await;
    let home = app.ok(&c, "get_project", &[("slug", "home")]).await;
    let task = &home["tasks"][0];
    assert_eq!((task["priority"].as_str(), task["recurrence"].as_str()), (Some("high"), Some("weekly")), "{task}");
}

/// A page waiting on a dump processed elsewhere (another tab, the worker)
/// hears the moment it is done, by NOTIFY: it does not poll. (It would
/// otherwise look again only after a minute, past this test's limit.)
#[sqlx::test(migrations = "../migrations")]
async fn a_page_waiting_on_processing_elsewhere_hears_when_it_is_done(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let id = app.ok(&c, "save_draft", &[("content", "- buy seeds")]).await.as_str().unwrap().to_string();
    let ada: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    let (p, dump) = (pool.clone(), id.clone());
    let set_status = move |status: &'static str| {
        let (pool, id) = (p.clone(), dump.clone());
        async move {
            let mut tx = domain::db::begin_as(&pool, ada).await.unwrap();
            sqlx::query("update brain_dumps set status = $2, operations = '[]' where id = $1::uuid")
                .bind(&id)
                .bind(status)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    set_status("processing").await;
    let set_status = set_status.clone();
    let response = c.get(app.url(&format!("/brain-dump/{id}/events"))).send().await.unwrap();
    let finisher = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        set_status("parsed").await;
    });
    let events =
        tokio::time::timeout(std::time::Duration::from_secs(20), crate::support::read_events(response, |_, _| {}))
            .await
            .expect("the waiting page heard the change");
    finisher.await.unwrap();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["status", "status", "done"], "{events:?}");
    assert_eq!(events[1].1["message"], "Still processing…");
}
