//! Server-sent event streams: a brain dump's progress, and brief status changes.
//!
//! Each person may hold a few streams at once (tabs, reconnects), not more:
//! every stream holds a [`Slot`] until it ends.

pub mod brain_dump;
pub mod brief;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The most streams one person may have open at once.
pub const MAX_PER_PERSON: usize = 6;

/// Open streams per person.
#[derive(Clone, Default)]
pub struct Streams(Arc<Mutex<HashMap<Uuid, usize>>>);

/// One open stream; dropping it (the stream ended) frees the place.
pub struct Slot {
    streams: Streams,
    user_id: Uuid,
}

impl Streams {
    /// A place for one more stream of `user_id`, if they have not used them all.
    pub fn open(&self, user_id: Uuid) -> Option<Slot> {
        let mut open = self.0.lock().expect("the stream count is never poisoned");
        let n = open.entry(user_id).or_default();
        if *n >= MAX_PER_PERSON {
            return None;
        }
        *n += 1;
        Some(Slot { streams: self.clone(), user_id })
    }

    #[cfg(test)]
    fn count(&self, user_id: Uuid) -> usize {
        self.0.lock().unwrap().get(&user_id).copied().unwrap_or(0)
    }
}

/// The answer when a person has no stream left.
pub fn too_many() -> Response {
    let message = "Too many live pages are open; close a few tabs and reload this one.";
    (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], message).into_response()
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().expect("the stream count is never poisoned");
        if let Some(n) = open.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_gets_a_few_streams_and_a_closed_one_frees_its_place() {
        let (streams, ada, bob) = (Streams::default(), Uuid::new_v4(), Uuid::new_v4());
        let mut held: Vec<Slot> = (0..MAX_PER_PERSON).map(|_| streams.open(ada).unwrap()).collect();
        assert!(streams.open(ada).is_none());
        assert!(streams.open(bob).is_some(), "others are not affected");
        held.pop();
        assert!(streams.open(ada).is_some());
        held.clear();
        assert_eq!(streams.count(ada), 0);
    }
}
