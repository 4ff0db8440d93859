#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every supported key is evaluated, with the exact candidates it reads (B15).

use serde_json::{json, Map, Value};

use super::candidates::{candidates, Candidates};
use super::keys::{kind, label};
use super::{matches, FilterGroup, SUPPORTED_KEYS};

const OCTI: &str = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba";
const OCTI_SCO: &str = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82";

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn text(items: &[&str]) -> Candidates {
    Candidates::Text(items.iter().map(|s| s.to_string()).collect())
}

/// (key, object, exact candidates) — one row per supported key.
fn table() -> Vec<(&'static str, Value, Candidates)> {
    vec![
        (
            "entity_type",
            json!({"type": "tool"}),
            text(&[
                "tool",
                "tool",
                "stix-domain-object",
                "stix-core-object",
                "stix-object",
                "basic-object",
            ]),
        ),
        (
            "ids",
            json!({"id": "tool--1", "x_opencti_stix_ids": ["tool--2"], "extensions": {OCTI: {"id": "abc", "stix_ids": ["tool--3"]}}}),
            text(&["tool--1", "tool--2", "abc", "tool--3"]),
        ),
        (
            "objectMarking",
            json!({"object_marking_refs": ["marking-definition--A", "marking-definition--b"]}),
            text(&["marking-definition--a", "marking-definition--b"]),
        ),
        (
            "objectLabel",
            json!({"labels": [" APT ", "x"], "extensions": {OCTI_SCO: {"labels": ["sco"]}}}),
            text(&["apt", "x", "sco"]),
        ),
        (
            "createdBy",
            json!({"created_by_ref": "identity--1"}),
            text(&["identity--1"]),
        ),
        (
            "objects",
            json!({"object_refs": ["malware--1", "tool--2"]}),
            text(&["malware--1", "tool--2"]),
        ),
        (
            "confidence",
            json!({"confidence": 85}),
            Candidates::Number(vec![85.0]),
        ),
        ("revoked", json!({}), Candidates::Boolean(vec![false])),
        (
            "x_opencti_score",
            json!({"extensions": {OCTI_SCO: {"score": "40"}}}),
            Candidates::Number(vec![40.0]),
        ),
        (
            "x_opencti_detection",
            json!({"x_opencti_detection": "yes"}),
            Candidates::Boolean(vec![true]),
        ),
        (
            "x_opencti_main_observable_type",
            json!({"x_opencti_main_observable_type": "IPv4-Addr"}),
            text(&["ipv4-addr"]),
        ),
        (
            "x_opencti_cisa_kev",
            json!({"extensions": {OCTI: {"cisa_kev": true}}}),
            Candidates::Boolean(vec![true]),
        ),
        (
            "x_opencti_epss_score",
            json!({"x_opencti_epss_score": 0.25}),
            Candidates::Number(vec![0.25]),
        ),
        (
            "x_opencti_epss_percentile",
            json!({"extensions": {OCTI: {"epss_percentile": 0.9}}}),
            Candidates::Number(vec![0.9]),
        ),
        (
            "x_opencti_cvss_base_score",
            json!({"x_opencti_cvss_base_score": 9.8}),
            Candidates::Number(vec![9.8]),
        ),
        (
            "x_opencti_cvss_base_severity",
            json!({"x_opencti_cvss_base_severity": "CRITICAL"}),
            text(&["critical"]),
        ),
        (
            "pattern_type",
            json!({"pattern_type": "stix"}),
            text(&["stix"]),
        ),
        (
            "pattern",
            json!({"pattern": "[ipv4-addr:value = '203.0.113.7']"}),
            text(&["[ipv4-addr:value = '203.0.113.7']"]),
        ),
        (
            "indicator_types",
            json!({"indicator_types": ["malicious-activity"]}),
            text(&["malicious-activity"]),
        ),
        (
            "report_types",
            json!({"report_types": ["threat-report"]}),
            text(&["threat-report"]),
        ),
        (
            "malware_types",
            json!({"malware_types": ["ransomware", "worm"]}),
            text(&["ransomware", "worm"]),
        ),
        (
            "tool_types",
            json!({"tool_types": ["remote-access"]}),
            text(&["remote-access"]),
        ),
        (
            "threat_actor_types",
            json!({"threat_actor_types": ["crime-syndicate"]}),
            text(&["crime-syndicate"]),
        ),
        (
            "infrastructure_types",
            json!({"infrastructure_types": ["botnet"]}),
            text(&["botnet"]),
        ),
        (
            "response_types",
            json!({"response_types": ["a"]}),
            text(&["a"]),
        ),
        (
            "information_types",
            json!({"information_types": ["b"]}),
            text(&["b"]),
        ),
        (
            "takedown_types",
            json!({"takedown_types": ["c"]}),
            text(&["c"]),
        ),
        ("note_types", json!({"note_types": ["d"]}), text(&["d"])),
        (
            "relationship_type",
            json!({"type": "relationship", "relationship_type": "uses"}),
            text(&["uses"]),
        ),
        (
            "fromId",
            json!({"type": "relationship", "source_ref": "malware--1", "target_ref": "tool--2"}),
            text(&["malware--1"]),
        ),
        (
            "toId",
            json!({"type": "sighting", "sighting_of_ref": "indicator--1", "where_sighted_refs": ["identity--2", "identity--3"]}),
            text(&["identity--2", "identity--3"]),
        ),
        (
            "fromTypes",
            json!({"type": "sighting", "sighting_of_ref": "indicator--1"}),
            text(&[
                "indicator",
                "indicator",
                "stix-domain-object",
                "stix-core-object",
                "stix-object",
                "basic-object",
            ]),
        ),
        (
            "toTypes",
            json!({"type": "relationship", "source_ref": "malware--1", "target_ref": "url--2"}),
            text(&[
                "url",
                "url",
                "stix-cyber-observable",
                "stix-core-object",
                "stix-object",
                "basic-object",
            ]),
        ),
        (
            "name",
            json!({"name": "Emotet", "value": "198.51.100.5"}),
            text(&["emotet", "198.51.100.5"]),
        ),
        (
            "created",
            json!({"created": "2024-01-02T03:04:05.000Z"}),
            text(&["2024-01-02t03:04:05.000z"]),
        ),
        (
            "modified",
            json!({"modified": "2024-01-02T03:04:05Z"}),
            text(&["2024-01-02t03:04:05z"]),
        ),
        (
            "published",
            json!({"published": "2024-05-01T00:00:00Z"}),
            text(&["2024-05-01t00:00:00z"]),
        ),
        (
            "valid_from",
            json!({"valid_from": "2024-05-01T00:00:00Z"}),
            text(&["2024-05-01t00:00:00z"]),
        ),
        (
            "valid_until",
            json!({"valid_until": "2025-05-01T00:00:00Z"}),
            text(&["2025-05-01t00:00:00z"]),
        ),
        (
            "first_seen",
            json!({"first_seen": "2020-01-01T00:00:00Z"}),
            text(&["2020-01-01t00:00:00z"]),
        ),
        (
            "last_seen",
            json!({"last_seen": "2021-01-01T00:00:00Z"}),
            text(&["2021-01-01t00:00:00z"]),
        ),
        ("severity", json!({"severity": "Low"}), text(&["low"])),
        ("priority", json!({"priority": "P1"}), text(&["p1"])),
        (
            "incident_type",
            json!({"incident_type": "ransomware"}),
            text(&["ransomware"]),
        ),
        (
            "spec_version",
            json!({"spec_version": "2.1"}),
            text(&["2.1"]),
        ),
    ]
}

#[test]
fn every_supported_key_has_a_row_and_exact_candidates() {
    let rows = table();
    let row_keys: Vec<&str> = rows.iter().map(|(k, _, _)| *k).collect();
    assert_eq!(row_keys, SUPPORTED_KEYS);
    for (key, o, expected) in rows {
        assert_eq!(candidates(key, &obj(o)), Some(expected), "key {key}");
    }
}

#[test]
fn every_supported_key_parses_and_is_evaluated() {
    for (key, o, _) in table() {
        let o = obj(o);
        let not_nil =
            FilterGroup::parse(&json!({"filters": [{"key": [key], "operator": "not_nil"}]}))
                .unwrap();
        assert!(matches(&not_nil, &o), "not_nil on {key}");
        let nil = FilterGroup::parse(
            &json!({"filters": [{"key": key, "operator": "nil", "values": []}]}),
        )
        .unwrap();
        // `revoked` defaults to false, so it is never nil.
        assert_eq!(matches(&nil, &Map::new()), key != "revoked", "nil on {key}");
        assert!(kind(key).is_some());
        assert!(!label(key).is_empty());
    }
}

#[test]
fn supported_keys_are_unique_and_unknown_keys_have_no_candidates() {
    let mut sorted = SUPPORTED_KEYS.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), SUPPORTED_KEYS.len());
    assert_eq!(candidates("x_made_up_key", &Map::new()), None);
    assert_eq!(kind("x_made_up_key"), None);
}

#[test]
fn other_objects_have_no_endpoints_and_absent_booleans_no_candidate() {
    let malware = obj(json!({"type": "malware", "source_ref": "x--1", "sighting_of_ref": "y--2"}));
    for key in ["fromId", "toId", "fromTypes", "toTypes"] {
        assert_eq!(candidates(key, &malware), Some(text(&[])), "{key}");
    }
    for key in ["x_opencti_detection", "x_opencti_cisa_kev"] {
        assert_eq!(candidates(key, &malware), Some(Candidates::Boolean(vec![])));
    }
    // Top-level property wins over the extension; non-numbers are dropped.
    let scored = obj(
        json!({"x_opencti_score": 10, "extensions": {OCTI: {"score": 90}}, "confidence": "high"}),
    );
    assert_eq!(
        candidates("x_opencti_score", &scored),
        Some(Candidates::Number(vec![10.0]))
    );
    assert_eq!(
        candidates("confidence", &scored),
        Some(Candidates::Number(vec![]))
    );
}
