#![allow(clippy::unwrap_used)]
use serde_json::{json, Value};

use super::*;
use crate::knowledge::{self, Origin};

fn indicator(n: u32, modified: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
           "created": "2024-01-01T00:00:00.000Z", "modified": modified, "name": format!("i{n}"),
           "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
}

fn import(store: &Store, objects: Vec<Value>) {
    let origin = Origin {
        hub_id: "h".into(),
        source: "test".into(),
        user_id: None,
        upstream_hub: None,
    };
    let body = serde_json::to_vec(&json!({"type": "bundle", "objects": objects})).unwrap();
    knowledge::import_bundle(store, &body, 1 << 20, &origin, &mut |_, _| {}).unwrap();
}

fn ids(page: &Page) -> Vec<String> {
    page.items
        .iter()
        .map(|i| i.object["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn pages_versions_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let index = Index::default();
    import(
        &store,
        (1..=5)
            .map(|n| indicator(n, "2024-01-01T00:00:00.000Z"))
            .collect(),
    );
    import(&store, vec![indicator(2, "2024-02-01T00:00:00.000Z")]);
    let yes = |_: &mut serde_json::Map<String, Value>| true;
    // Pages of two, driven by `next` only: every object once, the updated one last (its newest version).
    let mut q = Query {
        limit: 2,
        ..Query::default()
    };
    let mut seen = Vec::new();
    loop {
        let p = page(&index, &store, &q, None, &yes).unwrap();
        seen.extend(ids(&p));
        if !p.more {
            break;
        }
        q.next = p.items.last().map(|i| i.added);
    }
    let expected: Vec<String> = [1, 3, 4, 5, 2]
        .iter()
        .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
        .collect();
    assert_eq!(seen, expected);
    let two = "indicator--00000000-0000-4000-8000-000000000002";
    let all = Query {
        versions: VersionSel::all(),
        ..Query::default()
    };
    let versions: Vec<String> = page(&index, &store, &all, Some(two), &yes)
        .unwrap()
        .items
        .iter()
        .map(|i| version_of(&i.object, i.added))
        .collect();
    assert_eq!(
        versions,
        ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"]
    );
    let first = Query {
        versions: VersionSel {
            first: true,
            ..VersionSel::default()
        },
        ..Query::default()
    };
    let p = page(&index, &store, &first, Some(two), &yes).unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].object["modified"], "2024-01-01T00:00:00.000Z");
    assert!(
        p.items[0].object.get("extensions").is_none(),
        "no hub extension"
    );
    // An older version is not served once the current one is refused.
    let refuse_new =
        |o: &mut serde_json::Map<String, Value>| o["modified"] != "2024-02-01T00:00:00.000Z";
    assert!(page(&index, &store, &all, Some(two), &refuse_new)
        .unwrap()
        .items
        .is_empty());
    let origin = Origin {
        hub_id: "h".into(),
        source: "test".into(),
        user_id: None,
        upstream_hub: None,
    };
    knowledge::delete_object(
        &store,
        "indicator--00000000-0000-4000-8000-000000000003",
        &origin,
    )
    .unwrap();
    let after_delete = page(&index, &store, &Query::default(), None, &yes).unwrap();
    assert_eq!(after_delete.items.len(), 4);
    assert!(!ids(&after_delete)
        .iter()
        .any(|i| i.ends_with("000000000003")));
    assert_eq!(
        date_added(crate::store::EventId::new(1_704_067_200_123, 4)),
        "2024-01-01T00:00:00.123000Z"
    );
}

#[test]
fn spec_version_without_the_property() {
    let m = |v: Value| v.as_object().unwrap().clone();
    assert_eq!(
        spec_version_of(&m(json!({"type": "ipv4-addr", "value": "1.2.3.4"}))),
        "2.1"
    );
    assert_eq!(
        spec_version_of(&m(json!({"type": "malware", "created": "x"}))),
        "2.0"
    );
    assert_eq!(
        spec_version_of(&m(json!({"type": "malware", "spec_version": "2.1"}))),
        "2.1"
    );
}
