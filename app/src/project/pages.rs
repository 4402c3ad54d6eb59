//! The projects list and a project's page (context, tasks, notes).

use super::model::{Project, ProjectStatus, ProjectSummary};
use super::phases::{ApplyPhases, PhasesSection, RemovePhases, proposal_resource};
use super::{CreateProject, ProjectDetail, UpdateProject};
use crate::components::{
    Empty, Field, FormError, Layout, Prefill, Select, Submit, TextArea, loaded, path_param, query_param,
};
use crate::note::CreateNote;
use crate::task::pages::{TaskFields, TaskRow};
use crate::task::{CreateTask, SetTaskDone};
use crate::trash::{DeleteForm, Item, SetDeleted, UndoBanner};
use leptos::prelude::*;
use leptos_meta::Title;

/// The fields of a project form, from `project` (or blank) unless an error brought back what was typed.
#[component]
fn ProjectFields(form: &'static str, p: Prefill, project: Option<Project>) -> impl IntoView {
    let pr = project.as_ref();
    let v = |field: &str, current: String| p.value(field, &current);
    let statuses: Vec<_> = ProjectStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <Field form=form label="Name" name="name" value=v("name", pr.map(|p| p.name.clone()).unwrap_or_default()) error=p.error("name") required=true placeholder="e.g. Launch the newsletter" />
        <Field form=form label="Description" name="description" value=v("description", pr.map(|p| p.description.clone()).unwrap_or_default()) error=p.error("description") />
        <TextArea form=form label="Context (markdown)" name="context" rows=5 value=v("context", pr.map(|p| p.context.clone()).unwrap_or_default()) error=p.error("context") placeholder="Goals, background, links — anything that helps." />
        <div class="grid gap-3 sm:grid-cols-2">
            <Select form=form label="Status" name="status" options=statuses value=v("status", pr.map(|p| p.status.as_str()).unwrap_or("active").into()) error=p.error("status") />
            <Field form=form label="Tags (comma-separated)" name="tags" value=v("tags", pr.map(|p| p.tags.join(", ")).unwrap_or_default()) error=p.error("tags") />
            <Field form=form label="Start date" name="start_date" kind="date" value=v("start_date", date(pr.and_then(|p| p.start_date))) error=p.error("start_date") />
            <Field form=form label="End date" name="end_date" kind="date" value=v("end_date", date(pr.and_then(|p| p.end_date))) error=p.error("end_date") />
        </div>
    }
}

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let restore = ServerAction::<SetDeleted>::new();
    let projects = Resource::new(move || (create.version().get(), restore.version().get()), |_| super::list_projects());
    view! {
        <Layout>
            <Title text="Projects · BuildOS" />
            <h1 class="page-title">"Projects"</h1>
            <UndoBanner action=restore item=Item::Project text="Project deleted." />
            <div class="grid gap-6 md:grid-cols-[2fr_1fr]">
                <section aria-label="Your projects">
                    {loaded(projects, |projects: Vec<ProjectSummary>| {
                        if projects.is_empty() {
                            return view! { <Empty><p>"No projects yet. Give your first one a name on the right — you can add its tasks and notes next."</p></Empty> }.into_any();
                        }
                        view! {
                            <ul class="space-y-2">
                                {projects.into_iter().map(|p| view! {
                                    <li class="card">
                                        <a href=format!("/projects/{}", p.slug) class="text-lg font-semibold text-indigo-700 hover:underline">{p.name.clone()}</a>
                                        <span class="badge ml-2">{p.status.label()}</span>
                                        <p class="text-sm text-slate-600">{p.description.clone()}</p>
                                        <p class="text-xs text-slate-500">{format!("{} open task{}", p.open_tasks, if p.open_tasks == 1 { "" } else { "s" })}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })}
                </section>
                <section aria-label="New project">
                    {move || {
                        let p = Prefill::track(create);
                        view! {
                            <ActionForm action=create attr:class="card space-y-3" attr:novalidate=true>
                                <h2 class="section-title">"New project"</h2>
                                <FormError prefill=p.clone() />
                                <ProjectFields form="new-project" p=p project=None />
                                <Submit pending=create.pending() idle="Create project" busy="Creating…" />
                            </ActionForm>
                        }
                    }}
                </section>
            </div>
        </Layout>
    }
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let slug = path_param("slug");
    let update = ServerAction::<UpdateProject>::new();
    let trash = ServerAction::<SetDeleted>::new();
    let create_task = ServerAction::<CreateTask>::new();
    let toggle = ServerAction::<SetTaskDone>::new();
    let create_note = ServerAction::<CreateNote>::new();
    let apply_phases = ServerAction::<ApplyPhases>::new();
    let remove_phases = ServerAction::<RemovePhases>::new();
    let phases_param = query_param("phases");
    let proposing = Signal::derive(move || phases_param() == "1");
    let applied = Signal::derive(query_param("phased"));
    let phase_proposal = proposal_resource(slug, proposing);
    let detail = Resource::new(
        move || {
            (
                slug(),
                apply_phases.version().get(),
                remove_phases.version().get(),
                update.version().get(),
                create_task.version().get(),
                toggle.version().get(),
                trash.version().get(),
                create_note.version().get(),
            )
        },
        |(slug, ..)| super::get_project(slug),
    );
    view! {
        <Layout>
            <UndoBanner action=trash item=Item::Task text="Task deleted." />
            <UndoBanner action=trash item=Item::Note text="Note deleted." />
            {loaded(detail, move |d: ProjectDetail| {
                let project = d.project.clone();
                let pid = project.id.to_string();
                view! {
                    <Title text=format!("{} · BuildOS", project.name) />
                    <a href="/projects" class="link text-sm">"← Projects"</a>
                    <div class="flex flex-wrap items-baseline gap-2">
                        <h1 class="page-title">{project.name.clone()}</h1>
                        <span class="badge">{project.status.label()}</span>
                        {project.tags.iter().map(|t| view! { <span class="tag">{format!("#{t}")}</span> }).collect_view()}
                    </div>
                    <p class="text-slate-600">{project.description.clone()}</p>
                    <PhasesSection
                        slug=project.slug.clone()
                        phases=d.phases.clone()
                        today=d.today
                        proposing
                        applied
                        proposal=phase_proposal
                        apply=apply_phases
                        remove=remove_phases
                    />
                    <div class="grid gap-6 md:grid-cols-[3fr_2fr]">
                        <section aria-label="Tasks" class="space-y-3">
                            <h2 class="section-title">"Tasks"</h2>
                            {
                                let pid = pid.clone();
                                move || {
                                    let p = Prefill::track(create_task);
                                    let pid = pid.clone();
                                    view! {
                                        <ActionForm action=create_task attr:class="card space-y-3" attr:novalidate=true>
                                            <FormError prefill=p.clone() />
                                            <input type="hidden" name="project_id" value=pid />
                                            <TaskFields form="new-task" p=p task=None />
                                            <Submit pending=create_task.pending() idle="Add task" busy="Adding…" />
                                        </ActionForm>
                                    }
                                }
                            }
                            {if d.tasks.is_empty() {
                                view! { <Empty><p>"No tasks yet. Add the first thing to do above."</p></Empty> }.into_any()
                            } else {
                                view! { <ul class="task-list">{d.tasks.iter().cloned().map(|t| view! { <TaskRow task=t toggle /> }).collect_view()}</ul> }.into_any()
                            }}
                        </section>
                        <section aria-label="Context and notes" class="space-y-3">
                            <h2 class="section-title">"Context"</h2>
                            {if project.context.is_empty() {
                                view! { <Empty><p>"No context yet. Use “Edit project” to write down goals and background."</p></Empty> }.into_any()
                            } else {
                                view! { <div class="card prose" inner_html=project.context_html.clone()></div> }.into_any()
                            }}
                            <h2 class="section-title">"Notes"</h2>
                            {
                                let pid = pid.clone();
                                move || {
                                    let p = Prefill::track(create_note);
                                    let pid = pid.clone();
                                    let (title, body) = (p.value("title", ""), p.value("body", ""));
                                    view! {
                                        <ActionForm action=create_note attr:class="card space-y-3" attr:novalidate=true>
                                            <input type="hidden" name="project_id" value=pid />
                                            <Field form="new-note" label="Note title" name="title" value=title error=p.error("title") />
                                            <TextArea form="new-note" label="Note" name="body" rows=3 value=body error=p.error("body") />
                                            <button type="submit" class="btn" disabled=move || create_note.pending().get()>"Add note"</button>
                                        </ActionForm>
                                    }
                                }
                            }
                            {if d.notes.is_empty() {
                                view! { <Empty><p>"No notes yet."</p></Empty> }.into_any()
                            } else {
                                view! {
                                    <ul class="space-y-2">
                                        {d.notes.iter().map(|n| view! {
                                            <li class="card" id=format!("note-{}", n.id)>
                                                {(!n.title.is_empty()).then(|| view! { <h3 class="font-semibold">{n.title.clone()}</h3> })}
                                                <p class="whitespace-pre-wrap text-sm">{n.body.clone()}</p>
                                                <DeleteForm action=trash item=Item::Note id=n.id.to_string() class="mt-1">
                                                    <button type="submit" class="link text-xs text-red-700">"Delete note"</button>
                                                </DeleteForm>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    </div>
                    <details class="card mt-6">
                        <summary class="cursor-pointer font-semibold">"Edit project"</summary>
                        {
                            let project = project.clone();
                            move || {
                                let p = Prefill::track(update);
                                let (id, current) = (project.id.to_string(), Some(project.clone()));
                                view! {
                                    <ActionForm action=update attr:class="mt-3 space-y-3" attr:novalidate=true>
                                        <FormError prefill=p.clone() />
                                        <input type="hidden" name="id" value=id />
                                        <ProjectFields form="edit-project" p=p project=current />
                                        <button type="submit" class="btn-primary">"Save project"</button>
                                    </ActionForm>
                                }
                            }
                        }
                        <DeleteForm action=trash item=Item::Project id=pid.clone() class="mt-4">
                            <button type="submit" class="btn-danger">"Delete project"</button>
                        </DeleteForm>
                    </details>
                }
            })}
        </Layout>
    }
}
