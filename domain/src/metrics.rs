//! What BuildOS measures, for `/metrics` (Prometheus text format): every
//! series is named and described here, recorded through the `metrics` facade
//! by the server and the worker, and rendered by the Prometheus exporter each
//! process installs once ([`install`]).
//!
//! Labels are bounded: routes are path templates, queues and purposes fixed
//! words; a calendar is a short hash, never its address.

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
pub use metrics_exporter_prometheus::PrometheusHandle;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::sync::OnceLock;
use std::time::Duration;

pub const HTTP_REQUESTS: &str = "buildos_http_requests_total";
pub const HTTP_DURATION: &str = "buildos_http_request_duration_seconds";
pub const SSE_CONNECTIONS: &str = "buildos_sse_connections";
pub const JOBS: &str = "buildos_jobs_total";
pub const JOB_DURATION: &str = "buildos_job_duration_seconds";
pub const QUEUE_DEPTH: &str = "buildos_queue_depth";
pub const QUEUE_OLDEST: &str = "buildos_queue_oldest_waiting_seconds";
pub const SYNC_LAG: &str = "buildos_calendar_sync_lag_seconds";
pub const LLM_CALLS: &str = "buildos_llm_calls_total";
pub const LLM_DURATION: &str = "buildos_llm_call_duration_seconds";
pub const LLM_TOKENS: &str = "buildos_llm_tokens_total";
pub const EMAILS: &str = "buildos_emails_total";
pub const TEXTS: &str = "buildos_texts_total";

/// Seconds, from a millisecond to a few minutes (the LLM and jobs are slow).
const BUCKETS: &[f64] =
    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// This process's recorder (installed the first time; tests start many
/// servers in one process, and they share it).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was installed already; /metrics shows only what it sees");
            }
            describe();
            handle
        })
        .clone()
}

/// The text of `/metrics`.
pub fn render(handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    handle.render()
}

fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route template and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer an HTTP request, by method and route template");
    describe_gauge!(SSE_CONNECTIONS, "Server-sent event streams open now");
    describe_counter!(JOBS, "Jobs run, by queue and outcome (done, retry, failed)");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "Time a job ran, by queue");
    describe_gauge!(QUEUE_DEPTH, "Jobs waiting to run now, by queue");
    describe_gauge!(QUEUE_OLDEST, "How long the oldest job due has waited, by queue");
    describe_gauge!(SYNC_LAG, "Time since a calendar was last brought in, by source and calendar (a hash)");
    describe_counter!(LLM_CALLS, "Calls to the AI service, by purpose and outcome (ok, error)");
    describe_histogram!(LLM_DURATION, Unit::Seconds, "Time an AI call took, by purpose");
    describe_counter!(LLM_TOKENS, "Tokens the AI service counted, by purpose and kind (prompt, completion)");
    describe_counter!(EMAILS, "Emails handled by the worker, by outcome (sent, already_sent, unsubscribed, failed)");
    describe_counter!(
        TEXTS,
        "Texts handled by the worker, by outcome (sent, deferred, suppressed, already_handled, failed)"
    );
}

/// Whether a request may read `/metrics`: with METRICS_TOKEN set (`token`),
/// one that sends it as its bearer token (compared in constant time);
/// without, one from this machine (`loopback`) that no proxy `forwarded`.
/// A refusal is an HTTP status and what to do.
pub fn may_read(
    token: Option<&str>,
    bearer: Option<&str>,
    loopback: bool,
    forwarded: bool,
) -> Result<(), (u16, &'static str)> {
    use subtle::ConstantTimeEq;
    match token {
        Some(expected) => {
            let given = bearer.unwrap_or("");
            if !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                Ok(())
            } else {
                Err((401, "Send the METRICS_TOKEN as a bearer token."))
            }
        }
        None if loopback && !forwarded => Ok(()),
        None => Err((403, "Metrics are served to this machine only, unless METRICS_TOKEN is set.")),
    }
}

/// One AI call of `purpose` ("brain_dump", "brief", "phases", "voice").
pub fn llm_call(purpose: &'static str, ok: bool, took: Duration) {
    counter!(LLM_CALLS, "purpose" => purpose, "outcome" => if ok { "ok" } else { "error" }).increment(1);
    histogram!(LLM_DURATION, "purpose" => purpose).record(took.as_secs_f64());
}

/// Tokens the service reported for one call.
pub fn llm_tokens(purpose: &'static str, prompt: u32, completion: u32) {
    crate::brain_dump::quota::count(prompt, completion);
    counter!(LLM_TOKENS, "purpose" => purpose, "kind" => "prompt").increment(prompt.into());
    counter!(LLM_TOKENS, "purpose" => purpose, "kind" => "completion").increment(completion.into());
}

pub fn email(outcome: &'static str) {
    counter!(EMAILS, "outcome" => outcome).increment(1);
}

pub fn text(outcome: &'static str) {
    counter!(TEXTS, "outcome" => outcome).increment(1);
}

pub fn job(queue: &'static str, outcome: &'static str, took: Duration) {
    counter!(JOBS, "queue" => queue, "outcome" => outcome).increment(1);
    histogram!(JOB_DURATION, "queue" => queue).record(took.as_secs_f64());
}

pub fn http(method: String, route: String, status: u16, took: Duration) {
    counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "method" => method, "route" => route).record(took.as_secs_f64());
}

pub fn sse_opened() {
    gauge!(SSE_CONNECTIONS).increment(1.0);
}

pub fn sse_closed() {
    gauge!(SSE_CONNECTIONS).decrement(1.0);
}

/// The queue and calendar gauges, read from the database (at each scrape of
/// the worker's `/metrics`): every queue's depth and oldest waiting job, and
/// each synced calendar's lag.
pub async fn observe_database(pool: &sqlx::PgPool) -> Result<(), crate::Error> {
    let queues = sqlx::query!(
        r#"select job_type as "queue!",
                  count(*) filter (where status = 'Pending') as "waiting!",
                  coalesce(extract(epoch from now() - min(run_at) filter (where status = 'Pending' and run_at <= now())), 0)::float8 as "oldest!"
           from apalis.jobs group by job_type"#
    )
    .fetch_all(pool)
    .await?;
    for q in queues {
        gauge!(QUEUE_DEPTH, "queue" => q.queue.clone()).set(q.waiting as f64);
        gauge!(QUEUE_OLDEST, "queue" => q.queue).set(q.oldest);
    }
    // Across people: the system's own view (row-level security lets it read all).
    let mut tx = crate::db::begin_system(pool).await?;
    let lags = sqlx::query!(
        r#"select 'google' as "source!", left(md5(user_id::text || calendar_id), 8) as "calendar!",
                  extract(epoch from now() - synced_at)::float8 as "lag!"
           from google_calendars where synced_at is not null and (busy or target) and not disabled
           union all
           select 'address', left(md5(id::text), 8), extract(epoch from now() - refreshed_at)::float8
           from calendar_sources where url is not null and refreshed_at is not null"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    for l in lags {
        gauge!(SYNC_LAG, "source" => l.source, "calendar" => l.calendar).set(l.lag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::may_read;

    #[test]
    fn metrics_are_read_with_the_token_or_from_this_machine_directly() {
        assert_eq!(may_read(Some("s3cret"), Some("s3cret"), false, true), Ok(()));
        assert_eq!(may_read(Some("s3cret"), Some("s3cre"), true, false).unwrap_err().0, 401);
        assert_eq!(may_read(Some("s3cret"), None, true, false).unwrap_err().0, 401, "the token, when set, is needed");
        assert_eq!(may_read(None, None, true, false), Ok(()));
        assert_eq!(may_read(None, None, true, true).unwrap_err().0, 403, "a proxy on this machine forwards others");
        assert_eq!(may_read(None, None, false, false).unwrap_err().0, 403);
    }
}
