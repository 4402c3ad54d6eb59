//! The error server functions return: the domain's error, carried across the
//! server-function boundary (serialised as the domain error itself).

pub use domain::error::{Checks, FieldError, Invalid};
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What went wrong, in words safe to show (see [`domain::Error`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppError(pub domain::Error);

impl std::ops::Deref for AppError {
    type Target = domain::Error;
    fn deref(&self) -> &domain::Error {
        &self.0
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AppError {}

impl From<domain::Error> for AppError {
    fn from(e: domain::Error) -> Self {
        AppError(e)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError(e.into())
    }
}

impl AppError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError(domain::Error::field(field, message))
    }

    /// Attach the submitted values to a validation error (other errors pass through).
    pub fn with_input<'a>(self, input: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        AppError(self.0.with_input(input))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError(domain::Error::Transport(value.to_string()))
    }
}
