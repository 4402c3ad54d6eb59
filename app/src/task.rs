//! Tasks: server functions (thin: authenticate, convert, call the service) and pages.

pub mod pages;

pub use domain::task::{model, recurrence};

use crate::error::AppError;
use crate::forms::TaskForm;
use leptos::prelude::*;
use model::Task;

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, forms},
    domain::db::as_user,
    domain::task::TaskInput,
    domain::task::service,
};

/// Where to send the browser after changing a task: back to its project, or the dashboard.
#[cfg(feature = "ssr")]
fn back_to(slug: Option<String>) -> String {
    slug.map(|s| format!("/projects/{s}")).unwrap_or_else(|| "/".into())
}

#[server(endpoint = "get_task")]
pub async fn get_task(id: String) -> Result<Task, AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    Ok(as_user(&pool, uid, move |tx| Box::pin(service::get_task(tx, uid, id))).await?)
}

/// Add a task, to a project when `project_id` is given.
#[server(endpoint = "create_task")]
pub async fn create_task(
    #[server(default)] project_id: String,
    #[server(flatten)] form: TaskForm,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let project_id = match project_id.trim() {
        "" => None,
        p => Some(forms::id(p)?),
    };
    let (uid, input) = (user.id, TaskInput { project_id, ..form.parse()? });
    let task = as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            let id = service::insert_task(&mut *tx, uid, input).await?;
            service::get_task(tx, uid, id).await
        })
    })
    .await?;
    // Without JavaScript the browser follows this; with it, the page refetches.
    leptos_axum::redirect(&back_to(task.project_slug));
    Ok(())
}

#[server(endpoint = "update_task")]
pub async fn update_task(id: String, #[server(flatten)] form: TaskForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id, input) = (user.id, forms::id(&id)?, form.parse()?);
    let task = as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            service::update_task(&mut *tx, uid, id, input).await?;
            service::get_task(tx, uid, id).await
        })
    })
    .await?;
    leptos_axum::redirect(&back_to(task.project_slug));
    Ok(())
}

/// Mark done (a recurring task's next occurrence appears) or, not `done`, reopen.
#[server(endpoint = "set_task_done")]
pub async fn set_task_done(id: String, done: bool) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    as_user(&pool, uid, move |tx| Box::pin(service::set_task_done(tx, uid, id, done))).await?;
    Ok(())
}
