//! Failed-login limits that never lock a person out, the address they count
//! by (TRUSTED_PROXIES), and sign-up limits. Addresses are told by a trusted
//! proxy (127.0.0.1) in X-Forwarded-For.

use crate::support::{PASSWORD, TestApp};
use domain::Error as AppError;
use domain::account::rate_limit::{PAIR_LIMIT, PER_ADDRESS};
use domain::account::service::LINK_NEEDED;
use reqwest::StatusCode;
use sqlx::PgPool;

const HOME: &str = "198.51.100.7";

async fn behind_proxy(pool: PgPool) -> TestApp {
    TestApp::builder(pool).trusted_proxies(&["127.0.0.1/32"]).spawn().await
}

/// Wrong passwords for `email` from `ip`, `n` times, each from a fresh browser.
async fn fail(app: &TestApp, email: &str, ip: &str, n: usize) -> Vec<Result<serde_json::Value, AppError>> {
    let mut results = Vec::new();
    for i in 0..n {
        results.push(app.login(&TestApp::client_from(ip), email, &format!("wrong guess {i}")).await);
    }
    results
}

fn link_needed(r: &Result<serde_json::Value, AppError>) -> bool {
    matches!(r, Err(AppError::TooManyRequests(m)) if m == LINK_NEEDED)
}

#[sqlx::test(migrations = "../migrations")]
async fn guesses_from_elsewhere_never_lock_the_owner_out(pool: PgPool) {
    let app = behind_proxy(pool).await;
    // Ada's browser (one cookie jar), at home and later on a train.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser_at = |ip: &str| {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        reqwest::Client::builder().cookie_provider(jar.clone()).default_headers(headers).build().unwrap()
    };
    let ada_browser = browser_at(HOME);
    app.sign_up_with(&ada_browser, "ada@example.com").await.unwrap();
    // 25 wrong passwords for Ada, from 25 other addresses.
    for i in 0..25 {
        let r = fail(&app, "ada@example.com", &format!("203.0.113.{i}"), 1).await.pop().unwrap();
        assert!(r.is_err(), "{r:?}");
    }
    // A new place, with the right password: no session, an emailed link instead,
    // and the same answer a wrong password gets there.
    let cafe = TestApp::client_from("192.0.2.50");
    assert!(link_needed(&app.login(&cafe, "ada@example.com", PASSWORD).await));
    assert!(link_needed(&app.login(&TestApp::client_from("192.0.2.51"), "ada@example.com", "wrong again!").await));
    assert_eq!(app.ok(&cafe, "current_user", &[]).await, serde_json::Value::Null);
    // Her usual address (a new browser there) and her own browser (from anywhere) still sign in.
    let on_a_train = browser_at("192.0.2.99");
    app.login(&on_a_train, "ada@example.com", PASSWORD).await.unwrap();
    assert_eq!(app.ok(&on_a_train, "current_user", &[]).await["email"], "ada@example.com");
    // (A success resets the count for the account: more guesses first.)
    fail(&app, "ada@example.com", "203.0.113.200", 1).await;
    for i in 0..25 {
        fail(&app, "ada@example.com", &format!("203.0.114.{i}"), 1).await;
    }
    app.login(&TestApp::client_from(HOME), "ada@example.com", PASSWORD).await.unwrap();
    let token = app.link_token("ada@example.com", 1, "/login/link").await;
    let links = app.emails_to("ada@example.com").iter().filter(|m| m.contains("/login/link?")).count();
    assert_eq!(links, 1, "no link for the wrong password");
    app.ok(&cafe, "finish_sign_in", &[("token", &token)]).await;
    assert_eq!(app.ok(&cafe, "current_user", &[]).await["email"], "ada@example.com");
    let again = app.call(&TestApp::client_from("192.0.2.50"), "finish_sign_in", &[("token", &token)]).await;
    assert!(again.unwrap_err().field_message("token").unwrap().contains("used already"));
    // The café and its browser are known now.
    app.login(&cafe, "ada@example.com", PASSWORD).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hundred_failures_from_one_address_refuse_nobody_elsewhere(pool: PgPool) {
    let app = behind_proxy(pool).await;
    let ada = TestApp::client_from(HOME);
    app.sign_up_with(&ada, "ada@example.com").await.unwrap();
    app.sign_up_with(&TestApp::client_from("198.51.100.8"), "bob@example.com").await.unwrap();
    let attacker = "203.0.113.66";
    let rounds = (0..10).map(|round| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for i in 0..10 {
                let email =
                    if i == 0 { "ada@example.com".to_string() } else { format!("guess{round}-{i}@example.com") };
                out.push(app.login(&TestApp::client_from(attacker), &email, "wrong guess").await);
            }
            out
        }
    });
    let results: Vec<_> = futures::future::join_all(rounds).await.into_iter().flatten().collect();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(Result::is_err));
    assert!(results.iter().any(link_needed), "past {PER_ADDRESS} failures the address needs links");
    // Bob, from a new address and a new browser, and Ada at home, are not refused.
    app.login(&TestApp::client_from("192.0.2.80"), "bob@example.com", PASSWORD).await.unwrap();
    app.login(&TestApp::client_from(HOME), "ada@example.com", PASSWORD).await.unwrap();
    // From the attacker's address, even the right password only gets Ada a link.
    assert!(link_needed(&app.login(&TestApp::client_from(attacker), "ada@example.com", PASSWORD).await));
}

#[sqlx::test(migrations = "../migrations")]
async fn parallel_guesses_from_one_place_cannot_slip_past_the_limit(pool: PgPool) {
    let app = behind_proxy(pool).await;
    app.sign_up_with(&TestApp::client_from(HOME), "ada@example.com").await.unwrap();
    let guesses = (0..10).map(|i| {
        let app = &app;
        async move { app.login(&TestApp::client_from("203.0.113.5"), "ada@example.com", &format!("guess {i}")).await }
    });
    let results = futures::future::join_all(guesses).await;
    let checked = results.iter().filter(|r| matches!(r, Err(AppError::Validation(_)))).count();
    assert_eq!(checked as i64, PAIR_LIMIT, "only the allowed number were checked: {results:?}");
    assert_eq!(results.iter().filter(|r| link_needed(r)).count(), 10 - checked);
}

#[sqlx::test(migrations = "../migrations")]
async fn forwarded_addresses_count_from_a_trusted_proxy_only(pool: PgPool) {
    let recorded = |pool: PgPool| async move {
        let ips: Vec<String> =
            sqlx::query_scalar("select distinct host(ip) from login_attempts where not succeeded order by 1")
                .fetch_all(&pool)
                .await
                .unwrap();
        ips
    };
    // Trusted: each failure counts against the address the proxy saw.
    let app = behind_proxy(pool.clone()).await;
    fail(&app, "ada@example.com", "203.0.113.9", 1).await;
    fail(&app, "ada@example.com", "203.0.113.10", 1).await;
    assert_eq!(recorded(pool.clone()).await, ["203.0.113.10", "203.0.113.9"]);
    for i in 0..PER_ADDRESS {
        fail(&app, &format!("guess{i}@example.com"), "203.0.113.11", 1).await;
    }
    let bob = TestApp::client_from("203.0.113.12");
    app.sign_up_with(&TestApp::client_from("198.51.100.1"), "bob@example.com").await.unwrap();
    assert!(link_needed(&app.login(&TestApp::client_from("203.0.113.11"), "bob@example.com", PASSWORD).await));
    app.login(&bob, "bob@example.com", PASSWORD).await.unwrap();

    // Untrusted: a forged header changes nothing; the peer's address counts.
    sqlx::query("delete from login_attempts").execute(&pool).await.unwrap();
    let direct = TestApp::spawn(pool.clone()).await;
    for i in 0..3 {
        fail(&direct, "ada@example.com", &format!("1.2.3.{i}"), 1).await;
    }
    assert_eq!(recorded(pool).await, ["127.0.0.1"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_ups_are_limited_per_address_and_overall(pool: PgPool) {
    let app = TestApp::builder(pool.clone())
        .trusted_proxies(&["127.0.0.1/32"])
        .signups_per_address(3)
        .signups_per_hour(5)
        .spawn()
        .await;
    for i in 0..3 {
        app.sign_up_with(&TestApp::client_from("203.0.113.1"), &format!("a{i}@example.com")).await.unwrap();
    }
    let refused = app.sign_up_with(&TestApp::client_from("203.0.113.1"), "a3@example.com").await.unwrap_err();
    assert!(matches!(&refused, AppError::TooManyRequests(m) if m.contains("from your network")), "{refused:?}");
    // The API says so too, with Retry-After.
    let res = TestApp::client_from("203.0.113.1")
        .post(app.url("/api/v1/auth/register"))
        .json(&serde_json::json!({ "email": "api@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // Another address may, until the server's own hourly limit.
    app.sign_up_with(&TestApp::client_from("203.0.113.2"), "b0@example.com").await.unwrap();
    app.sign_up_with(&TestApp::client_from("203.0.113.3"), "b1@example.com").await.unwrap();
    let full = app.sign_up_with(&TestApp::client_from("203.0.113.4"), "b2@example.com").await.unwrap_err();
    assert!(matches!(&full, AppError::TooManyRequests(m) if m.contains("this hour")), "{full:?}");
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 5, "a refused sign-up makes nothing");
}
