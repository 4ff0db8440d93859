#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::types::{OPENCTI_SCO_TYPES, OPENCTI_SDO_TYPES, SCO_TYPES, SDO_TYPES, SMO_TYPES};
use super::{prepare, ObjectError, PrepareOptions, Prepared};

pub(super) const U: &str = "00000000-0000-4000-8000-000000000001";
pub(super) const TS: &str = "2024-01-01T00:00:00.000Z";

pub(super) fn opts(legacy_20: bool) -> PrepareOptions {
    PrepareOptions {
        legacy_20,
        max_object_bytes: 1 << 20,
    }
}

pub(super) fn run(v: &Value, legacy: bool) -> Result<Prepared, ObjectError> {
    let raw = RawValue::from_string(v.to_string()).unwrap();
    prepare(&raw, &opts(legacy))
}

pub(super) fn ok(v: Value) -> Prepared {
    run(&v, false).unwrap()
}

pub(super) fn reason(v: Value) -> String {
    run(&v, false).unwrap_err().reason
}

pub(super) fn sdo(t: &str) -> Value {
    json!({"type": t, "spec_version": "2.1", "id": format!("{t}--{U}"),
           "created": TS, "modified": TS})
}

pub(super) fn keys(p: &Prepared) -> Vec<&str> {
    p.object.keys().map(String::as_str).collect()
}

#[test]
fn size_limit_rejects_before_parsing() {
    let mut v = sdo("indicator");
    v["description"] = json!("x".repeat(100));
    let text = v.to_string();
    let raw = RawValue::from_string(text.clone()).unwrap();
    let small = PrepareOptions {
        legacy_20: false,
        max_object_bytes: 100,
    };
    let err = prepare(&raw, &small).unwrap_err();
    assert_eq!(err.id.as_deref(), Some(format!("indicator--{U}").as_str()));
    assert_eq!(
        err.reason,
        format!("object is {} bytes, over the limit of 100", text.len())
    );
    let exact = PrepareOptions {
        legacy_20: false,
        max_object_bytes: text.len(),
    };
    assert!(prepare(&raw, &exact).is_ok());
}

#[test]
fn not_an_object() {
    for (v, k) in [
        (json!([1]), "array"),
        (json!("x"), "string"),
        (json!(1.5), "number"),
        (json!(null), "null"),
        (json!(true), "boolean"),
    ] {
        let e = run(&v, false).unwrap_err();
        assert_eq!(
            e,
            ObjectError {
                id: None,
                reason: format!("expected a JSON object, got {k}")
            }
        );
    }
}

#[test]
fn type_rules() {
    let id = format!("indicator--{U}");
    let e = run(&json!({"id": id}), false).unwrap_err();
    assert_eq!(e.id.as_deref(), Some(id.as_str()));
    assert_eq!(e.reason, "missing required property 'type'");
    assert_eq!(
        reason(json!({"type": 5})),
        "'type' must be a string, got number"
    );
    let syntax = |t: &str| {
        format!(
            "invalid type '{t}': must be 3-250 characters of a-z, 0-9 and '-', \
             start with a letter and not contain '--'"
        )
    };
    let long = format!("x-{}", "a".repeat(249));
    for bad in ["Malware", "ab", "1abc", "x--y", "x_y", "", long.as_str()] {
        assert_eq!(reason(json!({"type": bad})), syntax(bad), "{bad}");
    }
    assert_eq!(
        reason(json!({"type": "foo", "id": format!("foo--{U}")})),
        "unknown object type 'foo' (not a STIX 2.1 type, not an OpenCTI type, not an x- custom type)"
    );
    assert_eq!(
        reason(json!({"type": "bundle", "id": format!("bundle--{U}")})),
        "unknown object type 'bundle' (not a STIX 2.1 type, not an OpenCTI type, not an x- custom type)"
    );
}

#[test]
fn every_known_type_is_accepted() {
    let all = SDO_TYPES
        .iter()
        .chain(SMO_TYPES)
        .chain(["relationship", "sighting"].iter())
        .chain(OPENCTI_SDO_TYPES)
        .chain(SCO_TYPES)
        .chain(OPENCTI_SCO_TYPES)
        .chain(["x-mitre-tactic", "x-opencti-hostname", "x-abc"].iter());
    let mut n = 0;
    for t in all {
        let mut o = sdo(t);
        // Relationships and sightings must point at something.
        match *t {
            "relationship" => {
                o["source_ref"] = json!(format!("malware--{U}"));
                o["target_ref"] = json!(format!("tool--{U}"));
            }
            "sighting" => o["sighting_of_ref"] = json!(format!("indicator--{U}")),
            _ => {}
        }
        let p = ok(o);
        assert_eq!(p.stix_type, *t);
        assert_eq!(p.id, format!("{t}--{U}"));
        assert!(p.warnings.is_empty(), "{t}: {:?}", p.warnings);
        n += 1;
    }
    assert_eq!(n, 19 + 3 + 2 + 12 + 18 + 12 + 3);
}

#[test]
fn id_rules() {
    assert_eq!(
        reason(json!({"type": "malware"})),
        "missing required property 'id'"
    );
    assert_eq!(
        reason(json!({"type": "malware", "id": 7})),
        "'id' must be a string, got number"
    );
    let e = run(
        &json!({"type": "tool", "id": format!("malware--{U}")}),
        false,
    )
    .unwrap_err();
    assert_eq!(e.id, Some(format!("malware--{U}")));
    assert_eq!(e.reason, "id prefix 'malware' does not match type 'tool'");
    assert_eq!(
        reason(json!({"type": "tool", "id": "tool"})),
        "invalid id 'tool': expected '<type>--<uuid>'"
    );
    assert_eq!(
        reason(json!({"type": "tool", "id": "--x"})),
        "invalid id '--x': expected '<type>--<uuid>'"
    );
    assert_eq!(
        reason(json!({"type": "tool", "id": "tool--1234"})),
        "invalid id 'tool--1234': '1234' is not a UUID (8-4-4-4-12 hex digits)"
    );
    assert_eq!(
        reason(json!({"type": "tool", "id": "tool--0000000g-0000-4000-8000-000000000001"})),
        "invalid id 'tool--0000000g-0000-4000-8000-000000000001': \
         '0000000g-0000-4000-8000-000000000001' is not a UUID (8-4-4-4-12 hex digits)"
    );
    let mut upper = sdo("tool");
    upper["id"] = json!("tool--ABCDEF01-2345-6789-ABCD-EF0123456789");
    assert_eq!(ok(upper).id, "tool--ABCDEF01-2345-6789-ABCD-EF0123456789");
    // Any UUID version, e.g. v5 ids from OpenCTI.
    let mut v5 = sdo("malware");
    v5["id"] = json!("malware--d650c5b9-4b43-5781-8576-ea52bd6c7ce0");
    assert!(run(&v5, false).is_ok());
}

#[test]
fn spec_version_rules() {
    let mut v = sdo("indicator");
    v["spec_version"] = json!("2.2");
    assert_eq!(reason(v.clone()), "unsupported spec_version '2.2'");
    v["spec_version"] = json!(2.1);
    assert_eq!(reason(v), "'spec_version' must be a string, got number");

    // SCOs (standard and OpenCTI) may omit it: nothing is added.
    for t in ["ipv4-addr", "hostname", "persona", "cryptocurrency-wallet"] {
        let v = json!({"type": t, "id": format!("{t}--{U}"), "value": "x"});
        let p = ok(v.clone());
        assert_eq!(Value::Object(p.object), v, "{t}");
        assert!(p.warnings.is_empty());
        // ...unless the bundle is STIX 2.0.
        let p = run(&v, true).unwrap();
        assert_eq!(keys(&p), ["type", "spec_version", "id", "value"]);
        assert_eq!(p.warnings, ["upgraded from STIX 2.0"]);
    }
    // Explicit 2.1 in a 2.0 bundle stays as is.
    let p = run(&sdo("campaign"), true).unwrap();
    assert!(p.warnings.is_empty());
    // x- custom objects without spec_version are 2.0 objects.
    let p =
        ok(json!({"type": "x-mitre-asset", "id": format!("x-mitre-asset--{U}"), "name": "VPN"}));
    assert_eq!(keys(&p), ["type", "spec_version", "id", "name"]);
    assert_eq!(p.warnings, ["upgraded from STIX 2.0"]);
}

#[test]
fn error_display() {
    let e = ObjectError {
        id: Some("x--1".into()),
        reason: "bad".into(),
    };
    assert_eq!(e.to_string(), "x--1: bad");
    let e = ObjectError {
        id: None,
        reason: "bad".into(),
    };
    assert_eq!(e.to_string(), "bad");
}
