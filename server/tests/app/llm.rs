//! The LLM engine against a fake OpenAI-compatible server on 127.0.0.1: valid
//! output, malformed or schema-violating output, a 429 then success, a timeout.

use crate::support::TestApp;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use domain::Error as AppError;
use domain::brain_dump::llm::{Engine, LlmConfig};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) enum Reply {
    /// 200 with this as the assistant message's content.
    Content(String),
    /// 429 with `Retry-After: 0`.
    RateLimited,
    /// Answer only after this long.
    Slow(Duration),
    /// Streamed in small pieces with this pause between them.
    Trickled(String, Duration),
}

#[derive(Clone, Default)]
pub(crate) struct Fake {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    /// Set once the last piece of a streamed answer was sent.
    finished: Arc<AtomicBool>,
}

/// `content` as OpenAI streams it: `chat.completion.chunk` events of a few
/// characters each, with `usage` a last chunk of no choices saying the
/// tokens used, then `[DONE]`.
fn chunked(content: &str, pause: Duration, finished: Arc<AtomicBool>, usage: bool) -> Response {
    let chunk = |delta: Value, finish: Value| {
        let c = json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
                        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
        format!("data: {c}\n\n")
    };
    let mut events = vec![chunk(json!({ "role": "assistant", "content": "" }), Value::Null)];
    let chars: Vec<char> = content.chars().collect();
    events.extend(
        chars.chunks(16).map(|piece| chunk(json!({ "content": piece.iter().collect::<String>() }), Value::Null)),
    );
    events.push(chunk(json!({}), json!("stop")));
    if usage {
        let u = json!({ "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
                        "choices": [], "usage": { "prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200 } });
        events.push(format!("data: {u}\n\n"));
    }
    events.push("data: [DONE]\n\n".into());
    let total = events.len();
    let body =
        futures::stream::unfold((events.into_iter().enumerate(), finished), move |(mut it, finished)| async move {
            let (i, event) = it.next()?;
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            if i + 1 == total {
                finished.store(true, Ordering::SeqCst);
            }
            Some((Ok::<_, std::io::Error>(event), (it, finished)))
        });
    ([("content-type", "text/event-stream")], axum::body::Body::from_stream(body)).into_response()
}

async fn completions(State(fake): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let streamed = body["stream"] == true;
    let usage = body["stream_options"]["include_usage"] == true;
    fake.seen.lock().unwrap().push((headers, body));
    let reply = fake.replies.lock().unwrap().pop_front().expect("the test expected no more requests");
    let content = match reply {
        Reply::RateLimited => {
            let error =
                json!({ "error": { "message": "slow down", "type": "rate_limit_error", "param": null, "code": null } });
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], Json(error)).into_response();
        }
        Reply::Slow(d) => {
            tokio::time::sleep(d).await;
            r#"{"operations":[]}"#.to_string()
        }
        Reply::Content(c) => c,
        Reply::Trickled(c, pause) => return chunked(&c, pause, fake.finished.clone(), usage),
    };
    if streamed {
        return chunked(&content, Duration::ZERO, fake.finished.clone(), usage);
    }
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake-model",
        "choices": [{ "index": 0, "finish_reason": "stop", "logprobs": null,
                      "message": { "role": "assistant", "content": content, "refusal": null } }]
    }))
    .into_response()
}

/// Start the fake with its replies; the engine config pointing at it.
pub(crate) async fn start(replies: Vec<Reply>, timeout: Duration) -> (Fake, Engine) {
    let fake = Fake { replies: Arc::new(Mutex::new(replies.into())), ..Fake::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/v1/chat/completions", post(completions)).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let engine = Engine::Llm(LlmConfig {
        api_key: "test-key".into(),
        base_url: format!("http://{addr}/v1"),
        model: "fake-model".into(),
        timeout,
        max_tokens: 1000,
        quota: domain::brain_dump::quota::Quota {
            per_minute: 1000,
            per_day: 1000,
            server_per_day: 1000,
            free_per_day: None,
        },
    });
    (fake, engine)
}

pub(crate) fn op(fields: Value) -> Value {
    let mut base = json!({
        "table": "task", "kind": "create", "reference": null, "project_ref": null, "name": null, "title": null,
        "details": null, "context": null, "body": null, "priority": null, "start_date": null, "due_date": null,
        "recurrence": null, "duration_minutes": null, "reasoning": "stated in the dump"
    });
    base.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    base
}

async fn dump_and_parse(app: &TestApp, c: &reqwest::Client, text: &str) -> (String, Result<Value, AppError>) {
    let id = app.ok(c, "save_draft", &[("content", text)]).await.as_str().unwrap().to_string();
    let parsed = app.call(c, "parse_brain_dump", &[("id", &id)]).await;
    (id, parsed)
}

/// A server whose model answers `answer` once; `text` dumped by `c` and parsed:
/// the app, the fake (what it was sent) and the dump up for review.
async fn reviewed(pool: PgPool, c: &reqwest::Client, answer: String, text: &str) -> (TestApp, Fake, Value) {
    let (fake, engine) = start(vec![Reply::Content(answer)], Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let (_, parsed) = dump_and_parse(&app, c, text).await;
    (app, fake, parsed.unwrap())
}

#[sqlx::test(migrations = "../migrations")]
async fn llm_proposals_are_checked_one_by_one_and_the_good_ones_apply(pool: PgPool) {
    let stranger = {
        let app = TestApp::spawn(pool.clone()).await;
        let c = app.signed_up("eve@example.com").await;
        app.project(&c, "Eve's project").await.0
    };
    let answer = json!({ "operations": [
        op(json!({ "table": "project", "reference": "new-project-1", "name": "Garden", "context": "Vegetables this spring." })),
        op(json!({ "title": "Buy seeds", "project_ref": "new-project-1", "due_date": "2026-12-04", "priority": "high" })),
        op(json!({ "title": "Water daily", "project_ref": "new-project-1", "start_date": "2026-12-01", "recurrence": "daily" })),
        op(json!({ "title": "Ghost", "project_ref": "new-project-9" })),
        op(json!({ "title": "Bad date", "due_date": "2026-02-30" })),
        op(json!({ "title": "Planted", "project_ref": stranger })),
        op(json!({ "table": "note", "project_ref": "new-project-1", "body": "Ask the neighbour about compost." })),
    ] });
    let (fake, engine) = start(vec![Reply::Content(answer.to_string())], Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    app.project(&c, "Move house").await;
    let (_, parsed) = dump_and_parse(&app, &c, "Garden: seeds by friday, water daily from dec 1. compost?").await;
    let dump = parsed.unwrap();
    assert_eq!(dump["engine"], "llm");

    // What was asked: the schema, the model, the person's projects, the key as a bearer token.
    {
        let seen = fake.seen.lock().unwrap();
        let (headers, body) = &seen[0];
        assert_eq!(headers["authorization"], "Bearer test-key");
        assert_eq!(body["model"], "fake-model");
        assert_eq!(body["stream"], true, "the answer is streamed");
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["response_format"]["json_schema"]["strict"], true);
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("Move house") && system.contains("Create only the tasks the person actually stated"));
        assert_eq!(body["messages"][1]["content"], "Garden: seeds by friday, water daily from dec 1. compost?");
        assert_eq!(body["stream_options"]["include_usage"], true, "the tokens used are asked for");
    }
    // Counted at /metrics: the call, its time and its tokens (other tests share the process: at least).
    let m = crate::prometheus::parse(crate::prometheus::get(app.addr, "/metrics", &[]).await.1).await;
    let of = |family: &str, name: &str, labels: &[(&str, &str)]| crate::prometheus::sum(&m, family, name, labels);
    let brain_dump = ("purpose", "brain_dump");
    assert!(of("buildos_llm_calls", "buildos_llm_calls_total", &[brain_dump, ("outcome", "ok")]) >= 1.0, "{m}");
    assert!(of("buildos_llm_call_duration_seconds", "buildos_llm_call_duration_seconds_count", &[brain_dump]) >= 1.0);
    assert!(of("buildos_llm_tokens", "buildos_llm_tokens_total", &[brain_dump, ("kind", "prompt")]) >= 120.0);
    assert!(of("buildos_llm_tokens", "buildos_llm_tokens_total", &[brain_dump, ("kind", "completion")]) >= 80.0);

    let ops = dump["operations"].as_array().unwrap();
    let error_of =
        |title: &str| ops.iter().find(|o| o["fields"]["title"] == title).unwrap()["error"].as_str().map(str::to_string);
    assert_eq!(error_of("Buy seeds"), None);
    assert!(error_of("Ghost").unwrap().contains("new-project-9"));
    assert!(error_of("Bad date").unwrap().contains("Due date"));
    assert!(error_of("Planted").unwrap().contains("not yours"));
    let enabled = ops.iter().filter(|o| o["enabled"] == true).count();
    assert_eq!(enabled, 4, "the three rejected ones are unticked");

    let confirmed = app.confirm(&c, &dump, &dump["operations"]).await.unwrap();
    assert_eq!(confirmed, 4);
    let garden = app.ok(&c, "get_project", &[("slug", "garden")]).await;
    assert_eq!(garden["project"]["context"], "Vegetables this spring.");
    let titles: Vec<&str> = garden["tasks"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 2);
    assert_eq!(garden["notes"][0]["body"], "Ask the neighbour about compost.");
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_or_schema_violating_output_is_a_clear_error_and_nothing_is_applied(pool: PgPool) {
    let replies = vec![
        Reply::Content("Sure! Here are your tasks: buy seeds".into()),
        Reply::Content(r#"{"operations":[{"table":"task"}]}"#.into()),
    ];
    let (_, engine) = start(replies, Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    for _ in 0..2 {
        let (id, parsed) = dump_and_parse(&app, &c, "buy seeds").await;
        match parsed {
            Err(AppError::Upstream(m)) => {
                assert!(m.contains("could not be read") && m.contains("Nothing was changed"), "{m}")
            }
            other => panic!("expected an upstream error, got {other:?}"),
        }
        let dump = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
        assert_eq!(dump["status"], "failed");
        assert!(dump["error"].as_str().unwrap().contains("could not be read"));
        assert_eq!(dump["operations"], json!([]));
    }
    assert_eq!(app.ok(&c, "list_projects", &[]).await.as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rate_limited_request_is_retried_and_then_succeeds(pool: PgPool) {
    let ok = json!({ "operations": [op(json!({ "title": "Buy seeds" }))] }).to_string();
    let (fake, engine) = start(vec![Reply::RateLimited, Reply::Content(ok)], Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let (_, parsed) = dump_and_parse(&app, &c, "buy seeds").await;
    let dump = parsed.unwrap();
    assert_eq!(dump["operations"][0]["fields"]["title"], "Buy seeds");
    assert_eq!(fake.seen.lock().unwrap().len(), 2, "one 429, one retry");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_model_that_does_not_answer_in_time_is_a_clear_error(pool: PgPool) {
    let (_, engine) = start(vec![Reply::Slow(Duration::from_secs(5))], Duration::from_millis(500)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let (id, parsed) = dump_and_parse(&app, &c, "buy seeds").await;
    match parsed {
        Err(AppError::Upstream(m)) => assert!(m.contains("did not answer in time"), "{m}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The text is still there to process again (with the offline parser, for instance).
    let dump = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!((dump["status"].as_str(), dump["content"].as_str()), (Some("failed"), Some("buy seeds")));
    assert_eq!(app.ok(&c, "get_draft", &[]).await["content"], "buy seeds", "and back in the editor");
}

/// Ada's draft `text`, processed by a model answering `reply`, as the review
/// page's event stream: the fake, the app, Ada, the dump's id and the stream.
async fn streaming(
    pool: PgPool,
    reply: Reply,
    timeout: Duration,
    text: &str,
) -> (Fake, TestApp, reqwest::Client, String, reqwest::Response) {
    let (fake, engine) = start(vec![reply], timeout).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let id = app.ok(&c, "save_draft", &[("content", text)]).await.as_str().unwrap().to_string();
    let response = c.get(app.url(&format!("/brain-dump/{id}/events"))).send().await.unwrap();
    (fake, app, c, id, response)
}

#[sqlx::test(migrations = "../migrations")]
async fn proposals_reach_the_browser_while_the_model_is_still_answering(pool: PgPool) {
    let answer = json!({ "operations": [
        op(json!({ "table": "project", "reference": "new-project-1", "name": "Garden", "context": "Spring." })),
        op(json!({ "title": "Buy seeds", "project_ref": "new-project-1" })),
        op(json!({ "title": "Fix the fence", "project_ref": "new-project-1", "details": "The north side, before the storms in December." })),
    ] });
    let trickle = Reply::Trickled(answer.to_string(), Duration::from_millis(40));
    let (fake, app, c, id, response) = streaming(pool, trickle, Duration::from_secs(30), "Garden: seeds, fence").await;
    let mut first_op_while_streaming = None;
    let events = crate::support::read_events(response, |name, _| {
        if name == "operation" && first_op_while_streaming.is_none() {
            first_op_while_streaming = Some(!fake.finished.load(Ordering::SeqCst));
        }
    })
    .await;
    assert_eq!(first_op_while_streaming, Some(true), "the first proposal arrived before the model finished");
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["status", "status", "operation", "operation", "operation", "done"]);
    assert_eq!(events[3].1["operation"]["fields"]["title"], "Buy seeds");
    assert_eq!(events[3].1["home"], "in the new project Garden");
    let dump = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!((dump["status"].as_str(), dump["operations"].as_array().unwrap().len()), (Some("parsed"), 3));
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_stops_processing_and_gives_the_text_back(pool: PgPool) {
    let slow = json!({ "operations": [op(json!({ "title": "Buy seeds" })), op(json!({ "title": "Call mum" }))] });
    let trickle = Reply::Trickled(slow.to_string(), Duration::from_millis(200));
    let (_, app, c, id, response) = streaming(pool, trickle, Duration::from_secs(60), "buy seeds, call mum").await;
    let (app2, c2, id2) = (&app, c.clone(), id.clone());
    let mut statuses = 0;
    let events = crate::support::read_events(response, |name, _| {
        statuses += usize::from(name == "status");
        // The second status ("Asking the AI") comes once the dump is processing.
        if name == "status" && statuses == 2 {
            let (c2, id2, url) = (c2.clone(), id2.clone(), app2.url("/api/cancel_brain_dump"));
            tokio::spawn(async move { c2.post(url).form(&[("id", id2)]).send().await.unwrap() });
        }
    })
    .await;
    assert_eq!(events.last().unwrap().0, "cancelled", "{events:?}");
    let dump = app.ok(&c, "get_brain_dump", &[("id", &id)]).await;
    assert_eq!((dump["status"].as_str(), dump["operations"].as_array().unwrap().len()), (Some("draft"), 0));
    assert_eq!(app.ok(&c, "get_draft", &[]).await["content"], "buy seeds, call mum");
}

/// Ada's "Move house" project with two tasks; the fake's answer changes them.
async fn existing(app: &TestApp, c: &reqwest::Client) -> (String, String, String) {
    let (project, _) = app.project(c, "Move house").await;
    let boxes = app.task(c, &project, &[("title", "Buy boxes"), ("due_date", "2026-12-10")]).await;
    let van = app.task(c, &project, &[("title", "Book a van")]).await;
    (project, boxes, van)
}

fn changes(project: &str, boxes: &str, van: &str, stranger_task: &str) -> String {
    json!({ "operations": [
        op(json!({ "kind": "update", "target_id": boxes, "title": "Buy 30 boxes", "due_date": "2026-12-05", "priority": "high" })),
        op(json!({ "kind": "delete", "target_id": van })),
        op(json!({ "table": "project_context", "kind": "update", "project_ref": project, "context": "The lift is out until January." })),
        op(json!({ "kind": "update", "target_id": stranger_task, "title": "Mine now" })),
        op(json!({ "title": "Label the boxes", "project_ref": project })),
    ] })
    .to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn changes_and_deletes_of_existing_items_apply_and_undo_puts_them_back(pool: PgPool) {
    let stranger_task = {
        let app = TestApp::spawn(pool.clone()).await;
        let c = app.signed_up("eve@example.com").await;
        let (p, _) = app.project(&c, "Eve's project").await;
        app.task(&c, &p, &[("title", "Eve's task")]).await
    };
    let app0 = TestApp::spawn(pool.clone()).await;
    let c0 = app0.signed_up("ada@example.com").await;
    let (project, boxes, van) = existing(&app0, &c0).await;
    let c = c0;
    let answer = changes(&project, &boxes, &van, &stranger_task);
    let text = "boxes: 30, by dec 5, urgent. No van. Lift broken. Label boxes.";
    let (app, fake, dump) = reviewed(pool, &c, answer, text).await;
    // The model was shown the tasks it may change, by id.
    let system = fake.seen.lock().unwrap()[0].1["messages"][0]["content"].as_str().unwrap().to_string();
    assert!(system.contains(&format!("Buy boxes (id {boxes})")), "{system}");

    let ops = dump["operations"].as_array().unwrap();
    assert_eq!(ops[0]["kind"], "update");
    assert_eq!(ops[0]["target_id"], boxes.as_str());
    assert!(ops[0]["target_version"].is_string());
    assert_eq!(ops[2]["table"], "project_context");
    assert!(ops[3]["error"].as_str().unwrap().contains("not one of yours"), "{}", ops[3]);
    assert_eq!(ops[3]["enabled"], false);
    let names: Vec<&str> = dump["target_names"].as_array().unwrap().iter().map(|n| n[1].as_str().unwrap()).collect();
    assert!(names.contains(&"Buy boxes") && names.contains(&"Book a van"), "{names:?}");

    // Even ticked and sent back, the stranger's task is refused, and nothing at all is applied.
    let mut smuggled = ops.clone();
    smuggled[3]["enabled"] = json!(true);
    let err = app.confirm(&c, &dump, &Value::Array(smuggled)).await.unwrap_err();
    assert!(err.field_message("op-4").is_some(), "{err:?}");
    assert_eq!(app.tasks_of(&c, &project).await.len(), 2);

    let applied = app.confirm(&c, &dump, &dump["operations"]).await.unwrap();
    assert_eq!(applied, 4);
    let task = app.ok(&c, "get_task", &[("id", &boxes)]).await;
    assert_eq!(
        (task["title"].as_str(), task["due_date"].as_str(), task["priority"].as_str()),
        (Some("Buy 30 boxes"), Some("2026-12-05"), Some("high"))
    );
    let titles: Vec<String> =
        app.tasks_of(&c, &project).await.iter().map(|t| t["title"].as_str().unwrap().to_string()).collect();
    assert!(
        !titles.contains(&"Book a van".to_string()) && titles.contains(&"Label the boxes".to_string()),
        "{titles:?}"
    );
    let moving = app.ok(&c, "get_project", &[("slug", "move-house")]).await;
    assert_eq!(moving["project"]["context"], "The lift is out until January.");

    app.ok(&c, "undo_brain_dump", &[("id", dump["id"].as_str().unwrap())]).await;
    let task = app.ok(&c, "get_task", &[("id", &boxes)]).await;
    assert_eq!(
        (task["title"].as_str(), task["due_date"].as_str(), task["priority"].as_str()),
        (Some("Buy boxes"), Some("2026-12-10"), Some("medium"))
    );
    let mut titles: Vec<String> =
        app.tasks_of(&c, &project).await.iter().map(|t| t["title"].as_str().unwrap().to_string()).collect();
    titles.sort();
    assert_eq!(titles, ["Book a van", "Buy boxes"], "the deleted task is back, the new one gone");
    let moving = app.ok(&c, "get_project", &[("slug", "move-house")]).await;
    assert_eq!(moving["project"]["context"], "");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_change_to_an_item_edited_after_the_review_applies_nothing_and_names_it(pool: PgPool) {
    let app0 = TestApp::spawn(pool.clone()).await;
    let c = app0.signed_up("ada@example.com").await;
    let (project, boxes, van) = existing(&app0, &c).await;
    let mut answer: Value = serde_json::from_str(&changes(&project, &boxes, &van, &boxes)).unwrap();
    answer["operations"].as_array_mut().unwrap().remove(3);
    let (app, _, dump) = reviewed(pool, &c, answer.to_string(), "boxes, van, lift, labels").await;
    // Meanwhile, in another tab: the van task is edited.
    app.ok(
        &c,
        "update_task",
        &[("id", &van), ("title", "Book a big van"), ("priority", "medium"), ("status", "backlog")],
    )
    .await;
    let err = app.confirm(&c, &dump, &dump["operations"]).await.unwrap_err();
    match err {
        AppError::Conflict(m) => assert!(m.contains("\"Book a big van\" was edited"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let titles: Vec<String> =
        app.tasks_of(&c, &project).await.iter().map(|t| t["title"].as_str().unwrap().to_string()).collect();
    assert_eq!(titles.len(), 2, "nothing applied: {titles:?}");
    assert_eq!(app.ok(&c, "get_task", &[("id", &boxes)]).await["title"], "Buy boxes");
}

#[sqlx::test(migrations = "../migrations")]
async fn proposals_in_any_order_and_changes_the_database_would_refuse_are_named(pool: PgPool) {
    let app0 = TestApp::spawn(pool.clone()).await;
    let c = app0.signed_up("ada@example.com").await;
    let (project, boxes, _) = existing(&app0, &c).await;
    let answer = json!({ "operations": [
        // The task comes before the project it goes into.
        op(json!({ "title": "Buy seeds", "project_ref": "new-project-1" })),
        op(json!({ "table": "project", "reference": "new-project-1", "name": "Garden" })),
        op(json!({ "table": "project_context", "kind": "update", "project_ref": project, "context": null })),
        op(json!({ "kind": "update", "target_id": boxes, "recurrence": "weekly" })),
    ] });
    let (app, _, dump) = reviewed(pool, &c, answer.to_string(), "seeds for the garden; the lift; boxes weekly").await;
    let err = app.confirm(&c, &dump, &dump["operations"]).await.unwrap_err();
    assert!(err.field_message("op-3").unwrap().contains("context"), "{err:?}");
    assert!(err.field_message("op-4").unwrap().contains("start date"), "{err:?}");
    let mut ops = dump["operations"].as_array().unwrap().clone();
    ops[2]["enabled"] = json!(false);
    ops[3]["enabled"] = json!(false);
    assert_eq!(app.confirm(&c, &dump, &Value::Array(ops)).await.unwrap(), 2);
    let garden = app.ok(&c, "get_project", &[("slug", "garden")]).await;
    assert_eq!(garden["tasks"][0]["title"], "Buy seeds", "the task went into the project listed after it");
}

/// The project page and the task editor, and the same changes proposed in a
/// dump: one person does it by hand, the other through confirm.
#[sqlx::test(migrations = "../migrations")]
async fn a_rename_and_a_repeating_task_done_through_a_dump_end_as_through_the_pages(pool: PgPool) {
    let by_hand = TestApp::spawn(pool.clone()).await;
    let ada = by_hand.signed_up("ada@example.com").await;
    let bob = by_hand.signed_up("bob@example.com").await;
    let mut made = Vec::new();
    for c in [&ada, &bob] {
        let (project, _) = by_hand.project(c, "Move house").await;
        by_hand.project(c, "New flat").await; // the new name's slug is taken
        let bins = by_hand
            .task(c, &project, &[("title", "Bins out"), ("start_date", "2027-01-05"), ("recurrence", "weekly")])
            .await;
        made.push((project, bins));
    }

    // Ada, by hand.
    let (project, bins) = &made[0];
    by_hand.ok(&ada, "update_project", &[("id", project), ("name", "New flat")]).await;
    let form = [("id", bins.as_str()), ("title", "Bins out"), ("start_date", "2027-01-05"), ("recurrence", "weekly")];
    by_hand.ok(&ada, "update_task", &[&form[..], &[("status", "done")]].concat()).await;

    // Bob, through a dump.
    let (project, bins) = &made[1];
    let reply = json!({ "operations": [
        op(json!({ "table": "project", "kind": "update", "target_id": project, "name": "New flat" })),
        op(json!({ "kind": "update", "target_id": bins, "status": "done" })),
    ] });
    let (app, _, dump) = reviewed(pool, &bob, reply.to_string(), "Renamed the move to New flat. Bins are out.").await;
    let applied = app.confirm(&bob, &dump, &dump["operations"]).await.unwrap();
    assert_eq!(applied, 3, "the rename, the task, and its next occurrence");

    // The same slug, and the same next occurrence, either way.
    let mut ends = Vec::new();
    for c in [&ada, &bob] {
        assert_eq!(app.call(c, "get_project", &[("slug", "move-house")]).await, Err(AppError::NotFound));
        let renamed = app.ok(c, "get_project", &[("slug", "new-flat-2")]).await;
        assert_eq!(renamed["project"]["name"], "New flat");
        let mut tasks: Vec<(String, String)> = app
            .tasks_of(c, renamed["project"]["id"].as_str().unwrap())
            .await
            .iter()
            .map(|t| (t["status"].as_str().unwrap().to_string(), t["start_date"].as_str().unwrap().to_string()))
            .collect();
        tasks.sort();
        ends.push(tasks);
    }
    assert_eq!(ends[0], [("backlog".to_string(), "2027-01-12".to_string()), ("done".into(), "2027-01-05".into())]);
    assert_eq!(ends[0], ends[1]);
}

#[derive(serde::Deserialize)]
struct Corpus {
    dumps: Vec<CorpusDump>,
}

#[derive(serde::Deserialize)]
struct CorpusDump {
    id: String,
    text: String,
    tasks: Vec<CorpusTask>,
}

#[derive(serde::Deserialize)]
struct CorpusTask {
    words: Vec<String>,
    start: Option<String>,
    due: Option<String>,
    minutes: Option<i32>,
}

/// The offline engine's corpus through the LLM engine: the model (the fake)
/// answers each dump with the tasks a careful person takes from it, every
/// field set somewhere; each field must arrive in the review unchanged, and
/// the prompt must tell the model the date, the person's timezone and their projects.
#[sqlx::test(migrations = "../migrations")]
async fn every_corpus_dump_carries_every_field_from_the_model_to_the_review(pool: PgPool) {
    let corpus: Corpus =
        serde_json::from_str(include_str!("../../../domain/src/brain_dump/offline/corpus.json")).unwrap();
    let priorities = ["low", "medium", "high"];
    let repeats = ["daily", "weekdays", "weekly", "biweekly", "monthly", "quarterly", "yearly"];
    // The model's answer for dump `d`, with the project every other task is filed under.
    let answer = |d: &CorpusDump, project: &str| -> Vec<Value> {
        let mut ops = vec![op(json!({ "table": "project", "reference": "new-project-1",
                                       "name": format!("Corpus {}", d.id), "context": "From the corpus." }))];
        ops.extend(d.tasks.iter().enumerate().map(|(i, t)| {
            let repeating = i % 5 == 4 && t.due.is_none();
            op(json!({
                "title": t.words.join(" "),
                "details": format!("Task {i} of {}", d.id),
                "project_ref": if i % 2 == 0 { project.to_string() } else { "new-project-1".to_string() },
                "priority": priorities[i % 3],
                "status": if i % 4 == 3 && !repeating { json!("done") } else { Value::Null },
                "start_date": t.start.clone().or_else(|| repeating.then(|| "2026-12-07".to_string())),
                "due_date": t.due,
                "recurrence": if repeating { json!(repeats[i % 7]) } else { Value::Null },
                "duration_minutes": t.minutes.or(Some(15 * (i as i32 + 1))),
            }))
        }));
        ops.push(op(json!({ "table": "note", "project_ref": "new-project-1", "title": "Left over",
                            "body": format!("The rest of {}", d.id) })));
        ops
    };
    let (fake, engine) = start(Vec::new(), Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let (project, _) = app.project(&c, "Garden").await;
    let today = domain::brain_dump::offline::dates::today_in("Europe/Paris");

    for (n, d) in corpus.dumps.iter().enumerate() {
        let sent = answer(d, &project);
        fake.replies.lock().unwrap().push_back(Reply::Content(json!({ "operations": sent }).to_string()));
        let (_, parsed) = dump_and_parse(&app, &c, &d.text).await;
        let dump = parsed.unwrap_or_else(|e| panic!("{}: {e:?}", d.id));
        let got = dump["operations"].as_array().unwrap();
        assert_eq!(got.len(), sent.len(), "{}: every proposal reaches the review", d.id);
        for (want, got) in sent.iter().zip(got) {
            assert_eq!(got["error"], Value::Null, "{}: {got}", d.id);
            assert_eq!(got["enabled"], true, "{}", d.id);
            assert_eq!(got["table"], want["table"], "{}", d.id);
            for field in [
                "name",
                "title",
                "details",
                "context",
                "body",
                "priority",
                "status",
                "start_date",
                "due_date",
                "recurrence",
                "duration_minutes",
            ] {
                assert_eq!(got["fields"][field], want[field], "{}: {field} of {want}", d.id);
            }
            let project_ref = want["project_ref"].as_str();
            match (want["table"].as_str(), project_ref) {
                (Some("project"), _) => assert_eq!(got["reference"], "new-project-1"),
                (_, Some(r)) if r == project => assert_eq!(got["project"], json!({ "existing": project })),
                (_, Some(r)) => assert_eq!(got["project"], json!({ "new": r })),
                _ => {}
            }
        }

        // What the model was told.
        let seen = fake.seen.lock().unwrap();
        let body = &seen[n].1;
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains(&format!("({today}) in the person's timezone, Europe/Paris")), "{system}");
        assert!(system.contains(&format!("- Garden (id {project})")), "the existing projects: {system}");
        assert_eq!(body["messages"][1]["content"], d.text.as_str(), "{}: the dump, as written", d.id);
        let format = &body["response_format"]["json_schema"];
        assert_eq!(format["strict"], true);
        assert_eq!(format["schema"], domain::brain_dump::llm::schema(), "the schema the answers are read with");
    }
    assert_eq!(corpus.dumps.len(), fake.seen.lock().unwrap().len());

    // Confirmed, the fields reach the rows (the last dump's first task, filed under Garden).
    let last = corpus.dumps.last().unwrap();
    let (_, parsed) = {
        fake.replies
            .lock()
            .unwrap()
            .push_back(Reply::Content(json!({ "operations": answer(last, &project) }).to_string()));
        dump_and_parse(&app, &c, &last.text).await
    };
    let dump = parsed.unwrap();
    app.confirm(&c, &dump, &dump["operations"]).await.unwrap();
    let garden = app.tasks_of(&c, &project).await;
    let first = &last.tasks[0];
    let summary = garden.iter().find(|t| t["title"] == first.words.join(" ")).expect("the task was created");
    let row = app.ok(&c, "get_task", &[("id", summary["id"].as_str().unwrap())]).await;
    assert_eq!(row["duration_minutes"], json!(first.minutes.unwrap_or(15)));
    assert_eq!(row["priority"], "low");
    assert_eq!(row["details"], format!("Task 0 of {}", last.id));
}

/// Over their AI quota, a person is told so, the model is not called and the dump stays as written;
/// every request carries max_tokens; a brief over quota still comes, with the offline summary.
#[sqlx::test(migrations = "../migrations")]
async fn a_person_over_their_ai_quota_gets_a_clear_refusal_and_the_model_is_not_called(pool: PgPool) {
    let answer = json!({ "operations": [op(json!({ "title": "Buy seeds" }))] }).to_string();
    let (fake, engine) =
        start(vec![Reply::Content(answer.clone()), Reply::Content(answer)], Duration::from_secs(5)).await;
    let Engine::Llm(mut config) = engine else { unreachable!() };
    config.quota =
        domain::brain_dump::quota::Quota { per_minute: 10, per_day: 2, server_per_day: 100, free_per_day: None };
    let engine = Engine::Llm(config);
    let app = TestApp::builder(pool.clone()).engine(engine.clone()).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    for _ in 0..2 {
        dump_and_parse(&app, &c, "buy seeds").await.1.unwrap();
    }
    let (id, refused) = dump_and_parse(&app, &c, "buy more seeds").await;
    match refused.unwrap_err() {
        AppError::TooManyRequests(m) => assert!(m.contains("2 AI requests for today"), "{m}"),
        other => panic!("expected a quota refusal, got {other:?}"),
    }
    assert_eq!(fake.seen.lock().unwrap().len(), 2, "the model was not called a third time");
    assert!(fake.seen.lock().unwrap().iter().all(|(_, body)| body["max_completion_tokens"] == 1000));
    let ada: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
    let mut tx = domain::db::begin_as(&pool, ada).await.unwrap();
    let (status, content): (String, String) =
        sqlx::query_as("select status, content from brain_dumps where id = $1::uuid")
            .bind(&id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((status.as_str(), content.as_str()), ("draft", "buy more seeds"), "nothing changed");
    let usage = app.ok(&c, "get_ai_usage", &[]).await;
    assert_eq!((usage["today"].as_i64(), usage["per_day"].as_i64()), (Some(2), Some(2)));
    // The brief still comes, summarised offline, without a call to the model.
    let brief: uuid::Uuid = app.ok(&c, "generate_brief", &[]).await.as_str().unwrap().parse().unwrap();
    domain::brief::service::generate(&pool, ada, brief, &engine).await.unwrap();
    assert_eq!(fake.seen.lock().unwrap().len(), 2);
    let mut tx = domain::db::begin_as(&pool, ada).await.unwrap();
    let used: String = sqlx::query_scalar("select summary_engine from briefs where id = $1")
        .bind(brief)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(used, "offline");
}

/// Phases from the model: checked against the project's tasks (an unknown id
/// and a repeat are dropped); a failing model gives the offline phases, saying so.
#[sqlx::test(migrations = "../migrations")]
async fn phases_come_from_the_model_checked_and_from_the_rules_when_it_fails(pool: PgPool) {
    let (fake, engine) = start(Vec::new(), Duration::from_secs(5)).await;
    let app = TestApp::builder(pool).engine(engine).spawn().await;
    let c = app.signed_up("ada@example.com").await;
    let (pid, slug) = app.project(&c, "Move house").await;
    let boxes = app.task(&c, &pid, &[("title", "Buy boxes")]).await;
    let van = app.task(&c, &pid, &[("title", "Book the van"), ("due_date", "2027-01-20")]).await;
    let stranger = uuid::Uuid::new_v4();
    let answer = json!({ "phases": [
        { "name": "Pack", "start_date": "2027-01-04", "end_date": "2027-01-15",
          "task_ids": [boxes, stranger.to_string()], "reason": "Boxes first." },
        { "name": "Move", "start_date": "2027-01-16", "end_date": "2027-01-22",
          "task_ids": [van, boxes], "reason": "The van is due then." }
    ] });
    fake.replies.lock().unwrap().push_back(Reply::Content(answer.to_string()));
    let p = app.ok(&c, "propose_phases", &[("slug", &slug)]).await;
    assert_eq!(p["engine"], "llm");
    assert_eq!(p["note"], Value::Null);
    assert_eq!(p["phases"][0]["task_ids"], json!([boxes]));
    assert_eq!(p["phases"][1]["task_ids"], json!([van]), "each task once");
    assert_eq!(p["phases"][1]["reason"], "The van is due then.");
    let sent = fake.seen.lock().unwrap()[0].1.to_string();
    assert!(sent.contains("Book the van") && sent.contains("project_phases"), "{sent}");

    // Dates out of order: the offline rules answer, and say why.
    let bad = json!({ "phases": [{ "name": "Pack", "start_date": "2027-01-15", "end_date": "2027-01-04", "task_ids": [], "reason": "x" }] });
    fake.replies.lock().unwrap().push_back(Reply::Content(bad.to_string()));
    let p = app.ok(&c, "propose_phases", &[("slug", &slug)]).await;
    assert_eq!(p["engine"], "offline");
    assert!(p["note"].as_str().unwrap().starts_with("The AI service failed"), "{p}");
    assert_eq!(p["phases"].as_array().unwrap().len(), 2);
    assert!(fake.replies.lock().unwrap().is_empty());
}
