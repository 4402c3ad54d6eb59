//! The brain-dump pages: capture (autosaved), review and history.

use super::model::{BrainDump, DumpStatus, DumpSummary, MAX_CHARS, ParseEvent};
use super::operation::{Kind, Operation, Table};
use super::review::{card_text, home_label, kind_label, new_projects};
use super::{ConfirmReview, Draft, ParseBrainDump, ProcessBrainDump, SaveDraft, UndoBrainDump};
use crate::components::{Empty, FormError, Layout, Prefill, Submit, loaded, path_param};
use crate::error::AppError;
use crate::task::recurrence::Recurrence;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[component]
pub fn BrainDumpPage() -> impl IntoView {
    let draft = Resource::new(|| (), |_| super::get_draft());
    let history = Resource::new(|| (), |_| super::list_brain_dumps());
    view! {
        <Layout>
            <Title text="Brain dump · BuildOS" />
            <h1 class="page-title">"Brain dump"</h1>
            <p class="mb-4 text-slate-600">
                "Pour out everything on your mind. BuildOS proposes projects, tasks and notes; nothing is saved to them until you confirm."
            </p>
            {loaded(draft, |draft: Draft| view! { <Capture draft=draft.content owner=draft.owner transcribe=draft.transcribe /> })}
            <h2 class="section-title mt-8">"History"</h2>
            {loaded(history, |dumps: Vec<DumpSummary>| {
                if dumps.is_empty() {
                    return view! { <Empty><p>"Your processed brain dumps will be listed here."</p></Empty> }.into_any();
                }
                view! {
                    <ul class="card divide-y divide-slate-100">
                        {dumps.into_iter().map(|d| view! {
                            <li class="flex flex-wrap items-baseline gap-2 py-2">
                                <a href=format!("/brain-dump/{}", d.id) class="link min-w-0 flex-1 truncate">{d.preview.clone()}</a>
                                <span class="badge">{d.status.label()}</span>
                                <span class="text-xs text-slate-500">{format!("{} proposals · {}", d.operations, d.created_at.format("%Y-%m-%d %H:%M"))}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Layout>
    }
}

/// Live progress while a dump is processed with JavaScript on.
#[derive(Clone, Copy)]
struct Live {
    /// The dump being processed, while it is.
    running: RwSignal<Option<String>>,
    status: RwSignal<String>,
    ops: RwSignal<Vec<(Operation, Option<String>)>>,
    error: RwSignal<Option<String>>,
}

impl Live {
    fn new() -> Self {
        Live {
            running: RwSignal::new(None),
            status: RwSignal::new(String::new()),
            ops: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
        }
    }

    /// Apply one streamed event; true when it was the last.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn apply(self, event: ParseEvent) -> bool {
        match event {
            ParseEvent::Status { message } => self.status.set(message),
            ParseEvent::Operation { operation, home } => self.ops.update(|ops| ops.push((*operation, home))),
            ParseEvent::Done { operations, .. } => {
                self.status.set(format!("{operations} proposals ready. Opening the review…"));
                return true;
            }
            ParseEvent::Failed { message } => {
                self.error.set(Some(message));
                self.stop("");
                return true;
            }
            ParseEvent::Cancelled => {
                self.stop("Cancelled. Your text is still here.");
                return true;
            }
        }
        false
    }

    fn stop(self, status: &str) {
        self.running.set(None);
        self.ops.set(Vec::new());
        self.status.set(status.to_string());
    }
}

/// A performance mark the browser keeps (for the submit-to-first-event benchmark).
#[cfg(feature = "hydrate")]
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Open the event stream of dump `id`, feed it to `live`, open the review when done.
#[cfg(feature = "hydrate")]
fn follow(id: String, live: Live, source: StoredValue<Option<web_sys::EventSource>, LocalStorage>) {
    use leptos::wasm_bindgen::{JsCast, closure::Closure};
    let Ok(es) = web_sys::EventSource::new(&format!("/brain-dump/{id}/events")) else {
        live.error.set(Some("Your browser could not open the progress stream; reload and try again.".into()));
        live.stop("");
        return;
    };
    let navigate = leptos_router::hooks::use_navigate();
    let review = format!("/brain-dump/{id}");
    let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let Some(event) = ev.data().as_string().and_then(|d| serde_json::from_str::<ParseEvent>(&d).ok()) else {
            return;
        };
        let done = matches!(event, ParseEvent::Done { .. });
        mark("dump-event");
        if matches!(event, ParseEvent::Operation { .. }) {
            mark("dump-operation");
        }
        if live.apply(event) {
            if let Some(es) = source.get_value() {
                es.close();
            }
            source.set_value(None);
            if done {
                navigate(&review, Default::default());
            }
        }
    });
    for name in ["status", "operation", "done", "failed", "cancelled"] {
        let _ = es.add_event_listener_with_callback(name, on_event.as_ref().unchecked_ref());
    }
    on_event.forget();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        // A dropped connection: the server stops and gives the text back.
        if let Some(es) = source.get_value() {
            es.close();
            source.set_value(None);
            live.error.set(Some(
                "The connection was lost before processing finished. Your text is saved; press Process to try again."
                    .into(),
            ));
            live.stop("");
        }
    });
    es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    source.set_value(Some(es));
}

/// The text area: a character count, autosave while typing (with JavaScript),
/// and Process. With JavaScript, Process saves the text and streams progress
/// (status, each proposal as it arrives, cancel); without, the form posts and
/// the review opens when parsing is done.
/// What was written while the server could not be reached: kept in this
/// browser's storage (per person) until a save of that very text succeeds,
/// and put back into the editor when the page opens again.
#[cfg(feature = "hydrate")]
mod unsent {
    fn storage() -> Option<web_sys::Storage> {
        leptos::prelude::window().local_storage().ok().flatten()
    }
    fn key(owner: uuid::Uuid) -> String {
        format!("buildos-unsent-draft:{owner}")
    }
    pub fn keep(owner: uuid::Uuid, text: &str) {
        if let Some(s) = storage() {
            let _ = s.set_item(&key(owner), text);
        }
    }
    pub fn get(owner: uuid::Uuid) -> Option<String> {
        storage()?.get_item(&key(owner)).ok().flatten()
    }
    /// `text` reached the server: forget it, unless more was written since.
    pub fn sent(owner: uuid::Uuid, text: &str) {
        if let Some(s) = storage()
            && s.get_item(&key(owner)).ok().flatten().as_deref() == Some(text)
        {
            let _ = s.remove_item(&key(owner));
        }
    }
    pub fn online() -> bool {
        leptos::prelude::window().navigator().on_line()
    }
}

#[component]
fn Capture(draft: String, owner: uuid::Uuid, transcribe: bool) -> impl IntoView {
    let process = ServerAction::<ProcessBrainDump>::new();
    let save = ServerAction::<SaveDraft>::new();
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    #[cfg(not(feature = "hydrate"))]
    let _ = owner;
    // The text of the last save sent, which a success confirms.
    let sending = StoredValue::new(String::new());
    let live = Live::new();
    #[cfg(feature = "hydrate")]
    let source = StoredValue::new_local(None::<web_sys::EventSource>);
    let chars = RwSignal::new(draft.chars().count());
    // What is in the text area now: the form re-renders from it after an error.
    let latest = StoredValue::new(draft);
    let typed = StoredValue::new(0u64);
    // Offline: what was written is kept on this device and sent when the
    // connection is back; a page opened with unsent text shows it again.
    #[cfg(feature = "hydrate")]
    {
        let send = move |text: String| {
            if unsent::online() && !process.pending().get_untracked() && live.running.get_untracked().is_none() {
                sending.set_value(text.clone());
                save.dispatch(SaveDraft { content: text });
            }
        };
        Effect::new(move |_| {
            if let Some(Ok(_)) = save.value().get() {
                unsent::sent(owner, &sending.get_value());
            }
        });
        let handle = window_event_listener(leptos::ev::online, move |_| {
            if let Some(text) = unsent::get(owner) {
                send(text);
            }
        });
        on_cleanup(move || handle.remove());
        Effect::new(move |_| {
            let Some(el) = textarea.get() else { return };
            // Typed before the page became interactive (its code was still on
            // the way): only the text area has it. It is the newest writing,
            // so it wins over text kept from an earlier offline visit.
            let shown = el.value();
            if shown != latest.get_value() {
                unsent::keep(owner, &shown);
                chars.set(shown.chars().count());
                latest.set_value(shown.clone());
                send(shown);
                return;
            }
            let Some(text) = unsent::get(owner) else { return };
            if text != latest.get_value() {
                el.set_value(&text);
                chars.set(text.chars().count());
                latest.set_value(text.clone());
                send(text);
            } else {
                unsent::sent(owner, &text);
            }
        });
    }
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        #[cfg(feature = "hydrate")]
        unsent::keep(owner, &text);
        chars.set(text.chars().count());
        latest.set_value(text.clone());
        // Save 700 ms after the last keystroke, unless Process was pressed
        // meanwhile (that saves the text itself; a late autosave would start
        // a new draft from text that was already processed).
        let generation = typed.get_value() + 1;
        typed.set_value(generation);
        let processed = process.version().get_untracked();
        set_timeout(
            move || {
                // `try_`: the page may be gone by now (Process pressed, then navigated to the review).
                let still_typing = typed.try_get_value() == Some(generation);
                if !still_typing {
                    return;
                }
                let untouched = !process.pending().get_untracked()
                    && process.version().get_untracked() == processed
                    && live.running.get_untracked().is_none();
                if untouched {
                    sending.set_value(text.clone());
                    save.dispatch(SaveDraft { content: text });
                }
            },
            Duration::from_millis(700),
        );
    };
    // What was said goes after what was written, on a line of its own, and is saved.
    let append = Callback::new(move |heard: String| {
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = textarea.get_untracked() else { return };
            let mut text = el.value();
            if !text.is_empty() && !text.ends_with(char::is_whitespace) {
                text.push('\n');
            }
            text.push_str(&heard);
            el.set_value(&text);
            unsent::keep(owner, &text);
            chars.set(text.chars().count());
            latest.set_value(text.clone());
            if !process.pending().get_untracked() && live.running.get_untracked().is_none() {
                sending.set_value(text.clone());
                save.dispatch(SaveDraft { content: text });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = heard;
    });
    let over = move || chars.get() > MAX_CHARS;
    // With JavaScript: save, then follow the stream. (Without, the button submits the form.)
    let start = move || {
        if live.running.get_untracked().is_some() || chars.get_untracked() > MAX_CHARS {
            return;
        }
        #[cfg(feature = "hydrate")]
        mark("dump-submit");
        let text = latest.get_value();
        live.error.set(None);
        live.ops.set(Vec::new());
        live.status.set("Saving your text…".into());
        live.running.set(Some(String::new()));
        leptos::task::spawn_local(async move {
            match super::save_draft(text.clone()).await {
                Ok(id) => {
                    #[cfg(feature = "hydrate")]
                    unsent::sent(owner, &text);
                    live.running.set(Some(id.to_string()));
                    #[cfg(feature = "hydrate")]
                    follow(id.to_string(), live, source);
                }
                Err(e) => {
                    live.error.set(Some(e.to_string()));
                    live.stop("");
                }
            }
        });
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(es) = source.get_value() {
            es.close();
            source.set_value(None);
        }
        if let Some(id) = live.running.get_untracked().filter(|id| !id.is_empty()) {
            leptos::task::spawn_local(async move {
                let _ = super::cancel_brain_dump(id).await;
            });
        }
        live.stop("Cancelled. Your text is still here.");
    };
    let saved_state = move || match (save.pending().get(), save.value().get()) {
        (true, _) => "Saving…".to_string(),
        (false, Some(Ok(_))) => "Draft saved".to_string(),
        (false, Some(Err(AppError(domain::Error::Transport(_))))) => {
            "Offline: kept on this device, and sent when the connection is back".to_string()
        }
        (false, Some(Err(e))) => e.to_string(),
        (false, None) => String::new(),
    };
    let busy = move || process.pending().get() || live.running.get().is_some();
    view! {
        {move || {
            let p = Prefill::track(process);
            let error = p.error("content");
            let text = p.value("content", &latest.get_value());
            view! {
                <ActionForm action=process attr:class="card space-y-3">
                    <FormError prefill=p.clone() />
                    <label for="dump-content" class="label">"What's on your mind?"</label>
                    <textarea
                        node_ref=textarea
                        id="dump-content"
                        name="content"
                        rows=14
                        class="input font-mono text-sm"
                        placeholder="# Garden\n- buy seeds by Friday\nCall the plumber tomorrow. I keep forgetting the water bill…"
                        aria-describedby="dump-count dump-keys"
                        on:input=on_input
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                                ev.prevent_default();
                                start();
                            }
                        }
                    >
                        {text}
                    </textarea>
                    {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    {move || live.error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="process-error">{e}</p> })}
                    <div class="flex flex-wrap items-center gap-3">
                        <button
                            type="submit"
                            class="btn-primary"
                            disabled=move || busy() || over()
                            on:click=move |ev| {
                                ev.prevent_default();
                                start();
                            }
                        >
                            {move || if busy() { "Processing…" } else { "Process" }}
                        </button>
                        <super::voice::VoiceButton transcribe=transcribe on_text=append disabled=Signal::derive(busy) />
                        <span id="dump-count" class=move || if over() { "text-sm text-red-700" } else { "text-sm text-slate-500" }>
                            {move || format!("{} / 50,000 characters", chars.get())}
                        </span>
                        <span class="text-sm text-slate-500" role="status">{saved_state}</span>
                        <span id="dump-keys" class="hidden text-xs text-slate-500 sm:inline">"Ctrl+Enter processes"</span>
                    </div>
                </ActionForm>
            }
        }}
        <LiveProgress live=live on_cancel=cancel />
    }
}

/// Progress while processing: the status line, proposals as they arrive, and Cancel.
#[component]
fn LiveProgress(live: Live, on_cancel: impl Fn(leptos::ev::MouseEvent) + 'static) -> impl IntoView {
    view! {
        <div class="mt-3" aria-live="polite">
            <p class="text-sm text-slate-600" role="status" data-testid="process-status">{move || live.status.get()}</p>
            <div class:hidden=move || live.running.get().is_none() class="card mt-2 space-y-2">
                <div class="flex items-center gap-3">
                    <span class="loading text-sm">{move || format!("{} proposals so far", live.ops.get().len())}</span>
                    <button type="button" class="btn ml-auto" on:click=on_cancel>"Cancel"</button>
                </div>
                <ul class="divide-y divide-slate-100" data-testid="live-ops">
                    <For each=move || live.ops.get() key=|(op, _)| op.id.clone() let((op, home))>
                        <li class="flex flex-wrap items-baseline gap-2 py-1 text-sm">
                            <span class="badge">{kind_label(&op)}</span>
                            <span class="min-w-0 flex-1 truncate">{card_text(&op)}</span>
                            {home.map(|h| view! { <span class="text-xs text-slate-500">{h}</span> })}
                        </li>
                    </For>
                </ul>
            </div>
        </div>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let id = path_param("id");
    let confirm = ServerAction::<ConfirmReview>::new();
    let undo = ServerAction::<UndoBrainDump>::new();
    let reparse = ServerAction::<ParseBrainDump>::new();
    let dump = Resource::new(
        move || (id(), confirm.version().get(), undo.version().get(), reparse.version().get()),
        |(id, ..)| super::get_brain_dump(id),
    );
    view! {
        <Layout>
            <Title text="Review · BuildOS" />
            <a href="/brain-dump" class="link text-sm">"← Brain dump"</a>
            {loaded(dump, move |d: BrainDump| view! { <Review dump=d confirm=confirm undo=undo reparse=reparse /> })}
        </Layout>
    }
}

#[component]
fn Review(
    dump: BrainDump,
    confirm: ServerAction<ConfirmReview>,
    undo: ServerAction<UndoBrainDump>,
    reparse: ServerAction<ParseBrainDump>,
) -> impl IntoView {
    let id = dump.id.to_string();
    let status = dump.status;
    let version = dump.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (undo_id, reparse_id) = (id.clone(), id.clone());
    let undo_error = move || undo.value().get().and_then(Result::err).map(|e| e.to_string());
    let summary = match status {
        DumpStatus::Applied => Some("Applied: the ticked items now exist in your projects."),
        DumpStatus::Undone => Some("Undone: everything this brain dump created was removed."),
        _ => None,
    };
    view! {
        <h1 class="page-title">{format!("Review · {}", status.label())}</h1>
        {summary.map(|s| view! { <p class="banner" role="status">{s}</p> })}
        {(status == DumpStatus::Applied).then(|| view! {
            <ActionForm action=undo attr:class="mb-4">
                <input type="hidden" name="id" value=undo_id.clone() />
                <button type="submit" class="btn">"Undo this brain dump"</button>
            </ActionForm>
            <p class="mb-4 text-sm">
                <a href="/calendar?plan=1" class="link">"Plan your week"</a>
                " — place the new tasks into your free working time (you review it first)."
            </p>
            {move || undo_error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        })}
        {dump.error.clone().filter(|_| status == DumpStatus::Failed).map(|e| {
            view! {
                <p class="form-error" role="alert">{e}</p>
                <p class="mt-2 text-sm text-slate-600">"Your text is safe: it is back in the brain dump editor, and kept below."</p>
                <ReparseButton action=reparse id=reparse_id.clone() />
            }
        })}
        {(status == DumpStatus::Processing).then(|| view! { <p class="loading" role="status">"Processing…"</p> })}
        {(status == DumpStatus::Parsed).then(|| {
            let ops = dump.operations.clone();
            let names = dump.project_names.clone();
            let targets = dump.target_names.clone();
            let version = version.clone();
            let id = id.clone();
            move || {
                let p = Prefill::track(confirm);
                let conflict = matches!(p.0, Some(AppError(domain::Error::Conflict(_))));
                let (id, ops, p2, names, version) = (id.clone(), ops.clone(), p.clone(), names.clone(), version.clone());
                let targets = targets.clone();
                view! {
                    <ActionForm action=confirm attr:class="space-y-3">
                        <FormError prefill=p.clone() />
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="version" value=version />
                        {if ops.is_empty() {
                            view! { <Empty><p>"Nothing to propose from this text. Go back and add a few lines."</p></Empty> }.into_any()
                        } else {
                            let new = new_projects(&ops);
                            ops.into_iter()
                                .map(|op| {
                                    let e = p2.error(&op.id);
                                    let home = home_label(&op, &names, &new);
                                    let target = op.target_id.and_then(|t| targets.iter().find(|(i, _)| *i == t)).map(|(_, n)| n.clone());
                                    view! { <Card op=op error=e home=home target=target /> }
                                })
                                .collect_view()
                                .into_any()
                        }}
                        <Submit pending=confirm.pending() idle="Confirm ticked items" busy="Applying…" />
                    </ActionForm>
                    {conflict.then(|| view! { <ReparseButton action=reparse id=reparse_id.clone() /> })}
                }
            }
        })}
        <details class="card mt-6">
            <summary class="cursor-pointer font-semibold">"What you wrote"</summary>
            <pre class="mt-2 whitespace-pre-wrap text-sm">{dump.content.clone()}</pre>
        </details>
    }
}

#[component]
fn ReparseButton(action: ServerAction<ParseBrainDump>, id: String) -> impl IntoView {
    view! {
        <ActionForm action=action attr:class="mt-2">
            <input type="hidden" name="id" value=id />
            <button type="submit" class="btn">"Process again and re-review"</button>
        </ActionForm>
    }
}

/// One proposed operation as a readable, editable card.
#[component]
fn Card(op: Operation, error: Option<String>, home: Option<String>, target: Option<String>) -> impl IntoView {
    let name = |field: &str| format!("ops[{}][{}]", op.id, field);
    let label = match op.table {
        Table::Project => "Name",
        Table::Task => "Title",
        Table::Note => "Note",
        Table::ProjectContext => "Context to add",
    };
    let text_id = format!("{}-text", op.id);
    let check_id = format!("{}-enabled", op.id);
    let changing = op.kind != Kind::Create;
    // On a change, an empty field keeps the current value: show the current one.
    let text = Some(card_text(&op))
        .filter(|t| !t.is_empty() || !changing || op.table == Table::ProjectContext)
        .or_else(|| target.clone())
        .unwrap_or_default();
    let editable_task = op.table == Table::Task && op.kind != Kind::Delete;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (start, due) = (date(op.fields.start_date), date(op.fields.due_date));
    let priority = op.fields.priority.map(|p| p.as_str()).unwrap_or(if changing { "" } else { "medium" });
    let recurrence = op.fields.recurrence.map(|r| r.as_str()).unwrap_or("");
    let minutes = op.fields.duration_minutes.map(|m| m.get().to_string()).unwrap_or_default();
    let minutes_name = name("duration_minutes");
    let status = op.fields.status.map(|s| format!("Mark {}", s.label().to_lowercase()));
    let (enabled_name, text_name, start_name, due_name, priority_name, recurrence_name) =
        (name("enabled"), name("text"), name("start_date"), name("due_date"), name("priority"), name("recurrence"));
    let priorities: Vec<(&str, &str)> = if changing {
        vec![("", "Keep"), ("low", "Low"), ("medium", "Medium"), ("high", "High")]
    } else {
        vec![("low", "Low"), ("medium", "Medium"), ("high", "High")]
    };
    let repeats: Vec<(&str, &str)> = std::iter::once(("", if changing { "Keep" } else { "Does not repeat" }))
        .chain(Recurrence::ALL.iter().map(|r| (r.as_str(), r.label())))
        .collect();
    view! {
        <div class="card space-y-2" data-op=op.id.clone()>
            <div class="flex flex-wrap items-center gap-2">
                <input id=check_id.clone() type="checkbox" name=enabled_name value="on" checked=op.enabled class="h-4 w-4" />
                <label for=check_id class="text-sm font-semibold">{kind_label(&op)}</label>
                {target.clone().filter(|_| changing).map(|t| view! { <span class="text-sm">{format!("“{t}”")}</span> })}
                {status.map(|s| view! { <span class="badge">{s}</span> })}
                {home.map(|h| view! { <span class="text-xs text-slate-500">{h}</span> })}
            </div>
            {(op.kind != Kind::Delete).then(|| {
                let multiline = matches!(op.table, Table::Note | Table::ProjectContext);
                view! {
                    <label for=text_id.clone() class="sr-only">{label}</label>
                    {if multiline {
                        view! { <textarea id=text_id.clone() name=text_name.clone() rows=3 class="input" aria-label=label>{text.clone()}</textarea> }.into_any()
                    } else {
                        view! { <input id=text_id.clone() name=text_name.clone() type="text" value=text.clone() class="input" aria-label=label /> }.into_any()
                    }}
                }
            })}
            {editable_task.then(|| view! {
                <div class="grid grid-cols-2 gap-2 sm:grid-cols-5">
                    <label class="text-xs text-slate-600">"Start"<input type="date" name=start_name value=start class="input" /></label>
                    <label class="text-xs text-slate-600">"Due"<input type="date" name=due_name value=due class="input" /></label>
                    <label class="text-xs text-slate-600">"Priority"
                        <select name=priority_name class="input">
                            {priorities.into_iter().map(|(v, l)| view! { <option value=v selected=priority == v>{l}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="text-xs text-slate-600">"Minutes"<input type="number" min="1" max=domain::limits::DURATION_MAX name=minutes_name value=minutes inputmode="numeric" class="input" /></label>
                    <label class="text-xs text-slate-600">"Repeats"
                        <select name=recurrence_name class="input">
                            {repeats.into_iter().map(|(v, l)| view! { <option value=v selected=recurrence == v>{l}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
            })}
            <p class="text-xs text-slate-500">{op.reasoning.clone()}</p>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
