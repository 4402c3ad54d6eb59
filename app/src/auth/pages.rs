//! Sign-up and log-in pages.

use super::{Login, Signup};
use crate::components::{Field, FormError, Prefill, Submit, query_param};
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
            <p class="mt-4 text-sm">"Already have an account? " <a href="/login" class="link">"Log in"</a></p>
        </AuthCard>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let next = query_param("next");
    view! {
        <AuthCard title="Log in">
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
            <p class="mt-4 text-sm">"New here? " <a href="/signup" class="link">"Create an account"</a></p>
        </AuthCard>
    }
}
