//! OpenCTI semantics on the synchronizer side (spec §4.7): the SSE event name decides, merges, cascades.

use serde_json::json;

use crate::common::{eventually, Hub};
use crate::sync::sync_status;
use crate::sync_remote::{fake_remote, follow, frame, indicator_obj, object, sid, Step, CONNECTED};

/// A delete from OpenCTI also removes the relationships and sightings of the deleted object (OpenCTI sends no
/// events for them); a merge keeps the target and removes `context.sources`; an event of another version is
/// ignored; a `create` whose inner type is `update` (a filter entry) is an upsert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_cascade_merges_absorb_and_the_event_name_decides() {
    let malware =
        |n: u32, name: &str| object(n, "malware", json!({"name": name, "is_family": true}));
    let rel = object(
        3,
        "relationship",
        json!({"relationship_type": "indicates",
        "source_ref": sid(2, "indicator"), "target_ref": sid(1, "malware")}),
    );
    let sighting = object(4, "sighting", json!({"sighting_of_ref": sid(1, "malware")}));
    let unrelated = object(
        8,
        "relationship",
        json!({"relationship_type": "indicates",
        "source_ref": sid(2, "indicator"), "target_ref": sid(6, "malware")}),
    );
    let mut body = CONNECTED.to_owned();
    body += &frame("1-0", "create", &malware(1, "doomed"));
    body += &frame("2-0", "create", &indicator_obj(2));
    body += &frame("3-0", "create", &rel);
    body += &frame("4-0", "create", &sighting);
    body += &frame("5-0", "create", &malware(6, "target"));
    body += &frame("5-1", "create", &malware(7, "absorbed"));
    body += &frame("6-0", "create", &unrelated);
    body += &frame("7-0", "delete", &malware(1, "doomed"));
    let merge = json!({"version": "4", "type": "merge", "scope": "external", "message": "m", "origin": {},
        "data": malware(6, "target"), "context": {"sources": [malware(7, "absorbed")]}});
    body += &format!("id: 8-0\nevent: merge\ndata: {merge}\n\n");
    let old = json!({"version": "3", "type": "create", "data": malware(9, "old version")});
    body += &format!("id: 9-0\nevent: create\ndata: {old}\n\n");
    let entering = json!({"version": "4", "type": "update", "scope": "external", "message": "m", "origin": {},
        "data": malware(10, "entered the filter"), "context": {"patch": [], "reverse_patch": []}});
    body += &format!("id: 10-0\nevent: create\ndata: {entering}\n\n");
    body += "id: 11-0\nevent: heartbeat\ndata: \"x\"\n\n";
    let fake = fake_remote(vec![Step::Stream {
        body,
        later: vec![],
        hold: true,
    }])
    .await;
    let hub = Hub::start().await;
    let id = follow(&hub, &fake).await;
    let st = eventually("every event consumed", 30, || async {
        let s = sync_status(&hub, &id).await;
        (s["status"]["cursor"] == json!("11-0")).then_some(s)
    })
    .await;
    assert_eq!(st["status"]["events_applied"], json!(11), "{st}");
    let ids: Vec<String> = hub.all_objects().await.into_keys().collect();
    assert_eq!(
        ids,
        [
            sid(2, "indicator"),
            sid(6, "malware"),
            sid(10, "malware"),
            sid(8, "relationship")
        ]
    );
    // Each removal is an event of this hub, so its own streams and followers remove them too.
    let mut deleted: Vec<String> = crate::sync::global_events(&hub, 20)
        .await
        .iter()
        .filter(|e| e["type"] == json!("delete"))
        .map(|e| e["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            sid(1, "malware"),
            sid(7, "malware"),
            sid(3, "relationship"),
            sid(4, "sighting")
        ]
    );
    hub.stop().await;
}
