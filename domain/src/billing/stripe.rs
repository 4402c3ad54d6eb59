//! The few parts of Stripe's API that billing needs, over reqwest: customers,
//! Checkout sessions, customer-portal sessions, cancelling a subscription,
//! and checking a webhook's `Stripe-Signature`.

use crate::error::Error;
use crate::settings::Secret;
use anyhow::{Context, Result, bail};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;
use std::collections::HashMap;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// How old a webhook's signed timestamp may be (Stripe's own default: 5 minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// Stripe's settings, present only when ENABLE_STRIPE=true.
#[derive(Clone, Debug)]
pub struct StripeConfig {
    /// STRIPE_SECRET_KEY (sk_live_… or sk_test_…).
    pub secret_key: Secret<String>,
    /// STRIPE_WEBHOOK_SECRET (whsec_…): signs the events sent to /webhooks/stripe.
    pub webhook_secret: Secret<String>,
    /// STRIPE_PRICE_MONTHLY: the Pro plan's monthly price id (price_…).
    pub price_monthly: String,
    /// STRIPE_PRICE_YEARLY: a yearly price for Pro, if offered.
    pub price_yearly: Option<String>,
    /// STRIPE_API_BASE (https://api.stripe.com; tests point it at a fake).
    pub api_base: String,
    /// FREE_AI_REQUESTS_PER_DAY (10): what the Free plan allows.
    pub free_ai_per_day: i64,
}

impl StripeConfig {
    /// From ENABLE_STRIPE and the variables above: `None` when not enabled;
    /// an error naming what is missing when enabled without it.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        if !enabled(var)? {
            return Ok(None);
        }
        let need = |k: &str, prefix: &str| -> Result<String> {
            let v = var(k).map(|v| v.trim().to_string()).with_context(|| format!("ENABLE_STRIPE is on: set {k}"))?;
            if !v.starts_with(prefix) {
                bail!("{k} should start with {prefix}");
            }
            Ok(v)
        };
        Ok(Some(StripeConfig {
            secret_key: Secret::new(need("STRIPE_SECRET_KEY", "sk_")?),
            webhook_secret: Secret::new(need("STRIPE_WEBHOOK_SECRET", "whsec_")?),
            price_monthly: need("STRIPE_PRICE_MONTHLY", "price_")?,
            price_yearly: var("STRIPE_PRICE_YEARLY").map(|_| need("STRIPE_PRICE_YEARLY", "price_")).transpose()?,
            api_base: var("STRIPE_API_BASE")
                .unwrap_or_else(|| "https://api.stripe.com".into())
                .trim_end_matches('/')
                .into(),
            free_ai_per_day: free_ai_per_day(var)?.unwrap_or(FREE_AI_PER_DAY),
        }))
    }

    /// The prices a person may choose, monthly first.
    pub fn prices(&self) -> Vec<super::PriceChoice> {
        let monthly = Some((&self.price_monthly, "Monthly"));
        let yearly = self.price_yearly.as_ref().map(|p| (p, "Yearly"));
        [monthly, yearly]
            .into_iter()
            .flatten()
            .map(|(id, l)| super::PriceChoice { id: id.clone(), label: l.into() })
            .collect()
    }

    /// Where Stripe's Checkout and portal pages are, for the pages' CSP
    /// `form-action` (a subscribe form's post is redirected there): Stripe's
    /// own hosts, or the stand-in's origin when STRIPE_API_BASE points elsewhere.
    pub fn page_origins(&self) -> String {
        match self.api_base.as_str() {
            "https://api.stripe.com" => "https://checkout.stripe.com https://billing.stripe.com".into(),
            other => other.to_string(),
        }
    }

    /// Whether `price` is one of the Pro plan's.
    pub fn is_pro_price(&self, price: &str) -> bool {
        price == self.price_monthly || self.price_yearly.as_deref() == Some(price)
    }
}

const FREE_AI_PER_DAY: i64 = 10;

fn enabled(var: &dyn Fn(&str) -> Option<String>) -> Result<bool> {
    match var("ENABLE_STRIPE").as_deref().map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => bail!("ENABLE_STRIPE must be true or false, not {other:?}"),
    }
}

/// The Free plan's AI requests a day, when plans apply (ENABLE_STRIPE=true):
/// what the AI quota caps a person without a paying subscription at.
pub fn free_ai_per_day(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<i64>> {
    if !enabled(var)? {
        return Ok(None);
    }
    let n = var("FREE_AI_REQUESTS_PER_DAY").map_or(Ok(FREE_AI_PER_DAY), |v| {
        v.trim().parse().ok().filter(|n| *n >= 0).context("FREE_AI_REQUESTS_PER_DAY must be a whole number")
    })?;
    Ok(Some(n))
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no t= and v1= in the Stripe-Signature header")]
    Malformed,
    #[error("the signed timestamp is more than five minutes from now")]
    Stale,
    #[error("no v1 signature matches")]
    Mismatch,
}

/// The v1 signature of `payload` sent at `timestamp`: hex HMAC-SHA256 of
/// "{timestamp}.{payload}" under the endpoint's secret.
pub fn signature(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Check a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`, other schemes
/// ignored) against `payload` as received, at `now` (Unix seconds): the
/// timestamp within [`TOLERANCE_SECS`], and one v1 equal in constant time.
pub fn verify(secret: &str, header: &str, payload: &[u8], now: i64) -> Result<(), SignatureError> {
    let pairs = || header.split(',').filter_map(|p| p.trim().split_once('='));
    let timestamp: i64 =
        pairs().find(|(k, _)| *k == "t").and_then(|(_, v)| v.parse().ok()).ok_or(SignatureError::Malformed)?;
    let given: Vec<&str> = pairs().filter(|(k, _)| *k == "v1").map(|(_, v)| v).collect();
    if given.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = signature(secret, timestamp, payload);
    // Every candidate is compared in full, so the time taken says nothing of which matched.
    let matched = given.iter().fold(0u8, |acc, v| acc | expected.as_bytes().ct_eq(v.as_bytes()).unwrap_u8());
    if matched == 1 { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// A Stripe API client.
pub struct Client<'a> {
    config: &'a StripeConfig,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Created {
    id: String,
    #[serde(default)]
    url: Option<String>,
}

/// A subscription as Stripe's API and events give it (the fields kept).
#[derive(Debug, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// Older API versions put the period on the subscription, newer ones on its items.
    #[serde(default)]
    pub current_period_end: Option<i64>,
    pub items: Items,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct Items {
    pub data: Vec<Item>,
}

#[derive(Debug, Deserialize)]
pub struct Item {
    pub price: Price,
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Price {
    pub id: String,
}

impl Subscription {
    /// When the paid period ends, whichever API version sent it.
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end.or_else(|| self.items.data.iter().filter_map(|i| i.current_period_end).max())
    }
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct ApiError {
    error: ApiErrorBody,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(default)]
    message: String,
}

impl<'a> Client<'a> {
    pub fn new(config: &'a StripeConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("a reqwest client with a timeout");
        Client { config, http }
    }

    /// POST a form to `path`; `idempotency`: Stripe answers a repeat with the first result.
    async fn post(&self, path: &str, form: &[(&str, &str)], idempotency: Option<&str>) -> Result<Created, Error> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.config.api_base))
            .bearer_auth(self.config.secret_key.expose())
            .form(form);
        if let Some(key) = idempotency {
            request = request.header("Idempotency-Key", key);
        }
        self.read(request.send().await).await
    }

    /// GET `path` with `query`.
    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, Error> {
        let request = self
            .http
            .get(format!("{}{path}", self.config.api_base))
            .bearer_auth(self.config.secret_key.expose())
            .query(query);
        self.read(request.send().await).await
    }

    async fn read<T: DeserializeOwned>(&self, sent: reqwest::Result<reqwest::Response>) -> Result<T, Error> {
        let unreachable = |e: &dyn std::fmt::Display| {
            tracing::warn!(error = %e, "Stripe could not be reached");
            Error::Upstream("Stripe, our payment provider, could not be reached. Try again in a minute.".into())
        };
        let response = sent.map_err(|e| unreachable(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| unreachable(&e))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| unreachable(&e));
        }
        let message = serde_json::from_slice::<ApiError>(&body).map(|e| e.error.message).unwrap_or_default();
        tracing::warn!(%status, message, "Stripe refused a request");
        Err(Error::Upstream("Stripe, our payment provider, refused the request. Try again in a minute.".into()))
    }

    /// A customer for `user_id` (one per person: the idempotency key makes a
    /// repeated call within Stripe's 24 hours give the same customer).
    pub async fn create_customer(&self, user_id: Uuid, email: &str) -> Result<String, Error> {
        let user = user_id.to_string();
        let form = [("email", email), ("metadata[user_id]", user.as_str())];
        Ok(self.post("/v1/customers", &form, Some(&format!("customer-{user_id}"))).await?.id)
    }

    /// A Checkout session subscribing `customer` at `price`: the address to send the person to.
    pub async fn checkout(
        &self,
        customer: &str,
        user_id: Uuid,
        price: &str,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<String, Error> {
        let user = user_id.to_string();
        let form = [
            ("mode", "subscription"),
            ("customer", customer),
            ("client_reference_id", user.as_str()),
            ("line_items[0][price]", price),
            ("line_items[0][quantity]", "1"),
            ("subscription_data[metadata][user_id]", user.as_str()),
            ("success_url", success_url),
            ("cancel_url", cancel_url),
        ];
        self.post("/v1/checkout/sessions", &form, None).await?.url.ok_or_else(|| {
            tracing::warn!("Stripe's Checkout session came without a url");
            Error::Upstream("Stripe did not give a checkout page. Try again in a minute.".into())
        })
    }

    /// A customer-portal session for `customer`: the address to send the person to.
    pub async fn portal(&self, customer: &str, return_url: &str) -> Result<String, Error> {
        let form = [("customer", customer), ("return_url", return_url)];
        self.post("/v1/billing_portal/sessions", &form, None).await?.url.ok_or_else(|| {
            tracing::warn!("Stripe's portal session came without a url");
            Error::Upstream("Stripe did not give a billing page. Try again in a minute.".into())
        })
    }

    /// Subscription `id` as it is now.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, Error> {
        self.get(&format!("/v1/subscriptions/{id}"), &[]).await
    }

    /// The ids of `customer`'s subscriptions that are not finished.
    pub async fn live_subscriptions(&self, customer: &str) -> Result<Vec<String>, Error> {
        let list: List<Subscription> =
            self.get("/v1/subscriptions", &[("customer", customer), ("status", "all"), ("limit", "100")]).await?;
        let finished = |s: &Subscription| super::Status::parse(&s.status).is_some_and(super::Status::finished);
        Ok(list.data.into_iter().filter(|s| !finished(s)).map(|s| s.id).collect())
    }

    /// Cancel subscription `id` at once.
    pub async fn cancel(&self, id: &str) -> Result<(), Error> {
        let request = self
            .http
            .delete(format!("{}/v1/subscriptions/{id}", self.config.api_base))
            .bearer_auth(self.config.secret_key.expose());
        self.read::<serde_json::Value>(request.send().await).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = format!("t=1000,v1={}", signature(SECRET, 1000, body));
        assert_eq!(verify(SECRET, &header, body, 1000), Ok(()));
        assert_eq!(verify(SECRET, &header, body, 1000 + TOLERANCE_SECS), Ok(()));
        // Several v1 (a secret being rolled) and other schemes: any v1 may match.
        let header = format!("t=1000,v1=00ff,v0=abc,v1={}", signature(SECRET, 1000, body));
        assert_eq!(verify(SECRET, &header, body, 1000), Ok(()));
    }

    #[test]
    fn anything_else_is_refused() {
        let body = br#"{"id":"evt_1"}"#;
        let good = signature(SECRET, 1000, body);
        let at = |t: i64, v: &str| format!("t={t},v1={v}");
        assert_eq!(verify(SECRET, &at(1000, &good), br#"{"id":"evt_2"}"#, 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify("whsec_other", &at(1000, &good), body, 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &at(1001, &good), body, 1001), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &at(1000, &good), body, 1000 + TOLERANCE_SECS + 1), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, &at(1000, &good), body, 1000 - TOLERANCE_SECS - 1), Err(SignatureError::Stale));
        assert_eq!(verify(SECRET, &format!("v1={good}"), body, 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, "t=1000", body, 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, "", body, 1000), Err(SignatureError::Malformed));
        assert_eq!(verify(SECRET, &at(1000, &good.to_uppercase()), body, 1000), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, &at(i64::MIN, &good), body, 1000), Err(SignatureError::Stale));
    }
}
