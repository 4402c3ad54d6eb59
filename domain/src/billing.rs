//! Paying for BuildOS through Stripe, when the server's owner turns it on
//! (ENABLE_STRIPE): a Free plan with a small daily AI allowance and no texts,
//! and Pro, bought through Stripe Checkout and managed in Stripe's customer
//! portal, with the server's own limits. Stripe tells us what happened
//! through signed webhooks; each event is applied once.
//!
//! Self-hosted (ENABLE_STRIPE unset) nothing here runs: no plan limits
//! anything and no billing page shows.

#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod stripe;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

text_enum!(Status {
    Incomplete = "incomplete" / "Waiting for the first payment",
    IncompleteExpired = "incomplete_expired" / "First payment never made",
    Trialing = "trialing" / "Trial",
    Active = "active" / "Active",
    PastDue = "past_due" / "Payment failed, retrying",
    Canceled = "canceled" / "Canceled",
    Unpaid = "unpaid" / "Unpaid",
    Paused = "paused" / "Paused",
});

impl Status {
    /// Whether the subscription gives Pro: a trial, paid, or a failed payment
    /// that Stripe is still retrying (the person keeps Pro while they fix it).
    pub fn pays(self) -> bool {
        matches!(self, Status::Trialing | Status::Active | Status::PastDue)
    }

    /// Whether the subscription is over for good (a new one can be started).
    pub fn finished(self) -> bool {
        matches!(self, Status::Canceled | Status::IncompleteExpired)
    }
}

/// A price a person can subscribe at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceChoice {
    /// Stripe's price id (STRIPE_PRICE_MONTHLY or STRIPE_PRICE_YEARLY).
    pub id: String,
    /// "Monthly" or "Yearly".
    pub label: String,
}

/// What the billing page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingView {
    /// On Pro (a paying subscription), else Free.
    pub pro: bool,
    pub status: Option<Status>,
    /// When the paid period ends (renews, or ends when `cancel_at_period_end`).
    pub period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    /// Whether there is a Stripe customer to open the portal for.
    pub has_customer: bool,
    pub prices: Vec<PriceChoice>,
    /// AI requests a day on Free, and on Pro.
    pub free_ai_per_day: i64,
    pub pro_ai_per_day: i64,
}
