//! Sign-up and log-in pages, and the pages emailed links open: confirm an
//! address, reset a password, finish a sign-in.

use super::{
    ConfirmEmail, FinishSignIn, GoogleSignIn, LinkGoogle, Login, RequestPasswordReset, ResetPassword, Signup,
    google_options,
};
use crate::components::{Field, FormError, Prefill, Submit, loaded, query_param};
use leptos::prelude::*;
use leptos_meta::Title;

/// Fills the hidden timezone field from the browser, before (or without) hydration.
const TIMEZONE_SCRIPT: &str = "document.querySelectorAll('input[data-browser-timezone]').forEach(function(i){if(!i.value){try{i.value=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){}}})";

#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} · BuildOS") />
        <main class="mx-auto max-w-md px-4 py-12">
            <p class="mb-6 text-center text-2xl font-bold text-indigo-700">"BuildOS"</p>
            <div class="card">
                <h1 class="mb-4 text-xl font-semibold">{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// "Continue with Google", when the server has it configured.
#[component]
fn GoogleButton() -> impl IntoView {
    let google = Resource::new(|| (), |_| google_options());
    view! {
        {loaded(google, |g: GoogleSignIn| g.enabled.then(|| view! {
            <a href="/auth/google" rel="external" class="btn mt-4 flex w-full justify-center">"Continue with Google"</a>
        }))}
    }
}

/// Why a Google sign-in came back to the login page (a fixed word in the address).
fn google_problem(reason: &str) -> Option<&'static str> {
    match reason {
        "failed" => Some("Signing in with Google did not work. Try again, or log in with your password."),
        "unreachable" => Some("Google could not be reached. Try again in a moment, or log in with your password."),
        "unverified" => {
            Some("An account already uses this address and Google has not verified it: log in with your password.")
        }
        "off" => Some("Signing in with Google is not set up on this server."),
        _ => None,
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    view! {
        <AuthCard title="Create your account">
            {move || {
                let p = Prefill::track(signup);
                view! {
                    <ActionForm action=signup attr:class="space-y-4" attr:novalidate=true>
                        <FormError prefill=p.clone() />
                        <Field form="signup" label="Email" name="email" kind="email" value=p.value("email", "") error=p.error("email") required=true autocomplete="email" />
                        <Field form="signup" label="Password" name="password" kind="password" value=String::new() error=p.error("password") required=true autocomplete="new-password" />
                        <p class="hint">"At least 10 characters."</p>
                        <Field form="signup" label="Display name" name="display_name" value=p.value("display_name", "") error=p.error("display_name") autocomplete="name" />
                        <input type="hidden" name="timezone" value="" data-browser-timezone="" />
                        <Submit pending=signup.pending() idle="Create account" busy="Creating…" class="btn-primary w-full" />
                    </ActionForm>
                    <script nonce=leptos::nonce::use_nonce() inner_html=TIMEZONE_SCRIPT></script>
                }
            }}
            <GoogleButton />
            <p class="mt-4 text-sm">"Already have an account? " <a href="/login" class="link">"Log in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let next = query_param("next");
    let google = query_param("google");
    let deleted = query_param("deleted");
    view! {
        <AuthCard title="Log in">
            {move || (deleted() == "1").then(|| view! {
                <p class="banner" role="status">"Your account and everything in it are deleted. A confirmation is on its way to your email."</p>
            })}
            {move || google_problem(&google()).map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            {move || {
                let p = Prefill::track(login);
                view! {
                    <ActionForm action=login attr:class="space-y-4" attr:novalidate=true>
                        <FormError prefill=p.clone() />
                        <Field form="login" label="Email" name="email" kind="email" value=p.value("email", "") error=p.error("email") required=true autocomplete="email" />
                        <Field form="login" label="Password" name="password" kind="password" value=String::new() error=p.error("password") required=true autocomplete="current-password" />
                        <input type="hidden" name="next" value=next() />
                        <Submit pending=login.pending() idle="Log in" busy="Logging in…" class="btn-primary w-full" />
                    </ActionForm>
                }
            }}
            <GoogleButton />
            <p class="mt-4 text-sm">
                <a href="/reset-password" class="link">"Forgot your password?"</a>
                " · New here? " <a href="/signup" class="link">"Create an account"</a>
            </p>
        </AuthCard>
    }
}

/// Forgotten password: ask for a link (no token), then choose a new password (with the link's token).
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let (token, sent) = (query_param("token"), query_param("sent"));
    let sent = move || !sent().is_empty() || matches!(request.value().get(), Some(Ok(())));
    view! {
        <AuthCard title="Reset your password">
            {move || if !token().is_empty() {
                let p = Prefill::track(reset);
                view! {
                    <ActionForm action=reset attr:class="space-y-4" attr:novalidate=true>
                        <FormError prefill=p.clone() />
                        {p.error("token").map(|e| view! {
                            <p class="field-error" role="alert">{e} " " <a href="/reset-password" class="link">"Ask for a new link"</a></p>
                        })}
                        <input type="hidden" name="token" value=token() />
                        <Field form="reset" label="New password" name="password" kind="password" value=String::new() error=p.error("password") required=true autocomplete="new-password" />
                        <p class="hint">"At least 10 characters. Every device signed in to your account is signed out, and its API tokens are revoked."</p>
                        <Submit pending=reset.pending() idle="Set new password" busy="Saving…" class="btn-primary w-full" />
                    </ActionForm>
                }.into_any()
            } else if sent() {
                view! {
                    <p class="banner" role="status">
                        "If an account uses that address, a link to choose a new password is on its way. It works once, for 30 minutes."
                    </p>
                    <p class="mt-4 text-sm"><a href="/login" class="link">"Back to log in"</a></p>
                }.into_any()
            } else {
                let p = Prefill::track(request);
                view! {
                    <ActionForm action=request attr:class="space-y-4" attr:novalidate=true>
                        <FormError prefill=p.clone() />
                        <p class="text-sm text-slate-600">"We will email you a link to choose a new password."</p>
                        <Field form="forgot" label="Email" name="email" kind="email" value=p.value("email", "") error=p.error("email") required=true autocomplete="email" />
                        <Submit pending=request.pending() idle="Email me a link" busy="Sending…" class="btn-primary w-full" />
                    </ActionForm>
                    <p class="mt-4 text-sm"><a href="/login" class="link">"Back to log in"</a></p>
                }.into_any()
            }}
        </AuthCard>
    }
}

/// Where the link confirming an address leads: one button (a mail scanner
/// opening the link changes nothing).
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmEmail>::new();
    let (token, change) = (query_param("token"), query_param("change"));
    view! {
        <AuthCard title="Confirm your email address">
            {move || {
                let p = Prefill::track(confirm);
                view! {
                    <ActionForm action=confirm attr:class="space-y-4">
                        <FormError prefill=p.clone() />
                        {p.error("token").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                        <input type="hidden" name="token" value=token() />
                        <input type="hidden" name="change" value=move || if change().is_empty() { "false" } else { "true" } />
                        <p class="text-sm text-slate-600">"Confirm that this address is yours, and BuildOS can email you your briefs."</p>
                        <Submit pending=confirm.pending() idle="Confirm my address" busy="Confirming…" class="btn-primary w-full" />
                    </ActionForm>
                }
            }}
        </AuthCard>
    }
}

/// Where the emailed sign-in link leads (after many failed sign-ins).
#[component]
pub fn SignInLinkPage() -> impl IntoView {
    let finish = ServerAction::<FinishSignIn>::new();
    let token = query_param("token");
    view! {
        <AuthCard title="Finish signing in">
            {move || {
                let p = Prefill::track(finish);
                view! {
                    <ActionForm action=finish attr:class="space-y-4">
                        <FormError prefill=p.clone() />
                        {p.error("token").map(|e| view! {
                            <p class="field-error" role="alert">{e} " " <a href="/login" class="link">"Log in again"</a></p>
                        })}
                        <input type="hidden" name="token" value=token() />
                        <p class="text-sm text-slate-600">"This browser will be recognised from now on."</p>
                        <Submit pending=finish.pending() idle="Sign me in" busy="Signing in…" class="btn-primary w-full" />
                    </ActionForm>
                }
            }}
        </AuthCard>
    }
}

/// A Google sign-in for an address that already has an account: its password links the two.
#[component]
pub fn LinkGooglePage() -> impl IntoView {
    let link = ServerAction::<LinkGoogle>::new();
    let google = Resource::new(|| (), |_| google_options());
    view! {
        <AuthCard title="Link your Google account">
            {loaded(google, move |g: GoogleSignIn| match g.linking {
                None => view! {
                    <p class="text-sm text-slate-600">"Nothing is waiting to be linked. "
                        <a href="/login" class="link">"Log in"</a></p>
                }.into_any(),
                Some(email) => {
                    let text = format!("An account already uses {email}. Enter its password once to sign in with Google from now on.");
                    view! {
                    {move || {
                        let p = Prefill::track(link);
                        let text = text.clone();
                        view! {
                            <ActionForm action=link attr:class="space-y-4" attr:novalidate=true>
                                <FormError prefill=p.clone() />
                                <p class="text-sm text-slate-600">{text}</p>
                                <Field form="link" label="Password" name="password" kind="password" value=String::new() error=p.error("password") required=true autocomplete="current-password" />
                                <Submit pending=link.pending() idle="Link and sign in" busy="Linking…" class="btn-primary w-full" />
                            </ActionForm>
                        }
                    }}
                    }.into_any()
                }
            })}
        </AuthCard>
    }
}
