//! Server-sent event streams: a brain dump's progress, and brief status changes.
//!
//! Each person may hold a few streams at once (tabs, reconnects), not more:
//! every stream holds a [`Slot`] until it ends. Changes made elsewhere (by the
//! worker, or another server process) arrive by PostgreSQL NOTIFY on the
//! server's one LISTEN connection ([`Bus`]), never by polling.

pub mod brain_dump;
pub mod brief;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The brain-dump status channel (a trigger on brain_dumps sends the dump's id).
pub const DUMP_CHANNEL: &str = "brain_dump_status";

/// What the server hears from PostgreSQL: subscribe to a channel to hear every change.
#[derive(Clone)]
pub struct Bus {
    pub briefs: broadcast::Sender<brief::BriefChanged>,
    /// The id of a brain dump whose status changed.
    pub dumps: broadcast::Sender<Uuid>,
}

impl Bus {
    /// Listen on PostgreSQL in the background (reconnecting after a database restart).
    pub fn start(pool: PgPool) -> Self {
        let bus = Bus { briefs: broadcast::channel(1024).0, dumps: broadcast::channel(1024).0 };
        let sender = bus.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = sender.listen(&pool).await {
                    tracing::warn!(%error, "notifications: connection lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        bus
    }

    async fn listen(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen_all([domain::brief::service::CHANNEL, DUMP_CHANNEL]).await?;
        loop {
            let n = listener.recv().await?;
            let payload = n.payload().to_string();
            if n.channel() == DUMP_CHANNEL {
                if let Ok(id) = payload.parse() {
                    let _ = self.dumps.send(id);
                }
                continue;
            }
            let user = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["user_id"].as_str().and_then(|s| s.parse().ok()));
            if let Some(user_id) = user {
                let _ = self.briefs.send(brief::BriefChanged { user_id, payload });
            }
        }
    }
}

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
        domain::metrics::sse_opened();
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
        domain::metrics::sse_closed();
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
