//! Test harness: start the app on a free port, call server functions as a browser's JS would.

use domain::Error as AppError;
use domain::brain_dump::llm::Engine;
use domain::settings::Settings;
use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;
use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    /// Where this app's emails go (its own directory).
    pub outbox: std::path::PathBuf,
}

pub const PASSWORD: &str = "correct horse battery";
/// The Twilio auth token test servers check webhook signatures with.
pub const TWILIO_TOKEN: &str = "test-twilio-token";

/// Builds a test server: `TestApp::builder(pool).engine(…).spawn().await`.
pub struct TestAppBuilder {
    pool: PgPool,
    engine: Engine,
    api_rate_per_minute: u32,
    registration_open: bool,
    calendar_fetch_private: bool,
    trusted_proxies: Vec<sqlx::types::ipnetwork::IpNetwork>,
    signups_per_address: i64,
    signups_per_hour: i64,
    admin_emails: Vec<String>,
    llm_prices: Option<domain::settings::LlmPrices>,
    google: Option<domain::account::google::GoogleConfig>,
    encryption_key: Option<[u8; 32]>,
    transcription: Option<domain::brain_dump::voice::TranscribeConfig>,
    metrics_token: Option<String>,
    stripe: Option<domain::billing::stripe::StripeConfig>,
}

impl TestAppBuilder {
    /// Stripe billing on, against a stand-in Stripe at `api_base` (see `fake_stripe`).
    pub fn stripe(mut self, api_base: &str) -> Self {
        self.stripe = Some(crate::fake_stripe::config(api_base));
        self
    }

    /// Brain dumps and briefs go to `engine`.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// Recordings are transcribed by `config`'s endpoint (none by default).
    pub fn transcription(mut self, config: domain::brain_dump::voice::TranscribeConfig) -> Self {
        self.transcription = Some(config);
        self
    }

    /// `/metrics` is read with this bearer token.
    pub fn metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.into());
        self
    }

    /// Allow `per_minute` API requests per person.
    pub fn api_rate_per_minute(mut self, per_minute: u32) -> Self {
        self.api_rate_per_minute = per_minute;
        self
    }

    /// Whether registration is open (it is by default).
    pub fn registration_open(mut self, open: bool) -> Self {
        self.registration_open = open;
        self
    }

    /// Whether calendar addresses may point at 127.0.0.1 (the fakes do; on by default here).
    pub fn calendar_fetch_private(mut self, allowed: bool) -> Self {
        self.calendar_fetch_private = allowed;
        self
    }

    /// Believe forwarding headers from these proxies (none by default).
    pub fn trusted_proxies(mut self, cidrs: &[&str]) -> Self {
        self.trusted_proxies = cidrs.iter().map(|c| c.parse().unwrap()).collect();
        self
    }

    /// Accounts that may be made from one address in an hour (100 by default here).
    pub fn signups_per_address(mut self, n: i64) -> Self {
        self.signups_per_address = n;
        self
    }

    /// Accounts that may be made in an hour in all (1,000 by default here).
    pub fn signups_per_hour(mut self, n: i64) -> Self {
        self.signups_per_hour = n;
        self
    }

    /// Sign in with Google, against a stand-in provider at `issuer` (its
    /// Calendar API under `{issuer}/calendar/v3`).
    pub fn google(mut self, client_id: &str, issuer: &str) -> Self {
        self.google = Some(domain::account::google::GoogleConfig {
            client_id: client_id.into(),
            client_secret: domain::settings::Secret::new("test-secret".into()),
            issuer: issuer.into(),
            calendar_api: format!("{issuer}/calendar/v3"),
        });
        self
    }

    /// ENCRYPTION_KEY.
    pub fn encryption_key(mut self, key: [u8; 32]) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// LLM_PRICE_INPUT and LLM_PRICE_OUTPUT, dollars per million tokens.
    pub fn llm_prices(mut self, input: f64, output: f64) -> Self {
        self.llm_prices = Some(domain::settings::LlmPrices { input, output });
        self
    }

    /// ADMIN_EMAILS.
    pub fn admin_emails(mut self, emails: &[&str]) -> Self {
        self.admin_emails = emails.iter().map(|e| e.to_string()).collect();
        self
    }

    pub async fn spawn(self) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let outbox = std::env::temp_dir().join(format!("buildos-test-outbox-{}-{}", std::process::id(), addr.port()));
        let vars = [
            ("DATABASE_URL", "postgres://unused".to_string()),
            ("PORT", addr.port().to_string()),
            ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_string()),
            ("OUTBOX_DIR", outbox.display().to_string()),
        ];
        let mut settings = Settings::from_vars(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("test settings");
        settings.engine = self.engine;
        settings.api_rate_per_minute = self.api_rate_per_minute;
        settings.registration_open = self.registration_open;
        settings.calendar_fetch_private = self.calendar_fetch_private;
        settings.trusted_proxies = self.trusted_proxies;
        settings.signups.per_address_per_hour = self.signups_per_address;
        settings.signups.per_hour = self.signups_per_hour;
        settings.admin_emails = self.admin_emails;
        settings.llm_prices = self.llm_prices;
        settings.google = self.google;
        settings.encryption_key = self.encryption_key.map(domain::settings::Secret::new);
        settings.transcription = self.transcription;
        settings.metrics_token = self.metrics_token.map(domain::settings::Secret::new);
        settings.sms_caps.need_plan = self.stripe.is_some();
        settings.billing = self.stripe;
        server::prepare_jobs(&self.pool).await.expect("job tables");
        let router = server::router(settings, self.pool.clone());
        tokio::spawn(server::serve(listener, router, std::future::pending()));
        TestApp { addr, pool: self.pool, outbox }
    }
}

impl TestApp {
    pub fn builder(pool: PgPool) -> TestAppBuilder {
        TestAppBuilder {
            pool,
            engine: Engine::Offline,
            api_rate_per_minute: 600,
            registration_open: true,
            calendar_fetch_private: true,
            trusted_proxies: Vec::new(),
            signups_per_address: 100,
            signups_per_hour: 1000,
            admin_emails: Vec::new(),
            llm_prices: None,
            google: None,
            encryption_key: None,
            transcription: None,
            metrics_token: None,
            stripe: None,
        }
    }

    /// A server with the defaults (offline engine, open registration).
    pub async fn spawn(pool: PgPool) -> Self {
        Self::builder(pool).spawn().await
    }

    /// A test app with Ada signed up: the start of most tests.
    pub async fn with_ada(pool: PgPool) -> (Self, Client) {
        let app = Self::spawn(pool).await;
        let ada = app.signed_up("ada@example.com").await;
        (app, ada)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client() -> Client {
        Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// A browser-like client behind a proxy that says it comes from `ip` (in
    /// X-Forwarded-For; believed only when 127.0.0.1 is a trusted proxy).
    pub fn client_from(ip: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// Sign up `email` with `client` (whose address is not confirmed yet).
    pub async fn sign_up_with(&self, client: &Client, email: &str) -> Result<Value, AppError> {
        self.call(client, "signup", &[("email", email), ("password", PASSWORD), ("timezone", "Europe/Paris")]).await
    }

    /// POST a server function the way the hydrated app does; the JSON result or our error.
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Result<Value, AppError> {
        Self::reply(endpoint, client.post(self.url(&format!("/api/{endpoint}"))).form(form)).await
    }

    /// POST a server function that takes JSON input.
    pub async fn call_json(&self, client: &Client, endpoint: &str, body: &Value) -> Result<Value, AppError> {
        Self::reply(endpoint, client.post(self.url(&format!("/api/{endpoint}"))).json(body)).await
    }

    /// Send; the JSON result, or our error (which must come with its own status code).
    async fn reply(endpoint: &str, request: reqwest::RequestBuilder) -> Result<Value, AppError> {
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        if status.is_success() {
            return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
        }
        let error: AppError = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{endpoint}: {status} {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(status, server::fn_errors::status_of(&error), "{endpoint} status");
        Err(error)
    }

    /// Mark a task done, as its tick box does.
    pub async fn complete(&self, client: &Client, task_id: &str) {
        self.ok(client, "set_task_done", &[("id", task_id), ("done", "true")]).await;
    }

    /// Confirm a reviewed brain dump (`dump` as parse returned it) with these operations.
    pub async fn confirm(&self, client: &Client, dump: &Value, operations: &Value) -> Result<Value, AppError> {
        let body = serde_json::json!({ "id": dump["id"], "version": dump["updated_at"], "operations": operations });
        self.call_json(client, "confirm_brain_dump", &body).await
    }

    /// POST and expect success.
    pub async fn ok(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Value {
        self.call(client, endpoint, form).await.unwrap_or_else(|e| panic!("{endpoint} failed: {e:?}"))
    }

    /// A new signed-in client for `email`, whose address is confirmed (as if
    /// they had opened the link: the tests of that link are in auth.rs).
    pub async fn signed_up(&self, email: &str) -> Client {
        let client = self.signed_up_unconfirmed(email).await;
        sqlx::query("update users set email_verified_at = now() where email = $1")
            .bind(email)
            .execute(&self.pool)
            .await
            .unwrap();
        client
    }

    /// A new signed-in client for `email`, who has not confirmed the address yet.
    pub async fn signed_up_unconfirmed(&self, email: &str) -> Client {
        let client = Self::client();
        self.ok(
            &client,
            "signup",
            &[("email", email), ("password", PASSWORD), ("display_name", "Tester"), ("timezone", "Europe/Paris")],
        )
        .await;
        client
    }

    /// Log in with the login form's server function.
    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Result<Value, AppError> {
        self.call(client, "login", &[("email", email), ("password", password)]).await
    }

    /// The emails sent to `to` so far (plain text, headers and body), oldest first.
    pub fn emails_to(&self, to: &str) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(&self.outbox) else { return Vec::new() };
        let mut found: Vec<(std::time::SystemTime, String)> = dir
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, std::fs::read_to_string(e.path()).ok()?)))
            .map(|(t, raw)| (t, raw.replace("=\r\n", "").replace("=3D", "=")))
            .filter(|(_, m)| m.lines().any(|l| l.starts_with("To: ") && l.contains(to)))
            .collect();
        found.sort_by_key(|(t, _)| *t);
        found.into_iter().map(|(_, m)| m).collect()
    }

    /// Wait (up to 10 s) for the `n`th email (from 1) to `to` with a link to
    /// `path` (emails of other kinds, sent in the background, may come in any
    /// order around it); the token of that link.
    pub async fn link_token(&self, to: &str, n: usize, path: &str) -> String {
        let marker = format!("{path}?");
        for _ in 0..200 {
            if let Some(mail) = self.emails_to(to).into_iter().filter(|m| m.contains(&marker)).nth(n - 1) {
                let start = mail.find(&marker).expect("filtered on it");
                let link = mail[start..].split_whitespace().next().unwrap();
                return link.split("token=").nth(1).unwrap().to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no email number {n} to {to} with a {path} link: {:?}", self.emails_to(to))
    }

    /// Create a project and return its (id, slug).
    pub async fn project(&self, client: &Client, name: &str) -> (String, String) {
        let list = self.ok(client, "list_projects", &[]).await;
        let before = list.as_array().unwrap().len();
        self.ok(client, "create_project", &[("name", name)]).await;
        let list = self.ok(client, "list_projects", &[]).await;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), before + 1);
        let p = list.iter().find(|p| p["name"] == name).expect("created project listed");
        (p["id"].as_str().unwrap().to_string(), p["slug"].as_str().unwrap().to_string())
    }

    /// Add a task to a project and return its id.
    pub async fn task(&self, client: &Client, project_id: &str, fields: &[(&str, &str)]) -> String {
        let mut form = vec![("project_id", project_id)];
        form.extend_from_slice(fields);
        self.ok(client, "create_task", &form).await;
        let title = fields.iter().find(|(k, _)| *k == "title").unwrap().1;
        self.tasks_of(client, project_id)
            .await
            .into_iter()
            .find(|t| t["title"] == title && t["status"] != "done")
            .expect("task created")["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The tasks of a project, via the project page's server function.
    pub async fn tasks_of(&self, client: &Client, project_id: &str) -> Vec<Value> {
        let projects = self.ok(client, "list_projects", &[]).await;
        let slug = projects.as_array().unwrap().iter().find(|p| p["id"] == project_id).unwrap()["slug"]
            .as_str()
            .unwrap()
            .to_string();
        let detail = self.ok(client, "get_project", &[("slug", &slug)]).await;
        detail["tasks"].as_array().unwrap().clone()
    }

    pub fn session_cookie(client_cookie_header: &reqwest::header::HeaderMap) -> Option<String> {
        client_cookie_header
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("buildos_session="))
            .map(|c| c.split(';').next().unwrap().to_string())
    }
}

/// Read a server-sent event stream to its end: `(event name, JSON data)` pairs,
/// each also given to `seen` the moment it arrives.
pub async fn read_events(mut response: reqwest::Response, mut seen: impl FnMut(&str, &Value)) -> Vec<(String, Value)> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (mut buffer, mut events) = (String::new(), Vec::new());
    while let Some(bytes) = response.chunk().await.unwrap() {
        buffer.push_str(std::str::from_utf8(&bytes).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |k: &str| block.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim_start().to_string());
            if let (Some(name), Some(data)) = (field("event:"), field("data:")) {
                let data: Value = serde_json::from_str(&data).unwrap();
                seen(&name, &data);
                events.push((name, data));
            }
        }
    }
    events
}
