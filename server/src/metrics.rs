//! `/metrics` (Prometheus text format) and the HTTP series behind it.
//!
//! Who may read it: with METRICS_TOKEN set, whoever sends it as a bearer
//! token; without, only this machine, directly (a request a reverse proxy
//! forwarded says so in X-Forwarded-For or Forwarded and is refused: behind
//! a proxy, set the token).

use crate::AppState;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where the router's inner layer leaves the matched route for the outer ones.
#[derive(Clone, Default)]
pub(crate) struct Route(Arc<Mutex<Option<String>>>);

impl Route {
    /// The route template that matched, once the request was answered.
    pub(crate) fn matched(&self) -> Option<String> {
        self.0.lock().ok().and_then(|r| r.clone())
    }
}

/// Outermost: count and time every request, whatever answered it (a CSRF
/// refusal, the fallback), labelled with its route template or "other".
pub async fn track(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Methods outside the usual few are one label, so no client can make series up.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m.to_string(),
        _ => "other".to_string(),
    };
    let route = Route::default();
    req.extensions_mut().insert(route.clone());
    let response = next.run(req).await;
    let route = route.matched().unwrap_or_else(|| "other".into());
    domain::metrics::http(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// Inside the router (a route layer): note which route matched.
pub async fn note_route(req: Request, next: Next) -> Response {
    if let (Some(path), Some(route)) = (req.extensions().get::<MatchedPath>(), req.extensions().get::<Route>())
        && let Ok(mut slot) = route.0.lock()
    {
        *slot = Some(path.as_str().to_string());
    }
    next.run(req).await
}

/// Whether the request may read the metrics (see the module's notes).
pub fn allowed(token: Option<&str>, peer: SocketAddr, headers: &HeaderMap) -> Result<(), (StatusCode, &'static str)> {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    domain::metrics::may_read(token, bearer, peer.ip().is_loopback(), forwarded)
        .map_err(|(status, why)| (StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN), why))
}

/// The exposition, with its content type.
pub fn exposition(handle: &domain::metrics::PrometheusHandle) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], domain::metrics::render(handle))
        .into_response()
}

/// `GET /metrics`.
pub async fn scrape(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let token = state.settings.metrics_token.as_ref().map(|t| t.expose().as_str());
    match allowed(token, peer, &headers) {
        Ok(()) => exposition(&state.metrics),
        Err(refusal) => refusal.into_response(),
    }
}
