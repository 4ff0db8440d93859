//! B12: a stream delivers the same objects live, replayed from `from=0`, and through `recover` (the current
//! state first, then the log), with and without dependencies; `recover` serves current state only.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, Frame, Hub, Sse, TOKEN};

const AUTHOR: &str = "identity--12121212-0000-4000-8000-000000000000";

fn indicator(n: u32, label: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--12121212-0000-4000-8000-{n:012}"),
           "name": format!("ioc {n}"), "pattern_type": "stix", "pattern": format!("[ipv4-addr:value = '198.51.100.{n}']"),
           "valid_from": "2024-01-01T00:00:00Z", "labels": [label], "created_by_ref": AUTHOR,
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"})
}

/// Data frames until the first heartbeat that follows at least `n` of them.
async fn collect(mut sse: Sse, n: usize) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Some(f) = sse.next(Duration::from_secs(10)).await {
        match f.event.as_str() {
            "connected" => {}
            "heartbeat" if out.len() >= n => break,
            "heartbeat" => {}
            _ => out.push(f),
        }
    }
    out
}

fn ids(frames: &[Frame]) -> BTreeSet<String> {
    frames
        .iter()
        .map(|f| f.json()["data"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b12_live_replay_and_recover_deliver_the_same_objects() {
    let hub = Hub::start().await;
    let stream = hub
        .create_stream(
            json!({"name": "labelled indicators", "started": true, "filters": {
        "mode": "and", "filterGroups": [], "filters": [
            {"key": ["entity_type"], "values": ["Indicator"], "operator": "eq", "mode": "or"},
            {"key": ["objectLabel"], "values": ["x"], "operator": "eq", "mode": "or"}]}}),
        )
        .await;
    let sid = stream["id"].as_str().unwrap().to_string();
    // (a) live: connected before anything exists.
    let live = hub.sse(&format!("/stream/{sid}"), &[]).await;
    let live_nodeps = hub
        .sse(&format!("/stream/{sid}?no-dependencies=true"), &[])
        .await;
    let author = json!({"type": "identity", "spec_version": "2.1", "id": AUTHOR, "name": "CERT",
        "identity_class": "organization", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"});
    let mut objects = vec![author];
    for n in 1..=100 {
        objects.push(indicator(n, if n % 2 == 0 { "x" } else { "y" }));
    }
    hub.import(&bundle(objects)).await;
    let live = collect(live, 51).await;
    let live_nodeps = collect(live_nodeps, 50).await;
    let now = stixhub::stix::format_ms(i64::try_from(stixhub::store::now_ms()).unwrap() + 1000);
    let replay = collect(hub.sse(&format!("/stream/{sid}?from=0"), &[]).await, 51).await;
    let recover = collect(
        hub.sse(&format!("/stream/{sid}?from=0&recover={now}"), &[])
            .await,
        51,
    )
    .await;
    let replay_nodeps = collect(
        hub.sse(&format!("/stream/{sid}?from=0&no-dependencies=true"), &[])
            .await,
        50,
    )
    .await;
    let recover_nodeps = collect(
        hub.sse(
            &format!("/stream/{sid}?from=0&recover={now}&no-dependencies=true"),
            &[],
        )
        .await,
        50,
    )
    .await;
    let with_deps = ids(&live);
    assert_eq!(
        with_deps.len(),
        51,
        "50 matching indicators and their author"
    );
    assert!(with_deps.contains(AUTHOR));
    assert_eq!(ids(&replay), with_deps, "replay = live");
    assert_eq!(ids(&recover), with_deps, "recover = live");
    let without = ids(&live_nodeps);
    assert_eq!(without.len(), 50);
    assert!(!without.contains(AUTHOR));
    assert_eq!(ids(&replay_nodeps), without);
    assert_eq!(ids(&recover_nodeps), without);
    // The snapshot's framing: the author first as a dependency, then creates marked init-create with
    // `<updated_at ms>-0` ids.
    let first = recover[0].json();
    assert_eq!(first["data"]["id"], AUTHOR);
    assert_eq!(first["origin"]["referer"], "init-dependencies");
    let second = recover[1].json();
    assert_eq!(
        (
            recover[1].event.as_str(),
            second["origin"]["referer"].as_str()
        ),
        ("create", Some("init-create"))
    );
    assert!(recover[1].id.as_deref().unwrap().ends_with("-0"));
    assert_eq!(recover.len(), 51, "each object once");
    hub.stop().await;
}

/// `recover` gives the current state: an object updated twice comes once, as it is now; one deleted within the
/// window does not come at all; then events after the recover point follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_serves_current_state_then_the_log() {
    let hub = Hub::start().await;
    let stream = hub
        .create_stream(json!({"name": "all", "started": true}))
        .await;
    let sid = stream["id"].as_str().unwrap().to_string();
    hub.import(&bundle(vec![indicator(1, "x"), indicator(2, "x")]))
        .await;
    let mut changed = indicator(1, "x");
    changed["modified"] = json!("2024-02-01T00:00:00.000Z");
    changed["name"] = json!("ioc 1, renamed");
    hub.import(&bundle(vec![changed])).await;
    let res = hub
        .client
        .delete(hub.url("/api/objects/indicator--12121212-0000-4000-8000-000000000002"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    // The recover point is a millisecond: keep every earlier write strictly before it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let recover_at = stixhub::stix::format_ms(i64::try_from(stixhub::store::now_ms()).unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;
    hub.import(&bundle(vec![indicator(3, "x")])).await;
    let frames = collect(
        hub.sse(&format!("/stream/{sid}?from=0&recover={recover_at}"), &[])
            .await,
        2,
    )
    .await;
    let seen: Vec<(String, String)> = frames
        .iter()
        .map(|f| {
            (
                f.event.clone(),
                f.json()["data"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("create".to_string(), "ioc 1, renamed".to_string()),
            ("create".to_string(), "ioc 3".to_string())
        ]
    );
    assert_eq!(frames[0].json()["origin"]["referer"], "init-create");
    assert!(
        frames[1]
            .json()
            .get("origin")
            .is_some_and(|o| o["referer"] != "init-create"),
        "ioc 3 comes from the log"
    );
    // Global log too.
    let frames = collect(
        hub.sse(&format!("/stream?from=0&recover={recover_at}"), &[])
            .await,
        2,
    )
    .await;
    let names: Vec<String> = frames
        .iter()
        .map(|f| f.json()["data"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["ioc 1, renamed", "ioc 3"]);
    hub.stop().await;
}

/// Whatever the recover point — an event id inside a batch that shares one millisecond, or a date — the
/// snapshot and the log after it give every object exactly once (pycti recovers at "now" to the second).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_at_any_point_gives_every_object_exactly_once() {
    let hub = Hub::start().await;
    for chunk in (1..=60u32).collect::<Vec<_>>().chunks(20) {
        hub.import(&bundle(chunk.iter().map(|n| indicator(*n, "x")).collect()))
            .await;
    }
    let log = collect(hub.sse("/stream?from=0", &[]).await, 60).await;
    assert_eq!(log.len(), 60);
    let mut points: Vec<String> = log
        .iter()
        .step_by(7)
        .map(|f| f.id.clone().unwrap())
        .collect();
    let ms = |id: &str| id.split('-').next().unwrap().parse::<i64>().unwrap();
    points.push(stixhub::stix::format_ms(ms(log[30].id.as_deref().unwrap())));
    points.push(stixhub::stix::format_ms(
        ms(log[59].id.as_deref().unwrap()) + 1,
    ));
    for point in points {
        let frames = collect(
            hub.sse(&format!("/stream?from=0&recover={point}"), &[])
                .await,
            60,
        )
        .await;
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for f in &frames {
            *seen
                .entry(f.json()["data"]["id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert_eq!(seen.len(), 60, "every object at recover={point}");
        assert!(
            seen.values().all(|n| *n == 1),
            "an object came twice at recover={point}: {seen:?}"
        );
    }
    hub.stop().await;
}

/// An object in the snapshot whose author was written after the recover point (MITRE's bundles put the
/// identity last, and pycti recovers at "now" to the second): the author goes first as a dependency, and the
/// log's event for that same state is not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_sends_a_dependency_written_after_the_point_once() {
    let hub = Hub::start().await;
    let stream = hub
        .create_stream(json!({"name": "indicators", "started": true,
            "filters": {"mode": "and", "filterGroups": [], "filters": [
                {"key": "entity_type", "values": ["Indicator"], "operator": "eq", "mode": "or"}]}}))
        .await;
    let sid = stream["id"].as_str().unwrap().to_string();
    hub.import(&bundle(vec![indicator(1, "x")])).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let recover_at = stixhub::stix::format_ms(i64::try_from(stixhub::store::now_ms()).unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;
    let author = json!({"type": "identity", "spec_version": "2.1", "id": AUTHOR, "name": "Author",
        "identity_class": "organization", "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z"});
    hub.import(&bundle(vec![author, indicator(2, "x")])).await;
    for path in [
        format!("/stream?from=0&recover={recover_at}"),
        format!("/stream/{sid}?from=0&recover={recover_at}"),
    ] {
        let frames = collect(hub.sse(&path, &[]).await, 3).await;
        let names: Vec<&str> = frames
            .iter()
            .map(|f| f.json())
            .collect::<Vec<_>>()
            .iter()
            .map(|j| match j["data"]["name"].as_str().unwrap() {
                "Author" => "Author",
                "ioc 1" => "ioc 1",
                "ioc 2" => "ioc 2",
                other => panic!("unexpected {other}"),
            })
            .collect();
        assert_eq!(names, ["Author", "ioc 1", "ioc 2"], "{path}");
    }
    hub.stop().await;
}

/// B03: with retention, the log keeps about `retention_events`; a reader whose position is older than what is
/// kept first gets the current state of everything that changed since its position (a snapshot), then the
/// kept log — every object arrives, and `connected` shows where the kept log starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b03_positions_older_than_the_kept_log_get_a_snapshot_first() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let hub = Hub::start_with(dir, |c| c.retention_events = 1000).await;
    let stream = hub
        .create_stream(json!({"name": "all", "started": true}))
        .await;
    let sid = stream["id"].as_str().unwrap().to_string();
    let batch = |from: u32| bundle((from..from + 1000).map(|n| indicator(n, "x")).collect());
    hub.import(&batch(1)).await;
    let first = collect(hub.sse(&format!("/stream/{sid}?from=0"), &[]).await, 1000).await;
    let cursor = first[9].id.clone().unwrap();
    for start in [1001, 2001, 3001, 4001] {
        hub.import(&batch(start)).await;
    }
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let connected = sse.next(Duration::from_secs(5)).await.unwrap().json();
    let kept = connected["streamSize"].as_u64().unwrap();
    assert!(
        (1000..=1100).contains(&kept),
        "the log holds retention + slack: {connected}"
    );
    let first_kept = crate::common::parse_id(connected["firstEventId"].as_str().unwrap());
    assert!(
        first_kept > crate::common::parse_id(&cursor),
        "the gap is visible: {connected}"
    );
    let frames = collect(
        hub.sse(&format!("/stream/{sid}?from={cursor}"), &[]).await,
        4990,
    )
    .await;
    assert_eq!(
        frames[0].json()["origin"]["referer"],
        "init-create",
        "a snapshot comes first"
    );
    let got = ids(&frames);
    for n in 11..=5000 {
        let id = format!("indicator--12121212-0000-4000-8000-{n:012}");
        assert!(got.contains(&id), "{id} was silently skipped");
    }
    hub.stop().await;
}
