//! Cross-site request forgery guard: writes must come from our own pages.
//!
//! Server functions do no CSRF checking of their own. Browsers label every
//! request with `Sec-Fetch-Site` and every POST with `Origin`; a write whose
//! labels say it came from another site is refused. SameSite=Lax cookies are
//! the second wall. Clients that send neither header (curl, scripts) carry no
//! ambient browser cookies, so they are let through.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn reject_cross_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || is_same_origin(&req) {
        return next.run(req).await;
    }
    tracing::warn!(method = %req.method(), path = %req.uri().path(), "cross-origin write refused");
    (StatusCode::FORBIDDEN, "Cross-origin requests are not allowed.").into_response()
}

fn is_same_origin(req: &Request) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("");
            origin.split_once("://").is_some_and(|(_, rest)| rest == host)
        }
        (Some(_), None) => false,
    }
}
