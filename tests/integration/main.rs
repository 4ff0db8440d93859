//! One integration test binary: real servers on 127.0.0.1:0 with temp data directories, spoken to over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod access;
mod access_live;
mod accounts;
mod admin;
mod admin_session;
mod admin_sharing;
mod bad_input;
mod browser;
mod cli;
mod common;
mod data_files;
mod definition_limits;
mod extractor_errors;
mod feeds;
mod field_cases;
mod graphql;
mod ingest;
mod interop;
mod public_streams;
mod public_urls;
mod real_streams;
mod replay;
mod stream;
mod stream_access;
mod streams;
mod sync;
mod sync_corpus;
mod sync_crash;
mod sync_mesh;
mod sync_opencti;
mod sync_remote;
mod taxii;
mod taxii_interop;
mod taxii_more;
mod validity;
