//! The dashboard: today, overdue, the next 7 days and recently completed, in the person's timezone.

use crate::components::{Empty, Layout, loaded};
use crate::error::AppError;
use crate::task::SetTaskDone;
use crate::task::model::{DashboardLists, TaskSummary};
use crate::task::pages::TaskRow;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub greeting_name: String,
    /// Whether the person has confirmed their address.
    pub email_verified: bool,
    /// The person's local date, e.g. "Saturday 28 November".
    pub today_label: String,
    pub lists: DashboardLists,
}

#[server(endpoint = "get_dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let (uid, today) = (user.id, user.today());
    let lists =
        domain::db::as_user(&pool, uid, move |tx| Box::pin(domain::task::service::dashboard_lists(tx, uid, today)))
            .await?;
    Ok(Dashboard {
        greeting_name: user.greeting_name().to_string(),
        email_verified: user.email_verified,
        today_label: today.format("%A %-d %B").to_string(),
        lists,
    })
}

#[component]
fn Section(
    title: &'static str,
    tasks: Vec<TaskSummary>,
    empty: &'static str,
    toggle: ServerAction<SetTaskDone>,
) -> impl IntoView {
    let heading_id = title.to_lowercase().replace(' ', "-");
    let labelled_by = heading_id.clone();
    view! {
        <section aria-labelledby=labelled_by class="card">
            <h2 id=heading_id class="section-title">{title} <span class="count">{tasks.len()}</span></h2>
            {if tasks.is_empty() {
                view! { <p class="text-sm text-slate-500">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="task-list">
                        {tasks.into_iter().map(|t| view! { <TaskRow task=t toggle show_project=true /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let toggle = ServerAction::<SetTaskDone>::new();
    let restore = ServerAction::<crate::trash::SetDeleted>::new();
    let data = Resource::new(move || (toggle.version().get(), restore.version().get()), |_| get_dashboard());
    let resend = ServerAction::<crate::auth::ResendVerification>::new();
    view! {
        <Layout>
            <Title text="Dashboard · BuildOS" />
            // A task without a project, deleted from its page, comes back here.
            <crate::trash::UndoBanner action=restore item=crate::trash::Item::Task text="Task deleted." />
            {loaded(data, move |d: Dashboard| {
                let nothing = d.lists.is_empty();
                view! {
                    <h1 class="page-title">{format!("Hello, {}", d.greeting_name)}</h1>
                    <p class="mb-4 text-slate-600">{d.today_label.clone()}</p>
                    {(!d.email_verified).then(|| view! { <crate::auth::settings::ConfirmBanner action=resend /> })}
                    {nothing.then(|| view! {
                        <Empty>
                            <p>"Nothing scheduled yet. "<a href="/projects" class="link">"Create a project"</a>" and give its tasks a start or due date — they will show up here."</p>
                        </Empty>
                    })}
                    <div class="grid gap-4 md:grid-cols-2">
                        <Section title="Overdue" tasks=d.lists.overdue empty="Nothing overdue." toggle />
                        <Section title="Today" tasks=d.lists.today empty="Nothing for today." toggle />
                        <Section title="Next 7 days" tasks=d.lists.upcoming empty="Nothing in the next 7 days." toggle />
                        <Section title="Recently completed" tasks=d.lists.completed empty="Nothing completed in the last 7 days." toggle />
                    </div>
                }
            })}
        </Layout>
    }
}
