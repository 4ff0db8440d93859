#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Size limits of a filter being saved, date values for ordering operators on date keys, and the lenient
//! parse of filters saved before those limits.

use serde_json::{json, Value};

use super::{FilterGroup, DATE_KEYS, MAX_DEPTH, MAX_FILTERS, MAX_VALUES, MAX_VALUE_CHARS};

fn error(v: &Value) -> String {
    FilterGroup::parse(v).unwrap_err().0
}

fn values(n: usize) -> Value {
    let vs: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    json!({"filters": [{"key": ["name"], "values": vs, "operator": "contains"}]})
}

fn nested(depth: usize) -> Value {
    let mut g = json!({"filters": [{"key": ["name"], "values": ["x"]}]});
    for _ in 1..depth {
        g = json!({"filterGroups": [g]});
    }
    g
}

fn date(key: &str, op: &str, value: &str) -> Value {
    json!({"filters": [{"key": [key], "values": [value], "operator": op}]})
}

#[test]
fn limits_are_as_documented() {
    assert_eq!(
        (MAX_DEPTH, MAX_FILTERS, MAX_VALUES, MAX_VALUE_CHARS),
        (5, 200, 500, 1000)
    );
}

#[test]
fn values_per_filter_are_limited() {
    assert_eq!(
        FilterGroup::parse(&values(500)).unwrap().filters[0]
            .values
            .len(),
        500
    );
    assert_eq!(
        error(&values(501)),
        "filter on key 'name' has 501 values, over the limit of 500 values per filter"
    );
    assert_eq!(
        error(&values(20_000)),
        "filter on key 'name' has 20000 values, over the limit of 500 values per filter"
    );
}

#[test]
fn value_length_is_limited_in_characters() {
    let ok = json!({"filters": [{"key": ["name"], "values": ["é".repeat(1000)]}]});
    assert!(FilterGroup::parse(&ok).is_ok());
    let long = json!({"filters": [{"key": ["name"], "values": ["short", "x".repeat(1001)]}]});
    assert_eq!(
        error(&long),
        "a value for key 'name' is 1001 characters long, over the limit of 1000"
    );
}

#[test]
fn nesting_is_limited_to_five_levels() {
    assert!(FilterGroup::parse(&nested(5)).is_ok());
    assert_eq!(
        error(&nested(6)),
        "filter groups are nested too deeply (max 5 levels)"
    );
}

#[test]
fn ordering_on_date_keys_needs_dates() {
    for key in DATE_KEYS {
        for op in ["gt", "gte", "lt", "lte"] {
            for good in [
                "2024-01-31",
                "2024-01-31T10:00:00Z",
                "2024-01-31t10:00:00.123z",
            ] {
                assert!(
                    FilterGroup::parse(&date(key, op, good)).is_ok(),
                    "{key} {op} {good}"
                );
            }
            assert_eq!(
                error(&date(key, op, "yesterday")),
                format!(
                    "value 'yesterday' for date key '{key}' with operator '{op}' is not a date \
                     (expected a year, month or day such as 2024, 2024-01 or 2024-01-31, or an RFC 3339 UTC timestamp such as 2024-01-31T00:00:00Z)"
                )
            );
        }
    }
    for bad in [
        "2024-02-30",
        "2024-13",
        "24",
        "2024-01-31T10:00:00+02:00",
        "now-7d",
        "1e9",
    ] {
        assert!(
            error(&date("created", "gte", bad)).contains(&format!("value '{bad}'")),
            "{bad}"
        );
    }
    // Equality and text operators on date keys, and ordering on other text keys, are unchanged.
    assert!(FilterGroup::parse(&date("created", "eq", "yesterday")).is_ok());
    assert!(FilterGroup::parse(&date("created", "starts_with", "2024")).is_ok());
    assert!(FilterGroup::parse(&date("name", "gt", "m")).is_ok());
}

#[test]
fn filters_saved_before_the_limits_still_parse() {
    for v in [values(600), nested(10), date("created", "gt", "yesterday")] {
        assert!(FilterGroup::parse(&v).is_err());
        assert!(FilterGroup::parse_stored(&v).is_ok(), "{v}");
    }
    assert!(FilterGroup::parse_stored(&nested(11)).is_err());
}
