#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use super::{Filter, FilterError, FilterGroup, Mode, Operator, SUPPORTED_KEYS};

fn parse(v: Value) -> Result<FilterGroup, FilterError> {
    FilterGroup::parse(&v)
}

fn error(v: Value) -> String {
    parse(v).unwrap_err().0
}

fn one(filter: Value) -> Value {
    json!({"mode": "and", "filters": [filter], "filterGroups": []})
}

#[test]
fn object_and_string_forms_parse_the_same() {
    let v = json!({"mode": "and", "filters": [
        {"key": ["entity_type"], "values": ["Indicator", "Report"], "operator": "eq", "mode": "or"}
    ], "filterGroups": []});
    let expected = FilterGroup {
        mode: Mode::And,
        filters: vec![Filter {
            key: "entity_type".into(),
            values: vec!["Indicator".into(), "Report".into()],
            operator: Operator::Eq,
            mode: Mode::Or,
        }],
        filter_groups: vec![],
    };
    assert_eq!(parse(v.clone()).unwrap(), expected);
    assert_eq!(parse(Value::String(v.to_string())).unwrap(), expected);
}

#[test]
fn null_and_empty_inputs_are_the_empty_group() {
    for v in [
        Value::Null,
        json!(""),
        json!("  "),
        json!("null"),
        json!({}),
        json!({"mode": "and", "filters": [], "filterGroups": []}),
    ] {
        let g = parse(v).unwrap();
        assert_eq!(g, FilterGroup::empty());
        assert!(g.is_empty());
    }
    assert_eq!(
        FilterGroup::empty().to_json(),
        json!({"mode": "and", "filters": [], "filterGroups": []})
    );
    assert_eq!(
        FilterGroup::empty().to_json().to_string(),
        r#"{"mode":"and","filters":[],"filterGroups":[]}"#
    );
}

#[test]
fn defaults_and_value_forms() {
    let g = parse(json!({"filters": [{"key": "confidence", "values": [50, "60", 70.5]}]})).unwrap();
    assert_eq!(g.mode, Mode::And);
    assert_eq!(
        g.filters[0],
        Filter {
            key: "confidence".into(),
            values: vec!["50".into(), "60".into(), "70.5".into()],
            operator: Operator::Eq,
            mode: Mode::Or,
        }
    );
    let g = parse(one(
        json!({"key": ["revoked"], "values": [true, "false"], "mode": null}),
    ))
    .unwrap();
    assert_eq!(g.filters[0].values, ["true", "false"]);
    // OpenCTI quirk: explicit null mode behaves as `and`.
    assert_eq!(g.filters[0].mode, Mode::And);
    let g = parse(one(json!({"key": ["name"], "operator": "nil"}))).unwrap();
    assert_eq!(g.filters[0].values, Vec::<String>::new());
    // The UI's filter `id` is tolerated and dropped.
    let g = parse(one(json!({"id": "abc", "key": ["name"], "values": ["x"]}))).unwrap();
    assert_eq!(
        g.to_json()["filters"][0],
        json!({"key": ["name"], "values": ["x"], "operator": "eq", "mode": "or"})
    );
}

#[test]
fn round_trip_is_identity() {
    let v = json!({"mode": "or", "filters": [
        {"key": "entity_type", "values": ["Malware", "Tool"]},
        {"key": ["x_opencti_score"], "values": [50], "operator": "gte", "mode": "and"},
        {"key": ["objectLabel"], "values": [], "operator": "not_nil"}
    ], "filterGroups": [{"mode": "and", "filters": [
        {"key": ["x_opencti_detection"], "values": [true], "operator": "eq"},
        {"key": ["name"], "values": ["apt one"], "operator": "search"}
    ], "filterGroups": [{"filters": []}]}]});
    let g = parse(v).unwrap();
    let j = g.to_json();
    assert_eq!(parse(j.clone()).unwrap(), g);
    assert_eq!(parse(Value::String(j.to_string())).unwrap(), g);
    assert_eq!(
        j["filters"][1],
        json!({"key": ["x_opencti_score"], "values": ["50"], "operator": "gte", "mode": "and"})
    );
    assert_eq!(
        j["filterGroups"][0]["filterGroups"][0],
        json!({"mode": "and", "filters": [], "filterGroups": []})
    );
    for op in Operator::ALL {
        let g = parse(one(
            json!({"key": ["name"], "values": ["x"], "operator": op.as_str()}),
        ))
        .unwrap();
        assert_eq!(g.filters[0].operator, op);
        assert_eq!(parse(g.to_json()).unwrap(), g);
    }
}

#[test]
fn unknown_key_is_named_with_the_supported_list() {
    let msg = error(one(json!({"key": ["x_made_up_key"], "values": ["1"]})));
    assert_eq!(
        msg,
        format!(
            "unknown filter key 'x_made_up_key' (supported: {})",
            SUPPORTED_KEYS.join(", ")
        )
    );
    assert!(msg.starts_with(
        "unknown filter key 'x_made_up_key' (supported: entity_type, ids, objectMarking, "
    ));
    // Keys are case-sensitive, as in OpenCTI.
    assert!(error(one(json!({"key": "Entity_Type", "values": ["x"]})))
        .starts_with("unknown filter key 'Entity_Type'"));
}

#[test]
fn operators_unknown_and_unsupported_are_refused_with_reason() {
    let e = |op: &str| {
        error(one(
            json!({"key": ["name"], "values": ["x"], "operator": op}),
        ))
    };
    assert_eq!(
        e("regex"),
        "unknown operator 'regex' for key 'name' (supported: eq, not_eq, gt, gte, lt, lte, nil, not_nil, starts_with, not_starts_with, ends_with, not_ends_with, contains, not_contains, search)"
    );
    assert_eq!(e("match"), "operator 'match' for key 'name' is not supported: full-text match is not implemented by the STIX matcher; use search or contains");
    assert_eq!(e("wildcard"), "operator 'wildcard' for key 'name' is not supported: wildcards are not implemented by the STIX matcher; use starts_with, ends_with or contains");
    assert_eq!(e("script"), "operator 'script' for key 'name' is not supported: scripts are not implemented by the STIX matcher");
    assert_eq!(e("within"), "operator 'within' for key 'name' is not supported: relative date ranges are not implemented by the STIX matcher; use gte and lte with RFC 3339 dates");
    assert!(e("EQ").starts_with("unknown operator 'EQ' for key 'name'"));
    assert_eq!(
        error(one(
            json!({"key": ["name"], "values": ["x"], "operator": 3})
        )),
        "filter operator must be a string, got a number (key 'name')"
    );
}

#[test]
fn text_operators_are_refused_on_numeric_and_boolean_keys() {
    assert_eq!(
        error(one(json!({"key": ["confidence"], "values": ["5"], "operator": "contains"}))),
        "operator 'contains' cannot be used with numeric key 'confidence' (use eq, not_eq, gt, gte, lt, lte, nil or not_nil)"
    );
    assert_eq!(
        error(one(json!({"key": ["x_opencti_detection"], "values": ["true"], "operator": "search"}))),
        "operator 'search' cannot be used with boolean key 'x_opencti_detection' (use eq, not_eq, gt, gte, lt, lte, nil or not_nil)"
    );
}

#[test]
fn values_must_fit_the_key() {
    assert_eq!(
        error(one(json!({"key": ["confidence"], "values": ["high"]}))),
        "value 'high' for numeric key 'confidence' must be a number"
    );
    assert_eq!(
        error(one(json!({"key": ["revoked"], "values": ["maybe"]}))),
        "value 'maybe' for boolean key 'revoked' must be true or false"
    );
    assert!(parse(one(
        json!({"key": ["revoked"], "values": ["TRUE", "no", 0, 1, "Yes", false]})
    ))
    .is_ok());
    assert_eq!(
        error(one(json!({"key": ["name"], "values": [{"key": "score"}]}))),
        "filter values for key 'name' must be strings, numbers or booleans, got an object"
    );
    assert_eq!(
        error(one(json!({"key": ["name"], "values": "x"}))),
        "filter values for key 'name' must be an array, got a string"
    );
    assert_eq!(
        error(one(
            json!({"key": ["name"], "values": [], "operator": "contains"})
        )),
        "filter on key 'name' with operator 'contains' needs at least one value"
    );
}

#[test]
fn structural_errors_name_the_problem() {
    assert_eq!(
        error(json!({"mode": "xor"})),
        "filter group mode must be 'and' or 'or', got 'xor'"
    );
    assert_eq!(
        error(json!({"mode": "AND"})),
        "filter group mode must be 'and' or 'or', got 'AND'"
    );
    assert_eq!(
        error(one(
            json!({"key": ["name"], "values": ["x"], "mode": "xor"})
        )),
        "filter mode must be 'and' or 'or', got 'xor' (key 'name')"
    );
    assert_eq!(
        error(one(json!({"key": ["name", "pattern"], "values": []}))),
        "filter key must be a one-element array, got 2 elements"
    );
    assert_eq!(
        error(one(json!({"key": [], "values": []}))),
        "filter key must be a one-element array, got 0 elements"
    );
    assert_eq!(
        error(one(json!({"key": 5}))),
        "filter key must be a one-element array, got a number"
    );
    assert_eq!(
        error(one(json!({"key": [5]}))),
        "filter key must be a string, got a number"
    );
    assert_eq!(
        error(one(json!({"key": [""]}))),
        "filter key must not be empty"
    );
    assert_eq!(
        error(one(json!({"values": ["x"]}))),
        "filter key is missing"
    );
    assert_eq!(
        error(one(json!({"key": "name", "operater": "eq"}))),
        "unknown field 'operater' in filter (expected key, values, operator, mode)"
    );
    assert_eq!(
        error(one(json!("name"))),
        "each filter must be a JSON object, got a string"
    );
    assert_eq!(
        error(json!({"filters": {}})),
        "filter group 'filters' must be an array, got an object"
    );
    assert_eq!(
        error(json!({"filterGroups": "x"})),
        "filter group 'filterGroups' must be an array, got a string"
    );
    assert_eq!(
        error(json!({"filterGroups": [1]})),
        "each filter group must be a JSON object, got a number"
    );
    // Pre-5.12 format would otherwise read as "everything".
    assert_eq!(
        error(json!({"markedBy": [{"id": "x"}]})),
        "unknown field 'markedBy' in filter group (expected mode, filters, filterGroups)"
    );
    assert_eq!(
        error(json!([])),
        "filters must be a JSON object (or a string holding one), got an array"
    );
    assert_eq!(
        error(json!("[1]")),
        "filters must be a JSON object (or a string holding one), got an array"
    );
    assert!(error(json!("{not json")).starts_with("filters are not valid JSON: "));
}

fn nested(depth: usize) -> Value {
    let mut g = json!({"mode": "and", "filters": [], "filterGroups": []});
    for _ in 1..depth {
        g = json!({"mode": "and", "filters": [], "filterGroups": [g]});
    }
    g
}

#[test]
fn depth_and_size_limits() {
    assert!(parse(nested(5)).is_ok());
    assert_eq!(
        error(nested(6)),
        "filter groups are nested too deeply (max 5 levels)"
    );
    let f = json!({"key": ["name"], "values": ["x"]});
    let many = |n: usize| json!({"filters": vec![f.clone(); n]});
    assert_eq!(parse(many(200)).unwrap().filters.len(), 200);
    assert_eq!(error(many(201)), "too many filters (max 200)");
    // The limit counts nested filters too.
    let split = json!({"filters": vec![f.clone(); 150], "filterGroups": [{"filters": vec![f.clone(); 51]}]});
    assert_eq!(error(split), "too many filters (max 200)");
}
