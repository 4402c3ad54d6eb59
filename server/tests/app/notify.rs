//! Email to a real SMTP listener (aiosmtpd), SMS through a fake Twilio on
//! 127.0.0.1, phone verification, the signed delivery-status webhook, and
//! unsubscribing from a link without logging in.

use crate::smtp::Smtp;
use crate::support::{TWILIO_TOKEN, TestApp};
use axum::extract::State;
use axum::routing::post;
use axum::{Form, Json, Router};
use domain::brain_dump::llm::Engine;
use domain::notify::email::Delivery;
use domain::notify::sms::{SmsSender, signature};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Run a query in the system scope (the tests look across people).
async fn system_scalar<T>(pool: &PgPool, sql: &'static str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    let v: T = sqlx::query_scalar(sql).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    v
}

/// Run a statement in the system scope (the tests change other rows than a person's own).
async fn system_exec(pool: &PgPool, sql: &'static str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.system', 'on', true)").execute(&mut *tx).await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn user_id(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_brief_email_reaches_a_real_smtp_server_once_with_both_parts_and_a_working_unsubscribe(pool: PgPool) {
    let smtp = Smtp::start().await;
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let (garden, _) = app.project(&c, "Garden").await;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).date_naive().to_string();
    app.task(&c, &garden, &[("title", "Buy seeds <now>"), ("due_date", &today)]).await;
    let brief_id: Uuid = app.ok(&c, "generate_brief", &[]).await.as_str().unwrap().parse().unwrap();
    let ada = user_id(&pool, "ada@example.com").await;
    domain::brief::service::generate(&pool, ada, brief_id, &Engine::Offline).await.unwrap();
    let email_id: Uuid = system_scalar(&pool, "select id from emails").await;

    // The links: where the app is served, known from PORT alone (as the worker reads it).
    let port = app.url("").rsplit(':').next().unwrap().to_string();
    let vars =
        [("DATABASE_URL", "postgres://unused"), ("PORT", port.as_str()), ("OUTBOX_DIR", "/tmp/buildos-test-outbox")];
    let settings =
        domain::settings::Settings::from_vars(&|k| vars.iter().find(|v| v.0 == k).map(|v| v.1.into())).unwrap();
    let base = settings.public_base_url.clone();
    let key = domain::notify::token::signing_key(&pool, None).await.unwrap();
    let mailer = smtp.mailer();
    let from = domain::notify::email::from_address(None).unwrap();
    let deliver = |email_id| domain::notify::email::deliver(&pool, &mailer, &from, &base, &key, ada, email_id);
    assert_eq!(deliver(email_id).await.unwrap(), Delivery::Sent);
    let again = deliver(email_id).await.unwrap();
    assert_eq!(again, Delivery::AlreadySent, "a second run of the job sends nothing");

    let received = smtp.received();
    assert_eq!(received.len(), 1, "exactly one email arrived");
    let message = MessageParser::default().parse(&received[0]).unwrap();
    assert!(message.subject().unwrap().starts_with("Your brief for "));
    assert_eq!(message.to().unwrap().first().unwrap().address().unwrap(), "ada@example.com");
    assert_eq!(message.content_type().unwrap().subtype(), Some("alternative"));
    let text = message.body_text(0).unwrap();
    let html = message.body_html(0).unwrap();
    assert!(text.contains("Buy seeds <now>") && text.contains("Today:"), "{text}");
    assert!(html.contains("Buy seeds &lt;now&gt;"), "HTML is escaped: {html}");
    let unsubscribe = message.header_raw("List-Unsubscribe").unwrap().trim().to_string();
    assert_eq!(message.header_raw("List-Unsubscribe-Post").unwrap().trim(), "List-Unsubscribe=One-Click");
    let link = unsubscribe.trim_start_matches('<').trim_end_matches('>').to_string();
    assert!(link.starts_with(&format!("{base}/unsubscribe/one-click?token=")), "{link}");
    assert!(text.contains(&link), "the plain part carries the same link");

    // A forged link does nothing; the real one unsubscribes without a session (one-click POST).
    let anonymous = TestApp::client();
    let forged = link.replace("token=", "token=0");
    let r = anonymous.post(&forged).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(app.ok(&c, "get_brief_prefs", &[]).await["email"], true);
    let r = anonymous.post(&link).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.ok(&c, "get_brief_prefs", &[]).await["email"], false);
    // An email still queued from before (a retry, say) is not sent after that.
    let mut tx = domain::db::begin_as(&pool, ada).await.unwrap();
    let queued: Uuid = sqlx::query_scalar(
        "insert into emails (user_id, key, to_address, subject, message_id)
         values ($1, 'brief:' || $2::text || '-again', 'ada@example.com', 's', '<again@buildos>') returning id",
    )
    .bind(ada)
    .bind(brief_id)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = deliver(queued).await.unwrap();
    assert_eq!(r, Delivery::Unsubscribed);
    assert_eq!(smtp.received().len(), 1, "still just the one");
    // The page for people: the address, partly hidden.
    let token = link.split("token=").nth(1).unwrap();
    assert_eq!(app.ok(&anonymous, "unsubscribe_info", &[("token", token)]).await, "a•••@example.com");
}

/// One request to the fake: its Authorization header and its form.
type Sent = (Option<String>, Vec<(String, String)>);

#[derive(Clone, Default)]
struct FakeTwilio {
    sent: Arc<Mutex<Vec<Sent>>>,
}

async fn messages(
    State(fake): State<FakeTwilio>,
    headers: axum::http::HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    fake.sent.lock().unwrap().push((auth, form));
    let n = fake.sent.lock().unwrap().len();
    (axum::http::StatusCode::CREATED, Json(json!({ "sid": format!("SM{n:032}"), "status": "queued" })))
}

async fn fake_twilio() -> (FakeTwilio, SmsSender) {
    let fake = FakeTwilio::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router =
        Router::new().route("/2010-04-01/Accounts/{sid}/Messages.json", post(messages)).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let sender = SmsSender::Twilio {
        base_url: format!("http://{addr}"),
        account_sid: "ACtest".into(),
        auth_token: "secret".into(),
        from: "+15005550006".into(),
        status_callback: Some("https://buildos.example/webhooks/twilio/status".into()),
    };
    (fake, sender)
}

/// The text caps of these tests (the defaults).
const CAPS: domain::settings::SmsCaps =
    domain::settings::SmsCaps { per_number_per_day: 10, per_day: 500, need_plan: false };

/// Deliver the newest queued SMS of `user` and return the code in it.
async fn deliver_code(pool: &PgPool, sender: &SmsSender, fake: &FakeTwilio, user: Uuid) -> String {
    let sms_id: Uuid =
        system_scalar(pool, "select id from sms_messages where status = 'queued' order by created_at desc limit 1")
            .await;
    let sent = domain::notify::sms::deliver(pool, sender, &CAPS, user, sms_id).await.unwrap();
    assert!(matches!(sent, domain::notify::sms::Delivery::Sent(_)), "{sent:?}");
    let last = fake.sent.lock().unwrap().last().cloned().unwrap();
    let body = last.1.iter().find(|(k, _)| k == "Body").unwrap().1.clone();
    regex::Regex::new(r"\b(\d{6})\b").unwrap().captures(&body).unwrap()[1].to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn phone_verification_by_twilio_with_expiry_and_an_attempt_limit(pool: PgPool) {
    let (fake, sender) = fake_twilio().await;
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let ada = user_id(&pool, "ada@example.com").await;

    let bad = app.call(&c, "start_phone_verification", &[("phone", "0612")]).await.unwrap_err();
    assert!(bad.field_message("phone").unwrap().contains("international"), "{bad:?}");

    app.ok(&c, "start_phone_verification", &[("phone", "+1 415 555 0100")]).await;
    let jobs: i64 =
        sqlx::query_scalar("select count(*) from apalis.jobs where job_type = 'sms'").fetch_one(&pool).await.unwrap();
    assert_eq!(jobs, 1, "the SMS job is enqueued with the code");
    let code = deliver_code(&pool, &sender, &fake, ada).await;
    {
        let sent = fake.sent.lock().unwrap();
        let (auth, form) = &sent[0];
        assert!(auth.as_deref().unwrap().starts_with("Basic "), "HTTP basic auth with the account SID");
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!((get("To"), get("From")), (Some("+14155550100"), Some("+15005550006")));
        assert_eq!(get("StatusCallback"), Some("https://buildos.example/webhooks/twilio/status"));
    }
    // Asking again within a minute is refused.
    let again = app.call(&c, "start_phone_verification", &[("phone", "+14155550100")]).await.unwrap_err();
    assert!(matches!(again, domain::Error::TooManyRequests(_)), "{again:?}");

    // Five wrong codes, then even the right one is refused.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let e = app.call(&c, "confirm_phone", &[("code", wrong)]).await.unwrap_err();
        let m = e.field_message("code").unwrap();
        assert!(if left > 0 { m.contains(&format!("{left} tries left")) } else { m.contains("last try") }, "{m}");
    }
    let e = app.call(&c, "confirm_phone", &[("code", &code)]).await.unwrap_err();
    assert!(e.field_message("code").unwrap().contains("Too many"), "{e:?}");

    // A new code (a minute later); it expires after ten minutes.
    system_exec(&pool, "update phone_verifications set created_at = now() - interval '2 minutes'").await;
    app.ok(&c, "start_phone_verification", &[("phone", "+14155550100")]).await;
    let code = deliver_code(&pool, &sender, &fake, ada).await;
    system_exec(&pool, "update phone_verifications set expires_at = now() - interval '1 second'").await;
    let e = app.call(&c, "confirm_phone", &[("code", &code)]).await.unwrap_err();
    assert!(e.field_message("code").unwrap().contains("expired"), "{e:?}");

    system_exec(&pool, "update phone_verifications set expires_at = now() + interval '5 minutes'").await;
    assert_eq!(app.ok(&c, "confirm_phone", &[("code", &code)]).await, "+14155550100");

    // At most five codes a day, however patient the caller (each would reset the guesses).
    for _ in 0..3 {
        system_exec(&pool, "update phone_verifications set created_at = now() - interval '2 minutes'").await;
        app.ok(&c, "start_phone_verification", &[("phone", "+14155550100")]).await;
    }
    system_exec(&pool, "update phone_verifications set created_at = now() - interval '2 minutes'").await;
    let e = app.call(&c, "start_phone_verification", &[("phone", "+14155550100")]).await.unwrap_err();
    assert!(matches!(&e, domain::Error::TooManyRequests(m) if m.contains("last day")), "{e:?}");
    let prefs = app.ok(&c, "get_sms_prefs", &[]).await;
    assert_eq!((prefs["phone"].as_str(), prefs["verified"].as_bool()), (Some("+14155550100"), Some(true)));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_delivery_webhook_accepts_twilios_signature_and_rejects_tampering(pool: PgPool) {
    let (fake, sender) = fake_twilio().await;
    let (app, c) = TestApp::with_ada(pool.clone()).await;
    let ada = user_id(&pool, "ada@example.com").await;
    app.ok(&c, "start_phone_verification", &[("phone", "+14155550100")]).await;
    deliver_code(&pool, &sender, &fake, ada).await;
    let sid: String = system_scalar(&pool, "select provider_sid from sms_messages").await;

    let url = app.url("/webhooks/twilio/status");
    let params =
        |status: &str| vec![("MessageSid".to_string(), sid.clone()), ("MessageStatus".to_string(), status.to_string())];
    let post = |body: Vec<(String, String)>, sig: String| {
        let url = url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-twilio-signature", sig)
                .form(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let good = signature(TWILIO_TOKEN, &url, &params("delivered"));
    // Tampered body (same signature, other status), other URL, other key, no signature: all refused.
    assert_eq!(post(params("failed"), good.clone()).await, 403);
    assert_eq!(
        post(params("delivered"), signature(TWILIO_TOKEN, "https://evil.example/x", &params("delivered"))).await,
        403
    );
    assert_eq!(post(params("delivered"), signature("other-token", &url, &params("delivered"))).await, 403);
    assert_eq!(post(params("delivered"), String::new()).await, 403);
    let status: String = system_scalar(&pool, "select status from sms_messages").await;
    assert_eq!(status, "sent", "nothing changed");

    assert_eq!(post(params("delivered"), good).await, 204);
    let status: String = system_scalar(&pool, "select status from sms_messages").await;
    assert_eq!(status, "delivered");
    // A late (or replayed) "sent" callback does not move it back.
    assert_eq!(post(params("sent"), signature(TWILIO_TOKEN, &url, &params("sent"))).await, 204);
    let status: String = system_scalar(&pool, "select status from sms_messages").await;
    assert_eq!(status, "delivered");
}

#[sqlx::test(migrations = "../migrations")]
async fn task_reminders_go_once_a_day_to_people_who_asked_and_verified(pool: PgPool) {
    let (app, c) = TestApp::with_ada(pool.clone()).await; // Europe/Paris
    let quiet = app.signed_up("bob@example.com").await;
    let (p, _) = app.project(&c, "Garden").await;
    let (q, _) = app.project(&quiet, "Shed").await;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive().to_string();
    app.task(&c, &p, &[("title", "Water the beds"), ("due_date", &today)]).await;
    app.task(&c, &p, &[("title", "Later"), ("due_date", "2099-01-01")]).await;
    app.task(&quiet, &q, &[("title", "Paint"), ("due_date", &today)]).await;
    let (ada, bob) = (user_id(&pool, "ada@example.com").await, user_id(&pool, "bob@example.com").await);
    for (user, reminders) in [(ada, true), (bob, false)] {
        let mut tx = domain::db::begin_as(&pool, user).await.unwrap();
        sqlx::query(
            "insert into sms_preferences (user_id, phone, verified_at, task_reminders) values ($1, '+14155550100', now(), $2)",
        )
        .bind(user)
        .bind(reminders)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("insert into brief_preferences (user_id, time_of_day) values ($1, '00:00')")
            .bind(user)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(domain::notify::sms::schedule_reminders(&pool, now).await.unwrap(), 1);
    assert_eq!(domain::notify::sms::schedule_reminders(&pool, now).await.unwrap(), 0, "once a day");
    let body: String = system_scalar(&pool, "select body from sms_messages").await;
    assert_eq!(body, "Due today: Water the beds");
    let jobs: i64 =
        sqlx::query_scalar("select count(*) from apalis.jobs where job_type = 'sms'").fetch_one(&pool).await.unwrap();
    assert_eq!(jobs, 1);
}

/// Twenty verification requests at once (a double-clicking person, or a
/// script): one code is made and one text queued; the others wait their turn
/// and are told a code was just sent.
#[sqlx::test(migrations = "../migrations")]
async fn parallel_verification_requests_send_one_text(pool: PgPool) {
    let (_app, _c) = TestApp::with_ada(pool.clone()).await;
    let ada = user_id(&pool, "ada@example.com").await;
    let tries = (0..20).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { domain::notify::sms::start_verification(&pool, &CAPS, ada, "+14155550100").await })
    });
    let results = futures::future::join_all(tries).await;
    let sent = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    assert_eq!(sent, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().unwrap().as_ref().err())
            .all(|e| e.to_string().contains("less than a minute"))
    );
    let texts: i64 = system_scalar(&pool, "select count(*) from sms_messages where key like 'verify:%'").await;
    assert_eq!(texts, 1);
}

/// However many people ask, one number gets a bounded number of texts a day.
#[sqlx::test(migrations = "../migrations")]
async fn one_number_gets_a_few_texts_a_day_whoever_asks(pool: PgPool) {
    let (app, _c) = TestApp::with_ada(pool.clone()).await;
    app.signed_up("bob@example.com").await;
    let caps = domain::settings::SmsCaps { per_number_per_day: 1, per_day: 500, need_plan: false };
    let (ada, bob) = (user_id(&pool, "ada@example.com").await, user_id(&pool, "bob@example.com").await);
    domain::notify::sms::start_verification(&pool, &caps, ada, "+14155550100").await.unwrap();
    let (fake, sender) = fake_twilio().await;
    deliver_code(&pool, &sender, &fake, ada).await;
    let refused = domain::notify::sms::start_verification(&pool, &caps, bob, "+1 415 555 0100").await.unwrap_err();
    assert!(
        matches!(&refused, domain::Error::TooManyRequests(m) if m.contains("no more texts") || m.contains("cannot get more")),
        "{refused:?}"
    );
    domain::notify::sms::start_verification(&pool, &caps, bob, "+14155550199").await.unwrap();
}
