//! What a person writes, whichever kind: a project, a task or a note. What
//! the three share lives here: moving one to the bin and back.

text_enum!(Item { Project = "project" / "Project", Task = "task" / "Task", Note = "note" / "Note" });

#[cfg(feature = "server")]
pub use service::set_deleted;

#[cfg(feature = "server")]
mod service {
    use super::Item;
    use crate::error::Error;
    use crate::{note, project, task};
    use sqlx::PgConnection;
    use uuid::Uuid;

    /// Soft-delete (`deleted`) or restore one item through its own service.
    /// Returns the slug of the project it belongs to (a task may have none;
    /// a deleted project belongs nowhere any more).
    pub async fn set_deleted(
        conn: &mut PgConnection,
        user_id: Uuid,
        item: Item,
        id: Uuid,
        deleted: bool,
    ) -> Result<Option<String>, Error> {
        match item {
            Item::Project => {
                let slug = project::service::set_project_deleted(conn, user_id, id, deleted).await?;
                Ok((!deleted).then_some(slug))
            }
            Item::Task => task::service::set_task_deleted(conn, user_id, id, deleted).await,
            Item::Note => note::service::set_note_deleted(conn, user_id, id, deleted).await.map(Some),
        }
    }
}
