//! Stream, collection and feed definitions: size limits, strict fields, and every refusal a JSON 4xx that
//! names the problem.

use serde_json::{json, Value};

use crate::common::{Hub, TOKEN};

async fn send(hub: &Hub, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
    let res = hub
        .client
        .request(method, hub.url(path))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn stream_with(filter: Value) -> Value {
    json!({"name": "limits", "filters": {"mode": "and", "filters": [filter], "filterGroups": []}})
}

/// Asserts a 400 `bad_request` whose message contains every needle.
fn refused(answer: &(u16, Value), needles: &[&str]) {
    let (status, body) = answer;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["code"], "bad_request", "{body}");
    let message = body["error"].as_str().unwrap();
    for needle in needles {
        assert!(message.contains(needle), "{message} lacks {needle}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_filters_and_non_date_comparisons_are_400() {
    let hub = Hub::start().await;
    let post = reqwest::Method::POST;
    let many: Vec<String> = (0..20_000).map(|i| format!("v{i}")).collect();
    let answer = send(
        &hub,
        post.clone(),
        "/api/streams",
        &stream_with(json!({"key": ["name"], "operator": "contains", "values": many})),
    )
    .await;
    refused(&answer, &["20000 values", "limit of 500 values per filter"]);
    let long = "x".repeat(1001);
    let answer = send(
        &hub,
        post.clone(),
        "/api/streams",
        &stream_with(json!({"key": ["name"], "values": [long]})),
    )
    .await;
    refused(&answer, &["1001 characters", "limit of 1000"]);
    let mut deep = json!({"filters": [{"key": ["name"], "values": ["x"]}]});
    for _ in 0..5 {
        deep = json!({"filterGroups": [deep]});
    }
    let answer = send(
        &hub,
        post.clone(),
        "/api/streams",
        &json!({"name": "deep", "filters": deep}),
    )
    .await;
    refused(&answer, &["nested too deeply (max 5 levels)"]);
    let answer = send(
        &hub,
        post.clone(),
        "/api/streams",
        &stream_with(json!({"key": ["created"], "operator": "gt", "values": ["yesterday"]})),
    )
    .await;
    refused(
        &answer,
        &["value 'yesterday'", "date key 'created'", "not a date"],
    );
    // The same rules hold for collections and feeds.
    let answer = send(
        &hub,
        post.clone(),
        "/api/collections",
        &stream_with(json!({"key": ["modified"], "operator": "lte", "values": ["soon"]})),
    )
    .await;
    refused(&answer, &["value 'soon'", "date key 'modified'"]);
    // Within the limits: created.
    let ok: Vec<String> = (0..500).map(|i| format!("v{i}")).collect();
    let (status, body) = send(
        &hub,
        post,
        "/api/streams",
        &json!({"name": "fine", "filters": {"filters": [
            {"key": ["name"], "operator": "contains", "values": ok},
            {"key": ["created"], "operator": "gte", "values": ["2024-01-01T00:00:00Z"]}]}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    hub.stop().await;
}

/// Read-only fields (`id`, `created_at`, `url`, a synchronizer's `status`) and unknown fields are a 400 naming
/// the field, on create and on patch; nothing is changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_unknown_fields_are_400_naming_the_field() {
    let hub = Hub::start().await;
    let post = reqwest::Method::POST;
    let patch = reqwest::Method::PATCH;
    let mut made = Vec::new();
    for (path, body) in [
        ("/api/streams", json!({"name": "s1"})),
        ("/api/collections", json!({"name": "c1"})),
        ("/api/feeds", json!({"name": "f1", "columns": ["name"]})),
        (
            "/api/synchronizers",
            json!({"name": "y1", "url": "https://octi.example.org", "stream_id": "abc"}),
        ),
    ] {
        let (status, created) = send(&hub, post.clone(), path, &body).await;
        assert_eq!(status, 201, "{path}: {created}");
        made.push((path, body, created));
    }
    for (path, body, created) in &made {
        let id = created["id"].as_str().unwrap();
        let one = format!("{path}/{id}");
        let mut read_only = vec!["id", "created_at"];
        match *path {
            "/api/collections" | "/api/feeds" => read_only.push("url"),
            "/api/synchronizers" => read_only.push("status"),
            _ => {}
        }
        for field in read_only {
            let answer = send(&hub, patch.clone(), &one, &json!({ field: "other" })).await;
            refused(&answer, &[&format!("field '{field}' is read-only")]);
            let mut create = body.clone();
            create[field] = json!("other");
            let answer = send(&hub, post.clone(), path, &create).await;
            refused(&answer, &[&format!("field '{field}' is read-only")]);
        }
        let answer = send(
            &hub,
            patch.clone(),
            &one,
            &json!({"name": "renamed", "nmae": "x"}),
        )
        .await;
        refused(&answer, &["unknown field 'nmae'"]);
        let (status, now) = hub.get(&one).await;
        assert_eq!(status, 200);
        assert_eq!(&now, created, "{one} is unchanged");
    }
    hub.stop().await;
}

/// A CSV feed's time window is at most 100 years; past it (or too long for any integer) a 400 naming the limit;
/// the longest window serves its CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_time_windows_are_capped_at_100_years() {
    let hub = Hub::start().await;
    let feed =
        |window: Value| json!({"name": "windowed", "columns": ["name"], "time_window": window});
    for window in [
        json!("99999999999999d"),
        json!("99999999999999999999999999d"),
        json!("36526d"),
        json!(3_155_760_001_u64),
        json!(u64::MAX),
    ] {
        let answer = send(
            &hub,
            reqwest::Method::POST,
            "/api/feeds",
            &feed(window.clone()),
        )
        .await;
        refused(
            &answer,
            &["time_window must be at most 100 years", &window.to_string()],
        );
    }
    // A multi-byte last character is a bad unit, not a crash; a sign is not a number.
    for window in [
        json!("7é"),
        json!("é"),
        json!("+7d"),
        json!("-7d"),
        json!("d"),
    ] {
        let answer = send(
            &hub,
            reqwest::Method::POST,
            "/api/feeds",
            &feed(window.clone()),
        )
        .await;
        refused(
            &answer,
            &["time_window must be null, a number of seconds or a duration"],
        );
    }
    for (window, shown) in [
        (json!("36525d"), "36525d"),
        (json!(3_155_760_000_u64), "36525d"),
    ] {
        let (status, created) =
            send(&hub, reqwest::Method::POST, "/api/feeds", &feed(window)).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["time_window"], shown);
        let id = created["id"].as_str().unwrap();
        let csv = hub
            .client
            .get(hub.url(&format!("/feeds/{id}")))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status().as_u16(), 200);
    }
    hub.stop().await;
}
