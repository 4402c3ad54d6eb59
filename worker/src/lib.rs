//! The BuildOS worker: job handlers over the domain crate, on apalis.

pub mod jobs;
pub mod metrics;
