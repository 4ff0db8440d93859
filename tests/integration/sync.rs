//! Synchronizers between real hubs on loopback (in-process servers on port 0, separate data directories).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, eventually, indicator, shared, Hub, TOKEN};

const ICS: &str = "stix21/mitre-attack/ics-attack-18.1.json";
const MOBILE: &str = "stix21/mitre-attack/mobile-attack-17.1.json";

pub fn all_filter() -> Value {
    json!({"mode": "and", "filters": [], "filterGroups": []})
}

/// A synchronizer's JSON.
pub async fn sync_status(hub: &Hub, id: &str) -> Value {
    let (status, body) = hub.get(&format!("/api/synchronizers/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until `follower` holds exactly the objects of `source` (same ids, same content).
pub async fn wait_same_objects(source: &Hub, follower: &Hub, secs: u64) -> BTreeMap<String, Value> {
    let want = source.all_objects().await;
    // Polled slowly: listing every object is work the hubs under test would otherwise compete with.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while follower.all_objects().await.len() != want.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for the follower to hold {} objects",
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    let got = follower.all_objects().await;
    let differing: Vec<&String> = want
        .keys()
        .filter(|k| got.get(*k) != want.get(*k))
        .collect();
    assert!(
        differing.is_empty(),
        "{} objects differ, e.g. {:?}",
        differing.len(),
        differing.first()
    );
    assert_eq!(got.len(), want.len());
    got
}

/// Data events (not connected/heartbeat) of a hub's global log.
pub async fn global_events(hub: &Hub, expected: usize) -> Vec<Value> {
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    sse.data_frames(expected + 1, Duration::from_secs(3))
        .await
        .iter()
        .map(crate::common::Frame::json)
        .collect()
}

/// Done criterion + B28 (a): hub B validates hub A's URL without a token, sees only A's public streams, follows
/// one; B holds A's objects and B's streams re-publish them; hub C follows B's stream (three hubs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_stream_without_token_replicates_to_a_second_and_third_hub() {
    let a = Hub::start().await;
    a.import_file(&shared(ICS)).await;
    a.import_file(&shared(MOBILE)).await;
    let public = a
        .create_stream(json!({"name": "ATT&CK public", "public": true, "started": true, "filters": all_filter()}))
        .await;
    a.create_stream(json!({"name": "private one", "started": true, "filters": all_filter()}))
        .await;
    let b = Hub::start().await;
    let b_stream = b
        .create_stream(json!({"name": "B all", "started": true, "filters": all_filter()}))
        .await;

    let (status, found) = b
        .post_json(
            "/api/synchronizers/discover",
            &json!({"url": format!("{}/", a.base)}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["url"], json!(a.base));
    let names: Vec<&str> = found["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ATT&CK public"],
        "anonymous discovery lists public streams only"
    );
    let remote = &found["streams"][0];
    assert_eq!(remote["id"], public["id"]);

    let sync = b
        .create_sync(
            json!({"name": "from A", "url": a.base, "stream_id": remote["id"], "running": true}),
        )
        .await;
    assert_eq!(sync["token_set"], json!(false));
    let sid = sync["id"].as_str().unwrap().to_owned();
    let objects = wait_same_objects(&a, &b, 120).await;
    let ids: std::collections::BTreeSet<String> = [ICS, MOBILE]
        .iter()
        .flat_map(|f| {
            crate::common::read_json(&shared(f))["objects"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        objects
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        ids
    );

    let st = sync_status(&b, &sid).await;
    assert_eq!(st["status"]["state"], json!("live"), "{st}");
    assert!(st["status"]["last_connected_at"].is_string());
    assert!(
        st["status"]["errors"].as_array().unwrap().is_empty(),
        "{st}"
    );

    // B's own streams re-publish what it received, naming the synchronizer and the upstream hub.
    let events = global_events(&b, objects.len()).await;
    assert_eq!(
        events.len(),
        objects.len(),
        "one create per object on B, nothing else"
    );
    let a_origin = global_events(&a, 1).await[0]["origin"]["hub_id"].clone();
    for e in &events {
        assert_eq!(e["type"], json!("create"));
        assert_eq!(e["origin"]["source"], json!(format!("sync:{sid}")));
    }
    // Dependencies (MITRE's author and marking, sent first) carry no origin hub on the wire.
    let unattributed: Vec<&str> = events
        .iter()
        .filter(|e| e["origin"]["upstream_hub"] != a_origin)
        .map(|e| e["data"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(unattributed, ["marking-definition", "identity"]);
    let mut b_reader = b
        .sse(
            &format!("/stream/{}?from=0", b_stream["id"].as_str().unwrap()),
            &[],
        )
        .await;
    let mut main = std::collections::BTreeMap::new();
    let mut dependencies = 0;
    while let Some(f) = b_reader.next(Duration::from_secs(10)).await {
        match f.event.as_str() {
            "heartbeat" => break,
            "connected" => {}
            _ if f.json().get("type").is_none() => dependencies += 1,
            _ => {
                *main
                    .entry(f.json()["data"]["id"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1
            }
        }
    }
    assert!(
        main.keys().eq(objects.keys()),
        "B's stream re-publishes every object"
    );
    assert!(main.values().all(|n| *n == 1), "once each");
    assert_eq!(
        dependencies, 1,
        "MITRE's author, sent before the marking that names it"
    );

    // A third hub follows B's stream (private, with B's token).
    let c = Hub::start().await;
    c.create_sync(json!({"name": "from B", "url": b.base, "token": TOKEN,
        "stream_id": b_stream["id"], "running": true}))
        .await;
    wait_same_objects(&b, &c, 120).await;
    let c_events = global_events(&c, objects.len()).await;
    assert_eq!(c_events.len(), objects.len());
    assert_eq!(
        c_events
            .iter()
            .filter(|e| e["origin"]["upstream_hub"] == a_origin)
            .count(),
        c_events.len() - 2,
        "the first hub stays the origin"
    );
    c.stop().await;
    b.stop().await;
    a.stop().await;
}

/// The API: token never returned, bad input is a 400 naming the field, start/stop/edit/delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synchronizer_api_keeps_the_token_secret_and_validates_input() {
    let hub = Hub::start().await;
    let created = hub
        .create_sync(json!({"name": "remote", "url": "https://octi.example.org/?x=1#f", "token": "s3cret-token",
            "stream_id": "abc-123", "start_from": "2024-05-01T12:00:00+02:00", "verify_tls": false}))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["url"], json!("https://octi.example.org"));
    assert_eq!(created["start_from"], json!("2024-05-01T10:00:00.000Z"));
    assert_eq!(
        (
            created["token_set"].clone(),
            created["running"].clone(),
            created["listen_delete"].clone(),
            created["no_dependencies"].clone(),
            created["status"]["state"].clone()
        ),
        (
            json!(true),
            json!(false),
            json!(true),
            json!(false),
            json!("stopped")
        )
    );
    let (_, list) = hub.get("/api/synchronizers").await;
    let (_, one) = hub.get(&format!("/api/synchronizers/{id}")).await;
    for body in [created.to_string(), list.to_string(), one.to_string()] {
        assert!(
            !body.contains("s3cret"),
            "the token is never returned: {body}"
        );
    }
    for (bad, field) in [
        (
            json!({"name": "x", "url": "http://h", "stream_id": "s"}),
            "name",
        ),
        (
            json!({"name": "ok", "url": "ftp://h", "stream_id": "s"}),
            "http",
        ),
        (
            json!({"name": "ok", "url": "http://h", "stream_id": "a/b"}),
            "stream_id",
        ),
        (
            json!({"name": "ok", "url": "http://h", "stream_id": "s", "start_from": "yesterday"}),
            "start_from",
        ),
        (
            json!({"name": "ok", "url": "http://h", "stream_id": "s", "colour": 1}),
            "colour",
        ),
        (json!({"name": "ok", "stream_id": "s"}), "url"),
    ] {
        let (status, body) = hub.post_json("/api/synchronizers", &bad).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert!(body["error"].as_str().unwrap().contains(field), "{body}");
    }
    let res = hub
        .client
        .patch(hub.url(&format!("/api/synchronizers/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({"token": null, "name": "renamed"}))
        .send()
        .await
        .unwrap();
    let patched: Value = res.json().await.unwrap();
    assert_eq!(
        (patched["token_set"].clone(), patched["name"].clone()),
        (json!(false), json!("renamed"))
    );
    let res = hub
        .client
        .delete(hub.url(&format!("/api/synchronizers/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(hub.get(&format!("/api/synchronizers/{id}")).await.0, 404);
    let res = hub
        .client
        .get(hub.url("/api/synchronizers"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        401,
        "management needs the admin token"
    );
    hub.stop().await;
}

/// B06 (3) + start/stop: a stopped remote stream shows "remote_stopped" (retried, checkpoint kept); started
/// again, the synchronizer resumes after its checkpoint. Stopping the synchronizer takes effect at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_stream_stopped_then_started_resumes_after_the_checkpoint() {
    let a = Hub::start().await;
    let s = a
        .create_stream(
            json!({"name": "pub", "public": true, "started": true, "filters": all_filter()}),
        )
        .await;
    let stream_id = s["id"].as_str().unwrap().to_owned();
    a.import(&bundle(
        (1..=3)
            .map(|n| indicator(n, &format!("i{n}"), "2024-01-01T00:00:00.000Z"))
            .collect(),
    ))
    .await;
    let b = Hub::start().await;
    let sync = b
        .create_sync(
            json!({"name": "from A", "url": a.base, "stream_id": stream_id, "running": true}),
        )
        .await;
    let sid = sync["id"].as_str().unwrap().to_owned();
    wait_same_objects(&a, &b, 30).await;
    let cursor_before = sync_status(&b, &sid).await["status"]["cursor"].clone();

    let (st, _) = a
        .post_json(&format!("/api/streams/{stream_id}/stop"), &json!({}))
        .await;
    assert_eq!(st, 200);
    let stopped = eventually("state remote_stopped", 30, || async {
        let s = sync_status(&b, &sid).await;
        (s["status"]["state"] == json!("remote_stopped")).then_some(s)
    })
    .await;
    assert_eq!(
        stopped["status"]["last_error"],
        json!("410: the remote stream is stopped")
    );
    let cursor_stopped = stopped["status"]["cursor"].clone();
    assert!(!cursor_before.is_null());
    assert!(
        crate::common::parse_id(cursor_stopped.as_str().unwrap())
            >= crate::common::parse_id(cursor_before.as_str().unwrap()),
        "checkpoint kept"
    );

    a.import(&bundle(vec![indicator(
        4,
        "i4",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    a.post_json(&format!("/api/streams/{stream_id}/start"), &json!({}))
        .await;
    wait_same_objects(&a, &b, 90).await;
    assert_eq!(
        global_events(&b, 4).await.len(),
        4,
        "each object created once on B"
    );

    let (st, body) = b
        .post_json(&format!("/api/synchronizers/{sid}/stop"), &json!({}))
        .await;
    assert_eq!(
        (st, body["status"]["state"].clone()),
        (200, json!("stopped"))
    );
    a.import(&bundle(vec![indicator(
        5,
        "i5",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        b.all_objects().await.len(),
        4,
        "a stopped synchronizer applies nothing"
    );
    b.post_json(&format!("/api/synchronizers/{sid}/start"), &json!({}))
        .await;
    wait_same_objects(&a, &b, 30).await;
    b.stop().await;
    a.stop().await;
}
