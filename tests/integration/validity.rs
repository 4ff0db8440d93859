//! Objects that break a STIX MUST rule or a hub limit are rejected alone, with their index, id and a reason;
//! the rest of the bundle is stored.

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, Hub};

const TS: &str = "2024-01-01T00:00:00.000Z";

/// A malware whose JSON is `depth` levels deep (objects in objects).
fn nested_malware(n: u32, depth: usize) -> Value {
    let mut inner = json!({"leaf": true});
    for _ in 0..depth - 2 {
        inner = json!({ "n": inner });
    }
    json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
           "created": TS, "modified": TS, "name": "deep", "is_family": false, "x_nested": inner})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_nested_deeper_than_100_levels_are_rejected_alone() {
    let hub = Hub::start().await;
    let report = hub
        .import(&bundle(vec![
            indicator(1, "before", TS),
            nested_malware(2, 101),
            nested_malware(3, 90),
            indicator(4, "after", TS),
        ]))
        .await;
    assert_eq!(counts(&report), [3, 0, 0, 0, 1], "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["index"], 1);
    assert_eq!(
        errors[0]["id"],
        "malware--00000000-0000-4000-8000-000000000002"
    );
    let reason = errors[0]["error"].as_str().unwrap();
    assert!(reason.contains("nested 101 levels deep"), "{reason}");
    assert!(reason.contains("depth limit of 100"), "{reason}");
    let stored = hub.all_objects().await;
    let ids: Vec<&str> = stored.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "indicator--00000000-0000-4000-8000-000000000001",
            "indicator--00000000-0000-4000-8000-000000000004",
            "malware--00000000-0000-4000-8000-000000000003",
        ]
    );
    hub.stop().await;
}

/// STIX 2.1 MUST rules: relationship and sighting references are STIX identifiers (else rejected alone); an
/// object whose `modified` is before its `created` is kept with a warning (platforms send such objects).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_references_are_rejected_alone_and_modified_before_created_warned() {
    let hub = Hub::start().await;
    let ind = "indicator--00000000-0000-4000-8000-000000000001";
    let rel = |n: u32, extra: Value| {
        let mut r = json!({"type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--00000000-0000-4000-8000-{n:012}"),
            "created": TS, "modified": TS, "relationship_type": "related-to"});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    let mut backwards = indicator(7, "backwards", TS);
    backwards["created"] = json!("2024-03-01T00:00:00.000Z");
    let report = hub
        .import(&bundle(vec![
            indicator(1, "kept", TS),
            rel(2, json!({"target_ref": ind})),
            rel(3, json!({"source_ref": ind, "target_ref": "82316ffd-a0ec-4519-a454-6566f8f5676c"})),
            json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000004",
                   "created": TS, "modified": TS}),
            json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--00000000-0000-4000-8000-000000000005",
                   "created": TS, "modified": TS, "sighting_of_ref": "indicator--xyz"}),
            rel(6, json!({"source_ref": ind, "target_ref": ind})),
            backwards,
        ]))
        .await;
    assert_eq!(counts(&report), [3, 0, 0, 0, 4], "{report}");
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["warning"]
                .as_str()
                .unwrap()
                .contains("'modified' is earlier than 'created'")
                && w["first_index"] == 6),
        "{report}"
    );
    let errors = report["errors"].as_array().unwrap();
    let got: Vec<(u64, &str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["id"].as_str().unwrap(),
                e["error"].as_str().unwrap(),
            )
        })
        .collect();
    let want = [
        (
            1,
            "relationship--00000000-0000-4000-8000-000000000002",
            "missing required property 'source_ref'",
        ),
        (
            2,
            "relationship--00000000-0000-4000-8000-000000000003",
            "property 'target_ref': invalid id '82316ffd-a0ec-4519-a454-6566f8f5676c'",
        ),
        (
            3,
            "sighting--00000000-0000-4000-8000-000000000004",
            "missing required property 'sighting_of_ref'",
        ),
        (
            4,
            "sighting--00000000-0000-4000-8000-000000000005",
            "property 'sighting_of_ref': invalid id 'indicator--xyz'",
        ),
    ];
    assert_eq!(got.len(), want.len(), "{report}");
    for ((index, id, reason), (w_index, w_id, w_reason)) in got.iter().zip(want) {
        assert_eq!((*index, *id), (w_index, w_id));
        assert!(reason.starts_with(w_reason), "{reason}");
    }
    let stored = hub.all_objects().await;
    let ids: Vec<&str> = stored.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            ind,
            "indicator--00000000-0000-4000-8000-000000000007",
            "relationship--00000000-0000-4000-8000-000000000006"
        ]
    );
    hub.stop().await;
}
