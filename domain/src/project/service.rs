//! Creating, reading, changing and (softly) deleting projects: the only code
//! that writes them. Every function runs in the caller's person-scoped
//! transaction (`db::begin_as`).

use super::model::{Project, ProjectStatus, ProjectSummary};
use super::{ProjectInput, slugify};
use crate::error::Error;

use sqlx::PgConnection;
use uuid::Uuid;

/// Markdown to HTML with every unsafe tag and attribute removed.
pub fn render_markdown(source: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(
        source,
        pulldown_cmark::Options::ENABLE_TABLES
            | pulldown_cmark::Options::ENABLE_TASKLISTS
            | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default().link_rel(Some("noopener noreferrer nofollow")).clean(&html).to_string()
}

/// A page of live (not deleted) projects, active ones first, with `status`
/// when given; and how many there are in all.
pub async fn list_projects(
    conn: &mut PgConnection,
    user_id: Uuid,
    status: Option<ProjectStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ProjectSummary>, i64), Error> {
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!" from projects where user_id = $1 and deleted_at is null
             and ($2::text is null or status = $2)"#,
        user_id,
        status.map(ProjectStatus::as_str)
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = sqlx::query_as!(
        ProjectSummary,
        r#"select p.id, p.name, p.slug, p.description, p.status as "status: _", p.tags, p.start_date,
                  p.end_date, p.updated_at,
                  (select count(*) from tasks t where t.project_id = p.id and t.deleted_at is null
                     and t.status <> 'done') as "open_tasks!"
           from projects p
           where p.user_id = $1 and p.deleted_at is null and ($2::text is null or p.status = $2)
           order by (p.status = 'active') desc, p.updated_at desc
           limit $3 offset $4"#,
        user_id,
        status.map(ProjectStatus::as_str),
        limit,
        offset
    )
    .fetch_all(conn)
    .await?;
    Ok((items, total))
}

/// One live project, by its slug (pages) or its id (the API).
pub async fn get_project(conn: &mut PgConnection, user_id: Uuid, key: ProjectKey<'_>) -> Result<Project, Error> {
    let (id, slug) = match key {
        ProjectKey::Id(id) => (Some(id), None),
        ProjectKey::Slug(slug) => (None, Some(slug)),
    };
    let mut project = sqlx::query_as!(
        Project,
        r#"select p.id, p.name, p.slug, p.description, p.context, '' as "context_html!", p.status as "status: _",
                  p.tags, p.start_date, p.end_date, p.deleted_at, p.updated_at,
                  (select count(*) from tasks t where t.project_id = p.id and t.deleted_at is null
                     and t.status <> 'done') as "open_tasks!"
           from projects p
           where p.user_id = $1 and ($2::uuid is null or p.id = $2) and ($3::text is null or p.slug = $3)
             and p.deleted_at is null"#,
        user_id,
        id,
        slug
    )
    .fetch_one(conn)
    .await?;
    project.context_html = render_markdown(&project.context);
    Ok(project)
}

/// How a project is named in a request.
#[derive(Debug, Clone, Copy)]
pub enum ProjectKey<'a> {
    Id(Uuid),
    Slug(&'a str),
}

/// A slug not yet used by this person (deleted projects keep theirs, so undo works).
async fn free_slug(conn: &mut PgConnection, user_id: Uuid, name: &str, except: Option<Uuid>) -> Result<String, Error> {
    // Serialise slug choice per person: two tabs creating "Garden" at once get garden and garden-2.
    sqlx::query!("select pg_advisory_xact_lock(hashtext($1::uuid::text))", user_id).execute(&mut *conn).await?;
    let base = slugify(name);
    let taken: Vec<String> = sqlx::query_scalar!(
        "select slug from projects where user_id = $1 and (slug = $2 or slug like $2 || '-%') and id is distinct from $3",
        user_id,
        base,
        except
    )
    .fetch_all(conn)
    .await?;
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok((2..).map(|n| format!("{base}-{n}")).find(|s| !taken.contains(s)).expect("unbounded"))
}

/// Create a project; its id and slug.
pub async fn insert_project(
    conn: &mut PgConnection,
    user_id: Uuid,
    input: ProjectInput,
) -> Result<(Uuid, String), Error> {
    input.check()?;
    let slug = free_slug(&mut *conn, user_id, &input.name, None).await?;
    let id = sqlx::query_scalar!(
        "insert into projects (user_id, name, slug) values ($1, $2, $3) returning id",
        user_id,
        input.name.as_str(),
        slug
    )
    .fetch_one(&mut *conn)
    .await?;
    write(conn, user_id, id, &slug, &input).await?;
    tracing::info!(user.id = %user_id, project.id = %id, "project created");
    Ok((id, slug))
}

/// Replace a project's fields; the slug follows a new name. Returns the (possibly new) slug.
pub async fn update_project(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    input: ProjectInput,
) -> Result<String, Error> {
    input.check()?;
    let current = sqlx::query!(
        "select name, slug from projects where id = $1 and user_id = $2 and deleted_at is null for update",
        id,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let slug = if current.name == input.name.as_str() {
        current.slug
    } else {
        free_slug(&mut *conn, user_id, &input.name, Some(id)).await?
    };
    write(conn, user_id, id, &slug, &input).await?;
    Ok(slug)
}

/// The one statement that writes a project's fields, new or changed.
async fn write(
    conn: &mut PgConnection,
    user_id: Uuid,
    id: Uuid,
    slug: &str,
    input: &ProjectInput,
) -> Result<(), Error> {
    sqlx::query!(
        "update projects set name = $3, slug = $4, description = $5, context = $6, status = $7, tags = $8,
                start_date = $9, end_date = $10
         where id = $1 and user_id = $2",
        id,
        user_id,
        input.name.as_str(),
        slug,
        input.description.as_str(),
        input.context.as_str(),
        input.status.as_str(),
        input.tags.as_slice(),
        input.start_date,
        input.end_date
    )
    .execute(conn)
    .await?;
    Ok(())
}
