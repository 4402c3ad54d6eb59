//! Stripe billing against a stand-in Stripe: checkout and the portal, signed
//! webhooks applied once, each subscription state, the emails that follow,
//! and what the Free plan limits.

use crate::fake_stripe::{FakeStripe, PRICE_MONTHLY, PRICE_YEARLY, WEBHOOK_SECRET, sign, subscription_event};
use crate::support::TestApp;
use domain::Error as AppError;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

async fn user_id(pool: &PgPool, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1").bind(email).fetch_one(pool).await.unwrap()
}

/// A query as the system (the tables here are not a person's to read in full).
async fn system<T>(pool: &PgPool, sql: &str) -> T
where
    T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    let mut tx = domain::db::begin_system(pool).await.unwrap();
    let v = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    v
}

/// POST `event` to the webhook signed with `secret` at `t`: status and body.
async fn deliver(app: &TestApp, event: &Value, secret: &str, t: i64) -> (u16, String) {
    let body = serde_json::to_vec(event).unwrap();
    let response = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", sign(secret, t, &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Start a checkout as the hydrated page does: the address it sends the browser to.
async fn checkout(app: &TestApp, client: &reqwest::Client, price: &str) -> Result<String, AppError> {
    let response = client.post(app.url("/api/start_checkout")).form(&[("price", price)]).send().await.unwrap();
    if !response.status().is_success() {
        return Err(serde_json::from_slice(&response.bytes().await.unwrap()).unwrap());
    }
    Ok(response.headers()["location"].to_str().unwrap().to_string())
}

/// Billing on, Ada signed up and through checkout once (so Stripe knows her as cus_1).
async fn subscribed_app(pool: &PgPool) -> (FakeStripe, TestApp, reqwest::Client) {
    let stripe = FakeStripe::start().await;
    let app = TestApp::builder(pool.clone()).stripe(&stripe.base).spawn().await;
    let ada = app.signed_up("ada@example.com").await;
    checkout(&app, &ada, PRICE_MONTHLY).await.unwrap();
    (stripe, app, ada)
}

#[sqlx::test(migrations = "../migrations")]
async fn checkout_makes_one_customer_and_sends_the_person_to_stripe(pool: PgPool) {
    let stripe = FakeStripe::start().await;
    let app = TestApp::builder(pool.clone()).stripe(&stripe.base).spawn().await;
    let ada = app.signed_up("ada@example.com").await;
    let ada_id = user_id(&pool, "ada@example.com").await;

    let b = app.ok(&ada, "get_billing", &[]).await;
    assert_eq!((b["pro"].as_bool(), b["has_customer"].as_bool()), (Some(false), Some(false)));
    assert_eq!((b["free_ai_per_day"].as_i64(), b["prices"].as_array().unwrap().len()), (Some(1), 2));
    assert_eq!(app.ok(&ada, "billing_enabled", &[]).await, json!(true));
    // No customer yet: no portal.
    assert!(matches!(app.call(&ada, "open_billing_portal", &[]).await, Err(AppError::Conflict(_))));

    // A price that is not ours is refused, naming the field; Stripe is not asked.
    let e = checkout(&app, &ada, "price_someone_elses").await.unwrap_err();
    assert!(e.field_message("price").is_some(), "{e:?}");
    assert!(stripe.calls.lock().unwrap().is_empty());

    let url = checkout(&app, &ada, PRICE_YEARLY).await.unwrap();
    assert_eq!(url, format!("{}/checkout/cs_test_2", stripe.base));
    let customer = &stripe.calls_to("/v1/customers")[0];
    assert_eq!(customer.get("email"), Some("ada@example.com"));
    assert_eq!(customer.get("metadata[user_id]"), Some(ada_id.to_string().as_str()));
    assert_eq!(customer.idempotency.as_deref(), Some(format!("customer-{ada_id}").as_str()));
    let session = &stripe.calls_to("/v1/checkout/sessions")[0];
    assert_eq!(
        (session.get("mode"), session.get("customer"), session.get("line_items[0][price]")),
        (Some("subscription"), Some("cus_1"), Some(PRICE_YEARLY))
    );
    assert_eq!(session.get("success_url"), Some(app.url("/billing?checkout=done").as_str()));
    assert_eq!(session.get("client_reference_id"), Some(ada_id.to_string().as_str()));

    // Again (cancelled the first time): the same customer, a new session.
    checkout(&app, &ada, PRICE_MONTHLY).await.unwrap();
    assert_eq!(stripe.calls_to("/v1/customers").len(), 1);
    assert_eq!(stripe.calls_to("/v1/checkout/sessions")[1].get("customer"), Some("cus_1"));

    // A form without JavaScript gets a real redirect.
    let plain = ada
        .post(app.url("/api/start_checkout"))
        .header("accept", "text/html")
        .form(&[("price", PRICE_MONTHLY)])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 302);
    assert!(plain.headers()["location"].to_str().unwrap().starts_with(&format!("{}/checkout/", stripe.base)));

    // The portal, for the customer, coming back to the billing page.
    let portal = ada.post(app.url("/api/open_billing_portal")).send().await.unwrap();
    assert!(portal.headers()["location"].to_str().unwrap().starts_with(&format!("{}/portal/", stripe.base)));
    let call = &stripe.calls_to("/v1/billing_portal/sessions")[0];
    assert_eq!((call.get("customer"), call.get("return_url")), (Some("cus_1"), Some(app.url("/billing").as_str())));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_event_is_applied_once_and_a_replay_changes_nothing(pool: PgPool) {
    let (_stripe, app, ada) = subscribed_app(&pool).await;
    let active = subscription_event("evt_1", "customer.subscription.created", now() - 10, "cus_1", "active");
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await, (200, "Applied.".into()));
    let b = app.ok(&ada, "get_billing", &[]).await;
    assert_eq!((b["pro"].as_bool(), b["status"].as_str()), (Some(true), Some("active")));
    assert_eq!(b["period_end"], "2030-01-01T00:00:00Z");

    let past_due = subscription_event("evt_2", "customer.subscription.updated", now() - 5, "cus_1", "past_due");
    assert_eq!(deliver(&app, &past_due, WEBHOOK_SECRET, now()).await.0, 200);
    // The first event again, freshly signed (Stripe's retry, or a captured request resent): nothing changes.
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await, (200, "Already applied.".into()));
    let status: String = system(&pool, "select status from subscriptions").await;
    assert_eq!(status, "past_due");
    let events: i64 = system(&pool, "select count(*) from stripe_events").await;
    assert_eq!(events, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_or_stale_signature_is_refused_and_changes_nothing(pool: PgPool) {
    let (_stripe, app, _ada) = subscribed_app(&pool).await;
    let event = subscription_event("evt_1", "customer.subscription.created", now(), "cus_1", "active");
    assert_eq!(deliver(&app, &event, "whsec_not_ours", now()).await, (400, "Bad signature.".into()));
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now() - 301).await.0, 400, "five minutes old");
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now() + 301).await.0, 400, "from the future");
    // Signed, then changed on the way.
    let body = serde_json::to_vec(&event).unwrap();
    let header = sign(WEBHOOK_SECRET, now(), &body);
    let tampered = String::from_utf8(body).unwrap().replace("active", "trialing");
    let r = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", header)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let unsigned = reqwest::Client::new().post(app.url("/webhooks/stripe")).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status(), 400);

    let events: i64 = system(&pool, "select count(*) from stripe_events").await;
    assert_eq!(events, 0);
    let status: Option<String> = system(&pool, "select status from subscriptions").await;
    assert_eq!(status, None);
    // Signed properly, the same event goes through (it was never marked seen).
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now()).await.0, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn each_subscription_state_with_its_emails(pool: PgPool) {
    let (_stripe, app, ada) = subscribed_app(&pool).await;
    let t0 = now() - 100;
    // Event n, created n seconds after t0.
    let state = |n: i64, status: &str| {
        let kind = if n == 1 { "customer.subscription.created" } else { "customer.subscription.updated" };
        subscription_event(&format!("evt_{n}"), kind, t0 + n, "cus_1", status)
    };
    let pro = async |app: &TestApp| app.ok(&ada, "get_billing", &[]).await["pro"].as_bool().unwrap();
    let billing_jobs = async |pool: &PgPool| -> Vec<Value> {
        sqlx::query_scalar(
            "select convert_from(job, 'UTF8')::jsonb from apalis.jobs where job_type = 'billing-email' order by id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    };

    for (n, status, pays) in [(1, "trialing", true), (2, "active", true), (3, "past_due", true)] {
        assert_eq!(deliver(&app, &state(n, status), WEBHOOK_SECRET, now()).await.0, 200);
        assert_eq!(pro(&app).await, pays, "{status}");
    }
    // A failed payment: Stripe will retry on a date, and the person is told.
    let retry_at = 1_893_456_000;
    let failed = json!({
        "id": "evt_invoice", "type": "invoice.payment_failed", "created": t0 + 4, "object": "event",
        "data": { "object": { "id": "in_1", "object": "invoice", "customer": "cus_1", "attempt_count": 1,
                              "next_payment_attempt": retry_at } }
    });
    assert_eq!(deliver(&app, &failed, WEBHOOK_SECRET, now()).await.0, 200);
    let jobs = billing_jobs(&pool).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["email"]["PaymentFailed"]["next_attempt"], "2030-01-01T00:00:00Z");

    // Paid after all, then cancelled: Free again, with an email saying so.
    for (n, status, pays) in [(5, "active", true), (6, "canceled", false)] {
        assert_eq!(deliver(&app, &state(n, status), WEBHOOK_SECRET, now()).await.0, 200);
        assert_eq!(pro(&app).await, pays, "{status}");
    }
    let jobs = billing_jobs(&pool).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[1]["email"], "Ended");
    // An older event arriving late does not bring the subscription back.
    let late = subscription_event("evt_late", "customer.subscription.updated", t0 + 2, "cus_1", "active");
    assert_eq!(deliver(&app, &late, WEBHOOK_SECRET, now()).await.0, 200);
    assert!(!pro(&app).await);

    // The emails, as the worker sends them.
    let mail = domain::account::mail::Mail {
        mailer: domain::notify::email::Mailer::Outbox(app.outbox.clone()),
        from: "BuildOS <briefs@buildos.local>".parse().unwrap(),
        base_url: app.url(""),
    };
    for job in billing_jobs(&pool).await {
        let job: domain::jobs::BillingEmailJob = serde_json::from_value(job).unwrap();
        domain::billing::service::send_email(&pool, &mail, Some(1), &job).await.unwrap();
    }
    let emails = app.emails_to("ada@example.com");
    let failed = emails.iter().find(|m| m.contains("payment did not go through")).expect("the dunning email");
    assert!(failed.contains("try again on Tuesday 1 January") && failed.contains("/billing"), "{failed}");
    let ended = emails.iter().find(|m| m.contains("has ended")).expect("the ended email");
    assert!(ended.contains("1 AI") && ended.contains("Free plan"), "{ended}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_free_plan_limits_ai_and_texts_and_pro_lifts_them(pool: PgPool) {
    use domain::notify::sms::{Delivery, SmsSender, deliver as deliver_sms};
    let reply = || crate::llm::Reply::Content(json!({ "operations": [] }).to_string());
    let (_fake, mut engine) =
        crate::llm::start(vec![reply(), reply(), reply()], std::time::Duration::from_secs(30)).await;
    let stripe = FakeStripe::start().await;
    if let domain::brain_dump::llm::Engine::Llm(llm) = &mut engine {
        llm.quota.free_per_day = Some(1);
    }
    let app = TestApp::builder(pool.clone()).engine(engine).stripe(&stripe.base).spawn().await;
    let ada = app.signed_up("ada@example.com").await;
    let ada_id = user_id(&pool, "ada@example.com").await;
    let parse = async || {
        let id = app.ok(&ada, "save_draft", &[("content", "buy seeds")]).await.as_str().unwrap().to_string();
        app.call(&ada, "parse_brain_dump", &[("id", &id)]).await
    };
    parse().await.unwrap();
    let refused = parse().await.unwrap_err();
    assert!(
        matches!(&refused, AppError::TooManyRequests(m) if m.contains("Free plan") && m.contains("1000 a day")),
        "{refused:?}"
    );

    // A text on Free is not sent.
    let caps = domain::settings::SmsCaps { per_number_per_day: 10, per_day: 500, need_plan: true };
    let sender = SmsSender::Outbox(app.outbox.clone());
    let text = async |key: &str| -> Delivery {
        let mut tx = domain::db::begin_as(&pool, ada_id).await.unwrap();
        let id: Uuid = sqlx::query_scalar(
            "insert into sms_messages (user_id, key, to_phone, body) values ($1, $2, '+14155550100', 'Your brief is ready') returning id",
        )
        .bind(ada_id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        deliver_sms(&pool, &sender, &caps, ada_id, id).await.unwrap()
    };
    assert_eq!(text("brief:1").await, Delivery::Suppressed("texts are part of the Pro plan".into()));

    // Subscribed: the server's own limits, and texts go out.
    checkout(&app, &ada, PRICE_MONTHLY).await.unwrap();
    let active = subscription_event("evt_1", "customer.subscription.created", now(), "cus_1", "active");
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await.0, 200);
    parse().await.unwrap();
    assert!(matches!(text("brief:2").await, Delivery::Sent(_)));
}

#[sqlx::test(migrations = "../migrations")]
async fn with_billing_off_there_is_no_billing(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool.clone()).await;
    assert!(matches!(app.call(&ada, "get_billing", &[]).await, Err(AppError::NotFound)));
    assert!(matches!(app.call(&ada, "start_checkout", &[("price", PRICE_MONTHLY)]).await, Err(AppError::NotFound)));
    assert_eq!(app.ok(&ada, "billing_enabled", &[]).await, json!(false));
    let event = subscription_event("evt_1", "customer.subscription.created", now(), "cus_1", "active");
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now()).await.0, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_the_account_cancels_the_subscription_at_stripe(pool: PgPool) {
    let (stripe, app, ada) = subscribed_app(&pool).await;
    let active = subscription_event("evt_1", "customer.subscription.created", now(), "cus_1", "active");
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await.0, 200);
    app.ok(&ada, "delete_account", &[("current_password", crate::support::PASSWORD), ("confirm", "on")]).await;
    assert_eq!(stripe.calls_to("/v1/subscriptions/sub_1").len(), 1);
    let left: i64 = system(&pool, "select count(*) from subscriptions").await;
    assert_eq!(left, 0);
}
