//! Sign-up, log-in, log-out, sessions, rate limits and the cross-origin guard.

use crate::support::{PASSWORD, TestApp};
use domain::Error as AppError;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

/// POST without a cookie jar, with an optional cookie; returns the response.
async fn raw(app: &TestApp, endpoint: &str, form: &[(&str, &str)], cookie: Option<&str>) -> reqwest::Response {
    let client = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.post(app.url(&format!("/api/{endpoint}"))).form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

async fn login_cookie(app: &TestApp, email: &str, password: &str) -> String {
    let res = raw(app, "login", &[("email", email), ("password", password)], None).await;
    assert_eq!(res.status(), StatusCode::OK, "login should succeed");
    TestApp::session_cookie(res.headers()).expect("login sets a session cookie")
}

async fn whoami(app: &TestApp, cookie: &str) -> serde_json::Value {
    raw(app, "current_user", &[], Some(cookie)).await.json().await.unwrap()
}

/// Log in with the login form's server function.
async fn login(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> Result<Value, AppError> {
    app.call(client, "login", &[("email", email), ("password", password)]).await
}

#[sqlx::test(migrations = "../migrations")]
async fn signup_login_and_logout_work_end_to_end(pool: PgPool) {
    let (app, client) = TestApp::with_ada(pool).await;
    let me = app.ok(&client, "current_user", &[]).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["timezone"], "Europe/Paris");

    app.ok(&client, "logout", &[]).await;
    assert_eq!(app.ok(&client, "current_user", &[]).await, serde_json::Value::Null);

    app.ok(&client, "login", &[("email", "ADA@example.com "), ("password", PASSWORD)]).await;
    assert_eq!(app.ok(&client, "current_user", &[]).await["email"], "ada@example.com");
}

#[sqlx::test(migrations = "../migrations")]
async fn passwords_are_stored_as_argon2id_hashes(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.signed_up("ada@example.com").await;
    let hash: String = sqlx::query_scalar("select password_hash from users").fetch_one(&pool).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[sqlx::test(migrations = "../migrations")]
async fn session_cookie_is_http_only_and_same_site_lax(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_up("ada@example.com").await;
    let res = raw(&app, "login", &[("email", "ada@example.com"), ("password", PASSWORD)], None).await;
    let set_cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
}

#[sqlx::test(migrations = "../migrations")]
async fn login_issues_a_new_session_id_and_the_old_one_stops_working(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_up("ada@example.com").await;
    let first = login_cookie(&app, "ada@example.com", PASSWORD).await;
    assert_eq!(whoami(&app, &first).await["email"], "ada@example.com");

    // Log in again carrying the first cookie: the id must change.
    let res = raw(&app, "login", &[("email", "ada@example.com"), ("password", PASSWORD)], Some(&first)).await;
    let second = TestApp::session_cookie(res.headers()).expect("a new cookie at login");
    assert_ne!(first, second);
    assert_eq!(whoami(&app, &second).await["email"], "ada@example.com");
    assert_eq!(whoami(&app, &first).await, serde_json::Value::Null, "the pre-login id is dead");
}

#[sqlx::test(migrations = "../migrations")]
async fn logout_ends_the_session_on_the_server(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.signed_up("ada@example.com").await;
    let cookie = login_cookie(&app, "ada@example.com", PASSWORD).await;
    let res = raw(&app, "logout", &[], Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Replaying the old cookie (as a thief would) gets nobody.
    assert_eq!(whoami(&app, &cookie).await, serde_json::Value::Null);
    let res = raw(&app, "list_projects", &[], Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_password_is_refused_with_a_message(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_up("ada@example.com").await;
    let client = TestApp::client();
    let err = login(&app, &client, "ada@example.com", "nope nope nope").await.unwrap_err();
    assert_eq!(err.field_message("password").as_deref(), Some("That email and password do not match an account."));
    assert_eq!(err.input("email").as_deref(), Some("ada@example.com"), "the typed email comes back");
    assert_eq!(app.ok(&client, "current_user", &[]).await, serde_json::Value::Null);
}

#[sqlx::test(migrations = "../migrations")]
async fn signup_errors_name_each_field_and_create_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let client = TestApp::client();
    let err = app
        .call(&client, "signup", &[("email", "not-an-email"), ("password", "short"), ("timezone", "Mars/Olympus")])
        .await
        .unwrap_err();
    assert!(err.field_message("email").unwrap().contains("Email"));
    assert!(err.field_message("password").unwrap().contains("at least 10"));
    assert!(err.field_message("timezone").unwrap().contains("IANA"));
    assert_eq!(err.input("email").as_deref(), Some("not-an-email"));
    assert_eq!(err.input("password"), None, "passwords are never echoed");
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&pool).await.unwrap();
    assert_eq!(users, 0);

    app.signed_up("ada@example.com").await;
    let err = app.call(&client, "signup", &[("email", "ada@example.com"), ("password", PASSWORD)]).await.unwrap_err();
    assert!(err.field_message("email").unwrap().contains("already exists"));
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_origin_posts_are_rejected(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = Client::new();
    let form = [("email", "eve@example.com"), ("password", PASSWORD)];
    let res =
        client.post(app.url("/api/signup")).header("origin", "http://evil.example").form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res =
        client.post(app.url("/api/signup")).header("sec-fetch-site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The same request from our own origin goes through.
    let res = client
        .post(app.url("/api/signup"))
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn healthz_answers_once_the_database_does(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = Client::new().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_need_a_login_and_redirect_to_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let res = TestApp::client().get(app.url("/projects")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/login?next=/projects");
}

#[sqlx::test(migrations = "../migrations")]
async fn login_without_a_usable_email_names_the_field_and_records_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let client = TestApp::client();
    let long = format!("{}@example.com", "a".repeat(300));
    for email in ["", "   ", long.as_str()] {
        let err = login(&app, &client, email, PASSWORD).await.unwrap_err();
        assert!(err.field_message("email").is_some(), "{email:?}: {err:?}");
    }
    let attempts: i64 = sqlx::query_scalar("select count(*) from login_attempts").fetch_one(&pool).await.unwrap();
    assert_eq!(attempts, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_active_session_is_renewed_at_most_once_a_day(pool: PgPool) {
    let (app, client) = TestApp::with_ada(pool.clone()).await;
    let expiry = || async {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>("select expires_at from sessions")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let fresh = expiry().await;
    app.ok(&client, "list_projects", &[]).await;
    assert_eq!(expiry().await, fresh, "a fresh session is not rewritten on every request");

    // Ten days later (as far as the session row knows), a visit renews it.
    sqlx::query("update sessions set expires_at = now() + interval '4 days'").execute(&pool).await.unwrap();
    app.ok(&client, "list_projects", &[]).await;
    let renewed = expiry().await;
    assert!(renewed > chrono::Utc::now() + chrono::Duration::days(13), "{renewed}");
    assert_eq!(app.ok(&client, "current_user", &[]).await["email"], "ada@example.com");
}
