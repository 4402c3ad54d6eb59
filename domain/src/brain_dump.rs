//! Brain dumps: free text in, proposed projects, tasks and notes out, applied on confirm.

pub mod model;
pub mod operation;
pub mod review;

#[cfg(feature = "server")]
pub mod llm;
#[cfg(feature = "server")]
pub mod offline;
#[cfg(feature = "server")]
pub mod quota;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod voice;

use crate::limits;
use crate::text::Text;

/// The text of a dump to process: something besides spaces, at most 50,000 characters.
pub type Content = Text<1, { limits::BRAIN_DUMP }>;
