//! Calendars brought in from elsewhere: an uploaded .ics file, or an address
//! the worker refreshes hourly. Their events (repeating ones expanded over a
//! window around today) count as busy time and show on the calendar page.

use super::model::{BusyEvent, CalendarSource};
use crate::db::begin_as;
use crate::error::Error;
use crate::settings::Settings;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
use sqlx::{PgConnection, PgPool};
use std::str::FromStr;
use uuid::Uuid;

/// The largest calendar read, in bytes.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most events kept from one calendar.
pub const MAX_EVENTS: usize = 20_000;
/// Repeating events are expanded from this long ago…
const PAST: Duration = Duration::days(31);
/// …to this far ahead.
const AHEAD: Duration = Duration::days(366);

/// One busy stretch read from a calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    pub uid: String,
    pub summary: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
}

/// The instant a date or date-time names; dates and floating times are read in `tz`.
fn instant(v: &DatePerhapsTime, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    // A local time that does not exist (a clock change at midnight) is read an hour later.
    let local = |naive: chrono::NaiveDateTime| {
        tz.from_local_datetime(&naive)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(naive + Duration::hours(1))).earliest())
            .map(|t| t.with_timezone(&Utc))
    };
    match v {
        DatePerhapsTime::Date(d) => local(d.and_hms_opt(0, 0, 0)?),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Some(*t),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(naive)) => local(*naive),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            let zone: chrono_tz::Tz = tzid.parse().unwrap_or(tz);
            zone.from_local_datetime(date_time).earliest().map(|t| t.with_timezone(&Utc))
        }
    }
}

/// The events of ICS `text` between `now - 31 days` and `now + 366 days`,
/// repeating ones expanded (dates and floating times in the person's `tz`).
pub fn read(text: &str, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Vec<Busy>, String> {
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err("This is not an iCalendar (.ics) file: it does not start with BEGIN:VCALENDAR.".into());
    }
    let cal = icalendar::Calendar::from_str(text).map_err(|e| format!("The calendar could not be read: {e}"))?;
    let (from, to) = (now - PAST, now + AHEAD);
    let mut out = Vec::new();
    // Single changed occurrences (RECURRENCE-ID) replace those of their series.
    let moved: std::collections::HashSet<(String, DateTime<Utc>)> = cal
        .events()
        .filter_map(|e| {
            let at = DatePerhapsTime::from_property(e.properties().get("RECURRENCE-ID")?)?;
            Some((e.get_uid()?.to_string(), instant(&at, tz)?))
        })
        .collect();
    for e in cal.calendar_events() {
        if e.property_value("STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
            || e.property_value("TRANSP").is_some_and(|s| s.eq_ignore_ascii_case("TRANSPARENT"))
        {
            continue;
        }
        let Some(start) = e.get_start() else { continue };
        let all_day = matches!(start, DatePerhapsTime::Date(_));
        let Some(starts_at) = instant(&start, tz) else { continue };
        // An all-day event ending where it starts (common, if not by the RFC) is one day.
        let ends_at = e
            .get_end()
            .and_then(|end| instant(&end, tz))
            .filter(|end| *end > starts_at || (!all_day && *end == starts_at))
            .unwrap_or(starts_at + if all_day { Duration::days(1) } else { Duration::zero() });
        let uid = e.get_uid().map_or_else(|| format!("{starts_at}-{}", out.len()), str::to_string);
        let summary = e.get_summary().unwrap_or("Busy").chars().take(500).collect::<String>();
        let length = ends_at - starts_at;
        let starts: Vec<DateTime<Utc>> = if e.property_value("RRULE").is_some()
            && e.properties().get("RECURRENCE-ID").is_none()
        {
            let set =
                e.get_recurrence().map_err(|err| format!("A repeat rule of “{summary}” could not be read: {err}"))?;
            let rrule_tz = icalendar::Tz::UTC;
            set.after(rrule_tz.from_utc_datetime(&(from - length).naive_utc()))
                .before(rrule_tz.from_utc_datetime(&to.naive_utc()))
                .all(u16::MAX)
                .dates
                .into_iter()
                .map(|d| d.with_timezone(&Utc))
                .filter(|d| e.properties().get("RECURRENCE-ID").is_some() || !moved.contains(&(uid.clone(), *d)))
                .collect()
        } else {
            vec![starts_at]
        };
        for s in starts {
            if s + length < from || s > to {
                continue;
            }
            out.push(Busy { uid: uid.clone(), summary: summary.clone(), starts_at: s, ends_at: s + length, all_day });
            if out.len() > MAX_EVENTS {
                return Err(format!("This calendar has more than {MAX_EVENTS} events in the coming year."));
            }
        }
    }
    // The same (uid, start) twice would break the table's key: keep the first.
    let mut seen = std::collections::HashSet::new();
    out.retain(|b| seen.insert((b.uid.clone(), b.starts_at)));
    Ok(out)
}

/// Where a calendar comes from.
pub enum Origin {
    Url(String),
    File(String),
}

/// Refuse addresses that could make the server probe its own network. (The
/// name is resolved again when connecting, so a host that changes its answer
/// in between — DNS rebinding — is not caught here; redirects are not followed.)
async fn check_address(url: &reqwest::Url, settings: &Settings) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The address must start with https:// (or webcal://).".into());
    }
    if settings.calendar_fetch_private {
        return Ok(());
    }
    let host = url.host_str().ok_or("The address has no host.")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs = tokio::net::lookup_host((host, port)).await.map_err(|_| format!("No such host: {host}."))?;
    for a in addrs {
        let ip = a.ip();
        let private = match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified() || v4.is_broadcast()
            }
            std::net::IpAddr::V6(v6) => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
        if private {
            return Err(format!("{host} is on a private network; this server does not fetch from there."));
        }
    }
    Ok(())
}

/// Download the calendar at `address` (webcal:// is read as https://).
pub async fn fetch(address: &str, settings: &Settings) -> Result<String, String> {
    let address = address.trim();
    let address = match address.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => address.to_string(),
    };
    let url = reqwest::Url::parse(&address).map_err(|_| "This is not a web address.".to_string())?;
    check_address(&url, settings).await?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        // Redirects would skip the address check.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut response =
        client.get(url).send().await.map_err(|e| format!("The calendar could not be fetched: {}", e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("The calendar's server answered {}.", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("The download failed: {}", e.without_url()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(format!("The calendar is larger than {} MB.", MAX_BYTES / 1024 / 1024));
        }
    }
    String::from_utf8(body).map_err(|_| "The calendar is not UTF-8 text.".to_string())
}

async fn timezone_of(conn: &mut PgConnection, user_id: Uuid) -> Result<chrono_tz::Tz, Error> {
    let tz = sqlx::query_scalar!("select timezone from users where id = $1", user_id).fetch_one(conn).await?;
    Ok(tz.parse().unwrap_or(chrono_tz::UTC))
}

/// Put `events` in place of what source `id` held.
async fn replace_events(conn: &mut PgConnection, user_id: Uuid, id: Uuid, events: &[Busy]) -> Result<(), Error> {
    sqlx::query!("delete from calendar_events where source_id = $1", id).execute(&mut *conn).await?;
    let col = |f: fn(&Busy) -> String| events.iter().map(f).collect::<Vec<_>>();
    sqlx::query!(
        "insert into calendar_events (source_id, user_id, uid, summary, starts_at, ends_at, all_day)
         select $1, $2, * from unnest($3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bool[])",
        id,
        user_id,
        &col(|b| b.uid.clone()),
        &col(|b| b.summary.clone()),
        &events.iter().map(|b| b.starts_at).collect::<Vec<_>>(),
        &events.iter().map(|b| b.ends_at).collect::<Vec<_>>(),
        &events.iter().map(|b| b.all_day).collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update calendar_sources set events = $2, refreshed_at = now(), error = null where id = $1",
        id,
        events.len() as i32
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Add a calendar named `name`: read (or downloaded) first, so a bad file or
/// address is a clear error on its field and nothing is added.
pub async fn add(pool: &PgPool, settings: &Settings, user_id: Uuid, name: &str, origin: Origin) -> Result<Uuid, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::field("name", "Give the calendar a name (up to 200 characters)."));
    }
    let (field, url, text) = match origin {
        Origin::Url(u) => {
            if u.trim().is_empty() || u.len() > 2000 {
                return Err(Error::field("url", "Paste the calendar's address (up to 2,000 characters)."));
            }
            let text = fetch(&u, settings).await.map_err(|m| Error::field("url", m))?;
            ("url", Some(u.trim().to_string()), text)
        }
        Origin::File(text) => ("file", None, text),
    };
    if text.len() > MAX_BYTES {
        return Err(Error::field(field, format!("The calendar is larger than {} MB.", MAX_BYTES / 1024 / 1024)));
    }
    let mut tx = begin_as(pool, user_id).await?;
    let tz = timezone_of(&mut tx, user_id).await?;
    let events = read(&text, tz, Utc::now()).map_err(|m| Error::field(field, m))?;
    let id = sqlx::query_scalar!(
        "insert into calendar_sources (user_id, name, url) values ($1, $2, $3) returning id",
        user_id,
        name,
        url
    )
    .fetch_one(&mut *tx)
    .await?;
    replace_events(&mut tx, user_id, id, &events).await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, calendar.id = %id, events = events.len(), "calendar added");
    Ok(id)
}

/// Download source `id` again and put its events in place. A failure is kept
/// on the source (shown on the calendar page) and its earlier events stay.
pub async fn refresh(pool: &PgPool, settings: &Settings, user_id: Uuid, id: Uuid) -> Result<usize, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let url = sqlx::query_scalar!("select url from calendar_sources where id = $1 and user_id = $2", id, user_id)
        .fetch_one(&mut *tx)
        .await?
        .ok_or_else(|| Error::Conflict("An uploaded file cannot be refreshed: upload it again.".into()))?;
    let tz = timezone_of(&mut tx, user_id).await?;
    tx.commit().await?;
    let result = match fetch(&url, settings).await {
        Ok(text) => read(&text, tz, Utc::now()),
        Err(e) => Err(e),
    };
    let mut tx = begin_as(pool, user_id).await?;
    match result {
        Ok(events) => {
            replace_events(&mut tx, user_id, id, &events).await?;
            tx.commit().await?;
            tracing::info!(user.id = %user_id, calendar.id = %id, events = events.len(), "calendar refreshed");
            Ok(events.len())
        }
        Err(message) => {
            sqlx::query!("update calendar_sources set error = $2 where id = $1", id, message).execute(&mut *tx).await?;
            tx.commit().await?;
            tracing::warn!(user.id = %user_id, calendar.id = %id, error = %message, "calendar refresh failed");
            Err(Error::Upstream(message))
        }
    }
}

/// Remove a calendar and its events.
pub async fn remove(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> Result<(), Error> {
    let done =
        sqlx::query!("delete from calendar_sources where id = $1 and user_id = $2", id, user_id).execute(conn).await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Mark calendar `id` as holidays (its all-day events are days off for
/// planning) or not.
pub async fn set_holidays(conn: &mut PgConnection, user_id: Uuid, id: Uuid, holidays: bool) -> Result<(), Error> {
    let done =
        sqlx::query!("update calendar_sources set holidays = $3 where id = $1 and user_id = $2", id, user_id, holidays)
            .execute(conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    tracing::info!(user.id = %user_id, calendar.id = %id, holidays, "calendar holidays set");
    Ok(())
}

/// The local days (in `tz`) between `span` that an all-day event of a
/// holiday calendar covers.
pub async fn holidays_between(
    conn: &mut PgConnection,
    user_id: Uuid,
    tz: chrono_tz::Tz,
    span: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<NaiveDate>, Error> {
    Ok(sqlx::query_scalar!(
        r#"select distinct d::date as "day!"
           from calendar_events e join calendar_sources s on s.id = e.source_id,
                generate_series((e.starts_at at time zone $4)::date,
                                ((e.ends_at - interval '1 second') at time zone $4)::date, interval '1 day') d
           where e.user_id = $1 and s.holidays and e.all_day and e.starts_at < $3 and e.ends_at > $2
           order by 1 limit 400"#,
        user_id,
        span.0,
        span.1,
        tz.name()
    )
    .fetch_all(conn)
    .await?)
}

pub async fn list_sources(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<CalendarSource>, Error> {
    Ok(sqlx::query_as!(
        CalendarSource,
        "select id, name, url, refreshed_at, error, events, holidays from calendar_sources where user_id = $1
         order by created_at",
        user_id
    )
    .fetch_all(conn)
    .await?)
}

/// The person's busy events overlapping the days `from` to `to` (inclusive),
/// in `timezone`: imported calendars' and the Google calendars counted as busy.
pub async fn busy_between(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    timezone: &str,
) -> Result<Vec<BusyEvent>, Error> {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let start = instant(&DatePerhapsTime::Date(from), tz).unwrap_or_default();
    let end = instant(&DatePerhapsTime::Date(to + chrono::Days::new(1)), tz).unwrap_or_default();
    Ok(sqlx::query_as!(
        BusyEvent,
        r#"with busy as (
             select e.summary, e.starts_at, e.ends_at, e.all_day, s.name as source
             from calendar_events e join calendar_sources s on s.id = e.source_id
             where e.user_id = $1 and e.starts_at < $3 and (e.ends_at > $2 or e.starts_at >= $2)
             union all
             select g.summary, g.starts_at, g.ends_at, g.all_day, c.summary
             from google_events g join google_calendars c using (user_id, calendar_id)
             where g.user_id = $1 and c.busy and g.starts_at < $3 and (g.ends_at > $2 or g.starts_at >= $2))
           select summary as "summary!", starts_at as "starts_at!", ends_at as "ends_at!", all_day as "all_day!",
                  source as "source!",
                  case when all_day then 'All day'
                       else to_char(starts_at at time zone $4, 'HH24:MI') || '–'
                            || to_char(ends_at at time zone $4, 'HH24:MI') end as "time!"
           from busy order by all_day desc, starts_at limit 2000"#,
        user_id,
        start,
        end,
        tz.name()
    )
    .fetch_all(conn)
    .await?)
}

/// The address calendars last refreshed more than an hour ago (for the worker's
/// hourly tick), as (source, person).
pub async fn stale_sources(pool: &PgPool) -> Result<Vec<(Uuid, Uuid)>, Error> {
    let mut tx = crate::db::begin_system(pool).await?;
    let rows = sqlx::query!(
        "select id, user_id from calendar_sources
         where url is not null and (refreshed_at is null or refreshed_at < now() - interval '50 minutes')
         order by refreshed_at nulls first limit 10000"
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| (r.id, r.user_id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n\
BEGIN:VEVENT\r\nUID:standup\r\nSUMMARY:Standup\r\nDTSTART:20261207T090000Z\r\nDTEND:20261207T091500Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:standup\r\nRECURRENCE-ID:20261209T090000Z\r\nSUMMARY:Standup (late)\r\nDTSTART:20261209T110000Z\r\nDTEND:20261209T111500Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:offsite\r\nSUMMARY:Offsite\r\nDTSTART;VALUE=DATE:20261210\r\nDTEND;VALUE=DATE:20261212\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:paris\r\nSUMMARY:Lunch in Paris\r\nDTSTART;TZID=Europe/Paris:20261208T120000\r\nDTEND;TZID=Europe/Paris:20261208T130000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:oneday\r\nSUMMARY:Holiday\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261224\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:gone\r\nSUMMARY:Cancelled\r\nSTATUS:CANCELLED\r\nDTSTART:20261208T150000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:free\r\nSUMMARY:Free time\r\nTRANSP:TRANSPARENT\r\nDTSTART:20261208T160000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn repeats_expand_a_moved_occurrence_replaces_its_own_and_cancelled_or_free_time_is_not_busy() {
        let busy = read(ICS, chrono_tz::Europe::London, at("2026-12-03T12:00:00Z")).unwrap();
        let standups: Vec<_> =
            busy.iter().filter(|b| b.uid == "standup").map(|b| (b.starts_at, b.summary.as_str())).collect();
        assert_eq!(
            standups,
            [
                (at("2026-12-07T09:00:00Z"), "Standup"),
                (at("2026-12-08T09:00:00Z"), "Standup"),
                (at("2026-12-10T09:00:00Z"), "Standup"),
                (at("2026-12-11T09:00:00Z"), "Standup"),
                (at("2026-12-09T11:00:00Z"), "Standup (late)"),
            ]
        );
        let offsite = busy.iter().find(|b| b.uid == "offsite").unwrap();
        assert!(offsite.all_day);
        assert_eq!((offsite.starts_at, offsite.ends_at), (at("2026-12-10T00:00:00Z"), at("2026-12-12T00:00:00Z")));
        let holiday = busy.iter().find(|b| b.uid == "oneday").unwrap();
        assert_eq!((holiday.starts_at, holiday.ends_at), (at("2026-12-24T00:00:00Z"), at("2026-12-25T00:00:00Z")));
        let paris = busy.iter().find(|b| b.uid == "paris").unwrap();
        assert_eq!(paris.starts_at, at("2026-12-08T11:00:00Z"), "TZID is honoured");
        assert!(!busy.iter().any(|b| b.uid == "gone" || b.uid == "free"));
    }

    #[test]
    fn what_is_not_a_calendar_is_a_clear_error() {
        let now = at("2026-12-03T12:00:00Z");
        assert!(read("<html>nope</html>", chrono_tz::UTC, now).unwrap_err().contains("not an iCalendar"));
        assert!(read("", chrono_tz::UTC, now).is_err());
    }
}
