#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Map, Value};

use super::opencti::{entity_type, message, OCTI_EXT, OCTI_SCO_EXT};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn et(v: Value) -> String {
    entity_type(&obj(v))
}

#[test]
fn constants() {
    assert_eq!(
        OCTI_EXT,
        "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
    );
    assert_eq!(
        OCTI_SCO_EXT,
        "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82"
    );
}

#[test]
fn relationship_and_sighting() {
    assert_eq!(
        et(json!({"type": "relationship", "relationship_type": "uses"})),
        "uses"
    );
    assert_eq!(
        et(json!({"type": "relationship"})),
        "stix-core-relationship"
    );
    assert_eq!(
        et(json!({"type": "sighting"})),
        "stix-sighting-relationship"
    );
}

#[test]
fn identities() {
    let id = |class: Value| et(json!({"type": "identity", "identity_class": class}));
    assert_eq!(id(json!("individual")), "Individual");
    assert_eq!(id(json!("organization")), "Organization");
    assert_eq!(id(json!("class")), "Sector");
    assert_eq!(id(json!("sector")), "Sector");
    assert_eq!(id(json!("system")), "System");
    assert_eq!(id(json!("group")), "Organization");
    assert_eq!(id(json!(null)), "Organization");
    assert_eq!(et(json!({"type": "identity"})), "Organization");
    assert_eq!(
        et(
            json!({"type": "identity", "identity_class": "organization", "x_opencti_type": "Sector"})
        ),
        "Sector"
    );
}

#[test]
fn locations() {
    let loc = |v: Value| {
        let mut m = obj(v);
        m.insert("type".into(), json!("location"));
        entity_type(&m)
    };
    assert_eq!(loc(json!({"country": "FR"})), "Country");
    assert_eq!(loc(json!({"region": "western-europe"})), "Region");
    assert_eq!(loc(json!({"city": "Paris", "country": "FR"})), "City");
    assert_eq!(loc(json!({"country": "FR", "region": "europe"})), "Country");
    assert_eq!(
        loc(json!({"administrative_area": "IDF", "country": "FR"})),
        "Administrative-Area"
    );
    assert_eq!(loc(json!({"latitude": 48.8, "longitude": 2.3})), "Position");
    assert_eq!(loc(json!({"name": "somewhere"})), "Location");
    // OpenCTI's own hint wins (geography dataset: countries carry lat/long).
    assert_eq!(
        loc(
            json!({"x_opencti_location_type": "Region", "latitude": 1, "longitude": 2, "region": "x"})
        ),
        "Region"
    );
    assert_eq!(
        loc(json!({"x_opencti_location_type": "City", "name": "Hietzing"})),
        "City"
    );
}

#[test]
fn named_types() {
    for (t, want) in [
        ("file", "StixFile"),
        ("ipv4-addr", "IPv4-Addr"),
        ("ipv6-addr", "IPv6-Addr"),
        ("mac-addr", "Mac-Addr"),
        ("url", "Url"),
        ("x509-certificate", "X509-Certificate"),
        ("windows-registry-key", "Windows-Registry-Key"),
        ("email-addr", "Email-Addr"),
        ("autonomous-system", "Autonomous-System"),
        ("marking-definition", "Marking-Definition"),
        ("course-of-action", "Course-Of-Action"),
        ("attack-pattern", "Attack-Pattern"),
        ("intrusion-set", "Intrusion-Set"),
        ("x-mitre-tactic", "X-Mitre-Tactic"),
        ("malware", "Malware"),
        ("indicator", "Indicator"),
        ("domain-name", "Domain-Name"),
        ("case-rfi", "Case-Rfi"),
        ("threat-actor", "Threat-Actor"),
        ("observed-data", "Observed-Data"),
        ("", ""),
    ] {
        assert_eq!(et(json!({"type": t})), want, "{t}");
    }
    assert_eq!(et(json!({})), "");
}

#[test]
fn messages() {
    let m = obj(json!({"type": "malware", "name": "Emotet", "id": "malware--1"}));
    assert_eq!(message("create", &m), "creates a Malware `Emotet`");
    assert_eq!(message("update", &m), "updates a Malware `Emotet`");
    assert_eq!(message("delete", &m), "deletes a Malware `Emotet`");
    assert_eq!(message("merge", &m), "merges a Malware `Emotet`");
    let ip = obj(json!({"type": "ipv4-addr", "value": "198.51.100.5", "id": "ipv4-addr--1"}));
    assert_eq!(message("create", &ip), "creates a IPv4-Addr `198.51.100.5`");
    let rel =
        obj(json!({"type": "relationship", "relationship_type": "uses", "id": "relationship--1"}));
    assert_eq!(message("delete", &rel), "deletes a uses `relationship--1`");
    let empty_name = obj(json!({"type": "tool", "name": "", "id": "tool--1"}));
    assert_eq!(message("create", &empty_name), "creates a Tool `tool--1`");
}
