//! Request ids and the error log's HTTP side.
//!
//! Every request gets an id (a proxy's `X-Request-Id` when it is a plain
//! token, else a new one), sent back in `X-Request-Id`, attached to every log
//! line written while answering (the `request` span) and to every job the
//! request enqueues. An answer with a 5xx status is kept in the error log
//! with its method, route, person and cause.

use crate::metrics::Route;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use domain::error_log::{Event, scoped, valid_request_id};
use sqlx::PgPool;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// Inside the metrics layer (it reads the route that layer collects).
pub async fn track(State(pool): State<PgPool>, req: Request, next: Next) -> Response {
    let given = req.headers().get(HEADER).and_then(|v| v.to_str().ok()).filter(|v| valid_request_id(v));
    let request_id = given.map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().to_string();
    let route = req.extensions().get::<Route>().cloned();
    let span = tracing::info_span!("request", id = %request_id);
    let (mut response, learned) = scoped(Some(request_id.clone()), next.run(req)).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(HEADER, value);
    }
    let status = response.status();
    if status.is_server_error() {
        let route = route.and_then(|r| r.matched());
        let cause = learned.cause.unwrap_or_else(|| {
            format!("{status} from {} (no cause was recorded while answering)", route.as_deref().unwrap_or("a path"))
        });
        let event = Event {
            kind: "http",
            cause,
            method: Some(method.chars().take(10).collect()),
            route,
            status: Some(status.as_u16()),
            request_id: Some(request_id),
            user_id: learned.user_id,
            ..Event::default()
        };
        // Kept without holding the answer back (the database may be what failed).
        tokio::spawn(async move { domain::error_log::record(&pool, event).await });
    }
    response
}
