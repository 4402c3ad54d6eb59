//! Deleting and restoring projects, tasks and notes: one server function for
//! all three, and the banner that offers Undo after a delete.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
use {
    crate::{auth::request::require_user, forms},
    domain::db::as_user,
};

/// What is deleted or restored.
pub use domain::item::Item;

/// The query parameter naming the item just deleted, for the Undo banner.
fn deleted_param(item: Item) -> &'static str {
    match item {
        Item::Project => "deleted",
        Item::Task => "deleted_task",
        Item::Note => "deleted_note",
    }
}

/// Soft-delete (`deleted`) or restore an item. The browser goes back to where
/// the item lives (the projects list for a deleted project), with an Undo
/// banner after a delete.
#[server(endpoint = "set_deleted")]
pub async fn set_deleted(item: Item, id: String, deleted: bool) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let (uid, id) = (user.id, forms::id(&id)?);
    let place = as_user(&pool, uid, move |tx| Box::pin(domain::item::set_deleted(tx, uid, item, id, deleted))).await?;
    let place = match (item, place) {
        (_, Some(slug)) => format!("/projects/{slug}"),
        (Item::Project, None) => "/projects".to_string(),
        (_, None) => "/".to_string(),
    };
    let undo = if deleted { format!("?{}={id}", deleted_param(item)) } else { String::new() };
    leptos_axum::redirect(&format!("{place}{undo}"));
    Ok(())
}

/// A form that deletes (or, with `restore`, brings back) one item.
#[component]
pub fn DeleteForm(
    action: ServerAction<SetDeleted>,
    item: Item,
    id: String,
    #[prop(optional)] restore: bool,
    #[prop(into)] class: String,
    children: Children,
) -> impl IntoView {
    view! {
        <ActionForm action=action attr:class=class>
            <input type="hidden" name="item" value=item.as_str() />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="deleted" value=if restore { "false" } else { "true" } />
            {children()}
        </ActionForm>
    }
}

/// "Task deleted. Undo", shown while the address names an item just deleted.
#[component]
pub fn UndoBanner(action: ServerAction<SetDeleted>, item: Item, #[prop(into)] text: String) -> impl IntoView {
    let query = use_query_map();
    move || {
        query.with(|q| q.get(deleted_param(item))).map(|id| {
            view! {
                <div class="banner" role="status">
                    {text.clone()}
                    <DeleteForm action item id restore=true class="inline">
                        <button type="submit" class="link ml-2">"Undo"</button>
                    </DeleteForm>
                </div>
            }
        })
    }
}
