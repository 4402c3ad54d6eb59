//! Server-sent event streams: a brain dump's progress, and brief status changes.

pub mod brain_dump;
pub mod brief;
