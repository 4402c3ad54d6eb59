//! Agent access: an MCP server over streamable HTTP at `/mcp`, for AI
//! assistants. Authenticated like the API, with a personal access token
//! (`Authorization: Bearer …`); a read-only token may use the reading tools
//! only. Every tool calls the same domain services as the pages and the API,
//! and sees only the token owner's data.
//!
//! Stateless (no MCP session kept in the server), so any server process can
//! answer any request.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::api_token::Scope;
use domain::db::as_user;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock as Content, Implementation, ServerCapabilities, ServerConfig};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// Who is calling: put into the request by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub scope: Scope,
    pub timezone: String,
}

/// The bearer token of every request to `/mcp`: 401 without a valid one.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let refuse = || {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(json!({ "error": "Send a personal access token as Authorization: Bearer <token> (make one on your profile)." })),
        )
            .into_response()
    };
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .map(str::to_string);
    let Some(token) = token else { return refuse() };
    let owner = match domain::api_token::service::authenticate(&state.pool, &token).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return refuse(),
        Err(error) => {
            tracing::warn!(%error, "MCP token check failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if state.api_limiter.0.check_key(&owner.user_id).is_err() {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
    }
    let Ok(user) = domain::account::service::get_user(&state.pool, owner.user_id).await else { return refuse() };
    domain::error_log::note_user(owner.user_id);
    req.extensions_mut().insert(Caller { user_id: owner.user_id, scope: owner.scope, timezone: user.timezone });
    next.run(req).await
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchArgs {
    /// Words to find in projects, tasks, notes and brain dumps (each matches the start of a word; accents ignored).
    pub query: String,
    /// At most this many results (1–50, default 10).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ProjectArgs {
    /// The project's id or its slug (as in /projects/<slug>).
    pub project: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct BrainDumpArgs {
    /// Everything to sort out, in the person's words (up to 50,000 characters).
    pub text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ConfirmArgs {
    /// The brain dump's id, from create_brain_dump.
    pub brain_dump_id: String,
    /// The ids of the proposals to apply ("op-1", …); the others are left out.
    pub operation_ids: Vec<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TaskArgs {
    /// The task's id.
    pub task_id: String,
}

/// The MCP server: one per request (stateless), holding the app's state.
#[derive(Clone)]
pub struct Buildos {
    state: AppState,
}

type ToolResult = Result<CallToolResult, ErrorData>;

/// A tool's answer: the value as JSON text, or the problem as a tool error.
fn answer(result: Result<Value, domain::Error>) -> ToolResult {
    Ok(match result {
        Ok(value) => CallToolResult::success(vec![Content::text(
            serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string()),
        )]),
        Err(e) => CallToolResult::error(vec![Content::text(e.to_string())]),
    })
}

fn id(value: &str) -> Result<Uuid, domain::Error> {
    value.trim().parse().map_err(|_| domain::Error::NotFound)
}

fn to_json(value: impl serde::Serialize) -> Result<Value, domain::Error> {
    serde_json::to_value(value).map_err(domain::error::internal)
}

impl Buildos {
    pub fn new(state: AppState) -> Self {
        Buildos { state }
    }

    fn caller(ctx: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ErrorData::invalid_request("not authenticated", None))
    }
}

impl Caller {
    /// Whether this caller's token may change things.
    fn may_write(&self) -> Result<(), domain::Error> {
        if self.scope == Scope::ReadWrite {
            Ok(())
        } else {
            Err(domain::Error::Conflict("This token is read-only: this tool needs a read-and-write token.".into()))
        }
    }
}

#[tool_router]
impl Buildos {
    #[tool(
        description = "Search the person's projects, tasks, notes and brain dumps. Best matches first, with where each is in the app."
    )]
    async fn search(&self, Parameters(args): Parameters<SearchArgs>, ctx: RequestContext<RoleServer>) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let pool = self.state.pool.clone();
        answer(
            async move {
                let query = domain::search::Query::new(&args.query)
                    .map_err(|e| domain::Error::field("query", e.message("The query")))?;
                let limit = args.limit.unwrap_or(10).clamp(1, 50);
                let uid = caller.user_id;
                let found = as_user(&pool, uid, move |tx| {
                    Box::pin(async move { domain::search::service::search(tx, uid, &query, limit, 0).await })
                })
                .await?;
                let items: Vec<Value> = found
                    .items
                    .iter()
                    .map(|h| {
                        json!({ "kind": h.kind, "id": h.id, "title": h.title_text(), "project": h.project, "href": h.href,
                                "snippet": h.snippet.iter().map(|f| f.text.as_str()).collect::<String>() })
                    })
                    .collect();
                Ok(json!({ "total": found.total, "results": items }))
            }
            .await,
        )
    }

    #[tool(description = "Today's open tasks and the overdue ones, in the person's timezone.")]
    async fn list_today(&self, ctx: RequestContext<RoleServer>) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let today = domain::brain_dump::offline::dates::today_in(&caller.timezone);
        let uid = caller.user_id;
        let lists =
            as_user(&self.state.pool, uid, move |tx| Box::pin(domain::task::service::dashboard_lists(tx, uid, today)))
                .await;
        answer(lists.and_then(|l| to_json(json!({ "date": today, "today": l.today, "overdue": l.overdue }))))
    }

    #[tool(description = "One project: its context, status, dates, tasks and notes.")]
    async fn get_project(
        &self,
        Parameters(args): Parameters<ProjectArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let uid = caller.user_id;
        let result = as_user(&self.state.pool, uid, move |tx| {
            Box::pin(async move {
                use domain::project::service::{ProjectKey, get_project};
                let key = match args.project.trim().parse::<Uuid>() {
                    Ok(id) => ProjectKey::Id(id),
                    Err(_) => ProjectKey::Slug(args.project.trim()),
                };
                let project = get_project(&mut *tx, uid, key).await?;
                let tasks = domain::task::service::list_project_tasks(&mut *tx, uid, project.id).await?;
                let (notes, _) = domain::note::service::list_notes(&mut *tx, uid, Some(project.id), 100, 0).await?;
                let mut value = to_json(&project)?;
                value["tasks"] = to_json(tasks)?;
                value["notes"] = to_json(notes)?;
                Ok(value)
            })
        })
        .await;
        answer(result)
    }

    #[tool(
        description = "Pour out a brain dump: it is processed into proposed projects, tasks and notes, returned for review. Nothing is changed until confirm_brain_dump."
    )]
    async fn create_brain_dump(
        &self,
        Parameters(args): Parameters<BrainDumpArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let (pool, engine) = (self.state.pool.clone(), self.state.settings.engine.clone());
        answer(
            async move {
                use domain::brain_dump::service;
                caller.may_write()?;
                let content = domain::brain_dump::Content::new(&args.text)
                    .map_err(|e| domain::Error::field("text", e.message("The text")))?;
                let id = service::create(&pool, caller.user_id, &content).await?;
                let dump = service::parse(&pool, caller.user_id, id, &engine).await?;
                to_json(json!({ "brain_dump_id": dump.id, "status": dump.status, "proposals": dump.operations }))
            }
            .await,
        )
    }

    #[tool(
        description = "Apply the chosen proposals of a brain dump (by their ids), in one go; the rest are left out."
    )]
    async fn confirm_brain_dump(
        &self,
        Parameters(args): Parameters<ConfirmArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let pool = self.state.pool.clone();
        answer(
            async move {
                caller.may_write()?;
                let dump = id(&args.brain_dump_id)?;
                let applied =
                    domain::brain_dump::service::confirm_chosen(&pool, caller.user_id, dump, &args.operation_ids, None)
                        .await?;
                Ok(json!({ "applied": applied }))
            }
            .await,
        )
    }

    #[tool(description = "Mark a task done (a repeating task gets its next occurrence).")]
    async fn complete_task(
        &self,
        Parameters(args): Parameters<TaskArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let uid = caller.user_id;
        let pool = &self.state.pool;
        answer(
            async move {
                caller.may_write()?;
                let task = id(&args.task_id)?;
                as_user(pool, uid, move |tx| {
                    Box::pin(async move {
                        let next = domain::task::service::set_task_done(&mut *tx, uid, task, true).await?;
                        Ok(json!({ "done": task, "next_occurrence": next }))
                    })
                })
                .await
            }
            .await,
        )
    }

    #[tool(
        description = "The person's latest daily brief: today's schedule, what is at risk, and each project's today, overdue and upcoming tasks."
    )]
    async fn latest_brief(&self, ctx: RequestContext<RoleServer>) -> ToolResult {
        let caller = Self::caller(&ctx)?;
        let pool = &self.state.pool;
        let result = async {
            let list = domain::brief::service::list_briefs(pool, caller.user_id).await?;
            match list.first() {
                None => Ok(json!({ "brief": null, "note": "No brief yet." })),
                Some(b) => to_json(domain::brief::service::get_brief(pool, caller.user_id, b.id).await?),
            }
        }
        .await;
        answer(result)
    }
}

#[tool_handler]
impl ServerHandler for Buildos {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("buildos", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "BuildOS: the person's projects, tasks, notes, brain dumps and daily briefs. Search and read \
                 freely; to add things, create a brain dump, show the person its proposals, and confirm the \
                 ones they want.",
            )
    }
}

/// The `/mcp` route: the MCP service behind the token check.
pub fn router(state: AppState) -> axum::Router<AppState> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
    let for_service = state.clone();
    // Stateless; and besides loopback, requests for the address the app is
    // served at (the Host check guards against DNS rebinding).
    let mut config = StreamableHttpServerConfig::default().with_legacy_session_mode(false);
    let public = state.settings.public_base_url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = public.split('/').next().unwrap_or("").to_string();
    if !authority.is_empty() {
        let host = authority.rsplit_once(':').map_or(authority.as_str(), |(h, _)| h).to_string();
        config.allowed_hosts.extend([authority, host]);
    }
    let service = StreamableHttpService::new(
        move || Ok(Buildos::new(for_service.clone())),
        LocalSessionManager::default().into(),
        config,
    );
    axum::Router::new().nest_service("/mcp", service).layer(axum::middleware::from_fn_with_state(state, authenticate))
}
