#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Limits and STIX MUST rules checked per object: nesting depth, relationship and sighting references,
//! `modified` not before `created`.

use serde_json::{json, Value};

use super::object::{json_depth, MAX_OBJECT_DEPTH};
use super::object_tests::{ok, reason, run, sdo, U};

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
