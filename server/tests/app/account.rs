//! Confirming an address, resetting and changing a password, changing the
//! address, the list of signed-in browsers; what waits for a confirmed address.

use crate::support::{PASSWORD, TestApp};
use domain::Error as AppError;
use serde_json::Value;
use sqlx::PgPool;

const NEW_PASSWORD: &str = "a brand new passphrase";

#[sqlx::test(migrations = "../migrations")]
async fn a_new_address_is_confirmed_by_its_emailed_link_once(pool: PgPool) {
    let app = TestApp::builder(pool.clone()).admin_emails(&["ada@example.com"]).spawn().await;
    let ada = app.signed_up_unconfirmed("ada@example.com").await;
    assert_eq!(app.ok(&ada, "current_user", &[]).await["email_verified"], false);
    // Until then: no admin rights, no brief by email, no texts.
    assert!(matches!(app.call(&ada, "queue_overview", &[]).await, Err(AppError::Forbidden)));
    app.ok(&ada, "generate_brief", &[]).await;
    let err = app.call(&ada, "start_phone_verification", &[("phone", "+14155550100")]).await.unwrap_err();
    assert!(err.field_message("phone").unwrap().contains("Confirm your email"), "{err:?}");

    let token = app.link_token("ada@example.com", 1, "/verify-email").await;
    // Anyone may open the link (a mail scanner, another browser): only the button confirms.
    let res = TestApp::client().get(app.url(&format!("/verify-email?token={token}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.ok(&ada, "current_user", &[]).await["email_verified"], false);
    app.ok(&TestApp::client(), "confirm_email", &[("token", &token)]).await;
    assert_eq!(app.ok(&ada, "current_user", &[]).await["email_verified"], true);
    app.ok(&ada, "queue_overview", &[]).await;
    let again = app.call(&ada, "confirm_email", &[("token", &token)]).await.unwrap_err();
    assert!(again.field_message("token").unwrap().contains("expired or was used"), "{again:?}");
    // A brief generated before confirming was not mailed.
    let emails: i64 = sqlx::query_scalar("select count(*) from emails").fetch_one(&pool).await.unwrap();
    assert_eq!(emails, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_link_replaces_the_old_and_at_most_one_a_minute(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = app.signed_up_unconfirmed("ada@example.com").await;
    let first = app.link_token("ada@example.com", 1, "/verify-email").await;
    let err = app.call(&ada, "resend_verification", &[]).await.unwrap_err();
    assert!(matches!(err, AppError::TooManyRequests(_)), "{err:?}");
    sqlx::query("update account_tokens set created_at = now() - interval '2 minutes'").execute(&pool).await.unwrap();
    app.ok(&ada, "resend_verification", &[]).await;
    let second = app.link_token("ada@example.com", 2, "/verify-email").await;
    assert!(app.call(&ada, "confirm_email", &[("token", &first)]).await.is_err(), "the older link stopped working");
    app.ok(&ada, "confirm_email", &[("token", &second)]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn reset_links_work_once_expire_and_end_every_session(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let ada = app.signed_up("ada@example.com").await;
    let token = app.ok(&ada, "create_api_token", &[("name", "script")]).await["token"].as_str().unwrap().to_string();
    let api_me = |token: String| {
        let url = app.url("/api/v1/me");
        async move { reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    assert_eq!(api_me(token.clone()).await, 200);
    let stranger = TestApp::client();
    // The same answer whether or not the address has an account.
    let known = stranger
        .post(app.url("/api/request_password_reset"))
        .form(&[("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    let unknown = stranger
        .post(app.url("/api/request_password_reset"))
        .form(&[("email", "nobody@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers().get("location"), unknown.headers().get("location"));
    assert_eq!(known.bytes().await.unwrap(), unknown.bytes().await.unwrap());
    let link = app.link_token("ada@example.com", 1, "/reset-password").await;

    let short = app.call(&stranger, "reset_password", &[("token", &link), ("password", "short")]).await.unwrap_err();
    assert!(short.field_message("password").is_some(), "{short:?}");
    app.ok(&stranger, "reset_password", &[("token", &link), ("password", NEW_PASSWORD)]).await;
    assert_eq!(app.ok(&stranger, "current_user", &[]).await["email"], "ada@example.com");
    assert_eq!(app.ok(&ada, "current_user", &[]).await, Value::Null, "the other session ended");
    assert_eq!(api_me(token).await, 401, "and the API token made with the old password");
    let reused = app.call(&TestApp::client(), "reset_password", &[("token", &link), ("password", NEW_PASSWORD)]).await;
    assert!(reused.unwrap_err().field_message("token").is_some(), "single use");
    assert!(app.login(&TestApp::client(), "ada@example.com", PASSWORD).await.is_err());
    app.login(&TestApp::client(), "ada@example.com", NEW_PASSWORD).await.unwrap();

    // An expired link does nothing.
    sqlx::query("update account_tokens set created_at = now() - interval '2 minutes'").execute(&pool).await.unwrap();
    app.ok(&stranger, "request_password_reset", &[("email", "ada@example.com")]).await;
    let late = app.link_token("ada@example.com", 2, "/reset-password").await;
    sqlx::query("update account_tokens set expires_at = now() - interval '1 second' where used_at is null")
        .execute(&pool)
        .await
        .unwrap();
    let expired =
        app.call(&stranger, "reset_password", &[("token", &late), ("password", "yet another passphrase")]).await;
    assert!(expired.unwrap_err().field_message("token").unwrap().contains("expired"));
    app.login(&TestApp::client(), "ada@example.com", NEW_PASSWORD).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_the_password_needs_the_current_one_and_signs_out_other_browsers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let here = app.signed_up("ada@example.com").await;
    let there = TestApp::client();
    app.login(&there, "ada@example.com", PASSWORD).await.unwrap();
    let wrong = app
        .call(&here, "change_password", &[("current_password", "not my password"), ("new_password", NEW_PASSWORD)])
        .await
        .unwrap_err();
    assert!(wrong.field_message("current_password").is_some(), "{wrong:?}");
    assert_eq!(app.ok(&there, "current_user", &[]).await["email"], "ada@example.com", "a failed change ends nothing");
    // Someone who knew the password asked to move the account to their address…
    app.ok(&there, "change_email", &[("current_password", PASSWORD), ("new_email", "eve@example.com")]).await;
    let eves = app.link_token("eve@example.com", 1, "/verify-email").await;
    app.ok(&here, "change_password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD)]).await;
    // …and the new password stops that too.
    let late = app.call(&TestApp::client(), "confirm_email", &[("token", &eves), ("change", "true")]).await;
    assert!(late.unwrap_err().field_message("token").is_some());
    assert_eq!(app.ok(&here, "current_user", &[]).await["email"], "ada@example.com");
    assert_eq!(app.ok(&there, "current_user", &[]).await, Value::Null);
    app.login(&TestApp::client(), "ada@example.com", NEW_PASSWORD).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_address_takes_over_once_confirmed_and_the_old_one_is_told(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ada = app.signed_up("ada@example.com").await;
    app.signed_up("bob@example.com").await;
    let taken = app
        .call(&ada, "change_email", &[("current_password", PASSWORD), ("new_email", "bob@example.com")])
        .await
        .unwrap_err();
    assert!(taken.field_message("new_email").is_some(), "{taken:?}");
    app.ok(&ada, "change_email", &[("current_password", PASSWORD), ("new_email", "Ada.New@Example.com")]).await;
    assert_eq!(app.ok(&ada, "current_user", &[]).await["email"], "ada@example.com", "not before it is confirmed");
    let token = app.link_token("ada.new@example.com", 1, "/verify-email").await;
    for _ in 0..100 {
        if !app.emails_to("ada@example.com").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let notice = app.emails_to("ada@example.com");
    assert!(notice.iter().any(|m| m.contains("ada.new@example.com")), "{notice:?}");
    app.ok(&TestApp::client(), "confirm_email", &[("token", &token), ("change", "true")]).await;
    let me = app.ok(&ada, "current_user", &[]).await;
    assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some("ada.new@example.com"), Some(true)));
    app.login(&TestApp::client(), "ada.new@example.com", PASSWORD).await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn the_browsers_signed_in_are_listed_and_can_be_signed_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let here = app.signed_up("ada@example.com").await;
    let (phone, laptop) = (TestApp::client(), TestApp::client());
    app.login(&phone, "ada@example.com", PASSWORD).await.unwrap();
    app.login(&laptop, "ada@example.com", PASSWORD).await.unwrap();
    let bob = app.signed_up("bob@example.com").await;
    let list = app.ok(&here, "list_sessions", &[]).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list[0]["current"], true);
    assert!(list.iter().all(|s| s["ip"] == "127.0.0.1" && s["signed_in_at"].is_string()), "{list:?}");
    // Another person's session cannot be named.
    let bobs = app.ok(&bob, "list_sessions", &[]).await[0]["key"].as_str().unwrap().to_string();
    assert!(matches!(app.call(&here, "end_sessions", &[("key", &bobs)]).await, Err(AppError::NotFound)));
    let key = list[1]["key"].as_str().unwrap().to_string();
    assert_eq!(app.ok(&here, "end_sessions", &[("key", &key)]).await, 1);
    let app = &app;
    let signed_in = |c| async move { app.ok(c, "current_user", &[]).await != Value::Null };
    assert_eq!(
        [signed_in(&phone).await, signed_in(&laptop).await].iter().filter(|s| **s).count(),
        1,
        "one of the two was signed out"
    );
    assert_eq!(app.ok(&here, "end_sessions", &[("key", "")]).await, 1, "everywhere else");
    assert!(!signed_in(&phone).await && !signed_in(&laptop).await);
    assert!(signed_in(&here).await && signed_in(&bob).await);
}
