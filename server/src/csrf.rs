//! Cross-site request forgery guard: writes must come from our own pages.
//!
//! Server functions do no CSRF checking of their own. Browsers label every
//! request with `Sec-Fetch-Site` and every POST with `Origin`; a write whose
//! labels say it came from another site is refused. SameSite=Lax cookies are
//! the second wall. Clients that send neither header (curl, scripts) carry no
//! ambient browser cookies, so they are let through.
//!
//! Without JavaScript, a form's error comes back in the address (`__err`,
//! written by server_fn); a link from elsewhere could carry a made-up one and
//! have our page show its words. Such a parameter is only believed on a
//! same-origin navigation (the redirect after our own form's post).

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

/// A page address with `__err` reached from anywhere but our own site: the
/// same address without it.
pub async fn drop_foreign_form_errors(req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("");
    let carries_error = query.split('&').any(|kv| kv.split('=').next() == Some("__err"));
    let same_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin");
    if req.method() != Method::GET || !carries_error || same_site {
        return next.run(req).await;
    }
    let kept: Vec<&str> =
        query.split('&').filter(|kv| kv.split('=').next() != Some("__err") && !kv.is_empty()).collect();
    let path = req.uri().path();
    let to = if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) };
    axum::response::Redirect::to(&to).into_response()
}
