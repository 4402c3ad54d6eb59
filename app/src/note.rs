//! Notes on a project: server functions (thin: authenticate, convert, call the service).

pub use domain::note::model;

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, error::Checks, forms},
    domain::db::as_user,
    domain::note::{self, NoteInput, service},
};

/// The note form's text, as typed input (every problem named, the text kept).
#[cfg(feature = "ssr")]
fn parse(title: &str, body: &str) -> Result<NoteInput, AppError> {
    let mut c = Checks::default();
    let parsed_title = c.take("title", note::Title::parse(title, "Title"));
    let parsed_body = c.take("body", note::Body::parse(body, "Note"));
    c.finish().map_err(|e| AppError(e).with_input([("title", title), ("body", body)]))?;
    Ok(NoteInput { title: parsed_title.expect("parsed"), body: parsed_body.expect("parsed") })
}

#[server(endpoint = "create_note")]
pub async fn create_note(
    project_id: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, project_id, input) = (user.id, forms::id(&project_id)?, parse(&title, &body)?);
    as_user(&pool, uid, move |tx| Box::pin(service::insert_note(tx, uid, project_id, input))).await?;
    Ok(())
}

#[server(endpoint = "update_note")]
pub async fn update_note(
    id: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id, input) = (user.id, forms::id(&id)?, parse(&title, &body)?);
    Ok(as_user(&pool, uid, move |tx| Box::pin(service::update_note(tx, uid, id, input))).await?)
}
