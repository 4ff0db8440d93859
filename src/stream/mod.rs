//! Live streams: position parsing, SSE framing and the pull-based reader loop.

pub mod position;
pub mod snapshot;
pub mod sse;
pub mod view;

pub use position::{resolve, PositionError, StreamRequest};
