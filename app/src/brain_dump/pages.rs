//! The brain-dump pages: capture (autosaved), review and history.

use super::model::{BrainDump, DumpStatus, DumpSummary, MAX_CHARS};
use super::operation::{Operation, ProjectRef, Table};
use super::review::card_text;
use super::{ConfirmReview, Draft, ParseBrainDump, ProcessBrainDump, SaveDraft, UndoBrainDump};
use crate::components::{Empty, FormError, Layout, Prefill, loaded};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
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
            {loaded(draft, |draft: Option<Draft>| view! { <Capture draft=draft.map(|d| d.content).unwrap_or_default() /> })}
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

/// The text area: a character count, autosave while typing (with JavaScript),
/// and Process, which saves and parses in one go (with or without it).
#[component]
fn Capture(draft: String) -> impl IntoView {
    let process = ServerAction::<ProcessBrainDump>::new();
    let save = ServerAction::<SaveDraft>::new();
    let chars = RwSignal::new(draft.chars().count());
    // What is in the text area now: the form re-renders from it after an error.
    let latest = StoredValue::new(draft);
    let typed = StoredValue::new(0u64);
    let on_input = move |ev| {
        let text = event_target_value(&ev);
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
                let still_typing = typed.get_value() == generation;
                let untouched = !process.pending().get_untracked() && process.version().get_untracked() == processed;
                if still_typing && untouched {
                    save.dispatch(SaveDraft { content: text });
                }
            },
            Duration::from_millis(700),
        );
    };
    let saved_state = move || match (save.pending().get(), save.value().get()) {
        (true, _) => "Saving…".to_string(),
        (false, Some(Ok(_))) => "Draft saved".to_string(),
        (false, Some(Err(e))) => e.to_string(),
        (false, None) => String::new(),
    };
    let over = move || chars.get() > MAX_CHARS;
    view! {
        {move || {
            let _ = process.version().get();
            let p = Prefill::of(process);
            let error = p.error("content");
            let text = p.value("content", &latest.get_value());
            view! {
                <ActionForm action=process attr:class="card space-y-3">
                    <FormError prefill=p.clone() />
                    <label for="dump-content" class="label">"What's on your mind?"</label>
                    <textarea
                        id="dump-content"
                        name="content"
                        rows=14
                        class="input font-mono text-sm"
                        placeholder="# Garden\n- buy seeds by Friday\nCall the plumber tomorrow. I keep forgetting the water bill…"
                        aria-describedby="dump-count"
                        on:input=on_input
                    >
                        {text}
                    </textarea>
                    {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <div class="flex flex-wrap items-center gap-3">
                        <button type="submit" class="btn-primary" disabled=move || process.pending().get() || over()>
                            {move || if process.pending().get() { "Processing…" } else { "Process" }}
                        </button>
                        <span id="dump-count" class=move || if over() { "text-sm text-red-700" } else { "text-sm text-slate-500" }>
                            {move || format!("{} / 50,000 characters", chars.get())}
                        </span>
                        <span class="text-sm text-slate-500" role="status">{saved_state}</span>
                    </div>
                </ActionForm>
            }
        }}
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
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
            let version = version.clone();
            let id = id.clone();
            move || {
                let _ = confirm.version().get();
                let p = Prefill::of(confirm);
                let conflict = matches!(p.0, Some(AppError::Conflict(_)));
                let (id, ops, p2, names, version) = (id.clone(), ops.clone(), p.clone(), names.clone(), version.clone());
                view! {
                    <ActionForm action=confirm attr:class="space-y-3">
                        <FormError prefill=p.clone() />
                        <input type="hidden" name="id" value=id />
                        <input type="hidden" name="version" value=version />
                        {if ops.is_empty() {
                            view! { <Empty><p>"Nothing to propose from this text. Go back and add a few lines."</p></Empty> }.into_any()
                        } else {
                            let all = ops.clone();
                            ops.into_iter()
                                .map(|op| {
                                    let e = p2.error(&op.id);
                                    let home = project_label(&op, &all, &names);
                                    view! { <Card op=op error=e home=home /> }
                                })
                                .collect_view()
                                .into_any()
                        }}
                        <button type="submit" class="btn-primary" disabled=move || confirm.pending().get()>
                            {move || if confirm.pending().get() { "Applying…" } else { "Confirm ticked items" }}
                        </button>
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

/// Where a task or note will go, in words: "in Garden", "in the new project Garden", "in your inbox".
fn project_label(op: &Operation, all: &[Operation], names: &[(uuid::Uuid, String)]) -> Option<String> {
    match (&op.project, op.table) {
        (_, Table::Project) => None,
        (Some(ProjectRef::Existing(id)), _) => {
            names.iter().find(|(n, _)| n == id).map(|(_, name)| format!("in {name}"))
        }
        (Some(ProjectRef::New(r)), _) => all
            .iter()
            .find(|o| o.reference.as_deref() == Some(r.as_str()))
            .and_then(|o| o.fields.name.clone())
            .map(|name| format!("in the new project {name}")),
        (None, _) => Some("in your inbox (no project)".into()),
    }
}

/// One proposed operation as a readable, editable card.
#[component]
fn Card(op: Operation, error: Option<String>, home: Option<String>) -> impl IntoView {
    let name = |field: &str| format!("ops[{}][{}]", op.id, field);
    let (kind, label) = match op.table {
        Table::Project => ("New project", "Name"),
        Table::Task => ("Task", "Title"),
        Table::Note | Table::ProjectContext => ("Note", "Note"),
    };
    let text_id = format!("{}-text", op.id);
    let check_id = format!("{}-enabled", op.id);
    let text = card_text(&op);
    let is_task = op.table == Table::Task;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (start, due) = (date(op.fields.start_date), date(op.fields.due_date));
    let extras: Vec<String> = [
        op.fields
            .priority
            .filter(|p| *p != crate::task::model::Priority::Medium)
            .map(|p| format!("{} priority", p.label())),
        op.fields.recurrence.map(|r| r.label().to_string()),
        op.fields.status.map(|s| s.label().to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (enabled_name, text_name, start_name, due_name) =
        (name("enabled"), name("text"), name("start_date"), name("due_date"));
    view! {
        <div class="card space-y-2" data-op=op.id.clone()>
            <div class="flex items-center gap-2">
                <input id=check_id.clone() type="checkbox" name=enabled_name value="on" checked=op.enabled class="h-4 w-4" />
                <label for=check_id class="text-sm font-semibold">{kind}</label>
                {extras.into_iter().map(|x| view! { <span class="badge">{x}</span> }).collect_view()}
                {home.map(|h| view! { <span class="text-xs text-slate-500">{h}</span> })}
            </div>
            <label for=text_id.clone() class="sr-only">{label}</label>
            {if op.table == Table::Task || op.table == Table::Project {
                view! { <input id=text_id name=text_name type="text" value=text class="input" aria-label=label /> }.into_any()
            } else {
                view! { <textarea id=text_id name=text_name rows=3 class="input" aria-label=label>{text}</textarea> }.into_any()
            }}
            {is_task.then(|| view! {
                <div class="grid gap-2 sm:grid-cols-2">
                    <label class="text-xs text-slate-600">"Start"<input type="date" name=start_name value=start class="input" /></label>
                    <label class="text-xs text-slate-600">"Due"<input type="date" name=due_name value=due class="input" /></label>
                </div>
            })}
            <p class="text-xs text-slate-500">{op.reasoning.clone()}</p>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
