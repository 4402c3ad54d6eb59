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
use pages::Page;

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
    use leptos_router::{ChooseView, LazyRoute, lazy_route};

    /// `Group { Name => page component, … }` makes `Page::Name` for each page
    /// and a lazy route per group. A route names its page (`view=Page::Name`),
    /// so the page shown is the one the router matched, fixed before the
    /// group's code arrives: never the address at the time it arrives, which
    /// a click during hydration may already have changed.
    macro_rules! lazy_pages {
        ($($group:ident { $($name:ident => $page:path),+ $(,)? })+) => {
            /// Every page of the app, by the route that shows it.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum Page { $($($name,)+)+ }

            impl ChooseView for Page {
                async fn choose(self) -> AnyView {
                    match self {
                        $($(Page::$name)|+ => <$group as LazyRoute>::view($group(self)).await,)+
                    }
                }

                async fn preload(&self) {
                    match self {
                        $($(Page::$name)|+ => <$group as LazyRoute>::preload().await,)+
                    }
                }
            }

            $(
                pub struct $group(Page);

                #[lazy_route]
                impl LazyRoute for $group {
                    fn data() -> Self {
                        // `Page::choose` always passes the page; this is
                        // only the trait's default, which is never asked.
                        lazy_pages!(@first $group $($name)+)
                    }

                    fn view(this: Self) -> AnyView {
                        #[allow(unreachable_patterns)]
                        match this.0 {
                            $(Page::$name => {
                                use $page as P;
                                view! { <P /> }.into_any()
                            })+
                            other => unreachable!("{other:?} is not in {}", stringify!($group)),
                        }
                    }
                }
            )+
        };
        (@first $group:ident $first:ident $($rest:ident)*) => { $group(Page::$first) };
    }

    lazy_pages! {
        Dashboard { Dashboard => crate::dashboard::DashboardPage }
        Auth {
            Login => crate::auth::pages::LoginPage,
            Signup => crate::auth::pages::SignupPage,
            SignInLink => crate::auth::pages::SignInLinkPage,
            LinkGoogle => crate::auth::pages::LinkGooglePage,
            ResetPassword => crate::auth::pages::ResetPasswordPage,
            VerifyEmail => crate::auth::pages::VerifyEmailPage,
        }
        Projects {
            Projects => crate::project::pages::ProjectsPage,
            Project => crate::project::pages::ProjectPage,
            Task => crate::task::pages::TaskPage,
        }
        BrainDump {
            BrainDump => crate::brain_dump::pages::BrainDumpPage,
            Review => crate::brain_dump::pages::ReviewPage,
        }
        Briefs {
            Briefs => crate::brief::pages::BriefsPage,
            Brief => crate::brief::pages::BriefPage,
            Unsubscribe => crate::brief::pages::UnsubscribePage,
        }
        Calendar { Calendar => crate::calendar::pages::CalendarPage }
        Admin {
            AdminOverview => crate::admin::OverviewPage,
            AdminQueues => crate::admin::QueuesPage,
            AdminErrors => crate::admin::ErrorsPage,
        }
        Account {
            Profile => crate::profile::ProfilePage,
            Billing => crate::billing::BillingPage,
            Import => crate::data::ImportPage,
        }
        Search { Search => crate::search::SearchPage }
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
                <Route path=path!("/") view=Page::Dashboard ssr=ssr.clone() />
                <Route path=path!("/login") view=Page::Login ssr=ssr.clone() />
                <Route path=path!("/signup") view=Page::Signup ssr=ssr.clone() />
                <Route path=path!("/login/link") view=Page::SignInLink ssr=ssr.clone() />
                <Route path=path!("/login/google") view=Page::LinkGoogle ssr=ssr.clone() />
                <Route path=path!("/reset-password") view=Page::ResetPassword ssr=ssr.clone() />
                <Route path=path!("/verify-email") view=Page::VerifyEmail ssr=ssr.clone() />
                <Route path=path!("/projects") view=Page::Projects ssr=ssr.clone() />
                <Route path=path!("/projects/:slug") view=Page::Project ssr=ssr.clone() />
                <Route path=path!("/tasks/:id") view=Page::Task ssr=ssr.clone() />
                <Route path=path!("/brain-dump") view=Page::BrainDump ssr=ssr.clone() />
                <Route path=path!("/brain-dump/:id") view=Page::Review ssr=ssr.clone() />
                <Route path=path!("/briefs") view=Page::Briefs ssr=ssr.clone() />
                <Route path=path!("/calendar") view=Page::Calendar ssr=ssr.clone() />
                <Route path=path!("/briefs/:id") view=Page::Brief ssr=ssr.clone() />
                <Route path=path!("/unsubscribe") view=Page::Unsubscribe ssr=ssr.clone() />
                <Route path=path!("/admin") view=Page::AdminOverview ssr=ssr.clone() />
                <Route path=path!("/admin/queues") view=Page::AdminQueues ssr=ssr.clone() />
                <Route path=path!("/admin/errors") view=Page::AdminErrors ssr=ssr.clone() />
                <Route path=path!("/import/:id") view=Page::Import ssr=ssr.clone() />
                <Route path=path!("/search") view=Page::Search ssr=ssr.clone() />
                <Route path=path!("/billing") view=Page::Billing ssr=ssr.clone() />
                <Route path=path!("/profile") view=Page::Profile ssr=ssr />
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
