//! The settings of a BuildOS process, read once at start (from the environment,
//! and `.env` in development) by the server and the worker alike. This is the
//! only place that reads the environment. Secrets never print.

use crate::brain_dump::llm::Engine;
use crate::notify::email::{Mailer, from_address};
use crate::notify::sms::SmsSender;
use anyhow::{Context, Result, bail};
use lettre::message::Mailbox;
use std::net::SocketAddr;

/// A value that is never printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything configurable, with its default when unset.
#[derive(Clone, Debug)]
pub struct Settings {
    /// DATABASE_URL (the scripts start a project-local PostgreSQL and set it).
    pub database_url: Secret<String>,
    /// DATABASE_MAX_CONNECTIONS: the server's connections to PostgreSQL at
    /// most; by default twice the CPU cores plus the one the server-sent
    /// events' LISTEN keeps, at least 5. More only queue up inside
    /// PostgreSQL: on 2 cores, 4 to 6 served the dashboard 5–15% faster with
    /// a third lower p99 than 20 (docs/benchmarks.md).
    pub database_max_connections: u32,
    /// HOST and PORT (default 127.0.0.1:3000): where the server listens.
    pub addr: SocketAddr,
    /// PUBLIC_BASE_URL: the address people reach the app at, for links in
    /// emails and webhooks; by default the address served (`http://HOST:PORT`).
    pub public_base_url: String,
    /// COOKIE_SECURE (auto: on when the public URL is https).
    pub cookie_secure: bool,
    /// LOG_FORMAT=json for JSON logs.
    pub log_json: bool,
    /// The brain-dump and brief engine: the LLM when OPENAI_API_KEY is set, else offline.
    pub engine: Engine,
    /// LLM_PRICE_INPUT and LLM_PRICE_OUTPUT: US dollars per million prompt
    /// and completion tokens, for the cost on the admin overview (unset: no cost shown).
    pub llm_prices: Option<LlmPrices>,
    /// Voice capture's transcription (TRANSCRIBE_*, or OpenAI's own with OPENAI_API_KEY).
    pub transcription: Option<crate::brain_dump::voice::TranscribeConfig>,
    /// SMTP (SMTP_URL or EMAIL_HOST…), else .eml files in OUTBOX_DIR.
    pub mailer: Mailer,
    /// EMAIL_FROM.
    pub email_from: Mailbox,
    /// Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER), else OUTBOX_DIR/sms.jsonl.
    pub sms: SmsSender,
    /// TWILIO_AUTH_TOKEN, which also signs Twilio's webhooks to us.
    pub twilio_auth_token: Option<Secret<String>>,
    /// SECRET_KEY (32+ characters) signs links in emails; else the database's own key.
    pub secret_key: Option<Secret<String>>,
    /// ADMIN_EMAILS: comma-separated addresses of the people who see the queue
    /// page, once they have confirmed the address (marked in the database).
    pub admin_emails: Vec<String>,
    /// TRUSTED_PROXIES: comma-separated addresses or CIDRs of the reverse
    /// proxies whose X-Forwarded-For / Forwarded headers are believed (none by
    /// default: the peer address is the client's).
    pub trusted_proxies: Vec<sqlx::types::ipnetwork::IpNetwork>,
    /// TRUSTED_PROXY_HEADER: the header those proxies write, `x-forwarded-for`
    /// (the default) or `forwarded` (RFC 7239); the other one is ignored.
    pub proxy_header_rfc7239: bool,
    /// ENCRYPTION_KEY: 32 bytes, base64, that encrypt what is stored for
    /// others' services (Google refresh tokens). Google Calendar needs it.
    pub encryption_key: Option<Secret<[u8; 32]>>,
    /// Sign in with Google, when PUBLIC_GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are set.
    pub google: Option<crate::account::google::GoogleConfig>,
    /// Sign-up limits: SIGNUPS_PER_ADDRESS_PER_HOUR (5) and SIGNUPS_PER_HOUR (100, the whole server).
    pub signups: SignupLimits,
    /// Text limits: SMS_PER_NUMBER_PER_DAY (10) and SMS_PER_DAY (500, the whole server); texts need Pro with billing on.
    pub sms_caps: SmsCaps,
    /// API_RATE_PER_MINUTE (default 600): API requests per minute per person.
    pub api_rate_per_minute: u32,
    /// REGISTRATION_OPEN (default true): whether new accounts can be made.
    pub registration_open: bool,
    /// CALENDAR_FETCH_PRIVATE (default false): whether calendar addresses may
    /// point at loopback or private networks (tests, or a calendar server on
    /// your own network). Off, the server cannot be made to probe them.
    pub calendar_fetch_private: bool,
    /// ALLOW_PRIVILEGED_DATABASE_ROLE (default false): start even when the
    /// database role is a superuser or has BYPASSRLS (row-level security then
    /// protects nobody). For throwaway test databases only; logged loudly.
    pub allow_privileged_role: bool,
    /// Stripe billing (ENABLE_STRIPE=true with STRIPE_SECRET_KEY,
    /// STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_MONTHLY…); unset, no plans apply.
    pub billing: Option<crate::billing::stripe::StripeConfig>,
    /// METRICS_TOKEN: who may read `/metrics` (as a bearer token); unset,
    /// only requests from this machine that no proxy forwarded.
    pub metrics_token: Option<Secret<String>>,
    /// The worker's own settings.
    pub worker: WorkerSettings,
    /// Where cargo-leptos put the site (LEPTOS_* variables, which it sets).
    pub site: SiteSettings,
}

/// How many accounts may be made in an hour.
#[derive(Clone, Copy, Debug)]
pub struct SignupLimits {
    pub per_address_per_hour: i64,
    pub per_hour: i64,
}

/// How many texts may be sent in a day.
#[derive(Clone, Copy, Debug)]
pub struct SmsCaps {
    pub per_number_per_day: i64,
    pub per_day: i64,
    /// With billing on, texts are part of Pro (a verification code is sent on any plan).
    pub need_plan: bool,
}

/// What the model's tokens cost, in US dollars per million.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LlmPrices {
    pub input: f64,
    pub output: f64,
}

impl LlmPrices {
    /// LLM_PRICE_INPUT and LLM_PRICE_OUTPUT, both or neither.
    fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let price = |k: &str| -> Result<Option<f64>> {
            var(k)
                .map(|v| v.trim().parse::<f64>().ok().filter(|p| p.is_finite() && *p >= 0.0))
                .map(|p| p.with_context(|| format!("{k} must be a price in dollars per million tokens, say 0.15")))
                .transpose()
        };
        match (price("LLM_PRICE_INPUT")?, price("LLM_PRICE_OUTPUT")?) {
            (Some(input), Some(output)) => Ok(Some(LlmPrices { input, output })),
            (None, None) => Ok(None),
            _ => anyhow::bail!("set both LLM_PRICE_INPUT and LLM_PRICE_OUTPUT, or neither"),
        }
    }
}

/// LEPTOS_OUTPUT_NAME (buildos), LEPTOS_SITE_ROOT (target/site), LEPTOS_SITE_PKG_DIR
/// (pkg), LEPTOS_ENV (DEV or PROD), LEPTOS_RELOAD_PORT (3001).
#[derive(Clone, Debug)]
pub struct SiteSettings {
    pub output_name: String,
    pub site_root: String,
    pub pkg_dir: String,
    pub production: bool,
    pub reload_port: u32,
}

/// WORKER_DB_CONNECTIONS (12), WORKER_POLL_MS (1000), WORKER_CONCURRENCY (8).
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    pub db_connections: u32,
    /// How often an idle queue looks for work besides LISTEN/NOTIFY wake-ups.
    pub poll_ms: u64,
    pub concurrency: usize,
    /// GOOGLE_SYNC_MINUTES (5): a Google calendar not synced for this long is
    /// synced again (push notifications make it sooner, when they are on).
    pub google_sync_minutes: i64,
    /// WORKER_METRICS_ADDR (unset: none): where the worker serves its own
    /// `/metrics` (say 127.0.0.1:9187; METRICS_TOKEN applies as on the server).
    pub metrics_addr: Option<SocketAddr>,
}

impl Settings {
    /// From the process environment (after `.env`, when present).
    pub fn from_env() -> Result<Self> {
        // A missing .env is fine; variables already set win.
        let _ = dotenvy::dotenv();
        Self::from_vars(&|k| std::env::var(k).ok())
    }

    /// From `var` (a test gives its own); blank values count as unset.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let number = |k: &str, default: u64| -> Result<u64> {
            var(k).map_or(Ok(default), |v| v.trim().parse().with_context(|| format!("{k} must be a whole number")))
        };
        let flag = |k: &str, default: bool| -> Result<bool> {
            match var(k).as_deref().map(str::trim) {
                None => Ok(default),
                Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(other) => bail!("{k} must be true or false, not {other:?}"),
            }
        };
        let database_url = var("DATABASE_URL")
            .context("DATABASE_URL is not set (scripts/run.sh starts a local PostgreSQL and sets it)")?;
        let port = u16::try_from(number("PORT", 3000)?).context("PORT must be a port number")?;
        let host = var("HOST").unwrap_or_else(|| "127.0.0.1".into());
        let addr: SocketAddr = format!("{host}:{port}").parse().context("HOST must be an IP address")?;
        let public_base_url =
            var("PUBLIC_BASE_URL").unwrap_or_else(|| format!("http://{addr}")).trim_end_matches('/').to_string();
        let cookie_secure = match var("COOKIE_SECURE").as_deref() {
            None | Some("auto") => public_base_url.starts_with("https://"),
            Some(_) => flag("COOKIE_SECURE", false)?,
        };
        let api_rate_per_minute = u32::try_from(number("API_RATE_PER_MINUTE", 600)?)
            .ok()
            .filter(|n| *n > 0)
            .context("API_RATE_PER_MINUTE must be a positive number")?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let database_max_connections =
            u32::try_from(number("DATABASE_MAX_CONNECTIONS", (2 * cores + 1).max(5) as u64)?)
                .ok()
                .filter(|n| *n > 0)
                .context("DATABASE_MAX_CONNECTIONS must be a positive number")?;
        let billing = crate::billing::stripe::StripeConfig::from_vars(&var)?;
        Ok(Settings {
            database_url: Secret(database_url),
            database_max_connections,
            addr,
            cookie_secure,
            log_json: var("LOG_FORMAT").is_some_and(|f| f == "json"),
            engine: Engine::from_vars(&var)?,
            transcription: crate::brain_dump::voice::TranscribeConfig::from_vars(&var)?,
            llm_prices: LlmPrices::from_vars(&var)?,
            mailer: Mailer::from_vars(&var).map_err(anyhow::Error::msg)?,
            email_from: from_address(var("EMAIL_FROM").as_deref()).map_err(anyhow::Error::msg)?,
            sms: SmsSender::from_vars(&var, &public_base_url),
            twilio_auth_token: var("TWILIO_AUTH_TOKEN").map(Secret),
            secret_key: var("SECRET_KEY").map(Secret),
            admin_emails: var("ADMIN_EMAILS")
                .unwrap_or_default()
                .split(',')
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty())
                .collect(),
            trusted_proxies: var("TRUSTED_PROXIES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| a.parse().with_context(|| format!("TRUSTED_PROXIES: {a:?} is not an address or CIDR")))
                .collect::<Result<_>>()?,
            proxy_header_rfc7239: match var("TRUSTED_PROXY_HEADER").as_deref().map(str::trim) {
                None | Some("x-forwarded-for") => false,
                Some("forwarded") => true,
                Some(other) => bail!("TRUSTED_PROXY_HEADER must be x-forwarded-for or forwarded, not {other:?}"),
            },
            encryption_key: match var("ENCRYPTION_KEY") {
                None => None,
                Some(k) => {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(k.trim())
                        .context("ENCRYPTION_KEY must be base64 (openssl rand -base64 32)")?;
                    Some(Secret(
                        <[u8; 32]>::try_from(bytes.as_slice())
                            .ok()
                            .context("ENCRYPTION_KEY must be 32 bytes (openssl rand -base64 32)")?,
                    ))
                }
            },
            google: match (var("PUBLIC_GOOGLE_CLIENT_ID"), var("GOOGLE_CLIENT_SECRET")) {
                (Some(id), Some(secret)) => Some(crate::account::google::GoogleConfig {
                    client_id: id.trim().to_string(),
                    client_secret: Secret(secret),
                    issuer: var("GOOGLE_ISSUER").unwrap_or_else(|| "https://accounts.google.com".into()),
                    calendar_api: var("GOOGLE_CALENDAR_API")
                        .unwrap_or_else(|| "https://www.googleapis.com/calendar/v3".into())
                        .trim_end_matches('/')
                        .to_string(),
                }),
                _ => None,
            },
            signups: SignupLimits {
                per_address_per_hour: number("SIGNUPS_PER_ADDRESS_PER_HOUR", 5)? as i64,
                per_hour: number("SIGNUPS_PER_HOUR", 100)? as i64,
            },
            sms_caps: SmsCaps {
                per_number_per_day: number("SMS_PER_NUMBER_PER_DAY", 10)? as i64,
                per_day: number("SMS_PER_DAY", 500)? as i64,
                need_plan: billing.is_some(),
            },
            billing,
            api_rate_per_minute,
            registration_open: flag("REGISTRATION_OPEN", true)?,
            calendar_fetch_private: flag("CALENDAR_FETCH_PRIVATE", false)?,
            allow_privileged_role: flag("ALLOW_PRIVILEGED_DATABASE_ROLE", false)?,
            worker: WorkerSettings {
                db_connections: u32::try_from(number("WORKER_DB_CONNECTIONS", 12)?).unwrap_or(12),
                poll_ms: number("WORKER_POLL_MS", 1000)?.max(5),
                concurrency: usize::try_from(number("WORKER_CONCURRENCY", 8)?).unwrap_or(8).max(1),
                google_sync_minutes: i64::try_from(number("GOOGLE_SYNC_MINUTES", 5)?).unwrap_or(5).max(1),
                metrics_addr: var("WORKER_METRICS_ADDR")
                    .map(|a| {
                        a.trim().parse().context("WORKER_METRICS_ADDR must be an address and port, say 127.0.0.1:9187")
                    })
                    .transpose()?,
            },
            metrics_token: var("METRICS_TOKEN").map(Secret),
            site: SiteSettings {
                output_name: var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "buildos".into()),
                site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
                pkg_dir: var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()),
                production: var("LEPTOS_ENV").is_some_and(|e| e.eq_ignore_ascii_case("prod")),
                reload_port: u32::try_from(number("LEPTOS_RELOAD_PORT", 3001)?).unwrap_or(3001),
            },
            public_base_url,
        })
    }

    /// What account emails need: the mailer, the sender and the public address.
    pub fn mail(&self) -> crate::account::mail::Mail {
        crate::account::mail::Mail {
            mailer: self.mailer.clone(),
            from: self.email_from.clone(),
            base_url: self.public_base_url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_vars(&|k| map.get(k).cloned())
    }

    #[test]
    fn the_public_address_follows_port_when_unset() {
        let s =
            settings(&[("DATABASE_URL", "postgres://x"), ("PORT", "3900"), ("OUTBOX_DIR", "/tmp/buildos-test-outbox")])
                .unwrap();
        assert_eq!(s.public_base_url, "http://127.0.0.1:3900");
        let s = settings(&[
            ("DATABASE_URL", "postgres://x"),
            ("PORT", "3900"),
            ("PUBLIC_BASE_URL", "https://buildos.example/"),
            ("OUTBOX_DIR", "/tmp/buildos-test-outbox"),
        ])
        .unwrap();
        assert_eq!(s.public_base_url, "https://buildos.example");
        assert!(s.cookie_secure);
    }

    #[test]
    fn secrets_never_print() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://user:hunter2@db/x"),
            ("TWILIO_AUTH_TOKEN", "tw-secret"),
            ("OUTBOX_DIR", "/tmp/buildos-test-outbox"),
        ])
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("tw-secret"), "{printed}");
    }

    #[test]
    fn billing_needs_its_keys_and_then_limits_the_free_plan() {
        let base = [
            ("DATABASE_URL", "postgres://x"),
            ("OUTBOX_DIR", "/tmp/buildos-test-outbox"),
            ("OPENAI_API_KEY", "sk-test"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| settings(&[&base[..], extra].concat());
        let free = |s: &Settings| match &s.engine {
            Engine::Llm(llm) => llm.quota.free_per_day,
            Engine::Offline => panic!("the LLM is configured"),
        };
        let off = with(&[]).unwrap();
        assert!(off.billing.is_none() && !off.sms_caps.need_plan && free(&off).is_none());

        let e = with(&[("ENABLE_STRIPE", "true")]).unwrap_err();
        assert!(e.to_string().contains("STRIPE_SECRET_KEY"), "{e}");
        let keys = [
            ("ENABLE_STRIPE", "true"),
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_1"),
            ("STRIPE_PRICE_MONTHLY", "price_1"),
            ("FREE_AI_REQUESTS_PER_DAY", "3"),
        ];
        let on = with(&keys).unwrap();
        assert!(on.billing.is_some() && on.sms_caps.need_plan);
        assert_eq!(free(&on), Some(3));
        assert!(!format!("{on:?}").contains("sk_test_1") && !format!("{on:?}").contains("whsec_1"));
        let e = with(&[&keys[..4], &[("STRIPE_PRICE_YEARLY", "yearly")]].concat()).unwrap_err();
        assert!(e.to_string().contains("STRIPE_PRICE_YEARLY"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = settings(&[("DATABASE_URL", "x"), ("PORT", "eighty")]).unwrap_err();
        assert!(e.to_string().contains("PORT"), "{e}");
        let e = settings(&[("DATABASE_URL", "x"), ("TRUSTED_PROXIES", "10.0.0.0/8, proxy")]).unwrap_err();
        assert!(e.to_string().contains("TRUSTED_PROXIES"), "{e}");
        let e = settings(&[("DATABASE_URL", "x"), ("REGISTRATION_OPEN", "maybe")]).unwrap_err();
        assert!(e.to_string().contains("REGISTRATION_OPEN"), "{e}");
        let e = settings(&[("DATABASE_URL", "x"), ("DATABASE_MAX_CONNECTIONS", "0")]).unwrap_err();
        assert!(e.to_string().contains("DATABASE_MAX_CONNECTIONS"), "{e}");
    }

    #[test]
    fn the_pool_follows_the_cores_unless_set() {
        let s = settings(&[("DATABASE_URL", "x"), ("OUTBOX_DIR", "/tmp/buildos-test-outbox")]).unwrap();
        let cores = std::thread::available_parallelism().unwrap().get() as u32;
        assert_eq!(s.database_max_connections, (2 * cores + 1).max(5));
        let s = settings(&[
            ("DATABASE_URL", "x"),
            ("DATABASE_MAX_CONNECTIONS", "7"),
            ("OUTBOX_DIR", "/tmp/buildos-test-outbox"),
        ])
        .unwrap();
        assert_eq!(s.database_max_connections, 7);
    }
}
