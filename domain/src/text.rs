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
    /// The limit counts every character sent (as the API document's
    /// `maxLength` does); the minimum counts what is left once trimmed.
    pub fn new(value: &str) -> Result<Self, TextError> {
        let sent = value.chars().count();
        if sent > MAX {
            return Err(TextError::TooLong { len: sent, max: MAX });
        }
        if value.contains('\0') {
            return Err(TextError::Nul);
        }
        let value = value.trim();
        let len = value.chars().count();
        if len < MIN {
            return Err(if len == 0 { TextError::Blank } else { TextError::TooShort { len, min: MIN } });
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
            // No NUL; and unless it may be empty, one character that trimming
            // keeps: Rust's whitespace (Unicode White_Space) spelled out, since
            // `\s` means something else in each regex dialect.
            let pattern = if MIN == 0 {
                r"^[^\u0000]*$"
            } else {
                r"^[^\u0000]*[^\u0000\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000]*$"
            };
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
        assert_eq!(Text::<1, 6>::new("  ééé ").unwrap().as_str(), "ééé");
        assert_eq!(Text::<1, 3>::new("éééé"), Err(TextError::TooLong { len: 4, max: 3 }));
        assert_eq!(Text::<1, 3>::new("   "), Err(TextError::Blank));
        assert_eq!(Text::<0, 3>::new("  ").unwrap().as_str(), "");
        assert_eq!(Text::<0, 3>::new("a\0"), Err(TextError::Nul));
        assert_eq!(Text::<1, 3>::new("ab  "), Err(TextError::TooLong { len: 4, max: 3 }), "what is sent counts");
    }

    /// The document's pattern says "not blank" with the same whitespace as `trim`.
    #[test]
    fn the_whitespace_that_trim_removes_is_the_patterns() {
        let listed = |c: char| matches!(c as u32, 0x09..=0x0D | 0x20 | 0x85 | 0xA0 | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), listed(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn messages_name_the_field() {
        assert_eq!(Text::<1, 10>::parse(" ", "Name"), Err("Name is required.".into()));
        assert!(Text::<1, 3>::parse("abcd", "Title").unwrap_err().contains("limit is 3"));
    }

    #[test]
    fn json_is_checked_on_the_way_in() {
        assert!(serde_json::from_str::<Text<1, 3>>("\"abcd\"").is_err());
        assert_eq!(serde_json::from_str::<Text<1, 4>>("\" ab \"").unwrap().as_str(), "ab");
    }
}
