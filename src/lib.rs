//! stixhub: a self-hosted threat-intelligence hub. See DESIGN.md for the architecture.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod feeds;
pub mod filter;
pub mod knowledge;
pub mod state;
pub mod stix;
pub mod store;
pub mod stream;
pub mod sync;
pub mod taxii;
pub mod web;
