//! Task pieces of the UI: the form fields, a row in a list, and the edit page.

use super::model::{Priority, Task, TaskStatus, TaskSummary};
use super::recurrence::Recurrence;
use super::{SetTaskDone, UpdateTask};
use crate::components::{Field, FormError, Layout, Prefill, Select, Submit, TextArea, loaded, path_param};
use crate::trash::{DeleteForm, Item, SetDeleted};
use leptos::prelude::*;
use leptos_meta::Title;

fn opt_date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The fields of a task form, filled from `task` (or blank) unless the last
/// submission came back with an error, in which case what was typed is shown.
#[component]
pub fn TaskFields(form: &'static str, p: Prefill, task: Option<Task>, #[prop(optional)] full: bool) -> impl IntoView {
    let t = task.as_ref();
    let v = |field: &str, current: String| p.value(field, &current);
    let priorities: Vec<_> = Priority::ALL.iter().map(|x| (x.as_str(), x.label())).collect();
    let statuses: Vec<_> = TaskStatus::ALL.iter().map(|x| (x.as_str(), x.label())).collect();
    let mut repeats = vec![("", "Does not repeat")];
    repeats.extend(Recurrence::ALL.iter().map(|r| (r.as_str(), r.label())));
    view! {
        <Field form=form label="Title" name="title" value=v("title", t.map(|t| t.title.clone()).unwrap_or_default()) error=p.error("title") required=true placeholder="What needs doing?" />
        <div class="grid gap-3 sm:grid-cols-3">
            <Select form=form label="Priority" name="priority" options=priorities value=v("priority", t.map(|t| t.priority.as_str()).unwrap_or("medium").into()) error=p.error("priority") />
            <Field form=form label="Start date" name="start_date" kind="date" value=v("start_date", opt_date(t.and_then(|t| t.start_date))) error=p.error("start_date") />
            <Field form=form label="Due date" name="due_date" kind="date" value=v("due_date", opt_date(t.and_then(|t| t.due_date))) error=p.error("due_date") />
        </div>
        {full.then(|| view! {
            <div class="grid gap-3 sm:grid-cols-3">
                <Select form=form label="Status" name="status" options=statuses.clone() value=v("status", t.map(|t| t.status.as_str()).unwrap_or("backlog").into()) error=p.error("status") />
                <Field form=form label="Duration (minutes)" name="duration_minutes" kind="number" value=v("duration_minutes", t.and_then(|t| t.duration_minutes).map(|m| m.to_string()).unwrap_or_default()) error=p.error("duration_minutes") />
                <Select form=form label="Repeat" name="recurrence" options=repeats.clone() value=v("recurrence", t.and_then(|t| t.recurrence).map(|r| r.as_str()).unwrap_or("").into()) error=p.error("recurrence") />
            </div>
            <Field form=form label="Repeat until" name="recurrence_end" kind="date" value=v("recurrence_end", opt_date(t.and_then(|t| t.recurrence_end))) error=p.error("recurrence_end") />
            <TextArea form=form label="Description" name="description" rows=2 value=v("description", t.map(|t| t.description.clone()).unwrap_or_default()) error=p.error("description") />
            <TextArea form=form label="Details" name="details" rows=5 value=v("details", t.map(|t| t.details.clone()).unwrap_or_default()) error=p.error("details") />
            <input type="hidden" name="parent_task_id" value=t.and_then(|t| t.parent_task_id).map(|i| i.to_string()).unwrap_or_default() />
        })}
    }
}

/// One task in a list, with a button to complete (or reopen) it.
#[component]
pub fn TaskRow(
    task: TaskSummary,
    toggle: ServerAction<SetTaskDone>,
    #[prop(optional)] show_project: bool,
) -> impl IntoView {
    let done = task.status == TaskStatus::Done;
    let id = task.id.to_string();
    let href = format!("/tasks/{id}");
    let toggle_label = format!("{} {}", if done { "Reopen" } else { "Complete" }, task.title);
    let when = match (task.start_date, task.due_date) {
        (_, Some(due)) => Some(format!("due {due}")),
        (Some(start), None) => Some(format!("starts {start}")),
        _ => None,
    };
    view! {
        <li class="task-row" data-task=task.title.clone()>
            <ActionForm action=toggle>
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="done" value=if done { "false" } else { "true" } />
                <button type="submit" class=if done { "check checked" } else { "check" } aria-label=toggle_label>{done.then_some("✓")}</button>
            </ActionForm>
            <div class="min-w-0 flex-1">
                <a href=href class=if done { "task-title line-through text-slate-500" } else { "task-title" }>{task.title.clone()}</a>
                <div class="task-meta">
                    {(task.priority == Priority::High).then(|| view! { <span class="badge-high">"High"</span> })}
                    {task.recurrence.map(|r| view! { <span class="badge">{r.label()}</span> })}
                    {when.map(|w| view! { <span>{w}</span> })}
                    {show_project.then(|| task.project_slug.clone().zip(task.project_name.clone()).map(|(slug, name)| view! { <a href=format!("/projects/{slug}") class="link">{name}</a> }))}
                </div>
            </div>
        </li>
    }
}

#[component]
pub fn TaskPage() -> impl IntoView {
    let id = path_param("id");
    let update = ServerAction::<UpdateTask>::new();
    let trash = ServerAction::<SetDeleted>::new();
    let task = Resource::new(move || (id(), update.version().get()), |(id, _)| super::get_task(id));
    view! {
        <Layout>
            {loaded(task, move |task: Task| {
                let back = task.project_slug.clone().map(|s| format!("/projects/{s}")).unwrap_or_else(|| "/".into());
                let tid = task.id.to_string();
                let title = format!("{} · BuildOS", task.title);
                let delete_id = tid.clone();
                view! {
                    <Title text=title />
                    <a href=back.clone() class="link text-sm">"← Back"</a>
                    <h1 class="page-title">"Edit task"</h1>
                    {move || {
                        let p = Prefill::track(update);
                        let (id, current, back) = (tid.clone(), Some(task.clone()), back.clone());
                        view! {
                            <ActionForm action=update attr:class="card space-y-3" attr:novalidate=true>
                                <FormError prefill=p.clone() />
                                <input type="hidden" name="id" value=id />
                                <TaskFields form="edit-task" p=p task=current full=true />
                                <div class="flex gap-2">
                                    <Submit pending=update.pending() idle="Save task" busy="Saving…" />
                                    <a href=back class="btn">"Cancel"</a>
                                </div>
                            </ActionForm>
                        }
                    }}
                    <DeleteForm action=trash item=Item::Task id=delete_id class="mt-6">
                        <button type="submit" class="btn-danger">"Delete task"</button>
                    </DeleteForm>
                }
            })}
        </Layout>
    }
}
