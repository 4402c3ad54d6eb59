//! The emails of an account: confirm an address, reset a password, a new
//! address, finish a sign-in. Plain text, sent in the background so that an
//! answer takes as long whether or not an email went out.

use crate::notify::email::Mailer;
use lettre::Message;
use lettre::message::Mailbox;

/// What sending needs (from the settings).
#[derive(Clone, Debug)]
pub struct Mail {
    pub mailer: Mailer,
    pub from: Mailbox,
    pub base_url: String,
}

/// An account email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEmail {
    /// A new account: confirm the address.
    Verify { token: String },
    /// Forgotten password: choose a new one.
    Reset { token: String },
    /// Sent to the new address: confirm it.
    ConfirmNewAddress { token: String },
    /// Sent to the old address: the address is being changed.
    AddressChanging { new_email: String },
    /// The failed-login limits held a sign-in back: finish it.
    SignIn { token: String },
    /// The account was deleted.
    Deleted,
}

impl AccountEmail {
    fn subject_and_body(&self, base: &str) -> (&'static str, String) {
        let ignore = "If you did not ask for this, ignore this email: nothing changes.";
        match self {
            AccountEmail::Verify { token } => (
                "Confirm your email address for BuildOS",
                format!(
                    "Welcome to BuildOS.\n\nConfirm that this address is yours (the link works for two days):\n\n\
                     {base}/verify-email?token={token}\n\nUntil then, BuildOS sends you no briefs or texts.\n\n{ignore}\n"
                ),
            ),
            AccountEmail::Reset { token } => (
                "Reset your BuildOS password",
                format!(
                    "Choose a new password for BuildOS (the link works once, for 30 minutes):\n\n\
                     {base}/reset-password?token={token}\n\nEvery device signed in to your account is signed out \
                     and every API token revoked when the password changes.\n\n{ignore}\n"
                ),
            ),
            AccountEmail::ConfirmNewAddress { token } => (
                "Confirm your new email address for BuildOS",
                format!(
                    "Confirm that BuildOS should use this address from now on (the link works for a day):\n\n\
                     {base}/verify-email?change=1&token={token}\n\n{ignore}\n"
                ),
            ),
            AccountEmail::AddressChanging { new_email } => (
                "Your BuildOS email address is being changed",
                format!(
                    "Someone signed in to your BuildOS account asked to change its email address to {new_email}. \
                     It changes once that address is confirmed.\n\nIf this was not you, sign in and change your \
                     password now: {base}/profile\n"
                ),
            ),
            AccountEmail::SignIn { token } => (
                "Finish signing in to BuildOS",
                format!(
                    "There were many failed sign-ins to your account, so signing in from a new place needs this \
                     link too (it works once, for 15 minutes):\n\n{base}/login/link?token={token}\n\n\
                     If you did not just sign in, someone may know your password: change it on your profile.\n"
                ),
            ),
            AccountEmail::Deleted => (
                "Your BuildOS account is deleted",
                format!(
                    "Your BuildOS account and everything in it were deleted, as you asked: projects, tasks, notes, \
                     brain dumps, briefs and settings. No more emails or texts will come from us, and BuildOS no \
                     longer has access to your Google Calendar.\n\nThis cannot be undone. You are welcome to \
                     sign up again at any time: {base}/signup\n"
                ),
            ),
        }
    }

    pub fn build(&self, mail: &Mail, to: &str) -> Result<Message, String> {
        let (subject, body) = self.subject_and_body(mail.base_url.trim_end_matches('/'));
        plain_text(mail, to, subject, body)
    }
}

/// A plain-text email from the server's sender to `to` (account and billing emails).
pub fn plain_text(mail: &Mail, to: &str, subject: &str, body: String) -> Result<Message, String> {
    let to: Mailbox = to.parse().map_err(|e| format!("invalid address {to:?}: {e}"))?;
    Message::builder()
        .from(mail.from.clone())
        .to(to)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())
}

/// Send `email` to `to` in the background; a failure is logged (the person can ask again).
pub fn send_later(mail: &Mail, to: &str, email: AccountEmail) {
    let (mail, to) = (mail.clone(), to.to_string());
    tokio::spawn(async move {
        let sent = match email.build(&mail, &to) {
            Ok(message) => mail.mailer.send(message).await,
            Err(e) => Err(e),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "an account email could not be sent");
        }
    });
}
