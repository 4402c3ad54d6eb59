//! Billing's services: the plan a person is on, starting a checkout or the
//! customer portal, applying Stripe's webhook events (once each, with the
//! subscription's state read back from Stripe),
//! and the emails that follow a failed payment or an ended subscription.

use super::stripe::{Client, SignatureError, StripeConfig, Subscription};
use super::{BillingView, Status};
use crate::account::mail::Mail;
use crate::db::{begin_as, begin_system};
use crate::error::Error;
use crate::jobs::{BillingEmail, BillingEmailJob, Job};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Whether `user_id` has a subscription that gives Pro, read inside the
/// caller's transaction (theirs or the system's).
pub async fn pays(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, Error> {
    Ok(status_of(conn, user_id).await?.is_some_and(Status::pays))
}

/// The state of `user_id`'s subscription, if they have one.
async fn status_of(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<Status>, Error> {
    let status: Option<Option<Status>> =
        sqlx::query_scalar!(r#"select status as "status: Status" from subscriptions where user_id = $1"#, user_id)
            .fetch_optional(conn)
            .await?;
    Ok(status.flatten())
}

/// `user_id`'s Stripe customer, once they started a checkout.
async fn customer_id(pool: &PgPool, user_id: Uuid) -> Result<Option<String>, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let customer = sqlx::query_scalar!("select customer_id from subscriptions where user_id = $1", user_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(customer)
}

/// What the billing page shows `user_id`.
pub async fn view(
    pool: &PgPool,
    config: &StripeConfig,
    pro_ai_per_day: i64,
    user_id: Uuid,
) -> Result<BillingView, Error> {
    let mut tx = begin_as(pool, user_id).await?;
    let row = sqlx::query!(
        r#"select status as "status: Status", current_period_end, cancel_at_period_end
           from subscriptions where user_id = $1"#,
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let status = row.as_ref().and_then(|r| r.status);
    Ok(BillingView {
        pro: status.is_some_and(Status::pays),
        status,
        period_end: row.as_ref().and_then(|r| r.current_period_end),
        cancel_at_period_end: row.as_ref().is_some_and(|r| r.cancel_at_period_end),
        has_customer: row.is_some(),
        prices: config.prices(),
        free_ai_per_day: config.free_ai_per_day,
        pro_ai_per_day,
    })
}

/// Start subscribing `user_id` at `price`: their Stripe customer (made once),
/// then a Checkout session. Returns the Checkout page's address.
pub async fn checkout(
    pool: &PgPool,
    config: &StripeConfig,
    base_url: &str,
    user_id: Uuid,
    price: &str,
) -> Result<String, Error> {
    if !config.is_pro_price(price) {
        return Err(Error::field("price", "Choose monthly or yearly."));
    }
    // One subscription at a time: a live one (paying or not) is changed in the portal.
    let mut tx = begin_as(pool, user_id).await?;
    let status = status_of(&mut tx, user_id).await?;
    tx.commit().await?;
    if let Some(status) = status.filter(|s| !s.finished()) {
        return Err(Error::Conflict(format!(
            "You have a subscription already ({}): change it or cancel it with Manage billing.",
            status.label().to_lowercase()
        )));
    }
    let customer = customer_of(pool, config, user_id).await?;
    let base = base_url.trim_end_matches('/');
    Client::new(config)
        .checkout(
            &customer,
            user_id,
            price,
            &format!("{base}/billing?checkout=done"),
            &format!("{base}/billing?checkout=cancelled"),
        )
        .await
}

/// The Stripe customer of `user_id`, made at Stripe and noted here the first time.
async fn customer_of(pool: &PgPool, config: &StripeConfig, user_id: Uuid) -> Result<String, Error> {
    let mut tx = begin_system(pool).await?;
    let known = sqlx::query!(
        "select s.customer_id, u.email from users u left join subscriptions s on s.user_id = u.id where u.id = $1",
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if let Some(customer) = known.customer_id {
        return Ok(customer);
    }
    let made = Client::new(config).create_customer(user_id, &known.email).await?;
    let mut tx = begin_system(pool).await?;
    // Two checkouts at once make one customer (Stripe's idempotency key); the first row stays.
    sqlx::query!(
        "insert into subscriptions (user_id, customer_id) values ($1, $2) on conflict (user_id) do nothing",
        user_id,
        made
    )
    .execute(&mut *tx)
    .await?;
    let customer = sqlx::query_scalar!("select customer_id from subscriptions where user_id = $1", user_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(customer)
}

/// The customer portal for `user_id` (change card or plan, cancel): its address.
pub async fn portal(pool: &PgPool, config: &StripeConfig, base_url: &str, user_id: Uuid) -> Result<String, Error> {
    let customer = customer_id(pool, user_id)
        .await?
        .ok_or_else(|| Error::Conflict("There is no subscription yet: subscribe first.".into()))?;
    Client::new(config).portal(&customer, &format!("{}/billing", base_url.trim_end_matches('/'))).await
}

/// The account of `user_id` is about to be deleted: end every subscription
/// of their Stripe customer at once, so that nothing is charged for an
/// account that is gone. If Stripe cannot be told, the deletion must not go on.
pub async fn cancel_for_deletion(pool: &PgPool, config: &StripeConfig, user_id: Uuid) -> Result<(), Error> {
    let Some(customer) = customer_id(pool, user_id).await? else { return Ok(()) };
    let client = Client::new(config);
    let cancelled = async {
        for id in client.live_subscriptions(&customer).await? {
            client.cancel(&id).await?;
        }
        Ok::<_, Error>(())
    };
    cancelled.await.map_err(|error| {
        tracing::warn!(%error, user.id = %user_id, "a subscription could not be cancelled: the account is not deleted");
        Error::Upstream(
            "Your subscription could not be cancelled at Stripe just now, so nothing was deleted. Try again in a minute."
                .into(),
        )
    })
}

/// What receiving a webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Applied (or recorded as one we do not act on).
    Applied,
    /// Seen before: nothing changed.
    Replayed,
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("bad signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("not a Stripe event: {0}")]
    Malformed(String),
    #[error(transparent)]
    Failed(#[from] Error),
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct Invoice {
    customer: String,
    #[serde(default)]
    next_payment_attempt: Option<i64>,
}

/// Receive a webhook: check its signature against `payload` as sent, then
/// apply the event once (its id is noted in the same transaction as its
/// effect, so a replay, or Stripe retrying after a failure here, changes
/// nothing twice and loses nothing).
pub async fn receive(
    pool: &PgPool,
    config: &StripeConfig,
    signature: &str,
    payload: &[u8],
) -> Result<Received, WebhookError> {
    super::stripe::verify(config.webhook_secret.expose(), signature, payload, Utc::now().timestamp())?;
    let event: Event = serde_json::from_slice(payload).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let at = DateTime::from_timestamp(event.created, 0).ok_or_else(|| WebhookError::Malformed("created".into()))?;
    let mut tx = begin_system(pool).await.map_err(Error::from)?;
    let fresh = sqlx::query!(
        "insert into stripe_events (id, type) values ($1, $2) on conflict do nothing",
        event.id,
        event.kind
    )
    .execute(&mut *tx)
    .await
    .map_err(Error::from)?
    .rows_affected()
        == 1;
    if !fresh {
        return Ok(Received::Replayed);
    }
    let object = event.data.object;
    let parse = |what: &str| WebhookError::Malformed(format!("{} in a {what}", event.kind));
    let user_id = match event.kind.as_str() {
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted"
        | "customer.subscription.paused"
        | "customer.subscription.resumed" => {
            let s: Subscription = serde_json::from_value(object).map_err(|_| parse("subscription"))?;
            apply_subscription(&mut tx, config, &s, at).await?
        }
        "invoice.payment_failed" => {
            let invoice: Invoice = serde_json::from_value(object).map_err(|_| parse("invoice"))?;
            let user_id = user_of(&mut tx, &invoice.customer).await?;
            // Told only while it is Pro at stake (not a first payment that never went through).
            if let Some(user_id) = user_id
                && pays(&mut tx, user_id).await?
            {
                let next_attempt = invoice.next_payment_attempt.and_then(|t| DateTime::from_timestamp(t, 0));
                let email = BillingEmail::PaymentFailed { next_attempt };
                BillingEmailJob { user_id, email }.enqueue_once(&mut tx, &event.id).await?;
            }
            user_id
        }
        // Checkout's end, paid invoices and the rest: the subscription events say all we keep.
        _ => None,
    };
    if user_id.is_some() {
        sqlx::query!("update stripe_events set user_id = $2 where id = $1", event.id, user_id)
            .execute(&mut *tx)
            .await
            .map_err(Error::from)?;
    }
    tx.commit().await.map_err(Error::from)?;
    Ok(Received::Applied)
}

async fn user_of(conn: &mut PgConnection, customer: &str) -> Result<Option<Uuid>, Error> {
    let user = sqlx::query_scalar!("select user_id from subscriptions where customer_id = $1", customer)
        .fetch_optional(conn)
        .await?;
    if user.is_none() {
        tracing::warn!(stripe.customer = customer, "a Stripe event for a customer not made here: ignored");
    }
    Ok(user)
}

/// Keep a subscription's state as Stripe has it now (asked again, so that
/// events arriving out of order, or in the same second, cannot leave an old
/// state behind); when it stops paying, tell the person (Free again).
async fn apply_subscription(
    conn: &mut PgConnection,
    config: &StripeConfig,
    event: &Subscription,
    at: DateTime<Utc>,
) -> Result<Option<Uuid>, WebhookError> {
    let Some(user_id) = user_of(conn, &event.customer).await? else {
        cancel_orphan(conn, config, event).await?;
        return Ok(None);
    };
    // Events of one person are applied one at a time, each with the state read after the lock.
    let before = sqlx::query!(
        r#"select subscription_id, status as "status: Status" from subscriptions where user_id = $1 for update"#,
        user_id
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(Error::from)?;
    let live = before.status.is_some_and(|s| !s.finished());
    if before.subscription_id.as_deref().is_some_and(|kept| kept != event.id) && live {
        // A second subscription (two checkouts at once): the one kept stays the person's plan.
        tracing::error!(user.id = %user_id, stripe.subscription = event.id, kept = ?before.subscription_id,
            "an event for a second subscription of one person: not applied; cancel the extra one in Stripe");
        return Ok(Some(user_id));
    }
    let s = Client::new(config).subscription(&event.id).await?;
    let status = Status::parse(&s.status).ok_or_else(|| WebhookError::Malformed(format!("status {:?}", s.status)))?;
    let price = s.items.data.first().map(|i| i.price.id.clone());
    if let Some(price) = price.as_deref().filter(|p| !config.is_pro_price(p)) {
        tracing::warn!(stripe.price = price, "a subscription at a price that is not STRIPE_PRICE_MONTHLY or _YEARLY");
    }
    let period_end = s.period_end().and_then(|t| DateTime::from_timestamp(t, 0));
    // `event_at` notes when the event that led here was created (for reference:
    // the order comes from reading the state back, not from comparing times).
    sqlx::query!(
        "update subscriptions set subscription_id = $2, price_id = $3, status = $4, current_period_end = $5,
                cancel_at_period_end = $6, event_at = $7
         where user_id = $1",
        user_id,
        s.id,
        price,
        status as Status,
        period_end,
        s.cancel_at_period_end,
        at
    )
    .execute(&mut *conn)
    .await
    .map_err(Error::from)?;
    if before.status.is_some_and(Status::pays) && !status.pays() {
        BillingEmailJob { user_id, email: BillingEmail::Ended }.enqueue(conn).await?;
    }
    tracing::info!(user.id = %user_id, from = ?before.status, to = %status.as_str(), "subscription state");
    Ok(Some(user_id))
}

/// A subscription whose customer is no longer here, made by our checkout for
/// an account since deleted (a checkout finished in another tab meanwhile):
/// cancelled, so that nobody pays for an account that is gone. Subscriptions
/// not made by us (no `user_id` in their metadata) are left alone.
async fn cancel_orphan(conn: &mut PgConnection, config: &StripeConfig, event: &Subscription) -> Result<(), Error> {
    let Some(user_id) = event.metadata.get("user_id").and_then(|u| u.parse::<Uuid>().ok()) else { return Ok(()) };
    let exists: bool = sqlx::query_scalar!(r#"select exists (select 1 from users where id = $1) as "e!""#, user_id)
        .fetch_one(&mut *conn)
        .await?;
    let client = Client::new(config);
    if !exists && Status::parse(&client.subscription(&event.id).await?.status).is_some_and(|s| !s.finished()) {
        tracing::warn!(user.id = %user_id, stripe.subscription = event.id, "a subscription of a deleted account: cancelled");
        client.cancel(&event.id).await?;
    }
    Ok(())
}

/// Send a billing email (the worker's `billing-email` queue).
pub async fn send_email(
    pool: &PgPool,
    mail: &Mail,
    free_ai_per_day: Option<i64>,
    job: &BillingEmailJob,
) -> Result<(), Error> {
    let mut tx = begin_as(pool, job.user_id).await?;
    let to = sqlx::query_scalar!("select email from users where id = $1", job.user_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    let base = mail.base_url.trim_end_matches('/');
    let (subject, body) = match &job.email {
        BillingEmail::PaymentFailed { next_attempt } => (
            "Your BuildOS payment did not go through",
            format!(
                "We could not take the payment for your BuildOS Pro subscription.\n\n{}\n\n\
                 Update your card with Manage billing on {base}/billing\n\n\
                 Until then you keep Pro. If every retry fails, the subscription ends and your account moves to \
                 the Free plan; nothing you wrote is deleted.\n",
                match next_attempt {
                    Some(t) => format!("Stripe will try again on {}.", t.format("%A %-d %B")),
                    None => "Stripe will not try again on its own.".to_string(),
                }
            ),
        ),
        BillingEmail::Ended => (
            "Your BuildOS Pro subscription has ended",
            format!(
                "Your BuildOS Pro subscription has ended, and your account is on the Free plan now: {} AI \
                 requests a day and no text messages. Everything you wrote stays as it is.\n\n\
                 You can subscribe again at any time: {base}/billing\n",
                free_ai_per_day.unwrap_or(0)
            ),
        ),
    };
    let message = crate::account::mail::plain_text(mail, &to, subject, body).map_err(|m| Error::field("email", m))?;
    mail.mailer.send(message).await.map_err(Error::Upstream)
}

/// Forget webhook event ids after 30 days (Stripe retries an event for three days at most).
pub async fn prune(pool: &PgPool) -> Result<(), Error> {
    let mut tx = begin_system(pool).await?;
    sqlx::query!("delete from stripe_events where received_at < now() - interval '30 days'").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
