//! Text-message settings: the verified phone number and what to send when.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SmsPrefs {
    pub phone: Option<String>,
    pub verified: bool,
    /// A number waiting for its code.
    pub pending_phone: Option<String>,
    pub brief_ready: bool,
    pub task_reminders: bool,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub daily_cap: i16,
    /// Billing is on and this person is not on Pro: texts are not sent (set by the caller that knows the plan).
    #[serde(default)]
    pub needs_pro: bool,
}

/// The most texts a person can allow per day.
pub const DAILY_CAP_MAX: i16 = 50;

/// The text-message settings a person chooses, each valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsPrefsInput {
    pub brief_ready: bool,
    pub task_reminders: bool,
    /// Quiet hours: no texts from the first time to the second (which may be after midnight).
    pub quiet: Option<(NaiveTime, NaiveTime)>,
    /// 0 to [`DAILY_CAP_MAX`].
    pub daily_cap: i16,
}

#[cfg(feature = "server")]
pub use service::*;

#[cfg(feature = "server")]
mod service {
    use super::{SmsPrefs, SmsPrefsInput};
    use crate::error::Error;
    use sqlx::PgConnection;
    use uuid::Uuid;

    pub async fn get_prefs(conn: &mut PgConnection, user_id: Uuid) -> Result<SmsPrefs, Error> {
        let p = sqlx::query!(
            "select phone, verified_at, brief_ready, task_reminders, quiet_start, quiet_end, daily_cap
             from sms_preferences where user_id = $1",
            user_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        let pending = sqlx::query_scalar!(
            "select phone from phone_verifications where user_id = $1 and expires_at > now()",
            user_id
        )
        .fetch_optional(&mut *conn)
        .await?;
        let t = |t: Option<chrono::NaiveTime>| t.map(|t| t.format("%H:%M").to_string());
        Ok(match p {
            None => SmsPrefs { daily_cap: 5, pending_phone: pending, ..SmsPrefs::default() },
            Some(p) => SmsPrefs {
                phone: p.phone,
                verified: p.verified_at.is_some(),
                pending_phone: pending,
                brief_ready: p.brief_ready,
                task_reminders: p.task_reminders,
                quiet_start: t(p.quiet_start),
                quiet_end: t(p.quiet_end),
                daily_cap: p.daily_cap,
                needs_pro: false,
            },
        })
    }

    pub async fn save_prefs(conn: &mut PgConnection, user_id: Uuid, p: &SmsPrefsInput) -> Result<(), Error> {
        sqlx::query!(
            "insert into sms_preferences (user_id, brief_ready, task_reminders, quiet_start, quiet_end, daily_cap)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (user_id) do update set brief_ready = $2, task_reminders = $3, quiet_start = $4,
                                                 quiet_end = $5, daily_cap = $6",
            user_id,
            p.brief_ready,
            p.task_reminders,
            p.quiet.map(|q| q.0),
            p.quiet.map(|q| q.1),
            p.daily_cap
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
