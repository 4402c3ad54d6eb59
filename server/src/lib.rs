//! The BuildOS web server: Leptos pages and server functions on axum, sessions in PostgreSQL.

pub mod api;
pub mod csrf;
pub mod data;
pub mod error_log;
pub mod feeds;
pub mod fn_errors;
pub mod google;
pub mod mcp;
pub mod metrics;
pub mod session_store;
pub mod sse;
pub mod voice;
pub mod webhooks;

use anyhow::{Context, Result};
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use domain::settings::Settings;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use session_store::PgSessionStore;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// What every handler can reach.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub bus: sse::Bus,
    pub api_limiter: api::auth::ApiLimiter,
    pub streams: sse::Streams,
    /// This process's metrics, rendered at `/metrics`.
    pub metrics: domain::metrics::PrometheusHandle,
}

pub async fn connect(database_url: &str, max_connections: u32) -> Result<PgPool> {
    // A connection is tested (one round trip) only when it sat idle for a
    // second or more; under load, each request saves that round trip on every
    // acquire, and a connection broken meanwhile fails one query and is closed.
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= std::time::Duration::from_secs(1) {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect(database_url)
        .await
        .context("connecting to PostgreSQL (is DATABASE_URL right and the server running?)")?;
    Ok(pool)
}

/// Refuse a role row-level security does not apply to, then apply migrations.
pub async fn prepare_database(pool: &PgPool, settings: &Settings) -> Result<()> {
    domain::db::check_role(pool, settings.allow_privileged_role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    sqlx::migrate!("../migrations").run(pool).await.context("running migrations")?;
    // ADMIN_EMAILS as it is now: confirmed addresses listed there are the admins.
    let mut conn = pool.acquire().await?;
    domain::account::service::sync_admins(&mut conn, &settings.admin_emails)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    prepare_jobs(pool).await
}

/// The job tables (apalis schema): the web enqueues jobs in its own transactions.
pub async fn prepare_jobs(pool: &PgPool) -> Result<()> {
    apalis_postgres::PostgresStorage::<()>::setup(pool).await.context("setting up the job tables")?;
    Ok(())
}

/// Options for Leptos, from the settings.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let site = &settings.site;
    LeptosOptions::builder()
        .output_name(site.output_name.clone())
        .site_root(site.site_root.clone())
        .site_pkg_dir(site.pkg_dir.clone())
        .env(if site.production { Env::PROD } else { Env::DEV })
        .site_addr(settings.addr)
        .reload_port(site.reload_port)
        .build()
}

async fn healthz(State(pool): State<PgPool>) -> (StatusCode, &'static str) {
    match sqlx::query("select 1").execute(&pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The whole HTTP application.
pub fn router(settings: Settings, pool: PgPool) -> Router {
    let leptos_options = leptos_options(&settings);
    let routes = generate_route_list(App);
    let settings = Arc::new(settings);
    let state = AppState {
        leptos_options: leptos_options.clone(),
        pool: pool.clone(),
        bus: sse::Bus::start(pool.clone()),
        api_limiter: api::auth::ApiLimiter::new(settings.api_rate_per_minute),
        streams: sse::Streams::default(),
        metrics: domain::metrics::install(),
        settings: settings.clone(),
    };
    let context = {
        let pool = pool.clone();
        let settings = settings.clone();
        move || {
            provide_context(pool.clone());
            provide_context(settings.clone());
        }
    };
    let sessions = SessionManagerLayer::new(PgSessionStore::new(pool.clone()))
        .with_name("buildos_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(domain::account::SESSION_DAYS)));
    // The site's files (the wasm, CSS, service worker, icons), else the app's
    // "Page not found". Served by ServeDir itself: leptos_axum's file handler
    // builds each file's answer under a reactive owner whose parent is
    // whatever owner the thread last held, so a file could take another
    // request's response options (seen: the service worker's script answered
    // with a page's 302 to the login page).
    let files = {
        use axum::handler::Handler;
        let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(context.clone(), shell);
        tower_http::services::ServeDir::new(&*leptos_options.site_root)
            .precompressed_gzip()
            .precompressed_br()
            .append_index_html_on_directories(false)
            .call_fallback_on_method_not_allowed(true)
            .fallback(not_found.with_state(state.clone()))
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::scrape))
        .route("/auth/google", get(google::start))
        .route("/auth/google/callback", get(google::callback))
        .route("/auth/google/calendar", get(google::start_calendar))
        .merge(api::router())
        .merge(mcp::router(state.clone()))
        .route("/brain-dump/{id}/events", get(sse::brain_dump::events))
        .route("/briefs/events", get(sse::brief::events))
        .route("/webhooks/twilio/status", axum::routing::post(webhooks::twilio_status))
        .route("/webhooks/stripe", axum::routing::post(webhooks::stripe))
        .route(domain::calendar::channels::WEBHOOK_PATH, axum::routing::post(webhooks::google_calendar))
        .route("/unsubscribe/one-click", get(webhooks::one_click_page).post(webhooks::one_click))
        .route("/calendar/{file}", get(feeds::calendar))
        .route("/export/{file}", get(data::download))
        .route(
            "/brain-dump/transcribe",
            axum::routing::post(voice::transcribe).layer(axum::extract::DefaultBodyLimit::max(voice::LIMIT)),
        )
        .route(
            "/import",
            axum::routing::post(data::upload).layer(axum::extract::DefaultBodyLimit::max(data::LIMIT + 64 * 1024)),
        )
        .route(
            "/calendar/import",
            axum::routing::post(feeds::import)
                .layer(axum::extract::DefaultBodyLimit::max(domain::calendar::import::MAX_BYTES + 64 * 1024)),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .fallback_service(files)
        .layer(axum::middleware::from_fn(fn_errors::status_from_app_error))
        .layer(sessions)
        .layer(axum::middleware::from_fn(csrf::reject_cross_origin_writes))
        .layer(axum::middleware::from_fn(csrf::drop_foreign_form_errors))
        .layer(axum::middleware::from_fn_with_state(settings.public_base_url.starts_with("https://"), security_headers))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(pool.clone(), error_log::track))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}

/// Headers on every response: no sniffing, no framing, no referrer beyond this
/// site, HSTS when served over https (`hsts`). A page sets its own
/// Content-Security-Policy (with its script nonce) while rendering; anything
/// else (JSON, feeds, files) gets one that allows nothing to run.
async fn security_headers(
    State(hsts): State<bool>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if path == "/sw.js" {
                // The service worker's own policy governs what it fetches: this site.
                "default-src 'self'"
            } else if path == "/offline.html" {
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            } else if html {
                // A page whose render did not set its nonce policy (seen once in
                // CI, cause not yet found): keep it working, keep it unframed.
                "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
            } else {
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            }),
        );
        if html && path != "/offline.html" {
            tracing::warn!(%path, "a page without its Content-Security-Policy nonce");
        }
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    res
}

/// Serve `router` on `listener` until the future `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
}
