//! Stripe billing against a stand-in Stripe: checkout and the portal, signed
//! webhooks applied once, each subscription state, the emails that follow,
//! and what the Free plan limits.

use crate::fake_stripe::{FakeStripe, PRICE_MONTHLY, PRICE_YEARLY, WEBHOOK_SECRET, event, sign, subscription};
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

/// Stripe's subscription `sub` of cus_1 (Ada's) is now `status`, and it sends
/// event `id` of `kind`, created at `created`: the webhook's answer status.
async fn changed(
    app: &TestApp,
    stripe: &FakeStripe,
    sub: &str,
    status: &str,
    id: &str,
    kind: &str,
    created: i64,
) -> u16 {
    let ada = user_id(&app.pool, "ada@example.com").await.to_string();
    let object = subscription(sub, "cus_1", status, &ada);
    stripe.put(&object);
    deliver(app, &event(id, kind, created, &object), WEBHOOK_SECRET, now()).await.0
}

const CREATED: &str = "customer.subscription.created";
const UPDATED: &str = "customer.subscription.updated";

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
    let (stripe, app, ada) = subscribed_app(&pool).await;
    let ada_id = user_id(&pool, "ada@example.com").await.to_string();
    let object = subscription("sub_1", "cus_1", "active", &ada_id);
    stripe.put(&object);
    let active = event("evt_1", CREATED, now() - 10, &object);
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await, (200, "Applied.".into()));
    let b = app.ok(&ada, "get_billing", &[]).await;
    assert_eq!((b["pro"].as_bool(), b["status"].as_str()), (Some(true), Some("active")));
    assert_eq!(b["period_end"], "2030-01-01T00:00:00Z");
    // The state applied is the one Stripe gives when asked.
    assert_eq!(stripe.calls_to("/v1/subscriptions/sub_1").len(), 1);

    assert_eq!(changed(&app, &stripe, "sub_1", "past_due", "evt_2", UPDATED, now() - 5).await, 200);
    // The newest event again, freshly signed (Stripe's retry, or a captured
    // request resent): answered, not applied (Stripe is not even asked).
    stripe.put(&subscription("sub_1", "cus_1", "canceled", &ada_id));
    let past_due = event("evt_2", UPDATED, now() - 5, &subscription("sub_1", "cus_1", "past_due", &ada_id));
    assert_eq!(deliver(&app, &past_due, WEBHOOK_SECRET, now()).await, (200, "Already applied.".into()));
    assert_eq!(stripe.calls_to("/v1/subscriptions/sub_1").len(), 2);
    let status: String = system(&pool, "select status from subscriptions").await;
    assert_eq!(status, "past_due");
    let events: i64 = system(&pool, "select count(*) from stripe_events").await;
    assert_eq!(events, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_bad_or_stale_signature_is_refused_and_changes_nothing(pool: PgPool) {
    let (stripe, app, _ada) = subscribed_app(&pool).await;
    let ada_id = user_id(&pool, "ada@example.com").await.to_string();
    let object = subscription("sub_1", "cus_1", "active", &ada_id);
    stripe.put(&object);
    let event = event("evt_1", CREATED, now(), &object);
    assert_eq!(deliver(&app, &event, "whsec_not_ours", now()).await, (400, "Bad signature.".into()));
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now() - 301).await.0, 400, "five minutes old");
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now() + 301).await.0, 400, "from the future");
    // Signed, then changed on the way.
    let body = serde_json::to_vec(&event).unwrap();
    let header = sign(WEBHOOK_SECRET, now(), &body);
    let tampered = String::from_utf8(body).unwrap().replace("evt_1", "evt_2");
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
    let (stripe, app, ada) = subscribed_app(&pool).await;
    let t0 = now() - 100;
    let pro = async || app.ok(&ada, "get_billing", &[]).await["pro"].as_bool().unwrap();
    let billing_jobs = async || -> Vec<Value> {
        sqlx::query_scalar(
            "select convert_from(job, 'UTF8')::jsonb from apalis.jobs where job_type = 'billing-email' order by id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };

    for (n, status, pays) in [(1, "trialing", true), (2, "active", true), (3, "past_due", true)] {
        let kind = if n == 1 { CREATED } else { UPDATED };
        assert_eq!(changed(&app, &stripe, "sub_1", status, &format!("evt_{n}"), kind, t0 + n).await, 200);
        assert_eq!(pro().await, pays, "{status}");
    }
    // A failed payment: Stripe will retry on a date, and the person is told.
    let retry_at = 1_893_456_000;
    let invoice = json!({ "id": "in_1", "object": "invoice", "customer": "cus_1", "attempt_count": 1,
                          "next_payment_attempt": retry_at });
    let failed = event("evt_invoice", "invoice.payment_failed", t0 + 4, &invoice);
    assert_eq!(deliver(&app, &failed, WEBHOOK_SECRET, now()).await.0, 200);
    let jobs = billing_jobs().await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["email"]["PaymentFailed"]["next_attempt"], "2030-01-01T00:00:00Z");

    // Paid after all, then cancelled: Free again, with an email saying so.
    for (n, status, pays) in [(5, "active", true), (6, "canceled", false)] {
        assert_eq!(changed(&app, &stripe, "sub_1", status, &format!("evt_{n}"), UPDATED, t0 + n).await, 200);
        assert_eq!(pro().await, pays, "{status}");
    }
    let jobs = billing_jobs().await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[1]["email"], "Ended");
    // An older event arriving late carries an old state: what Stripe has now is kept.
    let ada_id = user_id(&pool, "ada@example.com").await.to_string();
    let late = event("evt_late", UPDATED, t0 + 2, &subscription("sub_1", "cus_1", "active", &ada_id));
    assert_eq!(deliver(&app, &late, WEBHOOK_SECRET, now()).await.0, 200);
    assert!(!pro().await);
    // A failed payment of someone not (or no longer) on Pro sends nothing.
    let failed = event("evt_invoice_2", "invoice.payment_failed", t0 + 7, &invoice);
    assert_eq!(deliver(&app, &failed, WEBHOOK_SECRET, now()).await.0, 200);
    assert_eq!(billing_jobs().await.len(), 2);

    // The emails, as the worker sends them.
    let mail = domain::account::mail::Mail {
        mailer: domain::notify::email::Mailer::Outbox(app.outbox.clone()),
        from: "BuildOS <briefs@buildos.local>".parse().unwrap(),
        base_url: app.url(""),
    };
    for job in billing_jobs().await {
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
async fn events_in_any_order_or_the_same_second_leave_stripes_state(pool: PgPool) {
    let (stripe, app, ada) = subscribed_app(&pool).await;
    let ada_id = user_id(&pool, "ada@example.com").await.to_string();
    let t = now();
    // Checkout: created (incomplete) and updated (active) in one second, the update arriving first.
    stripe.put(&subscription("sub_1", "cus_1", "active", &ada_id));
    let incomplete = event("evt_1", CREATED, t, &subscription("sub_1", "cus_1", "incomplete", &ada_id));
    let active = event("evt_2", UPDATED, t, &subscription("sub_1", "cus_1", "active", &ada_id));
    assert_eq!(deliver(&app, &active, WEBHOOK_SECRET, now()).await.0, 200);
    assert_eq!(deliver(&app, &incomplete, WEBHOOK_SECRET, now()).await.0, 200);
    let b = app.ok(&ada, "get_billing", &[]).await;
    assert_eq!((b["pro"].as_bool(), b["status"].as_str()), (Some(true), Some("active")));

    // An older API version: the period on the subscription itself.
    let mut old = subscription("sub_1", "cus_1", "active", &ada_id);
    old["current_period_end"] = json!(1_900_000_000);
    old["items"]["data"][0].as_object_mut().unwrap().remove("current_period_end");
    stripe.put(&old);
    assert_eq!(deliver(&app, &event("evt_3", UPDATED, t, &old), WEBHOOK_SECRET, now()).await.0, 200);
    assert_eq!(app.ok(&ada, "get_billing", &[]).await["period_end"], "2030-03-17T17:46:40Z");

    // A second subscription (two checkouts at once) does not replace the one kept.
    assert_eq!(changed(&app, &stripe, "sub_2", "canceled", "evt_4", CREATED, t).await, 200);
    let kept: String = system(&pool, "select subscription_id from subscriptions").await;
    assert_eq!(kept, "sub_1");
    assert!(app.ok(&ada, "get_billing", &[]).await["pro"].as_bool().unwrap());
    // While it is live, no new checkout.
    assert!(matches!(checkout(&app, &ada, PRICE_MONTHLY).await, Err(AppError::Conflict(_))));
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
    assert_eq!(changed(&app, &stripe, "sub_1", "active", "evt_1", CREATED, now()).await, 200);
    parse().await.unwrap();
    assert!(matches!(text("brief:2").await, Delivery::Sent(_)));
}

#[sqlx::test(migrations = "../migrations")]
async fn with_billing_off_there_is_no_billing(pool: PgPool) {
    let (app, ada) = TestApp::with_ada(pool.clone()).await;
    assert!(matches!(app.call(&ada, "get_billing", &[]).await, Err(AppError::NotFound)));
    assert!(matches!(app.call(&ada, "start_checkout", &[("price", PRICE_MONTHLY)]).await, Err(AppError::NotFound)));
    assert_eq!(app.ok(&ada, "billing_enabled", &[]).await, json!(false));
    let event = event("evt_1", CREATED, now(), &subscription("sub_1", "cus_1", "active", "x"));
    assert_eq!(deliver(&app, &event, WEBHOOK_SECRET, now()).await.0, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_the_account_cancels_its_subscriptions_at_stripe_or_deletes_nothing(pool: PgPool) {
    let (stripe, app, ada) = subscribed_app(&pool).await;
    let ada_id = user_id(&pool, "ada@example.com").await.to_string();
    assert_eq!(changed(&app, &stripe, "sub_1", "active", "evt_1", CREATED, now()).await, 200);
    let delete = [("current_password", crate::support::PASSWORD), ("confirm", "on")];

    // Stripe down: nothing is deleted, and the person is told why.
    stripe.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let e = app.call(&ada, "delete_account", &delete).await.unwrap_err();
    assert!(matches!(&e, AppError::Upstream(m) if m.contains("nothing was deleted")), "{e:?}");
    assert_eq!(system::<i64>(&pool, "select count(*) from users").await, 1);

    stripe.down.store(false, std::sync::atomic::Ordering::SeqCst);
    app.ok(&ada, "delete_account", &delete).await;
    assert_eq!(stripe.calls_to("/v1/subscriptions")[0].get("customer"), Some("cus_1"));
    assert_eq!(stripe.subscriptions.lock().unwrap()["sub_1"]["status"], "canceled");
    assert_eq!(system::<i64>(&pool, "select count(*) from subscriptions").await, 0);

    // A checkout finished in another tab after the deletion: its subscription is cancelled too.
    let late = subscription("sub_9", "cus_1", "active", &ada_id);
    stripe.put(&late);
    assert_eq!(deliver(&app, &event("evt_9", CREATED, now(), &late), WEBHOOK_SECRET, now()).await.0, 200);
    assert_eq!(stripe.subscriptions.lock().unwrap()["sub_9"]["status"], "canceled");
    // One not made by us (no user_id in its metadata) is left alone.
    let mut foreign = subscription("sub_x", "cus_other", "active", "");
    foreign["metadata"] = json!({});
    stripe.put(&foreign);
    assert_eq!(deliver(&app, &event("evt_x", CREATED, now(), &foreign), WEBHOOK_SECRET, now()).await.0, 200);
    assert_eq!(stripe.subscriptions.lock().unwrap()["sub_x"]["status"], "active");
}
