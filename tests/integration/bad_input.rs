//! Bad input: a clear 4xx with a reason, or a per-object rejection; nothing stored is lost; never a 500.

use std::io::{Read, Write};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, Hub, TOKEN};

async fn object_count(hub: &Hub) -> usize {
    hub.get("/api/objects?limit=1000").await.1["objects"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_400_with_a_reason() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![indicator(
        1,
        "kept",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let cases: [(&[u8], &str, &str); 6] = [
        (
            b"{\"type\": \"bundle\", \"objects\": [",
            "invalid_json",
            "invalid JSON",
        ),
        (b"", "invalid_json", "invalid JSON"),
        (b"\xff\xfe", "invalid_json", "invalid JSON"),
        (b"42", "not_a_bundle", "not a STIX bundle"),
        (
            b"{\"type\": \"campaign\", \"id\": \"campaign--00000000-0000-4000-8000-000000000001\"}",
            "not_a_bundle",
            "campaign",
        ),
        (
            b"{\"type\": \"bundle\", \"objects\": {}}",
            "not_a_bundle",
            "objects",
        ),
    ];
    for (body, code, needle) in cases {
        let (status, answer) = hub.post_bundle_bytes(body.to_vec()).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["code"], code);
        assert!(
            answer["error"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    assert_eq!(object_count(&hub).await, 1, "nothing stored was lost");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_objects_are_rejected_alone_with_index_id_and_reason() {
    let hub = Hub::start().await;
    let huge = "x".repeat(12 * 1024 * 1024);
    let objects = vec![
        indicator(1, "good one", "2024-01-01T00:00:00.000Z"),
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"}),
        json!({"type": "tool", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000003", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "t"}),
        json!({"type": "spaceship", "spec_version": "2.1", "id": "spaceship--00000000-0000-4000-8000-000000000004", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"}),
        json!("not an object"),
        json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000006", "created": "2024-01-01T00:00:00.000Z", "name": "no modified", "is_family": true}),
        json!({"type": "note", "spec_version": "2.1", "id": "note--00000000-0000-4000-8000-000000000007", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "content": huge, "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"]}),
        indicator(8, "good two", "2024-01-01T00:00:00.000Z"),
    ];
    let report = hub.import(&bundle(objects)).await;
    assert_eq!(counts(&report), [2, 0, 0, 0, 6], "{report}");
    let errors = report["errors"].as_array().unwrap();
    let idx: Vec<u64> = errors
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [1, 2, 3, 4, 5, 6]);
    assert_eq!(errors[0]["id"], "indicator--not-a-uuid");
    assert_eq!(
        errors[1]["id"],
        "malware--00000000-0000-4000-8000-000000000003"
    );
    assert!(
        errors[1]["error"]
            .as_str()
            .unwrap()
            .contains("does not match type"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2]["error"]
            .as_str()
            .unwrap()
            .contains("unknown object type 'spaceship'"),
        "{}",
        errors[2]
    );
    assert_eq!(errors[3]["id"], Value::Null);
    assert!(
        errors[4]["error"].as_str().unwrap().contains("'modified'"),
        "{}",
        errors[4]
    );
    assert!(
        errors[5]["error"]
            .as_str()
            .unwrap()
            .contains("over the limit"),
        "{}",
        errors[5]
    );
    assert_eq!(object_count(&hub).await, 2);
    hub.stop().await;
}

/// B40 (3): a body over the limit is refused from its declared length, before it is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413_before_reading() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![indicator(
        1,
        "kept",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let addr = hub.base.trim_start_matches("http://").to_owned();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    let declared = 100 * 1024 * 1024;
    write!(s, "POST /api/bundles HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n{{\"type\":").unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    assert_eq!(object_count(&hub).await, 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_bodies_over_the_limit_are_413() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let hub = Hub::start_with(dir, |c| c.max_body_bytes = 1024 * 1024).await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 100 * 1024])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let res = hub
        .client
        .post(hub.url("/api/bundles"))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await;
    if let Ok(res) = res {
        // The server may close the connection right after answering; when the answer arrives it is a 413.
        assert_eq!(res.status().as_u16(), 413);
    }
    // The hub is fine afterwards and under the limit works.
    let report = hub
        .import(&bundle(vec![indicator(
            1,
            "fits",
            "2024-01-01T00:00:00.000Z",
        )]))
        .await;
    assert_eq!(counts(&report)[0], 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_are_json_404() {
    let hub = Hub::start().await;
    let (status, body) = hub.get("/api/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    let (status, body) = hub
        .get("/api/objects/indicator--00000000-0000-4000-8000-000000000099")
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let res = hub
        .client
        .get(hub.url("/nothing/here"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    // The anonymous front page says nothing about the hub's content or activity.
    hub.import(&bundle(vec![indicator(
        1,
        "private detail",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let html = hub
        .client
        .get(hub.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("stixhub")
            && !html.contains("private detail")
            && !html.contains("Events in the log")
    );
    hub.stop().await;
}

/// Stream flags take true/false (1/0, yes/no, any case); another value is a 400 naming the flag, as a
/// position that is not one is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_flags_and_positions_are_validated() {
    let hub = Hub::start().await;
    let s = hub
        .create_stream(serde_json::json!({"name": "open", "public": true, "started": true}))
        .await;
    let sid = s["id"].as_str().unwrap();
    let get = |q: String| {
        hub.client
            .get(hub.url(&format!("/stream/{sid}?{q}")))
            .send()
    };
    for (q, says) in [
        (
            "listen-delete=maybe",
            "invalid value 'maybe' for listen-delete",
        ),
        ("no-dependencies=2", "invalid value '2' for no-dependencies"),
        (
            "with-inferences=sure",
            "invalid value 'sure' for with-inferences",
        ),
        ("from=garbage", "invalid stream position 'garbage'"),
        (
            "recover=2024-01-01T00:00:00Z",
            "recover requires a start position",
        ),
        ("from=0&recover=soon", "invalid recover value 'soon'"),
        ("from=9999999999999-5", "is in the future"),
    ] {
        let res = get(q.to_string()).await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{q}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{q}: {body}"
        );
    }
    for q in [
        "listen-delete=True",
        "no-dependencies=0",
        "listen-delete=",
        "with-inferences=false",
    ] {
        let res = get(q.to_string()).await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{q}");
    }
    // As headers too (pycti sends its flags as headers).
    let res = hub
        .client
        .get(hub.url(&format!("/stream/{sid}")))
        .header("listen-delete", "perhaps")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    hub.stop().await;
}

/// `/api/objects?after=` takes the `next` of a previous page; anything else is a 400, not page one again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_paging_cursor_is_validated() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![
        indicator(1, "one", "2024-01-01T00:00:00.000Z"),
        indicator(2, "two", "2024-01-01T00:00:00.000Z"),
    ]))
    .await;
    let (status, page) = hub.get("/api/objects?limit=1").await;
    assert_eq!(status, 200);
    let next = page["next"].as_str().unwrap().to_string();
    let (status, rest) = hub.get(&format!("/api/objects?limit=1&after={next}")).await;
    assert_eq!(status, 200);
    assert_ne!(rest["objects"][0]["id"], page["objects"][0]["id"]);
    let (status, first) = hub.get("/api/objects?limit=1&after=").await;
    assert_eq!(
        (status, &first),
        (200, &page),
        "an empty after is the first page"
    );
    let (status, err) = hub.get("/api/objects?after=garbage").await;
    assert_eq!(status, 400);
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("after must be a STIX id"),
        "{err}"
    );
    hub.stop().await;
}
