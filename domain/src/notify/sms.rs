//! SMS through Twilio's REST API (no SDK: one form POST), or an outbox file when
//! Twilio is not configured; phone verification; the delivery-status webhook's
//! signature check.
//!
//! Sending is at most once per message: the row is marked `sending` (and
//! committed) before the request, so a retry after a crash in between does not
//! send a second copy; it marks the message failed instead.

use crate::db::begin_as;
use crate::error::Error;
use crate::jobs::{Job, SmsJob};
use crate::settings::SmsCaps;
use base64::Engine as _;
use chrono::{DateTime, NaiveTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Clone)]
pub enum SmsSender {
    Twilio { base_url: String, account_sid: String, auth_token: String, from: String, status_callback: Option<String> },
    Outbox(PathBuf),
}

impl std::fmt::Debug for SmsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSender::Twilio { base_url, .. } => write!(f, "SmsSender::Twilio({base_url})"),
            SmsSender::Outbox(p) => write!(f, "SmsSender::Outbox({})", p.display()),
        }
    }
}

impl SmsSender {
    /// Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are set
    /// (TWILIO_BASE_URL overrides https://api.twilio.com); else the outbox
    /// (OUTBOX_DIR/sms.jsonl).
    pub fn from_vars(env: &dyn Fn(&str) -> Option<String>, public_base_url: &str) -> Self {
        match (env("TWILIO_ACCOUNT_SID"), env("TWILIO_AUTH_TOKEN"), env("TWILIO_FROM_NUMBER")) {
            (Some(account_sid), Some(auth_token), Some(from)) => SmsSender::Twilio {
                base_url: env("TWILIO_BASE_URL").unwrap_or_else(|| "https://api.twilio.com".into()),
                account_sid,
                auth_token,
                from,
                status_callback: Some(format!("{}/webhooks/twilio/status", public_base_url.trim_end_matches('/'))),
            },
            _ => SmsSender::Outbox(PathBuf::from(env("OUTBOX_DIR").unwrap_or_else(|| ".data/outbox".into()))),
        }
    }

    /// Send `body` to `to`; the provider's message id.
    pub async fn send(&self, to: &str, body: &str) -> Result<String, SendError> {
        match self {
            SmsSender::Outbox(dir) => {
                use tokio::io::AsyncWriteExt;
                tokio::fs::create_dir_all(dir).await.map_err(|e| SendError::Retry(e.to_string()))?;
                let sid = format!("outbox-{}", Uuid::new_v4().simple());
                let line =
                    serde_json::json!({ "sid": sid, "to": to, "body": body, "at": Utc::now() }).to_string() + "\n";
                let mut f = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("sms.jsonl"))
                    .await
                    .map_err(|e| SendError::Retry(e.to_string()))?;
                f.write_all(line.as_bytes()).await.map_err(|e| SendError::Retry(e.to_string()))?;
                Ok(sid)
            }
            SmsSender::Twilio { base_url, account_sid, auth_token, from, status_callback } => {
                let url = format!("{}/2010-04-01/Accounts/{account_sid}/Messages.json", base_url.trim_end_matches('/'));
                let mut form = vec![("To", to), ("From", from.as_str()), ("Body", body)];
                if let Some(cb) = status_callback {
                    form.push(("StatusCallback", cb.as_str()));
                }
                let response = reqwest::Client::new()
                    .post(url)
                    .basic_auth(account_sid, Some(auth_token))
                    .form(&form)
                    .timeout(std::time::Duration::from_secs(20))
                    .send()
                    .await
                    .map_err(|e| {
                        // Only a request that never left is safe to send again; after a
                        // timeout Twilio may have accepted it.
                        if e.is_connect() { SendError::Retry(e.to_string()) } else { SendError::Unknown(e.to_string()) }
                    })?;
                let status = response.status();
                let json: serde_json::Value = response.json().await.unwrap_or_default();
                if status.is_success() {
                    // Accepted; without a readable id it is still sent (never again).
                    return Ok(json["sid"].as_str().map(str::to_string).unwrap_or_else(|| "unknown".into()));
                }
                let message = json["message"].as_str().unwrap_or("no message").to_string();
                if status.as_u16() == 429 || status.is_server_error() {
                    Err(SendError::Retry(format!("Twilio answered {status}: {message}")))
                } else {
                    Err(SendError::Refused(format!("Twilio refused the message ({status}): {message}")))
                }
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again (network, 429, 5xx).
    #[error("{0}")]
    Retry(String),
    /// Will never work (invalid number, unverified sender…).
    #[error("{0}")]
    Refused(String),
    /// It may or may not have gone out (a timeout after sending): not sent again.
    #[error("{0}")]
    Unknown(String),
}

/// Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each POST
/// parameter's name and value, sorted by name)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` (X-Twilio-Signature) signs this URL and body (constant-time compare).
pub fn verify_signature(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else { return false };
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac.verify_slice(&given).is_ok()
}

/// What delivering an SMS did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(String),
    /// Sent (or attempted) before: not sent again.
    AlreadyHandled,
    /// Not sent: quiet hours until then; the caller enqueues it again for that time.
    Deferred(DateTime<Utc>),
    /// Not sent, on purpose (daily cap reached, no verified number).
    Suppressed(String),
}

/// Whether local time `t` falls in quiet hours [start, end) (which may wrap midnight).
pub fn in_quiet_hours(t: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    if start <= end { t >= start && t < end } else { t >= start || t < end }
}

/// Send SMS `sms_id`, honouring quiet hours (in the person's timezone) and the
/// daily cap, except for verification codes, which the person just asked for.
pub async fn deliver(
    pool: &PgPool,
    sender: &SmsSender,
    caps: &SmsCaps,
    user_id: Uuid,
    sms_id: Uuid,
) -> Result<Delivery, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    // One person's texts are decided one at a time, so parallel sends cannot all pass the daily cap.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('sms:' || $1::uuid::text))", user_id).execute(&mut *tx).await?;
    let row = sqlx::query!(
        r#"select m.key, m.to_phone, m.body, m.status, u.timezone,
                  p.quiet_start as "quiet_start?", p.quiet_end as "quiet_end?", p.daily_cap as "daily_cap?",
                  (select count(*) from sms_messages s where s.user_id = m.user_id and s.id <> m.id
                     and s.status in ('sending', 'sent', 'delivered') and s.created_at > now() - interval '1 day')
                    as "sent_today!"
           from sms_messages m join users u on u.id = m.user_id
           left join sms_preferences p on p.user_id = m.user_id
           where m.id = $1 and m.user_id = $2 for update of m"#,
        sms_id,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    match row.status.as_str() {
        "queued" => {}
        "sending" => {
            // Interrupted mid-send: it may have gone out. Not sent twice.
            sqlx::query!(
                "update sms_messages set status = 'failed', error = 'interrupted while sending; not sent again' where id = $1",
                sms_id
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(Delivery::AlreadyHandled);
        }
        _ => return Ok(Delivery::AlreadyHandled),
    }
    // Whoever asks, one number gets a few texts a day, and the server a bounded number.
    if let Some(reason) = over_caps(&mut tx, caps, &row.to_phone, Some(sms_id)).await? {
        sqlx::query!("update sms_messages set status = 'suppressed', error = $2 where id = $1", sms_id, reason)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(Delivery::Suppressed(reason));
    }
    let verification = row.key.starts_with("verify:");
    if !verification {
        if let (Some(start), Some(end)) = (row.quiet_start, row.quiet_end) {
            let tz: chrono_tz::Tz = row.timezone.parse().unwrap_or(chrono_tz::UTC);
            let now = Utc::now().with_timezone(&tz);
            if in_quiet_hours(now.time(), start, end) {
                let mut until = now.date_naive().and_time(end);
                if until <= now.naive_local() {
                    until += chrono::Duration::days(1);
                }
                let until = until.and_local_timezone(tz).earliest().map(|t| t.with_timezone(&Utc));
                tx.commit().await?;
                return Ok(Delivery::Deferred(until.unwrap_or_else(|| Utc::now() + chrono::Duration::hours(1))));
            }
        }
        let reason = if caps.need_plan && !crate::billing::service::pays(&mut tx, user_id).await? {
            Some("texts are part of the Pro plan")
        } else if row.sent_today >= i64::from(row.daily_cap.unwrap_or(5)) {
            Some("daily SMS limit reached")
        } else {
            None
        };
        if let Some(reason) = reason.map(String::from) {
            sqlx::query!("update sms_messages set status = 'suppressed', error = $2 where id = $1", sms_id, reason)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Delivery::Suppressed(reason));
        }
    }
    sqlx::query!("update sms_messages set status = 'sending' where id = $1", sms_id).execute(&mut *tx).await?;
    tx.commit().await?;

    let result = sender.send(&row.to_phone, &row.body).await;
    let mut tx = begin_as(pool, user_id).await?;
    match result {
        Ok(sid) => {
            sqlx::query!(
                "update sms_messages set status = 'sent', provider_sid = $2, sent_at = now(), error = null where id = $1",
                sms_id,
                sid
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Delivery::Sent(sid))
        }
        Err(e) => {
            // Not sent: back to queued for a retry, or failed for good.
            let (status, err) = match &e {
                SendError::Retry(_) => ("queued", Error::Upstream(e.to_string())),
                SendError::Refused(m) | SendError::Unknown(m) => ("failed", Error::field("to_phone", m.clone())),
            };
            sqlx::query!(
                "update sms_messages set status = $2, error = $3 where id = $1",
                sms_id,
                status,
                e.to_string()
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Err(err)
        }
    }
}

/// Why a text to `phone` may not be sent today (the caps on one number and on
/// the whole server, over every person's texts), if it may not. `except`: the
/// text being decided. Counted inside the caller's transaction under a lock on
/// the number, which it holds until it commits what it decided.
async fn over_caps(
    conn: &mut sqlx::PgConnection,
    caps: &SmsCaps,
    phone: &str,
    except: Option<Uuid>,
) -> Result<Option<String>, Error> {
    sqlx::query!("select pg_advisory_xact_lock(hashtext('sms-number:' || $1))", phone).execute(&mut *conn).await?;
    // Everyone's texts are counted (only these two numbers come back).
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *conn).await?;
    let sent = sqlx::query!(
        r#"select count(*) filter (where to_phone = $1) as "number!", count(*) as "all!" from sms_messages
           where status in ('sending', 'sent', 'delivered') and created_at > now() - interval '1 day'
             and id is distinct from $2"#,
        phone,
        except
    )
    .fetch_one(&mut *conn)
    .await;
    sqlx::query("select set_config('app.system', '', true)").execute(&mut *conn).await?;
    let sent = sent?;
    Ok(if sent.number >= caps.per_number_per_day {
        Some(format!("this number had {} texts in the last day, the most it gets", caps.per_number_per_day))
    } else if sent.all >= caps.per_day {
        tracing::warn!(sms.per_day = caps.per_day, "the server's daily text cap was reached");
        Some("the server's daily text limit was reached".into())
    } else {
        None
    })
}

/// A phone number in E.164 form (+ and 7 to 15 digits), spaces and dashes removed.
pub fn normalize_phone(raw: &str) -> Result<String, Error> {
    let p: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let digits = p.strip_prefix('+').unwrap_or("");
    let ok = (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    if ok {
        Ok(p)
    } else {
        Err(Error::field("phone", "Enter the number in international form, starting with + and the country code."))
    }
}

fn code_hash(user_id: Uuid, code: &str) -> String {
    let digest = Sha256::digest(format!("{user_id}:{}", code.trim()).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub const CODE_MINUTES: i64 = 10;
pub const CODE_ATTEMPTS: i16 = 5;
/// Verification texts per person per day.
pub const VERIFY_PER_DAY: i64 = 5;

/// Start verifying `phone`: a six-digit code by SMS, valid 10 minutes, 5 tries.
/// A new code can be asked for once a minute.
pub async fn start_verification(pool: &PgPool, caps: &SmsCaps, user_id: Uuid, phone: &str) -> Result<(), Error> {
    let phone = normalize_phone(phone)?;
    let verified: bool =
        sqlx::query_scalar!(r#"select email_verified_at is not null as "v!" from users where id = $1"#, user_id)
            .fetch_one(pool)
            .await?;
    if !verified {
        return Err(Error::field("phone", "Confirm your email address first (the link is in your inbox)."));
    }
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let mut tx = begin_as(pool, user_id).await?;
    // One request per person at a time (until commit): parallel requests
    // would each pass the checks below before any had written its code.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('phone-verification:' || $1::uuid::text))", user_id)
        .execute(&mut *tx)
        .await?;
    let recent: bool = sqlx::query_scalar!(
        r#"select exists (select 1 from phone_verifications
                          where user_id = $1 and created_at > now() - interval '1 minute') as "r!""#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if recent {
        return Err(Error::TooManyRequests("A code was sent less than a minute ago; wait a moment.".into()));
    }
    if over_caps(&mut tx, caps, &phone, None).await?.is_some() {
        return Err(Error::TooManyRequests("This number cannot get more texts today. Try again tomorrow.".into()));
    }
    // Codes cost money and each resets the guesses: a few a day per person.
    let today: i64 = sqlx::query_scalar!(
        r#"select count(*) as "n!" from sms_messages
           where user_id = $1 and key like 'verify:%' and created_at > now() - interval '1 day'"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if today >= VERIFY_PER_DAY {
        return Err(Error::TooManyRequests(format!(
            "{VERIFY_PER_DAY} codes were sent in the last day; try again tomorrow."
        )));
    }
    sqlx::query!(
        "insert into phone_verifications (user_id, phone, code_hash, expires_at)
         values ($1, $2, $3, now() + make_interval(mins => $4::int))
         on conflict (user_id) do update set phone = $2, code_hash = $3, attempts = 0, expires_at = excluded.expires_at,
                                             created_at = now()",
        user_id,
        phone,
        code_hash(user_id, &code),
        CODE_MINUTES as i32
    )
    .execute(&mut *tx)
    .await?;
    let key = format!("verify:{}", Uuid::new_v4());
    let body = format!("Your BuildOS code is {code}. It expires in {CODE_MINUTES} minutes.");
    let sms_id = sqlx::query_scalar!(
        "insert into sms_messages (user_id, key, to_phone, body) values ($1, $2, $3, $4) returning id",
        user_id,
        key,
        phone,
        body
    )
    .fetch_one(&mut *tx)
    .await?;
    SmsJob { sms_id, user_id }.enqueue_once(&mut tx, &key).await?;
    tx.commit().await?;
    Ok(())
}

/// Check the code; on success the number becomes the person's verified number.
pub async fn confirm_verification(pool: &PgPool, user_id: Uuid, code: &str) -> Result<String, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select phone, code_hash, attempts, expires_at < now() as "expired!"
           from phone_verifications where user_id = $1 for update"#,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| Error::field("code", "Ask for a code first."))?;
    if row.expired {
        return Err(Error::field("code", "This code has expired; ask for a new one."));
    }
    if row.attempts >= CODE_ATTEMPTS {
        return Err(Error::field("code", "Too many wrong codes; ask for a new one."));
    }
    if code_hash(user_id, code) != row.code_hash {
        sqlx::query!("update phone_verifications set attempts = attempts + 1 where user_id = $1", user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let left = CODE_ATTEMPTS - row.attempts - 1;
        return Err(Error::field(
            "code",
            if left > 0 {
                format!("That code is not right; {left} tries left.")
            } else {
                "That code is not right, and that was the last try; ask for a new one.".to_string()
            },
        ));
    }
    sqlx::query!(
        "insert into sms_preferences (user_id, phone, verified_at) values ($1, $2, now())
         on conflict (user_id) do update set phone = $2, verified_at = now()",
        user_id,
        row.phone
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("delete from phone_verifications where user_id = $1", user_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(row.phone)
}

/// The delivery-status webhook's update (signature already checked): the
/// message with this provider id gets Twilio's status.
pub async fn record_status(pool: &PgPool, provider_sid: &str, status: &str) -> Result<bool, Error> {
    let ours = match status {
        "delivered" => "delivered",
        "undelivered" => "undelivered",
        "failed" => "failed",
        "sent" => "sent",
        _ => return Ok(false),
    };
    // Twilio does not say whose message it is: the system scope finds it by its id.
    let mut tx = crate::db::begin_system(pool).await?;
    // Only forward: a late or replayed "sent" never overwrites "delivered".
    let n = sqlx::query!(
        "update sms_messages set status = $2
         where provider_sid = $1 and (status in ('sending', 'sent') or (status = 'undelivered' and $2 = 'delivered'))",
        provider_sid,
        ours
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n > 0)
}

/// Task reminders: once a day, from the person's brief time (09:00 without
/// brief settings), one text listing what is due today, for people who turned
/// reminders on and verified their number. One per person per local date
/// (its key), so the hourly tick and several workers send it once. Quiet hours
/// and the daily limit apply when it is sent. Returns how many were enqueued.
pub async fn schedule_reminders(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, Error> {
    let mut tx = crate::db::begin_system(pool).await?;
    let people = sqlx::query!(
        r#"select u.id, u.timezone, s.phone as "phone!", coalesce(b.time_of_day, '09:00') as "at!"
           from users u join sms_preferences s on s.user_id = u.id
           left join brief_preferences b on b.user_id = u.id
           where s.task_reminders and s.verified_at is not null and s.phone is not null
             and u.email_verified_at is not null"#
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut enqueued = 0;
    for p in people {
        let tz: chrono_tz::Tz = p.timezone.parse().unwrap_or(chrono_tz::UTC);
        let local = now.with_timezone(&tz);
        if local.time() < p.at {
            continue;
        }
        let today = local.date_naive();
        let mut tx = begin_as(pool, p.id).await?;
        let due: Vec<String> = sqlx::query_scalar!(
            "select title from tasks where user_id = $1 and deleted_at is null and status <> 'done' and due_date = $2
             order by priority = 'high' desc, title limit 6",
            p.id,
            today
        )
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            continue;
        }
        let mut list = due.iter().take(5).map(String::as_str).collect::<Vec<_>>().join("; ");
        if due.len() > 5 {
            list.push_str("; and more");
        }
        let body: String = format!("Due today: {list}").chars().take(300).collect();
        let key = format!("reminders:{}:{today}", p.id);
        let sms_id = sqlx::query_scalar!(
            "insert into sms_messages (user_id, key, to_phone, body) values ($1, $2, $3, $4)
             on conflict (key) do nothing returning id",
            p.id,
            key,
            p.phone,
            body
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(sms_id) = sms_id {
            SmsJob { sms_id, user_id: p.id }.enqueue_once(&mut tx, &key).await?;
            enqueued += 1;
        }
        tx.commit().await?;
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_signature_matches_their_documented_example() {
        // From Twilio's "Validating requests" documentation.
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let sig = signature("12345", url, &params);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify_signature("12345", url, &params, &sig));
        assert!(!verify_signature("12345", "https://example.com/other", &params, &sig));
        let mut tampered = params.clone();
        tampered[2].1 = "9999".into();
        assert!(!verify_signature("12345", url, &tampered, &sig));
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        assert!(in_quiet_hours(t(23), t(22), t(7)));
        assert!(in_quiet_hours(t(3), t(22), t(7)));
        assert!(!in_quiet_hours(t(7), t(22), t(7)));
        assert!(in_quiet_hours(t(13), t(12), t(14)));
        assert!(!in_quiet_hours(t(14), t(12), t(14)));
    }

    #[test]
    fn phone_numbers_are_normalised_or_refused() {
        assert_eq!(normalize_phone("+1 (415) 555-0100").unwrap(), "+14155550100");
        assert!(normalize_phone("0415 555 0100").is_err());
        assert!(normalize_phone("+0123456789").is_err());
        assert!(normalize_phone("+12").is_err());
    }
}
