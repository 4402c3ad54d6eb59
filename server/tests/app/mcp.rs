//! The MCP server, driven by the reference client (PyPI `mcp`, installed by
//! scripts/test.sh): tools listed, each one called; a read-only token reads
//! only; another person's data never reached; no token, no entry.

use crate::api::api_for;
use crate::support::{PASSWORD, TestApp};
use domain::brain_dump::llm::Engine;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Run the client against `app` with `token`, making `calls` ([tool, args] pairs).
async fn client(app: &TestApp, token: &str, calls: Value) -> Value {
    let python = std::env::var("TEST_PYTHON")
        .expect("TEST_PYTHON: run through ./scripts/test.sh, which installs the MCP client (PyPI mcp)");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let args = [script.to_string(), app.url("/mcp"), token.to_string(), calls.to_string()];
    // Off the test's runtime, which also runs the server.
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python).args(args).output())
        .await
        .unwrap()
        .expect("the MCP client runs");
    assert!(out.status.success(), "client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn result<'a>(out: &'a Value, tool: &str) -> (&'a Value, Value) {
    let r = out["results"].as_array().unwrap().iter().find(|r| r["tool"] == tool).unwrap();
    let parsed = serde_json::from_str(r["text"].as_str().unwrap()).unwrap_or_else(|_| r["text"].clone());
    (&r["is_error"], parsed)
}

async fn token(app: &TestApp, email: &str, scope: &str) -> String {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({ "email": email, "password": PASSWORD, "name": format!("mcp {scope}"), "scope": scope }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["scope"], scope);
    body["token"].as_str().unwrap().to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agent_lists_and_calls_every_tool_and_reaches_only_its_persons_data(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = api_for(&app, "ada@example.com").await;
    let bob = api_for(&app, "bob@example.com").await;
    let today = domain::brain_dump::offline::dates::today_in("Europe/Paris").to_string();
    let (_, garden) = ada.post("/api/v1/projects", json!({ "name": "Garden", "context": "Roses by the fence" })).await;
    let (_, prune) = ada
        .post("/api/v1/tasks", json!({ "project_id": garden["id"], "title": "Prune roses", "due_date": today }))
        .await;
    let (_, secret) = bob.post("/api/v1/projects", json!({ "name": "Bob's secret roses" })).await;
    let (_, g) = ada.post("/api/v1/briefs/generate", json!({})).await;
    let me = ada.get("/api/v1/me").await.1;
    let (uid, bid) = (me["id"].as_str().unwrap().parse().unwrap(), g["id"].as_str().unwrap().parse().unwrap());
    domain::brief::service::generate(&pool, uid, bid, &Engine::Offline).await.unwrap();
    let write = token(&app, "ada@example.com", "read_write").await;
    let read = token(&app, "ada@example.com", "read").await;

    let calls = json!([
        ["search", { "query": "roses" }],
        ["list_today", {}],
        ["get_project", { "project": "garden" }],
        ["latest_brief", {}],
        ["create_brain_dump", { "text": "# Kitchen\n- fix the tap\n- paint the door" }],
        ["complete_task", { "task_id": prune["id"] }],
        ["get_project", { "project": secret["id"] }],
    ]);
    let out = client(&app, &write, calls).await;
    assert_eq!(out["server"], "buildos");
    assert_eq!(
        out["tools"],
        json!([
            "complete_task",
            "confirm_brain_dump",
            "create_brain_dump",
            "get_project",
            "latest_brief",
            "list_today",
            "search"
        ])
    );
    assert_eq!(out["schemas"]["search"]["required"], json!(["query"]));

    let (err, found) = result(&out, "search");
    assert_eq!(err, false);
    let titles: Vec<&str> = found["results"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"Prune roses") && titles.contains(&"Garden"), "{found}");
    assert!(!found.to_string().contains("Bob"), "nobody else's data: {found}");
    let (_, today_list) = result(&out, "list_today");
    assert_eq!(today_list["today"][0]["title"], "Prune roses", "{today_list}");
    let (_, project) = result(&out, "get_project");
    assert_eq!(
        (project["name"].as_str(), project["tasks"][0]["title"].as_str()),
        (Some("Garden"), Some("Prune roses"))
    );
    let (_, brief) = result(&out, "latest_brief");
    assert_eq!(brief["status"], "ready", "{brief}");
    let (err, dump) = result(&out, "create_brain_dump");
    assert_eq!(err, false, "{dump}");
    let ops: Vec<Value> = dump["proposals"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ops.len(), 3, "{dump}");
    let (err, done) = result(&out, "complete_task");
    assert_eq!((err, &done["done"]), (&Value::Bool(false), &prune["id"]));
    // Bob's project, by its id: not found, as if it did not exist.
    let second = out["results"].as_array().unwrap().iter().filter(|r| r["tool"] == "get_project").nth(1).unwrap();
    assert_eq!(second["is_error"], true);
    assert_eq!(second["text"], "Not found.");

    // Confirm two of the three proposals: the project and one task.
    let dump_id = dump["brain_dump_id"].clone();
    let calls = json!([["confirm_brain_dump", { "brain_dump_id": dump_id, "operation_ids": [ops[0], ops[1]] }]]);
    let out = client(&app, &write, calls).await;
    let (err, confirmed) = result(&out, "confirm_brain_dump");
    assert_eq!((err, &confirmed["applied"]), (&Value::Bool(false), &json!(2)), "{confirmed}");
    let (_, projects) = ada.get("/api/v1/projects").await;
    assert!(projects["items"].as_array().unwrap().iter().any(|p| p["name"] == "Kitchen"), "{projects}");
    let (_, task) = ada.get(&format!("/api/v1/tasks/{}", prune["id"].as_str().unwrap())).await;
    assert_eq!(task["status"], "done");

    // A read-only token reads, and its writes are refused (by MCP and by the API alike).
    let calls = json!([["search", { "query": "kitchen" }], ["create_brain_dump", { "text": "more" }]]);
    let out = client(&app, &read, calls).await;
    assert_eq!(result(&out, "search").0, false);
    let (err, refused) = result(&out, "create_brain_dump");
    assert_eq!(err, true);
    assert!(refused.as_str().unwrap().contains("read-only"), "{refused}");
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&read)
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // No token (or a wrong one): no entry.
    for auth in [None, Some("Bearer bos_not-a-token")] {
        let mut req = reqwest::Client::new()
            .post(app.url("/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" }));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 401);
    }
}
