//! Turning submitted form text into typed values, with messages that name the problem.

use chrono::NaiveDate;

/// Trimmed text that must be present and at most `max` characters.
pub fn required(value: &str, label: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("{label} is required."));
    }
    optional(value, label, max)
}

/// Trimmed text, possibly empty, at most `max` characters.
pub fn optional(value: &str, label: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(format!("{label} is too long ({len} characters; the limit is {max})."));
    }
    Ok(value.to_string())
}

/// An ISO date (`YYYY-MM-DD`, what `<input type=date>` sends) or nothing.
pub fn date(value: &str, label: &str) -> Result<Option<NaiveDate>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{label} must be a date like 2026-12-31."))
}

/// A whole number of minutes between 1 and a week, or nothing.
pub fn minutes(value: &str, label: &str) -> Result<Option<i32>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i32>() {
        Ok(n) if (1..=10080).contains(&n) => Ok(Some(n)),
        _ => Err(format!("{label} must be a whole number of minutes from 1 to 10080.")),
    }
}

/// Comma-separated tags: trimmed, lowercased, de-duplicated, at most 20 of 40 characters.
pub fn tags(value: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in value.split(',').map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > 40 {
            return Err(format!("Tag \"{tag}\" is too long (the limit is 40 characters)."));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err("At most 20 tags.".into());
    }
    Ok(tags)
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

/// An id from a URL or form; anything unparsable is simply not found.
pub fn id(value: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    value.trim().parse().map_err(|_| crate::error::AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_names_the_field_when_blank() {
        assert_eq!(required("  ", "Name", 10), Err("Name is required.".into()));
        assert_eq!(required(" a ", "Name", 10), Ok("a".into()));
    }

    #[test]
    fn length_limit_counts_characters_not_bytes() {
        assert!(optional("ééé", "Title", 3).is_ok());
        assert!(optional("éééé", "Title", 3).unwrap_err().contains("limit is 3"));
    }

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(date("", "Due date"), Ok(None));
        assert_eq!(date("2028-02-29", "Due date"), Ok(NaiveDate::from_ymd_opt(2028, 2, 29)));
        assert!(date("2027-02-29", "Due date").unwrap_err().starts_with("Due date"));
    }

    #[test]
    fn tags_are_normalised() {
        assert_eq!(tags(" Work, home,work ,,"), Ok(vec!["work".into(), "home".into()]));
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("  Launch the Café — v2!  "), "launch-the-caf-v2");
        assert_eq!(slugify("!!!"), "project");
    }

    #[test]
    fn minutes_are_bounded() {
        assert_eq!(minutes("30", "Duration"), Ok(Some(30)));
        assert!(minutes("0", "Duration").is_err());
        assert!(minutes("abc", "Duration").is_err());
    }
}
