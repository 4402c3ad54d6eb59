//! The LLM engine: any OpenAI-compatible chat endpoint (OpenAI, OpenRouter, Ollama,
//! llama.cpp, vLLM), asked for JSON that follows a schema, then checked here.
//!
//! async-openai retries 429 and 5xx answers with exponential backoff and honours
//! Retry-After; every attempt is bounded by the configured timeout.

use super::offline::KnownProject;
use super::operation::{Fields, Kind, Operation, ProjectRef, Table};
use crate::task::model::{Priority, TaskStatus};
use crate::task::recurrence::Recurrence;
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
    ResponseFormat, ResponseFormatJsonSchema,
};
use chrono::NaiveDate;
use futures::StreamExt;
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

/// Where the LLM is and how to reach it (from OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL).
#[derive(Clone)]
pub struct LlmConfig {
    pub api_key: String,
    pub base_url: String,
    pub model: String,
    pub timeout: Duration,
    /// LLM_MAX_TOKENS (4096): the most a single answer may be.
    pub max_tokens: u32,
    /// How much each person, and the whole server, may ask of the model.
    pub quota: super::quota::Quota,
}

// The key never reaches a log.
impl LlmConfig {
    /// A client for the configured endpoint, with the configured timeout
    /// (shared by the brain dump, the brief's summary and project phases).
    pub fn client(&self) -> Result<Client<OpenAIConfig>, String> {
        let http = reqwest::Client::builder().timeout(self.timeout).build().map_err(|e| e.to_string())?;
        Ok(Client::with_config(OpenAIConfig::new().with_api_key(&self.api_key).with_api_base(&self.base_url))
            .with_http_client(http))
    }

    /// One chat completion (not streamed) for `purpose`: timed and counted in
    /// the metrics, its tokens added to the quota's count in progress.
    pub async fn chat(
        &self,
        purpose: &'static str,
        request: async_openai::types::chat::CreateChatCompletionRequest,
    ) -> Result<async_openai::types::chat::CreateChatCompletionResponse, String> {
        let client = self.client()?;
        let started = std::time::Instant::now();
        let response = client.chat().create(request).await;
        crate::metrics::llm_call(purpose, response.is_ok(), started.elapsed());
        let response = response.map_err(|e| e.to_string())?;
        if let Some(usage) = &response.usage {
            crate::metrics::llm_tokens(purpose, usage.prompt_tokens, usage.completion_tokens);
        }
        Ok(response)
    }
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// Which engine turns dumps into operations (provided to every request as context).
#[derive(Clone, Debug, Default)]
pub enum Engine {
    #[default]
    Offline,
    Llm(LlmConfig),
}

impl Engine {
    /// The LLM when OPENAI_API_KEY is set, else the offline parser (read by `Settings`).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let number = |k: &str, default: u32| -> anyhow::Result<u32> {
            var(k).map_or(Ok(default), |v| {
                v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| anyhow::anyhow!("{k} must be a positive number"))
            })
        };
        Ok(match var("OPENAI_API_KEY") {
            None => Engine::Offline,
            Some(api_key) => Engine::Llm(LlmConfig {
                api_key,
                base_url: var("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
                model: var("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
                timeout: Duration::from_secs(var("OPENAI_TIMEOUT_SECS").and_then(|s| s.parse().ok()).unwrap_or(60)),
                max_tokens: number("LLM_MAX_TOKENS", 4096)?,
                quota: super::quota::Quota::from_vars(var)?,
            }),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Engine::Offline => "offline",
            Engine::Llm(_) => "llm",
        }
    }
}

const RULES: &str = "You turn a person's brain dump into proposed changes to their projects, tasks and notes.
Rules:
- Create only the tasks the person actually stated; do not invent tasks.
- Lose nothing: detail that is not a task goes into a task's details, a note, or project context.
- News about one of the person's existing projects attaches to it (project_ref = its id); never create a duplicate of an existing project.
- News about an existing task (listed below with its id) is an update of it (kind \"update\", target_id = its id) setting only the fields that change; a task the person says is finished is an update with status \"done\".
- Delete (kind \"delete\", target_id) only what the person explicitly says to drop.
- Background about an existing project goes into its context: table \"project_context\", kind \"update\", project_ref = its id, context = the text to add.
- A task or note for a project created in this dump uses project_ref = that project's reference (\"new-project-1\", …).
- Recurring tasks need a start_date and a recurrence (daily, weekdays, weekly, biweekly, monthly, quarterly, yearly).
- A date said with \"by\", \"before\", \"due\" or \"until\" is a due_date; any other date is a start_date.
- A stated length (\"30 min\", \"2h\", \"an hour\") is duration_minutes, in whole minutes.
- Dates are ISO dates (YYYY-MM-DD) in the person's timezone; today is given below.
- Each operation has a one-sentence reasoning.";

/// An existing item the model may change or delete (its id is in the prompt).
#[derive(Debug, Clone)]
pub struct Target {
    pub id: Uuid,
    pub table: Table,
    pub name: String,
    /// For a task: its project's name.
    pub project: Option<String>,
    pub version: chrono::DateTime<chrono::Utc>,
}

/// The JSON schema the model must follow (strict: every field present, unknowns as null).
pub fn schema() -> serde_json::Value {
    let nullable = |t: &str| serde_json::json!({ "type": [t, "null"] });
    let props = serde_json::json!({
        "table": { "type": "string", "enum": ["project", "task", "note", "project_context"] },
        "kind": { "type": "string", "enum": ["create", "update", "delete"] },
        "target_id": nullable("string"),
        "reference": nullable("string"),
        "project_ref": nullable("string"),
        "name": nullable("string"),
        "title": nullable("string"),
        "details": nullable("string"),
        "context": nullable("string"),
        "body": nullable("string"),
        "priority": { "type": ["string", "null"], "enum": ["low", "medium", "high", null] },
        "status": { "type": ["string", "null"], "enum": ["backlog", "in_progress", "done", "blocked", null] },
        "start_date": nullable("string"),
        "due_date": nullable("string"),
        "recurrence": { "type": ["string", "null"], "enum": ["daily", "weekdays", "weekly", "biweekly", "monthly", "quarterly", "yearly", null] },
        "duration_minutes": nullable("integer"),
        "reasoning": { "type": "string" }
    });
    let required: Vec<&String> = props.as_object().expect("object").keys().collect();
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["operations"],
        "properties": { "operations": { "type": "array", "items": {
            "type": "object", "additionalProperties": false, "required": required, "properties": props
        } } }
    })
}

#[derive(Debug, Deserialize)]
struct Answer {
    operations: Vec<Proposed>,
}

#[derive(Debug, Deserialize)]
struct Proposed {
    table: String,
    kind: String,
    #[serde(default)]
    target_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    reference: Option<String>,
    project_ref: Option<String>,
    name: Option<String>,
    title: Option<String>,
    details: Option<String>,
    context: Option<String>,
    body: Option<String>,
    priority: Option<String>,
    start_date: Option<String>,
    due_date: Option<String>,
    recurrence: Option<String>,
    #[serde(default)]
    duration_minutes: Option<i64>,
    reasoning: String,
}

/// What went wrong talking to the model, in words for the person.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error(
        "The AI service did not answer in time. Nothing was changed; try again, or remove OPENAI_API_KEY to use the offline parser."
    )]
    Timeout,
    #[error("The AI service failed: {0}. Nothing was changed; try again.")]
    Service(String),
    #[error("The AI's answer could not be read ({0}). Nothing was changed; try again.")]
    Malformed(String),
}

/// Ask the model for operations on `content`, streamed: `on_op` gets each
/// proposal (checked against what has arrived so far) as soon as its JSON
/// object is complete. The returned list, checked as a whole, is what counts.
pub async fn propose(
    config: &LlmConfig,
    content: &str,
    today: NaiveDate,
    timezone: &str,
    known: &[KnownProject],
    targets: &[Target],
    on_op: &mut (dyn FnMut(Operation) + Send),
) -> Result<Vec<Operation>, LlmError> {
    let client = config.client().map_err(LlmError::Service)?;
    let projects: Vec<String> = known.iter().map(|p| format!("- {} (id {})", p.name, p.id)).collect();
    let tasks: Vec<String> = targets
        .iter()
        .filter(|t| t.table == Table::Task)
        .map(|t| format!("- [{}] {} (id {})", t.project.as_deref().unwrap_or("no project"), t.name, t.id))
        .collect();
    let system = format!(
        "{RULES}\n\nToday is {} ({today}) in the person's timezone, {timezone}.\n\nThe person's projects:\n{}\n\nTheir recent open tasks:\n{}",
        today.format("%A %-d %B %Y"),
        if projects.is_empty() { "(none yet)".to_string() } else { projects.join("\n") },
        if tasks.is_empty() { "(none)".to_string() } else { tasks.join("\n") },
    );
    let err = |e: async_openai::error::OpenAIError| LlmError::Service(e.to_string());
    let request = CreateChatCompletionRequestArgs::default()
        .model(config.model.clone())
        .max_completion_tokens(config.max_tokens)
        // Said here: with async-openai's `byot` feature (voice uses it), create_stream leaves it unset.
        .stream(true)
        // The last chunk then says how many tokens the call used (for /metrics).
        .stream_options(async_openai::types::chat::ChatCompletionStreamOptions {
            include_usage: Some(true),
            ..Default::default()
        })
        .messages([
            ChatCompletionRequestSystemMessageArgs::default().content(system).build().map_err(err)?.into(),
            ChatCompletionRequestUserMessageArgs::default().content(content).build().map_err(err)?.into(),
        ])
        .response_format(ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                name: "brain_dump_operations".into(),
                description: Some("Proposed changes to the person's projects, tasks and notes".into()),
                schema: schema(),
                strict: Some(true),
            },
        })
        .build()
        .map_err(err)?;
    let failed = |e: async_openai::error::OpenAIError| match e {
        async_openai::error::OpenAIError::Reqwest(r) if r.is_timeout() => LlmError::Timeout,
        other => {
            let text = other.to_string();
            if text.contains("timed out") || text.contains("timeout") {
                LlmError::Timeout
            } else {
                LlmError::Service(text)
            }
        }
    };
    let mut stream = client.chat().create_stream(request).await.map_err(failed)?;
    let mut text = String::new();
    let mut scanner = ObjectScanner::default();
    let mut references = Vec::new();
    let mut count = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(failed)?;
        if let Some(usage) = &chunk.usage {
            crate::metrics::llm_tokens("brain_dump", usage.prompt_tokens, usage.completion_tokens);
        }
        for choice in chunk.choices {
            text.extend(choice.delta.content);
        }
        for range in scanner.scan(&text) {
            // A proposal that does not fit the schema is reported by the full check below.
            let Ok(p) = serde_json::from_str::<Proposed>(&text[range]) else { continue };
            if p.table == "project" {
                references.extend(p.reference.clone());
            }
            count += 1;
            on_op(check_one(count, p, known, targets, &references));
        }
    }
    if text.trim().is_empty() {
        return Err(LlmError::Malformed("it was empty".into()));
    }
    let answer: Answer = serde_json::from_str(&text).map_err(|e| LlmError::Malformed(e.to_string()))?;
    Ok(check_answer(answer, known, targets))
}

/// Finds the objects of the top-level `operations` array in JSON that is still
/// arriving: `{"operations": [ {…}, {…} ] }` — the objects at depth three.
#[derive(Debug, Default)]
struct ObjectScanner {
    pos: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    start: Option<usize>,
}

impl ObjectScanner {
    /// Feed the whole text so far; returns the byte ranges of the objects completed since the last call.
    fn scan(&mut self, text: &str) -> Vec<std::ops::Range<usize>> {
        let mut found = Vec::new();
        // Structural bytes are ASCII, so byte positions are always char boundaries.
        for (i, &b) in text.as_bytes().iter().enumerate().skip(self.pos) {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if b == b'{' && self.depth == 3 {
                        self.start = Some(i);
                    }
                }
                b'}' | b']' => {
                    if b == b'}' && self.depth == 3 {
                        found.extend(self.start.take().map(|s| s..i + 1));
                    }
                    self.depth = self.depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        self.pos = text.len();
        found
    }
}

/// Turn the model's proposals into operations, each checked on its own: one
/// that names an unknown project, an invalid date or an unsupported change is
/// kept (so the person sees it) but unticked, with its own message.
fn check_answer(answer: Answer, known: &[KnownProject], targets: &[Target]) -> Vec<Operation> {
    let references: Vec<String> =
        answer.operations.iter().filter(|p| p.table == "project").filter_map(|p| p.reference.clone()).collect();
    answer.operations.into_iter().enumerate().map(|(i, p)| check_one(i + 1, p, known, targets, &references)).collect()
}

/// Check proposal number `n`; `references` are the projects the dump creates.
fn check_one(n: usize, p: Proposed, known: &[KnownProject], targets: &[Target], references: &[String]) -> Operation {
    let mut problems = Vec::new();
    let table = match p.table.as_str() {
        "project" => Table::Project,
        "task" => Table::Task,
        "note" => Table::Note,
        "project_context" => Table::ProjectContext,
        other => {
            problems.push(format!("unknown kind of item \"{other}\""));
            Table::Note
        }
    };
    let kind = match (p.kind.as_str(), table) {
        // Adding to a project's context is always an update of that project.
        (_, Table::ProjectContext) => Kind::Update,
        ("create", _) => Kind::Create,
        ("update", _) => Kind::Update,
        ("delete", _) => Kind::Delete,
        (other, _) => {
            problems.push(format!("unknown kind of change \"{other}\""));
            Kind::Create
        }
    };
    // What an update or delete touches: one of the items the model was shown.
    let target_ref = if table == Table::ProjectContext { p.project_ref.as_deref() } else { p.target_id.as_deref() };
    let target_table = if table == Table::ProjectContext { Table::Project } else { table };
    let target = match kind {
        Kind::Create => None,
        _ => {
            let found = target_ref
                .and_then(|r| r.parse::<Uuid>().ok())
                .and_then(|id| targets.iter().find(|t| t.id == id && t.table == target_table));
            if found.is_none() {
                problems.push(match target_ref {
                    None => "it does not say which existing item it changes".to_string(),
                    Some(r) => format!("it names an item ({r}) that is not one of yours it was shown"),
                });
            }
            found
        }
    };
    let project = p.project_ref.as_deref().map(|r| match r.parse::<Uuid>() {
        Ok(id) if known.iter().any(|k| k.id == id) => ProjectRef::Existing(id),
        Ok(_) => {
            problems.push("it names a project that is not yours".into());
            ProjectRef::New(r.to_string())
        }
        Err(_) => {
            if !references.iter().any(|x| x == r) {
                problems.push(format!("it refers to \"{r}\", which this dump does not create"));
            }
            ProjectRef::New(r.to_string())
        }
    });
    let mut date = |v: &Option<String>, label: &str| {
        v.as_deref().filter(|s| !s.is_empty()).and_then(|s| match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(format!("{label} must be a date like 2026-12-31."));
                None
            }
        })
    };
    let start_date = date(&p.start_date, "Start date");
    let due_date = date(&p.due_date, "Due date");
    let duration_minutes = p.duration_minutes.and_then(|n| {
        let minutes = i32::try_from(n).ok().and_then(crate::task::Minutes::new);
        if minutes.is_none() {
            problems.push(format!("a duration must be from 1 to {} minutes", crate::limits::DURATION_MAX));
        }
        minutes
    });
    let fields = Fields {
        name: p.name,
        title: p.title,
        details: p.details,
        context: p.context,
        body: p.body,
        priority: p.priority.as_deref().and_then(Priority::parse),
        status: p.status.as_deref().and_then(TaskStatus::parse),
        start_date,
        due_date,
        recurrence: p.recurrence.as_deref().and_then(Recurrence::parse),
        recurrence_end: None,
        duration_minutes,
        description: None,
    };
    let error = (!problems.is_empty()).then(|| {
        let m = problems.join("; ");
        let mut chars = m.chars();
        chars.next().map(|f| f.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default() + "."
    });
    Operation {
        id: format!("op-{n}"),
        table,
        kind,
        reference: if table == Table::Project && kind == Kind::Create { p.reference } else { None },
        target_id: target.map(|t| t.id),
        target_version: target.map(|t| t.version),
        project: if table == Table::ProjectContext { None } else { project },
        fields,
        reasoning: p.reasoning,
        enabled: error.is_none(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::ObjectScanner;

    #[test]
    fn the_scanner_finds_each_operation_once_however_the_text_is_split() {
        let json = r#"{"operations": [{"title": "a \"}\" b", "x": {"y": [1]}}, {"title": "ünï{"}]}"#;
        for step in 1..json.len() {
            let mut scanner = ObjectScanner::default();
            let mut found = Vec::new();
            let mut end = 0;
            while end < json.len() {
                end = (end + step).min(json.len());
                while !json.is_char_boundary(end) {
                    end += 1;
                }
                found.extend(scanner.scan(&json[..end]).into_iter().map(|r| json[r].to_string()));
            }
            assert_eq!(found, [r#"{"title": "a \"}\" b", "x": {"y": [1]}}"#, r#"{"title": "ünï{"}"#], "step {step}");
        }
    }
}
