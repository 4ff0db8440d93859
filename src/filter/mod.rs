//! OpenCTI FilterGroup filters: parsing/validation and the one evaluator shared by live
//! streams, replay, TAXII collections and CSV feeds (field cases B12, B15, B16).
//!
//! A filter group is validated once, when a stream, collection or feed is created or
//! edited ([`FilterGroup::parse`]); anything the evaluator could not honour exactly
//! (unknown key, unsupported operator, a value the key's kind cannot hold) is refused
//! there, so a stored filter never fails open or silently closed at evaluation time.
//! [`matches()`] then evaluates it against a STIX 2.1 object as stored.
//!
//! Semantics follow the OpenCTI STIX matcher (`boolean-logic-engine.ts`, spec §2.3):
//! strings are compared lower-cased and trimmed; a filter's `mode` says whether every
//! value (`and`) or at least one value (`or`) must satisfy the operator, and this holds
//! for negative operators too: `not_eq [A, B]` with mode `or` is true when the object
//! lacks A *or* lacks B; use mode `and` for "neither A nor B".

mod candidates;
mod describe;
mod eval;
mod keys;
mod limits;
mod model;
mod parse;
mod types;

pub use eval::matches;
pub use keys::SUPPORTED_KEYS;
pub use model::{Filter, FilterGroup, Mode, Operator};

/// A filter group that cannot be accepted; the message names the offending part.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

/// Maximum nesting of filter groups (the top-level group counts as level 1).
pub const MAX_DEPTH: usize = 5;

/// Maximum number of filters in a whole filter group, nested groups included.
pub const MAX_FILTERS: usize = 200;

/// Maximum number of values in one filter: every value is tested against every ingested object.
pub const MAX_VALUES: usize = 500;

/// Maximum length of one filter value, in characters.
pub const MAX_VALUE_CHARS: usize = 1000;

/// Filter keys holding STIX timestamps: their `gt`/`gte`/`lt`/`lte` values must be dates.
pub const DATE_KEYS: &[&str] = &[
    "created",
    "modified",
    "published",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
];

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod describe_tests;
#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod field_case_tests;
#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod types_tests;
