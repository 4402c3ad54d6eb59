//! Text a person wrote, trimmed and within its limits: a value of these types
//! cannot be invalid (parse, don't validate). Forms and JSON both arrive here.

use serde::{Deserialize, Serialize};

/// Trimmed text of `MIN..=MAX` characters, without NUL characters (which
/// PostgreSQL cannot store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Blank,
    TooShort { len: usize, min: usize },
    TooLong { len: usize, max: usize },
    Nul,
}

impl TextError {
    /// What is wrong, as the end of a sentence ("is required").
    pub fn reason(self) -> String {
        match self {
            TextError::Blank => "is required".into(),
            TextError::TooShort { len, min } => format!("is too short ({len} characters; at least {min})"),
            TextError::TooLong { len, max } => format!("is too long ({len} characters; the limit is {max})"),
            TextError::Nul => "cannot contain NUL characters".into(),
        }
    }

    /// The message for a field labelled `label` ("Title is required.").
    pub fn message(self, label: &str) -> String {
        format!("{label} {}.", self.reason())
    }
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason())
    }
}

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    /// Trim `value` and check its length in characters.
    pub fn new(value: &str) -> Result<Self, TextError> {
        let value = value.trim();
        if value.contains('\0') {
            return Err(TextError::Nul);
        }
        let len = value.chars().count();
        if len < MIN {
            return Err(if len == 0 { TextError::Blank } else { TextError::TooShort { len, min: MIN } });
        }
        if len > MAX {
            return Err(TextError::TooLong { len, max: MAX });
        }
        Ok(Self(value.to_string()))
    }

    /// As [`Text::new`], with the message naming the field by `label`.
    pub fn parse(value: &str, label: &str) -> Result<Self, String> {
        Self::new(value).map_err(|e| e.message(label))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> Text<0, MAX> {
    /// No text (always valid when nothing is required).
    pub fn empty() -> Self {
        Self(String::new())
    }
}

impl<const MAX: usize> Default for Text<0, MAX> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<const MIN: usize, const MAX: usize> std::ops::Deref for Text<MIN, MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Text<MIN, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// The JSON Schema of a text: its length, and (when required) a pattern that
/// asks for something besides spaces. NUL is never allowed.
#[cfg(feature = "openapi")]
mod openapi {
    use super::Text;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

    impl<const MIN: usize, const MAX: usize> utoipa::PartialSchema for Text<MIN, MAX> {
        fn schema() -> RefOr<Schema> {
            let pattern = if MIN == 0 { r"^[^\u0000]*$" } else { r"^[^\u0000]*[^\s\u0000][^\u0000]*$" };
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(MIN))
                .max_length(Some(MAX))
                .pattern(Some(pattern))
                .into()
        }
    }

    impl<const MIN: usize, const MAX: usize> utoipa::ToSchema for Text<MIN, MAX> {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        assert_eq!(Text::<1, 3>::new("  ééé ").unwrap().as_str(), "ééé");
        assert_eq!(Text::<1, 3>::new("éééé"), Err(TextError::TooLong { len: 4, max: 3 }));
        assert_eq!(Text::<1, 3>::new("   "), Err(TextError::Blank));
        assert_eq!(Text::<0, 3>::new("  ").unwrap().as_str(), "");
        assert_eq!(Text::<0, 3>::new("a\0"), Err(TextError::Nul));
    }

    #[test]
    fn messages_name_the_field() {
        assert_eq!(Text::<1, 10>::parse(" ", "Name"), Err("Name is required.".into()));
        assert!(Text::<1, 3>::parse("abcd", "Title").unwrap_err().contains("limit is 3"));
    }

    #[test]
    fn json_is_checked_on_the_way_in() {
        assert!(serde_json::from_str::<Text<1, 3>>("\"abcd\"").is_err());
        assert_eq!(serde_json::from_str::<Text<1, 3>>("\" ab \"").unwrap().as_str(), "ab");
    }
}
