//! Candidate values of each filter key, taken from a STIX object (spec §2.2).
//!
//! Objects are evaluated as stored, without the OpenCTI extension; where OpenCTI reads
//! a value from its extension, the top-level `x_opencti_*` property is used first and
//! the extension only as a fallback, so objects that carry it behave the same.

use serde_json::{Map, Value};

use super::keys::{self, Kind};
use super::types;

/// OpenCTI's property extension on domain objects and relationships.
const OCTI_EXT: &str = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba";
/// OpenCTI's property extension on observables.
const OCTI_SCO_EXT: &str = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82";

/// The values an object offers for one key, typed by the key's kind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Candidates {
    /// Lower-cased, trimmed.
    Text(Vec<String>),
    Number(Vec<f64>),
    Boolean(Vec<bool>),
}

impl Candidates {
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Candidates::Text(v) => v.is_empty(),
            Candidates::Number(v) => v.is_empty(),
            Candidates::Boolean(v) => v.is_empty(),
        }
    }
}

/// Candidates of `key` in `obj`; `None` for a key the evaluator does not know.
pub(super) fn candidates(key: &str, obj: &Map<String, Value>) -> Option<Candidates> {
    let raw = raw_values(key, obj);
    Some(match keys::kind(key)? {
        Kind::Text => Candidates::Text(raw.iter().filter_map(text).collect()),
        Kind::Number => Candidates::Number(raw.iter().filter_map(number).collect()),
        Kind::Boolean => {
            let mut b: Vec<bool> = raw.iter().filter_map(boolean).collect();
            // `revoked` defaults to false in STIX; the other booleans have no default,
            // so an object without them matches neither `eq true` nor `eq false` (B15).
            if key == "revoked" && b.is_empty() {
                b.push(false);
            }
            Candidates::Boolean(b)
        }
    })
}

fn raw_values(key: &str, obj: &Map<String, Value>) -> Vec<Value> {
    let own = |k: &str| prop(obj, k);
    match key {
        "entity_type" => strings(types::object_type_names(obj)),
        "ids" => [
            own("id"),
            own("x_opencti_stix_ids"),
            ext(obj, OCTI_EXT, "id"),
            ext(obj, OCTI_EXT, "stix_ids"),
            ext(obj, OCTI_SCO_EXT, "id"),
            ext(obj, OCTI_SCO_EXT, "stix_ids"),
        ]
        .concat(),
        "objectMarking" => own("object_marking_refs"),
        "objectLabel" => [
            own("labels"),
            own("x_opencti_labels"),
            ext(obj, OCTI_SCO_EXT, "labels"),
        ]
        .concat(),
        "createdBy" => [
            own("created_by_ref"),
            own("x_opencti_created_by_ref"),
            ext(obj, OCTI_SCO_EXT, "created_by_ref"),
        ]
        .concat(),
        "objects" => [
            own("object_refs"),
            ext(obj, OCTI_EXT, "object_refs_inferred"),
        ]
        .concat(),
        "x_opencti_score" => first_of(vec![
            own("x_opencti_score"),
            ext(obj, OCTI_EXT, "score"),
            ext(obj, OCTI_SCO_EXT, "score"),
        ]),
        "x_opencti_detection" => first_of(vec![
            own("x_opencti_detection"),
            ext(obj, OCTI_EXT, "detection"),
        ]),
        "x_opencti_main_observable_type" => first_of(vec![
            own("x_opencti_main_observable_type"),
            ext(obj, OCTI_EXT, "main_observable_type"),
        ]),
        "x_opencti_cisa_kev" => first_of(vec![
            own("x_opencti_cisa_kev"),
            ext(obj, OCTI_EXT, "cisa_kev"),
        ]),
        "x_opencti_epss_score"
        | "x_opencti_epss_percentile"
        | "x_opencti_cvss_base_score"
        | "x_opencti_cvss_base_severity" => {
            let short = key.trim_start_matches("x_opencti_");
            first_of(vec![own(key), ext(obj, OCTI_EXT, short)])
        }
        "name" => [own("name"), own("value")].concat(),
        "fromId" | "toId" => endpoint_ids(key == "fromId", obj),
        "fromTypes" | "toTypes" => {
            let ids = endpoint_ids(key == "fromTypes", obj);
            let names = ids
                .iter()
                .filter_map(Value::as_str)
                .flat_map(types::ref_type_names);
            strings(names.collect())
        }
        other => own(other),
    }
}

/// Relationship `source_ref`/`target_ref`, sighting `sighting_of_ref`/
/// `where_sighted_refs`; nothing for other objects.
fn endpoint_ids(from: bool, obj: &Map<String, Value>) -> Vec<Value> {
    match (obj.get("type").and_then(Value::as_str), from) {
        (Some("relationship"), true) => prop(obj, "source_ref"),
        (Some("relationship"), false) => prop(obj, "target_ref"),
        (Some("sighting"), true) => prop(obj, "sighting_of_ref"),
        (Some("sighting"), false) => prop(obj, "where_sighted_refs"),
        _ => Vec::new(),
    }
}

/// A property's scalar values: the value itself, or an array's elements.
fn prop(obj: &Map<String, Value>, key: &str) -> Vec<Value> {
    flatten(obj.get(key))
}

/// A property of one of the object's extensions.
fn ext(obj: &Map<String, Value>, ext_id: &str, key: &str) -> Vec<Value> {
    flatten(
        obj.get("extensions")
            .and_then(|e| e.get(ext_id))
            .and_then(|e| e.get(key)),
    )
}

fn flatten(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items.iter().filter(|v| is_scalar(v)).cloned().collect(),
        Some(v) if is_scalar(v) => vec![v.clone()],
        _ => Vec::new(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The first source that has any value.
fn first_of(sources: Vec<Vec<Value>>) -> Vec<Value> {
    sources
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

fn strings(items: Vec<String>) -> Vec<Value> {
    items.into_iter().map(Value::String).collect()
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(normalise(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(parse_bool(s)),
        Value::Number(n) => Some(parse_bool(&n.to_string())),
        _ => None,
    }
}

/// Lower-cased and trimmed, as OpenCTI compares strings.
pub(super) fn normalise(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A finite number, or `None`.
pub(super) fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// OpenCTI's boolean reading: `true`, `yes` and `1` are true, anything else false.
pub(super) fn parse_bool(s: &str) -> bool {
    matches!(normalise(s).as_str(), "true" | "yes" | "1")
}
