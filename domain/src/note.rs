//! Notes on a project: the shared type, the typed input, and (server side) the service.

pub mod model;
#[cfg(feature = "server")]
pub mod service;

use crate::limits;
use crate::text::Text;
use serde::{Deserialize, Serialize};

pub type Title = Text<0, { limits::NOTE_TITLE }>;
pub type Body = Text<1, { limits::NOTE_BODY }>;

/// A note's fields, each already valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteInput {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub title: Title,
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub body: Body,
}
