//! Two hubs that synchronize each other (B25), and a filtered remote stream with deletes and filter exits.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, eventually, indicator, Hub, TOKEN};
use crate::sync::{all_filter, global_events};

/// An observable has no `modified`: any different content is an update, so only origin tagging can stop an
/// older version coming back from the other hub from overwriting a newer one, forever.
fn address(note: &str) -> Value {
    json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000009",
        "value": "198.51.100.9", "x_note": note})
}

fn identity(description: &str, modified: &str) -> Value {
    json!({"type": "identity", "spec_version": "2.1", "id": "identity--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z", "modified": modified, "name": "  ACME Corp  ",
        "identity_class": "organization", "description": description})
}

/// B25: A and B each follow the other's unfiltered stream. A creates an identity whose name has surrounding
/// spaces and updates it twice within milliseconds, and changes an observable three times; B creates and
/// updates an indicator. Both converge to the same state, each hub's log holds exactly the 8 changes (no
/// echo), and the logs stop growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_syncing_each_other_converge_without_echo() {
    let a = Hub::start().await;
    let b = Hub::start().await;
    let sa = a
        .create_stream(json!({"name": "A all", "started": true, "filters": all_filter()}))
        .await;
    let sb = b
        .create_stream(json!({"name": "B all", "started": true, "filters": all_filter()}))
        .await;
    a.create_sync(json!({"name": "from B", "url": b.base, "token": TOKEN, "stream_id": sb["id"], "running": true}))
        .await;
    b.create_sync(json!({"name": "from A", "url": a.base, "token": TOKEN, "stream_id": sa["id"], "running": true}))
        .await;

    a.import(&bundle(vec![identity("v1", "2024-01-01T00:00:00.000Z")]))
        .await;
    a.import(&bundle(vec![identity("v2", "2024-01-01T00:00:00.001Z")]))
        .await;
    a.import(&bundle(vec![identity("v3", "2024-01-01T00:00:00.002Z")]))
        .await;
    for note in ["n1", "n2", "n3"] {
        let report = a.import(&bundle(vec![address(note)])).await;
        assert_eq!(report["rejected"], json!(0), "{report}");
    }
    b.import(&bundle(vec![indicator(
        2,
        "from B",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    b.import(&bundle(vec![indicator(
        2,
        "from B, updated",
        "2024-01-02T00:00:00.000Z",
    )]))
    .await;

    let objects = eventually("both hubs hold the three objects", 60, || async {
        let (oa, ob) = (a.all_objects().await, b.all_objects().await);
        (oa.len() == 3 && oa == ob).then_some(oa)
    })
    .await;
    let ident = &objects["identity--00000000-0000-4000-8000-000000000001"];
    assert_eq!(
        (ident["name"].clone(), ident["description"].clone()),
        (json!("  ACME Corp  "), json!("v3"))
    );
    assert_eq!(
        objects["indicator--00000000-0000-4000-8000-000000000002"]["name"],
        json!("from B, updated")
    );
    assert_eq!(
        objects["ipv4-addr--00000000-0000-4000-8000-000000000009"]["x_note"],
        json!("n3")
    );

    let count = |h: &Hub| {
        let h = h.base.clone();
        async move {
            let hub_events = reqwest::Client::new()
                .get(format!("{h}/stream?from=0"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            crate::common::Sse::new(hub_events)
                .data_frames(1000, Duration::from_millis(1500))
                .await
                .len()
        }
    };
    let (ca, cb) = eventually("both logs hold the 8 changes", 30, || async {
        let (ca, cb) = (count(&a).await, count(&b).await);
        (ca >= 8 && cb >= 8).then_some((ca, cb))
    })
    .await;
    // Several heartbeats (300 ms) and synchronizer round trips later, nothing more was written.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        (count(&a).await, count(&b).await),
        (ca, cb),
        "the logs stopped growing"
    );
    assert_eq!(
        (ca, cb),
        (8, 8),
        "3 identity, 3 address and 2 indicator changes on each hub, no echo"
    );
    let kinds: Vec<String> = global_events(&b, 8)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    let creates = kinds.iter().filter(|k| *k == "create").count();
    assert_eq!((creates, kinds.len()), (3, 8), "{kinds:?}");
    b.stop().await;
    a.stop().await;
}

/// A filtered remote stream: a delete and an update that leaves the filter both remove the object on the
/// follower (`listen_delete`, default); a follower with `listen_delete: false` keeps them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_stream_replicates_deletes_and_filter_exits() {
    let a = Hub::start().await;
    let s = a
        .create_stream(
            json!({"name": "keep", "started": true, "filters": {"mode": "and", "filterGroups": [],
            "filters": [{"key": ["name"], "values": ["keep"], "operator": "starts_with"}]}}),
        )
        .await;
    let t0 = "2024-01-01T00:00:00.000Z";
    a.import(&bundle(vec![
        indicator(1, "keep 1", t0),
        indicator(2, "keep 2", t0),
        indicator(3, "keep 3", t0),
        indicator(4, "other 4", t0),
    ]))
    .await;
    let b = Hub::start().await;
    let c = Hub::start().await;
    for (hub, listen) in [(&b, true), (&c, false)] {
        hub.create_sync(
            json!({"name": "keep", "url": a.base, "token": TOKEN, "stream_id": s["id"],
            "listen_delete": listen, "running": true}),
        )
        .await;
    }
    for hub in [&b, &c] {
        eventually("the three matching objects", 30, || async {
            (hub.all_objects().await.len() == 3).then_some(())
        })
        .await;
    }
    let id = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
    let res = a
        .client
        .delete(a.url(&format!("/api/objects/{}", id(1))))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let t1 = "2024-02-01T00:00:00.000Z";
    a.import(&bundle(vec![
        indicator(2, "gone 2", t1),
        indicator(3, "keep 3 updated", t1),
    ]))
    .await;

    let on_b = eventually(
        "B follows the delete, the exit and the update",
        30,
        || async {
            let o = b.all_objects().await;
            (o.len() == 1 && o[&id(3)]["name"] == json!("keep 3 updated")).then_some(o)
        },
    )
    .await;
    assert_eq!(on_b[&id(3)], a.all_objects().await[&id(3)]);
    let on_c = eventually("C applies the update", 30, || async {
        let o = c.all_objects().await;
        (o.get(&id(3))
            .is_some_and(|x| x["name"] == json!("keep 3 updated")))
        .then_some(o)
    })
    .await;
    let names: Vec<&str> = on_c.values().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["keep 1", "keep 2", "keep 3 updated"],
        "without listen_delete nothing is removed"
    );
    c.stop().await;
    b.stop().await;
    a.stop().await;
}
