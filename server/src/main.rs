//! `server`: migrate the database, then serve BuildOS over HTTP.

use anyhow::{Context, Result};
use domain::settings::Settings;

// SSR allocates many small strings; mimalloc is markedly faster than glibc's
// allocator for that under concurrency (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep mimalloc's footprint close to glibc's: commit arena memory on demand
/// and return freed pages after 100 ms. Measured on the dashboard benchmark:
/// 70 MB → 35 MB peak RSS for ~4% of its throughput. Values are mimalloc v2's
/// `mi_option_arena_eager_commit` (4) and `mi_option_purge_delay` (15), which
/// the -sys crate does not name; the environment (MIMALLOC_*) still overrides.
fn tune_allocator() {
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    for (option, value, env) in
        [(ARENA_EAGER_COMMIT, 0, "MIMALLOC_ARENA_EAGER_COMMIT"), (PURGE_DELAY, 100, "MIMALLOC_PURGE_DELAY")]
    {
        if std::env::var_os(env).is_none() {
            // SAFETY: plain setter of a process-wide option; valid option ids.
            unsafe { libmimalloc_sys::mi_option_set(option, value) };
        }
    }
}

fn main() -> Result<()> {
    // Before the runtime exists, so its first allocations see the options.
    tune_allocator();
    tokio::runtime::Runtime::new().context("starting the async runtime")?.block_on(run())
}

async fn run() -> Result<()> {
    let settings = Settings::from_env()?;
    init_tracing(settings.log_json);
    let pool = server::connect(settings.database_url.expose(), settings.database_max_connections).await?;
    server::prepare_database(&pool, &settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("binding {} (is another server using PORT?)", settings.addr))?;
    tracing::info!(url = %settings.public_base_url, engine = settings.engine.name(), "BuildOS is listening");
    server::serve(listener, server::router(settings, pool), shutdown_signal()).await
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json { builder.json().init() } else { builder.init() }
}

async fn shutdown_signal() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.ok() };
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down");
}
