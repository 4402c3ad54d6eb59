//! The private ICS feed: what it holds (read back with the `icalendar`
//! crate's parser), stable UIDs, and addresses that must not work.

use crate::support::TestApp;
use icalendar::Component;
use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;
use std::str::FromStr;

async fn feed_url(app: &TestApp, c: &Client) -> Option<String> {
    app.ok(c, "get_calendar_feed", &[]).await.as_str().map(str::to_string)
}

/// GET `url` with no session: the status, and the body.
async fn fetch(url: &str) -> (u16, String) {
    let r = Client::new().get(url).send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    }
    (status, r.text().await.unwrap())
}

/// The events of a feed as (UID, SUMMARY, DTSTART, DTEND, RRULE).
fn events(ics: &str) -> Vec<(String, String, String, String, Option<String>)> {
    // RFC 5545: CRLF line ends, lines folded at 75 octets.
    assert!(ics.lines().all(|l| l.len() <= 76), "lines are folded");
    assert!(!ics.replace("\r\n", "").contains('\n'), "every line ends with CRLF");
    let cal = icalendar::Calendar::from_str(ics).expect("a parser reads the feed");
    assert_eq!(cal.property_value("VERSION"), Some("2.0"));
    let mut out: Vec<_> = cal
        .events()
        .map(|e| {
            let p = |k: &str| e.property_value(k).map(str::to_string);
            (
                p("UID").unwrap(),
                e.get_summary().unwrap().to_string(),
                p("DTSTART").unwrap(),
                p("DTEND").unwrap(),
                p("RRULE"),
            )
        })
        .collect();
    out.sort();
    out
}

#[sqlx::test(migrations = "../migrations")]
async fn the_feed_holds_dated_open_tasks_with_stable_uids_and_repeat_rules(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool).await;
    let (pid, _) = app.project(&c, "Garden").await;
    let weekly = app
        .task(
            &c,
            &pid,
            &[
                ("title", "Water, the; beds"),
                ("start_date", "2027-01-05"),
                ("recurrence", "weekly"),
                ("recurrence_end", "2027-03-01"),
            ],
        )
        .await;
    let due = app.task(&c, &pid, &[("title", "Order seeds"), ("due_date", "2027-01-10")]).await;
    let both =
        app.task(&c, &pid, &[("title", "Prune roses"), ("start_date", "2027-01-07"), ("due_date", "2027-01-09")]).await;
    app.task(&c, &pid, &[("title", "Someday: a pond")]).await;
    let done = app.task(&c, &pid, &[("title", "Buy gloves"), ("start_date", "2027-01-02")]).await;
    app.complete(&c, &done).await;
    let gone = app.task(&c, &pid, &[("title", "Old idea"), ("start_date", "2027-01-03")]).await;
    app.ok(&c, "set_deleted", &[("item", "task"), ("id", &gone), ("deleted", "true")]).await;

    let url = feed_url(&app, &c).await.expect("the feed is on by default");
    assert!(url.starts_with(&app.url("/calendar/")) && url.ends_with(".ics"), "{url}");
    let (status, ics) = fetch(&url).await;
    assert_eq!(status, 200, "{ics}");
    let got = events(&ics);
    let mut want = vec![
        (
            format!("due-{both}@buildos"),
            "Due: Prune roses".to_string(),
            "20270109".to_string(),
            "20270110".to_string(),
            None,
        ),
        (format!("due-{due}@buildos"), "Due: Order seeds".into(), "20270110".into(), "20270111".into(), None),
        (format!("task-{both}@buildos"), "Prune roses".into(), "20270107".into(), "20270108".into(), None),
        (
            format!("task-{weekly}@buildos"),
            "Water, the; beds".into(),
            "20270105".into(),
            "20270106".into(),
            Some("FREQ=WEEKLY;UNTIL=20270301".into()),
        ),
    ];
    want.sort();
    assert_eq!(got, want, "{ics}");
    assert!(ics.contains("X-WR-CALNAME:BuildOS tasks"), "the name Google and Apple show: {ics}");
    assert!(ics.contains("DTSTART;VALUE=DATE:20270105"), "all-day items are dates: {ics}");
    assert!(ics.contains(&format!("URL:{}", app.url(&format!("/tasks/{weekly}")))), "{ics}");

    // Fetched again after an edit: the same UIDs (a calendar app updates, not duplicates).
    app.ok(&c, "update_task", &[("id", &due), ("title", "Order tomato seeds"), ("due_date", "2027-01-11")]).await;
    let again = events(&fetch(&url).await.1);
    let uids =
        |v: &[(String, String, String, String, Option<String>)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
    assert_eq!(uids(&again), uids(&got));
    assert!(again.iter().any(|e| e.1 == "Due: Order tomato seeds" && e.2 == "20270111"));

    // A task given a time is an event at that time (Ada is in Europe/Paris: 09:30 there is 08:30 UTC).
    app.ok(&c, "schedule_task", &[("id", &both), ("start", "2027-01-07T09:30"), ("minutes", "45")]).await;
    let timed = events(&fetch(&url).await.1);
    let roses = timed.iter().find(|e| e.0 == format!("task-{both}@buildos")).unwrap();
    assert_eq!((roses.2.as_str(), roses.3.as_str()), ("20270107T083000Z", "20270107T091500Z"));
}

#[sqlx::test(migrations = "../migrations")]
async fn feed_addresses_that_are_not_live_give_404(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    let bob = app.signed_up("bob@example.com").await;
    let (pid, _) = app.project(&ada, "Secret plans").await;
    app.task(&ada, &pid, &[("title", "Ada's surprise"), ("start_date", "2027-02-01")]).await;
    let ada_url = feed_url(&app, &ada).await.unwrap();
    let bob_url = feed_url(&app, &bob).await.unwrap();

    // Bob's own feed has none of Ada's tasks.
    let (status, ics) = fetch(&bob_url).await;
    assert_eq!((status, events(&ics).len()), (200, 0));
    // Ada's signature under Bob's id, Bob's under Ada's, garbage, no .ics: all 404.
    let token = |u: &str| u.rsplit('/').next().unwrap().trim_end_matches(".ics").to_string();
    let (ada_token, bob_token) = (token(&ada_url), token(&bob_url));
    let (ada_id, ada_sig) = ada_token.split_once('.').unwrap();
    let (bob_id, bob_sig) = bob_token.split_once('.').unwrap();
    for bad in [
        format!("/calendar/{bob_id}.{ada_sig}.ics"),
        format!("/calendar/{ada_id}.{bob_sig}.ics"),
        format!("/calendar/{ada_id}.00.ics"),
        "/calendar/not-a-token.ics".to_string(),
        format!("/calendar/{ada_token}"),
    ] {
        let (status, body) = fetch(&app.url(&bad)).await;
        assert_eq!(status, 404, "{bad}");
        assert!(!body.contains("surprise"), "{bad}");
    }

    // A new address: the old one stops working, the new one works.
    let new_url = app.ok(&ada, "replace_calendar_feed", &[]).await.as_str().unwrap().to_string();
    assert_ne!(new_url, ada_url);
    assert_eq!(fetch(&ada_url).await.0, 404);
    assert_eq!(fetch(&new_url).await.0, 200);
    assert_eq!(feed_url(&app, &ada).await.as_deref(), Some(new_url.as_str()));

    // Off: no address works, and the API says so; on again with a fresh address.
    app.ok(&ada, "turn_off_calendar_feed", &[]).await;
    assert_eq!(feed_url(&app, &ada).await, None);
    assert_eq!(fetch(&new_url).await.0, 404);
    let token = app.ok(&ada, "create_api_token", &[("name", "feed")]).await["token"].as_str().unwrap().to_string();
    let api = |t: String| {
        let url = app.url("/api/v1/calendar/feed");
        async move { Client::new().get(url).bearer_auth(t).send().await.unwrap() }
    };
    let off = api(token.clone()).await;
    assert_eq!(off.status(), 404);
    assert!(off.json::<Value>().await.unwrap()["detail"].as_str().unwrap().contains("turned off"));
    let on_url = app.ok(&ada, "replace_calendar_feed", &[]).await.as_str().unwrap().to_string();
    let on = api(token).await;
    assert_eq!(on.status(), 200);
    assert_eq!(on.json::<Value>().await.unwrap()["url"], on_url.as_str());
    assert_eq!(fetch(&on_url).await.0, 200);
}
