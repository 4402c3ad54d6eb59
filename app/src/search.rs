//! Search: the box in every page's header (`/` puts the cursor there) and the
//! results page, over `domain::search`.

use crate::components::{Empty, Layout, loaded, query_param};
use crate::error::AppError;
use domain::search::{Fragment, Hit, Results};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::location::Url;

/// Results per page.
pub const PAGE: i64 = 20;

/// Search for `q`, results `offset` onwards. A blank search finds nothing.
#[server(endpoint = "search")]
pub async fn search(q: String, offset: i64) -> Result<Results, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    if q.trim().is_empty() {
        return Ok(Results { items: Vec::new(), total: 0 });
    }
    let query = domain::search::Query::new(&q).map_err(|e| domain::Error::field("q", e.message("The search")))?;
    let offset = offset.clamp(0, 1_000_000);
    let uid = user.id;
    Ok(domain::db::as_user(&pool, uid, move |tx| {
        Box::pin(async move { domain::search::service::search(tx, uid, &query, PAGE, offset).await })
    })
    .await?)
}

/// The search box in the header. `/` anywhere but in a field focuses it.
#[component]
pub fn SearchBox() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let typing =
                ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlElement>().ok()).is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.is_content_editable()
                });
            let input = document().get_element_by_id("site-search");
            if let (false, Some(input)) =
                (typing, input.and_then(|i| i.dyn_into::<leptos::web_sys::HtmlElement>().ok()))
            {
                ev.prevent_default();
                let _ = input.focus();
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <form action="/search" method="get" role="search" class="order-last w-full sm:order-none sm:w-auto">
            <label for="site-search" class="sr-only">"Search"</label>
            <input
                id="site-search"
                name="q"
                type="search"
                placeholder="Search  ( / )"
                aria-keyshortcuts="/"
                maxlength=domain::limits::SEARCH_QUERY
                class="input w-full py-1 sm:w-48"
            />
        </form>
    }
}

/// A title or snippet with its matched words marked.
fn marked(fragments: Vec<Fragment>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|f| if f.mark { view! { <mark>{f.text}</mark> }.into_any() } else { f.text.into_any() })
        .collect_view()
}

#[component]
fn HitRow(hit: Hit) -> impl IntoView {
    let context = hit.project.clone().map(|p| format!(" · {p}")).unwrap_or_default();
    view! {
        <li class="card">
            <p class="text-xs text-slate-600">{hit.kind.label()}{context}</p>
            <a href=hit.href.clone() class="link font-semibold">{marked(hit.title)}</a>
            {(!hit.snippet.is_empty()).then(|| view! { <p class="mt-1 text-sm text-slate-700">{marked(hit.snippet)}</p> })}
        </li>
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let q = query_param("q");
    let offset = move || query_param("offset")().parse::<i64>().unwrap_or(0).max(0);
    let results = Resource::new(move || (q(), offset()), |(q, offset)| search(q, offset));
    view! {
        <Layout>
            <Title text="Search · BuildOS" />
            <h1 class="page-title">"Search"</h1>
            <form action="/search" method="get" role="search" class="mb-6 flex gap-2">
                <label for="search-page-q" class="sr-only">"Search for"</label>
                <input id="search-page-q" name="q" type="search" value=q class="input flex-1"
                    maxlength=domain::limits::SEARCH_QUERY placeholder="Words from a title, task, note or brain dump" />
                <button type="submit" class="btn">"Search"</button>
            </form>
            {loaded(results, move |r: Results| {
                let query = q();
                if query.trim().is_empty() {
                    return view! {
                        <Empty><p>"Search your projects, tasks, notes and brain dumps. Press / on any page to start typing."</p></Empty>
                    }.into_any();
                }
                if r.items.is_empty() {
                    return view! {
                        <Empty><p>{format!("Nothing matches “{}”. Try fewer or shorter words: each word matches the start of a word.", query.trim())}</p></Empty>
                    }.into_any();
                }
                let from = offset();
                let shown = from + r.items.len() as i64;
                let next = (shown < r.total).then(|| {
                    let href = format!("/search?q={}&offset={shown}", Url::escape(&query));
                    view! { <a href=href class="link">"Next results →"</a> }
                });
                let prev = (from > 0).then(|| {
                    let href = format!("/search?q={}&offset={}", Url::escape(&query), (from - PAGE).max(0));
                    view! { <a href=href class="link">"← Previous results"</a> }
                });
                let count = match r.total { 1 => "1 result".to_string(), n => format!("{n} results") };
                view! {
                    <p class="mb-3 text-sm text-slate-600" role="status">{count}</p>
                    <ol class="space-y-2">
                        {r.items.into_iter().map(|hit| view! { <HitRow hit /> }).collect_view()}
                    </ol>
                    <nav class="mt-4 flex gap-4" aria-label="Result pages">{prev}{next}</nav>
                }.into_any()
            })}
        </Layout>
    }
}
