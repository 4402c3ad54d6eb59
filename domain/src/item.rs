//! What a person writes, whichever kind: a project, a task or a note. What
//! the three share lives here: moving one to the bin and back.

text_enum!(Item { Project = "project" / "Project", Task = "task" / "Task", Note = "note" / "Note" });

#[cfg(feature = "server")]
pub use service::set_deleted;

#[cfg(feature = "server")]
mod service {
    use super::Item;
    use crate::error::Error;
    use sqlx::PgConnection;
    use uuid::Uuid;

    /// Soft-delete (`deleted`) or restore one item: it keeps its row and
    /// leaves every list, and restoring brings it back as it was. Returns the
    /// slug of the project it belongs to (a task may have none; a deleted
    /// project belongs nowhere any more). Not found, or already so: `NotFound`.
    pub async fn set_deleted(
        conn: &mut PgConnection,
        user_id: Uuid,
        item: Item,
        id: Uuid,
        deleted: bool,
    ) -> Result<Option<String>, Error> {
        // The same change on whichever table `item` names (the others match no row).
        let row = sqlx::query!(
            r#"with project as (
                 update projects set deleted_at = case when $3 then now() end
                 where $4 = 'project' and id = $1 and user_id = $2 and (deleted_at is null) = $3
                 returning case when not $3 then slug end as slug),
               task as (
                 update tasks t set deleted_at = case when $3 then now() end
                 where $4 = 'task' and t.id = $1 and t.user_id = $2 and (t.deleted_at is null) = $3
                 returning (select slug from projects p where p.id = t.project_id) as slug),
               note as (
                 update notes n set deleted_at = case when $3 then now() end from projects p
                 where $4 = 'note' and n.id = $1 and n.user_id = $2 and p.id = n.project_id
                   and (n.deleted_at is null) = $3
                 returning p.slug)
               select slug from project union all select slug from task union all select slug from note"#,
            id,
            user_id,
            deleted,
            item.as_str()
        )
        .fetch_one(conn)
        .await?;
        Ok(row.slug)
    }
}
