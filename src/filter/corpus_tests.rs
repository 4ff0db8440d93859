#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every object of the MITRE ATT&CK ICS bundle through real filters. Expected counts
//! were derived independently with a short Python script over the same file (plain
//! `type`/property comparisons, lower-cased and trimmed).

use serde_json::{json, Map, Value};

use super::{matches, FilterGroup};

const BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/stix21/mitre-attack/ics-attack-18.1.json"
);
const MITRE_MARKING: &str = "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168";
const MITRE_IDENTITY: &str = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";

fn objects() -> Vec<Map<String, Value>> {
    let text = std::fs::read_to_string(BUNDLE).unwrap();
    let bundle: Value = serde_json::from_str(&text).unwrap();
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_object().unwrap().clone())
        .collect()
}

fn filter(key: &str, op: &str, values: Value) -> Value {
    json!({"key": [key], "operator": op, "values": values, "mode": "or"})
}

fn only(key: &str, op: &str, values: Value) -> Value {
    json!({"mode": "and", "filters": [filter(key, op, values)], "filterGroups": []})
}

#[test]
fn ics_bundle_counts() {
    let objs = objects();
    assert_eq!(objs.len(), 1826);
    let not_uses_targets = json!({"mode": "and", "filters": [
        filter("entity_type", "eq", json!(["stix-core-relationship"])),
        {"key": ["relationship_type"], "operator": "not_eq", "values": ["uses", "targets"], "mode": "and"}
    ]});
    let nested = json!({"mode": "or", "filters": [], "filterGroups": [
        {"mode": "and", "filters": [filter("entity_type", "eq", json!(["Malware"])),
                                    filter("name", "starts_with", json!(["a"]))]},
        {"mode": "and", "filters": [filter("entity_type", "eq", json!(["Campaign"]))]}
    ]});
    let intrusion_set_uses = json!({"mode": "and", "filters": [
        filter("fromTypes", "eq", json!(["Intrusion-Set"])),
        filter("relationship_type", "eq", json!(["uses"]))
    ]});
    let recent_mitigations = json!({"mode": "and", "filters": [
        filter("relationship_type", "eq", json!(["mitigates", "detects"])),
        filter("modified", "gte", json!(["2025"]))
    ]});
    let cases: Vec<(&str, Value, usize)> = vec![
        ("Malware", only("entity_type", "eq", json!(["Malware"])), 30),
        (
            "uses",
            only("relationship_type", "eq", json!(["uses"])),
            267,
        ),
        (
            "marking",
            only("objectMarking", "eq", json!([MITRE_MARKING])),
            1825,
        ),
        ("name a*", only("name", "starts_with", json!(["a"])), 106),
        (
            "SDO",
            only("entity_type", "eq", json!(["Stix-Domain-Object"])),
            255,
        ),
        (
            "not rel",
            only("entity_type", "not_eq", json!(["stix-core-relationship"])),
            453,
        ),
        ("revoked", only("revoked", "eq", json!([true])), 2),
        ("not revoked", only("revoked", "eq", json!(["false"])), 1824),
        ("IS uses", intrusion_set_uses, 36),
        (
            "to AP",
            only("toTypes", "eq", json!(["Attack-Pattern"])),
            660,
        ),
        (
            "created 2020+",
            only("created", "gte", json!(["2020-01-01T00:00:00Z"])),
            1628,
        ),
        (
            "search",
            only("name", "search", json!(["Remote ACCESS"])),
            18,
        ),
        (
            "author",
            only("createdBy", "eq", json!([MITRE_IDENTITY])),
            1824,
        ),
        ("nested", nested, 9),
        (
            "tactic",
            only("entity_type", "eq", json!(["X-MITRE-Tactic"])),
            12,
        ),
        (
            "label nist",
            only("objectLabel", "contains", json!(["NIST"])),
            43,
        ),
        ("not uses/targets", not_uses_targets, 421),
        ("recent mitigations", recent_mitigations, 414),
        (
            "detection",
            only("x_opencti_detection", "not_nil", json!([])),
            0,
        ),
        ("confidence", only("confidence", "nil", json!([])), 1826),
        ("ids", only("ids", "eq", json!([MITRE_IDENTITY])), 1),
        ("everything", json!(""), 1826),
    ];
    for (name, v, expected) in cases {
        let g = FilterGroup::parse(&v).unwrap();
        let count = objs.iter().filter(|o| matches(&g, o)).count();
        assert_eq!(count, expected, "{name}: {}", g.describe());
        // The canonical form, stored as a string, evaluates the same (B12: one evaluator).
        let stored = FilterGroup::parse(&Value::String(g.to_json().to_string())).unwrap();
        assert_eq!(
            objs.iter().filter(|o| matches(&stored, o)).count(),
            expected
        );
    }
}
