//! The /api/v1 endpoints: thin translations onto the services the pages use.

use super::auth::ApiUser;
use super::problem::{ApiError, ApiJson, ApiPath, ApiQuery};
use super::types::*;
use crate::AppState;
use app::brain_dump::offline::dates::today_in;
use app::db::begin_as;
use app::error::AppError;
use app::note::model::Note;
use app::project::model::ProjectForm;
use app::task::model::TaskForm;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use uuid::Uuid;

type ApiResult<T> = Result<T, ApiError>;

fn text<T: serde::Serialize>(v: Option<T>) -> Option<String> {
    v.and_then(|v| serde_json::to_value(v).ok()).and_then(|v| v.as_str().map(str::to_string))
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

// ---- account --------------------------------------------------------------

/// Create an account (when registration is open).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Register,
    responses((status = 201, description = "Account created", body = Created)), security(()))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Register>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    if !state.registration_open {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Registration is closed on this server."));
    }
    let new = app::auth::service::NewAccount::parse(
        &body.email,
        &body.password,
        body.display_name.as_deref().unwrap_or(""),
        body.timezone.as_deref().unwrap_or("UTC"),
    )?;
    let id = app::auth::service::create_account(&state.pool, new).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Exchange an email and password for a new token (under the login limits).
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, description = "Token created; shown once", body = ApiToken)), security(()))]
pub async fn create_token(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<ApiToken>)> {
    let ip = Some(peer.ip());
    let user_id =
        app::auth::service::check_password(&state.pool, &body.email, body.password, ip).await.map_err(|e| match e {
            AppError::Validation(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "That email and password do not match an account.")
            }
            other => other.into(),
        })?;
    let t = app::api_token::service::create(&state.pool, user_id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(ApiToken { id: t.id, name: t.name, token: t.token })))
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me)))]
pub async fn me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Me>> {
    let r = sqlx::query!("select id, email, display_name, timezone from users where id = $1", user.id)
        .fetch_one(&state.pool)
        .await?;
    Ok(Json(Me { id: r.id, email: r.email, display_name: r.display_name, timezone: r.timezone }))
}

// ---- projects -------------------------------------------------------------

async fn find_project(state: &AppState, user: Uuid, id: Uuid) -> ApiResult<app::project::model::Project> {
    app::project::service::list_projects(&state.pool, user)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| AppError::NotFound.into())
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(PageQuery, ProjectFilter),
    responses((status = 200, body = Page<ApiProject>)))]
pub async fn list_projects(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<ProjectFilter>,
) -> ApiResult<Json<Page<ApiProject>>> {
    let (limit, offset) = page.bounds()?;
    let status = text(filter.status);
    let all: Vec<ApiProject> = app::project::service::list_projects(&state.pool, user.id)
        .await?
        .into_iter()
        .map(ApiProject::from)
        .filter(|p| status.as_ref().is_none_or(|s| &p.status == s))
        .collect();
    let total = all.len() as i64;
    let items = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectBody,
    responses((status = 201, body = ApiProject)))]
pub async fn create_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ProjectBody>,
) -> ApiResult<(StatusCode, Json<ApiProject>)> {
    let form = ProjectForm {
        name: b.name.unwrap_or_default(),
        description: b.description.unwrap_or_default(),
        context: b.context.unwrap_or_default(),
        status: text(b.status).unwrap_or_default(),
        tags: b.tags.unwrap_or_default().join(","),
        start_date: date(b.start_date),
        end_date: date(b.end_date),
    };
    let input = app::project::service::ProjectInput::parse(&form)?;
    let mut tx = begin_as(&state.pool, user.id).await?;
    let (id, _) = app::project::service::insert_project_in(&mut tx, user.id, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(find_project(&state, user.id, id).await?.into())))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiProject)))]
pub async fn get_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiProject>> {
    Ok(Json(find_project(&state, user.id, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    request_body = ProjectBody, responses((status = 200, body = ApiProject)))]
pub async fn update_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ProjectBody>,
) -> ApiResult<Json<ApiProject>> {
    let p = find_project(&state, user.id, id).await?;
    let form = ProjectForm {
        name: b.name.unwrap_or(p.name),
        description: b.description.unwrap_or(p.description),
        context: b.context.unwrap_or(p.context),
        status: text(b.status).unwrap_or_else(|| p.status.as_str().into()),
        tags: b.tags.unwrap_or(p.tags).join(","),
        start_date: date(b.start_date.or(p.start_date)),
        end_date: date(b.end_date.or(p.end_date)),
    };
    let input = app::project::service::ProjectInput::parse(&form)?;
    app::project::service::update_project(&state.pool, user.id, id, input).await?;
    Ok(Json(find_project(&state, user.id, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app::project::service::set_project_deleted(&state.pool, user.id, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- tasks ----------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(PageQuery, TaskFilter),
    responses((status = 200, body = Page<ApiTask>)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(f): ApiQuery<TaskFilter>,
) -> ApiResult<Json<Page<ApiTask>>> {
    let (limit, offset) = page.bounds()?;
    let filter = app::task::service::TaskFilter {
        project_id: f.project_id,
        status: text(f.status),
        due_before: f.due_before,
        due_after: f.due_after,
    };
    let (tasks, total) = app::task::service::list_tasks(&state.pool, user.id, &filter, limit, offset).await?;
    let items = tasks.into_iter().map(ApiTask::from).collect();
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = TaskBody,
    responses((status = 201, body = ApiTask)))]
pub async fn create_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<TaskBody>,
) -> ApiResult<(StatusCode, Json<ApiTask>)> {
    let form = TaskForm {
        title: b.title.unwrap_or_default(),
        description: b.description.unwrap_or_default(),
        details: b.details.unwrap_or_default(),
        priority: text(b.priority).unwrap_or_default(),
        status: text(b.status).unwrap_or_default(),
        duration_minutes: b.duration_minutes.map(|d| d.to_string()).unwrap_or_default(),
        start_date: date(b.start_date),
        due_date: date(b.due_date),
        recurrence: text(b.recurrence).unwrap_or_default(),
        recurrence_end: date(b.recurrence_end),
        ..TaskForm::default()
    };
    let input = app::task::service::TaskInput::parse(&form)?;
    let id = app::task::service::insert_task(&state.pool, user.id, b.project_id, input).await?;
    Ok((StatusCode::CREATED, Json(app::task::service::get_task(&state.pool, user.id, id).await?.into())))
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiTask)))]
pub async fn get_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiTask>> {
    Ok(Json(app::task::service::get_task(&state.pool, user.id, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    request_body = TaskBody, responses((status = 200, body = ApiTask)))]
pub async fn update_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<TaskBody>,
) -> ApiResult<Json<ApiTask>> {
    let t = app::task::service::get_task(&state.pool, user.id, id).await?;
    let form = TaskForm {
        title: b.title.unwrap_or(t.title),
        description: b.description.unwrap_or(t.description),
        details: b.details.unwrap_or(t.details),
        priority: text(b.priority).unwrap_or_else(|| t.priority.as_str().into()),
        status: text(b.status).unwrap_or_else(|| t.status.as_str().into()),
        duration_minutes: b.duration_minutes.or(t.duration_minutes).map(|d| d.to_string()).unwrap_or_default(),
        start_date: date(b.start_date.or(t.start_date)),
        due_date: date(b.due_date.or(t.due_date)),
        recurrence: text(b.recurrence).or_else(|| t.recurrence.map(|r| r.as_str().into())).unwrap_or_default(),
        recurrence_end: date(b.recurrence_end.or(t.recurrence_end)),
        parent_task_id: t.parent_task_id.map(|p| p.to_string()).unwrap_or_default(),
    };
    let input = app::task::service::TaskInput::parse(&form)?;
    app::task::service::update_task(&state.pool, user.id, id, input).await?;
    Ok(Json(app::task::service::get_task(&state.pool, user.id, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app::task::service::set_task_deleted(&state.pool, user.id, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- notes ----------------------------------------------------------------

async fn find_note(state: &AppState, user: Uuid, id: Uuid) -> ApiResult<Note> {
    let mut tx = begin_as(&state.pool, user).await?;
    let note = sqlx::query_as!(
        Note,
        "select id, project_id, title, body, created_at, updated_at from notes
         where id = $1 and user_id = $2 and deleted_at is null",
        id,
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    note.ok_or_else(|| AppError::NotFound.into())
}

#[utoipa::path(get, path = "/api/v1/notes", tag = "notes", params(PageQuery, NoteFilter),
    responses((status = 200, body = Page<ApiNote>)))]
pub async fn list_notes(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(f): ApiQuery<NoteFilter>,
) -> ApiResult<Json<Page<ApiNote>>> {
    let (limit, offset) = page.bounds()?;
    let mut tx = begin_as(&state.pool, user.id).await?;
    let rows = sqlx::query!(
        r#"select id, project_id, title, body, created_at, updated_at, count(*) over () as "total!" from notes
           where user_id = $1 and deleted_at is null and ($2::uuid is null or project_id = $2)
           order by created_at desc limit $3 offset $4"#,
        user.id,
        f.project_id,
        limit,
        offset
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let items = rows
        .into_iter()
        .map(|r| ApiNote {
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            body: r.body,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect();
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/notes", tag = "notes", request_body = NoteBody,
    responses((status = 201, body = ApiNote)))]
pub async fn create_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<NoteBody>,
) -> ApiResult<(StatusCode, Json<ApiNote>)> {
    let project = b.project_id.ok_or_else(|| ApiError::field("project_id", "A note belongs to a project."))?;
    let input =
        app::note::service::NoteInput::parse(b.title.as_deref().unwrap_or(""), b.body.as_deref().unwrap_or(""))?;
    let id = app::note::service::insert_note(&state.pool, user.id, project, input).await?;
    Ok((StatusCode::CREATED, Json(find_note(&state, user.id, id).await?.into())))
}

#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiNote)))]
pub async fn get_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiNote>> {
    Ok(Json(find_note(&state, user.id, id).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    request_body = NoteBody, responses((status = 200, body = ApiNote)))]
pub async fn update_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NoteBody>,
) -> ApiResult<Json<ApiNote>> {
    let n = find_note(&state, user.id, id).await?;
    let input = app::note::service::NoteInput::parse(&b.title.unwrap_or(n.title), &b.body.unwrap_or(n.body))?;
    app::note::service::update_note(&state.pool, user.id, id, input).await?;
    Ok(Json(find_note(&state, user.id, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    app::note::service::set_note_deleted(&state.pool, user.id, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- brain dumps ----------------------------------------------------------

/// Create a brain dump from text and process it (offline parser or LLM); the
/// proposals come back, nothing is applied until confirm.
#[utoipa::path(post, path = "/api/v1/brain-dumps", tag = "brain dumps", request_body = NewBrainDump,
    responses((status = 201, body = ApiBrainDump), (status = 502, description = "The AI service failed", body = super::problem::Problem)))]
pub async fn create_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<NewBrainDump>,
) -> ApiResult<(StatusCode, Json<ApiBrainDump>)> {
    let id = app::brain_dump::service::create(&state.pool, user.id, &b.content).await?;
    let dump =
        app::brain_dump::service::parse(&state.pool, user.id, id, today_in(&user.timezone), &state.engine).await?;
    Ok((StatusCode::CREATED, Json(dump.into())))
}

/// Process a dump again (after a failure, an interrupted request, or to get
/// fresh proposals); an applied dump cannot be.
#[utoipa::path(post, path = "/api/v1/brain-dumps/{id}/process", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiBrainDump), (status = 502, description = "The AI service failed", body = super::problem::Problem)))]
pub async fn process_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiBrainDump>> {
    let dump =
        app::brain_dump::service::parse(&state.pool, user.id, id, today_in(&user.timezone), &state.engine).await?;
    Ok(Json(dump.into()))
}

#[utoipa::path(get, path = "/api/v1/brain-dumps/{id}", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiBrainDump)))]
pub async fn get_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiBrainDump>> {
    Ok(Json(app::brain_dump::service::get_dump(&state.pool, user.id, id).await?.into()))
}

/// Apply the chosen operations, in one transaction.
#[utoipa::path(post, path = "/api/v1/brain-dumps/{id}/confirm", tag = "brain dumps", params(("id" = Uuid, Path)),
    request_body = ConfirmBody, responses((status = 200, body = Confirmed)))]
pub async fn confirm_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ConfirmBody>,
) -> ApiResult<Json<Confirmed>> {
    let dump = app::brain_dump::service::get_dump(&state.pool, user.id, id).await?;
    let unknown: Vec<&String> =
        b.operation_ids.iter().filter(|o| !dump.operations.iter().any(|s| &s.id == *o)).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::field(
            "operation_ids",
            format!("Not operations of this brain dump: {}.", names.join(", ")),
        ));
    }
    let ops = dump
        .operations
        .into_iter()
        .map(|mut o| {
            o.enabled = b.operation_ids.contains(&o.id);
            o
        })
        .collect();
    let applied =
        app::brain_dump::service::confirm(&state.pool, user.id, id, b.version.unwrap_or(dump.updated_at), ops).await?;
    Ok(Json(Confirmed { applied }))
}

#[utoipa::path(post, path = "/api/v1/brain-dumps/{id}/undo", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiBrainDump)))]
pub async fn undo_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiBrainDump>> {
    app::brain_dump::service::undo(&state.pool, user.id, id).await?;
    Ok(Json(app::brain_dump::service::get_dump(&state.pool, user.id, id).await?.into()))
}

// ---- briefs ---------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/briefs", tag = "briefs", responses((status = 200, body = Vec<ApiBriefListItem>)))]
pub async fn list_briefs(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<ApiBriefListItem>>> {
    let list = app::brief::service::list_briefs(&state.pool, user.id).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/briefs/{id}", tag = "briefs", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiBrief)))]
pub async fn get_brief(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiBrief>> {
    Ok(Json(app::brief::service::get_brief(&state.pool, user.id, id).await?.into()))
}

/// Generate today's brief now (the worker does it within seconds).
#[utoipa::path(post, path = "/api/v1/briefs/generate", tag = "briefs", responses((status = 202, body = Created)))]
pub async fn generate_brief(State(state): State<AppState>, user: ApiUser) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = app::brief::service::generate_now(&state.pool, user.id, today_in(&user.timezone)).await?;
    Ok((StatusCode::ACCEPTED, Json(Created { id })))
}
