#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const PAP_GREEN: &str = "marking-definition--pap-green";
const UNKNOWN: &str = "marking-definition--never-heard-of";

fn group(markings: &[&str], caps: &[&str]) -> GroupV1 {
    GroupV1 {
        id: [7; 16],
        name: "g".into(),
        allowed_markings: markings.iter().map(|s| (*s).to_string()).collect(),
        capabilities: caps.iter().map(|s| (*s).to_string()).collect(),
        created_at_ms: 0,
    }
}

fn obj(refs: &[&str]) -> Map<String, Value> {
    json!({"type": "indicator", "object_marking_refs": refs})
        .as_object()
        .unwrap()
        .clone()
}

fn lookup(id: &str) -> Option<Map<String, Value>> {
    (id == PAP_GREEN).then(|| {
        json!({"definition_type": "PAP", "name": "PAP:GREEN"})
            .as_object()
            .unwrap()
            .clone()
    })
}

#[test]
fn the_tlp_ladder_for_a_group() {
    let green = Access::of_groups(&[group(&["TLP:GREEN"], &["read"])]);
    let amber = Access::of_groups(&[group(&["TLP:AMBER"], &["read"])]);
    let none = Access::of_groups(&[group(&[], &["read"])]);
    // (markings, seen by a TLP:GREEN group, by a TLP:AMBER group, by a group without markings)
    let cases: [(&[&str], bool, bool, bool); 9] = [
        (&[], true, true, true),
        (&[CLEAR], true, true, false),
        (&[GREEN], true, true, false),
        (&[AMBER], false, true, false),
        (&[STRICT], false, false, false),
        (&[RED], false, false, false),
        (&[GREEN, AMBER], false, true, false),
        (&[UNKNOWN], false, false, false),
        (&[GREEN, PAP_GREEN], false, false, false),
    ];
    for (refs, g, a, n) in cases {
        let o = obj(refs);
        assert_eq!(green.may_see(&o, &lookup), g, "green {refs:?}");
        assert_eq!(amber.may_see(&o, &lookup), a, "amber {refs:?}");
        assert_eq!(none.may_see(&o, &lookup), n, "none {refs:?}");
    }
}

#[test]
fn clear_is_allowed_by_any_listed_tlp_level() {
    // TLP:CLEAR is the bottom of the ladder: a group allowed TLP:GREEN sees CLEAR objects.
    let green = Access::of_groups(&[group(&["TLP:GREEN"], &[])]);
    assert!(green.may_see(&obj(&[CLEAR]), &lookup));
}

#[test]
fn allowances_are_per_group_not_mixed() {
    let tlp_only = group(&["TLP:GREEN"], &["read"]);
    let pap_only = group(&["PAP:GREEN"], &["read"]);
    let both = Access::of_groups(&[tlp_only.clone(), pap_only]);
    assert!(both.may_see(&obj(&[GREEN]), &lookup));
    assert!(both.may_see(&obj(&[PAP_GREEN]), &lookup));
    assert!(
        !both.may_see(&obj(&[GREEN, PAP_GREEN]), &lookup),
        "no single group allows TLP:GREEN and PAP:GREEN together"
    );
    let one = Access::of_groups(&[tlp_only, group(&["TLP:GREEN", "PAP:GREEN"], &[])]);
    assert!(one.may_see(&obj(&[GREEN, PAP_GREEN]), &lookup));
}

#[test]
fn admins_bypass_and_no_group_sees_only_unmarked() {
    let admin = Access::of_groups(&[group(&[], &["admin"])]);
    assert!(admin.may_see(&obj(&[RED, UNKNOWN]), &lookup));
    let nobody = Access::of_groups(&[]);
    assert!(nobody.may_see(&obj(&[]), &lookup));
    assert!(!nobody.may_see(&obj(&[CLEAR]), &lookup));
}

#[test]
fn capabilities_and_validation() {
    assert_eq!(
        capabilities_of(&[group(&[], &["read"]), group(&[], &["share"])]),
        vec![Capability::Share, Capability::Read]
    );
    assert_eq!(capabilities_of(&[group(&[], &["admin"])]).len(), 4);
    assert_eq!(
        normalize_markings(&["tlp:white".into(), "PAP:amber".into()]).unwrap(),
        vec!["TLP:CLEAR", "PAP:AMBER"]
    );
    assert!(normalize_markings(&["TLP:GREEN".into(), "TLP:RED".into()])
        .unwrap_err()
        .contains("one level per marking type"));
    assert!(normalize_markings(&["TLP:PURPLE".into()])
        .unwrap_err()
        .contains("unknown marking 'TLP:PURPLE'"));
    assert_eq!(
        normalize_capabilities(&["read".into(), "admin".into(), "read".into()]).unwrap(),
        vec!["admin", "read"]
    );
    assert!(normalize_capabilities(&["root".into()])
        .unwrap_err()
        .contains("'root'"));
}
