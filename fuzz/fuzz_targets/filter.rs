//! FilterGroup parsing, description, canonical JSON and evaluation on arbitrary JSON.
//! Nothing may panic, and `to_json()` must parse back to an equal group.
//! Non-JSON bytes are skipped, except as the text of a JSON string (the stored form).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use stixhub::filter::{matches, FilterGroup};

fn objects() -> &'static [Map<String, Value>] {
    static OBJECTS: OnceLock<Vec<Map<String, Value>>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let values = [
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-02T11:30:00.123Z",
                "name": "  Bad IP ", "description": "C2 server",
                "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
                "valid_from": "2024-03-01T10:00:00Z", "labels": ["malicious-activity", "C2"],
                "confidence": 85, "revoked": false,
                "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
                "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
                "external_references": [{"source_name": "mitre-attack", "external_id": "T1071"}],
                "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
                "extensions": {"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {
                    "extension_type": "property-extension", "score": 70,
                    "labels": ["x"], "creator_ids": ["u1"], "type": "Indicator"}}
            }),
            json!({
                "type": "relationship", "spec_version": "2.1",
                "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
                "created": "2024-03-01T10:00:00.000Z", "modified": "2024-03-01T10:00:00.000Z",
                "relationship_type": "indicates",
                "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
            }),
            json!({
                "type": "ipv4-addr", "spec_version": "2.1",
                "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
                "value": "198.51.100.1", "x_opencti_score": "50"
            }),
        ];
        values
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        check(&value);
    }
    // OpenCTI stores filters as a string holding JSON: feed the bytes in that form too,
    // so the fuzzer reaches the string branch without having to escape its JSON.
    if let Ok(text) = std::str::from_utf8(data) {
        check(&Value::String(text.to_string()));
    }
});

fn check(value: &Value) {
    let Ok(group) = FilterGroup::parse(value) else {
        return;
    };
    let _ = group.describe();
    let _ = group.entity_types();
    let canonical = group.to_json();
    match FilterGroup::parse(&canonical) {
        Ok(again) => assert_eq!(
            again, group,
            "to_json() did not parse back equal: {canonical}"
        ),
        Err(e) => panic!("to_json() output was refused: {e}: {canonical}"),
    }
    // The string form OpenCTI stores must parse to the same group too.
    let stored = Value::String(canonical.to_string());
    match FilterGroup::parse(&stored) {
        Ok(again) => assert_eq!(again, group, "string form did not parse back equal"),
        Err(e) => panic!("string form was refused: {e}: {canonical}"),
    }
    for obj in objects() {
        let _ = matches(&group, obj);
    }
}
