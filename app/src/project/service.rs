//! Creating, reading, changing and (softly) deleting projects.

use super::model::{Project, ProjectForm, ProjectStatus};
use crate::db::begin_as;
use crate::error::{AppError, Checks};
use crate::forms;
use chrono::NaiveDate;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

/// A project's fields, checked.
pub struct ProjectInput {
    pub name: String,
    pub description: String,
    pub context: String,
    pub status: ProjectStatus,
    pub tags: Vec<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

impl ProjectInput {
    pub fn parse(form: &ProjectForm) -> Result<Self, AppError> {
        let mut c = Checks::default();
        let name = c.take("name", forms::required(&form.name, "Name", 200));
        let description = c.take("description", forms::optional(&form.description, "Description", 2000));
        let context = c.take("context", forms::optional(&form.context, "Context", 100_000));
        let status = match form.status.trim() {
            "" => Some(ProjectStatus::Active),
            s => {
                c.take("status", ProjectStatus::parse(s).ok_or_else(|| "Status is not one of the choices.".to_string()))
            }
        };
        let tags = c.take("tags", forms::tags(&form.tags));
        let start_date = c.take("start_date", forms::date(&form.start_date, "Start date")).flatten();
        let end_date = c.take("end_date", forms::date(&form.end_date, "End date")).flatten();
        if let (Some(s), Some(e)) = (start_date, end_date)
            && e < s
        {
            c.fail("end_date", "End date must not be before the start date.");
        }
        c.finish().map_err(|e| e.with_input(form.pairs()))?;
        Ok(Self {
            name: name.unwrap_or_default(),
            description: description.unwrap_or_default(),
            context: context.unwrap_or_default(),
            status: status.unwrap_or(ProjectStatus::Active),
            tags: tags.unwrap_or_default(),
            start_date,
            end_date,
        })
    }
}

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

struct Row {
    id: Uuid,
    name: String,
    slug: String,
    description: String,
    context: String,
    status: String,
    tags: Vec<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    open_tasks: i64,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl Row {
    fn into_project(self, with_html: bool) -> Project {
        Project {
            context_html: if with_html { render_markdown(&self.context) } else { String::new() },
            id: self.id,
            name: self.name,
            slug: self.slug,
            description: self.description,
            context: self.context,
            status: ProjectStatus::parse(&self.status).unwrap_or(ProjectStatus::Active),
            tags: self.tags,
            start_date: self.start_date,
            end_date: self.end_date,
            open_tasks: self.open_tasks,
            deleted_at: self.deleted_at,
            updated_at: self.updated_at,
        }
    }
}

/// Live (not deleted) projects, active ones first.
pub async fn list_projects(pool: &PgPool, user_id: Uuid) -> Result<Vec<Project>, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let rows = sqlx::query_as!(
        Row,
        r#"select p.id, p.name, p.slug, p.description, p.context, p.status, p.tags, p.start_date, p.end_date,
                  p.deleted_at, p.updated_at,
                  (select count(*) from tasks t where t.project_id = p.id and t.deleted_at is null
                     and t.status <> 'done') as "open_tasks!"
           from projects p
           where p.user_id = $1 and p.deleted_at is null
           order by (p.status = 'active') desc, p.updated_at desc"#,
        user_id
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| r.into_project(false)).collect())
}

pub async fn get_project_by_slug(pool: &PgPool, user_id: Uuid, slug: &str) -> Result<Project, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query_as!(
        Row,
        r#"select p.id, p.name, p.slug, p.description, p.context, p.status, p.tags, p.start_date, p.end_date,
                  p.deleted_at, p.updated_at,
                  (select count(*) from tasks t where t.project_id = p.id and t.deleted_at is null
                     and t.status <> 'done') as "open_tasks!"
           from projects p
           where p.user_id = $1 and p.slug = $2 and p.deleted_at is null"#,
        user_id,
        slug
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(row.into_project(true))
}

/// A slug not yet used by this person (deleted projects keep theirs, so undo works).
async fn free_slug(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> Result<String, AppError> {
    let base = forms::slugify(name);
    let taken: Vec<String> = sqlx::query_scalar!(
        "select slug from projects where user_id = $1 and (slug = $2 or slug like $2 || '-%') and id is distinct from $3",
        user_id,
        base,
        except
    )
    .fetch_all(db)
    .await?;
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok((2..).map(|n| format!("{base}-{n}")).find(|s| !taken.contains(s)).expect("unbounded"))
}

pub async fn insert_project(pool: &PgPool, user_id: Uuid, input: ProjectInput) -> Result<String, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let (_, slug) = insert_project_in(&mut tx, user_id, input).await?;
    tx.commit().await?;
    Ok(slug)
}

/// Insert a project inside the caller's transaction (one begun with `begin_as`); its id and slug.
pub async fn insert_project_in(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    input: ProjectInput,
) -> Result<(Uuid, String), AppError> {
    // Serialise slug choice per person: two tabs creating "Garden" at once get garden and garden-2.
    sqlx::query!("select pg_advisory_xact_lock(hashtext($1::uuid::text))", user_id).execute(&mut *tx).await?;
    let slug = free_slug(&mut *tx, user_id, &input.name, None).await?;
    let id = sqlx::query_scalar!(
        "insert into projects (user_id, name, slug, description, context, status, tags, start_date, end_date)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        user_id,
        input.name,
        slug,
        input.description,
        input.context,
        input.status.as_str(),
        &input.tags,
        input.start_date,
        input.end_date
    )
    .fetch_one(&mut *tx)
    .await?;
    tracing::info!(user.id = %user_id, project.id = %id, "project created");
    Ok((id, slug))
}

/// Update a project; the slug follows a new name. Returns the (possibly new) slug.
pub async fn update_project(pool: &PgPool, user_id: Uuid, id: Uuid, input: ProjectInput) -> Result<String, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext($1::uuid::text))", user_id).execute(&mut *tx).await?;
    let current = sqlx::query!(
        "select name, slug from projects where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let slug = if current.name == input.name {
        current.slug
    } else {
        free_slug(&mut *tx, user_id, &input.name, Some(id)).await?
    };
    sqlx::query!(
        "update projects set name = $3, slug = $4, description = $5, context = $6, status = $7, tags = $8,
                start_date = $9, end_date = $10
         where id = $1 and user_id = $2",
        id,
        user_id,
        input.name,
        slug,
        input.description,
        input.context,
        input.status.as_str(),
        &input.tags,
        input.start_date,
        input.end_date
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(slug)
}

/// Soft-delete (`deleted = true`) or restore a project.
pub async fn set_project_deleted(pool: &PgPool, user_id: Uuid, id: Uuid, deleted: bool) -> Result<String, AppError> {
    let mut tx = begin_as(pool, user_id).await?;
    let slug = sqlx::query_scalar!(
        "update projects set deleted_at = case when $3 then now() else null end
         where id = $1 and user_id = $2 and (deleted_at is null) = $3 returning slug",
        id,
        user_id,
        deleted
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(slug)
}
