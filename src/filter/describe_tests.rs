#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use super::FilterGroup;

fn describe(v: Value) -> String {
    FilterGroup::parse(&v).unwrap().describe()
}

#[test]
fn describes_the_brief_example() {
    let v = json!({"mode": "and", "filters": [
        {"key": ["entity_type"], "values": ["Malware", "Tool"], "operator": "eq", "mode": "or"},
        {"key": ["objectLabel"], "values": ["apt"], "operator": "contains", "mode": "or"}
    ], "filterGroups": []});
    assert_eq!(
        describe(v.clone()),
        r#"type is Malware or Tool AND label contains "apt""#
    );
    assert_eq!(FilterGroup::parse(&v).unwrap().to_string(), describe(v));
}

#[test]
fn describes_every_operator() {
    let d = |key: &str, op: &str, values: Value, mode: &str| {
        describe(json!({"filters": [{"key": key, "operator": op, "values": values, "mode": mode}]}))
    };
    assert_eq!(describe(json!(null)), "everything");
    assert_eq!(
        d(
            "entity_type",
            "not_eq",
            json!(["Url", "Domain-Name"]),
            "and"
        ),
        "type is not Url and Domain-Name"
    );
    assert_eq!(
        d("x_opencti_score", "gte", json!([50]), "or"),
        "score >= 50"
    );
    assert_eq!(d("confidence", "gt", json!([5]), "or"), "confidence > 5");
    assert_eq!(d("confidence", "lt", json!([5]), "or"), "confidence < 5");
    assert_eq!(
        d("created", "lte", json!(["2024-01-01T00:00:00Z"]), "or"),
        r#"created <= "2024-01-01T00:00:00Z""#
    );
    assert_eq!(
        d("x_opencti_detection", "eq", json!([true]), "or"),
        "detection is true"
    );
    assert_eq!(d("objectLabel", "nil", json!([]), "or"), "label is empty");
    assert_eq!(
        d("objectLabel", "not_nil", json!([]), "or"),
        "label is not empty"
    );
    assert_eq!(d("createdBy", "eq", json!([]), "or"), "author is empty");
    assert_eq!(
        d("createdBy", "not_eq", json!([]), "or"),
        "author is not empty"
    );
    assert_eq!(
        d("name", "starts_with", json!(["a"]), "or"),
        r#"name starts with "a""#
    );
    assert_eq!(
        d("name", "not_starts_with", json!(["a"]), "or"),
        r#"name does not start with "a""#
    );
    assert_eq!(
        d("name", "ends_with", json!(["a"]), "or"),
        r#"name ends with "a""#
    );
    assert_eq!(
        d("name", "not_ends_with", json!(["a"]), "or"),
        r#"name does not end with "a""#
    );
    assert_eq!(
        d("name", "not_contains", json!(["a"]), "or"),
        r#"name does not contain "a""#
    );
    assert_eq!(
        d("name", "search", json!(["apt one"]), "or"),
        r#"name has a word of "apt one""#
    );
    assert_eq!(
        d("fromTypes", "eq", json!(["Malware"]), "or"),
        "source type is Malware"
    );
    assert_eq!(
        d("indicator_types", "eq", json!(["malicious-activity"]), "or"),
        r#"indicator types is "malicious-activity""#
    );
    // Quotes and line breaks stay on one escaped line.
    assert_eq!(
        d("name", "eq", json!(["a \"b\"\nc"]), "or"),
        r#"name is "a \"b\"\nc""#
    );
    assert_eq!(
        d("entity_type", "eq", json!(["Two words"]), "or"),
        r#"type is "Two words""#
    );
}

#[test]
fn describes_nested_groups() {
    let v = json!({"mode": "or", "filters": [
        {"key": "entity_type", "values": ["Indicator"]}
    ], "filterGroups": [
        {"mode": "and", "filters": [
            {"key": "entity_type", "values": ["Report"]},
            {"key": "objectMarking", "values": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}
        ]},
        {"filters": [{"key": "revoked", "values": [false]}]},
        {"filters": []}
    ]});
    assert_eq!(
        describe(v),
        r#"type is Indicator OR (type is Report AND marking is "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da") OR revoked is false OR everything"#
    );
}
