//! BuildOS's business logic, shared by the web server, the worker and (its
//! types only) the browser: typed inputs that cannot be invalid, the services
//! that read and write PostgreSQL (one write path per entity), the jobs, the
//! email, SMS and LLM clients, and the settings.
//!
//! No Leptos and no axum here. Without the `server` feature only the shared
//! types remain, which is what the browser's wasm build needs.

/// An enum stored and sent as lowercase text, with a label for people.
macro_rules! text_enum {
    ($name:ident { $($variant:ident = $text:literal / $label:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn parse(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }

        // Stored as text: read and written by sqlx as its text.
        #[cfg(feature = "server")]
        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo { <&str as sqlx::Type<sqlx::Postgres>>::type_info() }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool { <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty) }
        }

        #[cfg(feature = "server")]
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                Self::parse(text).ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)).into())
            }
        }

        #[cfg(feature = "server")]
        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }
    };
}

pub mod account;
pub mod admin;
pub mod api_token;
pub mod billing;
pub mod brain_dump;
pub mod brief;
pub mod calendar;
pub mod error;
pub mod error_log;
pub mod export;
pub mod item;
pub mod limits;
pub mod note;
pub mod project;
pub mod schedule;
pub mod search;
pub mod sms;
pub mod task;
pub mod text;

#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod jobs;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "server")]
pub mod notify;
#[cfg(feature = "server")]
pub mod patch;
#[cfg(feature = "server")]
pub mod settings;

pub use error::Error;
