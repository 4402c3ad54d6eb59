//! Accounts: who people are, signing up and logging in, their profile.

#[cfg(feature = "server")]
pub mod google;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod password;
#[cfg(feature = "server")]
pub mod rate_limit;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod tokens;

use crate::limits;
use crate::text::Text;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A session ends after this many days without a visit.
pub const SESSION_DAYS: i64 = 14;

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// An IANA timezone.
    pub timezone: String,
    /// Whether they confirmed their address (until then: no briefs by email, no texts).
    pub email_verified: bool,
}

/// The person of a session, read with the session itself (one round trip),
/// and whether the session is due to be renewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub user: User,
    pub renew: bool,
}

/// One signed-in browser of a person, for their profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session (a digest: the session id itself never leaves the server).
    pub key: String,
    /// The session this list was asked from.
    pub current: bool,
    pub signed_in_at: Option<chrono::DateTime<chrono::Utc>>,
    pub user_agent: String,
    pub ip: String,
    /// Within a day.
    pub last_seen: chrono::DateTime<chrono::Utc>,
}

impl User {
    pub fn greeting_name(&self) -> &str {
        if self.display_name.is_empty() { &self.email } else { &self.display_name }
    }
}

#[cfg(feature = "server")]
impl User {
    /// Today's date where this person is.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::brain_dump::offline::dates::today_in(&self.timezone)
    }
}

pub type DisplayName = Text<0, { limits::DISPLAY_NAME }>;

/// An email address: printable ASCII, one `@`, a dot in the domain; lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// What an [`Email`] must look like (the API document says the same).
pub const EMAIL_PATTERN: &str = r"^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+\.[\x21-\x3f\x41-\x7e]+$";

impl Email {
    pub fn new(value: &str) -> Result<Self, String> {
        let email = value.trim().to_ascii_lowercase();
        let printable = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() && c != '@');
        let ok = email.len() <= limits::EMAIL
            && email.split_once('@').is_some_and(|(local, domain)| {
                printable(local)
                    && domain.rsplit_once('.').is_some_and(|(a, b)| printable(a) && printable(b))
                    && printable(domain)
            });
        if email.is_empty() {
            Err("Email is required.".into())
        } else if ok {
            Ok(Email(email))
        } else {
            Err("Email must be an address like name@example.com.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Email::new(&String::deserialize(d)?).map_err(|m| serde::de::Error::custom(m.trim_start_matches("Email ")))
    }
}

/// A password as typed (never trimmed): 10 to 512 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub fn new(value: &str) -> Result<Self, String> {
        let n = value.chars().count();
        if n < limits::PASSWORD_MIN {
            Err(format!("Password must be at least {} characters.", limits::PASSWORD_MIN))
        } else if n > limits::PASSWORD_MAX {
            Err(format!("Password must be at most {} characters.", limits::PASSWORD_MAX))
        } else {
            Ok(Password(value.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Password::new(&String::deserialize(d)?).map_err(|m| serde::de::Error::custom(m.trim_start_matches("Password ")))
    }
}

/// An IANA timezone name, such as Europe/Paris.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Timezone(String);

impl Timezone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Timezone("UTC".into())
    }
}

#[cfg(feature = "server")]
impl Timezone {
    /// A known IANA name ("" is UTC).
    pub fn new(value: &str) -> Result<Self, String> {
        match value.trim() {
            "" => Ok(Timezone::default()),
            tz if tz.parse::<chrono_tz::Tz>().is_ok() => Ok(Timezone(tz.to_string())),
            _ => Err("Timezone must be an IANA name like Europe/Paris or America/New_York.".into()),
        }
    }
}

#[cfg(feature = "server")]
impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Timezone::new(&String::deserialize(d)?).map_err(|m| serde::de::Error::custom(m.trim_start_matches("Timezone ")))
    }
}

/// What a new account is made of, each value valid.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "server", derive(Deserialize))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub email: Email,
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub password: Password,
    #[cfg_attr(feature = "server", serde(default))]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub display_name: DisplayName,
    /// Default UTC.
    #[cfg_attr(feature = "server", serde(default))]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub timezone: Timezone,
}

/// A profile's editable fields, each valid.
#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub display_name: DisplayName,
    pub timezone: Timezone,
}

#[cfg(feature = "openapi")]
mod openapi {
    use super::{EMAIL_PATTERN, Email, Password, Timezone};
    use crate::limits;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    impl utoipa::PartialSchema for Email {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(limits::EMAIL))
                .pattern(Some(EMAIL_PATTERN))
                .into()
        }
    }
    impl utoipa::ToSchema for Email {}

    impl utoipa::PartialSchema for Password {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(limits::PASSWORD_MIN))
                .max_length(Some(limits::PASSWORD_MAX))
                .into()
        }
    }
    impl utoipa::ToSchema for Password {}

    impl utoipa::PartialSchema for Timezone {
        fn schema() -> RefOr<Schema> {
            let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).into()
        }
    }
    impl utoipa::ToSchema for Timezone {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_need_a_domain_with_a_dot() {
        assert_eq!(Email::new(" Ann@Example.COM ").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "@example.com", "ann@localhost", "ann@ex ample.com", "ann@@example.com", "ä@example.com"]
        {
            assert!(Email::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_kept_as_typed() {
        assert_eq!(Password::new(" ten chars ").unwrap().expose(), " ten chars ");
        assert!(Password::new("short").is_err());
    }
}
