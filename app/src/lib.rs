//! BuildOS's user interface: pages, components and thin server functions
//! (authenticate, convert the form, call a domain service), compiled for the
//! server (`ssr`) and for the browser (`hydrate`).

pub mod admin;
pub mod api_token;
pub mod auth;
pub mod billing;
pub mod brain_dump;
pub mod brief;
pub mod calendar;
pub mod components;
pub mod dashboard;
pub mod data;
pub mod error;
pub mod forms;
pub mod note;
pub mod phone;
pub mod plan;
pub mod profile;
pub mod project;
pub mod search;
pub mod task;
pub mod trash;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/apple-touch-icon.png" />
                <meta name="theme-color" content="#4f46e5" />
                // Installable, and the pages opened once open offline (public/sw.js).
                <script nonce=leptos::nonce::use_nonce() inner_html=REGISTER_SERVICE_WORKER></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900">
                <App />
            </body>
        </html>
    }
}

/// Registered once per browser (later pages find it registered; the browser
/// checks for a new sw.js by itself). A browser that refuses it still has
/// the whole app online, so a failure is not an error of the page.
const REGISTER_SERVICE_WORKER: &str = "if ('serviceWorker' in navigator) addEventListener('load', () => \
     navigator.serviceWorker.getRegistration('/').then((r) => r || navigator.serviceWorker.register('/sw.js')).catch(() => {}));";

/// The page's Content-Security-Policy: scripts only with this response's nonce
/// (the hydration script, which loads the app) and what they load; no frames
/// of the app on other sites; forms post only here (and, with billing on, on
/// to Stripe's Checkout and portal pages).
#[cfg(feature = "ssr")]
fn content_security_policy(options: &LeptosOptions) {
    let Some(nonce) = leptos::nonce::use_nonce() else { return };
    // The development server's live reload talks over a websocket.
    let reload = if options.env == leptos::config::Env::DEV { " ws: wss:" } else { "" };
    let stripe = crate::auth::request::settings()
        .ok()
        .and_then(|s| s.billing.as_ref().map(|b| format!(" {}", b.page_origins())))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{reload}; worker-src 'self'; manifest-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{stripe}; frame-ancestors 'none'"
    );
    if let (Some(response), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), axum::http::HeaderValue::from_str(&policy))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Async rendering: pages arrive complete, so they work with JavaScript off.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="leptos" href="/pkg/buildos.css" />
        <Title text="BuildOS" />
        <Router>
            <Routes fallback=|| view! { <NotFoundPage /> }>
                <Route path=path!("/") view=dashboard::DashboardPage ssr=ssr.clone() />
                <Route path=path!("/login") view=auth::pages::LoginPage ssr=ssr.clone() />
                <Route path=path!("/signup") view=auth::pages::SignupPage ssr=ssr.clone() />
                <Route path=path!("/login/link") view=auth::pages::SignInLinkPage ssr=ssr.clone() />
                <Route path=path!("/login/google") view=auth::pages::LinkGooglePage ssr=ssr.clone() />
                <Route path=path!("/reset-password") view=auth::pages::ResetPasswordPage ssr=ssr.clone() />
                <Route path=path!("/verify-email") view=auth::pages::VerifyEmailPage ssr=ssr.clone() />
                <Route path=path!("/projects") view=project::pages::ProjectsPage ssr=ssr.clone() />
                <Route path=path!("/projects/:slug") view=project::pages::ProjectPage ssr=ssr.clone() />
                <Route path=path!("/tasks/:id") view=task::pages::TaskPage ssr=ssr.clone() />
                <Route path=path!("/brain-dump") view=brain_dump::pages::BrainDumpPage ssr=ssr.clone() />
                <Route path=path!("/brain-dump/:id") view=brain_dump::pages::ReviewPage ssr=ssr.clone() />
                <Route path=path!("/briefs") view=brief::pages::BriefsPage ssr=ssr.clone() />
                <Route path=path!("/calendar") view=calendar::pages::CalendarPage ssr=ssr.clone() />
                <Route path=path!("/briefs/:id") view=brief::pages::BriefPage ssr=ssr.clone() />
                <Route path=path!("/unsubscribe") view=brief::pages::UnsubscribePage ssr=ssr.clone() />
                <Route path=path!("/admin") view=admin::OverviewPage ssr=ssr.clone() />
                <Route path=path!("/admin/queues") view=admin::QueuesPage ssr=ssr.clone() />
                <Route path=path!("/admin/errors") view=admin::ErrorsPage ssr=ssr.clone() />
                <Route path=path!("/import/:id") view=data::ImportPage ssr=ssr.clone() />
                <Route path=path!("/search") view=search::SearchPage ssr=ssr.clone() />
                <Route path=path!("/billing") view=billing::BillingPage ssr=ssr.clone() />
                <Route path=path!("/profile") view=profile::ProfilePage ssr=ssr />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="mx-auto max-w-md px-4 py-12 text-center">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="mt-2"><a href="/" class="link">"Go to the dashboard"</a></p>
        </main>
    }
}
