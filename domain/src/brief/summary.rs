//! The brief's analysis paragraph: from the LLM when one is configured, else
//! written by rules (the offline summary). A failing LLM falls back to rules.

use super::model::{BriefContent, BriefTask};
use crate::brain_dump::llm::{Engine, LlmConfig};
use crate::task::model::Priority;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs, CreateChatCompletionRequestArgs,
};
use chrono::NaiveDate;

/// Same configuration as the brain dump's engine.
pub type SummaryEngine = Engine;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary written by rules: counts, then where to start.
pub fn offline(content: &BriefContent, today: NaiveDate) -> String {
    let today_n = content.count(|p| p.today.len());
    let overdue_n = content.count(|p| p.overdue.len());
    let upcoming_n = content.count(|p| p.upcoming.len());
    let done_n = content.count(|p| p.completed.len());
    let busy = content.projects.iter().filter(|p| !p.today.is_empty() || !p.overdue.is_empty()).count();
    if content.projects.is_empty() {
        return "You have no active projects yet. Pour out what is on your mind in a brain dump and BuildOS will set them up.".into();
    }
    let mut out = Vec::new();
    if today_n + overdue_n == 0 {
        out.push("Nothing is due today.".to_string());
    } else {
        let mut s = format!("Today: {}", plural(today_n, "task", "tasks"));
        if overdue_n > 0 {
            s.push_str(&format!(" and {overdue_n} overdue"));
        }
        s.push_str(&format!(", across {}.", plural(busy.max(1), "project", "projects")));
        out.push(s);
    }
    if upcoming_n > 0 {
        out.push(format!("{} due in the next seven days.", plural(upcoming_n, "more is", "more are")));
    }
    if done_n > 0 {
        out.push(format!("You finished {} this past week.", plural(done_n, "task", "tasks")));
    }
    // Where to start: the oldest overdue task, else the first high-priority one due today.
    let overdue: Vec<&BriefTask> = content.projects.iter().flat_map(|p| &p.overdue).collect();
    let first = overdue
        .iter()
        .min_by_key(|t| t.due_date)
        .copied()
        .or_else(|| content.projects.iter().flat_map(|p| &p.today).find(|t| t.priority == Priority::High))
        .or_else(|| content.projects.iter().flat_map(|p| &p.today).next());
    if let Some(t) = first {
        let when = match t.due_date {
            Some(d) if d < today => format!(" (due {})", d.format("%-d %B")),
            _ => String::new(),
        };
        out.push(format!("Start with “{}”{when}.", t.title));
    }
    out.join(" ")
}

async fn ask(config: &LlmConfig, content: &BriefContent, today: NaiveDate) -> Result<String, String> {
    let data = serde_json::to_string(content).map_err(|e| e.to_string())?;
    let err = |e: async_openai::error::OpenAIError| e.to_string();
    let request = CreateChatCompletionRequestArgs::default()
        .model(config.model.clone())
        .max_completion_tokens(config.max_tokens)
        .messages([
            ChatCompletionRequestSystemMessageArgs::default()
                .content(
                    "Write one short paragraph (at most 90 words) for this person's morning brief: what matters \
                     most today across their projects, what is slipping, and where to start. Plain text, no lists.",
                )
                .build()
                .map_err(err)?
                .into(),
            ChatCompletionRequestUserMessageArgs::default()
                .content(format!("Today is {today}. The brief, as JSON:\n{data}"))
                .build()
                .map_err(err)?
                .into(),
        ])
        .build()
        .map_err(err)?;
    let response = config.chat("brief", request).await?;
    response
        .choices
        .first()
        .and_then(|c| c.message.content.clone())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "the answer was empty".into())
}

/// The summary and which engine wrote it ("llm" or "offline").
pub async fn summarize(engine: &SummaryEngine, content: &BriefContent, today: NaiveDate) -> (String, &'static str) {
    if let Engine::Llm(config) = engine {
        match ask(config, content, today).await {
            Ok(text) => return (text, "llm"),
            Err(error) => tracing::warn!(%error, "brief summary: the LLM failed; using the offline summary"),
        }
    }
    (offline(content, today), "offline")
}
