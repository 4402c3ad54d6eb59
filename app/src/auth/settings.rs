//! The account part of the profile: the address and whether it is confirmed,
//! changing it and the password, the browsers signed in, AI use.

use super::{ChangeEmail, ChangePassword, EndSessions, ResendVerification, SessionInfo, User, list_sessions};
use crate::components::{Field, FormError, Prefill, Submit, loaded, query_param};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A person's use of the AI today, against their quota (None without an AI configured).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiUsage {
    pub today: i64,
    pub per_day: i64,
    pub per_minute: i64,
}

#[server(endpoint = "get_ai_usage")]
pub async fn get_ai_usage() -> Result<Option<AiUsage>, AppError> {
    let (pool, user) = super::request::require_user().await?;
    let domain::brain_dump::llm::Engine::Llm(config) = &super::request::settings()?.engine else { return Ok(None) };
    let quota = config.quota;
    let uid = user.id;
    let usage = domain::db::as_user(&pool, uid, move |tx| {
        Box::pin(async move { domain::brain_dump::quota::usage(tx, uid, &quota).await })
    })
    .await?;
    Ok(Some(AiUsage { today: usage.today, per_day: usage.per_day, per_minute: usage.per_minute }))
}

/// The address, with its state and a way to confirm it.
#[component]
pub fn EmailStatus(user: User) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let confirmed_now = query_param("email");
    view! {
        <p class="mb-4 text-slate-600">
            {format!("Signed in as {}", user.email)} " "
            {if user.email_verified {
                view! { <span class="badge" data-testid="email-confirmed">"confirmed"</span> }.into_any()
            } else {
                view! { <span class="badge-warn">"not confirmed"</span> }.into_any()
            }}
        </p>
        {move || (confirmed_now() == "confirmed").then(|| view! { <p class="banner" role="status">"Your address is confirmed."</p> })}
        {(!user.email_verified).then(|| view! { <ConfirmBanner action=resend /> })}
    }
}

/// "Confirm your address", with a button for a new link.
#[component]
pub fn ConfirmBanner(action: ServerAction<ResendVerification>) -> impl IntoView {
    view! {
        <div class="banner flex-wrap gap-2" role="status">
            <p class="min-w-0 flex-1 basis-64">"Confirm your email address: the link is in your inbox. Until then BuildOS emails you no briefs and sends no texts."</p>
            <ActionForm action=action>
                <Submit pending=action.pending() idle="Send a new link" busy="Sending…" class="btn whitespace-nowrap" />
            </ActionForm>
            {move || match action.value().get() {
                Some(Ok(())) => Some(view! { <p class="hint">"A new link is on its way."</p> }.into_any()),
                Some(Err(e)) => Some(view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any()),
                None => None,
            }}
        </div>
    }
}

#[component]
pub fn AccountSettings() -> impl IntoView {
    let password = ServerAction::<ChangePassword>::new();
    let email = ServerAction::<ChangeEmail>::new();
    // Both forms come back here with what they did in the address (with or without JavaScript).
    let (password_done, email_done) = (query_param("password"), query_param("email"));
    view! {
        <h2 id="account" class="section-title mt-8">"Password and email"</h2>
        <div class="grid max-w-3xl gap-4 md:grid-cols-2">
            {move || {
                let p = Prefill::track(password);
                let done = password_done() == "changed";
                view! {
                    <ActionForm action=password attr:class="card space-y-3" attr:novalidate=true>
                        <h3 class="font-semibold">"Change password"</h3>
                        <FormError prefill=p.clone() />
                        {done.then(|| view! { <p class="banner" role="status">"Password changed. Every other browser is signed out."</p> })}
                        <Field form="password" label="Current password" name="current_password" kind="password" value=String::new() error=p.error("current_password") autocomplete="current-password" />
                        <Field form="password" label="New password" name="new_password" kind="password" value=String::new() error=p.error("new_password") autocomplete="new-password" />
                        <Submit pending=password.pending() idle="Change password" busy="Saving…" class="btn-primary" />
                    </ActionForm>
                }
            }}
            {move || {
                let p = Prefill::track(email);
                let done = email_done() == "sent";
                view! {
                    <ActionForm action=email attr:class="card space-y-3" attr:novalidate=true>
                        <h3 class="font-semibold">"Change email"</h3>
                        <FormError prefill=p.clone() />
                        {done.then(|| view! { <p class="banner" role="status">"Check the new address: the change happens once you open the link we sent there."</p> })}
                        <Field form="email" label="New email" name="new_email" kind="email" value=p.value("new_email", "") error=p.error("new_email") autocomplete="email" />
                        <Field form="email" label="Password" name="current_password" kind="password" value=String::new() error=p.error("current_password") autocomplete="current-password" />
                        <Submit pending=email.pending() idle="Change email" busy="Sending…" class="btn-primary" />
                    </ActionForm>
                }
            }}
        </div>
        <GoogleLink />
        <Sessions />
        <AiUse />
    }
}

/// Signing in with Google (when the server offers it): linked or not.
#[component]
fn GoogleLink() -> impl IntoView {
    let google = Resource::new(|| (), |_| super::google_options());
    let just_linked = query_param("google");
    view! {
        {loaded(google, move |g: super::GoogleSignIn| g.enabled.then(|| view! {
            <h2 id="google" class="section-title mt-8">"Sign in with Google"</h2>
            <div class="card max-w-3xl text-sm">
                {(just_linked() == "linked").then(|| view! { <p class="banner" role="status">"Google is linked."</p> })}
                {(just_linked() == "taken").then(|| view! {
                    <p class="form-error" role="alert">"That Google account is linked to another BuildOS account, so it was not linked to yours."</p>
                })}
                {match g.linked {
                    Some(email) => view! { <p>{format!("Linked to the Google account {email}.")}</p> }.into_any(),
                    None => view! {
                        <p class="mb-2">"Sign in with your Google account as well as your password."</p>
                        <a href="/auth/google" rel="external" class="btn">"Link Google"</a>
                    }.into_any(),
                }}
            </div>
        }))}
    }
}

/// The browsers signed in, with a way to sign each (or all the others) out.
#[component]
fn Sessions() -> impl IntoView {
    let end = ServerAction::<EndSessions>::new();
    let sessions = Resource::new(move || end.version().get(), |_| list_sessions());
    view! {
        <h2 id="sessions" class="section-title mt-8">"Signed-in browsers"</h2>
        {loaded(sessions, move |list: Vec<SessionInfo>| {
            let others = list.iter().filter(|s| !s.current).count();
            view! {
                <ul class="card max-w-3xl divide-y divide-slate-100" data-testid="sessions">
                    {list.into_iter().map(|s| {
                        let when = s.signed_in_at.map(|t| format!("signed in {}", t.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_default();
                        view! {
                            <li class="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
                                <span class="min-w-0 flex-1 basis-48">
                                    <span class="block font-medium" title=s.user_agent.clone()>{describe_browser(&s.user_agent)}</span>
                                    <span class="block text-xs text-slate-500">{format!("{} · {when}", s.ip)}</span>
                                </span>
                                {if s.current {
                                    view! { <span class="badge">"this browser"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=end>
                                            <input type="hidden" name="key" value=s.key.clone() />
                                            <button type="submit" class="btn">"Sign out"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {(others > 0).then(|| view! {
                    <ActionForm action=end attr:class="mt-2">
                        <input type="hidden" name="key" value="" />
                        <button type="submit" class="btn">"Sign out everywhere else"</button>
                    </ActionForm>
                })}
            }
        })}
    }
}

/// "Firefox on Linux" from a User-Agent header, for the list of signed-in browsers.
fn describe_browser(agent: &str) -> String {
    let has = |s: &str| agent.contains(s);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if agent.is_empty() {
        return "Unknown browser".into();
    } else {
        "A browser"
    };
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| has(needle))
    .map_or(String::new(), |(_, name)| format!(" on {name}"));
    format!("{browser}{system}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn browsers_are_named_plainly() {
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
        assert_eq!(super::describe_browser(chrome), "Chrome on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(super::describe_browser(iphone), "Safari on iPhone");
        assert_eq!(super::describe_browser(""), "Unknown browser");
    }
}

/// How much of the AI quota is used today (only with an AI configured).
#[component]
fn AiUse() -> impl IntoView {
    let usage = Resource::new(|| (), |_| get_ai_usage());
    view! {
        {loaded(usage, |u: Option<AiUsage>| u.map(|u| view! {
            <h2 id="ai" class="section-title mt-8">"AI use"</h2>
            <p class="card max-w-3xl text-sm" data-testid="ai-usage">
                {format!("{} of {} AI requests used in the last 24 hours (at most {} a minute).", u.today, u.per_day, u.per_minute)}
            </p>
        }))}
    }
}
