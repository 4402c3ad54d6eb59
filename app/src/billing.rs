//! The billing page (`/billing`, only when the server has ENABLE_STRIPE on):
//! the plan a person is on, subscribing through Stripe Checkout, and Stripe's
//! customer portal for the card, the plan, invoices and cancelling.

use crate::components::{FormError, Layout, Prefill, Submit, loaded, query_param};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

pub use domain::billing::{BillingView, Status};

/// The billing settings of `user`, or `None` when billing is off.
#[cfg(feature = "ssr")]
fn billing_config() -> Result<(std::sync::Arc<domain::settings::Settings>, i64), AppError> {
    let settings = crate::auth::request::settings()?;
    if settings.billing.is_none() {
        return Err(AppError(domain::Error::NotFound));
    }
    let pro = match &settings.engine {
        domain::brain_dump::llm::Engine::Llm(llm) => llm.quota.per_day,
        domain::brain_dump::llm::Engine::Offline => settings.transcription.as_ref().map_or(100, |t| t.quota.per_day),
    };
    Ok((settings, pro))
}

/// The person's plan, or Not found when billing is off.
#[server(endpoint = "get_billing")]
pub async fn get_billing() -> Result<BillingView, AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let (settings, pro) = billing_config()?;
    let config = settings.billing.as_ref().expect("checked");
    Ok(domain::billing::service::view(&pool, config, pro, user.id).await?)
}

/// Whether billing is on (the profile page links to it then).
#[server(endpoint = "billing_enabled")]
pub async fn billing_enabled() -> Result<bool, AppError> {
    Ok(crate::auth::request::settings()?.billing.is_some())
}

/// Go to Stripe Checkout to subscribe at `price`.
#[server(endpoint = "start_checkout")]
pub async fn start_checkout(#[server(default)] price: String) -> Result<(), AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let (settings, _) = billing_config()?;
    let config = settings.billing.as_ref().expect("checked");
    let url =
        domain::billing::service::checkout(&pool, config, &settings.public_base_url, user.id, price.trim()).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

/// Go to Stripe's customer portal.
#[server(endpoint = "open_billing_portal")]
pub async fn open_billing_portal() -> Result<(), AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let (settings, _) = billing_config()?;
    let config = settings.billing.as_ref().expect("checked");
    let url = domain::billing::service::portal(&pool, config, &settings.public_base_url, user.id).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let checkout = ServerAction::<StartCheckout>::new();
    let portal = ServerAction::<OpenBillingPortal>::new();
    let billing = Resource::new(|| (), |_| get_billing());
    let returned = query_param("checkout");
    view! {
        <Layout>
            <Title text="Billing · BuildOS" />
            <h1 class="page-title">"Billing"</h1>
            {loaded(billing, move |b: BillingView| {
                let plan = if b.pro { "Pro" } else { "Free" };
                let period = b.period_end.filter(|_| b.pro).map(|end| {
                    if b.cancel_at_period_end { format!("Ends on {}; you are not charged again.", day(end)) }
                    else { format!("Renews on {}.", day(end)) }
                });
                let notice = match (returned().as_str(), b.pro) {
                    ("done", true) => Some("Thank you: you are on Pro."),
                    ("done", false) => Some("Thank you. Your plan changes as soon as Stripe confirms the payment, usually within seconds: reload this page in a moment."),
                    ("cancelled", _) => Some("Checkout was cancelled: nothing was charged."),
                    _ => None,
                };
                let prices = b.prices.clone();
                view! {
                    {notice.map(|n| view! { <p class="banner" role="status">{n}</p> })}
                    <section class="card max-w-lg space-y-2" aria-labelledby="plan-title">
                        <h2 id="plan-title" class="section-title">"Your plan: " <span data-plan="">{plan}</span></h2>
                        {b.status.map(|s| view! { <p>"Subscription: " {s.label()}</p> })}
                        {period.map(|p| view! { <p>{p}</p> })}
                        {(b.status == Some(Status::PastDue)).then(|| view! {
                            <p class="form-error" role="alert">"Your last payment did not go through and Stripe is retrying. Update your card with Manage billing to keep Pro."</p>
                        })}
                    </section>
                    <table class="mt-6 max-w-lg w-full text-sm">
                        <caption class="sr-only">"What each plan includes"</caption>
                        <thead><tr><th scope="col" class="text-left">"Plan"</th><th scope="col" class="text-left">"AI requests a day"</th><th scope="col" class="text-left">"Text messages"</th></tr></thead>
                        <tbody>
                            <tr><th scope="row" class="text-left font-normal">"Free"</th><td>{b.free_ai_per_day}</td><td>"No"</td></tr>
                            <tr><th scope="row" class="text-left font-normal">"Pro"</th><td>{b.pro_ai_per_day}</td><td>"Yes"</td></tr>
                        </tbody>
                    </table>
                    <p class="hint mt-2">"Projects, tasks, notes, briefs and calendars have no limits on either plan."</p>
                    {(!b.pro).then(|| view! { <SubscribeForm action=checkout prices=prices.clone() /> })}
                    {b.has_customer.then(|| view! { <PortalForm action=portal /> })}
                }
            })}
        </Layout>
    }
}

#[component]
fn SubscribeForm(action: ServerAction<StartCheckout>, prices: Vec<domain::billing::PriceChoice>) -> impl IntoView {
    move || {
        let p = Prefill::track(action);
        let chosen = p.value("price", &prices.first().map(|price| price.id.clone()).unwrap_or_default());
        let choices = prices
            .iter()
            .map(|price| {
                let checked = price.id == chosen;
                view! {
                    <label class="flex items-center gap-2">
                        <input type="radio" name="price" value=price.id.clone() checked=checked />
                        {price.label.clone()}
                    </label>
                }
            })
            .collect_view();
        view! {
            <ActionForm action=action attr:class="card mt-6 max-w-lg space-y-3" attr:novalidate=true>
                <h2 class="section-title">"Subscribe to Pro"</h2>
                <FormError prefill=p />
                <fieldset class="space-y-1">
                    <legend class="label">"Billed"</legend>
                    {choices}
                </fieldset>
                <p class="hint">"You pay on Stripe's secure page and can cancel at any time."</p>
                <Submit pending=action.pending() idle="Subscribe to Pro" busy="Opening checkout…" />
            </ActionForm>
        }
    }
}

#[component]
fn PortalForm(action: ServerAction<OpenBillingPortal>) -> impl IntoView {
    move || {
        let p = Prefill::track(action);
        view! {
            <ActionForm action=action attr:class="mt-6 max-w-lg space-y-2">
                <FormError prefill=p />
                <p class="hint">"Change your card or plan, see invoices, or cancel, on Stripe's billing page."</p>
                <Submit pending=action.pending() idle="Manage billing" busy="Opening…" class="btn" />
            </ActionForm>
        }
    }
}

/// The profile's link to the billing page, when billing is on.
#[component]
pub fn BillingLink() -> impl IntoView {
    let enabled = Resource::new(|| (), |_| billing_enabled());
    view! {
        <Transition fallback=|| ()>
            {move || enabled.get().and_then(Result::ok).filter(|on| *on).map(|_| view! {
                <h2 id="billing" class="section-title mt-8">"Plan and billing"</h2>
                <p><a href="/billing" class="link">"See your plan, subscribe to Pro or manage billing"</a></p>
            })}
        </Transition>
    }
}
