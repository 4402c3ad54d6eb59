//! The BuildOS web server: Leptos pages and server functions on axum, sessions in PostgreSQL.

pub mod api;
pub mod config;
pub mod csrf;
pub mod fn_errors;
pub mod webhooks;

use anyhow::{Context, Result};
use app::auth::session_store::PgSessionStore;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use config::Config;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tower_http::compression::CompressionLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// What every handler can reach.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub engine: app::brain_dump::llm::Engine,
    pub briefs: app::brief::events::BriefBus,
    pub public_base_url: String,
    pub twilio_auth_token: Option<std::sync::Arc<str>>,
    pub api_limiter: api::auth::ApiLimiter,
    /// Whether POST /api/v1/auth/register accepts new accounts.
    pub registration_open: bool,
}

pub async fn connect(database_url: &str) -> Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(database_url)
        .await
        .context("connecting to PostgreSQL (is DATABASE_URL right and the server running?)")?;
    Ok(pool)
}

/// Apply migrations, and warn when the role would bypass row-level security.
pub async fn prepare_database(pool: &PgPool) -> Result<()> {
    sqlx::migrate!("../migrations").run(pool).await.context("running migrations")?;
    prepare_jobs(pool).await?;
    let bypasses: bool =
        sqlx::query_scalar("select rolsuper or rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(pool)
            .await?;
    if bypasses {
        tracing::warn!(
            "the database role is a superuser or has BYPASSRLS: row-level security will not protect tenants; use a plain role"
        );
    }
    Ok(())
}

/// The job tables (apalis schema): the web enqueues jobs in its own transactions.
pub async fn prepare_jobs(pool: &PgPool) -> Result<()> {
    apalis_postgres::PostgresStorage::<()>::setup(pool).await.context("setting up the job tables")?;
    Ok(())
}

/// Options for Leptos from `LEPTOS_*` variables, with this project's defaults.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "buildos"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .env(if var("LEPTOS_ENV", "DEV").eq_ignore_ascii_case("prod") { Env::PROD } else { Env::DEV })
        .site_addr(config.addr)
        .reload_port(var("LEPTOS_RELOAD_PORT", "3001").parse::<u32>().unwrap_or(3001))
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
pub fn router(config: &Config, pool: PgPool) -> Router {
    let leptos_options = leptos_options(config);
    let routes = generate_route_list(App);
    let state = AppState {
        leptos_options: leptos_options.clone(),
        pool: pool.clone(),
        engine: config.engine.clone(),
        briefs: app::brief::events::BriefBus::start(pool.clone()),
        public_base_url: config.public_base_url.clone(),
        twilio_auth_token: config.twilio_auth_token.as_deref().map(Into::into),
        api_limiter: api::auth::ApiLimiter::new(config.api_rate_per_minute),
        registration_open: config.registration_open,
    };
    let context = {
        let pool = pool.clone();
        let engine = config.engine.clone();
        let registration = app::auth::RegistrationOpen(config.registration_open);
        move || {
            provide_context(pool.clone());
            provide_context(engine.clone());
            provide_context(registration);
        }
    };
    let sessions = SessionManagerLayer::new(PgSessionStore::new(pool))
        .with_name("buildos_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(app::auth::SESSION_DAYS)));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api::router())
        .route("/brain-dump/{id}/events", get(app::brain_dump::stream::events))
        .route("/briefs/events", get(app::brief::events::events))
        .route("/webhooks/twilio/status", axum::routing::post(webhooks::twilio_status))
        .route("/unsubscribe/one-click", get(webhooks::one_click_page).post(webhooks::one_click))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(axum::middleware::from_fn(fn_errors::status_from_app_error))
        .layer(sessions)
        .layer(axum::middleware::from_fn(csrf::reject_cross_origin_writes))
        .layer(CompressionLayer::new())
        .with_state(state)
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
