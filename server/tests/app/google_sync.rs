//! Two-way Google Calendar sync against the fake Google (fake_calendar.rs):
//! full then incremental sync, paging, 410 recovery, rate limits, a calendar
//! gone (404); push notifications (bad tokens refused, a burst giving one
//! sync, channel renewal); and every two-way rule between tasks and events.

use crate::fake_calendar::FakeCalendar;
use crate::google::{CLIENT_ID, Fake, KEY, app_with_google, come_back, person};
use crate::support::TestApp;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::calendar::push::{Pushed, reconcile};
use domain::calendar::sync::{Google, Synced, refresh_calendars, sync};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

const PRIMARY: &str = "ada@work.example";

struct Setup {
    app: TestApp,
    fake: Fake,
    pool: PgPool,
    ada: reqwest::Client,
    ada_id: Uuid,
    config: domain::account::google::GoogleConfig,
}

fn at(hours_from_now: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours_from_now)).duration_trunc(Duration::hours(1)).unwrap()
}

/// `t` as `datetime-local` text in Europe/Paris (the test people's timezone).
fn paris(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::Paris).format("%Y-%m-%dT%H:%M").to_string()
}

fn event(id: &str, summary: &str, start: DateTime<Utc>, minutes: i64) -> Value {
    json!({ "id": id, "summary": summary, "start": { "dateTime": start.to_rfc3339() },
            "end": { "dateTime": (start + Duration::minutes(minutes)).to_rfc3339() } })
}

impl Setup {
    /// Ada, with her Google Calendar connected (a primary calendar and a holidays one).
    async fn new(pool: PgPool) -> Setup {
        let (app, fake) = app_with_google(pool.clone()).await;
        fake.calendar.add_calendar(PRIMARY, "Ada", true);
        fake.calendar.add_calendar("holidays@group.v.calendar.google.com", "Holidays", false);
        let ada = app.signed_up("ada@example.com").await;
        let res = ada.get(app.url("/auth/google/calendar")).send().await.unwrap();
        let (code, state) = fake.approve(res.headers()["location"].to_str().unwrap(), person("g-ada", PRIMARY, true));
        assert_eq!(come_back(&app, &ada, &code, &state).await, "/profile?calendar=connected#google-calendar");
        let ada_id =
            sqlx::query_scalar("select id from users where email = 'ada@example.com'").fetch_one(&pool).await.unwrap();
        let config = domain::account::google::GoogleConfig {
            client_id: CLIENT_ID.into(),
            client_secret: domain::settings::Secret::new("test-secret".into()),
            issuer: fake.base(),
            calendar_api: format!("{}/calendar/v3", fake.base()),
        };
        Setup { app, fake, pool, ada, ada_id, config }
    }

    fn cal(&self) -> &FakeCalendar {
        &self.fake.calendar
    }

    fn google(&self) -> Google<'_> {
        Google { config: &self.config, key: &KEY, public_base_url: "https://buildos.test" }
    }

    async fn sync(&self) -> Synced {
        sync(&self.pool, self.google(), self.ada_id, PRIMARY).await.unwrap()
    }

    async fn push(&self, task: &str) -> Pushed {
        reconcile(&self.pool, self.google(), self.ada_id, task.parse().unwrap()).await.unwrap()
    }

    /// A query as Ada (row-level security applies).
    async fn rows<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin>(&self, sql: &str) -> Vec<T> {
        let mut tx = domain::db::begin_as(&self.pool, self.ada_id).await.unwrap();
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string())).fetch_all(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        rows
    }

    /// Ada's busy events: (id, summary), by start.
    async fn busy(&self) -> Vec<(String, String)> {
        self.rows("select event_id, summary from google_events order by starts_at, event_id").await
    }

    /// A task's (scheduled_at, duration_minutes, pinned, title).
    async fn task(&self, id: &str) -> (Option<DateTime<Utc>>, Option<i32>, bool, String) {
        self.rows(&format!("select scheduled_at, duration_minutes, pinned, title from tasks where id = '{id}'"))
            .await
            .remove(0)
    }

    /// How many jobs wait on `queue`.
    async fn queued(&self, queue: &str) -> i64 {
        sqlx::query_scalar("select count(*) from apalis.jobs where job_type = $1 and status = 'Pending'")
            .bind(queue)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    async fn scheduled_task(&self, title: &str, start: DateTime<Utc>, minutes: i64) -> String {
        let (project, _) = self.app.project(&self.ada, "Work").await;
        let id = self.app.task(&self.ada, &project, &[("title", title)]).await;
        let local = paris(start);
        self.app
            .ok(&self.ada, "schedule_task", &[("id", &id), ("start", &local), ("minutes", &minutes.to_string())])
            .await;
        id
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn full_sync_then_incremental_pages_recovers_from_410_and_disables_a_calendar_gone(pool: PgPool) {
    let s = Setup::new(pool).await;
    // Connecting queued the calendar list; reading it chooses the primary calendar.
    assert_eq!(s.queued("google").await, 1);
    assert_eq!(refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap(), 2);
    let chosen: Vec<(String, bool, bool)> =
        s.rows("select calendar_id, busy, target from google_calendars order by calendar_id").await;
    assert_eq!(
        chosen,
        [("ada@work.example".into(), true, true), ("holidays@group.v.calendar.google.com".into(), false, false)]
    );
    s.cal().put(PRIMARY, event("standup", "Standup", at(24), 15));
    s.cal().put(PRIMARY, event("review", "Design review", at(26), 60));
    s.cal().put(PRIMARY, event("lunch", "Lunch", at(27), 60));
    s.cal().put(PRIMARY, json!({ "id": "offsite", "summary": "Offsite", "start": { "date": (Utc::now() + Duration::days(3)).date_naive() },
                                 "end": { "date": (Utc::now() + Duration::days(4)).date_naive() } }));
    let mut free = event("focus", "Focus (free)", at(30), 60);
    free["transparency"] = json!("transparent");
    s.cal().put(PRIMARY, free);
    s.cal().with().page_size = 2;

    // Full: three pages of two, the free event left out.
    let first = s.sync().await;
    assert_eq!((first.full, first.pages, first.events), (true, 3, 5));
    let ids = |busy: Vec<(String, String)>| busy.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(ids(s.busy().await), ["standup", "review", "lunch", "offsite"]);
    let lists: Vec<String> = s.cal().with().requests.iter().filter(|r| r.contains("/events?")).cloned().collect();
    assert!(lists[0].contains("timeMin=") && lists[0].contains("singleEvents=true"), "{lists:?}");
    assert!(lists[1].contains("pageToken="), "{lists:?}");

    // Incremental: only what changed, by the sync token.
    s.cal().put(PRIMARY, event("review", "Design review (moved)", at(120), 60));
    s.cal().cancel(PRIMARY, "lunch");
    s.cal().put(PRIMARY, event("retro", "Retro", at(28), 30));
    let second = s.sync().await;
    assert_eq!((second.full, second.pages, second.events), (false, 2, 3));
    assert!(s.cal().with().requests.iter().rev().any(|r| r.contains("syncToken=sync-")));
    // (The offsite starts within three days, the moved review five days ahead.)
    assert_eq!(ids(s.busy().await), ["standup", "retro", "offsite", "review"]);
    assert_eq!(s.busy().await[3].1, "Design review (moved)");
    let nothing = s.sync().await;
    assert_eq!((nothing.full, nothing.events), (false, 0));

    // The token expires (410): the calendar is listed again from scratch.
    s.cal().cancel(PRIMARY, "standup");
    let expired = s.cal().with().seq + 1;
    s.cal().with().expired_before = expired;
    let third = s.sync().await;
    assert!(third.full);
    s.cal().with().expired_before = 0;
    assert_eq!(ids(s.busy().await), ["retro", "offsite", "review"]);

    // Rate limited (429, then the 403 Google also uses): tried again after a pause, and it works.
    s.cal().with().rate_limited = 1;
    s.cal().with().rate_limited_403 = 1;
    s.cal().put(PRIMARY, event("one-more", "One more", at(60), 30));
    let before = s.cal().count("GET /calendars/");
    assert_eq!(s.sync().await.events, 1);
    assert_eq!(s.cal().count("GET /calendars/"), before + 3, "two refused, the third answered");
    assert_eq!(s.busy().await.len(), 4);

    // A failure halfway changes nothing: the token and events stay as they were.
    let token: Vec<(Option<String>,)> = s.rows("select sync_token from google_calendars where target").await;
    s.cal().put(PRIMARY, event("lost", "Lost", at(70), 30));
    s.cal().with().rate_limited = 5;
    let failed = sync(&s.pool, s.google(), s.ada_id, PRIMARY).await.unwrap_err();
    assert!(failed.to_string().contains("429"), "{failed}");
    let after: Vec<(Option<String>, Option<String>)> =
        s.rows("select sync_token, error from google_calendars where target").await;
    assert_eq!(after[0].0, token[0].0);
    assert!(after[0].1.as_deref().unwrap_or("").contains("429"), "the error is kept for the page: {after:?}");
    assert_eq!(s.busy().await.len(), 4);

    // Gone at Google (404): that calendar is disabled, with a reason, and its events go.
    s.cal().with().list.retain(|c| c["id"] != PRIMARY);
    assert!(matches!(sync(&s.pool, s.google(), s.ada_id, PRIMARY).await, Err(domain::Error::NotFound)));
    let gone: Vec<(bool, Option<String>)> = s.rows("select disabled, error from google_calendars where target").await;
    assert!(gone[0].0 && gone[0].1.as_deref().unwrap().contains("no longer exists"), "{gone:?}");
    assert!(s.busy().await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn notifications_with_a_bad_token_are_refused_and_a_burst_of_fifty_gives_one_sync(pool: PgPool) {
    let s = Setup::new(pool).await;
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    s.sync().await;
    assert_eq!(domain::calendar::channels::ensure(&s.pool, s.google(), s.ada_id).await.unwrap(), 1);
    let watch = s.cal().with().watches[0].clone();
    assert_eq!(watch["calendar"], PRIMARY);
    assert_eq!(watch["address"], "https://buildos.test/webhooks/google/calendar");
    assert_eq!(watch["type"], "web_hook");
    let (channel, token) = (watch["id"].as_str().unwrap().to_string(), watch["token"].as_str().unwrap().to_string());
    assert!(token.len() >= 40, "a long random token");
    assert_eq!(domain::calendar::channels::ensure(&s.pool, s.google(), s.ada_id).await.unwrap(), 0, "one per calendar");
    sqlx::query("delete from apalis.jobs").execute(&s.pool).await.unwrap();

    let notify = |channel: String, token: String| {
        let url = s.app.url("/webhooks/google/calendar");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("X-Goog-Channel-ID", channel)
                .header("X-Goog-Channel-Token", token)
                .header("X-Goog-Resource-State", "exists")
                .header("X-Goog-Resource-ID", "resource-1")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(notify(channel.clone(), "wrong-token".into()).await, 403);
    assert_eq!(notify(Uuid::new_v4().to_string(), token.clone()).await, 403);
    assert_eq!(notify("not-a-uuid".into(), token.clone()).await, 403);
    assert_eq!(s.queued("google").await, 0, "refused notifications queue nothing");

    let burst: Vec<u16> = futures::future::join_all((0..50).map(|_| notify(channel.clone(), token.clone()))).await;
    assert!(burst.iter().all(|&status| status == 200), "{burst:?}");
    assert_eq!(s.queued("google").await, 1, "fifty notifications, one sync queued");
    let lists = s.cal().count("GET /calendars/");
    s.sync().await;
    assert_eq!(s.cal().count("GET /calendars/"), lists + 1);
    // After that sync starts, a new notification queues the next one.
    assert_eq!(notify(channel, token).await, 200);
    assert_eq!(s.queued("google").await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn channels_are_renewed_before_they_expire_keeping_the_sync_token_and_stopped_on_disconnect(pool: PgPool) {
    let s = Setup::new(pool).await;
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    s.sync().await;
    domain::calendar::channels::ensure(&s.pool, s.google(), s.ada_id).await.unwrap();
    let before: Vec<(Option<String>,)> = s.rows("select sync_token from google_calendars where target").await;
    assert_eq!(domain::calendar::channels::renew_due(&s.pool, s.google()).await.unwrap(), 0, "a week left");
    let mut tx = domain::db::begin_as(&s.pool, s.ada_id).await.unwrap();
    sqlx::query("update google_channels set expires_at = now() + interval '2 hours'").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(domain::calendar::channels::renew_due(&s.pool, s.google()).await.unwrap(), 1);
    let watches = s.cal().with().watches.clone();
    let stops = s.cal().with().stops.clone();
    assert_eq!(watches.len(), 2);
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["id"], watches[0]["id"], "the old channel stopped");
    assert_eq!(stops[0]["resourceId"], "resource-1");
    let channels: Vec<(Uuid,)> = s.rows("select id from google_channels").await;
    assert_eq!(channels.len(), 1);
    assert_eq!(channels[0].0.to_string(), watches[1]["id"].as_str().unwrap());
    let after: Vec<(Option<String>,)> = s.rows("select sync_token from google_calendars where target").await;
    assert_eq!(after, before, "the sync token is kept");

    s.app.ok(&s.ada, "disconnect_google_calendar", &[]).await;
    let stops = s.cal().with().stops.clone();
    assert_eq!(stops.len(), 2);
    assert_eq!(stops[1]["id"], watches[1]["id"]);
    let left: Vec<(i64,)> = s.rows("select count(*) from google_channels").await;
    assert_eq!(left[0].0, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn scheduled_tasks_and_their_events_follow_each_other_both_ways(pool: PgPool) {
    let s = Setup::new(pool).await;
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    s.sync().await;

    // A scheduled task gets an event in the chosen calendar: its id from the
    // task's, the task's id in its private properties. Queued by the write itself.
    let start = at(48);
    let task = s.scheduled_task("Write the report", start, 90).await;
    assert!(s.queued("google-events").await >= 1, "the write queued the push");
    assert_eq!(s.push(&task).await, Pushed::Inserted);
    let event_id = domain::calendar::google_api::event_id_of(task.parse().unwrap());
    let made = s.cal().event(PRIMARY, &event_id).expect("the event");
    assert_eq!(made["summary"], "Write the report");
    assert_eq!(made["start"]["dateTime"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), start);
    assert_eq!(
        made["end"]["dateTime"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
        start + Duration::minutes(90)
    );
    assert_eq!(made["extendedProperties"]["private"]["buildosTaskId"], task.as_str());
    assert_eq!(s.push(&task).await, Pushed::Nothing, "nothing changed, nothing sent");

    // Our own write comes back in the next sync and is not applied back to us;
    // nor does it count as busy time (the task stands for it).
    let writes = || s.cal().count("PATCH") + s.cal().count("POST /calendars") + s.cal().count("DELETE");
    let before = writes();
    assert_eq!(s.sync().await.tasks_changed, 0);
    assert_eq!(s.push(&task).await, Pushed::Nothing);
    assert_eq!(writes(), before);
    assert!(s.busy().await.is_empty());
    assert_eq!(s.task(&task).await.0, Some(start), "unchanged by its own event");

    // Moved in Google: the task moves, takes the new length, and is pinned.
    let moved = at(72);
    s.cal().put(PRIMARY, event(&event_id, "Write the report", moved, 120));
    assert_eq!(s.sync().await.tasks_changed, 1);
    let (when, minutes, pinned, _) = s.task(&task).await;
    assert_eq!((when, minutes, pinned), (Some(moved), Some(120), true));
    assert_eq!(s.push(&task).await, Pushed::Nothing, "not written back");

    // Renamed here: the event follows (If-Match with the etag we hold).
    s.app
        .ok(&s.ada, "update_task", &[("id", &task), ("title", "Write the annual report"), ("duration_minutes", "120")])
        .await;
    assert_eq!(s.push(&task).await, Pushed::Updated);
    assert_eq!(s.cal().event(PRIMARY, &event_id).unwrap()["summary"], "Write the annual report");

    // Both sides changed (412): Google's move is kept, our new title written over it.
    let moved_again = at(96);
    s.cal().put(PRIMARY, event(&event_id, "Write the annual report", moved_again, 120));
    s.app.ok(&s.ada, "update_task", &[("id", &task), ("title", "Annual report"), ("duration_minutes", "120")]).await;
    assert_eq!(s.push(&task).await, Pushed::Updated);
    let both = s.cal().event(PRIMARY, &event_id).unwrap();
    assert_eq!(both["summary"], "Annual report");
    assert_eq!(both["start"]["dateTime"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), moved_again);
    assert_eq!(s.task(&task).await.0, Some(moved_again));
    assert_eq!(s.sync().await.tasks_changed, 0, "our merged write is ours");

    // Deleted in Google: the task stays, unscheduled.
    s.cal().cancel(PRIMARY, &event_id);
    assert_eq!(s.sync().await.tasks_changed, 1);
    let (when, _, pinned, title) = s.task(&task).await;
    assert_eq!((when, pinned, title.as_str()), (None, false, "Annual report"));
    assert_eq!(s.push(&task).await, Pushed::Nothing);

    // Scheduled again: the same event id, brought back (Google keeps deleted ones).
    let again = at(120);
    s.app.ok(&s.ada, "schedule_task", &[("id", &task), ("start", &paris(again))]).await;
    assert_eq!(s.push(&task).await, Pushed::Inserted);
    assert_eq!(s.cal().live(PRIMARY).len(), 1);
    assert_eq!(s.cal().event(PRIMARY, &event_id).unwrap()["status"], "confirmed");

    // Completing the task removes its event; so does deleting one.
    s.app.complete(&s.ada, &task).await;
    assert_eq!(s.push(&task).await, Pushed::Deleted);
    assert!(s.cal().live(PRIMARY).is_empty());
    let other = s.scheduled_task("Call the bank", at(30), 15).await;
    assert_eq!(s.push(&other).await, Pushed::Inserted);
    s.app.ok(&s.ada, "set_deleted", &[("item", "task"), ("id", &other), ("deleted", "true")]).await;
    assert_eq!(s.push(&other).await, Pushed::Deleted);
    assert!(s.cal().live(PRIMARY).is_empty());
    // Unscheduled by hand: the event goes, the task stays.
    let third = s.scheduled_task("Plan the trip", at(40), 30).await;
    s.push(&third).await;
    s.app.ok(&s.ada, "schedule_task", &[("id", &third), ("start", "")]).await;
    assert_eq!(s.push(&third).await, Pushed::Deleted);
    assert_eq!(s.task(&third).await.0, None);

    // Bob cannot schedule Ada's task.
    let bob = s.app.signed_up("bob@example.com").await;
    let refused = s.app.call(&bob, "schedule_task", &[("id", &third), ("start", "2026-12-07T09:00")]).await;
    assert!(refused.is_err());
    // A time that is not one names its field and changes nothing.
    let bad = s.app.call(&s.ada, "schedule_task", &[("id", &third), ("start", "tomorrow")]).await.unwrap_err();
    assert!(bad.field_message("start").is_some(), "{bad:?}");
}

/// Counts the SQL statements sqlx runs on this thread (its `sqlx::query` events).
struct Statements(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target().starts_with("sqlx::query") {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// The benchmark of docs/benchmarks.md ("Google Calendar sync"): a calendar
/// of 5,000 events synced in full, then five incremental syncs of 50 changes
/// each (20 moved, 15 deleted, 15 new): time and SQL statements of each.
/// Run by `./scripts/bench-sync.sh`.
#[sqlx::test(migrations = "../migrations")]
#[ignore = "a benchmark: ./scripts/bench-sync.sh"]
async fn bench_google_sync_5000_events(pool: PgPool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE))
        .with(Statements(counter.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);
    let s = Setup::new(pool).await;
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    for i in 0..5_000 {
        s.cal().put(PRIMARY, event(&format!("ev{i}"), &format!("Meeting {i}"), at(i % 2_000 - 500), 30));
    }
    let measure = |label: String| {
        let counter = counter.clone();
        let s = &s;
        async move {
            counter.store(0, std::sync::atomic::Ordering::Relaxed);
            let started = std::time::Instant::now();
            let done = s.sync().await;
            let took = started.elapsed();
            let statements = counter.load(std::sync::atomic::Ordering::Relaxed);
            println!(
                "BENCH {label}: {:.1} ms, {statements} SQL statements, {} pages, {} events",
                took.as_secs_f64() * 1000.0,
                done.pages,
                done.events
            );
            done
        }
    };
    let full = measure("full sync of 5000".into()).await;
    assert_eq!((full.full, full.events), (true, 5_000));
    assert_eq!(s.busy().await.len(), 5_000);
    for round in 0..5 {
        for j in 0..20 {
            let i = round * 50 + j;
            s.cal().put(PRIMARY, event(&format!("ev{i}"), &format!("Meeting {i} (moved)"), at(3_000 + i), 45));
        }
        for j in 20..35 {
            s.cal().cancel(PRIMARY, &format!("ev{}", 1_000 + round * 50 + j));
        }
        for j in 35..50 {
            s.cal().put(PRIMARY, event(&format!("new{round}-{j}"), "New", at(j), 30));
        }
        let inc = measure(format!("incremental, 50 changes (round {})", round + 1)).await;
        assert_eq!((inc.full, inc.events), (false, 50));
    }
    assert_eq!(s.busy().await.len(), 5_000);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_person_chooses_which_calendars_count_as_busy_and_which_one_receives_tasks(pool: PgPool) {
    let s = Setup::new(pool).await;
    const HOLIDAYS: &str = "holidays@group.v.calendar.google.com";
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    s.cal().put(PRIMARY, event("standup", "Standup", at(24), 15));
    s.cal().put(HOLIDAYS, event("xmas", "Christmas", at(48), 60));
    s.sync().await;
    let shown = s.app.ok(&s.ada, "get_google_calendar", &[]).await;
    let calendars = shown["connection"]["calendars"].as_array().unwrap().clone();
    assert_eq!(calendars.len(), 2);
    assert_eq!((calendars[0]["calendar_id"].as_str(), calendars[0]["target"].as_bool()), (Some(PRIMARY), Some(true)));
    assert!(calendars[0]["synced_at"].is_string());

    // Holidays counted as busy: synced in full (its token was never kept).
    s.app.ok(&s.ada, "set_google_calendar", &[("calendar_id", HOLIDAYS), ("busy", "true")]).await;
    assert!(s.queued("google").await >= 1, "the worker reads the list again and syncs");
    let holidays = sync(&s.pool, s.google(), s.ada_id, HOLIDAYS).await.unwrap();
    assert!(holidays.full);
    assert_eq!(s.busy().await.len(), 2);
    // The primary no longer counted: its events leave the busy time, it still receives tasks.
    s.app.ok(&s.ada, "set_google_calendar", &[("calendar_id", PRIMARY), ("busy", "false")]).await;
    assert_eq!(s.busy().await, [("xmas".to_string(), "Christmas".to_string())]);
    let roles: Vec<(String, bool, bool)> =
        s.rows("select calendar_id, busy, target from google_calendars order by calendar_id").await;
    assert_eq!(roles, [(PRIMARY.into(), false, true), (HOLIDAYS.into(), true, false)]);
    // Tasks go to the holidays calendar now: one target at a time.
    s.app.ok(&s.ada, "set_google_calendar", &[("calendar_id", HOLIDAYS), ("target", "true")]).await;
    let targets: Vec<(String,)> = s.rows("select calendar_id from google_calendars where target").await;
    assert_eq!(targets, [(HOLIDAYS.to_string(),)]);
    // A calendar that is not hers, or a value that is not a choice, is refused.
    let bob = s.app.signed_up("bob@example.com").await;
    assert!(s.app.call(&bob, "set_google_calendar", &[("calendar_id", PRIMARY), ("busy", "true")]).await.is_err());
    let bad = s.app.call(&s.ada, "set_google_calendar", &[("calendar_id", PRIMARY), ("busy", "maybe")]).await;
    assert!(bad.unwrap_err().field_message("busy").is_some());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_access_token_google_refuses_early_is_replaced_at_the_next_try(pool: PgPool) {
    let s = Setup::new(pool).await;
    refresh_calendars(&s.pool, s.google(), s.ada_id).await.unwrap();
    s.cal().with().refused_token = Some("ya29.test".into());
    s.cal().put(PRIMARY, event("standup", "Standup", at(24), 15));
    let refused = sync(&s.pool, s.google(), s.ada_id, PRIMARY).await.unwrap_err();
    assert!(refused.to_string().contains("Unauthorized"), "{refused}");
    assert_eq!(*s.fake.refreshes.lock().unwrap(), 0);
    // The job's retry refreshes the token and syncs.
    assert_eq!(s.sync().await.events, 1);
    assert_eq!(*s.fake.refreshes.lock().unwrap(), 1);
    assert_eq!(s.busy().await.len(), 1);
}
