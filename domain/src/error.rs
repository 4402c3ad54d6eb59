//! The one error of the business logic: what went wrong, in words safe to show.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What went wrong, in words safe to show the person who asked.
///
/// Internal details never cross this boundary: they are logged on the server
/// (with their cause chain) and the browser gets [`Error::Internal`].
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum Error {
    #[error("Not found.")]
    NotFound,
    #[error("Please log in.")]
    Unauthorized,
    #[error("You cannot do that.")]
    Forbidden,
    #[error("{}", .0.summary())]
    Validation(Invalid),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A service we depend on (the AI endpoint) failed; the message says what to do.
    #[error("{0}")]
    Upstream(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached our code (network down, bad encoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

/// Field errors, plus what the person typed so a form can show it again
/// (the no-JavaScript path re-renders the page from this).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invalid {
    pub fields: Vec<FieldError>,
    pub input: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn summary(&self) -> String {
        match self.fields.as_slice() {
            [one] => one.message.clone(),
            _ => "Please correct the fields marked below.".to_string(),
        }
    }
}

impl Error {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Validation(Invalid {
            fields: vec![FieldError { field: field.into(), message: message.into() }],
            input: BTreeMap::new(),
        })
    }

    /// The message for `field`, when this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Error::Validation(inv) => inv.fields.iter().find(|f| f.field == field).map(|f| f.message.clone()),
            _ => None,
        }
    }

    /// What the person typed into `field`, when it came back with an error.
    pub fn input(&self, field: &str) -> Option<String> {
        match self {
            Error::Validation(inv) => inv.input.get(field).cloned(),
            _ => None,
        }
    }

    /// Every message of a validation error as one sentence (other errors: their own message).
    pub fn messages(self) -> String {
        match self {
            Error::Validation(inv) => inv.fields.into_iter().map(|f| f.message).collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        }
    }

    /// Attach the submitted values to a validation error (other errors pass through).
    pub fn with_input<'a>(self, input: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        match self {
            Error::Validation(mut inv) => {
                inv.input.extend(input.into_iter().map(|(k, v)| (k.to_string(), v.to_string())));
                Error::Validation(inv)
            }
            other => other,
        }
    }
}

/// Collects field errors so a form reports all of them at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Keep the value when `result` is Ok, record the error against `field` otherwise.
    pub fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|m| self.fail(field, m)).ok()
    }

    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(Invalid { fields: self.0, input: BTreeMap::new() }))
        }
    }
}

#[cfg(feature = "server")]
mod ssr {
    use super::Error;

    /// Log an unexpected failure with its cause chain; the caller gets `Internal`.
    pub fn internal(error: impl Into<anyhow::Error>) -> Error {
        let error = error.into();
        let cause = format!("{error:#}");
        tracing::error!(error = cause, "internal error");
        crate::error_log::note_cause(&cause);
        Error::Internal
    }

    impl From<sqlx::Error> for Error {
        fn from(error: sqlx::Error) -> Self {
            match error {
                sqlx::Error::RowNotFound => Error::NotFound,
                other => internal(other),
            }
        }
    }

    impl From<anyhow::Error> for Error {
        fn from(error: anyhow::Error) -> Self {
            internal(error)
        }
    }
}

#[cfg(feature = "server")]
pub use ssr::internal;
