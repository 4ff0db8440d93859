#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{parse_bundle, BundleError};

fn not_a_bundle(body: &str) -> String {
    match parse_bundle(body.as_bytes()) {
        Err(BundleError::NotABundle(r)) => r,
        other => panic!("expected NotABundle for {body}, got {other:?}"),
    }
}

fn invalid_json(body: &[u8]) -> String {
    match parse_bundle(body) {
        Err(BundleError::InvalidJson(r)) => r,
        other => panic!("expected InvalidJson, got {other:?}"),
    }
}

#[test]
fn bundle_with_objects_borrows_raw_text() {
    let body = r#" {"type":"bundle","id":"bundle--1","objects":[ {"b":1,"a":[2]} , 3, "x" ]} "#;
    let b = parse_bundle(body.as_bytes()).unwrap();
    let raws: Vec<&str> = b.objects.iter().map(|r| r.get()).collect();
    assert_eq!(raws, [r#"{"b":1,"a":[2]}"#, "3", r#""x""#]);
    assert!(!b.legacy_20);
    assert!(b.warnings.is_empty());
}

#[test]
fn missing_or_empty_objects() {
    let b = parse_bundle(br#"{"type":"bundle","id":"bundle--1"}"#).unwrap();
    assert!(b.objects.is_empty());
    let b = parse_bundle(br#"{"objects":[],"type":"bundle"}"#).unwrap();
    assert!(b.objects.is_empty());
}

#[test]
fn bare_array() {
    let b = parse_bundle(b"[{\"type\":\"ipv4-addr\"}, [1], null]").unwrap();
    assert_eq!(b.objects.len(), 3);
    assert_eq!(b.objects[1].get(), "[1]");
    assert_eq!(b.objects[2].get(), "null");
    assert!(!b.legacy_20);
    assert!(parse_bundle(b"[]").unwrap().objects.is_empty());
}

#[test]
fn bundle_spec_version() {
    let b = parse_bundle(br#"{"type":"bundle","spec_version":"2.0","objects":[{}]}"#).unwrap();
    assert!(b.legacy_20);
    assert!(b.warnings.is_empty());
    // B38 case 1.
    let b = parse_bundle(br#"{"type":"bundle","spec_version":"2.1","objects":[{}]}"#).unwrap();
    assert!(!b.legacy_20);
    assert_eq!(
        b.warnings,
        ["bundle-level spec_version is a STIX 2.0 property and was ignored"]
    );
    let b = parse_bundle(br#"{"type":"bundle","spec_version":"2.2","objects":[]}"#).unwrap();
    assert!(!b.legacy_20);
    assert_eq!(
        b.warnings,
        [
            "bundle-level spec_version '2.2' is not a known STIX version and was ignored; \
          objects are judged individually"
        ]
    );
    let b = parse_bundle(br#"{"type":"bundle","spec_version":2.1}"#).unwrap();
    assert_eq!(
        b.warnings,
        [
            "bundle-level spec_version 2.1 is not a string and was ignored; \
          objects are judged individually"
        ]
    );
}

#[test]
fn not_bundles() {
    assert_eq!(
        not_a_bundle(r#"{"type":"campaign","id":"campaign--1"}"#),
        "expected a JSON object with \"type\":\"bundle\" or a JSON array; \
         got a single STIX object of type 'campaign'"
    );
    assert_eq!(
        not_a_bundle(r#"{"objects":[]}"#),
        "expected a JSON object with \"type\":\"bundle\" or a JSON array; \
         got a JSON object without \"type\""
    );
    assert_eq!(
        not_a_bundle(r#"{"type":["bundle"]}"#),
        "\"type\" must be a string"
    );
    assert_eq!(
        not_a_bundle(r#"{"type":"bundle","objects":{"a":1}}"#),
        "\"objects\" must be an array, got an object"
    );
    assert_eq!(
        not_a_bundle(r#"{"type":"bundle","objects":null}"#),
        "\"objects\" must be an array, got null"
    );
    let expected = "expected a JSON object with \"type\":\"bundle\" or a JSON array; ";
    assert_eq!(
        not_a_bundle(" 42 "),
        format!("{expected}top-level value is a number")
    );
    assert_eq!(
        not_a_bundle("\"bundle\""),
        format!("{expected}top-level value is a string")
    );
    assert_eq!(
        not_a_bundle("true"),
        format!("{expected}top-level value is a boolean")
    );
    assert_eq!(
        not_a_bundle("null"),
        format!("{expected}top-level value is null")
    );
}

#[test]
fn invalid_json_reports_position() {
    assert_eq!(
        invalid_json(b"{\"type\":\"bundle\",\n\"objects\":[}"),
        "expected value at line 2 column 12"
    );
    assert_eq!(
        invalid_json(b""),
        "EOF while parsing a value at line 1 column 0"
    );
    assert_eq!(
        invalid_json(b"{\"type\":\"bundle\"} x"),
        "trailing characters at line 1 column 19"
    );
    assert_eq!(
        invalid_json(b"{\"type\":\"bun\xffdle\"}"),
        "invalid unicode code point at line 1 column 13"
    );
    let err = parse_bundle(b"[1,]").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid JSON: expected value at line 1 column 4"
    );
    let err = parse_bundle(b"7").unwrap_err();
    assert!(err
        .to_string()
        .starts_with("not a STIX bundle: expected a JSON object"));
}

#[test]
fn escaped_keys_and_duplicate_type() {
    // Keys with escapes are recognised; a duplicate key takes the last value.
    let b = parse_bundle(br#"{"typ\u0065":"bundle","objects":[1]}"#).unwrap();
    assert_eq!(b.objects.len(), 1);
    let r = not_a_bundle(r#"{"type":"bundle","type":"indicator"}"#);
    assert!(
        r.ends_with("got a single STIX object of type 'indicator'"),
        "{r}"
    );
}

#[test]
fn byte_order_mark_is_ignored() {
    let b = parse_bundle(b"\xEF\xBB\xBF{\"type\":\"bundle\",\"objects\":[{}]}").unwrap();
    assert_eq!(b.objects.len(), 1);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let body = "[".repeat(100_000);
    assert_eq!(
        invalid_json(body.as_bytes()),
        "EOF while parsing a list at line 1 column 100000"
    );
    // Raw values are skipped without recursion; the object's depth is checked (scanned) before it is parsed.
    let deep = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    let body = format!("{{\"type\":\"bundle\",\"objects\":[{deep}]}}");
    let b = parse_bundle(body.as_bytes()).unwrap();
    assert_eq!(b.objects.len(), 1);
    let opts = super::PrepareOptions {
        legacy_20: false,
        max_object_bytes: 1 << 20,
    };
    let err = super::prepare(b.objects[0], &opts).unwrap_err();
    assert_eq!(err.id, None);
    assert_eq!(
        err.reason,
        "object is nested 100000 levels deep, over the depth limit of 100"
    );
}
