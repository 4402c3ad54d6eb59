//! The JSON API under /api/v1: personal access tokens, problem-details errors,
//! per-token rate limits, and an OpenAPI 3.1 document generated from the code.

pub mod auth;
pub mod handlers;
pub mod problem;
pub mod types;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use handlers::*;
use problem::{ApiError, Problem};
use utoipa::openapi::link::Link;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{self, Content, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The largest request body: the largest valid one fits (a task's 105,500
/// characters of text, each up to six bytes in JSON as `\uXXXX`).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The largest export an import takes.
pub const IMPORT_LIMIT: usize = 64 * 1024 * 1024;

struct Common;

impl Modify for Common {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        // The errors every operation can answer with, as problem details.
        let errors = [
            ("400", "Malformed request"),
            ("401", "Missing or invalid bearer token (or, for token creation, wrong email or password)"),
            ("403", "Not allowed"),
            ("404", "Not found (or not yours)"),
            ("409", "Conflicts with the current state"),
            ("413", "Body too large"),
            ("415", "Body is not JSON"),
            ("422", "Invalid input; `errors` names the fields"),
            ("429", "Too many requests; see Retry-After"),
        ];
        // Links from each create operation to what can be done with what it made,
        // so clients (and stateful fuzzing) can follow them.
        let links: &[(&str, &str, &[&str])] = &[
            (
                "/api/v1/projects",
                "201",
                &["get_project", "update_project", "delete_project", "create_task", "create_note"],
            ),
            ("/api/v1/tasks", "201", &["get_task", "update_task", "delete_task"]),
            ("/api/v1/notes", "201", &["get_note", "update_note", "delete_note"]),
            (
                "/api/v1/brain-dumps",
                "201",
                &["get_brain_dump", "process_brain_dump", "confirm_brain_dump", "undo_brain_dump"],
            ),
            ("/api/v1/briefs/generate", "202", &["get_brief"]),
            ("/api/v1/schedule/proposals", "200", &["apply_schedule"]),
            ("/api/v1/schedule/plans", "201", &["undo_schedule"]),
        ];
        for (path, status, targets) in links {
            let response = doc
                .paths
                .paths
                .get_mut(*path)
                .and_then(|item| item.post.as_mut())
                .and_then(|op| op.responses.responses.get_mut(*status));
            if let Some(utoipa::openapi::RefOr::T(response)) = response {
                for target in *targets {
                    let link = if *target == "apply_schedule" {
                        // The proposal's blocks, as they are.
                        let body = serde_json::json!({ "placements": "$response.body#/placements" });
                        Link::builder().operation_id(*target).request_body(Some(body)).build()
                    } else if target.starts_with("create_") {
                        // Into the project just made.
                        let body = serde_json::json!({ "project_id": "$response.body#/id" });
                        Link::builder().operation_id(*target).request_body(Some(body)).build()
                    } else {
                        Link::builder().operation_id(*target).parameter("id", "$response.body#/id").build()
                    };
                    response.links.insert(target.to_string(), link.into());
                }
            }
        }
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.delete].into_iter().flatten() {
                for (code, text) in errors {
                    op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(text)
                            .content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem"))))
                            .into()
                    });
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "BuildOS API", version = "1.0.0",
         description = "Projects, tasks, notes, brain dumps, briefs and scheduling. Authenticate with a personal access token: `Authorization: Bearer <token>` (make one on your profile page, or with POST /api/v1/auth/tokens)."),
    paths(
        register, create_token, me,
        list_projects, create_project, get_project, update_project, delete_project,
        list_tasks, create_task, get_task, update_task, delete_task,
        list_notes, create_note, get_note, update_note, delete_note,
        create_brain_dump, get_brain_dump, process_brain_dump, confirm_brain_dump, undo_brain_dump,
        list_briefs, get_brief, generate_brief,
        calendar_feed,
        propose_schedule, apply_schedule, undo_schedule,
        search,
        export, export_tasks_csv, import,
    ),
    components(schemas(Problem, problem::FieldProblem)),
    modifiers(&Common),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

async fn openapi_json() -> impl IntoResponse {
    axum::Json(document())
}

/// The document as served: utoipa's, with two corrections. A link names its
/// target as `operationId` and its body `requestBody` (utoipa writes them in
/// snake case), and an optional
/// value with a format is `oneOf` null or the formatted string: tools read a
/// `["string", "null"]` type as allowing any string, "" included, whatever
/// the format says.
pub fn document() -> serde_json::Value {
    use serde_json::{Value, json};
    fn fix(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("operation_id") {
                    for (from, to) in [("operation_id", "operationId"), ("request_body", "requestBody")] {
                        if let Some(value) = map.remove(from) {
                            map.insert(to.into(), value);
                        }
                    }
                }
                let nullable = match map.get("type") {
                    Some(Value::Array(types)) if types.len() == 2 && map.contains_key("format") => {
                        types.iter().find(|t| *t != "null").cloned()
                    }
                    _ => None,
                };
                if let Some(kind) = nullable {
                    let mut inner = serde_json::Map::from_iter([("type".to_string(), kind)]);
                    for key in ["format", "pattern", "minLength", "maxLength"] {
                        if let Some(value) = map.remove(key) {
                            inner.insert(key.into(), value);
                        }
                    }
                    map.remove("type");
                    map.insert("oneOf".into(), json!([{ "type": "null" }, inner]));
                }
                map.values_mut().for_each(fix);
            }
            Value::Array(items) => items.iter_mut().for_each(fix),
            _ => {}
        }
    }
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON");
    fix(&mut doc);
    doc
}

/// A readable page of the endpoints, made from the same document.
async fn docs() -> Html<String> {
    let doc = ApiDoc::openapi();
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch), ("DELETE", &item.delete)]
        {
            if let Some(op) = op {
                let summary = op.summary.clone().or_else(|| op.description.clone()).unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(path),
                    esc(&summary)
                ));
            }
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>BuildOS API</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}\
         td{{padding:.3em .6em;vertical-align:top;border-bottom:1px solid #e2e8f0}}table{{border-collapse:collapse;width:100%}}</style></head>\
         <body><h1>BuildOS API v1</h1><p>{}</p><p>The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1). \
         Errors are <code>application/problem+json</code>.</p><table>{rows}</table></body></html>",
        esc(doc.info.description.as_deref().unwrap_or(""))
    ))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "There is no such endpoint; see /api/v1/docs.")
}

/// The /api/v1 routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/docs", get(docs))
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/tokens", post(create_token))
        .route("/api/v1/me", get(me))
        .route("/api/v1/projects", get(list_projects).post(create_project))
        .route("/api/v1/projects/{id}", get(get_project).patch(update_project).delete(delete_project))
        .route("/api/v1/tasks", get(list_tasks).post(create_task))
        .route("/api/v1/tasks/{id}", get(get_task).patch(update_task).delete(delete_task))
        .route("/api/v1/notes", get(list_notes).post(create_note))
        .route("/api/v1/notes/{id}", get(get_note).patch(update_note).delete(delete_note))
        .route("/api/v1/brain-dumps", post(create_brain_dump))
        .route("/api/v1/brain-dumps/{id}", get(get_brain_dump))
        .route("/api/v1/brain-dumps/{id}/process", post(process_brain_dump))
        .route("/api/v1/brain-dumps/{id}/confirm", post(confirm_brain_dump))
        .route("/api/v1/brain-dumps/{id}/undo", post(undo_brain_dump))
        .route("/api/v1/briefs", get(list_briefs))
        .route("/api/v1/briefs/generate", post(generate_brief))
        .route("/api/v1/briefs/{id}", get(get_brief))
        .route("/api/v1/calendar/feed", get(calendar_feed))
        .route("/api/v1/schedule/proposals", post(propose_schedule))
        .route("/api/v1/schedule/plans", post(apply_schedule))
        .route("/api/v1/schedule/plans/{id}/undo", post(undo_schedule))
        .route("/api/v1/search", get(search))
        .route("/api/v1/export", get(export))
        .route("/api/v1/export/tasks.csv", get(export_tasks_csv))
        .route("/api/v1/import", post(import).layer(DefaultBodyLimit::max(IMPORT_LIMIT)))
        .route("/api/v1/{*rest}", get(not_found).post(not_found).patch(not_found).delete(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}
