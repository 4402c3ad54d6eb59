//! "Your data" on the profile: download everything (JSON) or the tasks (CSV),
//! import an export with a preview first; and the preview page itself.

use crate::auth::DeleteAccount;
use crate::components::{Field, FormError, Layout, Prefill, Submit, loaded, path_param, query_param};
use crate::error::AppError;
use domain::export::{Counts, ImportReport, Upload};
use leptos::prelude::*;
use leptos_meta::Title;

#[server(endpoint = "get_import")]
pub async fn get_import(id: String) -> Result<Upload, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    Ok(domain::export::service::get_upload(&pool, user.id, crate::forms::id(&id)?).await?)
}

#[server(endpoint = "apply_import")]
pub async fn apply_import(id: String) -> Result<ImportReport, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    Ok(domain::export::service::apply_upload(&pool, user.id, crate::forms::id(&id)?).await?)
}

/// The profile's section: downloads and the import form.
#[component]
pub fn DataSettings() -> impl IntoView {
    let error = query_param("import_error");
    view! {
        <h2 id="data" class="section-title mt-8">"Your data"</h2>
        <div class="card max-w-lg space-y-3">
            <p>"Download everything you have here — projects, tasks, notes, brain dumps, briefs and settings — as one file you can import again, here or on another BuildOS."</p>
            <p class="flex flex-wrap gap-3">
                <a href="/export/buildos-export.json" class="btn" download="">"Download everything (JSON)"</a>
                <a href="/export/tasks.csv" class="btn" download="">"Download tasks (CSV)"</a>
            </p>
            <form action="/import" method="post" enctype="multipart/form-data" class="space-y-2 border-t border-slate-200 pt-3">
                {move || {
                    let e = error();
                    (!e.is_empty()).then(|| view! { <p class="form-error" role="alert" id="import-error">{e}</p> })
                }}
                <label for="import-file" class="label">"Import a BuildOS export, a Todoist project (CSV) or a Todoist backup (zip)"</label>
                <input id="import-file" name="file" type="file" accept=".json,.csv,.zip,application/json,text/csv,application/zip" class="block text-sm"
                    aria-describedby="import-hint" />
                <p id="import-hint" class="hint">"You will see what it adds before anything is imported. What is already here is never changed or duplicated. In Todoist, open a project and choose Export as template → CSV, or download a backup under Settings → Backups."</p>
                <button type="submit" class="btn">"Preview import"</button>
            </form>
        </div>
        <DeleteAccountForm />
    }
}

/// Delete the account: the password again, and a box that says it is for good.
#[component]
fn DeleteAccountForm() -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    view! {
        <h2 id="delete" class="section-title mt-8">"Delete my account"</h2>
        {move || {
            let p = Prefill::track(delete);
            let confirm_error = p.error("confirm");
            view! {
                <ActionForm action=delete attr:class="card max-w-lg space-y-3 border-red-200" attr:novalidate=true>
                    <p>"Everything goes: projects, tasks, notes, brain dumps, briefs, settings, calendar links and API tokens. BuildOS's access to your Google Calendar is revoked and no more emails or texts are sent. This cannot be undone — download your data first if you may want it."</p>
                    <FormError prefill=p.clone() />
                    <Field form="delete" label="Your password" name="current_password" kind="password" value=String::new()
                        error=p.error("current_password") autocomplete="current-password" />
                    <div class="flex items-start gap-2">
                        <input id="delete-confirm" name="confirm" type="checkbox" value="on" class="mt-1 h-4 w-4"
                            aria-invalid=confirm_error.is_some().then_some("true")
                            aria-describedby=confirm_error.is_some().then_some("delete-confirm-error") />
                        <label for="delete-confirm">"I understand that my account and everything in it are deleted for good."</label>
                    </div>
                    {confirm_error.map(|e| view! { <p id="delete-confirm-error" class="field-error" role="alert">{e}</p> })}
                    <Submit pending=delete.pending() idle="Delete my account" busy="Deleting…" class="btn-danger" />
                </ActionForm>
            }
        }}
    }
}

fn counted(c: &Counts) -> String {
    let parts: Vec<String> = [
        (c.projects, "project", "projects"),
        (c.tasks, "task", "tasks"),
        (c.notes, "note", "notes"),
        (c.brain_dumps, "brain dump", "brain dumps"),
        (c.briefs, "brief", "briefs"),
    ]
    .into_iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many)| format!("{n} {}", if n == 1 { one } else { many }))
    .collect();
    if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
}

#[component]
fn Report(report: ImportReport, done: bool) -> impl IntoView {
    let (created, there) = (counted(&report.created), counted(&report.already_there));
    let verb = if done { "Imported" } else { "Will import" };
    view! {
        <ul class="list-disc space-y-1 pl-5" data-import-report="">
            <li>{format!("{verb}: {created}.")}</li>
            {(report.already_there.total() > 0).then(|| view! { <li>{format!("Already here, left as it is: {there}.")}</li> })}
            <li>{if report.settings_applied {
                "Your brief and scheduling settings are taken from the file (this account was empty)."
            } else {
                "Your own brief and scheduling settings are kept."
            }}</li>
            {(!report.skipped.is_empty()).then(|| view! {
                <li>
                    {format!("Left out ({}):", report.skipped.len())}
                    <ul class="list-disc pl-5">
                        {report.skipped.iter().map(|s| view! { <li>{format!("{} {}: {}", s.kind.replace('_', " "), s.id, s.reason)}</li> }).collect_view()}
                    </ul>
                </li>
            })}
        </ul>
    }
}

/// `/import/:id`: what an uploaded export would add, and the button that adds it.
#[component]
pub fn ImportPage() -> impl IntoView {
    let id = path_param("id");
    let apply = ServerAction::<ApplyImport>::new();
    let upload = Resource::new(move || (id(), apply.version().get()), |(id, _)| get_import(id));
    view! {
        <Layout>
            <Title text="Import · BuildOS" />
            <a href="/profile#data" class="link text-sm">"← Profile"</a>
            <h1 class="page-title">"Import"</h1>
            {loaded(upload, move |u: Upload| {
                let from = if u.exported_by == "Todoist" {
                    "Exported from Todoist.".to_string()
                } else {
                    format!("An export of {} made {}.", u.exported_by, u.exported_at.format("%Y-%m-%d %H:%M UTC"))
                };
                let error = move || apply.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> });
                match u.applied {
                    Some(report) => view! {
                        <div class="card space-y-3">
                            <p class="banner" role="status">"Done."</p>
                            <Report report done=true />
                            <p><a href="/projects" class="link">"See your projects"</a></p>
                        </div>
                    }.into_any(),
                    None if u.preview.created.total() == 0 => view! {
                        <div class="card space-y-3">
                            <p>{from}</p>
                            <p role="status">"Everything in this file is already here: there is nothing to import."</p>
                            <Report report=u.preview done=false />
                            <a href="/profile#data" class="link">"Back to your profile"</a>
                        </div>
                    }.into_any(),
                    None => view! {
                        <div class="card space-y-3">
                            <p>{from}</p>
                            <Report report=u.preview done=false />
                            {error}
                            <ActionForm action=apply>
                                <input type="hidden" name="id" value=u.id.to_string() />
                                <button type="submit" class="btn-primary" disabled=move || apply.pending().get()>
                                    {move || if apply.pending().get() { "Importing…" } else { "Import" }}
                                </button>
                                <a href="/profile#data" class="link ml-4">"Cancel"</a>
                            </ActionForm>
                        </div>
                    }.into_any(),
                }
            })}
        </Layout>
    }
}
