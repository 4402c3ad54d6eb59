//! Tasks: server functions (thin: authenticate, then call the service) and pages.

pub mod model;
pub mod pages;
pub mod recurrence;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::AppError;
use leptos::prelude::*;
use model::{Task, TaskForm};

#[cfg(feature = "ssr")]
use crate::{auth::request::require_user, forms};

/// Where to send the browser after changing a task: back to its project, or the dashboard.
#[cfg(feature = "ssr")]
fn back_to(slug: Option<String>) -> String {
    slug.map(|s| format!("/projects/{s}")).unwrap_or_else(|| "/".into())
}

#[server(endpoint = "get_task")]
pub async fn get_task(id: String) -> Result<Task, AppError> {
    let (pool, user) = require_user().await?;
    service::get_task(&pool, user.id, forms::id(&id)?).await
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
    let input = service::TaskInput::parse(&form)?;
    let id = service::insert_task(&pool, user.id, project_id, input).await?;
    let task = service::get_task(&pool, user.id, id).await?;
    // Without JavaScript the browser follows this; with it, the page refetches.
    leptos_axum::redirect(&back_to(task.project_slug));
    Ok(())
}

#[server(endpoint = "update_task")]
pub async fn update_task(id: String, #[server(flatten)] form: TaskForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let input = service::TaskInput::parse(&form)?;
    service::update_task(&pool, user.id, id, input).await?;
    let task = service::get_task(&pool, user.id, id).await?;
    leptos_axum::redirect(&back_to(task.project_slug));
    Ok(())
}

/// Mark done; a recurring task's next occurrence appears.
#[server(endpoint = "complete_task")]
pub async fn complete_task(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    service::complete_task(&pool, user.id, forms::id(&id)?).await?;
    Ok(())
}

#[server(endpoint = "reopen_task")]
pub async fn reopen_task(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    service::reopen_task(&pool, user.id, forms::id(&id)?).await
}

#[server(endpoint = "delete_task")]
pub async fn delete_task(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let slug = service::set_task_deleted(&pool, user.id, id, true).await?;
    leptos_axum::redirect(&format!("{}?deleted_task={id}", back_to(slug)));
    Ok(())
}

#[server(endpoint = "restore_task")]
pub async fn restore_task(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let slug = service::set_task_deleted(&pool, user.id, forms::id(&id)?, false).await?;
    leptos_axum::redirect(&back_to(slug));
    Ok(())
}
