//! Feeds calendar apps subscribe to: `GET /calendar/<token>.ics`, a person's
//! dated tasks (the address is the secret; see `domain::calendar::feed`).

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn calendar(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    };
    match domain::calendar::feed::render(&state.pool, &state.settings, token).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                // Private: the address is personal; calendar apps poll it anyway.
                (header::CACHE_CONTROL, "private, max-age=300"),
                (header::CONTENT_DISPOSITION, "inline; filename=\"buildos.ics\""),
            ],
            ics,
        )
            .into_response(),
        Err(domain::Error::NotFound) => (StatusCode::NOT_FOUND, "No calendar feed at this address.").into_response(),
        Err(error) => {
            tracing::warn!(%error, "calendar feed failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The calendar feed could not be made; try again later.").into_response()
        }
    }
}

/// `POST /calendar/import` (multipart: `name`, `file`): add an uploaded .ics
/// file as a calendar, then back to the calendar page (with the error, if any).
/// A plain form post, so it works with JavaScript off too.
pub async fn import(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    mut form: axum::extract::Multipart,
) -> Response {
    let user = match app::auth::request::current_in(&state.pool, &session).await {
        Ok(Some(user)) => user,
        _ => return axum::response::Redirect::to("/login?next=/calendar").into_response(),
    };
    // On an error the page says why and keeps the name typed (a file cannot be kept).
    let back = |error: Option<String>, name: &str| {
        let to = match error {
            None => "/calendar#calendars".to_string(),
            Some(e) => format!(
                "/calendar?{}#calendars",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("import_error", &e)
                    .append_pair("import_name", name)
                    .finish()
            ),
        };
        axum::response::Redirect::to(&to).into_response()
    };
    let (mut name, mut text) = (String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let field_name = field.name().unwrap_or_default().to_string();
                let Ok(bytes) = field.bytes().await else {
                    return back(Some("The upload was cut off; try again.".into()), &name);
                };
                match field_name.as_str() {
                    "name" => name = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => match String::from_utf8(bytes.to_vec()) {
                        Ok(t) => text = Some(t),
                        Err(_) => return back(Some("The file is not UTF-8 text (an .ics file is).".into()), &name),
                    },
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                let mb = domain::calendar::import::MAX_BYTES / 1024 / 1024;
                return back(Some(format!("The upload could not be read (files up to {mb} MB).")), &name);
            }
        }
    }
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return back(Some("Choose an .ics file to upload.".into()), &name);
    };
    let origin = domain::calendar::import::Origin::File(text);
    match domain::calendar::import::add(&state.pool, &state.settings, user.id, &name, origin).await {
        Ok(_) => back(None, &name),
        Err(domain::Error::Validation(inv)) => back(
            Some(inv.fields.first().map(|f| f.message.clone()).unwrap_or_else(|| "The file could not be read.".into())),
            &name,
        ),
        Err(error) => {
            tracing::warn!(%error, "calendar upload failed");
            back(Some("The calendar could not be added; try again.".into()), &name)
        }
    }
}
