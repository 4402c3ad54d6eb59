//! The worker's metrics: every job timed and counted by queue and outcome (a
//! layer around each queue's handler, which also keeps failed attempts in
//! the error log), and, when WORKER_METRICS_ADDR is set,
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
use tracing::Instrument;

/// Times the jobs of one queue (and keeps their failures in the error log).
#[derive(Clone)]
pub struct JobMetrics {
    pub queue: &'static str,
    pub pool: sqlx::PgPool,
}

impl<S> tower::Layer<S> for JobMetrics {
    type Service = Timed<S>;
    fn layer(&self, inner: S) -> Timed<S> {
        Timed { inner, queue: self.queue, pool: self.pool.clone() }
    }
}

#[derive(Clone)]
pub struct Timed<S> {
    inner: S,
    queue: &'static str,
    pool: sqlx::PgPool,
}

impl<S, Args> tower::Service<apalis::prelude::Task<Args>> for Timed<S>
where
    S: tower::Service<apalis::prelude::Task<Args>>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: std::fmt::Display + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    /// The job runs in its own error-log scope and log span, on behalf of
    /// the request that enqueued it (its id in the job's metadata); a failed
    /// attempt is kept in the error log.
    fn call(&mut self, task: apalis::prelude::Task<Args>) -> Self::Future {
        let (started, queue) = (Instant::now(), self.queue);
        let job_id = task.task_id().map(|id| id.to_string());
        let request_id = task.metadata().get("request_id").map(str::to_string);
        let pool = self.pool.clone();
        let span =
            tracing::info_span!("job", queue, id = job_id.as_deref().unwrap_or(""), request = request_id.as_deref());
        let job = self.inner.call(task);
        Box::pin(async move {
            let (result, learned) = domain::error_log::scoped(request_id.clone(), job.instrument(span)).await;
            domain::metrics::job(queue, if result.is_ok() { "ok" } else { "error" }, started.elapsed());
            if let Some(error) = result.as_ref().err().map(|e| e.to_string()) {
                let event = domain::error_log::Event {
                    kind: "job",
                    cause: learned.cause.unwrap_or(error),
                    request_id,
                    user_id: learned.user_id,
                    queue: Some(queue.to_string()),
                    job_id,
                    ..Default::default()
                };
                domain::error_log::record(&pool, event).await;
            }
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
