//! Notes on a project: server functions.

pub mod model;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{auth::request::require_user, forms};

#[server(endpoint = "create_note")]
pub async fn create_note(
    project_id: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let project_id = forms::id(&project_id)?;
    let input = service::NoteInput::parse(&title, &body)?;
    service::insert_note(&pool, user.id, project_id, input).await?;
    Ok(())
}

#[server(endpoint = "update_note")]
pub async fn update_note(
    id: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let input = service::NoteInput::parse(&title, &body)?;
    service::update_note(&pool, user.id, forms::id(&id)?, input).await
}

#[server(endpoint = "delete_note")]
pub async fn delete_note(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let id = forms::id(&id)?;
    let slug = service::set_note_deleted(&pool, user.id, id, true).await?;
    leptos_axum::redirect(&format!("/projects/{slug}?deleted_note={id}"));
    Ok(())
}

#[server(endpoint = "restore_note")]
pub async fn restore_note(id: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let slug = service::set_note_deleted(&pool, user.id, forms::id(&id)?, false).await?;
    leptos_axum::redirect(&format!("/projects/{slug}"));
    Ok(())
}
