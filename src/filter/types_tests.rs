#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Map, Value};

use super::types::{object_type_names, ref_type_names, stix_types_named};
use super::FilterGroup;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn names(v: Value) -> Vec<String> {
    object_type_names(&obj(v))
}

const SDO: [&str; 4] = [
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];

fn with_sdo(first: &[&str]) -> Vec<String> {
    first
        .iter()
        .chain(SDO.iter())
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn domain_objects_get_opencti_name_and_parents() {
    assert_eq!(
        names(json!({"type": "malware"})),
        with_sdo(&["malware", "Malware"])
    );
    assert_eq!(
        names(json!({"type": "indicator"})),
        with_sdo(&["indicator", "Indicator"])
    );
    assert_eq!(
        names(json!({"type": "course-of-action"})),
        with_sdo(&["course-of-action", "Course-Of-Action"])
    );
}

#[test]
fn containers_get_container_parent() {
    for (t, n) in [
        ("report", "Report"),
        ("grouping", "Grouping"),
        ("note", "Note"),
        ("opinion", "Opinion"),
        ("observed-data", "Observed-Data"),
    ] {
        assert_eq!(names(json!({"type": t})), with_sdo(&[t, n, "Container"]));
    }
}

#[test]
fn identity_by_class_and_location_by_fields() {
    let id = |class: Value| names(json!({"type": "identity", "identity_class": class}));
    assert_eq!(
        id(json!("organization")),
        with_sdo(&["identity", "Organization", "Identity"])
    );
    assert_eq!(
        id(json!("individual")),
        with_sdo(&["identity", "Individual", "Identity"])
    );
    assert_eq!(
        id(json!("class")),
        with_sdo(&["identity", "Sector", "Identity"])
    );
    assert_eq!(
        id(json!("system")),
        with_sdo(&["identity", "System", "Identity"])
    );
    assert_eq!(
        names(
            json!({"type": "identity", "identity_class": "class", "x_opencti_type": "SecurityPlatform"})
        ),
        with_sdo(&["identity", "SecurityPlatform", "Identity"])
    );
    let loc = |fields: Value| {
        let mut o = obj(fields);
        o.insert("type".into(), json!("location"));
        object_type_names(&o)
    };
    assert_eq!(
        loc(json!({"country": "FR"})),
        with_sdo(&["location", "Country", "Location"])
    );
    assert_eq!(
        loc(json!({"city": "Paris", "country": "FR"})),
        with_sdo(&["location", "City", "Location"])
    );
    assert_eq!(
        loc(json!({"region": "europe"})),
        with_sdo(&["location", "Region", "Location"])
    );
    assert_eq!(
        loc(json!({"latitude": 1.0, "longitude": 2.0})),
        with_sdo(&["location", "Position", "Location"])
    );
    assert_eq!(
        loc(json!({"administrative_area": "Bavaria"})),
        with_sdo(&["location", "Administrative-Area", "Location"])
    );
    assert_eq!(loc(json!({})), with_sdo(&["location", "Location"]));
    assert_eq!(
        names(json!({"type": "threat-actor"})),
        with_sdo(&["threat-actor", "Threat-Actor-Group", "Threat-Actor"])
    );
    assert_eq!(
        names(json!({"type": "threat-actor", "resource_level": "individual"})),
        with_sdo(&["threat-actor", "Threat-Actor-Individual", "Threat-Actor"])
    );
}

#[test]
fn observables_meta_and_relationships() {
    let sco = [
        "Stix-Cyber-Observable",
        "Stix-Core-Object",
        "Stix-Object",
        "Basic-Object",
    ];
    assert_eq!(
        names(json!({"type": "ipv4-addr"})),
        [&["ipv4-addr", "IPv4-Addr"][..], &sco[..]].concat()
    );
    assert_eq!(
        names(json!({"type": "file"})),
        [&["file", "StixFile"][..], &sco[..]].concat()
    );
    assert_eq!(
        names(json!({"type": "url"})),
        [&["url", "Url"][..], &sco[..]].concat()
    );
    assert_eq!(
        names(json!({"type": "marking-definition"})),
        [
            "marking-definition",
            "Marking-Definition",
            "Stix-Meta-Object",
            "Stix-Object",
            "Basic-Object"
        ]
    );
    assert_eq!(
        names(json!({"type": "relationship", "relationship_type": "uses"})),
        [
            "relationship",
            "uses",
            "stix-core-relationship",
            "stix-relationship",
            "basic-relationship"
        ]
    );
    assert_eq!(
        names(json!({"type": "sighting"})),
        [
            "sighting",
            "stix-sighting-relationship",
            "stix-relationship",
            "basic-relationship"
        ]
    );
}

#[test]
fn custom_types_are_raw_plus_capitalised() {
    assert_eq!(
        names(json!({"type": "x-mitre-tactic"})),
        ["x-mitre-tactic", "X-Mitre-Tactic"]
    );
    assert_eq!(
        names(json!({"type": "x-mitre-data-component"})),
        with_sdo(&["x-mitre-data-component", "Data-Component"])
    );
    assert_eq!(names(json!({"id": "x--1"})), Vec::<String>::new());
    assert_eq!(names(json!({"type": "  "})), Vec::<String>::new());
}

#[test]
fn ref_names_come_from_the_id_prefix() {
    assert_eq!(
        ref_type_names("malware--00000000-0000-4000-8000-000000000001"),
        with_sdo(&["malware", "Malware"])
    );
    assert_eq!(
        ref_type_names("identity--00000000-0000-4000-8000-000000000001"),
        with_sdo(&["identity", "Identity"])
    );
    assert_eq!(ref_type_names("not-an-id"), Vec::<String>::new());
}

#[test]
fn filter_values_expand_to_stix_types() {
    assert_eq!(stix_types_named("Malware"), ["malware"]);
    assert_eq!(stix_types_named(" StixFile "), ["file"]);
    assert_eq!(stix_types_named("Country"), ["location"]);
    assert_eq!(stix_types_named("Organization"), ["identity"]);
    assert_eq!(stix_types_named("Threat-Actor-Group"), ["threat-actor"]);
    assert_eq!(
        stix_types_named("Data-Component"),
        ["data-component", "x-mitre-data-component"]
    );
    assert_eq!(stix_types_named("stix-core-relationship"), ["relationship"]);
    assert_eq!(stix_types_named("X-Mitre-Tactic"), ["x-mitre-tactic"]);
    assert_eq!(stix_types_named("uses"), ["uses"]);
    assert_eq!(
        stix_types_named("Container"),
        [
            "grouping",
            "note",
            "observed-data",
            "opinion",
            "report",
            "task",
            "case-incident",
            "case-rfi",
            "case-rft",
            "feedback"
        ]
    );
    assert_eq!(stix_types_named("Stix-Cyber-Observable").len(), 33);
    assert!(stix_types_named("Stix-Domain-Object").contains(&"identity".to_string()));
}

#[test]
fn entity_types_reads_top_level_eq_filters_only() {
    let g = FilterGroup::parse(&json!({"mode": "or", "filters": [
        {"key": "entity_type", "values": ["Malware", "IPv4-Addr", "malware"]},
        {"key": "entity_type", "operator": "not_eq", "values": ["Tool"]},
        {"key": "name", "values": ["x"]}
    ], "filterGroups": [{"filters": [{"key": "entity_type", "values": ["Report"]}]}]}))
    .unwrap();
    assert_eq!(g.entity_types(), ["malware", "ipv4-addr"]);
    assert_eq!(FilterGroup::empty().entity_types(), Vec::<String>::new());
}
