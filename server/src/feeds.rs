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
