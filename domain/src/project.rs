//! Projects: the shared types, the typed input every write goes through, and
//! (server side) the service.

pub mod model;
pub mod phases;
#[cfg(feature = "server")]
pub mod service;

use crate::error::{Checks, Error};
use crate::limits;
use crate::text::Text;
use chrono::NaiveDate;
use model::ProjectStatus;
use serde::{Deserialize, Serialize};

pub type Name = Text<1, { limits::PROJECT_NAME }>;
pub type Description = Text<0, { limits::PROJECT_DESCRIPTION }>;
pub type Context = Text<0, { limits::PROJECT_CONTEXT }>;
pub type Tag = Text<1, { limits::TAG }>;

// The enum comes from `text_enum!`, which cannot mark a `#[default]` variant.
#[allow(clippy::derivable_impls)]
impl Default for ProjectStatus {
    fn default() -> Self {
        ProjectStatus::Active
    }
}

/// Tags: lowercased, without repeats, at most [`limits::TAGS`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Tags(Vec<String>);

impl Tags {
    /// At most [`limits::TAGS`] given (repeats included, as the API document
    /// says), kept once each.
    pub fn new(tags: impl IntoIterator<Item = Tag>) -> Result<Self, String> {
        let given: Vec<String> = tags.into_iter().map(|t| t.to_lowercase()).collect();
        if given.len() > limits::TAGS {
            return Err(format!("At most {} tags.", limits::TAGS));
        }
        let mut out: Vec<String> = Vec::new();
        for tag in given {
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        Ok(Tags(out))
    }

    /// Comma-separated form text.
    pub fn parse(value: &str) -> Result<Self, String> {
        let tags = value
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| Tag::new(t).map_err(|e| format!("Tag \"{}\": {}", t.trim(), e.message("it").to_lowercase())))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(tags)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(Vec::<Tag>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Tags {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(<Tag as utoipa::PartialSchema>::schema())
            .max_items(Some(limits::TAGS))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Tags {}

/// Everything a project is made of, each value already valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectInput {
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub name: Name,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub description: Description,
    /// Markdown.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub context: Context,
    #[serde(default)]
    pub status: ProjectStatus,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub tags: Tags,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Not before the start date.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
}

impl ProjectInput {
    pub fn named(name: Name) -> Self {
        ProjectInput {
            name,
            description: Description::empty(),
            context: Context::empty(),
            status: ProjectStatus::Active,
            tags: Tags::default(),
            start_date: None,
            end_date: None,
        }
    }

    /// The rules between fields, each error naming its field.
    pub fn check(&self) -> Result<(), Error> {
        let mut c = Checks::default();
        check_dates(&mut c, self.start_date, self.end_date);
        c.finish()
    }
}

/// The end date comes after the start date. (Forms check this beside their other fields.)
pub fn check_dates(c: &mut Checks, start_date: Option<NaiveDate>, end_date: Option<NaiveDate>) {
    if let (Some(s), Some(e)) = (start_date, end_date)
        && e < s
    {
        c.fail("end_date", "End date must not be before the start date.");
    }
}

/// A URL slug from a name: lowercase ASCII letters and digits joined by single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(60).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "project".to_string() } else { slug.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        assert_eq!(Tags::parse(" Work, home,work ,,").unwrap().as_slice(), ["work", "home"]);
        assert!(Tags::parse(&["a"; 21].join(",")).is_err(), "21 given, even if repeated");
        assert!(Tags::parse(&"x".repeat(41)).unwrap_err().contains("limit is 40"));
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("  Launch the Café — v2!  "), "launch-the-caf-v2");
        assert_eq!(slugify("!!!"), "project");
    }
}
