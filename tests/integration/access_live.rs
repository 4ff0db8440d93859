//! Access is checked again on open connections: a revoked token, a user taken out of the authorized groups,
//! a group allowed less, a stream made private or a lowered ceiling take effect within seconds on readers that
//! are already connected — not only on the next connection.

use std::time::Duration;

use serde_json::{json, Value};

use crate::access::{call, user_with};
use crate::common::{bundle, indicator, Hub, Sse, TOKEN};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";

/// Whether the server ends the stream within `secs` (heartbeats keep a live one talking).
async fn ends_within(sse: &mut Sse, secs: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        if sse.next(left).await.is_none() {
            return tokio::time::Instant::now() < deadline;
        }
    }
}

fn green(n: u32, name: &str) -> Value {
    let mut i = indicator(n, name, "2024-01-01T00:00:00.000Z");
    i["object_marking_refs"] = json!([GREEN]);
    i
}

/// Names of the data frames that arrive within `secs`.
async fn names_within(sse: &mut Sse, secs: u64) -> Vec<String> {
    sse.data_frames(100, Duration::from_secs(secs))
        .await
        .iter()
        .map(|f| {
            f.json()["data"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn open(hub: &Hub, sid: &str, token: Option<&str>) -> Sse {
    let mut req = hub.client.get(hub.url(&format!("/stream/{sid}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut sse = Sse::new(res);
    assert_eq!(
        sse.next(Duration::from_secs(5)).await.unwrap().event,
        "connected"
    );
    sse
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_readers_lose_access_when_their_rights_change() {
    let hub = Hub::start().await;
    let (gid, uid, token) = user_with(&hub, "partner", &["TLP:GREEN"], &["read"]).await;
    let s = hub
        .create_stream(json!({"name": "partners", "started": true, "authorized_groups": [gid]}))
        .await;
    let sid = s["id"].as_str().unwrap();

    // A revoked token: the open connection ends.
    let (status, t) = call(
        &hub,
        "POST",
        "/api/tokens",
        Some(TOKEN),
        Some(json!({"name": "second", "user_id": uid})),
    )
    .await;
    assert_eq!(status, 201);
    let mut by_token = open(&hub, sid, t["token"].as_str()).await;
    let mut by_other = open(&hub, sid, Some(&token)).await;
    hub.import(&bundle(vec![green(1, "before")])).await;
    assert_eq!(names_within(&mut by_token, 2).await, ["before"]);
    let path = format!("/api/tokens/{}", t["id"].as_str().unwrap());
    assert_eq!(call(&hub, "DELETE", &path, Some(TOKEN), None).await.0, 204);
    assert!(
        ends_within(&mut by_token, 5).await,
        "revoked token still reading"
    );

    // The group allowed less: the open reader stops getting GREEN, still gets CLEAR.
    assert_eq!(names_within(&mut by_other, 2).await, ["before"]);
    let path = format!("/api/groups/{gid}");
    let (status, _) = call(
        &hub,
        "PATCH",
        &path,
        Some(TOKEN),
        Some(json!({"allowed_markings": ["TLP:CLEAR"]})),
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hub.import(&bundle(vec![
        green(2, "green after"),
        indicator(3, "clear after", "2024-01-01T00:00:00.000Z"),
    ]))
    .await;
    assert_eq!(names_within(&mut by_other, 3).await, ["clear after"]);

    // Out of the authorized groups: the connection ends.
    let path = format!("/api/users/{uid}");
    let (status, _) = call(
        &hub,
        "PATCH",
        &path,
        Some(TOKEN),
        Some(json!({"groups": []})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        ends_within(&mut by_other, 5).await,
        "user out of the group still reading"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_readers_follow_the_streams_definition() {
    let hub = Hub::start().await;
    let s = hub
        .create_stream(
            json!({"name": "open", "public": true, "started": true, "max_marking": "TLP:GREEN"}),
        )
        .await;
    let sid = s["id"].as_str().unwrap();
    let mut anon = open(&hub, sid, None).await;
    hub.import(&bundle(vec![green(1, "green before")])).await;
    assert_eq!(names_within(&mut anon, 2).await, ["green before"]);

    // A lowered ceiling applies to the open connection.
    let path = format!("/api/streams/{sid}");
    let (status, _) = call(
        &hub,
        "PATCH",
        &path,
        Some(TOKEN),
        Some(json!({"max_marking": "TLP:CLEAR"})),
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hub.import(&bundle(vec![
        green(2, "green after"),
        indicator(3, "clear after", "2024-01-01T00:00:00.000Z"),
    ]))
    .await;
    assert_eq!(names_within(&mut anon, 3).await, ["clear after"]);

    // Made private: anonymous readers are disconnected.
    let (status, _) = call(
        &hub,
        "PATCH",
        &path,
        Some(TOKEN),
        Some(json!({"public": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        ends_within(&mut anon, 5).await,
        "anonymous reader of a private stream"
    );
    hub.stop().await;
}
