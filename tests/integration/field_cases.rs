//! Field cases from ../shared/field-cases.md as they apply to knowledge and the global stream.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, parse_id, Hub};

const WAIT: Duration = Duration::from_secs(10);

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// B37: timestamps of any valid precision are accepted and compared exactly; offsets and invalid dates are
/// rejected per object; a change limited to a date field is an update.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b37_timestamp_precision_and_formats() {
    let hub = Hub::start().await;
    let base = indicator(1, "ts", "2024-01-01T00:00:00.000Z");
    let objects = vec![
        with(
            indicator(1, "ten digits", "2024-01-01T00:00:00.000Z"),
            "created",
            json!("2023-11-12T14:16:48.1699798608Z"),
        ),
        indicator(2, "no fraction", "2024-01-01T00:00:00Z"),
        with(
            indicator(3, "micro valid_from", "2024-01-01T00:00:00.000Z"),
            "valid_from",
            json!("2024-01-01T00:00:00.123456Z"),
        ),
        with(
            indicator(4, "offset", "2024-01-01T00:00:00.000Z"),
            "created",
            json!("2024-01-01T00:00:00+02:00"),
        ),
        with(
            indicator(5, "bad month", "2024-01-01T00:00:00.000Z"),
            "created",
            json!("2024-13-01T00:00:00.000Z"),
        ),
    ];
    let report = hub.import(&bundle(objects)).await;
    assert_eq!(counts(&report), [3, 0, 0, 0, 2], "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors[0]["index"], 3);
    assert!(
        errors[0]["error"].as_str().unwrap().contains("UTC"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[1]["index"], 4);
    assert!(
        errors[1]["error"].as_str().unwrap().contains("month"),
        "{}",
        errors[1]
    );
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("no millisecond precision"), "{warnings}");
    // Stored without losing precision.
    let (_, stored) = hub
        .get("/api/objects/indicator--00000000-0000-4000-8000-000000000001")
        .await;
    assert_eq!(stored["created"], "2023-11-12T14:16:48.1699798608Z");

    // Same modified, only valid_until differs → update.
    let v1 = with(
        base.clone(),
        "valid_until",
        json!("2025-01-01T00:00:00.000Z"),
    );
    let v2 = with(
        base.clone(),
        "valid_until",
        json!("2026-01-01T00:00:00.000Z"),
    );
    let r1 = hub.import(&bundle(vec![v1])).await;
    assert_eq!(counts(&r1), [0, 1, 0, 0, 0]);
    let r2 = hub.import(&bundle(vec![v2])).await;
    assert_eq!(counts(&r2), [0, 1, 0, 0, 0]);
    // Two versions 1 µs apart are distinct; the newest wins.
    let newer = with(
        indicator(1, "newer", "2024-06-01T00:00:00.000001Z"),
        "created",
        json!("2023-11-12T14:16:48.1699798608Z"),
    );
    let older = with(
        indicator(1, "older", "2024-06-01T00:00:00Z"),
        "created",
        json!("2023-11-12T14:16:48.1699798608Z"),
    );
    assert_eq!(
        counts(&hub.import(&bundle(vec![newer])).await),
        [0, 1, 0, 0, 0]
    );
    assert_eq!(
        counts(&hub.import(&bundle(vec![older])).await),
        [0, 0, 0, 1, 0]
    );
    let (_, stored) = hub
        .get("/api/objects/indicator--00000000-0000-4000-8000-000000000001")
        .await;
    assert_eq!(stored["name"], "newer");
    hub.stop().await;
}

/// B38: `spec_version` on bundles and objects is handled per object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b38_spec_version_per_object() {
    let hub = Hub::start().await;
    // (1) a bundle-level spec_version (a 2.0 property) on a 2.1 bundle: imported with a warning.
    let mut b1 = bundle(vec![indicator(2, "two", "2024-01-01T00:00:00.000Z")]);
    b1["spec_version"] = json!("2.1");
    let r1 = hub.import(&b1).await;
    assert_eq!(counts(&r1), [1, 0, 0, 0, 0]);
    assert!(
        r1["warnings"]
            .to_string()
            .contains("bundle-level spec_version"),
        "{r1}"
    );
    // (2) a 2.1 bundle mixing a 2.1 object and a 2.0 one (no spec_version, 2.0 labels): the 2.0 one is upgraded.
    let mut legacy = indicator(4, "legacy", "2024-01-01T00:00:00.000Z");
    legacy.as_object_mut().unwrap().remove("spec_version");
    legacy["labels"] = json!(["malicious-activity"]);
    let r2 = hub
        .import(&bundle(vec![
            indicator(3, "three", "2024-01-01T00:00:00.000Z"),
            legacy,
        ]))
        .await;
    assert_eq!(counts(&r2), [2, 0, 0, 0, 0], "{r2}");
    let (_, up) = hub
        .get("/api/objects/indicator--00000000-0000-4000-8000-000000000004")
        .await;
    assert_eq!(up["spec_version"], "2.1");
    assert_eq!(up["indicator_types"], json!(["malicious-activity"]));
    assert!(up.get("labels").is_none());
    // (3) an unsupported spec_version is rejected alone.
    let r3 = hub
        .import(&bundle(vec![
            with(
                indicator(5, "future", "2024-01-01T00:00:00.000Z"),
                "spec_version",
                json!("2.2"),
            ),
            indicator(6, "ok", "2024-01-01T00:00:00.000Z"),
        ]))
        .await;
    assert_eq!(counts(&r3), [1, 0, 0, 0, 1]);
    assert!(r3["errors"][0]["error"].as_str().unwrap().contains("2.2"));
    hub.stop().await;
}

/// B02 as it applies to the global stream: every id a consumer sees (events and heartbeats) is a valid,
/// monotonic checkpoint: resuming from any of them yields exactly what came after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b02_checkpoints_are_monotonic_and_resumable() {
    let hub = Hub::start().await;
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let mut checkpoints: Vec<(String, usize)> = Vec::new(); // (id, events seen so far)
    let mut seen = 0usize;
    for round in 0..5u32 {
        let objs = (0..20)
            .map(|i| indicator(round * 100 + i, "x", "2024-01-01T00:00:00.000Z"))
            .collect();
        hub.import(&bundle(objs)).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        // Read this round's 20 events and at least one heartbeat after them.
        let mut got = 0;
        loop {
            let f = sse
                .next(deadline - tokio::time::Instant::now())
                .await
                .expect("stream ended");
            match f.event.as_str() {
                "connected" => {}
                "heartbeat" => {
                    checkpoints.push((f.id.unwrap(), seen));
                    if got == 20 {
                        break;
                    }
                }
                _ => {
                    got += 1;
                    seen += 1;
                    checkpoints.push((f.id.unwrap(), seen));
                }
            }
        }
    }
    let ids: Vec<(u64, u64)> = checkpoints.iter().map(|(id, _)| parse_id(id)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] <= w[1]),
        "checkpoints never go back: {ids:?}"
    );
    for (id, before) in checkpoints.iter().step_by(7) {
        let mut r = hub.sse("/stream", &[("Last-Event-ID", id)]).await;
        let rest = r.data_frames(100 - before, WAIT).await;
        assert_eq!(rest.len(), 100 - before, "resume from {id}");
        assert!(
            r.data_frames(1, Duration::from_millis(400))
                .await
                .is_empty(),
            "no duplicate after resuming from {id}"
        );
    }
    hub.stop().await;
}

/// B11: a consumer with a persisted position misses nothing written while the hub (re)starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b11_writes_during_startup_reach_a_resuming_consumer() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![indicator(
        1,
        "before",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let first = sse.data_frames(1, WAIT).await;
    let position = first[0].id.clone().unwrap();
    drop(sse);
    let dir = hub.stop().await;
    let hub = Hub::start_with(dir, |_| {}).await;
    // Write right away, and reconnect the consumer half-way through the writes.
    let mut consumer = None;
    for i in 0..30u32 {
        hub.import(&bundle(vec![indicator(
            100 + i,
            "during startup",
            "2024-01-01T00:00:00.000Z",
        )]))
        .await;
        if i == 10 {
            consumer = Some(hub.sse("/stream", &[("Last-Event-ID", &position)]).await);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut consumer = consumer.unwrap();
    let got = consumer.data_frames(30, WAIT).await;
    let names: Vec<u64> = got
        .iter()
        .map(|f| {
            f.json()["data"]["id"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        (100..130).collect::<Vec<u64>>(),
        "each exactly once, in order"
    );
    assert!(consumer
        .data_frames(1, Duration::from_millis(500))
        .await
        .is_empty());
    hub.stop().await;
}
