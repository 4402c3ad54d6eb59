//! Building blocks shared by every page: layout, form fields, loading and error states.

use crate::auth::Logout;
use crate::error::AppError;
use crate::search::SearchBox;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use serde::{Serialize, de::DeserializeOwned};

/// Page frame: navigation on top (collapsing to a row of links on phones), content below.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="border-b border-slate-200 bg-white">
            <nav class="mx-auto flex max-w-5xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3" aria-label="Main">
                <a href="/" class="mr-auto text-lg font-bold text-indigo-700">"BuildOS"</a>
                <SearchBox />
                <a href="/brain-dump" class="nav-link">"Brain dump"</a>
                <a href="/" class="nav-link">"Dashboard"</a>
                <a href="/briefs" class="nav-link">"Brief"</a>
                <a href="/calendar" class="nav-link">"Calendar"</a>
                <a href="/projects" class="nav-link">"Projects"</a>
                <a href="/profile" class="nav-link">"Profile"</a>
                <ActionForm action=logout>
                    <button type="submit" class="nav-link" on:click=|_| forget_pages()>"Log out"</button>
                </ActionForm>
            </nav>
        </header>
        <main class="mx-auto max-w-5xl px-4 py-6">{children()}</main>
    }
}

/// Signing out: the service worker forgets the pages it kept for this person.
fn forget_pages() {
    #[cfg(feature = "hydrate")]
    if let Some(worker) = window().navigator().service_worker().controller() {
        let _ = worker.post_message(&"forget-pages".into());
    }
}

/// The error (if any) a form came back with, and what was typed into it.
#[derive(Clone, Default)]
pub struct Prefill(pub Option<AppError>);

impl Prefill {
    /// The last result of `action`, read without subscribing (forms re-render on `version`).
    pub fn of<A, O>(action: ServerAction<A>) -> Self
    where
        A: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
        O: Clone + Send + Sync + 'static,
    {
        Self(action.value().get_untracked().and_then(Result::err))
    }

    /// Like [`Prefill::of`], and re-runs the calling closure each time `action`
    /// finishes (so the form shows its new errors and values).
    pub fn track<A, O>(action: ServerAction<A>) -> Self
    where
        A: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
        O: Clone + Send + Sync + 'static,
    {
        action.version().track();
        Self::of(action)
    }

    /// What was typed into `field`, else `default`.
    pub fn value(&self, field: &str, default: &str) -> String {
        self.0.as_ref().and_then(|e| e.input(field)).unwrap_or_else(|| default.to_string())
    }

    pub fn error(&self, field: &str) -> Option<String> {
        self.0.as_ref().and_then(|e| e.field_message(field))
    }

    /// A message for the whole form; field errors are shown at their fields instead.
    pub fn summary(&self) -> Option<String> {
        match &self.0 {
            Some(AppError(domain::Error::Validation(inv))) if inv.fields.len() > 1 => {
                Some(domain::Error::Validation(inv.clone()).to_string())
            }
            Some(AppError(domain::Error::Validation(_))) | None => None,
            Some(other) => Some(other.to_string()),
        }
    }
}

/// A form's submit button, disabled and saying `busy` while `pending`.
#[component]
pub fn Submit(
    #[prop(into)] pending: Signal<bool>,
    idle: &'static str,
    busy: &'static str,
    #[prop(default = "btn-primary")] class: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class=class disabled=pending>
            {move || if pending.get() { busy } else { idle }}
        </button>
    }
}

/// A labelled input with its error under it.
#[component]
pub fn Field(
    /// Prefix for the element id, so two forms on one page do not clash.
    form: &'static str,
    label: &'static str,
    name: &'static str,
    value: String,
    error: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let err_id = format!("{id}-error");
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for=id.clone() class="label">{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                autocomplete=autocomplete
                placeholder=placeholder
                aria-invalid=invalid.then_some("true")
                aria-describedby=invalid.then(|| err_id.clone())
                class="input"
            />
            {error.map(|e| view! { <p id=err_id class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// A labelled textarea with its error under it.
#[component]
pub fn TextArea(
    form: &'static str,
    label: &'static str,
    name: &'static str,
    value: String,
    error: Option<String>,
    #[prop(default = 4)] rows: u32,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for=id.clone() class="label">{label}</label>
            <textarea id=id name=name rows=rows placeholder=placeholder aria-invalid=invalid.then_some("true") class="input">
                {value}
            </textarea>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// A labelled select; `options` are (value, label) pairs.
#[component]
pub fn Select(
    form: &'static str,
    label: &'static str,
    name: &'static str,
    options: Vec<(&'static str, &'static str)>,
    value: String,
    error: Option<String>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    view! {
        <div class="field">
            <label for=id.clone() class="label">{label}</label>
            <select id=id name=name class="input">
                {options
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v selected=value == v>{l}</option> })
                    .collect_view()}
            </select>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}

/// The message above a form when its last submission failed.
#[component]
pub fn FormError(prefill: Prefill) -> impl IntoView {
    prefill.summary().map(|m| view! { <p class="form-error" role="alert">{m}</p> })
}

/// What to show when a list is empty: what it is for and what to do.
#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! { <div class="empty">{children()}</div> }
}

/// Render a page's data resource: loading, then the data, a sign-in redirect,
/// a not-found message or an error.
pub fn loaded<T, V>(
    resource: Resource<Result<T, AppError>>,
    view_fn: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let path = use_location().pathname;
    view! {
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || {
                resource
                    .get()
                    .map(|result| match result {
                        Ok(data) => view_fn(data).into_any(),
                        Err(AppError(domain::Error::Unauthorized)) => {
                            let next = path.get_untracked();
                            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
                        }
                        Err(AppError(domain::Error::NotFound)) => {
                            view! {
                                <div class="empty">
                                    <h1 class="text-xl font-semibold">"Not found"</h1>
                                    <p>"There is nothing here. It may have been deleted."</p>
                                    <a href="/" class="link">"Back to the dashboard"</a>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// A parameter of the current route (`/tasks/:id` → `path_param("id")`), "" when missing.
pub fn path_param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get(name).unwrap_or_default())
}

/// A parameter of the address's query string, "" when missing.
pub fn query_param(name: &'static str) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.with(|q| q.get(name).unwrap_or_default())
}
