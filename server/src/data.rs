//! A person's data from the web app: downloads of the export (JSON, tasks as
//! CSV) and the upload of an export to import. Plain links and a plain form
//! post, so they work with JavaScript off too.

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

/// The signed-in person, or the response that sends them to sign in.
async fn person(state: &AppState, session: &tower_sessions::Session) -> Result<app::auth::User, Response> {
    match app::auth::request::current_in(&state.pool, session).await {
        Ok(Some(user)) => Ok(user),
        _ => Err(Redirect::to("/login?next=/profile%23data").into_response()),
    }
}

/// `GET /export/buildos-export.json` and `GET /export/tasks.csv`, as downloads.
pub async fn download(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let user = match person(&state, &session).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let uid = user.id;
    let doc = match domain::db::as_user(&state.pool, uid, move |tx| Box::pin(domain::export::service::export(tx, uid)))
        .await
    {
        Ok(doc) => doc,
        Err(error) => {
            tracing::warn!(%error, "export failed");
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "The export could not be made; try again.")
                .into_response();
        }
    };
    let day = doc.exported_at.format("%Y-%m-%d");
    let (kind, name, body) = match file.as_str() {
        "buildos-export.json" => (
            "application/json",
            format!("buildos-export-{day}.json"),
            serde_json::to_string_pretty(&doc).unwrap_or_default(),
        ),
        "tasks.csv" => ("text/csv; charset=utf-8", format!("buildos-tasks-{day}.csv"), domain::export::tasks_csv(&doc)),
        _ => return (axum::http::StatusCode::NOT_FOUND, "Not found.").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `POST /import` (multipart: `file`): keep the uploaded export and show
/// what importing it would do (`/import/<id>`), or back to the profile with
/// the problem.
pub async fn upload(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    mut form: axum::extract::Multipart,
) -> Response {
    let user = match person(&state, &session).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let back = |error: &str| {
        let query = form_urlencoded::Serializer::new(String::new()).append_pair("import_error", error).finish();
        Redirect::to(&format!("/profile?{query}#data")).into_response()
    };
    let (mut file, mut file_name) = (None, String::new());
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                match (field.file_name().map(str::to_string), field.bytes().await) {
                    (name, Ok(bytes)) => {
                        file = Some(bytes);
                        file_name = name.unwrap_or_default();
                    }
                    (_, Err(_)) => return back("The upload was cut off; try again."),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return back(&format!("The upload could not be read (files up to {} MB).", LIMIT / 1024 / 1024)),
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return back("Choose a BuildOS export (.json), a Todoist project (.csv) or a Todoist backup (.zip) to import.");
    };
    match domain::export::service::upload(&state.pool, user.id, &bytes, &file_name).await {
        Ok(id) => Redirect::to(&format!("/import/{id}")).into_response(),
        Err(domain::Error::Validation(invalid)) => back(&invalid.summary()),
        Err(error) => {
            tracing::warn!(%error, "import upload failed");
            back("The file could not be read; try again.")
        }
    }
}

/// The largest file `upload` takes.
pub const LIMIT: usize = crate::api::IMPORT_LIMIT;
