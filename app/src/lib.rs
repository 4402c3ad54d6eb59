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
use leptos_router::{Lazy, SsrMode, path};

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

/// Pages are lazy routes: each group of pages below is its own piece of the
/// browser's wasm (`cargo leptos build --split`), fetched with the first visit
/// to one of its pages or when navigating to it, so the first download is the
/// shell and one group. A group, not a page, per piece: every split point
/// multiplies the pieces that the code pages share is cut into.
mod pages {
    use leptos::prelude::*;
    use leptos_router::{LazyRoute, hooks::use_location, lazy_route};

    /// `Group { path pattern => page, … }`: the page is chosen by the path
    /// the route matched (trailing slash ignored), once, when the route's
    /// view is made; the last arm is the group's other path.
    macro_rules! lazy_pages {
        ($($group:ident { $($path:pat $(if $guard:expr)? => $page:path),+ $(,)? })+) => {$(
            pub struct $group;

            #[lazy_route]
            impl LazyRoute for $group {
                fn data() -> Self {
                    $group
                }

                fn view(_this: Self) -> AnyView {
                    let path = use_location().pathname.get_untracked();
                    match path.trim_end_matches('/') {
                        $($path $(if $guard)? => {
                            use $page as Page;
                            view! { <Page /> }.into_any()
                        })+
                    }
                }
            }
        )+};
    }

    lazy_pages! {
        Dashboard { _ => crate::dashboard::DashboardPage }
        Auth {
            "/signup" => crate::auth::pages::SignupPage,
            "/login/link" => crate::auth::pages::SignInLinkPage,
            "/login/google" => crate::auth::pages::LinkGooglePage,
            "/reset-password" => crate::auth::pages::ResetPasswordPage,
            "/verify-email" => crate::auth::pages::VerifyEmailPage,
            _ => crate::auth::pages::LoginPage,
        }
        Projects {
            "/projects" => crate::project::pages::ProjectsPage,
            p if p.starts_with("/tasks/") => crate::task::pages::TaskPage,
            _ => crate::project::pages::ProjectPage,
        }
        BrainDump {
            "/brain-dump" => crate::brain_dump::pages::BrainDumpPage,
            _ => crate::brain_dump::pages::ReviewPage,
        }
        Briefs {
            "/briefs" => crate::brief::pages::BriefsPage,
            "/unsubscribe" => crate::brief::pages::UnsubscribePage,
            _ => crate::brief::pages::BriefPage,
        }
        Calendar { _ => crate::calendar::pages::CalendarPage }
        Admin {
            "/admin/queues" => crate::admin::QueuesPage,
            "/admin/errors" => crate::admin::ErrorsPage,
            _ => crate::admin::OverviewPage,
        }
        Account {
            "/billing" => crate::billing::BillingPage,
            p if p.starts_with("/import/") => crate::data::ImportPage,
            _ => crate::profile::ProfilePage,
        }
        Search { _ => crate::search::SearchPage }
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
                <Route path=path!("/") view={Lazy::<pages::Dashboard>::new()} ssr=ssr.clone() />
                <Route path=path!("/login") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/signup") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/login/link") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/login/google") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/reset-password") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/verify-email") view={Lazy::<pages::Auth>::new()} ssr=ssr.clone() />
                <Route path=path!("/projects") view={Lazy::<pages::Projects>::new()} ssr=ssr.clone() />
                <Route path=path!("/projects/:slug") view={Lazy::<pages::Projects>::new()} ssr=ssr.clone() />
                <Route path=path!("/tasks/:id") view={Lazy::<pages::Projects>::new()} ssr=ssr.clone() />
                <Route path=path!("/brain-dump") view={Lazy::<pages::BrainDump>::new()} ssr=ssr.clone() />
                <Route path=path!("/brain-dump/:id") view={Lazy::<pages::BrainDump>::new()} ssr=ssr.clone() />
                <Route path=path!("/briefs") view={Lazy::<pages::Briefs>::new()} ssr=ssr.clone() />
                <Route path=path!("/calendar") view={Lazy::<pages::Calendar>::new()} ssr=ssr.clone() />
                <Route path=path!("/briefs/:id") view={Lazy::<pages::Briefs>::new()} ssr=ssr.clone() />
                <Route path=path!("/unsubscribe") view={Lazy::<pages::Briefs>::new()} ssr=ssr.clone() />
                <Route path=path!("/admin") view={Lazy::<pages::Admin>::new()} ssr=ssr.clone() />
                <Route path=path!("/admin/queues") view={Lazy::<pages::Admin>::new()} ssr=ssr.clone() />
                <Route path=path!("/admin/errors") view={Lazy::<pages::Admin>::new()} ssr=ssr.clone() />
                <Route path=path!("/import/:id") view={Lazy::<pages::Account>::new()} ssr=ssr.clone() />
                <Route path=path!("/search") view={Lazy::<pages::Search>::new()} ssr=ssr.clone() />
                <Route path=path!("/billing") view={Lazy::<pages::Account>::new()} ssr=ssr.clone() />
                <Route path=path!("/profile") view={Lazy::<pages::Account>::new()} ssr=ssr />
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
