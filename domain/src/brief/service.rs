//! Briefs on the server and in the worker: building the sections, generating,
//! scheduling, listing.

use super::model::{
    AtRisk, BlockMove, Brief, BriefContent, BriefListItem, BriefNote, BriefPrefs, BriefStatus, BriefTask, Frequency,
    ProjectSection, ScheduleLine,
};
use super::schedule::due_date;
use super::summary::{self, SummaryEngine};
use crate::brain_dump::llm::Engine;
use crate::db::{as_user, begin_as};
use crate::error::{Error, internal};
use crate::jobs::{self, BriefJob, EmailJob, Job, SmsJob};
use crate::task::model::Priority;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use uuid::Uuid;

/// The channel on which brief status changes are announced (payload: JSON {user_id, brief_id, status}).
pub const CHANNEL: &str = "brief_status";

/// Build the rule-based sections of a brief for `today` (the person's local date).
pub async fn build_content(conn: &mut PgConnection, user_id: Uuid, today: NaiveDate) -> Result<BriefContent, Error> {
    let projects = sqlx::query!(
        "select id, name, slug from projects
         where user_id = $1 and deleted_at is null and status = 'active' order by lower(name)",
        user_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let week_ahead = today + Duration::days(7);
    let tasks = sqlx::query!(
        r#"select id, project_id as "project_id!", title, priority, status, start_date, due_date, completed_at
           from tasks
           where user_id = $1 and deleted_at is null and project_id = any($2)
             and ((status <> 'done' and (due_date <= $3 or start_date = $4))
                  or (status = 'done' and completed_at >= now() - interval '7 days'))
           order by due_date nulls last, priority = 'high' desc, title"#,
        user_id,
        &ids,
        week_ahead,
        today
    )
    .fetch_all(&mut *conn)
    .await?;
    let notes = sqlx::query!(
        r#"select id, project_id, coalesce(nullif(title, ''), 'Note') as "title!", left(body, 200) as "excerpt!"
           from notes
           where user_id = $1 and deleted_at is null and project_id = any($2) and updated_at >= now() - interval '7 days'
           order by updated_at desc"#,
        user_id,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sections: Vec<ProjectSection> = projects
        .into_iter()
        .map(|p| ProjectSection { project_id: p.id, name: p.name, slug: p.slug, ..ProjectSection::default() })
        .collect();
    let index: HashMap<Uuid, usize> = sections.iter().enumerate().map(|(i, s)| (s.project_id, i)).collect();
    for t in tasks {
        let Some(&i) = index.get(&t.project_id) else { continue };
        let s = &mut sections[i];
        let line = BriefTask {
            id: t.id,
            title: t.title,
            priority: Priority::parse(&t.priority).unwrap_or(Priority::Medium),
            due_date: t.due_date,
        };
        let list = if t.status == "done" {
            &mut s.completed
        } else {
            match t.due_date {
                Some(d) if d < today => &mut s.overdue,
                Some(d) if d == today => &mut s.today,
                _ if t.start_date == Some(today) => &mut s.today,
                Some(_) => &mut s.upcoming,
                None => continue,
            }
        };
        if list.len() < 20 {
            list.push(line);
        }
    }
    for n in notes {
        let Some(&i) = index.get(&n.project_id) else { continue };
        if sections[i].notes.len() < 5 {
            sections[i].notes.push(BriefNote { id: n.id, title: n.title, excerpt: n.excerpt });
        }
    }
    let mut notices = Vec::new();
    let lapsed = sqlx::query_scalar!(
        "select google_email from google_connections where user_id = $1 and status = 'needs_reconnect'",
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(email) = lapsed {
        notices.push(format!(
            "Google Calendar ({email}) needs reconnecting: Google no longer accepts BuildOS's access, so your events \
             and scheduled tasks are not in step. Connect it again on your profile."
        ));
    }
    let (schedule, at_risk, moves) = outlook(conn, user_id, today).await?;
    Ok(BriefContent { projects: sections, notices, schedule, at_risk, moves })
}

/// Today's schedule, the tasks due in the next seven days that the planner
/// finds no time for before their due date, and the planned blocks it would move.
async fn outlook(
    conn: &mut PgConnection,
    user_id: Uuid,
    today: NaiveDate,
) -> Result<(Vec<ScheduleLine>, Vec<AtRisk>, Vec<BlockMove>), Error> {
    use crate::schedule::service as plans;
    let timezone =
        sqlx::query_scalar!("select timezone from users where id = $1", user_id).fetch_one(&mut *conn).await?;
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let schedule = plans::day_agenda(&mut *conn, user_id, &timezone, today)
        .await?
        .into_iter()
        .map(|(start, end, title, task_id)| ScheduleLine {
            time: format!("{}–{}", local(start), local(end)),
            title,
            task_id,
        })
        .collect();
    let last = today + Duration::days(6);
    let proposal = plans::propose(conn, user_id, &timezone, Utc::now(), today, last).await?;
    let due_soon = |d: Option<NaiveDate>| d.filter(|d| (today..=last).contains(d));
    // The blocks to move, from the plan the brief's link opens: today to Sunday.
    let sunday = today + Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
    let this_week = if sunday == last {
        None
    } else {
        Some(plans::propose(conn, user_id, &timezone, Utc::now(), today, sunday).await?)
    };
    let moves = this_week
        .as_ref()
        .unwrap_or(&proposal)
        .placements
        .iter()
        .filter_map(|p| {
            let was = p.was.clone()?;
            let why = p.reason.strip_prefix("moved (").and_then(|r| r.split_once(')')).map(|(w, _)| w.to_string());
            Some(BlockMove {
                task_id: p.task_id,
                title: p.title.clone(),
                was,
                when: p.when.clone(),
                why: why.unwrap_or_else(|| p.reason.clone()),
            })
        })
        .take(20)
        .collect();
    let late = proposal.placements.into_iter().filter(|p| p.late).filter_map(|p| {
        due_soon(p.due).map(|due_date| AtRisk { task_id: p.task_id, title: p.title, due_date, reason: p.reason })
    });
    let unplaced = proposal.unplaced.into_iter().filter_map(|u| {
        due_soon(u.due).map(|due_date| AtRisk { task_id: u.task_id, title: u.title, due_date, reason: u.reason })
    });
    let mut at_risk: Vec<AtRisk> = late.chain(unplaced).collect();
    at_risk.sort_by(|a, b| (a.due_date, &a.title).cmp(&(b.due_date, &b.title)));
    at_risk.truncate(20);
    Ok((schedule, at_risk, moves))
}

/// What a brief generation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generated {
    /// The brief is ready; `email` is the email job enqueued with it, if any.
    Ready { email: Option<Uuid> },
    /// It was ready already (a job run twice): nothing was done.
    AlreadyReady,
}

async fn announce(conn: &mut PgConnection, user_id: Uuid, brief_id: Uuid, status: BriefStatus) -> Result<(), Error> {
    let payload = serde_json::json!({ "user_id": user_id, "brief_id": brief_id, "status": status.as_str() });
    sqlx::query("select pg_notify($1, $2)").bind(CHANNEL).bind(payload.to_string()).execute(conn).await?;
    Ok(())
}

/// Generate brief `brief_id`: sections, summary, then (in one transaction)
/// store it as ready and enqueue its email. Safe to run twice: a ready brief
/// is left alone, and its email has a unique key.
pub async fn generate(
    pool: &PgPool,
    user_id: Uuid,
    brief_id: Uuid,
    engine: &SummaryEngine,
) -> Result<Generated, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select b.brief_date, b.status, u.email, u.display_name, u.email_verified_at is not null as "verified!"
         from briefs b join users u on u.id = b.user_id
         where b.id = $1 and b.user_id = $2 for update of b"#,
        brief_id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.status == "ready" {
        return Ok(Generated::AlreadyReady);
    }
    sqlx::query!("update briefs set status = 'generating', error = null where id = $1", brief_id)
        .execute(&mut *tx)
        .await?;
    announce(&mut tx, user_id, brief_id, BriefStatus::Generating).await?;
    let content = build_content(&mut tx, user_id, row.brief_date).await?;
    tx.commit().await?;

    // Over the person's AI quota, the brief still comes, with the offline summary.
    let (engine, ticket) = match engine {
        Engine::Llm(config) => {
            let mut tx = begin_as(pool, user_id).await?;
            match crate::brain_dump::quota::take(
                &mut tx,
                user_id,
                crate::brain_dump::quota::Purpose::Brief,
                &config.quota,
            )
            .await
            {
                Ok(ticket) => {
                    tx.commit().await?;
                    (engine, Some((ticket, config.model.as_str())))
                }
                Err(Error::TooManyRequests(why)) => {
                    tracing::info!(user.id = %user_id, %why, "brief summary: over the AI quota; offline summary");
                    (&Engine::Offline, None)
                }
                Err(e) => return Err(e),
            }
        }
        Engine::Offline => (engine, None),
    };
    let ((text, used), tokens) =
        crate::brain_dump::quota::counting(summary::summarize(engine, &content, row.brief_date)).await;
    if let Some((ticket, model)) = ticket {
        crate::brain_dump::quota::spent(pool, ticket, model, tokens).await;
    }

    let mut tx = begin_as(pool, user_id).await?;
    let json = serde_json::to_value(&content).map_err(internal)?;
    sqlx::query!(
        "update briefs set status = 'ready', content = $2, summary = $3, summary_engine = $4, generated_at = now(),
                error = null
         where id = $1",
        brief_id,
        json,
        text,
        used
    )
    .execute(&mut *tx)
    .await?;
    let wants_email: bool = sqlx::query_scalar!(
        r#"select coalesce((select email and enabled from brief_preferences where user_id = $1), true) as "e!""#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut email = None;
    // Nothing is mailed or texted to an address nobody has confirmed is theirs.
    if wants_email && row.verified {
        let key = format!("brief:{brief_id}");
        let subject = format!("Your brief for {}", row.brief_date.format("%A %-d %B"));
        let message_id = format!("<brief-{brief_id}@buildos>");
        let id = sqlx::query_scalar!(
            "insert into emails (user_id, key, to_address, subject, message_id) values ($1, $2, $3, $4, $5)
             on conflict (key) do nothing returning id",
            user_id,
            key,
            row.email,
            subject,
            message_id
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            EmailJob { email_id: id, user_id }.enqueue_once(&mut tx, &key).await?;
            email = Some(id);
        }
    }
    // A text when it is ready, for people who asked for one and verified their number.
    let phone = sqlx::query_scalar!(
        "select phone from sms_preferences where user_id = $1 and brief_ready and verified_at is not null",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    if let Some(phone) = phone.filter(|_| row.verified) {
        let key = format!("brief:{brief_id}");
        let body = format!("Your BuildOS brief for {} is ready.", row.brief_date.format("%A %-d %B"));
        let sms_id = sqlx::query_scalar!(
            "insert into sms_messages (user_id, key, to_phone, body) values ($1, $2, $3, $4)
             on conflict (key) do nothing returning id",
            user_id,
            key,
            phone,
            body
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(sms_id) = sms_id {
            SmsJob { sms_id, user_id }.enqueue_once(&mut tx, &key).await?;
        }
    }
    announce(&mut tx, user_id, brief_id, BriefStatus::Ready).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, brief.id = %brief_id, email = email.is_some(), "brief ready");
    Ok(Generated::Ready { email })
}

/// Record that generating brief `brief_id` failed for good (the job gave up).
pub async fn mark_failed(pool: &PgPool, user_id: Uuid, brief_id: Uuid, error: &str) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "update briefs set status = 'failed', error = $2 where id = $1 and status <> 'ready'",
        brief_id,
        error
    )
    .execute(&mut *tx)
    .await?;
    announce(&mut tx, user_id, brief_id, BriefStatus::Failed).await?;
    tx.commit().await?;
    Ok(())
}

/// The hourly scheduler: for everyone whose brief is due at `now` (and who
/// did not sign up after today's brief time), create the
/// brief of their local date and enqueue its job, in one transaction. The
/// unique (person, local date) key makes a second run (another worker, a
/// repeated hour) create nothing. Returns how many briefs were enqueued.
pub async fn schedule_due(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, Error> {
    // The scheduler reads everyone's preferences: the system scope of the RLS policies.
    let mut tx = crate::db::begin_system(pool).await?;
    let people = sqlx::query!(
        r#"select u.id, u.timezone, u.created_at, p.enabled as "enabled?", p.frequency as "frequency?",
                  p.day_of_week as "day_of_week?", p.time_of_day as "time_of_day?"
           from users u left join brief_preferences p on p.user_id = u.id"#
    )
    .fetch_all(&mut *tx)
    .await?;
    let defaults = BriefPrefs::default();
    let (mut users, mut dates) = (Vec::new(), Vec::new());
    for p in people {
        let tz: chrono_tz::Tz = p.timezone.parse().unwrap_or(chrono_tz::UTC);
        let prefs = BriefPrefs {
            enabled: p.enabled.unwrap_or(defaults.enabled),
            frequency: p.frequency.as_deref().and_then(Frequency::parse).unwrap_or(defaults.frequency),
            day_of_week: p.day_of_week.unwrap_or(defaults.day_of_week),
            time_of_day: p.time_of_day.unwrap_or(defaults.time_of_day),
            email: true,
        };
        let Some(date) = due_date(now, tz, &prefs) else { continue };
        // Someone who signed up after today's brief time gets their first
        // brief the next time it is due (or at once, with "Generate now").
        let moment = date.and_time(prefs.time_of_day).and_local_timezone(tz).earliest().map(|m| m.to_utc());
        if moment.is_some_and(|m| m < p.created_at && p.created_at <= now) {
            continue;
        }
        users.push(p.id);
        dates.push(date);
    }
    let created = sqlx::query!(
        "insert into briefs (user_id, brief_date) select * from unnest($1::uuid[], $2::date[])
         on conflict (user_id, brief_date) do nothing returning id, user_id",
        &users,
        &dates
    )
    .fetch_all(&mut *tx)
    .await?;
    let jobs: Vec<BriefJob> = created.iter().map(|r| BriefJob { brief_id: r.id, user_id: r.user_id }).collect();
    jobs::enqueue_many(&mut tx, &jobs).await?;
    tx.commit().await?;
    if !jobs.is_empty() {
        tracing::info!(briefs = jobs.len(), "briefs scheduled");
    }
    Ok(jobs.len())
}

/// "Generate now": (re)generate the brief of the person's local `today`.
pub async fn generate_now(pool: &PgPool, user_id: Uuid, today: NaiveDate) -> Result<Uuid, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let id = sqlx::query_scalar!(
        "insert into briefs (user_id, brief_date) values ($1, $2)
         on conflict (user_id, brief_date) do update set status = 'queued', error = null
           where briefs.status in ('ready', 'failed')
              -- a job that died (or was cancelled) without a word: not stuck forever
              or briefs.updated_at < now() - interval '10 minutes'
         returning id",
        user_id,
        today
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else {
        return Err(Error::Conflict("Today's brief is being generated already.".into()));
    };
    BriefJob { brief_id: id, user_id }.enqueue(&mut tx).await?;
    announce(&mut tx, user_id, id, BriefStatus::Queued).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list_briefs(pool: &PgPool, user_id: Uuid) -> Result<Vec<BriefListItem>, Error> {
    as_user(pool, user_id, move |tx| {
        Box::pin(async move {
            Ok(sqlx::query_as!(
                BriefListItem,
                r#"select id, brief_date, status as "status: _" from briefs where user_id = $1
                   order by brief_date desc limit 60"#,
                user_id
            )
            .fetch_all(tx)
            .await?)
        })
    })
    .await
}

pub async fn get_brief(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<Brief, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let r = sqlx::query!(
        r#"select id, brief_date, status as "status: BriefStatus", content, summary, error, generated_at, created_at
           from briefs where id = $1 and user_id = $2"#,
        id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Brief {
        id: r.id,
        brief_date: r.brief_date,
        status: r.status,
        content: r.content.map(serde_json::from_value).transpose().map_err(internal)?,
        summary: r.summary,
        error: r.error,
        generated_at: r.generated_at,
        created_at: r.created_at,
    })
}

/// Add an exported brief, unless the person has one for that day (none is
/// returned then).
pub async fn import_brief(
    conn: &mut PgConnection,
    user_id: Uuid,
    b: &crate::export::ExportedBrief,
) -> Result<Option<Uuid>, Error> {
    Ok(sqlx::query_scalar!(
        "insert into briefs (user_id, brief_date, status, content, summary, generated_at)
         values ($1, $2, 'ready', $3, $4, $5)
         on conflict (user_id, brief_date) do nothing
         returning id",
        user_id,
        b.brief_date,
        serde_json::to_value(&b.content).map_err(internal)?,
        b.summary,
        b.generated_at
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn get_prefs(conn: &mut PgConnection, user_id: Uuid) -> Result<BriefPrefs, Error> {
    let prefs = sqlx::query_as!(
        BriefPrefs,
        r#"select enabled, frequency as "frequency: _", day_of_week, time_of_day, email
           from brief_preferences where user_id = $1"#,
        user_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(prefs.unwrap_or_default())
}

pub async fn save_prefs(conn: &mut PgConnection, user_id: Uuid, p: &BriefPrefs) -> Result<(), Error> {
    if !(1..=7).contains(&p.day_of_week) {
        return Err(Error::field("day_of_week", "Choose a day of the week."));
    }
    sqlx::query!(
        "insert into brief_preferences (user_id, enabled, frequency, day_of_week, time_of_day, email)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (user_id) do update set enabled = $2, frequency = $3, day_of_week = $4, time_of_day = $5, email = $6",
        user_id,
        p.enabled,
        p.frequency.as_str(),
        p.day_of_week,
        p.time_of_day,
        p.email
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn unsubscribe(pool: &PgPool, user_id: Uuid) -> Result<(), Error> {
    let mut tx = begin_as(pool, user_id).await?;
    sqlx::query!(
        "insert into brief_preferences (user_id, email) values ($1, false)
         on conflict (user_id) do update set email = false",
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, "unsubscribed from brief emails");
    Ok(())
}

/// Whose a signed unsubscribe link is (`secret_key`: SECRET_KEY, when set).
pub async fn unsubscribe_user(pool: &PgPool, secret_key: Option<&str>, token: &str) -> Result<Uuid, Error> {
    let key = crate::notify::token::signing_key(pool, secret_key).await?;
    crate::notify::token::verify(&key, "unsubscribe", token).ok_or_else(|| {
        Error::field("token", "This unsubscribe link is not valid. Use the link from your latest email.")
    })
}
