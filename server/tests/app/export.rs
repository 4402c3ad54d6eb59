//! Export and import: everything out as one document and back in (into a new
//! account equal, twice without duplicates, into the same account nothing),
//! the tasks as CSV, bad documents refused with nothing changed, the preview
//! and the web upload; another person's data never in an export.

use crate::api::{Api, api_for};
use crate::support::TestApp;
use domain::brain_dump::llm::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Ada's things: two projects (one in the bin), tasks with a subtask, a done
/// repeating task and its next occurrence, notes, a confirmed brain dump, a brief.
async fn fill(pool: &PgPool, ada: &Api<'_>) {
    let (_, p) = ada
        .post(
            "/api/v1/projects",
            json!({ "name": "Garden", "description": "Back yard", "context": "# Goals\nGrow *tomatoes*.",
                    "status": "paused", "tags": ["home", "outdoors"], "start_date": "2026-03-01", "end_date": "2026-09-30" }),
        )
        .await;
    let pid = p["id"].as_str().unwrap();
    let (_, parent) = ada
        .post(
            "/api/v1/tasks",
            json!({ "project_id": pid, "title": "Build beds", "priority": "high", "duration_minutes": 240,
                                        "due_date": "2026-04-10", "details": "Cedar, \"untreated\",\nthree of them" }),
        )
        .await;
    ada.post("/api/v1/tasks", json!({ "project_id": pid, "title": "Buy screws", "parent_task_id": parent["id"] }))
        .await;
    let (_, water) = ada
        .post(
            "/api/v1/tasks",
            json!({ "project_id": pid, "title": "=Water plants", "start_date": "2026-04-01", "recurrence": "weekly" }),
        )
        .await;
    // Done: the next occurrence appears, and both are exported.
    let (s, _) =
        ada.patch(&format!("/api/v1/tasks/{}", water["id"].as_str().unwrap()), json!({ "status": "done" })).await;
    assert_eq!(s, 200);
    ada.post("/api/v1/tasks", json!({ "title": "Inbox thought" })).await;
    ada.post("/api/v1/notes", json!({ "project_id": pid, "title": "Soil", "body": "pH 6.5, add compost" })).await;
    let (_, bin) = ada.post("/api/v1/projects", json!({ "name": "Binned" })).await;
    ada.post("/api/v1/tasks", json!({ "project_id": bin["id"], "title": "In the bin with its project" })).await;
    ada.delete(&format!("/api/v1/projects/{}", bin["id"].as_str().unwrap())).await;

    let (_, d) =
        ada.post("/api/v1/brain-dumps", json!({ "content": "# Kitchen\n- fix the tap\n- paint the door" })).await;
    let ids: Vec<Value> = d["operations"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    let (s, _) = ada
        .post(&format!("/api/v1/brain-dumps/{}/confirm", d["id"].as_str().unwrap()), json!({ "operation_ids": ids }))
        .await;
    assert_eq!(s, 200);

    let (_, g) = ada.post("/api/v1/briefs/generate", json!({})).await;
    let me = ada.get("/api/v1/me").await.1;
    let (uid, bid) = (me["id"].as_str().unwrap().parse().unwrap(), g["id"].as_str().unwrap().parse().unwrap());
    domain::brief::service::generate(pool, uid, bid, &Engine::Offline).await.unwrap();
}

/// The export without what differs between accounts and exports: ids,
/// times of creation and export, the account.
fn contents(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let names: std::collections::HashMap<String, String> = doc["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["name"].as_str().unwrap().to_string()))
        .collect();
    let titles: std::collections::HashMap<String, String> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap().to_string(), t["title"].as_str().unwrap().to_string()))
        .collect();
    for list in ["projects", "tasks", "notes", "brain_dumps", "briefs"] {
        for item in doc[list].as_array_mut().unwrap() {
            let o = item.as_object_mut().unwrap();
            for key in ["id", "created_at"] {
                o.remove(key);
            }
            // Links by name rather than id.
            if let Some(Value::String(p)) = o.get("project_id").cloned() {
                o.insert("project_id".into(), json!(names[&p]));
            }
            if let Some(Value::String(p)) = o.get("parent_task_id").cloned() {
                o.insert("parent_task_id".into(), json!(titles[&p]));
            }
        }
    }
    // In any order (made in one transaction, they were created at one time).
    for list in ["projects", "tasks", "notes", "brain_dumps", "briefs"] {
        doc[list].as_array_mut().unwrap().sort_by_key(|v| v.to_string());
    }
    let o = doc.as_object_mut().unwrap();
    o.remove("exported_at");
    o.remove("account");
    doc
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default()
}

fn count(doc: &Value, list: &str) -> usize {
    doc[list].as_array().unwrap().len()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_export_imports_into_a_new_account_equal_and_twice_without_duplicates(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = api_for(&app, "ada@example.com").await;
    let bob = api_for(&app, "bob@example.com").await;
    bob.post("/api/v1/projects", json!({ "name": "Bob's secret" })).await;
    fill(&pool, &ada).await;

    let (s, doc) = ada.get("/api/v1/export").await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!((doc["format"].as_str(), doc["version"].as_u64()), (Some("buildos-export"), Some(1)));
    assert_eq!(doc["account"]["email"], "ada@example.com");
    // Garden and Kitchen (from the brain dump); the binned project and its task left out.
    assert_eq!(count(&doc, "projects"), 2, "the binned project is left out: {}", doc["projects"]);
    let titles: Vec<&str> = doc["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert!(!titles.contains(&"In the bin with its project"), "{titles:?}");
    assert_eq!(titles.iter().filter(|t| **t == "=Water plants").count(), 2, "{titles:?}");
    assert_eq!((count(&doc, "notes"), count(&doc, "brain_dumps"), count(&doc, "briefs")), (1, 1, 1));
    assert!(!doc.to_string().contains("Bob"), "nobody else's data");
    let tasks = count(&doc, "tasks");

    // A preview writes nothing.
    let carol = api_for(&app, "carol@example.com").await;
    let (s, preview) = carol.post("/api/v1/import?preview=true", doc.clone()).await;
    assert_eq!(s, 200, "{preview}");
    assert_eq!(preview["preview"], true);
    assert_eq!(preview["created"]["tasks"], tasks);
    assert_eq!(carol.get("/api/v1/export").await.1["tasks"], json!([]));

    // Into a new account: equal (but for ids and times), the settings taken.
    let (s, report) = carol.post("/api/v1/import", doc.clone()).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["created"], json!({ "projects": 2, "tasks": tasks, "notes": 1, "brain_dumps": 1, "briefs": 1 }));
    assert_eq!(report["skipped"], json!([]));
    assert_eq!(report["settings_applied"], true);
    let (_, again) = carol.get("/api/v1/export").await;
    assert_eq!(contents(&again), contents(&doc));
    // The done repeating task stayed done without making a third occurrence.
    let done: Vec<&Value> = again["tasks"].as_array().unwrap().iter().filter(|t| t["status"] == "done").collect();
    assert_eq!(done.len(), 1);
    assert_eq!(
        done[0]["completed_at"],
        doc["tasks"].as_array().unwrap().iter().find(|t| t["status"] == "done").unwrap()["completed_at"]
    );

    // Twice: nothing new.
    let (_, twice) = carol.post("/api/v1/import", doc.clone()).await;
    assert_eq!(twice["created"], json!({ "projects": 0, "tasks": 0, "notes": 0, "brain_dumps": 0, "briefs": 0 }));
    assert_eq!(twice["already_there"]["tasks"], tasks);
    assert_eq!(twice["settings_applied"], false);
    assert_eq!(contents(&carol.get("/api/v1/export").await.1), contents(&doc));
    // Into the account it came from: nothing new either.
    let (_, own) = ada.post("/api/v1/import", doc.clone()).await;
    assert_eq!(own["created"]["tasks"], 0, "{own}");
    assert_eq!(own["already_there"]["projects"], 2);

    // The tasks as CSV: a header and a row each, quoted where needed, no formulas.
    assert_eq!(ada.get("/api/v1/export/tasks.csv").await.0, 200);
    let (_, csv_doc) = ada.get("/api/v1/export").await;
    let text = domain::export::tasks_csv(&serde_json::from_value(csv_doc).unwrap());
    let mut lines = text.split("\r\n");
    assert!(lines.next().unwrap().starts_with("id,project,title,"));
    assert!(text.contains(",Garden,'=Water plants,"), "{text}");
    assert!(text.contains("\"Cedar, \"\"untreated\"\",\nthree of them\""), "{text}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_export_is_refused_by_name_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = api_for(&app, "ada@example.com").await;
    fill(&pool, &ada).await;
    let (_, doc) = ada.get("/api/v1/export").await;
    let bob = api_for(&app, "bob@example.com").await;

    let mut bad = doc.clone();
    bad["tasks"][1]["title"] = json!("   ");
    let (s, problem) = bob.post("/api/v1/import", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("tasks[1].title"), "{problem}");
    // A task whose rules fail on import (a repeat without a start) names its place.
    let mut bad = doc.clone();
    bad["tasks"][0]["recurrence"] = json!("daily");
    bad["tasks"][0]["start_date"] = Value::Null;
    let (s, problem) = bob.post("/api/v1/import", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("tasks[0]"), "{problem}");
    for (mut bad, says) in [
        (json!({ "format": "other" }), "not a BuildOS export"),
        (json!({ "format": "buildos-export", "version": 9 }), "version"),
    ] {
        let (s, problem) = bob.post("/api/v1/import", bad.take()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    let (_, after) = bob.get("/api/v1/export").await;
    assert_eq!((count(&after, "projects"), count(&after, "tasks")), (0, 0), "nothing was written");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_profile_downloads_and_imports_with_a_preview(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Garden").await;
    app.task(&c, &pid, &[("title", "Prune roses")]).await;
    let r = c.get(app.url("/export/buildos-export.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"buildos-export-"));
    let file = r.text().await.unwrap();
    assert!(file.contains("Prune roses"));
    let csv = c.get(app.url("/export/tasks.csv")).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains(",Garden,Prune roses,"), "{csv}");
    // Signed out: to the login page.
    let stranger = TestApp::client();
    let r = stranger.get(app.url("/export/buildos-export.json")).send().await.unwrap();
    assert!(location(&r).starts_with("/login"), "{r:?}");

    // Another person uploads it: a preview page, then the import.
    let bob = app.signed_up("bob@example.com").await;
    let upload = |text: String| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::text(text).file_name("export.json").mime_str("application/json").unwrap(),
        );
        bob.post(app.url("/import")).header("origin", app.url("")).multipart(form).send()
    };
    let r = upload("not json".into()).await.unwrap();
    assert!(location(&r).contains("import_error=The+file+is+not+JSON"), "{r:?}");
    let r = upload(file.clone()).await.unwrap();
    let id = location(&r).strip_prefix("/import/").expect("the preview page").to_string();
    let preview = app.ok(&bob, "get_import", &[("id", &id)]).await;
    assert_eq!(preview["preview"]["created"]["tasks"], 1);
    assert_eq!(preview["applied"], Value::Null);
    assert_eq!(app.ok(&bob, "list_projects", &[]).await, json!([]), "nothing before the import");
    let done = app.ok(&bob, "apply_import", &[("id", &id)]).await;
    assert_eq!(done["created"]["projects"], 1);
    // Again: the same report, nothing more.
    assert_eq!(app.ok(&bob, "apply_import", &[("id", &id)]).await, done);
    assert_eq!(app.ok(&bob, "list_projects", &[]).await.as_array().unwrap().len(), 1);
    // Ada cannot see Bob's upload.
    assert_eq!(app.call(&c, "get_import", &[("id", &id)]).await, Err(domain::Error::NotFound));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_todoist_project_imports_with_a_preview_and_once(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let csv = include_str!("fixtures/todoist-home.csv");
    let upload = || {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::text(csv).file_name("Home.csv").mime_str("text/csv").unwrap());
        c.post(app.url("/import")).header("origin", app.url("")).multipart(form).send()
    };
    let r = upload().await.unwrap();
    let id = location(&r).strip_prefix("/import/").expect("the preview page").to_string();
    let preview = app.ok(&c, "get_import", &[("id", &id)]).await;
    assert_eq!(preview["exported_by"], "Todoist");
    assert_eq!(preview["preview"]["created"]["projects"], 1);
    assert_eq!(preview["preview"]["created"]["tasks"], 4);
    let reasons: Vec<&str> =
        preview["preview"]["skipped"].as_array().unwrap().iter().map(|s| s["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("every monday"), "{reasons:?}");
    let done = app.ok(&c, "apply_import", &[("id", &id)]).await;
    assert_eq!(done["created"]["tasks"], 4);
    assert_eq!(done["skipped"].as_array().unwrap().len(), 1, "the report keeps what was left out");

    let projects = app.ok(&c, "list_projects", &[]).await;
    assert_eq!(projects[0]["name"], "Home");
    let tasks = app.tasks_of(&c, projects[0]["id"].as_str().unwrap()).await;
    let by_title = |t: &str| tasks.iter().find(|x| x["title"] == t).unwrap_or_else(|| panic!("{t}: {tasks:?}")).clone();
    let plumber = app.ok(&c, "get_task", &[("id", by_title("Call the plumber @phone")["id"].as_str().unwrap())]).await;
    assert_eq!((plumber["priority"].as_str(), plumber["due_date"].as_str()), (Some("high"), Some("2026-12-10")));
    assert_eq!(plumber["duration_minutes"], 30);
    assert_eq!(plumber["details"], "He said Tuesday, maybe.");
    let invoice = app.ok(&c, "get_task", &[("id", by_title("Find the invoice")["id"].as_str().unwrap())]).await;
    assert_eq!(invoice["parent_task_id"], plumber["id"]);
    let roses = app.ok(&c, "get_task", &[("id", by_title("Prune the roses")["id"].as_str().unwrap())]).await;
    assert_eq!(
        (roses["description"].as_str(), roses["duration_minutes"].as_i64()),
        (Some("Section: Garden\n\nBefore the frost"), Some(960))
    );

    // The same file again: nothing new.
    let r = upload().await.unwrap();
    let again = location(&r).strip_prefix("/import/").unwrap().to_string();
    let preview = app.ok(&c, "get_import", &[("id", &again)]).await;
    assert_eq!(preview["preview"]["created"]["tasks"], 0);
    assert_eq!(preview["preview"]["already_there"]["tasks"], 4);
}

/// A Todoist backup (a zip, one CSV per project) brings every project in it;
/// a project already imported from its own CSV is not imported again.
#[sqlx::test(migrations = "../migrations")]
async fn a_todoist_backup_imports_every_project_once(pool: PgPool) {
    use std::io::Write;
    let (app, c) = TestApp::with_ada(pool).await;
    let home = include_str!("fixtures/todoist-home.csv");
    let send = |name: &'static str, bytes: Vec<u8>, mime: &'static str| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str(mime).unwrap());
        c.post(app.url("/import")).header("origin", app.url("")).multipart(form).send()
    };
    let preview_of =
        |r: reqwest::Response| location(&r).strip_prefix("/import/").expect("the preview page").to_string();

    // Home first, from its own CSV.
    let id = preview_of(send("Home.csv", home.as_bytes().to_vec(), "text/csv").await.unwrap());
    app.ok(&c, "apply_import", &[("id", &id)]).await;

    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [
        ("Home [2203306141].csv", home),
        ("Errands [2203306142].csv", "TYPE,CONTENT,PRIORITY,INDENT\r\ntask,Post the parcel,1,1\r\n"),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    let backup = zip.finish().unwrap().into_inner();
    let id = preview_of(send("todoist-backup.zip", backup, "application/zip").await.unwrap());
    let preview = app.ok(&c, "get_import", &[("id", &id)]).await;
    assert_eq!(preview["exported_by"], "Todoist");
    assert_eq!(preview["preview"]["created"]["projects"], 1, "{preview}");
    assert_eq!(preview["preview"]["already_there"]["projects"], 1);
    assert_eq!(preview["preview"]["created"]["tasks"], 1);
    assert_eq!(preview["preview"]["already_there"]["tasks"], 4);
    app.ok(&c, "apply_import", &[("id", &id)]).await;
    let mut names: Vec<String> = app
        .ok(&c, "list_projects", &[])
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["Errands", "Home"]);

    // Not a zip nor text: refused, naming what it takes.
    let r = send("photo.jpg", vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0xc3, 0x28], "image/jpeg").await.unwrap();
    let back = location(&r);
    assert!(back.starts_with("/profile?import_error=") && back.contains("Todoist+backup"), "{back}");
}
