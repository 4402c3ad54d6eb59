//! The server's settings, read once from the environment (and `.env` in development).

use anyhow::{Context, Result};
use std::net::SocketAddr;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub public_base_url: String,
    /// Send cookies with `Secure` (on when the public URL is https, unless overridden).
    pub cookie_secure: bool,
    pub log_json: bool,
    /// The brain-dump engine: the LLM when OPENAI_API_KEY is set, else offline.
    pub engine: app::brain_dump::llm::Engine,
    /// Checks X-Twilio-Signature on the delivery-status webhook (TWILIO_AUTH_TOKEN).
    pub twilio_auth_token: Option<String>,
    /// Requests per minute per API token (API_RATE_PER_MINUTE).
    pub api_rate_per_minute: u32,
    /// Whether the API's register endpoint is open (REGISTRATION_OPEN, default true).
    pub registration_open: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self> {
        let database_url = var("DATABASE_URL")
            .context("DATABASE_URL is not set (scripts/run.sh starts a local PostgreSQL and sets it)")?;
        let port: u16 = var("PORT").unwrap_or_else(|| "3000".into()).parse().context("PORT must be a number")?;
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let addr: SocketAddr = format!("{host}:{port}").parse().context("HOST must be an IP address")?;
        let public_base_url = var("PUBLIC_BASE_URL").unwrap_or_else(|| format!("http://{addr}"));
        let cookie_secure = match var("COOKIE_SECURE").as_deref() {
            Some("true") => true,
            Some("false") => false,
            None | Some("auto") => public_base_url.starts_with("https://"),
            Some(other) => anyhow::bail!("COOKIE_SECURE must be auto, true or false, not {other:?}"),
        };
        let log_json = var("LOG_FORMAT").is_some_and(|f| f == "json");
        let engine = app::brain_dump::llm::Engine::from_env();
        let twilio_auth_token = var("TWILIO_AUTH_TOKEN");
        let api_rate_per_minute = match var("API_RATE_PER_MINUTE") {
            None => 600,
            Some(v) => v.parse().ok().filter(|n| *n > 0).context("API_RATE_PER_MINUTE must be a positive number")?,
        };
        let registration_open = match var("REGISTRATION_OPEN").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => anyhow::bail!("REGISTRATION_OPEN must be true or false, not {other:?}"),
        };
        Ok(Self {
            database_url,
            addr,
            public_base_url,
            cookie_secure,
            log_json,
            engine,
            twilio_auth_token,
            api_rate_per_minute,
            registration_open,
        })
    }
}
