//! Projects: server functions (thin: authenticate, convert, call the service) and pages.

pub mod pages;
pub mod phases;

pub use domain::project::model;

use crate::error::AppError;
use crate::forms::ProjectForm;
use domain::note::model::Note;
use domain::task::model::TaskSummary;
use leptos::prelude::*;
use model::{Project, ProjectSummary};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, forms},
    domain::db::as_user,
    domain::project::service::{self, ProjectKey},
};

/// Everything the project page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectDetail {
    pub project: Project,
    pub tasks: Vec<TaskSummary>,
    pub notes: Vec<Note>,
    pub phases: Vec<domain::project::phases::Phase>,
    /// The person's local today (where the timeline says "Now").
    pub today: chrono::NaiveDate,
}

/// The projects page shows this many; more would want paging.
pub const LIST_LIMIT: i64 = 500;

#[server(endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    let (pool, user) = require_user().await?;
    let uid = user.id;
    let (items, _) =
        as_user(&pool, uid, move |tx| Box::pin(service::list_projects(tx, uid, None, LIST_LIMIT, 0))).await?;
    Ok(items)
}

#[server(endpoint = "get_project")]
pub async fn get_project(slug: String) -> Result<ProjectDetail, AppError> {
    let (pool, user) = require_user().await?;
    let (uid, today) = (user.id, user.today());
    Ok(as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            let project = service::get_project(&mut *tx, uid, ProjectKey::Slug(&slug)).await?;
            let tasks = domain::task::service::list_project_tasks(&mut *tx, uid, project.id).await?;
            let (notes, _) = domain::note::service::list_notes(&mut *tx, uid, Some(project.id), LIST_LIMIT, 0).await?;
            let phases = domain::project::phases::service::list(&mut *tx, uid, project.id).await?;
            Ok(ProjectDetail { project, tasks, notes, phases, today })
        })
    })
    .await?)
}

#[server(endpoint = "create_project")]
pub async fn create_project(#[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, input) = (user.id, form.parse()?);
    let (_, slug) = as_user(&pool, uid, move |tx| Box::pin(service::insert_project(tx, uid, input))).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}

#[server(endpoint = "update_project")]
pub async fn update_project(id: String, #[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id, input) = (user.id, forms::id(&id)?, form.parse()?);
    let slug = as_user(&pool, uid, move |tx| Box::pin(service::update_project(tx, uid, id, input))).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}
