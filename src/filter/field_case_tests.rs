#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Field case B15 (filters must neither fail open nor silently closed) and the
//! negative entity-type filter of B16.

use serde_json::{json, Map, Value};

use super::{matches, FilterGroup};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// One filter `key op values` with filter mode `mode`.
fn f(key: &str, op: &str, values: Value, mode: &str) -> FilterGroup {
    let v = json!({"filters": [{"key": [key], "operator": op, "values": values, "mode": mode}]});
    FilterGroup::parse(&v).unwrap()
}

fn hit(key: &str, op: &str, values: Value, o: &Value) -> bool {
    matches(&f(key, op, values, "or"), &obj(o.clone()))
}

#[test]
fn b15_severity_low_vs_critical() {
    let low = json!({"type": "incident", "severity": "low"});
    let critical = json!({"type": "incident", "severity": "critical"});
    let g = f("severity", "eq", json!(["low"]), "or");
    assert!(matches(&g, &obj(low)));
    assert!(!matches(&g, &obj(critical)));
    assert!(!matches(&g, &obj(json!({"type": "incident"}))));
}

#[test]
fn b15_detection_true_string_and_absent() {
    let t = json!({"type": "indicator", "x_opencti_detection": true});
    let fa = json!({"type": "indicator", "x_opencti_detection": false});
    let ts = json!({"type": "indicator", "x_opencti_detection": "true"});
    let absent = json!({"type": "indicator"});
    for value in [
        json!([true]),
        json!(["true"]),
        json!(["TRUE "]),
        json!(["yes"]),
        json!([1]),
    ] {
        let g = f("x_opencti_detection", "eq", value.clone(), "or");
        let got: Vec<bool> = [&t, &fa, &ts, &absent]
            .iter()
            .map(|o| matches(&g, &obj((*o).clone())))
            .collect();
        assert_eq!(got, [true, false, true, false], "eq {value}");
    }
    let g = f("x_opencti_detection", "eq", json!([false]), "or");
    let got: Vec<bool> = [&t, &fa, &ts, &absent]
        .iter()
        .map(|o| matches(&g, &obj((*o).clone())))
        .collect();
    assert_eq!(
        got,
        [false, true, false, false],
        "absent is not false either"
    );
    let g = f("x_opencti_detection", "not_eq", json!(["true"]), "or");
    let got: Vec<bool> = [&t, &fa, &ts, &absent]
        .iter()
        .map(|o| matches(&g, &obj((*o).clone())))
        .collect();
    assert_eq!(got, [false, true, false, true]);
    assert!(hit("x_opencti_detection", "gt", json!([false]), &t));
    assert!(!hit("x_opencti_detection", "gt", json!([false]), &fa));
    // revoked: absent means false.
    assert!(hit("revoked", "eq", json!(["false"]), &absent));
    assert!(!hit("revoked", "eq", json!([true]), &absent));
    assert!(hit(
        "revoked",
        "eq",
        json!(["yes"]),
        &json!({"revoked": true})
    ));
}

#[test]
fn b15_b16_entity_type_not_eq() {
    let url = json!({"type": "url", "value": "http://x.example/"});
    let domain = json!({"type": "domain-name", "value": "x.example"});
    let ip = json!({"type": "ipv4-addr", "value": "198.51.100.5"});
    let not_url = f("entity_type", "not_eq", json!(["Url"]), "or");
    assert!(!matches(&not_url, &obj(url.clone())));
    assert!(matches(&not_url, &obj(domain.clone())));
    let not_ip = f("entity_type", "not_eq", json!(["IPv4-Addr"]), "or");
    assert!(!matches(&not_ip, &obj(ip.clone())));
    assert!(matches(&not_ip, &obj(json!({"type": "indicator"}))));
    // Parent types match too, case-insensitively.
    for name in [
        "ipv4-addr",
        "IPv4-Addr",
        "stix-cyber-observable",
        "Stix-Core-Object",
    ] {
        assert!(hit("entity_type", "eq", json!([name]), &ip), "{name}");
    }
    assert!(!hit(
        "entity_type",
        "eq",
        json!(["Stix-Domain-Object"]),
        &ip
    ));
    assert!(hit(
        "entity_type",
        "eq",
        json!(["Container"]),
        &json!({"type": "report"})
    ));
    assert!(hit(
        "entity_type",
        "eq",
        json!(["uses"]),
        &json!({"type": "relationship", "relationship_type": "uses"})
    ));
}

#[test]
fn b16_bundle_through_s_ip_and_s_noip() {
    let bundle = [
        json!({"type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "198.51.100.5"}),
        json!({"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000002",
            "pattern": "[ipv4-addr:value = '198.51.100.5']", "pattern_type": "stix"}),
        json!({"type": "relationship", "id": "relationship--00000000-0000-4000-8000-000000000003",
            "relationship_type": "based-on",
            "source_ref": "indicator--00000000-0000-4000-8000-000000000002",
            "target_ref": "ipv4-addr--00000000-0000-4000-8000-000000000001"}),
        json!({"type": "identity", "id": "identity--00000000-0000-4000-8000-000000000004",
            "identity_class": "organization", "name": "Author"}),
        json!({"type": "marking-definition", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
            "definition_type": "tlp", "definition": {"tlp": "green"}}),
    ];
    let s_ip = f("entity_type", "eq", json!(["IPv4-Addr"]), "or");
    let s_noip = f("entity_type", "not_eq", json!(["IPv4-Addr"]), "or");
    let ip: Vec<bool> = bundle
        .iter()
        .map(|o| matches(&s_ip, &obj(o.clone())))
        .collect();
    let noip: Vec<bool> = bundle
        .iter()
        .map(|o| matches(&s_noip, &obj(o.clone())))
        .collect();
    assert_eq!(ip, [true, false, false, false, false]);
    assert_eq!(noip, [false, true, true, true, true]);
    // Relationship rule input: S_ip restricts endpoints to ipv4-addr, S_noip does not.
    assert_eq!(s_ip.entity_types(), ["ipv4-addr"]);
    assert_eq!(s_noip.entity_types(), Vec::<String>::new());
}

#[test]
fn b15_unknown_key_is_rejected_not_ignored() {
    let v = json!({"mode": "and", "filterGroups": [],
        "filters": [{"key": ["x_made_up_key"], "operator": "eq", "mode": "or", "values": ["1"]}]});
    let e = FilterGroup::parse(&v).unwrap_err();
    assert!(e
        .0
        .starts_with("unknown filter key 'x_made_up_key' (supported: entity_type, ids, "));
    assert!(e
        .0
        .ends_with(", severity, priority, incident_type, spec_version)"));
    assert_eq!(e.to_string(), e.0);
}
