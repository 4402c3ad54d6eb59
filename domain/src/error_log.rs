//! The error log: every 5xx answer and every failed job attempt, kept with
//! its context (request id, route, person, job, cause chain) and grouped by
//! cause for the admin errors page.
//!
//! A request (or a job) runs inside [`scoped`]: what fails inside it (an
//! internal error) notes its cause there, the signed-in person is noted when
//! known, and jobs enqueued carry the request's id (in the job's metadata,
//! as `request_id`).

use serde::{Deserialize, Serialize};

/// Errors of one cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub summary: String,
    pub kind: String,
    pub count: i64,
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub last_seen: chrono::DateTime<chrono::Utc>,
    /// The latest event's particulars.
    pub cause: String,
    pub route: Option<String>,
    pub queue: Option<String>,
    pub request_id: Option<String>,
    pub job_id: Option<String>,
}

#[cfg(feature = "server")]
pub use service::*;

#[cfg(feature = "server")]
mod service {
    use super::ErrorGroup;
    use crate::error::Error;
    use std::sync::Mutex;
    use uuid::Uuid;

    /// What is known of the request (or job) being answered.
    #[derive(Default)]
    struct Scope {
        request_id: Option<String>,
        cause: Mutex<Option<String>>,
        user: Mutex<Option<Uuid>>,
    }

    tokio::task_local! {
        static SCOPE: Scope;
    }

    /// What a scope learned while its work ran.
    #[derive(Debug, Default)]
    pub struct Learned {
        pub cause: Option<String>,
        pub user_id: Option<Uuid>,
    }

    /// Run `work` (a request, or a job) on behalf of request `request_id`: jobs
    /// it enqueues carry that id, and what it learned comes back with its output.
    pub async fn scoped<F: Future>(request_id: Option<String>, work: F) -> (F::Output, Learned) {
        let scope = Scope { request_id, ..Scope::default() };
        SCOPE
            .scope(scope, async move {
                let output = work.await;
                let learned = SCOPE
                    .try_with(|s| Learned {
                        cause: s.cause.lock().ok().and_then(|mut c| c.take()),
                        user_id: s.user.lock().ok().and_then(|u| *u),
                    })
                    .unwrap_or_default();
                (output, learned)
            })
            .await
    }

    /// The id of the request on whose behalf this runs, if any.
    pub fn request_id() -> Option<String> {
        SCOPE.try_with(|s| s.request_id.clone()).ok().flatten()
    }

    /// Whether `id` may serve as a request id taken from a client or a proxy:
    /// 1 to 64 letters, digits, `-`, `_` or `.`.
    pub fn valid_request_id(id: &str) -> bool {
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    }

    /// An unexpected failure's cause chain (the first one of the request is kept).
    pub fn note_cause(cause: &str) {
        let _ = SCOPE.try_with(|s| {
            if let Ok(mut slot) = s.cause.lock()
                && slot.is_none()
            {
                *slot = Some(cause.to_string());
            }
        });
    }

    /// The signed-in person of the request.
    pub fn note_user(user_id: Uuid) {
        let _ = SCOPE.try_with(|s| {
            if let Ok(mut slot) = s.user.lock() {
                *slot = Some(user_id);
            }
        });
    }

    /// One error, as recorded.
    #[derive(Debug, Clone, Default)]
    pub struct Event {
        /// "http" or "job".
        pub kind: &'static str,
        pub cause: String,
        pub method: Option<String>,
        pub route: Option<String>,
        pub status: Option<u16>,
        pub request_id: Option<String>,
        pub user_id: Option<Uuid>,
        pub queue: Option<String>,
        pub job_id: Option<String>,
    }

    /// The cause without its particulars (numbers, ids, quoted values), so that
    /// the same failure groups together: the group's title.
    pub fn summary(cause: &str) -> String {
        static PARTICULARS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r#"(?x)
                [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}  # uuids
              | \b[0-9A-HJKMNP-TV-Z]{26}\b                                                  # ulids (job ids)
              | '[^']*'                                                                      # quoted values
              | \b\d+(\.\d+)?\b                                                              # numbers
            "#,
            )
            .expect("a valid pattern")
        });
        let line = cause.lines().next().unwrap_or("").trim();
        let text = PARTICULARS.replace_all(line, "…");
        let text: String = text.chars().take(500).collect();
        if text.trim().is_empty() { "(no cause recorded)".into() } else { text }
    }

    /// Keep `event` (never fails the caller: a failure to record is logged).
    pub async fn record(pool: &sqlx::PgPool, event: Event) {
        if let Err(error) = try_record(pool, &event).await {
            tracing::warn!(%error, "the error could not be recorded in the error log");
        }
    }

    async fn try_record(pool: &sqlx::PgPool, e: &Event) -> Result<(), sqlx::Error> {
        let summary = summary(&e.cause);
        let fingerprint = fingerprint(e.kind, &summary);
        let cause: String = e.cause.chars().take(4000).collect();
        let mut tx = crate::db::begin_system(pool).await?;
        sqlx::query!(
            r#"insert into error_events (fingerprint, summary, kind, cause, method, route, status, request_id, user_id, queue, job_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8,
                     -- the person, if still there; for a job, the user_id of its payload
                     (select id from users where id = coalesce($9, (
                        select substring(convert_from(j.job, 'UTF8') from '"user_id":"([0-9a-f-]{36})"')::uuid
                        from apalis.jobs j where j.id = $11))),
                     $10, $11)"#,
            fingerprint,
            summary,
            e.kind,
            cause,
            e.method,
            e.route.as_deref().map(|r| r.chars().take(200).collect::<String>()),
            e.status.map(i32::from),
            e.request_id,
            e.user_id,
            e.queue,
            e.job_id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The group's key: 32 hex digits of SHA-256 over the kind and the summary
    /// (a short stable key, not a secret).
    fn fingerprint(kind: &str, summary: &str) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(format!("{kind}\n{summary}").as_bytes());
        hash[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Forget events older than 30 days (the maintenance job's daily pass).
    pub async fn prune(pool: &sqlx::PgPool) -> Result<u64, Error> {
        let mut tx = crate::db::begin_system(pool).await?;
        let gone = sqlx::query!("delete from error_events where created_at < now() - interval '30 days'")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }

    /// The groups, latest first, at most `limit` (the last 30 days: older events are pruned).
    pub async fn groups(pool: &sqlx::PgPool, limit: i64) -> Result<Vec<ErrorGroup>, Error> {
        let mut tx = crate::db::begin_system(pool).await?;
        // Each group with its latest event (a lateral join on the group's key).
        let rows = sqlx::query_as!(
            ErrorGroup,
            r#"select g.summary as "summary!", g.kind as "kind!", g.count as "count!",
                      g.first_seen as "first_seen!", g.last_seen as "last_seen!",
                      e.cause as "cause!", e.route, e.queue, e.request_id, e.job_id
               from (select fingerprint, min(summary) as summary, min(kind) as kind, count(*) as count,
                            min(created_at) as first_seen, max(created_at) as last_seen
                     from error_events group by fingerprint
                     order by last_seen desc limit $1) g
               cross join lateral (select * from error_events e where e.fingerprint = g.fingerprint
                                   order by e.created_at desc, e.id desc limit 1) e
               order by g.last_seen desc"#,
            limit
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::summary;

    #[test]
    fn a_cause_groups_without_its_particulars() {
        let a = summary("error returned from database: relation \"notes\" does not exist at line 12");
        let b = summary("error returned from database: relation \"notes\" does not exist at line 1392");
        assert_eq!(a, b);
        assert_eq!(
            summary("job 01JF3Z8K2M4N6P8R0T2V4X6Y8Z for 6f1c2d3e-aaaa-bbbb-cccc-0123456789ab failed after 3 tries"),
            "job … for … failed after … tries"
        );
        assert_eq!(summary("sending failed: 'smtp.example.com' refused"), "sending failed: … refused");
        assert_eq!(summary("  "), "(no cause recorded)");
    }
}
