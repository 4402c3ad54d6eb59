//! Brain dumps: free text in, proposed projects, tasks and notes out.

#[cfg(feature = "ssr")]
pub mod offline;
pub mod operation;
