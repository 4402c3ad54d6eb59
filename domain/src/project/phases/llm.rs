//! Phases from the language model: the project and its open tasks in, phases
//! out (strict JSON schema), then checked against the tasks it was given.

use super::{MAX_PHASES, PlanInput, ProposedPhase};
use crate::brain_dump::llm::LlmConfig;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
    ResponseFormat, ResponseFormatJsonSchema,
};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashSet;
use uuid::Uuid;

const RULES: &str = "You split a project into phases: consecutive stretches of time, in order, each with a short name \
(at most 60 characters) and the project's open tasks that belong to it. Use every task at most once; leave a task out \
only when it fits no phase. Between 2 and 6 phases. Dates are ISO dates (YYYY-MM-DD); a phase ends on or after it \
starts; respect the tasks' dates. Each phase has a one-sentence reason.";

fn schema() -> serde_json::Value {
    let phase = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "start_date", "end_date", "task_ids", "reason"],
        "properties": {
            "name": { "type": "string" },
            "start_date": { "type": "string" },
            "end_date": { "type": "string" },
            "task_ids": { "type": "array", "items": { "type": "string" } },
            "reason": { "type": "string" }
        }
    });
    serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["phases"],
        "properties": { "phases": { "type": "array", "items": phase } }
    })
}

#[derive(Deserialize)]
struct Answer {
    phases: Vec<Proposed>,
}

#[derive(Deserialize)]
struct Proposed {
    name: String,
    start_date: String,
    end_date: String,
    task_ids: Vec<String>,
    reason: String,
}

/// The model's phases, checked: names trimmed to 1–200 characters, dates that
/// parse and are in order, only the given tasks and each once. An error (in
/// words) when the answer cannot be used.
pub async fn propose(config: &LlmConfig, name: &str, input: &PlanInput<'_>) -> Result<Vec<ProposedPhase>, String> {
    let date = |d: Option<NaiveDate>| d.map_or("none".to_string(), |d| d.to_string());
    let tasks: Vec<String> = input
        .tasks
        .iter()
        .map(|t| format!("- {} (id {}, start {}, due {})", t.title, t.id, date(t.start_date), date(t.due_date)))
        .collect();
    let user = format!(
        "Today is {}.\nProject: {name}\nProject dates: {} to {}\nContext:\n{}\n\nOpen tasks:\n{}",
        input.today,
        date(input.start),
        date(input.end),
        input.context.chars().take(8000).collect::<String>(),
        tasks.join("\n")
    );
    let err = |e: async_openai::error::OpenAIError| e.to_string();
    let request = CreateChatCompletionRequestArgs::default()
        .model(config.model.clone())
        .max_completion_tokens(config.max_tokens)
        .messages([
            ChatCompletionRequestSystemMessageArgs::default().content(RULES).build().map_err(err)?.into(),
            ChatCompletionRequestUserMessageArgs::default().content(user).build().map_err(err)?.into(),
        ])
        .response_format(ResponseFormat::JsonSchema {
            json_schema: ResponseFormatJsonSchema {
                name: "project_phases".into(),
                description: Some("The project's phases with their tasks".into()),
                schema: schema(),
                strict: Some(true),
            },
        })
        .build()
        .map_err(err)?;
    let response = config.chat("phases", request).await?;
    let text = response.choices.first().and_then(|c| c.message.content.clone()).unwrap_or_default();
    let answer: Answer = serde_json::from_str(&text).map_err(|e| format!("its answer could not be read ({e})"))?;
    check(answer, input)
}

fn check(answer: Answer, input: &PlanInput) -> Result<Vec<ProposedPhase>, String> {
    let known: HashSet<Uuid> = input.tasks.iter().map(|t| t.id).collect();
    let mut used = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in answer.phases.into_iter().take(MAX_PHASES).enumerate() {
        let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("“{s}” is not a date"));
        let (start_date, end_date) = (day(&p.start_date)?, day(&p.end_date)?);
        if end_date < start_date {
            return Err(format!("the phase “{}” ends before it starts", p.name));
        }
        let name: String = p.name.trim().chars().take(200).collect();
        if name.is_empty() {
            return Err("a phase has no name".into());
        }
        let task_ids = p
            .task_ids
            .iter()
            .filter_map(|t| t.trim().parse::<Uuid>().ok())
            .filter(|t| known.contains(t) && used.insert(*t))
            .collect();
        out.push(ProposedPhase { key: format!("p-{}", i + 1), name, start_date, end_date, task_ids, reason: p.reason });
    }
    if out.is_empty() {
        return Err("it proposed no phases".into());
    }
    Ok(out)
}
