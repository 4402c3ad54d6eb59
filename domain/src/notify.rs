//! Telling people things outside the app: email (SMTP or a file outbox) and SMS
//! (Twilio or an outbox), with signed links that work without logging in.

pub mod email;
pub mod sms;
pub mod token;
