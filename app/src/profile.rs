//! The profile page: display name and timezone, then the account, briefs,
//! texts, calendar feed and API tokens.

use crate::api_token::ApiTokens;
use crate::auth::User;
use crate::brief::pages::BriefSettings;
use crate::calendar::CalendarFeedSettings;
use crate::components::{Field, FormError, Layout, Prefill, loaded};
use crate::error::AppError;
use crate::phone::PhoneSettings;
use leptos::prelude::*;
use leptos_meta::Title;

/// Offers the browser's timezone when it differs from the saved one (works before hydration).
const BROWSER_TZ_SCRIPT: &str = "(function(){var tz;try{tz=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){return}var o=document.querySelector('[data-browser-tz-offer]');if(!tz||!o)return;o.querySelector('[data-browser-tz]').textContent=tz;o.hidden=false;o.querySelector('[data-browser-tz-use]').addEventListener('click',function(){var f=document.getElementById('profile-timezone');if(f){f.value=tz;f.focus()}})})()";

#[server(endpoint = "get_profile")]
pub async fn get_profile() -> Result<User, AppError> {
    let (_, user) = crate::auth::request::require_user().await?;
    Ok(user)
}

#[server(endpoint = "update_profile")]
pub async fn update_profile(
    #[server(default)] display_name: String,
    #[server(default)] timezone: String,
) -> Result<(), AppError> {
    let (pool, user) = crate::auth::request::require_user().await?;
    let mut c = crate::error::Checks::default();
    let name = c.take("display_name", domain::account::DisplayName::parse(&display_name, "Display name"));
    let tz = c.take(
        "timezone",
        domain::account::Timezone::new(&timezone)
            .and_then(|t| if timezone.trim().is_empty() { Err("Timezone is required.".to_string()) } else { Ok(t) }),
    );
    c.finish().map_err(|e| {
        AppError(e).with_input([("display_name", display_name.as_str()), ("timezone", timezone.as_str())])
    })?;
    let profile = domain::account::ProfileInput { display_name: name.expect("parsed"), timezone: tz.expect("parsed") };
    let uid = user.id;
    domain::db::as_user(&pool, uid, move |tx| {
        Box::pin(async move { domain::account::service::update_profile(tx, uid, &profile).await })
    })
    .await?;
    Ok(())
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let profile = Resource::new(move || update.version().get(), |_| get_profile());
    view! {
        <Layout>
            <Title text="Profile · BuildOS" />
            <h1 class="page-title">"Profile"</h1>
            {loaded(profile, move |user: User| view! {
                <crate::auth::settings::EmailStatus user=user.clone() />
                {let user = user.clone(); move || {
                    let p = Prefill::track(update);
                    let saved = matches!(update.value().get_untracked(), Some(Ok(())));
                    let name = p.value("display_name", &user.display_name);
                    let timezone = p.value("timezone", &user.timezone);
                    view! {
                        <ActionForm action=update attr:class="card max-w-lg space-y-3" attr:novalidate=true>
                            <FormError prefill=p.clone() />
                            {saved.then(|| view! { <p class="banner" role="status">"Saved."</p> })}
                            <Field form="profile" label="Display name" name="display_name" value=name error=p.error("display_name") autocomplete="name" />
                            <Field form="profile" label="Timezone" name="timezone" value=timezone error=p.error("timezone") />
                            <p class="hint">"Your dashboard and daily brief use this timezone (an IANA name such as Europe/Paris)."</p>
                            <button type="submit" class="btn-primary" disabled=move || update.pending().get()>"Save profile"</button>
                        </ActionForm>
                    }
                }}
                <p class="hint mt-2" hidden data-browser-tz-offer="">
                    "Your browser says " <strong data-browser-tz=""></strong> ". "
                    <button type="button" class="link" data-browser-tz-use="">"Use it"</button>
                </p>
                <script nonce=leptos::nonce::use_nonce() inner_html=BROWSER_TZ_SCRIPT></script>
            })}
            <crate::billing::BillingLink />
            <crate::auth::settings::AccountSettings />
            <BriefSettings />
            <PhoneSettings />
            <crate::calendar::GoogleCalendarSettings />
            <CalendarFeedSettings />
            <crate::plan::SchedulingSettings />
            <ApiTokens />
            <crate::data::DataSettings />
        </Layout>
    }
}
