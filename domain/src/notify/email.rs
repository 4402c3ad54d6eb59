//! Email with lettre: SMTP when SMTP_URL is set (smtp:// with `?tls=required` for
//! STARTTLS, smtps:// for TLS, user:password@ for auth), otherwise .eml files in
//! an outbox directory a developer can open.

use crate::brief::model::{Brief, BriefTask};
use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl std::fmt::Debug for Mailer {
    // The SMTP URL carries a password: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Outbox(dir) => write!(f, "Mailer::Outbox({})", dir.display()),
        }
    }
}

impl Mailer {
    /// SMTP_URL, else EMAIL_HOST (with EMAIL_PORT, EMAIL_USER, EMAIL_PASS and
    /// EMAIL_TLS = none, starttls or tls, the original product's names), else
    /// the outbox in OUTBOX_DIR (default `.data/outbox`).
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        match (var("SMTP_URL"), var("EMAIL_HOST")) {
            (Some(url), _) => Self::smtp(&url),
            (None, Some(host)) => {
                use lettre::transport::smtp::authentication::Credentials;
                let tls = var("EMAIL_TLS").unwrap_or_else(|| "starttls".into());
                let builder = match tls.as_str() {
                    "none" => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)),
                    "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host),
                    "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&host),
                    other => return Err(format!("EMAIL_TLS must be none, starttls or tls, not {other:?}")),
                }
                .map_err(|e| format!("EMAIL_HOST: {e}"))?;
                let mut builder = builder.timeout(Some(std::time::Duration::from_secs(30)));
                if let Some(port) = var("EMAIL_PORT") {
                    builder = builder.port(port.parse().map_err(|_| "EMAIL_PORT must be a number".to_string())?);
                }
                if let (Some(user), Some(pass)) = (var("EMAIL_USER"), var("EMAIL_PASS")) {
                    builder = builder.credentials(Credentials::new(user, pass));
                }
                Ok(Mailer::Smtp(builder.build()))
            }
            (None, None) => {
                let dir = PathBuf::from(var("OUTBOX_DIR").unwrap_or_else(|| ".data/outbox".into()));
                std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::Outbox(dir))
            }
        }
    }

    /// SMTP at `url`: `smtp://host:port` (plain), `?tls=required` (STARTTLS),
    /// `smtps://` (TLS), `user:password@` for AUTH.
    pub fn smtp(url: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|b| Mailer::Smtp(b.timeout(Some(std::time::Duration::from_secs(30))).build()))
            .map_err(|e| format!("SMTP_URL is not a valid SMTP URL: {e}"))
    }

    pub async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Outbox(dir) => AsyncFileTransport::<Tokio1Executor>::new(dir)
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

/// The sender: EMAIL_FROM, or BuildOS at localhost.
pub fn from_address(email_from: Option<&str>) -> Result<Mailbox, String> {
    email_from.unwrap_or("BuildOS <briefs@localhost>").parse().map_err(|e| format!("EMAIL_FROM is not an address: {e}"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The brief as an email: plain text and HTML, with one-click unsubscribe headers.
pub struct BriefEmail<'a> {
    pub from: &'a Mailbox,
    pub to: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
    pub brief: &'a Brief,
    /// The app's public address, for links.
    pub base_url: &'a str,
    pub unsubscribe_token: &'a str,
}

impl BriefEmail<'_> {
    pub fn build(&self) -> Result<Message, String> {
        let base = self.base_url.trim_end_matches('/');
        let unsubscribe = format!("{base}/unsubscribe/one-click?token={}", self.unsubscribe_token);
        let brief_url = format!("{base}/briefs/{}", self.brief.id);
        let (text, html) = self.bodies(base, &brief_url, &unsubscribe);
        let to: Mailbox = self.to.parse().map_err(|e| format!("invalid address {:?}: {e}", self.to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(self.subject)
            .message_id(Some(self.message_id.to_string()))
            .header(ListUnsubscribe(format!("<{unsubscribe}>")))
            .header(ListUnsubscribePost)
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())
    }

    fn bodies(&self, base: &str, brief_url: &str, unsubscribe: &str) -> (String, String) {
        let b = self.brief;
        let mut text = format!("Your brief for {}\n\n", b.brief_date.format("%A %-d %B %Y"));
        let mut html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif;max-width:40em\"><h1>Your brief for {}</h1>",
            esc(&b.brief_date.format("%A %-d %B %Y").to_string())
        );
        if let Some(s) = &b.summary {
            text.push_str(&format!("{s}\n\n"));
            html.push_str(&format!("<p>{}</p>", esc(s)));
        }
        for notice in b.content.iter().flat_map(|c| &c.notices) {
            text.push_str(&format!("! {notice}\n  {base}/profile#google-calendar\n\n"));
            html.push_str(&format!(
                "<p style=\"border:1px solid #f59e0b;padding:.5em\"><strong>{}</strong> <a href=\"{base}/profile#google-calendar\">Reconnect</a></p>",
                esc(notice)
            ));
        }
        let schedule = b.content.iter().flat_map(|c| &c.schedule).collect::<Vec<_>>();
        if !schedule.is_empty() {
            text.push_str("Today's schedule:\n");
            html.push_str("<h2>Today's schedule</h2><ul>");
            for s in schedule {
                text.push_str(&format!("  {} {}\n", s.time, s.title));
                html.push_str(&format!("<li><strong>{}</strong> {}</li>", esc(&s.time), esc(&s.title)));
            }
            text.push('\n');
            html.push_str("</ul>");
        }
        let replan = format!("{base}/calendar?plan=1");
        let moves = b.content.iter().flat_map(|c| &c.moves).collect::<Vec<_>>();
        if !moves.is_empty() {
            text.push_str("Planned blocks to move:\n");
            html.push_str("<h2>Planned blocks to move</h2><ul>");
            for m in moves {
                text.push_str(&format!("  - {}: {} → {} ({})\n", m.title, m.was, m.when, m.why));
                html.push_str(&format!(
                    "<li><strong>{}</strong>: {} → {} ({})</li>",
                    esc(&m.title),
                    esc(&m.was),
                    esc(&m.when),
                    esc(&m.why)
                ));
            }
            text.push_str(&format!("Re-plan your week: {replan}\n\n"));
            html.push_str(&format!("</ul><p><a href=\"{replan}\">Re-plan your week</a></p>"));
        }
        let at_risk = b.content.iter().flat_map(|c| &c.at_risk).collect::<Vec<_>>();
        if !at_risk.is_empty() {
            text.push_str("At risk of missing their due date:\n");
            html.push_str("<h2>At risk of missing their due date</h2><ul>");
            for r in at_risk {
                let due = r.due_date.format("%-d %b");
                text.push_str(&format!("  - {} (due {due}): {}\n", r.title, r.reason));
                html.push_str(&format!("<li><strong>{}</strong> (due {due}): {}</li>", esc(&r.title), esc(&r.reason)));
            }
            text.push_str(&format!("Re-plan your week: {replan}\n\n"));
            html.push_str(&format!("</ul><p><a href=\"{replan}\">Re-plan your week</a></p>"));
        }
        let line = |t: &BriefTask| match t.due_date {
            Some(d) => format!("{} (due {})", t.title, d.format("%-d %b")),
            None => t.title.clone(),
        };
        for p in b.content.iter().flat_map(|c| &c.projects).filter(|p| !p.is_quiet()) {
            text.push_str(&format!("== {} ==\n", p.name));
            html.push_str(&format!("<h2><a href=\"{base}/projects/{}\">{}</a></h2>", esc(&p.slug), esc(&p.name)));
            for (label, tasks) in [
                ("Today", &p.today),
                ("Overdue", &p.overdue),
                ("Next 7 days", &p.upcoming),
                ("Recently completed", &p.completed),
            ] {
                if tasks.is_empty() {
                    continue;
                }
                text.push_str(&format!("{label}:\n"));
                html.push_str(&format!("<h3>{label}</h3><ul>"));
                for t in tasks {
                    text.push_str(&format!("  - {}\n", line(t)));
                    html.push_str(&format!("<li>{}</li>", esc(&line(t))));
                }
                html.push_str("</ul>");
            }
            if !p.notes.is_empty() {
                text.push_str("Recent notes:\n");
                html.push_str("<h3>Recent notes</h3><ul>");
                for n in &p.notes {
                    text.push_str(&format!("  - {}: {}\n", n.title, n.excerpt));
                    html.push_str(&format!("<li><strong>{}</strong>: {}</li>", esc(&n.title), esc(&n.excerpt)));
                }
                html.push_str("</ul>");
            }
            text.push('\n');
        }
        text.push_str(&format!("Open it in BuildOS: {brief_url}\nStop these emails: {unsubscribe}\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">Open it in BuildOS</a></p><p style=\"color:#64748b;font-size:12px\">\
             <a href=\"{}\">Stop these emails</a></p></body></html>",
            esc(brief_url),
            esc(unsubscribe)
        ));
        (text, html)
    }
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// What sending an email did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// It was sent before (the job ran twice): not sent again.
    AlreadySent,
    /// The person unsubscribed meanwhile: not sent.
    Unsubscribed,
}

/// Send email `email_id` (a brief's). The row stays locked while sending, so a
/// duplicate job waits and then finds it sent; it is marked sent in the same
/// transaction. (A crash between the SMTP server's acceptance and the commit,
/// a single round trip, sends it again on retry, with the same Message-ID, so
/// mail systems can drop the copy.)
pub async fn deliver(
    pool: &sqlx::PgPool,
    mailer: &Mailer,
    from: &Mailbox,
    base_url: &str,
    signing_key: &[u8],
    user_id: uuid::Uuid,
    email_id: uuid::Uuid,
) -> Result<Delivery, crate::error::Error> {
    use crate::error::Error;
    let mut tx = crate::db::begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        "select key, to_address, subject, message_id, status from emails where id = $1 and user_id = $2 for update",
        email_id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.status == "sent" {
        return Ok(Delivery::AlreadySent);
    }
    // Unsubscribed since it was queued (or while it waited for a retry): not sent.
    let wanted: bool = sqlx::query_scalar!(
        r#"select coalesce((select email and enabled from brief_preferences where user_id = $1), true) as "w!""#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !wanted {
        sqlx::query!(
            "update emails set status = 'failed', error = 'unsubscribed before it was sent' where id = $1",
            email_id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(Delivery::Unsubscribed);
    }
    let brief_id: uuid::Uuid = row
        .key
        .strip_prefix("brief:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| Error::field("key", "This email is not a brief's."))?;
    tx.commit().await?;
    let brief = crate::brief::service::get_brief(pool, user_id, brief_id).await?;
    let token = super::token::sign(signing_key, "unsubscribe", user_id);
    let message = BriefEmail {
        from,
        to: &row.to_address,
        subject: &row.subject,
        message_id: &row.message_id,
        brief: &brief,
        base_url,
        unsubscribe_token: &token,
    }
    .build()
    .map_err(|m| Error::field("to_address", m))?;

    let mut tx = crate::db::begin_as(pool, user_id).await?;
    let status: String =
        sqlx::query_scalar!("select status from emails where id = $1 for update", email_id).fetch_one(&mut *tx).await?;
    if status == "sent" {
        return Ok(Delivery::AlreadySent);
    }
    // Marked sent before the SMTP exchange and committed right after the
    // server's reply: once the server has the message, only the COMMIT is
    // left in which a crash would send it again.
    sqlx::query!("update emails set status = 'sent', sent_at = now(), error = null where id = $1", email_id)
        .execute(&mut *tx)
        .await?;
    if let Err(error) = mailer.send(message).await {
        tx.rollback().await?;
        let mut tx = crate::db::begin_as(pool, user_id).await?;
        sqlx::query!("update emails set error = $2 where id = $1", email_id, error).execute(&mut *tx).await?;
        tx.commit().await?;
        return Err(Error::Upstream(format!("sending the email failed: {error}")));
    }
    tx.commit().await?;
    tracing::info!(user.id = %user_id, email.id = %email_id, "email sent");
    Ok(Delivery::Sent)
}

#[cfg(test)]
mod tests {
    use super::BriefEmail;
    use crate::brief::model::{AtRisk, BlockMove, Brief, BriefContent, BriefStatus, ScheduleLine};
    use chrono::{NaiveDate, Utc};
    use uuid::Uuid;

    #[test]
    fn a_brief_email_has_todays_schedule_the_blocks_to_move_and_the_tasks_at_risk_with_a_replan_link() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let content = BriefContent {
            schedule: vec![ScheduleLine {
                time: "09:00–09:30".into(), title: "Stand-up <prep>".into(), task_id: None
            }],
            at_risk: vec![AtRisk {
                task_id: Uuid::nil(),
                title: "Huge report".into(),
                due_date: day + chrono::Duration::days(2),
                reason: "10 h is more than your daily maximum (6 h): shorten it or split it".into(),
            }],
            moves: vec![BlockMove {
                task_id: Uuid::nil(),
                title: "Report".into(),
                was: "Tue 8 Dec, 14:00".into(),
                when: "Wed 9 Dec, 09:00–10:00".into(),
                why: "its time is busy now".into(),
            }],
            ..BriefContent::default()
        };
        let brief = Brief {
            id: Uuid::nil(),
            brief_date: day,
            status: BriefStatus::Ready,
            content: Some(content),
            summary: None,
            error: None,
            generated_at: None,
            created_at: Utc::now(),
        };
        let from = "BuildOS <brief@example.com>".parse().unwrap();
        let email = BriefEmail {
            from: &from,
            to: "ada@example.com",
            subject: "Your brief",
            message_id: "<1@example.com>",
            brief: &brief,
            base_url: "https://buildos.example",
            unsubscribe_token: "t",
        };
        let (text, html) = email.bodies("https://buildos.example", "https://buildos.example/briefs/x", "u");
        assert!(text.contains("Today's schedule:\n  09:00–09:30 Stand-up <prep>\n"), "{text}");
        assert!(text.contains("  - Huge report (due 9 Dec): 10 h is more than your daily maximum"), "{text}");
        assert!(text.contains("Re-plan your week: https://buildos.example/calendar?plan=1"), "{text}");
        assert!(
            text.contains("Planned blocks to move:\n  - Report: Tue 8 Dec, 14:00 → Wed 9 Dec, 09:00–10:00 (its time is busy now)\n"),
            "{text}"
        );
        assert!(html.contains("<strong>09:00–09:30</strong> Stand-up &lt;prep&gt;"), "{html}");
        assert!(html.contains("<a href=\"https://buildos.example/calendar?plan=1\">Re-plan your week</a>"), "{html}");
    }
}
