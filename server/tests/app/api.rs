//! The JSON API: tokens, every endpoint's happy path and errors, pagination,
//! another person's ids, problem details, rate limits, the OpenAPI document.

use crate::support::{PASSWORD, TestApp};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

pub(crate) struct Api<'a> {
    app: &'a TestApp,
    http: Client,
    token: String,
}

impl Api<'_> {
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.app.url(path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let problem = r.headers().get("content-type").is_some_and(|c| c == "application/problem+json");
        let value = r.json::<Value>().await.unwrap_or(Value::Null);
        if !status.is_success() {
            assert!(problem, "{status}: errors are problem details: {value}");
            assert_eq!(value["status"], status.as_u16());
        }
        (status, value)
    }
    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }
    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
    pub(crate) async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }
    pub(crate) async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }
}

/// POST `body` as JSON to `path`, without a token.
async fn post_json(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    Client::new().post(app.url(path)).json(&body).send().await.unwrap()
}

/// Register `email` through the API and get a token for it.
pub(crate) async fn api_for<'a>(app: &'a TestApp, email: &str) -> Api<'a> {
    let http = Client::new();
    let r = post_json(
        app,
        "/api/v1/auth/register",
        json!({ "email": email, "password": PASSWORD, "timezone": "Europe/Paris" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r =
        post_json(app, "/api/v1/auth/tokens", json!({ "email": email, "password": PASSWORD, "name": "tests" })).await;
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("bos_"));
    Api { app, http, token }
}

#[sqlx::test(migrations = "../migrations")]
async fn token_lifecycle_and_the_cookie_token_wall(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // A token made on the profile page (server function, session cookie).
    let browser = app.signed_up("ada@example.com").await;
    let made = app.ok(&browser, "create_api_token", &[("name", "backup script")]).await;
    let token = made["token"].as_str().unwrap().to_string();
    let api = Api { app: &app, http: Client::new(), token: token.clone() };
    let (s, me) = api.get("/api/v1/me").await;
    assert_eq!((s, me["email"].as_str()), (StatusCode::OK, Some("ada@example.com")));
    let listed = app.ok(&browser, "list_api_tokens", &[]).await;
    assert_eq!(listed[0]["name"], "backup script");
    assert!(listed[0]["last_used_at"].is_string(), "last use is recorded");
    assert!(!listed.to_string().contains(&token), "the secret is never listed");

    // Cookies do not work on the API; tokens do not work on pages.
    let r = browser.post(app.url("/api/v1/projects")).json(&json!({ "name": "Sneaky" })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = Client::new().post(app.url("/api/get_dashboard")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 401);

    // Wrong passwords and bad tokens are refused.
    let r = Client::new()
        .post(app.url("/api/v1/auth/tokens"))
        .json(&json!({ "email": "ada@example.com", "password": "not the password", "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let bad = Api { app: &app, http: Client::new(), token: "bos_nope".into() };
    assert_eq!(bad.get("/api/v1/me").await.0, 401);

    // Revoked: refused from then on.
    app.ok(&browser, "revoke_api_token", &[("id", made["id"].as_str().unwrap())]).await;
    assert_eq!(api.get("/api/v1/me").await.0, 401);
    assert_eq!(app.ok(&browser, "list_api_tokens", &[]).await, json!([]));
}

#[sqlx::test(migrations = "../migrations")]
async fn projects_tasks_and_notes_through_the_api_with_pagination_and_filters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let api = api_for(&app, "ada@example.com").await;

    let (s, p) = api.post("/api/v1/projects", json!({ "name": "Garden", "tags": ["home", "spring"] })).await;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap().to_string();
    assert_eq!((p["slug"].as_str(), p["status"].as_str()), (Some("garden"), Some("active")));
    let (s, p) = api.patch(&format!("/api/v1/projects/{pid}"), json!({ "description": "Vegetables" })).await;
    assert_eq!(
        (s, p["description"].as_str(), p["name"].as_str()),
        (StatusCode::OK, Some("Vegetables"), Some("Garden"))
    );
    let (s, bad) = api.post("/api/v1/projects", json!({ "description": "no name" })).await;
    assert_eq!(s, 422);
    assert_eq!(bad["errors"][0]["field"], "name", "{bad}");

    for i in 1..=7 {
        let due = format!("2026-12-{:02}", i);
        let (s, t) = api
            .post("/api/v1/tasks", json!({ "project_id": pid, "title": format!("Task {i}"), "due_date": due }))
            .await;
        assert_eq!(s, 201, "{t}");
    }
    let (s, page) = api.get(&format!("/api/v1/tasks?project_id={pid}&limit=3&offset=3")).await;
    assert_eq!(s, 200);
    assert_eq!((page["total"].as_i64(), page["items"].as_array().unwrap().len()), (Some(7), 3));
    assert_eq!(page["items"][0]["title"], "Task 4");
    let (_, due) = api.get("/api/v1/tasks?due_before=2026-12-02").await;
    assert_eq!(due["total"], 2);
    let tid = page["items"][0]["id"].as_str().unwrap().to_string();
    let (s, t) = api.patch(&format!("/api/v1/tasks/{tid}"), json!({ "status": "done", "priority": "high" })).await;
    assert_eq!((s, t["status"].as_str(), t["priority"].as_str()), (StatusCode::OK, Some("done"), Some("high")));
    let (_, done) = api.get("/api/v1/tasks?status=done").await;
    assert_eq!(done["total"], 1);
    // Fields that contradict each other: a conflict (409) that still names the field.
    let (s, e) = api.post("/api/v1/tasks", json!({ "title": "Water", "recurrence": "daily" })).await;
    assert_eq!(s, 409);
    assert!(e["errors"].as_array().unwrap().iter().any(|f| f["field"] == "start_date"), "{e}");
    let (s, e) = api.post("/api/v1/tasks", json!({ "title": "x".repeat(501) })).await;
    assert_eq!(s, 422);
    assert!(e["errors"][0]["message"].as_str().unwrap().starts_with("Title is too long"), "{e}");
    assert_eq!(api.delete(&format!("/api/v1/tasks/{tid}")).await.0, 204);
    assert_eq!(api.get(&format!("/api/v1/tasks/{tid}")).await.0, 404);

    let (s, n) = api.post("/api/v1/notes", json!({ "project_id": pid, "body": "Compost in March." })).await;
    assert_eq!(s, 201, "{n}");
    let nid = n["id"].as_str().unwrap().to_string();
    let (_, n) = api.patch(&format!("/api/v1/notes/{nid}"), json!({ "title": "Compost" })).await;
    assert_eq!((n["title"].as_str(), n["body"].as_str()), (Some("Compost"), Some("Compost in March.")));
    let (_, notes) = api.get(&format!("/api/v1/notes?project_id={pid}")).await;
    assert_eq!(notes["total"], 1);
    assert_eq!(api.post("/api/v1/notes", json!({ "body": "orphan" })).await.0, 422);
    assert_eq!(api.delete(&format!("/api/v1/notes/{nid}")).await.0, 204);

    let (_, list) = api.get("/api/v1/projects?status=active").await;
    assert_eq!(list["total"], 1);
    assert_eq!(api.delete(&format!("/api/v1/projects/{pid}")).await.0, 204);
    assert_eq!(api.get(&format!("/api/v1/projects/{pid}")).await.0, 404);

    // Bad input of every kind: problem details, never a 5xx.
    assert_eq!(api.get("/api/v1/tasks?limit=0").await.0, 422);
    assert_eq!(api.get("/api/v1/tasks?limit=abc").await.0, 400);
    assert_eq!(api.get("/api/v1/tasks/not-a-uuid").await.0, 404);
    assert_eq!(api.get("/api/v1/nothing-here").await.0, 404);
    assert_eq!(api.post("/api/v1/projects", json!({ "name": "a\u{0}b" })).await.0, 400);
    let r = api
        .http
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = "x".repeat(server::api::BODY_LIMIT + 1);
    let r = api
        .http
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&api.token)
        .json(&json!({ "name": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_persons_ids_are_not_found_and_nothing_of_theirs_changes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = api_for(&app, "ada@example.com").await;
    let eve = api_for(&app, "eve@example.com").await;
    let (_, p) = ada.post("/api/v1/projects", json!({ "name": "Garden" })).await;
    let pid = p["id"].as_str().unwrap();
    let (_, t) = ada.post("/api/v1/tasks", json!({ "project_id": pid, "title": "Seeds" })).await;
    let tid = t["id"].as_str().unwrap();
    let (_, n) = ada.post("/api/v1/notes", json!({ "project_id": pid, "body": "Private" })).await;
    let nid = n["id"].as_str().unwrap();
    for path in [format!("/api/v1/projects/{pid}"), format!("/api/v1/tasks/{tid}"), format!("/api/v1/notes/{nid}")] {
        assert_eq!(eve.get(&path).await.0, 404, "{path}");
        assert_eq!(eve.patch(&path, json!({ "name": "Mine", "title": "Mine", "body": "Mine" })).await.0, 404, "{path}");
        assert_eq!(eve.delete(&path).await.0, 404, "{path}");
    }
    assert_eq!(eve.post("/api/v1/tasks", json!({ "project_id": pid, "title": "Into Ada's project" })).await.0, 404);
    assert_eq!(eve.post("/api/v1/notes", json!({ "project_id": pid, "body": "Into Ada's project" })).await.0, 404);
    assert_eq!(eve.get("/api/v1/tasks").await.1["total"], 0);
    let (_, t) = ada.get(&format!("/api/v1/tasks/{tid}")).await;
    assert_eq!(t["title"], "Seeds");
    assert_eq!(ada.get(&format!("/api/v1/notes/{nid}")).await.1["body"], "Private");
}

#[sqlx::test(migrations = "../migrations")]
async fn brain_dumps_and_briefs_through_the_api(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let api = api_for(&app, "ada@example.com").await;
    let (s, d) = api.post("/api/v1/brain-dumps", json!({ "content": "# Garden\n- buy seeds\n- water the beds" })).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!((d["status"].as_str(), d["operations"].as_array().unwrap().len()), (Some("parsed"), 3));
    let id = d["id"].as_str().unwrap().to_string();
    let (s, e) =
        api.post(&format!("/api/v1/brain-dumps/{id}/confirm"), json!({ "operation_ids": ["op-1", "op-9"] })).await;
    assert_eq!(s, 409);
    assert!(e["detail"].as_str().unwrap().contains("op-9"));
    let (s, c) = api
        .post(
            &format!("/api/v1/brain-dumps/{id}/confirm"),
            json!({ "operation_ids": ["op-1", "op-2"], "version": d["updated_at"] }),
        )
        .await;
    assert_eq!((s, c["applied"].as_i64()), (StatusCode::OK, Some(2)));
    let (_, tasks) = api.get("/api/v1/tasks").await;
    assert_eq!(tasks["items"][0]["title"], "Buy seeds");
    assert_eq!(api.post(&format!("/api/v1/brain-dumps/{id}/confirm"), json!({ "operation_ids": [] })).await.0, 409);
    assert_eq!(api.post(&format!("/api/v1/brain-dumps/{id}/process"), json!({})).await.0, 409, "applied: not again");
    let (s, undone) = api.post(&format!("/api/v1/brain-dumps/{id}/undo"), json!({})).await;
    assert_eq!((s, undone["status"].as_str()), (StatusCode::OK, Some("undone")));
    assert_eq!(api.get("/api/v1/tasks").await.1["total"], 0);
    assert_eq!(api.post("/api/v1/brain-dumps", json!({ "content": "   " })).await.0, 422);
    // The person's draft in the app is untouched by API dumps.

    let (s, g) = api.post("/api/v1/briefs/generate", json!({})).await;
    assert_eq!(s, 202);
    let (_, list) = api.get("/api/v1/briefs").await;
    assert_eq!(list[0]["id"], g["id"]);
    let (s, b) = api.get(&format!("/api/v1/briefs/{}", g["id"].as_str().unwrap())).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("queued")));
}

#[sqlx::test(migrations = "../migrations")]
async fn each_token_is_rate_limited_with_retry_after(pool: PgPool) {
    let app = TestApp::builder(pool).api_rate_per_minute(3).spawn().await;
    let api = api_for(&app, "ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(api.get("/api/v1/me").await.0, 200);
    }
    let r = api.http.get(app.url("/api/v1/me")).bearer_auth(&api.token).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_describes_every_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc: Value = Client::new().get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/tokens", "post"),
        ("/api/v1/projects", "get"),
        ("/api/v1/projects/{id}", "patch"),
        ("/api/v1/tasks/{id}", "delete"),
        ("/api/v1/notes", "post"),
        ("/api/v1/brain-dumps/{id}/confirm", "post"),
        ("/api/v1/briefs/generate", "post"),
    ] {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path} documented");
        assert!(op["responses"]["422"].is_object() && op["responses"]["429"].is_object(), "{method} {path} errors");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // Links name their target the way OpenAPI spells it; an optional date is null or a date, never any string.
    let link = &paths["/api/v1/tasks"]["post"]["responses"]["201"]["links"]["get_task"];
    assert_eq!(link["operationId"], "get_task", "{link}");
    let due = &doc["components"]["schemas"]["TaskInput"]["properties"]["due_date"];
    assert_eq!(*due, json!({ "oneOf": [{ "type": "null" }, { "type": "string", "format": "date" }] }));
    // In a merge patch, null clears a field with a default (tags) but not a required one (name).
    let changes = &doc["components"]["schemas"]["ProjectChanges"]["properties"];
    assert_eq!(changes["tags"]["oneOf"][0]["type"], "null", "{changes}");
    assert_eq!(changes["name"]["type"], "string", "{changes}");
    let docs = Client::new().get(app.url("/api/v1/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/v1/brain-dumps/{id}/confirm"));
}

#[sqlx::test(migrations = "../migrations")]
async fn registration_can_be_closed_and_checks_its_input(pool: PgPool) {
    let open = TestApp::spawn(pool.clone()).await;
    let http = Client::new();
    let r = post_json(&open, "/api/v1/auth/register", json!({ "email": "not-an-email", "password": "short" })).await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    // A JSON body is read field by field: the first invalid one is named.
    assert_eq!(fields, ["email"], "{problem}");
    let body = json!({ "email": "ada@example.com", "password": PASSWORD });
    assert_eq!(http.post(open.url("/api/v1/auth/register")).json(&body).send().await.unwrap().status(), 201);
    let again = http.post(open.url("/api/v1/auth/register")).json(&body).send().await.unwrap();
    // Taken: a conflict with what exists (409), naming the field.
    assert_eq!(again.status(), 409);
    assert_eq!(again.json::<Value>().await.unwrap()["errors"][0]["field"], "email", "the address is taken");

    let closed = TestApp::builder(pool).registration_open(false).spawn().await;
    let body = json!({ "email": "eve@example.com", "password": PASSWORD });
    let r = http.post(closed.url("/api/v1/auth/register")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Tokens for existing accounts still work.
    let r = post_json(
        &closed,
        "/api/v1/auth/tokens",
        json!({ "email": "ada@example.com", "password": PASSWORD, "name": "cli" }),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[sqlx::test(migrations = "../migrations")]
async fn closed_registration_closes_the_signup_page_too(pool: PgPool) {
    let closed = TestApp::builder(pool).registration_open(false).spawn().await;
    let c = TestApp::client();
    let e = closed
        .call(&c, "signup", &[("email", "eve@example.com"), ("password", PASSWORD), ("timezone", "UTC")])
        .await
        .unwrap_err();
    assert!(e.field_message("email").unwrap().contains("does not take new accounts"), "{e:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_parent_that_is_not_ones_own_task_is_a_conflict_not_a_missing_task(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = api_for(&app, "ada@example.com").await;
    let bob = api_for(&app, "bob@example.com").await;
    let (_, bobs) = bob.post("/api/v1/tasks", json!({ "title": "Bob's" })).await;
    let (_, task) = ada.post("/api/v1/tasks", json!({ "title": "Ada's" })).await;
    let id = task["id"].as_str().unwrap();
    for parent in [json!(uuid::Uuid::new_v4()), bobs["id"].clone()] {
        let (s, problem) = ada.patch(&format!("/api/v1/tasks/{id}"), json!({ "parent_task_id": parent })).await;
        assert_eq!(s, StatusCode::CONFLICT, "{problem}");
        assert!(problem["detail"].as_str().unwrap().starts_with("parent_task_id: there is no such task"), "{problem}");
        let (s, problem) = ada.post("/api/v1/tasks", json!({ "title": "Child", "parent_task_id": parent })).await;
        assert_eq!(s, StatusCode::CONFLICT, "{problem}");
    }
    assert_eq!(ada.get(&format!("/api/v1/tasks/{id}")).await.1["parent_task_id"], Value::Null);
}
