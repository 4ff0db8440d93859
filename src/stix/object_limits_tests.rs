#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Limits and STIX MUST rules checked per object: nesting depth, relationship and sighting references,
//! `modified` not before `created`.

use serde_json::{json, Value};

use super::object::{json_depth, MAX_OBJECT_DEPTH};
use super::object_tests::{ok, reason, run, sdo, TS, U};

/// An SDO whose `x_nested` property holds objects in objects, so the whole object is `depth` levels deep.
fn nested(depth: usize) -> Value {
    let mut inner = json!({"leaf": true});
    for _ in 0..depth.saturating_sub(2) {
        inner = json!({ "n": inner });
    }
    let mut o = sdo("malware");
    o["is_family"] = json!(false);
    o["x_nested"] = inner;
    o
}

#[test]
fn depth_is_counted_outside_strings() {
    assert_eq!(json_depth(r#"{"a": 1}"#), 1);
    assert_eq!(json_depth(r#"{"a": [{"b": {}}]}"#), 4);
    assert_eq!(json_depth(r#"{"a": "{{{[[[\"{{{"}"#), 1);
    assert_eq!(json_depth(r#"{"a": "\\", "b": {"c": 1}}"#), 2);
    assert_eq!(json_depth(&nested(101).to_string()), 101);
}

#[test]
fn objects_deeper_than_the_limit_are_rejected_with_the_limit() {
    assert_eq!(MAX_OBJECT_DEPTH, 100);
    let err = run(&nested(101), false).unwrap_err();
    assert_eq!(err.id.as_deref(), Some(format!("malware--{U}").as_str()));
    assert_eq!(
        err.reason,
        "object is nested 101 levels deep, over the depth limit of 100"
    );
    // Past serde_json's own recursion limit too: still the depth reason, not a parse error.
    assert!(reason(nested(300)).contains("depth limit of 100"));
    // Arrays count as levels as well.
    let mut arrays = sdo("malware");
    arrays["x_list"] =
        serde_json::from_str(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap();
    assert!(reason(arrays).contains("over the depth limit of 100"));
}

#[test]
fn objects_within_the_limit_are_accepted() {
    ok(nested(90));
    ok(nested(100));
}

const LATER: &str = "2024-02-01T00:00:00.000Z";

fn relationship() -> Value {
    json!({"type": "relationship", "spec_version": "2.1", "id": format!("relationship--{U}"),
           "created": TS, "modified": TS, "relationship_type": "uses",
           "source_ref": format!("malware--{U}"), "target_ref": format!("tool--{U}")})
}

fn sighting() -> Value {
    json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{U}"),
           "created": TS, "modified": TS, "sighting_of_ref": format!("indicator--{U}")})
}

#[test]
fn relationships_need_valid_source_and_target_refs() {
    ok(relationship());
    for prop in ["source_ref", "target_ref"] {
        let mut r = relationship();
        r.as_object_mut().unwrap().remove(prop);
        assert_eq!(reason(r), format!("missing required property '{prop}'"));
        let mut r = relationship();
        r[prop] = json!(U);
        let why = reason(r);
        assert!(
            why.starts_with(&format!("property '{prop}': invalid id '{U}'")),
            "{why}"
        );
        let mut r = relationship();
        r[prop] = json!("malware--1234");
        assert!(reason(r).contains("is not a UUID"));
        let mut r = relationship();
        r[prop] = json!(format!("Mal_ware--{U}"));
        assert!(reason(r).contains("invalid type 'Mal_ware'"));
        let mut r = relationship();
        r[prop] = json!(7);
        assert_eq!(
            reason(r),
            format!("'{prop}' must be a STIX identifier string, got number")
        );
    }
}

#[test]
fn sightings_need_a_valid_sighting_of_ref() {
    ok(sighting());
    let mut s = sighting();
    s.as_object_mut().unwrap().remove("sighting_of_ref");
    assert_eq!(reason(s), "missing required property 'sighting_of_ref'");
    let mut s = sighting();
    s["sighting_of_ref"] = json!("indicator");
    assert!(reason(s).starts_with("property 'sighting_of_ref': invalid id 'indicator'"));
}

#[test]
fn modified_before_created_is_kept_with_a_warning() {
    let mut o = sdo("campaign");
    o["name"] = json!("c");
    o["created"] = json!(LATER);
    assert!(ok(o.clone())
        .warnings
        .iter()
        .any(|w| w.contains("'modified' is earlier than 'created'")));
    // Equal instants at different precisions, and a later `modified`: no such warning.
    o["created"] = json!("2024-01-01T00:00:00Z");
    assert!(!ok(o).warnings.iter().any(|w| w.contains("earlier than")));
}
