//! TAXII 2.1: medallion's fixture scenarios as black-box tests of our server, POST + status, paging through
//! ATT&CK ICS, and the `/api/collections` management API.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::common::{bundle, read_json, shared, Hub, TOKEN};
use crate::taxii::{create_collection, eq_filter, taxii, Who, MEDIA};

fn ids_of(body: &Value) -> Vec<String> {
    body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The fixture's "High Value Indicator Collection", imported version by version in its `date_added` order.
async fn medallion_collection(hub: &Hub) -> Vec<Value> {
    let data = read_json(&shared("taxii/medallion/default_data.json"));
    let col = data["trustgroup1"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "91a7b528-80eb-42ed-a74d-c6fbd5a26116")
        .unwrap()
        .clone();
    let objects = col["objects"].as_array().unwrap().clone();
    let mut manifest = col["manifest"].as_array().unwrap().clone();
    manifest.sort_by(|a, b| a["date_added"].as_str().cmp(&b["date_added"].as_str()));
    for m in &manifest {
        let version = m["version"].as_str().unwrap();
        let obj = objects
            .iter()
            .find(|o| {
                o["id"] == m["id"]
                    && (o["modified"].as_str() == Some(version) || o.get("modified").is_none())
            })
            .unwrap();
        hub.import(&bundle(vec![obj.clone()])).await;
    }
    objects
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn medallion_fixture_scenarios() {
    let hub = Hub::start().await;
    let objects = medallion_collection(&hub).await;
    let c = create_collection(&hub, json!({"name": "High Value Indicator Collection"})).await;
    let col = format!("/taxii2/root/collections/{c}");
    let ind = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e";
    let distinct: HashSet<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    let hub = &hub;
    let get = |path: String| async move { taxii(hub, &path, Who::Admin).await };

    let (_, _, latest) = get(format!("{col}/objects/")).await;
    assert_eq!(
        latest["objects"].as_array().unwrap().len(),
        distinct.len(),
        "one (latest) version each"
    );
    let (_, _, one) = get(format!("{col}/objects/?match[id]={ind}")).await;
    assert_eq!(one["objects"][0]["modified"], "2017-01-27T13:49:53.935Z");
    let (_, _, all) = get(format!("{col}/objects/?match[id]={ind}&match[version]=all")).await;
    assert_eq!(all["objects"].as_array().unwrap().len(), 3);
    let (_, _, first) = get(format!("{col}/objects/{ind}/?match[version]=first")).await;
    assert_eq!(first["objects"][0]["modified"], "2016-11-03T12:30:59.000Z");
    let (_, _, at) = get(format!(
        "{col}/objects/{ind}/?match[version]=2016-12-25T12:30:59.444Z"
    ))
    .await;
    assert_eq!(at["objects"].as_array().unwrap().len(), 1);
    assert_eq!(at["objects"][0]["modified"], "2016-12-25T12:30:59.444Z");
    let (_, _, versions) = get(format!("{col}/objects/{ind}/versions/")).await;
    assert_eq!(
        versions["versions"],
        json!([
            "2016-11-03T12:30:59.000Z",
            "2016-12-25T12:30:59.444Z",
            "2017-01-27T13:49:53.935Z"
        ])
    );
    let (_, _, manifest) = get(format!("{col}/manifest/?match[version]=all")).await;
    assert_eq!(
        manifest["objects"].as_array().unwrap().len(),
        objects.len(),
        "every version of the fixture"
    );
    let (_, _, every) = get(format!("{col}/objects/?match[version]=all")).await;
    assert_eq!(
        ids_of(&every),
        manifest["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    );
    // medallion serves its malware version without `spec_version` as STIX 2.0; the hub upgrades what it
    // ingests to 2.1, so every version here is 2.1 and `match[spec_version]=2.0` finds nothing.
    let malware = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec";
    let (_, _, m) = get(format!("{col}/objects/{malware}/")).await;
    assert_eq!(
        (
            m["objects"][0]["modified"].as_str(),
            m["objects"][0]["spec_version"].as_str()
        ),
        (Some("2018-02-23T18:30:00.000Z"), Some("2.1"))
    );
    assert!(manifest["objects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["media_type"] == "application/stix+json;version=2.1"));
    let (_, _, v20) = get(format!("{col}/objects/?match[spec_version]=2.0")).await;
    assert_eq!(v20, json!({"more": false}));
    let (_, _, v21) = get(format!("{col}/objects/?match[spec_version]=2.0,2.1")).await;
    assert_eq!(ids_of(&v21).len(), distinct.len());
    let (_, _, types) = get(format!("{col}/objects/?match[type]=indicator")).await;
    let expected_indicators = distinct
        .iter()
        .filter(|i| i.starts_with("indicator--"))
        .count();
    assert_eq!(
        types["objects"].as_array().unwrap().len(),
        expected_indicators
    );
    let (status, _, missing) = get(format!(
        "{col}/objects/indicator--00000000-0000-4000-8000-00000000dead/"
    ))
    .await;
    assert_eq!(
        (status, missing["http_status"].as_str()),
        (404, Some("404"))
    );
    let (status, _, _) = taxii(hub, &format!("{col}/objects/"), Who::Anonymous).await;
    assert_eq!(
        status, 401,
        "a private collection is not readable anonymously"
    );
}

async fn post(hub: &Hub, path: &str, body: &Value, token: Option<&str>, ct: &str) -> (u16, Value) {
    let mut req = hub
        .client
        .post(hub.url(path))
        .header("Accept", MEDIA)
        .header("Content-Type", ct)
        .body(body.to_string());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_objects_then_read_back_with_a_status() {
    let hub = Hub::start().await;
    let writable = create_collection(
        &hub,
        json!({"name": "Inbox", "public": true, "can_write": true}),
    )
    .await;
    let read_only = create_collection(&hub, json!({"name": "Read only"})).await;
    let good = crate::common::indicator(1, "posted", "2024-01-01T00:00:00.000Z");
    let bad = json!({"type": "indicator", "id": "not-an-id"});
    let envelope = json!({"objects": [good, bad]});
    let path = format!("/taxii2/root/collections/{writable}/objects/");
    let (status, st) = post(&hub, &path, &envelope, Some(TOKEN), MEDIA).await;
    assert_eq!(status, 202, "{st}");
    assert_eq!(
        (st["status"].as_str(), st["total_count"].as_u64()),
        (Some("complete"), Some(2))
    );
    assert_eq!(
        (st["success_count"].as_u64(), st["failure_count"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(st["successes"][0]["id"], good["id"]);
    assert_eq!(st["failures"][0]["id"], "not-an-id");
    let status_path = format!("/taxii2/root/status/{}/", st["id"].as_str().unwrap());
    let (code, _, again) = taxii(&hub, &status_path, Who::Admin).await;
    assert_eq!((code, &again), (200, &st));
    assert_eq!(taxii(&hub, &status_path, Who::Anonymous).await.0, 401);
    let (_, _, back) = taxii(&hub, &path, Who::Anonymous).await;
    assert_eq!(
        back["objects"],
        json!([good]),
        "read back exactly as posted"
    );
    let (status, _) = post(&hub, &path, &envelope, None, MEDIA).await;
    assert_eq!(status, 401, "writing always needs credentials");
    let ro = format!("/taxii2/root/collections/{read_only}/objects/");
    assert_eq!(post(&hub, &ro, &envelope, Some(TOKEN), MEDIA).await.0, 403);
    assert_eq!(
        post(&hub, &path, &envelope, Some(TOKEN), "application/json")
            .await
            .0,
        415
    );
    let (status, err) = post(&hub, &path, &json!({"nope": 1}), Some(TOKEN), MEDIA).await;
    assert_eq!((status, err["http_status"].as_str()), (400, Some("400")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ics_pages_of_100_give_every_object_exactly_once() {
    let hub = Hub::start().await;
    let path = shared("stix21/mitre-attack/ics-attack-18.1.json");
    hub.import_file(&path).await;
    let expected: HashSet<String> = read_json(&path)["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    let c = create_collection(&hub, json!({"name": "ICS"})).await;
    let base = format!("/taxii2/root/collections/{c}/objects/?limit=100");
    let (mut seen, mut pages, mut next) = (Vec::new(), 0, None::<String>);
    loop {
        let path = next
            .as_ref()
            .map_or(base.clone(), |n| format!("{base}&next={n}"));
        let (status, _, body) = taxii(&hub, &path, Who::Admin).await;
        assert_eq!(status, 200);
        pages += 1;
        seen.extend(
            body["objects"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap().to_owned()),
        );
        next = body["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), expected.len(), "no object twice");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(pages, expected.len().div_ceil(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_are_managed_like_streams() {
    let hub = Hub::start().await;
    let api = |p: &str| hub.url(&format!("/api/collections{p}"));
    let res = hub
        .client
        .post(api(""))
        .json(&json!({"name": "x y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    for (body, needle) in [
        (
            json!({"name": "ok", "filters": eq_filter("x_made_up_key", &["1"])}),
            "x_made_up_key",
        ),
        (
            json!({"name": "ok", "max_marking": "TLP:AMBER"}),
            "max_marking",
        ),
        (json!({"name": "ok", "can_write": "yes"}), "can_write"),
        (json!({"name": "ok", "colour": 1}), "colour"),
        (json!({"description": "no name"}), "name"),
    ] {
        let res = hub
            .client
            .post(api(""))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains(needle), "{err}");
    }
    // Authorized groups must exist (93afd45): make one.
    let (status, made) = hub
        .post_json(
            "/api/groups",
            &json!({"name": "collection readers", "allowed_markings": ["TLP:GREEN"], "capabilities": ["read"]}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let group = made["id"].as_str().unwrap().to_owned();
    let group = group.as_str();
    let id = create_collection(&hub, json!({"name": "Managed", "filters": eq_filter("entity_type", &["Malware"]),
        "public": true, "max_marking": "TLP:GREEN", "authorized_groups": [group], "can_write": true})).await;
    let (status, got) = hub.get(&format!("/api/collections/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (got["max_marking"].as_str(), got["can_write"].as_bool()),
        (Some("TLP:GREEN"), Some(true))
    );
    assert_eq!(got["authorized_groups"], json!([group]));
    assert_eq!(
        got["url"],
        hub.url(&format!("/taxii2/root/collections/{id}/"))
    );
    let res = hub
        .client
        .patch(api(&format!("/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({"public": false, "name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (_, list) = hub.get("/api/collections").await;
    assert_eq!(
        (list[0]["name"].as_str(), list[0]["public"].as_bool()),
        (Some("Renamed"), Some(false))
    );
    let public: Value = hub
        .client
        .get(hub.url("/api/public/collections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public, json!([]));
    let res = hub
        .client
        .delete(api(&format!("/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(hub.get(&format!("/api/collections/{id}")).await.0, 404);
}

/// HTTP Basic on TAXII is throttled like logins: past the allowed failures, 429 with Retry-After (in the TAXII
/// error format), even with the right password, until the window passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_failures_are_throttled_with_429() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let hub = Hub::start_with(dir, |c| c.login_attempts = 3).await;
    for _ in 0..3 {
        let (status, _, _) = taxii(
            &hub,
            "/taxii2/root/collections/",
            Who::Basic("admin", "nope"),
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, headers, body) = taxii(
        &hub,
        "/taxii2/root/collections/",
        Who::Basic("admin", "test-password"),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(body["http_status"], "429");
    assert!(body["description"]
        .as_str()
        .unwrap()
        .contains("too many failed attempts"));
    // A token still works: the throttle is on passwords.
    assert_eq!(
        taxii(&hub, "/taxii2/root/collections/", Who::Admin).await.0,
        200
    );
    hub.stop().await;
}
