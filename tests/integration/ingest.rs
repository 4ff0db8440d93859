//! Knowledge through HTTP: the real ATT&CK ICS bundle, upserts, patches, deletes, restarts.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, parse_id, shared, Hub, TOKEN};

const ICS: &str = "stix21/mitre-attack/ics-attack-18.1.json";
const WAIT: Duration = Duration::from_secs(10);

async fn stream_size(hub: &Hub) -> u64 {
    let mut sse = hub.sse("/stream", &[]).await;
    let connected = sse.next(WAIT).await.unwrap();
    assert_eq!(connected.event, "connected");
    connected.json()["streamSize"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ics_import_then_reimport_is_unchanged_and_silent() {
    let hub = Hub::start().await;
    let report = hub.import_file(&shared(ICS)).await;
    assert_eq!(counts(&report), [1826, 0, 0, 0, 0], "{report}");
    assert_eq!(report["errors"], json!([]));
    assert_eq!(stream_size(&hub).await, 1826);

    let again = hub.import_file(&shared(ICS)).await;
    assert_eq!(counts(&again), [0, 0, 1826, 0, 0]);
    assert_eq!(
        stream_size(&hub).await,
        1826,
        "unchanged objects emit nothing"
    );

    // Stored exactly as imported (custom x_mitre_* properties kept).
    let original = crate::common::read_json(&shared(ICS));
    let first = &original["objects"][5];
    let id = first["id"].as_str().unwrap();
    let (status, stored) = hub.get(&format!("/api/objects/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(&stored, first);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_carries_patches_that_turn_old_into_new() {
    let hub = Hub::start().await;
    let original = crate::common::read_json(&shared(ICS));
    let old = original["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "malware")
        .unwrap()
        .clone();
    hub.import(&bundle(vec![old.clone()])).await;
    let mut new = old.clone();
    new["modified"] = json!("2030-01-01T00:00:00.000Z");
    new["name"] = json!("Renamed – ünïcode");
    let report = hub.import(&bundle(vec![new.clone()])).await;
    assert_eq!(counts(&report), [0, 1, 0, 0, 0]);

    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let frames = sse.data_frames(2, WAIT).await;
    assert_eq!(
        frames.iter().map(|f| f.event.as_str()).collect::<Vec<_>>(),
        ["create", "update"]
    );
    let ev = frames[1].json();
    assert_eq!(ev["version"], "4");
    assert_eq!(ev["type"], "update");
    assert_eq!(ev["scope"], "external");
    assert_eq!(ev["event_id"], frames[1].id.clone().unwrap());
    assert_eq!(ev["data"]["name"], "Renamed – ünïcode");
    let ext =
        &ev["data"]["extensions"]["extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"];
    assert_eq!(ext["type"], "Malware");
    assert_eq!(ext["is_inferred"], false);
    assert!(ext["id"].as_str().unwrap().len() == 36 && ext["stix_ids"].is_array());
    assert!(ext["created_at"].is_string() && ext["updated_at"].is_string());
    // Same internal id as in the create event.
    assert_eq!(
        frames[0].json()["data"]["extensions"]
            ["extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"]["id"],
        ext["id"]
    );

    let patch: json_patch::Patch = serde_json::from_value(ev["context"]["patch"].clone()).unwrap();
    let mut doc = old.clone();
    json_patch::patch(&mut doc, &patch).unwrap();
    assert_eq!(doc, new);
    let reverse: json_patch::Patch =
        serde_json::from_value(ev["context"]["reverse_patch"].clone()).unwrap();
    let mut back = new.clone();
    json_patch::patch(&mut back, &reverse).unwrap();
    assert_eq!(back, old);

    // An older version is ignored and emits nothing.
    let report = hub.import(&bundle(vec![old])).await;
    assert_eq!(counts(&report), [0, 0, 0, 1, 0]);
    assert!(sse
        .data_frames(1, Duration::from_millis(800))
        .await
        .is_empty());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_emits_the_object_and_removes_it() {
    let hub = Hub::start().await;
    let ind = indicator(1, "to delete", "2024-01-01T00:00:00.000Z");
    hub.import(&bundle(vec![ind.clone()])).await;
    let id = ind["id"].as_str().unwrap();
    let res = hub
        .client
        .delete(hub.url(&format!("/api/objects/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(hub.get(&format!("/api/objects/{id}")).await.0, 404);
    let res = hub
        .client
        .delete(hub.url(&format!("/api/objects/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);

    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let frames = sse.data_frames(2, WAIT).await;
    assert_eq!(frames[1].event, "delete");
    let data = &frames[1].json()["data"];
    assert_eq!(
        data["pattern"], ind["pattern"],
        "the delete carries the whole object"
    );
    assert_eq!(data["id"], ind["id"]);
    // Importing it again is a create.
    assert_eq!(
        counts(&hub.import(&bundle(vec![ind])).await),
        [1, 0, 0, 0, 0]
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_list_pages_by_type() {
    let hub = Hub::start().await;
    hub.import_file(&shared(ICS)).await;
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let q = if after.is_empty() {
            String::new()
        } else {
            format!("&after={after}")
        };
        let (status, page) = hub
            .get(&format!("/api/objects?type=malware&limit=7{q}"))
            .await;
        assert_eq!(status, 200);
        for o in page["objects"].as_array().unwrap() {
            assert_eq!(o["type"], "malware");
            seen.push(o["id"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(n) => after = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 30);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "every malware exactly once, in id order");
    assert_eq!(hub.get("/api/objects?limit=0").await.0, 400);
    assert_eq!(hub.get("/api/objects?limit=abc").await.0, 400);
    assert_eq!(hub.get("/api/objects?type=Not%20A%20Type").await.0, 400);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything_and_ids_keep_increasing() {
    let hub = Hub::start().await;
    hub.import_file(&shared(ICS)).await;
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let before = sse.data_frames(1826, WAIT).await;
    let last_before = parse_id(before.last().unwrap().id.as_deref().unwrap());
    // A heartbeat advertises a resume point at or above everything delivered.
    let hb = loop {
        let f = sse.next(WAIT).await.unwrap();
        if f.event == "heartbeat" {
            break f;
        }
    };
    let hb_id = parse_id(hb.id.as_deref().unwrap());
    assert!(hb_id >= last_before);
    drop(sse);
    let dir = hub.stop().await;

    let hub = Hub::start_with(dir, |_| {}).await;
    let (status, obj) = hub.get("/api/objects?limit=1000").await;
    assert_eq!(status, 200);
    assert_eq!(obj["objects"].as_array().unwrap().len(), 1000);
    let report = hub
        .import(&bundle(vec![indicator(
            7,
            "after restart",
            "2024-01-01T00:00:00.000Z",
        )]))
        .await;
    assert_eq!(counts(&report), [1, 0, 0, 0, 0]);
    let mut sse = hub
        .sse("/stream", &[("Last-Event-ID", hb.id.as_deref().unwrap())])
        .await;
    let after = sse.data_frames(1, WAIT).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].json()["data"]["name"], "after restart");
    assert!(
        parse_id(after[0].id.as_deref().unwrap()) > hb_id,
        "new ids are above every advertised id"
    );
    let _: Value = after[0].json();
    hub.stop().await;
}

/// When the hub's `run` returns, the data directory is unlocked even though readers were connected: a new
/// hub (or the CLI) can open it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_hub_releases_its_data_directory_at_once() {
    for _ in 0..5 {
        let hub = Hub::start().await;
        hub.import(&bundle(vec![indicator(
            1,
            "one",
            "2024-01-01T00:00:00.000Z",
        )]))
        .await;
        let mut live = hub.sse("/stream?from=0", &[]).await;
        live.data_frames(1, WAIT).await;
        let mut other = hub.sse("/stream", &[]).await;
        other.next(WAIT).await.unwrap();
        let dir = hub.stop().await;
        let store = stixhub::store::Store::open(dir.path());
        assert!(
            store.is_ok(),
            "data directory still locked: {:?}",
            store.err()
        );
        drop((live, other));
    }
}

/// An object arriving from an OpenCTI platform carries that platform's extension; the hub stores the
/// object without it and emits its own (internal id, dates), keeping every other extension exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencti_extension_is_replaced_by_the_hubs_own() {
    const OCTI: &str = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba";
    let hub = Hub::start().await;
    let report = hub
        .import_file(&crate::common::fixture("from-opencti.json"))
        .await;
    assert_eq!(counts(&report), [1, 0, 0, 0, 0]);
    let (_, stored) = hub
        .get("/api/objects/indicator--a2f1c7b4-3d5e-4f60-8a1b-2c3d4e5f6071")
        .await;
    assert!(stored["extensions"].get(OCTI).is_none());
    assert_eq!(
        stored["extensions"]["extension-definition--0b9d7a51-1f5e-4c2e-8d9a-3f6b1a2c4d5e"]
            ["vendor_rating"],
        "high"
    );
    assert_eq!(stored["name"], "Zugriff auf böse Domäne");
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let ev = sse.data_frames(1, WAIT).await[0].json();
    let ext = &ev["data"]["extensions"][OCTI];
    assert_ne!(ext["id"], "7a1b2c3d-0000-4000-8000-aaaaaaaaaaaa");
    assert!(ext.get("files").is_none(), "no files we could not serve");
    assert_eq!(ext["type"], "Indicator");
    assert_eq!(ev["data"]["x_opencti_score"], 80);
    // Re-importing the same object with a different platform extension changes nothing.
    let mut again = crate::common::read_json(&crate::common::fixture("from-opencti.json"));
    again["objects"][0]["extensions"][OCTI]["updated_at"] = json!("2025-01-01T00:00:00.000Z");
    assert_eq!(counts(&hub.import(&again).await), [0, 0, 1, 0, 0]);
    hub.stop().await;
}
