//! Projects: server functions (thin: authenticate, then call the service) and pages.

pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::AppError;
use crate::note::model::Note;
use crate::task::model::TaskSummary;
use leptos::prelude::*;
use model::{Project, ProjectForm};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{auth::request::require_user, forms};

/// Everything the project page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectDetail {
    pub project: Project,
    pub tasks: Vec<TaskSummary>,
    pub notes: Vec<Note>,
}

#[server(endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<Project>, AppError> {
    let (pool, user) = require_user().await?;
    service::list_projects(&pool, user.id).await
}

#[server(endpoint = "get_project")]
pub async fn get_project(slug: String) -> Result<ProjectDetail, AppError> {
    let (pool, user) = require_user().await?;
    let project = service::get_project_by_slug(&pool, user.id, &slug).await?;
    let tasks = crate::task::service::list_project_tasks(&pool, user.id, project.id).await?;
    let notes = crate::note::service::list_notes(&pool, user.id, project.id).await?;
    Ok(ProjectDetail { project, tasks, notes })
}

#[server(endpoint = "create_project")]
pub async fn create_project(#[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let input = service::ProjectInput::parse(&form)?;
    let slug = service::insert_project(&pool, user.id, input).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}

#[server(endpoint = "update_project")]
pub async fn update_project(id: String, #[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let input = service::ProjectInput::parse(&form)?;
    let slug = service::update_project(&pool, user.id, id, input).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}

#[server(endpoint = "delete_project")]
pub async fn delete_project(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    service::set_project_deleted(&pool, user.id, id, true).await?;
    leptos_axum::redirect(&format!("/projects?deleted={id}"));
    Ok(())
}

#[server(endpoint = "restore_project")]
pub async fn restore_project(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let slug = service::set_project_deleted(&pool, user.id, id, false).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}
