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
