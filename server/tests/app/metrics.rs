//! `/metrics`: Prometheus text that the reference parser reads, with the HTTP
//! series present and moving; who may read it.

use crate::prometheus::{get, parse, sum, value};
use crate::support::TestApp;
use sqlx::PgPool;

const REQUESTS: (&str, &str) = ("buildos_http_requests", "buildos_http_requests_total");

#[sqlx::test(migrations = "../migrations")]
async fn metrics_count_and_time_requests_by_route_template(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool).await;
    for _ in 0..3 {
        assert_eq!(get(app.addr, "/healthz", &[]).await.0, 200);
    }
    let dashboard = ada.get(app.url("/")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);
    ada.get(app.url("/tasks/00000000-0000-0000-0000-000000000000")).send().await.unwrap();
    assert_eq!(get(app.addr, "/no/such/page", &[]).await.0, 404);

    let (status, text) = get(app.addr, "/metrics", &[]).await;
    assert_eq!(status, 200, "{text}");
    let before = parse(text).await;
    let (family, series) = REQUESTS;
    assert_eq!(before[family]["type"], "counter");
    let healthz = [("method", "GET"), ("route", "/healthz"), ("status", "200")];
    let seen = value(&before, family, series, &healthz).expect("GET /healthz is counted");
    assert!(seen >= 3.0, "{seen}");
    assert!(value(&before, family, series, &[("route", "/"), ("status", "200")]).is_some(), "{before}");
    // A page's route is its template, whatever the id; an unknown address is "other".
    assert!(value(&before, family, series, &[("route", "/tasks/{id}")]).is_some(), "{before}");
    assert!(value(&before, family, series, &[("route", "other"), ("status", "404")]).is_some());
    let histogram = &before["buildos_http_request_duration_seconds"];
    assert_eq!(histogram["type"], "histogram");
    let timed = sum(
        &before,
        "buildos_http_request_duration_seconds",
        "buildos_http_request_duration_seconds_count",
        &[("route", "/healthz")],
    );
    assert!(timed >= 3.0, "{timed}");

    // Moving: five more requests, five more counted (at least: other tests share the process).
    for _ in 0..5 {
        get(app.addr, "/healthz", &[]).await;
    }
    let after = parse(get(app.addr, "/metrics", &[]).await.1).await;
    let now = value(&after, family, series, &healthz).unwrap();
    assert!(now >= seen + 5.0, "{seen} then {now}");
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_are_for_this_machine_or_the_token_holder(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // A request a proxy on this machine forwarded comes from elsewhere.
    let (status, _) = get(app.addr, "/metrics", &[("x-forwarded-for", "203.0.113.9")]).await;
    assert_eq!(status, 403);

    let app = TestApp::builder(pool).metrics_token("scrape-me").spawn().await;
    assert_eq!(get(app.addr, "/metrics", &[]).await.0, 401, "the token, when set, is needed even from here");
    assert_eq!(get(app.addr, "/metrics", &[("authorization", "Bearer scrape-m")]).await.0, 401);
    let (status, text) = get(app.addr, "/metrics", &[("authorization", "Bearer scrape-me")]).await;
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE buildos_http_requests_total counter"), "{text}");
}
