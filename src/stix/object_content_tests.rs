#![allow(clippy::unwrap_used, clippy::expect_used)]
//! prepare(): 2.0 upgrade, timestamps, extensions and property preservation.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::object_tests::{keys, ok, opts, reason, run, sdo, TS, U};
use super::opencti::{OCTI_EXT, OCTI_SCO_EXT};
use super::prepare;

#[test]
fn upgrade_from_20() {
    // B38 case 2: an indicator without spec_version but with 2.0 labels.
    let v = json!({"id": format!("indicator--{U}"), "type": "indicator", "created": TS,
        "modified": TS, "labels": ["malicious-activity"], "pattern": "[x:y = 'z']",
        "valid_from": TS});
    let p = ok(v);
    assert_eq!(
        keys(&p),
        [
            "id",
            "type",
            "spec_version",
            "created",
            "modified",
            "indicator_types",
            "pattern",
            "valid_from"
        ]
    );
    assert_eq!(p.object["indicator_types"], json!(["malicious-activity"]));
    assert_eq!(p.warnings, ["upgraded from STIX 2.0"]);

    // ATT&CK malware: labels == [type] are dropped, is_family added.
    let mut m = sdo("malware");
    m["spec_version"] = json!("2.0");
    m["labels"] = json!(["malware"]);
    m["name"] = json!("Emotet");
    let p = ok(m.clone());
    assert_eq!(
        keys(&p),
        [
            "type",
            "spec_version",
            "id",
            "created",
            "modified",
            "name",
            "is_family"
        ]
    );
    assert_eq!(p.object["is_family"], json!(true));
    // Real vocabulary labels move; an explicit is_family is kept.
    m["labels"] = json!(["trojan", "malware"]);
    m["is_family"] = json!(false);
    let p = ok(m.clone());
    assert_eq!(p.object["malware_types"], json!(["trojan", "malware"]));
    assert_eq!(p.object["is_family"], json!(false));
    assert!(!p.object.contains_key("labels"));
    // An existing malware_types keeps labels untouched.
    m["malware_types"] = json!(["worm"]);
    let p = ok(m);
    assert_eq!(p.object["labels"], json!(["trojan", "malware"]));
    assert_eq!(p.object["malware_types"], json!(["worm"]));

    for (t, prop) in [
        ("tool", "tool_types"),
        ("report", "report_types"),
        ("threat-actor", "threat_actor_types"),
        ("infrastructure", "infrastructure_types"),
    ] {
        let mut v = sdo(t);
        v.as_object_mut().unwrap().remove("spec_version");
        v["labels"] = json!([t]);
        let p = ok(v.clone());
        assert!(
            !p.object.contains_key("labels") && !p.object.contains_key(prop),
            "{t}"
        );
        v["labels"] = json!(["a", "b"]);
        assert_eq!(ok(v).object[prop], json!(["a", "b"]));
    }
    // Types without a vocabulary keep labels.
    let mut v = sdo("attack-pattern");
    v.as_object_mut().unwrap().remove("spec_version");
    v["labels"] = json!(["attack-pattern"]);
    assert_eq!(ok(v).object["labels"], json!(["attack-pattern"]));
}

#[test]
fn required_timestamps() {
    let without = |t: &str, prop: &str| {
        let mut v = sdo(t);
        v.as_object_mut().unwrap().remove(prop);
        run(&v, false)
    };
    for t in [
        "indicator",
        "relationship",
        "sighting",
        "language-content",
        "case-incident",
        "data-source",
    ] {
        assert_eq!(
            without(t, "modified").unwrap_err().reason,
            "missing required property 'modified'"
        );
        assert_eq!(
            without(t, "created").unwrap_err().reason,
            "missing required property 'created'"
        );
    }
    assert!(without("marking-definition", "modified").is_ok());
    assert_eq!(
        without("marking-definition", "created").unwrap_err().reason,
        "missing required property 'created'"
    );
    for t in ["file", "persona", "x-mitre-tactic", "text"] {
        let v = json!({"type": t, "spec_version": "2.1", "id": format!("{t}--{U}")});
        assert!(ok(v).modified.is_none(), "{t}");
    }
    // A 2.0 relationship with no timestamps (OpenCTI mono-bundle-relationship).
    let v = json!({"id": format!("relationship--{U}"), "type": "relationship",
        "relationship_type": "part-of"});
    assert_eq!(reason(v), "missing required property 'created'");
}

#[test]
fn timestamp_values() {
    // B37 values.
    let mut v = sdo("indicator");
    v["created"] = json!("2023-11-12T14:16:48.1699798608Z");
    v["modified"] = json!("2023-11-12T14:16:48.1699798608Z");
    v["valid_from"] = json!("2024-01-01T00:00:00.123456Z");
    let p = ok(v.clone());
    assert_eq!(
        p.modified.as_ref().unwrap().as_str(),
        "2023-11-12T14:16:48.1699798608Z"
    );
    assert!(p.warnings.is_empty());
    assert_eq!(
        p.object["created"],
        json!("2023-11-12T14:16:48.1699798608Z")
    );

    v["modified"] = json!("2024-01-01T00:00:00Z");
    v["valid_until"] = json!("2025-01-01T00:00:00Z");
    let p = ok(v.clone());
    assert_eq!(p.warnings, ["'modified' has no millisecond precision"]);
    assert_eq!(p.modified.unwrap().as_str(), "2024-01-01T00:00:00Z");
    v["created"] = json!("2024-01-01T00:00:00Z");
    assert_eq!(
        ok(v.clone()).warnings,
        [
            "'created' has no millisecond precision",
            "'modified' has no millisecond precision"
        ]
    );

    let mut c = sdo("indicator");
    c["created"] = json!("2024-01-01T00:00:00+02:00");
    let e = run(&c, false).unwrap_err();
    assert_eq!(e.id, Some(format!("indicator--{U}")));
    assert_eq!(
        e.reason,
        "property 'created': invalid timestamp '2024-01-01T00:00:00+02:00': \
         STIX timestamps must be UTC ('Z'); offset '+02:00' is not allowed"
    );
    c["created"] = json!("2024-13-01T00:00:00.000Z");
    assert_eq!(
        reason(c.clone()),
        "property 'created': invalid timestamp '2024-13-01T00:00:00.000Z': month 13 out of range"
    );
    c["created"] = json!(TS);
    c["first_seen"] = json!("2023-02-29T00:00:00.000Z");
    assert_eq!(
        reason(c.clone()),
        "property 'first_seen': invalid timestamp '2023-02-29T00:00:00.000Z': \
         day 29 out of range for 2023-02 (1-28)"
    );
    c["first_seen"] = json!("2024-02-29T00:00:00.000Z");
    assert!(run(&c, false).is_ok());
    c["stop_time"] = json!(1_700_000_000);
    assert_eq!(
        reason(c.clone()),
        "'stop_time' must be a timestamp string, got number"
    );
    c["stop_time"] = json!(null);
    assert_eq!(
        reason(c),
        "'stop_time' must be a timestamp string, got null"
    );
    // Timestamps are checked on custom objects too.
    let x = json!({"type": "x-foo", "spec_version": "2.1", "id": format!("x-foo--{U}"),
        "published": "yesterday"});
    assert_eq!(
        reason(x),
        "property 'published': invalid timestamp 'yesterday': \
         expected YYYY-MM-DDTHH:MM:SS[.fraction]Z"
    );
    // Marking definition without fraction (PRE-ATT&CK) is accepted with a warning.
    let mut md = sdo("marking-definition");
    md["created"] = json!("2017-06-01T00:00:00Z");
    md.as_object_mut().unwrap().remove("modified");
    assert_eq!(ok(md).warnings, ["'created' has no millisecond precision"]);
}

#[test]
fn opencti_extensions_are_removed() {
    let mut v = sdo("identity");
    v["extensions"] =
        json!({OCTI_EXT: {"extension_type": "property-extension", "type": "Organization"}});
    v["x_opencti_id"] = json!("abc");
    let p = ok(v.clone());
    assert_eq!(
        keys(&p),
        [
            "type",
            "spec_version",
            "id",
            "created",
            "modified",
            "x_opencti_id"
        ]
    );

    v["extensions"] = json!({"z-ext": {"a": 1}, OCTI_SCO_EXT: {}, OCTI_EXT: {}, "a-ext": 2});
    let p = ok(v.clone());
    assert_eq!(
        p.object["extensions"],
        json!({"z-ext": {"a": 1}, "a-ext": 2})
    );
    let ext_keys: Vec<&String> = p.object["extensions"].as_object().unwrap().keys().collect();
    assert_eq!(ext_keys, ["z-ext", "a-ext"]);

    // Untouched when there is nothing to remove.
    v["extensions"] = json!({});
    assert_eq!(ok(v.clone()).object["extensions"], json!({}));
    v["extensions"] = json!("weird");
    assert_eq!(ok(v).object["extensions"], json!("weird"));
}

#[test]
fn other_properties_kept_in_order() {
    let text = format!(
        r#"{{"x_custom":{{"b":1,"a":2}},"type":"malware","zeta":null,"id":"malware--{U}",
        "spec_version":"2.1","created":"{TS}","alpha":[3,2,1],"modified":"{TS}",
        "is_family":false,"name":"Emotet","x_opencti_score":50}}"#
    );
    let raw = RawValue::from_string(text.clone()).unwrap();
    let p = prepare(&raw, &opts(false)).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(Value::Object(p.object.clone()), expected);
    assert_eq!(
        keys(&p),
        [
            "x_custom",
            "type",
            "zeta",
            "id",
            "spec_version",
            "created",
            "alpha",
            "modified",
            "is_family",
            "name",
            "x_opencti_score"
        ]
    );
    assert_eq!(
        serde_json::to_string(&p.object["x_custom"]).unwrap(),
        r#"{"b":1,"a":2}"#
    );
    assert_eq!(p.modified.unwrap().as_str(), TS);
    assert_eq!(p.stix_type, "malware");
}
