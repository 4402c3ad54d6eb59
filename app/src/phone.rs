//! Text messages: the verified phone number and SMS preferences (profile page).

use crate::components::{FormError, Prefill, loaded};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::request::require_user;

pub use domain::sms::SmsPrefs;

#[server(endpoint = "get_sms_prefs")]
pub async fn get_sms_prefs() -> Result<SmsPrefs, AppError> {
    let (pool, user) = require_user().await?;
    let uid = user.id;
    let need_plan = crate::auth::request::settings()?.sms_caps.need_plan;
    Ok(domain::db::as_user(&pool, uid, move |tx| {
        Box::pin(async move {
            let mut prefs = domain::sms::get_prefs(tx, uid).await?;
            prefs.needs_pro = need_plan && !domain::billing::service::pays(tx, uid).await?;
            Ok(prefs)
        })
    })
    .await?)
}

/// Text a six-digit code to `phone`.
#[server(endpoint = "start_phone_verification")]
pub async fn start_phone_verification(#[server(default)] phone: String) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let caps = crate::auth::request::settings()?.sms_caps;
    domain::notify::sms::start_verification(&pool, &caps, user.id, &phone)
        .await
        .map_err(|e| AppError(e).with_input([("phone", phone.as_str())]))
}

#[server(endpoint = "confirm_phone")]
pub async fn confirm_phone(#[server(default)] code: String) -> Result<String, AppError> {
    let (pool, user) = require_user().await?;
    Ok(domain::notify::sms::confirm_verification(&pool, user.id, &code).await?)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmsPrefsForm {
    pub brief_ready: String,
    pub task_reminders: String,
    pub quiet_start: String,
    pub quiet_end: String,
    pub daily_cap: String,
}

#[server(endpoint = "save_sms_prefs")]
pub async fn save_sms_prefs(#[server(flatten)] form: SmsPrefsForm) -> Result<(), AppError> {
    let (pool, user) = require_user().await?;
    let mut c = crate::error::Checks::default();
    let time = |c: &mut crate::error::Checks, field: &str, v: &str| {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        let t = chrono::NaiveTime::parse_from_str(v, "%H:%M").ok();
        if t.is_none() {
            c.fail(field, "Time must look like 22:00.");
        }
        t
    };
    let start = time(&mut c, "quiet_start", &form.quiet_start);
    let end = time(&mut c, "quiet_end", &form.quiet_end);
    if start.is_some() != end.is_some() {
        c.fail("quiet_end", "Give both ends of the quiet hours, or neither.");
    }
    let cap = form.daily_cap.trim().parse::<i16>().ok().filter(|n| (0..=domain::sms::DAILY_CAP_MAX).contains(n));
    if cap.is_none() {
        c.fail("daily_cap", format!("The daily limit is a number from 0 to {}.", domain::sms::DAILY_CAP_MAX));
    }
    let input = [
        ("quiet_start", form.quiet_start.as_str()),
        ("quiet_end", form.quiet_end.as_str()),
        ("daily_cap", form.daily_cap.as_str()),
    ];
    c.finish().map_err(|e| AppError(e).with_input(input))?;
    let prefs = domain::sms::SmsPrefsInput {
        brief_ready: form.brief_ready == "on",
        task_reminders: form.task_reminders == "on",
        quiet: start.zip(end),
        daily_cap: cap.unwrap_or(5),
    };
    let uid = user.id;
    Ok(domain::db::as_user(&pool, uid, move |tx| {
        Box::pin(async move { domain::sms::save_prefs(tx, uid, &prefs).await })
    })
    .await?)
}

/// The phone and SMS section of the profile page.
#[component]
pub fn PhoneSettings() -> impl IntoView {
    let start = ServerAction::<StartPhoneVerification>::new();
    let confirm = ServerAction::<ConfirmPhone>::new();
    let save = ServerAction::<SaveSmsPrefs>::new();
    let prefs = Resource::new(
        move || (start.version().get(), confirm.version().get(), save.version().get()),
        |_| get_sms_prefs(),
    );
    view! {
        <h2 id="sms" class="section-title mt-8">"Text messages"</h2>
        {loaded(prefs, move |s: SmsPrefs| {
            let ps = Prefill::of(start);
            let pc = Prefill::of(confirm);
            let pp = Prefill::of(save);
            let saved = matches!(save.value().get_untracked(), Some(Ok(())));
            let phone_value = ps.value("phone", s.phone.as_deref().unwrap_or(""));
            let number = match (&s.phone, s.verified) {
                (Some(p), true) => format!("Texts go to {p} (verified)."),
                _ => "No verified number yet.".to_string(),
            };
            view! {
                <div class="card max-w-lg space-y-3">
                    {s.needs_pro.then(|| view! {
                        <p class="banner">"Texts are part of the Pro plan: you can set them up now, and they are sent once you subscribe on the " <a href="/billing" class="link">"billing page"</a> "."</p>
                    })}
                    <p>{number}</p>
                    <ActionForm action=start attr:class="flex flex-wrap items-end gap-2" attr:novalidate=true>
                        <label class="text-sm flex-1">"Phone number"
                            <input type="tel" name="phone" autocomplete="tel" placeholder="+14155550100" class="input" value=phone_value />
                        </label>
                        <button type="submit" class="btn">"Text me a code"</button>
                    </ActionForm>
                    {ps.error("phone").or_else(|| ps.0.as_ref().filter(|e| e.field_message("phone").is_none()).map(|e| e.to_string()))
                        .map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    {s.pending_phone.clone().map(|p| view! {
                        <ActionForm action=confirm attr:class="flex flex-wrap items-end gap-2" attr:novalidate=true>
                            <label class="text-sm flex-1">{format!("Code sent to {p}")}
                                <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" class="input" />
                            </label>
                            <button type="submit" class="btn-primary">"Verify"</button>
                        </ActionForm>
                    })}
                    {pc.error("code").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <ActionForm action=save attr:class="card mt-3 max-w-lg space-y-3" attr:novalidate=true>
                    <FormError prefill=pp.clone() />
                    {saved.then(|| view! { <p class="banner" role="status">"Saved."</p> })}
                    <label class="flex items-center gap-2"><input type="checkbox" name="brief_ready" value="on" checked=s.brief_ready class="h-4 w-4" />"Text me when my brief is ready"</label>
                    <label class="flex items-center gap-2"><input type="checkbox" name="task_reminders" value="on" checked=s.task_reminders class="h-4 w-4" />"Task reminders"</label>
                    <div class="grid gap-3 sm:grid-cols-3">
                        <label class="text-sm">"Quiet from"<input type="time" name="quiet_start" class="input" value=pp.value("quiet_start", s.quiet_start.as_deref().unwrap_or("")) /></label>
                        <label class="text-sm">"until"<input type="time" name="quiet_end" class="input" value=pp.value("quiet_end", s.quiet_end.as_deref().unwrap_or("")) /></label>
                        <label class="text-sm">"At most per day"<input type="number" min="0" max="50" name="daily_cap" class="input" value=pp.value("daily_cap", &s.daily_cap.to_string()) /></label>
                    </div>
                    {pp.error("quiet_end").or(pp.error("quiet_start")).or(pp.error("daily_cap")).map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    <button type="submit" class="btn-primary" disabled=move || save.pending().get()>"Save text settings"</button>
                </ActionForm>
            }
        })}
    }
}
