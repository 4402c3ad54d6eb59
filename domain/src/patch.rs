//! Typed inputs read from JSON: a body as sent, or changes merged onto what
//! is stored (RFC 7396 merge patch: a field sent replaces it, `null` clears
//! it, a field left out keeps it). Errors name the field.

use crate::error::{Error, FieldError, Invalid};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Apply `patch` to `target` as RFC 7396 says.
pub fn merge(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(changes) => {
            if !target.is_object() {
                *target = Value::Object(Default::default());
            }
            let map = target.as_object_mut().expect("an object");
            for (key, value) in changes {
                if value.is_null() {
                    map.remove(&key);
                } else {
                    merge(map.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        other => *target = other,
    }
}

/// "start_date" → "Start date".
pub fn label(field: &str) -> String {
    let text = field.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Read `T` from `value`; what does not fit is a validation error on its field.
pub fn read<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let (field, message) = match inner.strip_prefix("missing field `").and_then(|r| r.split_once('`')) {
            Some((name, _)) => {
                let field = if path == "." { name.to_string() } else { format!("{path}.{name}") };
                let message = format!("{} is required.", label(name));
                (field, message)
            }
            None => {
                let field = if path == "." { String::new() } else { path };
                let what = label(field.rsplit('.').next().unwrap_or(""));
                let starts_a_sentence = ["is ", "must ", "cannot "].iter().any(|p| inner.starts_with(p));
                let message = match (what.is_empty(), starts_a_sentence) {
                    (true, _) => format!("{}.", inner.trim_end_matches('.')),
                    (false, true) => format!("{what} {}.", inner.trim_end_matches('.')),
                    (false, false) => format!("{what}: {}.", inner.trim_end_matches('.')),
                };
                (field, message)
            }
        };
        Error::Validation(Invalid { fields: vec![FieldError { field, message }], input: Default::default() })
    })
}

/// Read `T` from what is stored (`current`, serialised) with `changes` merged on.
pub fn merged<T: DeserializeOwned>(current: &impl serde::Serialize, changes: Value) -> Result<T, Error> {
    let mut value = serde_json::to_value(current).map_err(crate::error::internal)?;
    merge(&mut value, changes);
    read(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_replaces_clears_and_keeps() {
        let mut v = json!({"a": 1, "b": 2, "c": {"d": 3}});
        merge(&mut v, json!({"a": 9, "b": null, "c": {"e": 4}}));
        assert_eq!(v, json!({"a": 9, "c": {"d": 3, "e": 4}}));
    }

    #[test]
    fn errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            title: crate::text::Text<1, 3>,
            start_date: Option<chrono::NaiveDate>,
        }
        let e = read::<T>(json!({"title": "abcd"})).unwrap_err();
        assert_eq!(e.field_message("title").unwrap(), "Title is too long (4 characters; the limit is 3).");
        let e = read::<T>(json!({})).unwrap_err();
        assert_eq!(e.field_message("title").unwrap(), "Title is required.");
        let e = read::<T>(json!({"title": "a", "start_date": "soon"})).unwrap_err();
        assert!(e.field_message("start_date").unwrap().starts_with("Start date: "));
    }
}
