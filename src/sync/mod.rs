//! Synchronizers: follow a remote OpenCTI or stixhub live stream and keep a local copy exactly up to date
//! (DESIGN.md §5, spec §4). `sse` parses the stream, `client` speaks to the remote, `apply` writes a batch
//! and its cursor in one transaction, `task` runs one synchronizer, `supervisor` runs them all.

pub mod apply;
mod cascade;
pub mod client;
pub mod sse;
pub mod status;
pub mod supervisor;
pub mod task;

pub use status::{Registry, State, Status};
