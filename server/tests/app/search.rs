//! Search: ranked (a title above a body), accents ignored, words as prefixes,
//! matches marked, deleted things left out, another person's data never found;
//! through the page's server function and API v1.

use crate::api::api_for;
use crate::support::TestApp;
use serde_json::{Value, json};
use sqlx::PgPool;

/// The titles of the hits, as plain text, best first.
fn titles(hits: &Value) -> Vec<String> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["title"].as_array().unwrap().iter().map(|f| f["text"].as_str().unwrap()).collect())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn search_ranks_titles_first_ignores_accents_and_stays_with_its_owner(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = api_for(&app, "ada@example.com").await;
    let bob = api_for(&app, "bob@example.com").await;

    let (_, project) = ada.post("/api/v1/projects", json!({ "name": "Kitchen", "description": "Renovation" })).await;
    let pid = project["id"].as_str().unwrap();
    // A body match created first (and so not first by date either way).
    let (_, body_hit) = ada
        .post(
            "/api/v1/tasks",
            json!({ "project_id": pid, "title": "Buy beans", "description": "from the café on Main Street" }),
        )
        .await;
    let (_, title_hit) = ada.post("/api/v1/tasks", json!({ "project_id": pid, "title": "Café opening hours" })).await;
    ada.post("/api/v1/notes", json!({ "project_id": pid, "title": "", "body": "Ask the CAFÉ about catering" })).await;
    let (_, deleted) = ada.post("/api/v1/tasks", json!({ "project_id": pid, "title": "Old café idea" })).await;
    ada.delete(&format!("/api/v1/tasks/{}", deleted["id"].as_str().unwrap())).await;
    // Bob's café is never Ada's.
    let (_, bp) = bob.post("/api/v1/projects", json!({ "name": "Bob's café" })).await;
    bob.post("/api/v1/tasks", json!({ "project_id": bp["id"], "title": "Café secret" })).await;

    // Without the accent, in capitals: the title match first, then the body and the note.
    let (status, found) = ada.get("/api/v1/search?q=CAFE").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], 3, "{found}");
    let t = titles(&found["items"]);
    assert_eq!(t[0], "Café opening hours", "{found}");
    assert_eq!(found["items"][0]["id"], title_hit["id"]);
    assert!(t.contains(&"Buy beans".to_string()) && t.contains(&"Ask the CAFÉ about catering".to_string()), "{t:?}");
    assert!(!t.iter().any(|t| t.contains("Old") || t.contains("secret") || t.contains("Bob")), "{t:?}");
    let ranks: Vec<f64> = found["items"].as_array().unwrap().iter().map(|h| h["rank"].as_f64().unwrap()).collect();
    assert!(ranks[0] > ranks[1], "a title match ranks above a body match: {ranks:?}");

    // The body match says where: the matched word marked in the snippet.
    let beans = found["items"].as_array().unwrap().iter().find(|h| h["id"] == body_hit["id"]).unwrap();
    assert_eq!(beans["kind"], "task");
    assert_eq!(beans["project"], "Kitchen");
    assert_eq!(beans["href"], format!("/tasks/{}", body_hit["id"].as_str().unwrap()));
    let marked: Vec<&str> = beans["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["mark"] == true)
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["café"], "{beans}");
    // The title match marks its title.
    assert_eq!(found["items"][0]["title"][0], json!({ "text": "Café", "mark": true }));

    // Words match as prefixes, and every word must match.
    assert_eq!(ada.get("/api/v1/search?q=kitch").await.1["total"], 1);
    assert_eq!(ada.get("/api/v1/search?q=renovat%20kitchen").await.1["items"][0]["kind"], "project");
    assert_eq!(ada.get("/api/v1/search?q=caf%C3%A9%20nothing").await.1["total"], 0);
    // Bob finds only his own.
    let (_, b) = bob.get("/api/v1/search?q=cafe").await;
    assert_eq!(titles(&b["items"]), ["Café secret", "Bob's café"], "{b}");

    // Bad input: named, nothing found. Paging.
    let (status, problem) = ada.get("/api/v1/search?q=%20%20").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(ada.get("/api/v1/search").await.0, 400);
    let (_, page) = ada.get("/api/v1/search?q=cafe&limit=1&offset=1").await;
    assert_eq!((page["items"].as_array().unwrap().len(), page["total"].as_i64()), (1, Some(3)));
    assert_eq!(ada.get("/api/v1/search?q=cafe&limit=0").await.0, 422);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_search_page_finds_brain_dumps_and_notes_and_names_a_bad_search(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, slug) = app.project(&c, "Garden").await;
    app.ok(
        &c,
        "create_note",
        &[("project_id", &pid), ("title", "Seeds"), ("body", "Tomatoes and résumé of last year")],
    )
    .await;
    app.ok(&c, "save_draft", &[("content", "Call the plumber about the résumé\nand more")]).await;

    let r = app.ok(&c, "search", &[("q", "resume"), ("offset", "0")]).await;
    assert_eq!(r["total"], 2, "{r}");
    let kinds: Vec<&str> = r["items"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"note") && kinds.contains(&"brain_dump"), "{kinds:?}");
    let note = r["items"].as_array().unwrap().iter().find(|h| h["kind"] == "note").unwrap();
    assert!(note["href"].as_str().unwrap().starts_with(&format!("/projects/{slug}#note-")), "{note}");
    let dump = r["items"].as_array().unwrap().iter().find(|h| h["kind"] == "brain_dump").unwrap();
    assert_eq!(
        dump["title"].as_array().unwrap().iter().map(|f| f["text"].as_str().unwrap()).collect::<String>(),
        "Call the plumber about the résumé"
    );
    assert_eq!(dump["href"], "/brain-dump", "the draft is on the capture page");

    // A blank search finds nothing (the page asks for words); a long one is named.
    assert_eq!(app.ok(&c, "search", &[("q", "  "), ("offset", "0")]).await["total"], 0);
    let err = app.call(&c, "search", &[("q", &"x".repeat(201)), ("offset", "0")]).await.unwrap_err();
    assert!(err.field_message("q").unwrap().contains("too long"), "{err:?}");
    // Signed out: refused.
    let stranger = TestApp::client();
    assert!(app.call(&stranger, "search", &[("q", "resume"), ("offset", "0")]).await.is_err());
}
