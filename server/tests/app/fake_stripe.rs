//! A stand-in Stripe on 127.0.0.1 speaking its wire format (form bodies,
//! bearer key, JSON objects and errors) for the endpoints billing uses, and a
//! signer for webhook events as Stripe sends them.

use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use domain::billing::stripe::StripeConfig;
use domain::settings::Secret;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub const SECRET_KEY: &str = "sk_test_fake";
pub const WEBHOOK_SECRET: &str = "whsec_fake";
pub const PRICE_MONTHLY: &str = "price_monthly_fake";
pub const PRICE_YEARLY: &str = "price_yearly_fake";

/// Billing settings against the fake at `api_base`, with a Free plan of one AI request a day.
pub fn config(api_base: &str) -> StripeConfig {
    StripeConfig {
        secret_key: Secret::new(SECRET_KEY.into()),
        webhook_secret: Secret::new(WEBHOOK_SECRET.into()),
        price_monthly: PRICE_MONTHLY.into(),
        price_yearly: Some(PRICE_YEARLY.into()),
        api_base: api_base.into(),
        free_ai_per_day: 1,
    }
}

/// One request the fake received: method and path, the form, the Idempotency-Key.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub form: Vec<(String, String)>,
    pub idempotency: Option<String>,
}

impl Call {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
pub struct FakeStripe {
    pub base: String,
    pub calls: Arc<Mutex<Vec<Call>>>,
    /// The subscriptions as Stripe has them now, by id (what GET answers).
    pub subscriptions: Arc<Mutex<HashMap<String, Value>>>,
    /// When set, every API call fails as Stripe does when it is down (500, api_error).
    pub down: Arc<AtomicBool>,
}

impl FakeStripe {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeStripe { base: format!("http://{}", listener.local_addr().unwrap()), ..Self::default() };
        let router = Router::new()
            .route("/v1/customers", post(customers))
            .route("/v1/checkout/sessions", post(checkout))
            .route("/v1/billing_portal/sessions", post(portal))
            .route("/v1/subscriptions", get(list))
            .route("/v1/subscriptions/{id}", get(retrieve).delete(cancel))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        fake
    }

    /// Stripe now has `subscription` (a subscription object, as [`subscription`] makes).
    pub fn put(&self, subscription: &Value) {
        let id = subscription["id"].as_str().unwrap().to_string();
        self.subscriptions.lock().unwrap().insert(id, subscription.clone());
    }

    /// The calls made to `path` so far.
    pub fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls.lock().unwrap().iter().filter(|c| c.path == path).cloned().collect()
    }

    /// Note the call and answer with `object(n)` (n: the calls so far), or 401 without our key.
    fn answer(
        &self,
        path: String,
        headers: &HeaderMap,
        form: Vec<(String, String)>,
        object: impl FnOnce(usize) -> Value,
    ) -> Response {
        if self.down.load(Ordering::SeqCst) {
            let error = json!({ "error": { "type": "api_error", "message": "An unknown error occurred" } });
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(error)).into_response();
        }
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {SECRET_KEY}")) {
            let error = json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided" } });
            return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
        }
        let idempotency = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(String::from);
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(Call { path, form, idempotency });
            calls.len()
        };
        Json(object(n)).into_response()
    }
}

type Params = Form<Vec<(String, String)>>;

async fn customers(State(f): State<FakeStripe>, headers: HeaderMap, Form(form): Params) -> Response {
    f.answer("/v1/customers".into(), &headers, form, |n| json!({ "id": format!("cus_{n}"), "object": "customer" }))
}

async fn checkout(State(f): State<FakeStripe>, headers: HeaderMap, Form(form): Params) -> Response {
    let url = |n| format!("{}/checkout/cs_test_{n}", f.base);
    f.answer("/v1/checkout/sessions".into(), &headers, form, |n| {
        json!({ "id": format!("cs_test_{n}"), "object": "checkout.session", "url": url(n), "mode": "subscription" })
    })
}

async fn portal(State(f): State<FakeStripe>, headers: HeaderMap, Form(form): Params) -> Response {
    let url = |n| format!("{}/portal/bps_{n}", f.base);
    f.answer(
        "/v1/billing_portal/sessions".into(),
        &headers,
        form,
        |n| json!({ "id": format!("bps_{n}"), "object": "billing_portal.session", "url": url(n) }),
    )
}

async fn retrieve(State(f): State<FakeStripe>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let Some(object) = f.subscriptions.lock().unwrap().get(&id).cloned() else {
        let error =
            json!({ "error": { "type": "invalid_request_error", "message": format!("No such subscription: '{id}'") } });
        return (StatusCode::NOT_FOUND, Json(error)).into_response();
    };
    f.answer(format!("/v1/subscriptions/{id}"), &headers, Vec::new(), |_| object)
}

/// Stripe's list: by customer; `status=all` includes the cancelled ones.
async fn list(State(f): State<FakeStripe>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let customer = q.get("customer").cloned().unwrap_or_default();
    let all = q.get("status").is_some_and(|s| s == "all");
    let data: Vec<Value> = f
        .subscriptions
        .lock()
        .unwrap()
        .values()
        .filter(|s| s["customer"] == customer.as_str() && (all || s["status"] != "canceled"))
        .cloned()
        .collect();
    let form = q.into_iter().collect();
    f.answer(
        "/v1/subscriptions".into(),
        &headers,
        form,
        |_| json!({ "object": "list", "data": data, "has_more": false }),
    )
}

async fn cancel(State(f): State<FakeStripe>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let object = f.subscriptions.lock().unwrap().get_mut(&id).map(|s| {
        s["status"] = json!("canceled");
        s.clone()
    });
    let object = object.unwrap_or_else(|| json!({ "id": id, "object": "subscription", "status": "canceled" }));
    f.answer(format!("/v1/subscriptions/{id}"), &headers, Vec::new(), |_| object)
}

/// A subscription object as Stripe's API gives it (version 2025-03-31 and
/// later: the period on the item), made by our checkout for `user_id`.
pub fn subscription(id: &str, customer: &str, status: &str, user_id: &str) -> Value {
    json!({
        "id": id, "object": "subscription", "customer": customer, "status": status,
        "cancel_at_period_end": false, "metadata": { "user_id": user_id },
        "items": { "object": "list", "data": [{
            "id": format!("si_{id}"), "object": "subscription_item", "current_period_end": 1_893_456_000,
            "price": { "id": PRICE_MONTHLY, "object": "price" }
        }]}
    })
}

/// An event as Stripe sends it, about `object`.
pub fn event(id: &str, kind: &str, created: i64, object: &Value) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": created, "api_version": "2025-03-31.basil",
        "livemode": false, "pending_webhooks": 1, "data": { "object": object }
    })
}

/// The Stripe-Signature header for `body` sent at `t` with `secret`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", domain::billing::stripe::signature(secret, t, body))
}
