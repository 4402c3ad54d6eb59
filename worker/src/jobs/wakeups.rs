//! Wake-ups from LISTEN/NOTIFY for the job queues.
//!
//! apalis-postgres gives each queue its own LISTEN connection (`with_pubsub`),
//! and apalis polls that stream once per `poll_next`, ignoring what it yields.
//! Two things went wrong, measured with `scripts/bench-queue.sh`:
//!
//! - Lost wake-ups: when that poll took a notification, the socket was left
//!   without a waker; if the fetch of the same poll then found nothing (the
//!   job committed just after the fetch began), the worker parked with nobody
//!   to wake it, and later jobs waited for the 1 s poll (p95 433–730 ms at
//!   500 jobs/s).
//! - Wasted fetches: every queue's worker was woken by every notification (its
//!   stream is polled, and the storage fetches, even when the notification
//!   was for another queue): nine fetches per job, eight of them empty.
//!
//! Here one listener task per process routes each notification to its
//! queue's [`Notify`] (coalescing: a wake-up already pending absorbs more),
//! and each queue's [`Wakeups`] stream waits on that alone, registering again
//! before it reports a wake-up. A notification that arrives while a fetch is
//! under way is taken by that poll, and the fetch may not see its job; so
//! after a wake-up the worker is woken again 3, 30 and 300 ms later (each
//! later notification starts over), and the 1 s poll stays as the last net.
//! When the listener's connection is lost and comes back, every queue is
//! woken (notifications may have been missed).

use futures::Stream;
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Notify;

/// After a wake-up, the worker is woken again this long after it (each one
/// after the one before): for a job that a fetch under way could not see.
const ECHOES: [Duration; 3] = [Duration::from_millis(3), Duration::from_millis(30), Duration::from_millis(300)];

/// apalis-postgres' channel: its insert trigger sends `{job_type, id, run_at}`.
const CHANNEL: &str = "apalis::job::insert";

/// Notifications routed to a queue, and when the last one came (µs since
/// the epoch): for the benchmark's report.
pub static RECEIVED: AtomicU64 = AtomicU64::new(0);
pub static LAST_RECEIVED_US: AtomicI64 = AtomicI64::new(0);

#[derive(Deserialize)]
struct Inserted {
    job_type: String,
}

/// The process's listener: one LISTEN connection for every queue.
#[derive(Clone, Default)]
pub struct Hub {
    /// Each queue's `Notify`, added by the first `wakeups` for it.
    queues: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Hub {
    /// Start listening (in a task that reconnects by itself).
    pub fn spawn(pool: PgPool) -> Self {
        let hub = Hub::default();
        tokio::spawn(hub.clone().listen(pool));
        hub
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The wake-ups of `queue` (a restarted worker gets the same `Notify`).
    pub fn wakeups(&self, queue: &str) -> Wakeups {
        let notify = self.queues().entry(queue.to_string()).or_default().clone();
        Wakeups { notify, waiting: None, echo: None, echoes: 0 }
    }

    fn wake_all(&self) {
        self.queues().values().for_each(|n| n.notify_one());
    }

    fn route(&self, payload: &str) {
        let Ok(ev) = serde_json::from_str::<Inserted>(payload) else { return };
        if let Some(n) = self.queues().get(ev.job_type.as_str()) {
            RECEIVED.fetch_add(1, Ordering::Relaxed);
            LAST_RECEIVED_US.store(chrono::Utc::now().timestamp_micros(), Ordering::Relaxed);
            n.notify_one();
        }
    }

    async fn listen(self, pool: PgPool) {
        loop {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(error) => {
                    tracing::warn!(%error, "job wake-ups: cannot connect; the queues poll meanwhile");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen(CHANNEL).await {
                tracing::warn!(%error, "job wake-ups: LISTEN failed; the queues poll meanwhile");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            // Jobs may have come while nobody listened.
            self.wake_all();
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => self.route(n.payload()),
                    // The connection was lost; the next call reconnects.
                    Ok(None) => self.wake_all(),
                    Err(error) => {
                        tracing::warn!(%error, "job wake-ups: listening failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}

/// One queue's wake-ups, as the stream apalis polls (`poll_with_stream`).
pub struct Wakeups {
    notify: Arc<Notify>,
    waiting: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    echo: Option<Pin<Box<tokio::time::Sleep>>>,
    /// How many echoes have fired since the last wake-up.
    echoes: usize,
}

impl Wakeups {
    /// Arm the next echo (none after the last).
    fn arm(&mut self, cx: &mut Context<'_>) {
        self.echo = ECHOES.get(self.echoes).map(|d| {
            let mut sleep = Box::pin(tokio::time::sleep(*d));
            // Registers the waker: the echo fires even if nothing else happens.
            let _ = sleep.as_mut().poll(cx);
            sleep
        });
    }
}

impl Stream for Wakeups {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let this = &mut *self;
        let notify = this.notify.clone();
        let waiting = this.waiting.get_or_insert_with(|| Box::pin(async move { notify.notified().await }));
        if waiting.as_mut().poll(cx).is_ready() {
            // Wait again at once, so the next notification has a waker to
            // call (a permit stored meanwhile is part of this wake-up).
            loop {
                let notify = this.notify.clone();
                let mut next: Pin<Box<dyn Future<Output = ()> + Send>> =
                    Box::pin(async move { notify.notified().await });
                if next.as_mut().poll(cx).is_pending() {
                    this.waiting = Some(next);
                    break;
                }
            }
            this.echoes = 0;
            this.arm(cx);
            return Poll::Ready(Some(()));
        }
        if let Some(echo) = this.echo.as_mut()
            && echo.as_mut().poll(cx).is_ready()
        {
            this.echoes += 1;
            this.arm(cx);
            return Poll::Ready(Some(()));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn notifications_wake_their_queue_only_coalesced_and_an_echo_follows() {
        let hub = Hub::default();
        let (mut a, mut b) = (hub.wakeups("a"), hub.wakeups("b"));
        let quiet = |w: &mut Wakeups| {
            let mut cx = Context::from_waker(futures::task::noop_waker_ref());
            Pin::new(w).poll_next(&mut cx).is_pending()
        };
        assert!(quiet(&mut a) && quiet(&mut b), "nothing yet");
        for _ in 0..5 {
            hub.route(r#"{"job_type":"a","id":"x","run_at":0}"#);
        }
        hub.route("not json");
        let t = std::time::Instant::now();
        assert_eq!(a.next().await, Some(()));
        assert!(quiet(&mut b), "another queue's notification does not wake b");
        // Five notifications, one wake-up; then the echoes, 3, 30 and 300 ms on.
        for (i, at) in [3, 33, 333].into_iter().enumerate() {
            assert_eq!(a.next().await, Some(()), "echo {i}");
            assert!(t.elapsed() >= Duration::from_millis(at), "echo {i} after {:?}", t.elapsed());
        }
        assert!(quiet(&mut a), "no more wake-ups without a notification");
        // A notification while nobody waits is kept for the next poll.
        hub.route(r#"{"job_type":"a"}"#);
        assert_eq!(tokio::time::timeout(Duration::from_millis(50), a.next()).await, Ok(Some(())));
        // A lost connection wakes every queue.
        hub.wake_all();
        assert_eq!(tokio::time::timeout(Duration::from_millis(50), b.next()).await, Ok(Some(())));
    }
}
