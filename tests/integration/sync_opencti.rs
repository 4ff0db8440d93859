//! OpenCTI semantics on the synchronizer side (spec §4.7): the SSE event name decides, merges, cascades.

use serde_json::json;

use crate::common::{eventually, shared, Hub};
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

/// The shared mock OpenCTI SSE server (`data/scripts/mock_opencti_sse.py`, stdlib Python) serving ATT&CK ICS
/// in bundle order (relationships before their ends): the follower ends with exactly what a local import of
/// the same bundle gives, and resumes with `Last-Event-ID` when the mock closes the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_mock_opencti_server() {
    let python = std::env::var("STIXHUB_PYTHON").unwrap_or_else(|_| "python3".into());
    if std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("STIXHUB_REQUIRE_INTEROP").is_none(),
            "python is required"
        );
        println!("mock OpenCTI: no python, skipped");
        return;
    }
    let ics = shared("stix21/mitre-attack/ics-attack-18.1.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut mock = std::process::Command::new(&python)
        .arg(shared("scripts/mock_opencti_sse.py"))
        .args([ics.to_str().unwrap(), "100000", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    eventually("the mock listens", 20, || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let local = Hub::start().await;
    local.import_file(&ics).await;
    let hub = Hub::start().await;
    let s = hub
        .create_sync(json!({"name": "mock", "url": base, "token": "test-token", "stream_id": "any", "running": true}))
        .await;
    let sid_ = s["id"].as_str().unwrap().to_owned();
    let want = local.all_objects().await;
    eventually("the follower holds the bundle", 60, || async {
        (hub.all_objects().await.len() == want.len()).then_some(())
    })
    .await;
    assert!(
        hub.all_objects().await == want,
        "same objects as a local import"
    );
    // The mock closes the stream 2 s after its heartbeat: the follower comes back after its checkpoint.
    eventually("a resumed connection", 30, || async {
        let st = sync_status(&hub, &sid_).await;
        (st["status"]["events_applied"].as_u64().unwrap() > 1826).then_some(())
    })
    .await;
    let _ = mock.kill();
    let out = mock.wait_with_output().unwrap();
    let requests: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(
        requests[0]
            .starts_with("REQUEST /stream/any?listen-delete=true&no-dependencies=false&from=0 "),
        "{requests:?}"
    );
    assert!(
        requests[0].contains("\"authorization\": \"Bearer test-token\""),
        "{requests:?}"
    );
    assert!(
        requests[1].contains("\"last-event-id\": \"1700000001826-0\""),
        "{requests:?}"
    );
    hub.stop().await;
    local.stop().await;
}
