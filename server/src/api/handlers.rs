//! The /api/v1 endpoints: typed JSON in (the domain's own inputs), the same
//! services the pages use, JSON out.

use super::Problem;
use super::auth::ApiUser;
use super::problem::{ApiError, ApiJson, ApiOptionalJson, ApiPath, ApiQuery};
use super::types::*;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::account::{NewAccount, User};
use domain::brain_dump::model::BrainDump;
use domain::brief::model::{Brief, BriefListItem};
use domain::calendar::CalendarFeed;
use domain::db::as_user;
use domain::export::{Export, ImportReport};
use domain::item::Item;
use domain::note::model::Note;
use domain::note::{NoteInput, service as notes};
use domain::project::ProjectInput;
use domain::project::model::{Project, ProjectSummary};
use domain::project::service::{self as projects, ProjectKey};
use domain::schedule::{AppliedPlan, Proposal, UndonePlan};
use domain::search::Hit;
use domain::task::model::Task;
use domain::task::{TaskInput, service as tasks};
use domain::{Error, patch};
use uuid::Uuid;

type ApiResult<T> = Result<T, ApiError>;

// ---- account --------------------------------------------------------------

/// Create an account (when registration is open).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = NewAccount,
    responses((status = 201, description = "Account created", body = Created)), security(()))]
pub async fn register(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(new): ApiJson<NewAccount>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    if !state.settings.registration_open {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "Registration is closed on this server."));
    }
    // The address being taken is a conflict with what exists, not a bad field.
    let ip = Some(app::auth::request::client_address_of(peer.ip(), &headers, &state.settings));
    let id = domain::account::service::create_account(&state.pool, &state.settings, new, ip)
        .await
        .map_err(ApiError::conflicting)?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Exchange an email and password for a new token (under the login limits).
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses((status = 201, description = "Token created; shown once", body = ApiToken)), security(()))]
pub async fn create_token(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, Json<ApiToken>)> {
    let ip = Some(app::auth::request::client_address_of(peer.ip(), &headers, &state.settings));
    let origin = domain::account::service::Origin { ip, device: None };
    let mail = state.settings.mail();
    let user_id = domain::account::service::check_password(&state.pool, &mail, &body.email, body.password, &origin)
        .await
        .map_err(|e| match e {
            Error::Validation(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "That email and password do not match an account.")
            }
            other => other.into(),
        })?;
    let t = domain::api_token::service::create(&state.pool, user_id, &body.name, body.scope)
        .await
        .map_err(ApiError::conflicting)?;
    Ok((StatusCode::CREATED, Json(ApiToken { id: t.id, name: t.name, scope: t.scope, token: t.token })))
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = User)))]
pub async fn me(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<User>> {
    Ok(Json(domain::account::service::get_user(&state.pool, user.id).await?))
}

// ---- projects -------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(PageQuery, ProjectFilter),
    responses((status = 200, body = Page<ProjectSummary>)))]
pub async fn list_projects(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<ProjectFilter>,
) -> ApiResult<Json<Page<ProjectSummary>>> {
    let (limit, offset) = page.bounds()?;
    let uid = user.id;
    let (items, total) =
        as_user(&state.pool, uid, move |tx| Box::pin(projects::list_projects(tx, uid, filter.status, limit, offset)))
            .await?;
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput,
    responses((status = 201, body = Project)))]
pub async fn create_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    input.check().map_err(ApiError::conflicting)?;
    let uid = user.id;
    let project = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let (id, _) = projects::insert_project(&mut *tx, uid, input).await?;
            projects::get_project(tx, uid, ProjectKey::Id(id)).await
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    responses((status = 200, body = Project)))]
pub async fn get_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Project>> {
    let uid = user.id;
    Ok(Json(as_user(&state.pool, uid, move |tx| Box::pin(projects::get_project(tx, uid, ProjectKey::Id(id)))).await?))
}

#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    request_body = ProjectChanges, responses((status = 200, body = Project)))]
pub async fn update_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<Project>> {
    let uid = user.id;
    let project = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let current = projects::get_project(&mut *tx, uid, ProjectKey::Id(id)).await?;
            let input: ProjectInput = patch::merged(&current, changes.into())?;
            input.check().map_err(conflict)?;
            projects::update_project(&mut *tx, uid, id, input).await?;
            projects::get_project(tx, uid, ProjectKey::Id(id)).await
        })
    })
    .await?;
    Ok(Json(project))
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    to_bin(&state, &user, Item::Project, id).await
}

/// Rules between fields that the current state breaks: a conflict (409), named by field.
fn conflict(e: Error) -> Error {
    match e {
        Error::Validation(inv) => Error::Conflict(
            inv.fields.into_iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join(" "),
        ),
        other => other,
    }
}

// ---- tasks ----------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(PageQuery, TaskFilter),
    responses((status = 200, body = Page<Task>)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(f): ApiQuery<TaskFilter>,
) -> ApiResult<Json<Page<Task>>> {
    let (limit, offset) = page.bounds()?;
    let filter = tasks::TaskFilter {
        project_id: f.project_id,
        status: f.status,
        due_before: f.due_before,
        due_after: f.due_after,
    };
    let uid = user.id;
    let (items, total) = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move { tasks::list_tasks(tx, uid, &filter, limit, offset).await })
    })
    .await?;
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks", request_body = TaskInput,
    responses((status = 201, body = Task)))]
pub async fn create_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(input): ApiJson<TaskInput>,
) -> ApiResult<(StatusCode, Json<Task>)> {
    input.check().map_err(ApiError::conflicting)?;
    let uid = user.id;
    let task = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let id = tasks::insert_task(&mut *tx, uid, input).await?;
            tasks::get_task(tx, uid, id).await
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(task)))
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = Task)))]
pub async fn get_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Task>> {
    let uid = user.id;
    Ok(Json(as_user(&state.pool, uid, move |tx| Box::pin(tasks::get_task(tx, uid, id))).await?))
}

#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    request_body = TaskChanges, responses((status = 200, body = Task)))]
pub async fn update_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<Task>> {
    let uid = user.id;
    let task = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let current = tasks::get_task(&mut *tx, uid, id).await?;
            let input: TaskInput = patch::merged(&current, changes.into())?;
            input.check().map_err(conflict)?;
            if input.parent_task_id == Some(id) {
                return Err(Error::Conflict("parent_task_id: A task cannot be its own parent.".into()));
            }
            tasks::update_task(&mut *tx, uid, id, input).await?;
            tasks::get_task(tx, uid, id).await
        })
    })
    .await?;
    Ok(Json(task))
}

#[utoipa::path(delete, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_task(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    to_bin(&state, &user, Item::Task, id).await
}

// ---- notes ----------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/notes", tag = "notes", params(PageQuery, NoteFilter),
    responses((status = 200, body = Page<Note>)))]
pub async fn list_notes(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(f): ApiQuery<NoteFilter>,
) -> ApiResult<Json<Page<Note>>> {
    let (limit, offset) = page.bounds()?;
    let uid = user.id;
    let (items, total) =
        as_user(&state.pool, uid, move |tx| Box::pin(notes::list_notes(tx, uid, f.project_id, limit, offset))).await?;
    Ok(Json(Page { items, total, limit, offset }))
}

#[utoipa::path(post, path = "/api/v1/notes", tag = "notes", request_body = NewNote,
    responses((status = 201, body = Note)))]
pub async fn create_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(new): ApiJson<NewNote>,
) -> ApiResult<(StatusCode, Json<Note>)> {
    let uid = user.id;
    let note = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let id = notes::insert_note(&mut *tx, uid, new.project_id, new.note).await?;
            notes::get_note(tx, uid, id).await
        })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    responses((status = 200, body = Note)))]
pub async fn get_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Note>> {
    let uid = user.id;
    Ok(Json(as_user(&state.pool, uid, move |tx| Box::pin(notes::get_note(tx, uid, id))).await?))
}

#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    request_body = NoteChanges, responses((status = 200, body = Note)))]
pub async fn update_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(changes): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<Note>> {
    let uid = user.id;
    let note = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move {
            let current = notes::get_note(&mut *tx, uid, id).await?;
            let input: NoteInput = patch::merged(&current, changes.into())?;
            notes::update_note(&mut *tx, uid, id, input).await?;
            notes::get_note(tx, uid, id).await
        })
    })
    .await?;
    Ok(Json(note))
}

#[utoipa::path(delete, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted (it can be restored in the app)")))]
pub async fn delete_note(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    to_bin(&state, &user, Item::Note, id).await
}

/// Delete (softly: the app can restore it): 204, or 404 when not found or not theirs.
async fn to_bin(state: &AppState, user: &ApiUser, item: Item, id: Uuid) -> ApiResult<StatusCode> {
    let uid = user.id;
    as_user(&state.pool, uid, move |tx| Box::pin(domain::item::set_deleted(tx, uid, item, id, true))).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- brain dumps ----------------------------------------------------------

/// Create a brain dump from text and process it (offline parser or LLM); the
/// proposals come back, nothing is applied until confirm.
#[utoipa::path(post, path = "/api/v1/brain-dumps", tag = "brain dumps", request_body = NewBrainDump,
    responses((status = 201, body = BrainDump), (status = 502, description = "The AI service failed", body = super::problem::Problem)))]
pub async fn create_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<NewBrainDump>,
) -> ApiResult<(StatusCode, Json<BrainDump>)> {
    use domain::brain_dump::service;
    let id = service::create(&state.pool, user.id, &b.content).await?;
    let dump = service::parse(&state.pool, user.id, id, &state.settings.engine).await?;
    Ok((StatusCode::CREATED, Json(dump)))
}

/// Process a dump again (after a failure, an interrupted request, or to get
/// fresh proposals); an applied dump cannot be.
#[utoipa::path(post, path = "/api/v1/brain-dumps/{id}/process", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = BrainDump), (status = 502, description = "The AI service failed", body = super::problem::Problem)))]
pub async fn process_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BrainDump>> {
    let dump = domain::brain_dump::service::parse(&state.pool, user.id, id, &state.settings.engine).await?;
    Ok(Json(dump))
}

#[utoipa::path(get, path = "/api/v1/brain-dumps/{id}", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = BrainDump)))]
pub async fn get_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BrainDump>> {
    Ok(Json(domain::brain_dump::service::get_dump(&state.pool, user.id, id).await?))
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
    let applied = domain::brain_dump::service::confirm_chosen(&state.pool, user.id, id, &b.operation_ids, b.version)
        .await
        .map_err(ApiError::conflicting)?;
    Ok(Json(Confirmed { applied }))
}

#[utoipa::path(post, path = "/api/v1/brain-dumps/{id}/undo", tag = "brain dumps", params(("id" = Uuid, Path)),
    responses((status = 200, body = BrainDump)))]
pub async fn undo_brain_dump(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<BrainDump>> {
    domain::brain_dump::service::undo(&state.pool, user.id, id).await?;
    Ok(Json(domain::brain_dump::service::get_dump(&state.pool, user.id, id).await?))
}

// ---- calendar -------------------------------------------------------------

/// The address of the person's private calendar (ICS) feed, for subscribing
/// from Google, Apple or Outlook. 404 while the feed is turned off.
#[utoipa::path(get, path = "/api/v1/calendar/feed", tag = "calendar",
    responses((status = 200, body = CalendarFeed), (status = 404, description = "The feed is turned off", body = Problem)))]
pub async fn calendar_feed(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<CalendarFeed>> {
    match domain::calendar::feed::address(&state.pool, &state.settings, user.id).await? {
        Some(url) => Ok(Json(CalendarFeed { url })),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "The calendar feed is turned off. Turn it on from your profile page.",
        )),
    }
}

// ---- scheduling -----------------------------------------------------------

/// Propose a plan: open tasks (due in the window, starting in it, or high
/// priority) placed into free working time, each with a one-line reason, and
/// the ones that do not fit with why. Nothing is written: apply it with
/// POST /api/v1/schedule/plans. The body may be left out.
#[utoipa::path(post, path = "/api/v1/schedule/proposals", tag = "scheduling", request_body = Option<PlanWindow>,
    responses((status = 200, body = Proposal)))]
pub async fn propose_schedule(
    State(state): State<AppState>,
    user: ApiUser,
    ApiOptionalJson(w): ApiOptionalJson<PlanWindow>,
) -> ApiResult<Json<Proposal>> {
    use domain::schedule::service;
    let today = user.today();
    let (from, to) = service::window(today, w.from.map(|f| f.max(today)), w.to)?;
    let (uid, now) = (user.id, chrono::Utc::now());
    let tz = user.timezone.clone();
    let proposal = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move { service::propose(tx, uid, &tz, now, from, to).await })
    })
    .await?;
    Ok(Json(proposal))
}

/// Apply blocks of a proposal in one transaction, as a plan that can be
/// undone as one batch. Refused (409, nothing written) when the calendar or a
/// task changed since the proposal so that a block no longer fits: propose again.
#[utoipa::path(post, path = "/api/v1/schedule/plans", tag = "scheduling", request_body = ApplyPlanBody,
    responses((status = 201, body = AppliedPlan)))]
pub async fn apply_schedule(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(b): ApiJson<ApplyPlanBody>,
) -> ApiResult<(StatusCode, Json<AppliedPlan>)> {
    use domain::schedule::service;
    let (uid, now) = (user.id, chrono::Utc::now());
    let tz = user.timezone.clone();
    let plan = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move { service::apply(tx, uid, &tz, now, &b.placements).await })
    })
    .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Undo a plan: each block goes back to where it was, unless it changed
/// since (moved, done or deleted), which is left alone and counted in `kept`.
#[utoipa::path(post, path = "/api/v1/schedule/plans/{id}/undo", tag = "scheduling", params(("id" = Uuid, Path)),
    responses((status = 200, body = UndonePlan)))]
pub async fn undo_schedule(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<UndonePlan>> {
    let uid = user.id;
    let undone = as_user(&state.pool, uid, move |tx| Box::pin(domain::schedule::service::undo(tx, uid, id))).await?;
    Ok(Json(undone))
}

// ---- briefs ---------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/briefs", tag = "briefs", responses((status = 200, body = Vec<BriefListItem>)))]
pub async fn list_briefs(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Vec<BriefListItem>>> {
    Ok(Json(domain::brief::service::list_briefs(&state.pool, user.id).await?))
}

#[utoipa::path(get, path = "/api/v1/briefs/{id}", tag = "briefs", params(("id" = Uuid, Path)),
    responses((status = 200, body = Brief)))]
pub async fn get_brief(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Brief>> {
    Ok(Json(domain::brief::service::get_brief(&state.pool, user.id, id).await?))
}

/// Generate today's brief now (the worker does it within seconds).
#[utoipa::path(post, path = "/api/v1/briefs/generate", tag = "briefs", responses((status = 202, body = Created)))]
pub async fn generate_brief(State(state): State<AppState>, user: ApiUser) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = domain::brief::service::generate_now(&state.pool, user.id, user.today()).await?;
    Ok((StatusCode::ACCEPTED, Json(Created { id })))
}

// ---- search ---------------------------------------------------------------

/// Search projects, tasks, notes and brain dumps: each word matches the start
/// of a word, accents and case ignored; best matches first (a title above a
/// body), with the matched words marked.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams, PageQuery),
    responses((status = 200, body = Page<Hit>)))]
pub async fn search(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<Json<Page<Hit>>> {
    let (limit, offset) = page.bounds()?;
    let uid = user.id;
    let found = as_user(&state.pool, uid, move |tx| {
        Box::pin(async move { domain::search::service::search(tx, uid, &params.q, limit, offset).await })
    })
    .await?;
    Ok(Json(Page { items: found.items, total: found.total, limit, offset }))
}

// ---- export and import ----------------------------------------------------

/// Everything you own (but what is in the bin) as one document, which
/// `POST /api/v1/import` reads back. The format is described in docs/export-format.md.
#[utoipa::path(get, path = "/api/v1/export", tag = "data", responses((status = 200, body = Export)))]
pub async fn export(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<Export>> {
    let uid = user.id;
    Ok(Json(as_user(&state.pool, uid, move |tx| Box::pin(domain::export::service::export(tx, uid))).await?))
}

/// Your tasks as CSV (UTF-8, a header row, one row a task).
#[utoipa::path(get, path = "/api/v1/export/tasks.csv", tag = "data",
    responses((status = 200, description = "The tasks", content_type = "text/csv", body = String)))]
pub async fn export_tasks_csv(State(state): State<AppState>, user: ApiUser) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let uid = user.id;
    let doc = as_user(&state.pool, uid, move |tx| Box::pin(domain::export::service::export(tx, uid))).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], domain::export::tasks_csv(&doc))
        .into_response())
}

/// Import an export (this account's own or another's): ids are given anew,
/// and what an earlier import of the same export created is not created
/// again. With `preview=true` nothing is written; the report says what would be.
#[utoipa::path(post, path = "/api/v1/import", tag = "data", params(ImportParams), request_body = Export,
    responses((status = 200, body = ImportReport)))]
pub async fn import(
    State(state): State<AppState>,
    user: ApiUser,
    ApiQuery(params): ApiQuery<ImportParams>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<ImportReport>> {
    let doc = domain::export::service::read(body, "body")?;
    let preview = params.preview.unwrap_or(false);
    Ok(Json(domain::export::service::import(&state.pool, user.id, &doc, preview).await?))
}
