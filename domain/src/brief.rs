//! Daily briefs: what matters today in each active project, built by the worker
//! at each person's chosen local time, shown on the brief page and emailed.

pub mod model;
#[cfg(feature = "server")]
pub mod schedule;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod summary;

/// "a•••@example.com": whose address, without showing it.
pub fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}
