//! Worker processes for tests (the worker binary, started and SIGKILLed), the
//! database URL a process needs to reach the test's own database, and a
//! patient wait. Also used by the worker's tests.

#![allow(dead_code)] // (each test crate uses a part)

use crate::smtp::Smtp;
use sqlx::PgPool;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The URL of the test's own database (sqlx::test made it from DATABASE_URL).
pub fn url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let db = pool.connect_options().get_database().expect("a database name").to_string();
    let (prefix, _) = base.rsplit_once('/').expect("a URL with a database");
    format!("{prefix}/{db}")
}

pub struct Worker(Child);

impl Worker {
    /// Start `binary` on database `url`, sending email to `smtp`.
    pub fn start(binary: &Path, url: &str, smtp: &Smtp, extra: &[(&str, &str)]) -> Worker {
        let mut cmd = Command::new(binary);
        cmd.env("DATABASE_URL", url)
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port))
            .env("PUBLIC_BASE_URL", "http://buildos.test")
            .env("RUST_LOG", "warn,worker=info")
            .env_remove("OPENAI_API_KEY")
            .env_remove("SQLX_OFFLINE")
            .stdout(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Worker(cmd.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", binary.display())))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: no shutdown, no chance to tidy up.
    pub fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait until `check` holds (checked every 100 ms); how long it took.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {limit:?} waiting for {what}");
}
