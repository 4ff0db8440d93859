//! STIX 2.1 parsing and normalisation: bundles, per-object validation and
//! preparation, OpenCTI naming conventions and exact timestamp handling.

pub mod bundle;
pub mod object;
pub mod opencti;
pub mod time;
mod types;
mod upgrade;

pub use bundle::{parse_bundle, Bundle, BundleError};
pub use object::{prepare, ObjectError, PrepareOptions, Prepared};
pub use time::{format_ms, parse_position_date_ms, Timestamp};

#[cfg(test)]
mod bundle_tests;
#[cfg(test)]
mod corpus_counts_tests;
#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod object_content_tests;
#[cfg(test)]
mod object_limits_tests;
#[cfg(test)]
mod object_tests;
#[cfg(test)]
mod opencti_tests;
#[cfg(test)]
mod time_tests;
