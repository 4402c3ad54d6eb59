//! The worker's metrics: every job timed and counted by queue and outcome (a
//! layer around each queue's handler), and, when WORKER_METRICS_ADDR is set,
//! its own `/metrics`, which also reads the queues' depth and the calendars'
//! sync lag from the database at each scrape. Who may read it: as the
//! server's (METRICS_TOKEN, else this machine only).

use crate::jobs::Ctx;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::metrics::PrometheusHandle;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

/// Times the jobs of one queue.
#[derive(Clone, Copy)]
pub struct JobMetrics(pub &'static str);

impl<S> tower::Layer<S> for JobMetrics {
    type Service = Timed<S>;
    fn layer(&self, inner: S) -> Timed<S> {
        Timed { inner, queue: self.0 }
    }
}

#[derive(Clone)]
pub struct Timed<S> {
    inner: S,
    queue: &'static str,
}

impl<S, Req> tower::Service<Req> for Timed<S>
where
    S: tower::Service<Req>,
    S::Future: Send + 'static,
    S::Response: 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let (started, queue) = (Instant::now(), self.queue);
        let job = self.inner.call(req);
        Box::pin(async move {
            let result = job.await;
            domain::metrics::job(queue, if result.is_ok() { "ok" } else { "error" }, started.elapsed());
            result
        })
    }
}

/// Serve `/metrics` on `addr` (in the background, for the life of the process).
pub async fn serve(ctx: Ctx, handle: PrometheusHandle, addr: SocketAddr) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let app = axum::Router::new().route("/metrics", axum::routing::get(scrape)).with_state((ctx, handle));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on WORKER_METRICS_ADDR {addr}"))?;
    tracing::info!(%addr, "metrics at /metrics");
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await {
            tracing::warn!(%error, "the metrics listener stopped");
        }
    });
    Ok(())
}

async fn scrape(
    State((ctx, handle)): State<(Ctx, PrometheusHandle)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    let token = ctx.settings.metrics_token.as_ref().map(|t| t.expose().as_str());
    if let Err((status, why)) = domain::metrics::may_read(token, bearer, peer.ip().is_loopback(), forwarded) {
        return (StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN), why).into_response();
    }
    if let Err(error) = domain::metrics::observe_database(&ctx.pool).await {
        tracing::warn!(%error, "reading the queues for /metrics failed");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], domain::metrics::render(&handle))
        .into_response()
}
