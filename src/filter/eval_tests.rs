#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Map, Value};

use super::{matches, Filter, FilterGroup, Mode, Operator};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn group(v: Value) -> FilterGroup {
    FilterGroup::parse(&v).unwrap()
}

/// One filter `key op values` with filter mode `mode`.
fn f(key: &str, op: &str, values: Value, mode: &str) -> FilterGroup {
    group(json!({"filters": [{"key": [key], "operator": op, "values": values, "mode": mode}]}))
}

fn hit(key: &str, op: &str, values: Value, o: &Value) -> bool {
    matches(&f(key, op, values, "or"), &obj(o.clone()))
}

fn malware() -> Value {
    json!({"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000001",
        "name": "  Emotet Loader ", "labels": ["banking", "APT"], "confidence": 70,
        "created": "2024-03-01T10:00:00.000Z", "malware_types": ["trojan"]})
}

#[test]
fn text_operators() {
    let m = malware();
    let cases: &[(&str, Value, bool)] = &[
        ("eq", json!(["emotet loader"]), true),
        ("eq", json!(["EMOTET LOADER  "]), true),
        ("eq", json!(["emotet"]), false),
        ("not_eq", json!(["emotet"]), true),
        ("not_eq", json!([" Emotet Loader"]), false),
        ("contains", json!(["TET lo"]), true),
        ("contains", json!(["qakbot"]), false),
        ("not_contains", json!(["qakbot"]), true),
        ("not_contains", json!(["loader"]), false),
        ("starts_with", json!(["emo"]), true),
        ("starts_with", json!(["loader"]), false),
        ("not_starts_with", json!(["loader"]), true),
        ("not_starts_with", json!(["Emo"]), false),
        ("ends_with", json!(["LOADER"]), true),
        ("ends_with", json!(["emotet"]), false),
        ("not_ends_with", json!(["emotet"]), true),
        ("not_ends_with", json!(["loader"]), false),
        ("search", json!(["qakbot loader"]), true),
        ("search", json!(["qakbot trickbot"]), false),
        ("gt", json!(["emotet"]), true),
        ("gt", json!(["zeus"]), false),
        ("gte", json!(["emotet loader"]), true),
        ("lt", json!(["emotet loader"]), false),
        ("lte", json!(["emotet loader"]), true),
        ("lt", json!(["f"]), true),
        ("nil", json!([]), false),
        ("not_nil", json!([]), true),
    ];
    for (op, values, expected) in cases {
        assert_eq!(
            hit("name", op, values.clone(), &m),
            *expected,
            "name {op} {values}"
        );
    }
}

#[test]
fn value_modes_and_negations() {
    let m = obj(malware());
    let labels = |op: &str, mode: &str| {
        matches(
            &f("objectLabel", op, json!(["apt", "ransomware"]), mode),
            &m,
        )
    };
    assert!(labels("eq", "or"));
    assert!(!labels("eq", "and"));
    // not_eq, mode or: at least one value is not among the labels (ransomware isn't).
    assert!(labels("not_eq", "or"));
    // not_eq, mode and: none of the values is among the labels (apt is).
    assert!(!labels("not_eq", "and"));
    assert!(matches(
        &f("objectLabel", "not_eq", json!(["x", "y"]), "and"),
        &m
    ));
    assert!(matches(
        &f("objectLabel", "eq", json!(["apt", "banking"]), "and"),
        &m
    ));
    assert!(labels("contains", "or"));
    assert!(!labels("contains", "and"));
    assert!(labels("not_contains", "or"));
    assert!(!labels("not_contains", "and"));
}

#[test]
fn empty_values_and_missing_candidates() {
    let m = obj(malware());
    let raw = |key: &str, op: Operator| FilterGroup {
        mode: Mode::And,
        filters: vec![Filter {
            key: key.into(),
            values: vec![],
            operator: op,
            mode: Mode::Or,
        }],
        filter_groups: vec![],
    };
    assert!(!matches(&raw("objectLabel", Operator::Eq), &m));
    assert!(matches(&raw("pattern", Operator::Eq), &m));
    assert!(matches(&raw("objectLabel", Operator::NotEq), &m));
    assert!(!matches(&raw("pattern", Operator::NotEq), &m));
    // Other operators with no values never match (parse refuses them).
    assert!(!matches(&raw("objectLabel", Operator::Contains), &m));
    assert!(!matches(&raw("pattern", Operator::NotContains), &m));
    // Unknown key (only constructible in code) is false, even negated.
    let mut unknown = raw("x_made_up_key", Operator::NotEq);
    unknown.filters[0].values = vec!["1".into()];
    assert!(!matches(&unknown, &m));
    // No candidate: positive operators false, negative ones true.
    let m = malware();
    assert!(!hit("pattern", "eq", json!(["x"]), &m));
    assert!(hit("pattern", "not_eq", json!(["x"]), &m));
    assert!(!hit("pattern", "contains", json!(["x"]), &m));
    assert!(hit("pattern", "not_contains", json!(["x"]), &m));
    assert!(!hit("pattern", "gt", json!([""]), &m));
}

#[test]
fn numbers_and_dates() {
    let m = malware();
    assert!(hit("confidence", "eq", json!([70]), &m));
    assert!(hit("confidence", "eq", json!(["70.0"]), &m));
    assert!(!hit("confidence", "not_eq", json!([70]), &m));
    assert!(
        hit("confidence", "gt", json!([9]), &m),
        "numeric, not lexicographic"
    );
    assert!(hit("confidence", "gte", json!([70]), &m));
    assert!(!hit("confidence", "gt", json!([70]), &m));
    assert!(hit("confidence", "lt", json!([100]), &m));
    assert!(hit("confidence", "lte", json!([70]), &m));
    assert!(!hit("confidence", "lt", json!([70]), &m));
    assert!(!hit("x_opencti_score", "lt", json!([100]), &m));
    assert!(hit("x_opencti_score", "nil", json!([]), &m));
    assert!(matches(
        &f("confidence", "gte", json!([50, 60]), "and"),
        &obj(m.clone())
    ));
    assert!(!matches(
        &f("confidence", "gte", json!([50, 80]), "and"),
        &obj(m.clone())
    ));
    assert!(hit(
        "created",
        "gte",
        json!(["2024-03-01T10:00:00.000Z"]),
        &m
    ));
    assert!(hit("created", "gt", json!(["2024-02-29T23:59:59Z"]), &m));
    assert!(!hit("created", "lt", json!(["2024-03-01"]), &m));
    assert!(hit("created", "starts_with", json!(["2024-03"]), &m));
    // Text keys compare numerically when both sides are numbers.
    let v = json!({"spec_version": "2.1"});
    assert!(hit("spec_version", "gt", json!(["2.0"]), &v));
    assert!(hit("spec_version", "lt", json!(["10"]), &v));
    assert!(hit("spec_version", "eq", json!([2.1]), &v));
}

#[test]
fn relationship_and_sighting_endpoints() {
    let rel = json!({"type": "relationship", "relationship_type": "based-on",
        "source_ref": "indicator--00000000-0000-4000-8000-000000000002",
        "target_ref": "ipv4-addr--00000000-0000-4000-8000-000000000001"});
    assert!(hit(
        "fromId",
        "eq",
        json!(["INDICATOR--00000000-0000-4000-8000-000000000002"]),
        &rel
    ));
    assert!(!hit(
        "toId",
        "eq",
        json!(["indicator--00000000-0000-4000-8000-000000000002"]),
        &rel
    ));
    assert!(hit("fromTypes", "eq", json!(["Indicator"]), &rel));
    assert!(hit("toTypes", "eq", json!(["Stix-Cyber-Observable"]), &rel));
    assert!(!hit("toTypes", "eq", json!(["Indicator"]), &rel));
    assert!(hit("relationship_type", "eq", json!(["based-on"]), &rel));
    let sighting = json!({"type": "sighting", "sighting_of_ref": "indicator--1",
        "where_sighted_refs": ["identity--2", "location--3"]});
    assert!(hit("fromId", "eq", json!(["indicator--1"]), &sighting));
    assert!(hit("toId", "eq", json!(["location--3"]), &sighting));
    assert!(hit("toTypes", "eq", json!(["Location"]), &sighting));
    assert!(hit(
        "entity_type",
        "eq",
        json!(["stix-sighting-relationship"]),
        &sighting
    ));
    assert!(!hit("fromId", "not_nil", json!([]), &malware()));
}

#[test]
fn groups_and_nesting() {
    let m = obj(malware());
    let t = json!({"key": ["entity_type"], "values": ["Malware"]});
    let no = json!({"key": ["entity_type"], "values": ["Tool"]});
    let g = |mode: &str, filters: Value, groups: Value| {
        group(json!({"mode": mode, "filters": filters, "filterGroups": groups}))
    };
    assert!(matches(&FilterGroup::empty(), &m));
    assert!(matches(&g("or", json!([]), json!([])), &m));
    assert!(matches(
        &g(
            "and",
            json!([t.clone()]),
            json!([{"mode": "or", "filters": [no.clone(), t.clone()]}])
        ),
        &m
    ));
    assert!(!matches(
        &g(
            "and",
            json!([t.clone()]),
            json!([{"mode": "and", "filters": [no.clone(), t.clone()]}])
        ),
        &m
    ));
    assert!(matches(
        &g("or", json!([no.clone()]), json!([{"filters": [t.clone()]}])),
        &m
    ));
    assert!(!matches(
        &g(
            "or",
            json!([no.clone()]),
            json!([{"filters": [no.clone()]}])
        ),
        &m
    ));
    // An empty sub-group is true: it satisfies `and`, and alone satisfies `or`.
    assert!(matches(
        &g("or", json!([no.clone()]), json!([{"filters": []}])),
        &m
    ));
    // Three levels deep.
    let deep = json!({"filters": [], "filterGroups": [{"filters": [], "filterGroups": [
        {"mode": "and", "filters": [t.clone(), {"key": "objectLabel", "values": ["apt"]}]}]}]});
    assert!(matches(&group(deep), &m));
    // B12 example: Indicator AND label x.
    let b12 = group(json!({"mode": "and", "filters": [
        {"key": ["entity_type"], "values": ["Indicator"], "operator": "eq", "mode": "or"},
        {"key": ["objectLabel"], "values": ["x"], "operator": "eq", "mode": "or"}], "filterGroups": []}));
    assert!(matches(
        &b12,
        &obj(json!({"type": "indicator", "labels": ["X"]}))
    ));
    assert!(!matches(
        &b12,
        &obj(json!({"type": "indicator", "labels": ["y"]}))
    ));
    assert!(!matches(
        &b12,
        &obj(json!({"type": "malware", "labels": ["x"]}))
    ));
}
