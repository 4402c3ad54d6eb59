//! How much each person, and the whole server, may ask of the language model:
//! every request to it (a brain dump, a brief's summary) takes one call from
//! the quota first, or is refused before the model is reached.

use crate::error::Error;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// LLM_CALLS_PER_MINUTE (5) and LLM_CALLS_PER_DAY (100) per person;
/// LLM_CALLS_PER_DAY_TOTAL (5,000) for the whole server. A day is the last 24 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub per_minute: i64,
    pub per_day: i64,
    pub server_per_day: i64,
    /// With billing on (ENABLE_STRIPE), what someone without a paying
    /// subscription may make in a day (FREE_AI_REQUESTS_PER_DAY, 10).
    pub free_per_day: Option<i64>,
}

/// What a call is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    BrainDump,
    Brief,
    Phases,
    /// A recording turned into text.
    Voice,
}

impl Quota {
    /// From LLM_CALLS_PER_MINUTE, LLM_CALLS_PER_DAY and LLM_CALLS_PER_DAY_TOTAL.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let number = |k: &str, default: i64| -> anyhow::Result<i64> {
            var(k).map_or(Ok(default), |v| {
                v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| anyhow::anyhow!("{k} must be a positive number"))
            })
        };
        Ok(Quota {
            per_minute: number("LLM_CALLS_PER_MINUTE", 5)?,
            per_day: number("LLM_CALLS_PER_DAY", 100)?,
            server_per_day: number("LLM_CALLS_PER_DAY_TOTAL", 5_000)?,
            free_per_day: crate::billing::stripe::free_ai_per_day(var)?,
        })
    }
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::BrainDump => "brain_dump",
            Purpose::Brief => "brief",
            Purpose::Phases => "phases",
            Purpose::Voice => "voice",
        }
    }
}

/// A person's use of the model, for their profile.
#[derive(Clone, Debug, Serialize)]
pub struct Usage {
    pub today: i64,
    pub per_day: i64,
    pub per_minute: i64,
}

/// One call taken from the quota: what to note its use against once it answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(i64);

/// The tokens a call used, as the service reported them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: u32,
    pub completion: u32,
}

/// Take one call for `user_id` inside the caller's transaction (it counts
/// only if that commits), or refuse with a message saying when to try again.
/// Calls of one person are counted one at a time (a lock until commit).
pub async fn take(conn: &mut PgConnection, user_id: Uuid, purpose: Purpose, quota: &Quota) -> Result<Ticket, Error> {
    sqlx::query!("select pg_advisory_xact_lock(hashtext('llm-quota:' || $1::uuid::text))", user_id)
        .execute(&mut *conn)
        .await?;
    let used = sqlx::query!(
        r#"select count(*) filter (where user_id = $1 and created_at > now() - interval '1 minute') as "minute!",
                  count(*) filter (where user_id = $1) as "day!",
                  count(*) as "server!"
           from llm_calls where created_at > now() - interval '1 day'"#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let free = free_limit(conn, user_id, quota).await?;
    if let Some(free) = free.filter(|free| used.day >= *free) {
        return Err(Error::TooManyRequests(format!(
            "You have used the {free} AI requests a day of the Free plan. Subscribe to Pro on the billing page \
             for {} a day, or wait: they come back over the next 24 hours.",
            quota.per_day
        )));
    }
    if used.day >= quota.per_day {
        return Err(Error::TooManyRequests(format!(
            "You have used your {} AI requests for today. They come back over the next 24 hours; \
             until then, write without processing, or ask the server's owner for a higher limit.",
            quota.per_day
        )));
    }
    if used.minute >= quota.per_minute {
        return Err(Error::TooManyRequests(format!(
            "That is {} AI requests in the last minute, the most allowed. Wait a minute and try again.",
            quota.per_minute
        )));
    }
    if used.server >= quota.server_per_day {
        tracing::warn!(quota.server_per_day, "the server's daily AI budget is used up");
        return Err(Error::TooManyRequests("This server has used its AI budget for today. Try again tomorrow.".into()));
    }
    let id = sqlx::query_scalar!(
        "insert into llm_calls (user_id, purpose) values ($1, $2) returning id",
        user_id,
        purpose.as_str()
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(Ticket(id))
}

tokio::task_local! {
    static COUNTED: std::cell::Cell<Option<Tokens>>;
}

/// Run `work` (one or more model calls), adding up the tokens the service
/// reported on the way ([`count`], called where the answer is read).
pub async fn counting<F: Future>(work: F) -> (F::Output, Option<Tokens>) {
    COUNTED
        .scope(std::cell::Cell::new(None), async move {
            let output = work.await;
            (output, COUNTED.with(|c| c.get()))
        })
        .await
}

/// Tokens reported by the service, added to the [`counting`] in progress, if any.
pub fn count(prompt: u32, completion: u32) {
    let _ = COUNTED.try_with(|c| {
        let so_far = c.get().unwrap_or_default();
        c.set(Some(Tokens { prompt: so_far.prompt + prompt, completion: so_far.completion + completion }));
    });
}

/// Note what call `ticket` used (for the admin overview). Never fails the
/// caller: the answer is already there; a failure to note it is logged.
pub async fn spent(pool: &sqlx::PgPool, ticket: Ticket, model: &str, tokens: Option<Tokens>) {
    let (prompt, completion) = tokens.map_or((None, None), |t| (Some(t.prompt as i32), Some(t.completion as i32)));
    let noted = sqlx::query!(
        "update llm_calls set model = $2, prompt_tokens = $3, completion_tokens = $4 where id = $1",
        ticket.0,
        model.chars().take(100).collect::<String>(),
        prompt,
        completion
    )
    .execute(pool)
    .await;
    if let Err(error) = noted {
        tracing::warn!(%error, "could not note an AI call's use");
    }
}

/// How many calls `user_id` made in the last 24 hours, against their quota.
pub async fn usage(conn: &mut PgConnection, user_id: Uuid, quota: &Quota) -> Result<Usage, Error> {
    let today = sqlx::query_scalar!(
        r#"select count(*) as "n!" from llm_calls where user_id = $1 and created_at > now() - interval '1 day'"#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let per_day = free_limit(conn, user_id, quota).await?.unwrap_or(quota.per_day);
    Ok(Usage { today, per_day, per_minute: quota.per_minute })
}

/// The Free plan's daily limit, when plans apply and `user_id` is not paying for Pro.
async fn free_limit(conn: &mut PgConnection, user_id: Uuid, quota: &Quota) -> Result<Option<i64>, Error> {
    match quota.free_per_day {
        Some(free) if !crate::billing::service::pays(conn, user_id).await? => Ok(Some(free.min(quota.per_day))),
        _ => Ok(None),
    }
}
