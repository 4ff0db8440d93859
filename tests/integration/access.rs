//! Users, groups and tokens through the API; the auth matrix; the one access decision seen through every
//! reading path (objects API, private streams, GraphQL).

use serde_json::{json, Value};

use crate::common::{Hub, TOKEN};

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

pub async fn call(
    hub: &Hub,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = hub.client.request(method.parse().unwrap(), hub.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Creates a group, a user in it and a token for that user (as admin); returns (group id, user id, token).
pub async fn user_with(
    hub: &Hub,
    name: &str,
    markings: &[&str],
    caps: &[&str],
) -> (String, String, String) {
    let (s, g) = call(hub, "POST", "/api/groups", Some(TOKEN),
        Some(json!({"name": format!("{name}-group"), "allowed_markings": markings, "capabilities": caps}))).await;
    assert_eq!(s, 201, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    let (s, u) = call(
        hub,
        "POST",
        "/api/users",
        Some(TOKEN),
        Some(json!({"name": name, "password": "a long enough password", "groups": [gid]})),
    )
    .await;
    assert_eq!(s, 201, "{u}");
    assert!(
        u.get("password").is_none() && !u.to_string().contains("a long enough"),
        "{u}"
    );
    let uid = u["id"].as_str().unwrap().to_string();
    let (s, t) = call(
        hub,
        "POST",
        "/api/tokens",
        Some(TOKEN),
        Some(json!({"name": format!("{name}-token"), "user_id": uid})),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    (gid, uid, t["token"].as_str().unwrap().to_string())
}

fn marked(id: &str, name: &str, markings: &[&str]) -> Value {
    json!({"type": "malware", "spec_version": "2.1", "id": id, "name": name, "is_family": true,
           "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
           "object_marking_refs": markings})
}

fn ladder_bundle() -> Value {
    json!({"type": "bundle", "id": "bundle--0f2b7a8e-3f59-4c2a-9d55-111111111111", "objects": [
        marked("malware--00000000-0000-4000-8000-000000000001", "unmarked", &[]),
        marked("malware--00000000-0000-4000-8000-000000000002", "clear", &[CLEAR]),
        marked("malware--00000000-0000-4000-8000-000000000003", "green", &[GREEN]),
        marked("malware--00000000-0000-4000-8000-000000000004", "amber", &[AMBER]),
        marked("malware--00000000-0000-4000-8000-000000000005", "red", &[RED]),
        marked("malware--00000000-0000-4000-8000-000000000006", "green+amber", &[GREEN, AMBER]),
        marked("malware--00000000-0000-4000-8000-000000000007", "unknown", &["marking-definition--00000000-0000-4000-8000-00000000dead"]),
    ]})
}

async fn visible_names(hub: &Hub, token: &str) -> Vec<String> {
    let (s, body) = call(hub, "GET", "/api/objects?type=malware", Some(token), None).await;
    assert_eq!(s, 200, "{body}");
    let mut names: Vec<String> = body["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tlp_ladder_decides_what_each_group_reads() {
    let hub = Hub::start().await;
    hub.import(&ladder_bundle()).await;
    let (_, _, green) = user_with(&hub, "partner", &["TLP:GREEN"], &["read"]).await;
    let (_, _, amber) = user_with(&hub, "analyst", &["TLP:AMBER"], &["read"]).await;
    let (_, _, bare) = user_with(&hub, "outsider", &[], &["read"]).await;
    assert_eq!(
        visible_names(&hub, &green).await,
        ["clear", "green", "unmarked"]
    );
    assert_eq!(
        visible_names(&hub, &amber).await,
        ["amber", "clear", "green", "green+amber", "unmarked"]
    );
    assert_eq!(visible_names(&hub, &bare).await, ["unmarked"]);
    assert_eq!(
        visible_names(&hub, TOKEN).await.len(),
        7,
        "admins see everything, unknown markings too"
    );
    // A hidden object answers 404 (its existence is not revealed).
    let (s, _) = call(
        &hub,
        "GET",
        "/api/objects/malware--00000000-0000-4000-8000-000000000004",
        Some(&green),
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &hub,
        "GET",
        "/api/objects/malware--00000000-0000-4000-8000-000000000003",
        Some(&green),
        None,
    )
    .await;
    assert_eq!(s, 200);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_streams_admit_authorized_groups_and_apply_their_markings() {
    let hub = Hub::start().await;
    hub.import(&ladder_bundle()).await;
    let (gid, _, partner) = user_with(&hub, "partner", &["TLP:GREEN"], &["read"]).await;
    let (_, _, other) = user_with(&hub, "other", &["TLP:RED"], &["read"]).await;
    let stream = hub.create_stream(json!({"name": "partners only", "started": true,
        "authorized_groups": [gid],
        "filters": {"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Malware"], "operator": "eq", "mode": "or"}], "filterGroups": []}})).await;
    let sid = stream["id"].as_str().unwrap();
    let path = format!("/stream/{sid}?from=0");
    let res = hub.client.get(hub.url(&path)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401, "no credentials");
    let res = hub
        .client
        .get(hub.url(&path))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        403,
        "a user outside the authorized groups"
    );
    let res = hub
        .client
        .get(hub.url(&path))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut sse = crate::common::Sse::new(res);
    // Everything the partner gets until the stream has caught up (the first heartbeat after the data).
    let mut names = Vec::new();
    while let Some(f) = sse.next(std::time::Duration::from_secs(10)).await {
        match f.event.as_str() {
            "connected" => {}
            "heartbeat" => break,
            _ => names.push(f.json()["data"]["name"].as_str().unwrap().to_string()),
        }
    }
    names.sort();
    assert_eq!(names, ["clear", "green", "unmarked"]);
    // GraphQL lists the private stream to the partner, not to the other user or anonymously.
    let q = json!({"query": "{ streamCollections(first: 50) { edges { node { id name } } } }"});
    for (token, expected) in [
        (Some(partner.as_str()), 1),
        (Some(other.as_str()), 0),
        (None, 0),
    ] {
        let (s, body) = call(&hub, "POST", "/graphql", token, Some(q.clone())).await;
        assert_eq!(s, 200);
        assert_eq!(
            body["data"]["streamCollections"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            expected,
            "{body}"
        );
    }
    hub.stop().await;
}

/// Every API route: no credentials → 401, a bad/expired/revoked token → 401, a token without the capability → 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_matrix_over_the_api() {
    let hub = Hub::start().await;
    let (_, uid, reader) = user_with(&hub, "reader", &["TLP:GREEN"], &["read"]).await;
    let (_, _, nothing) = user_with(&hub, "nocaps", &[], &[]).await;
    // An expired token (expires in one second) and a revoked one.
    let soon = chrono_like_in(1500);
    let (s, t) = call(
        &hub,
        "POST",
        "/api/tokens",
        Some(TOKEN),
        Some(json!({"name": "short", "user_id": uid, "expires_at": soon})),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let expired = t["token"].as_str().unwrap().to_string();
    let (s, t) = call(
        &hub,
        "POST",
        "/api/tokens",
        Some(TOKEN),
        Some(json!({"name": "revoked", "user_id": uid})),
    )
    .await;
    assert_eq!(s, 201);
    let revoked = t["token"].as_str().unwrap().to_string();
    let (s, _) = call(&hub, "GET", "/api/objects", Some(&revoked), None).await;
    assert_eq!(s, 200, "works before revocation");
    let (s, _) = call(
        &hub,
        "DELETE",
        &format!("/api/tokens/{}", t["id"].as_str().unwrap()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, 204);
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let some = "00000000-0000-4000-8000-000000000000";
    // (method, path, capability needed: "admin" | "share" | "import" | "read" | "any")
    let routes: Vec<(&str, String, &str)> = vec![
        ("POST", "/api/bundles".into(), "import"),
        ("GET", "/api/objects".into(), "read"),
        ("GET", "/api/objects/malware--x".into(), "read"),
        ("DELETE", "/api/objects/malware--x".into(), "import"),
        ("GET", "/api/streams".into(), "share"),
        ("POST", "/api/streams".into(), "share"),
        ("GET", format!("/api/streams/{some}"), "share"),
        ("PATCH", format!("/api/streams/{some}"), "share"),
        ("DELETE", format!("/api/streams/{some}"), "share"),
        ("POST", format!("/api/streams/{some}/start"), "share"),
        ("POST", format!("/api/streams/{some}/stop"), "share"),
        ("GET", "/api/collections".into(), "share"),
        ("POST", "/api/collections".into(), "share"),
        ("GET", format!("/api/collections/{some}"), "share"),
        ("PATCH", format!("/api/collections/{some}"), "share"),
        ("DELETE", format!("/api/collections/{some}"), "share"),
        ("GET", "/api/feeds".into(), "share"),
        ("POST", "/api/feeds".into(), "share"),
        ("GET", format!("/api/feeds/{some}"), "share"),
        ("PATCH", format!("/api/feeds/{some}"), "share"),
        ("DELETE", format!("/api/feeds/{some}"), "share"),
        ("GET", "/api/users".into(), "admin"),
        ("POST", "/api/users".into(), "admin"),
        ("GET", format!("/api/users/{some}"), "admin"),
        ("PATCH", format!("/api/users/{some}"), "admin"),
        ("DELETE", format!("/api/users/{some}"), "admin"),
        ("GET", "/api/groups".into(), "admin"),
        ("POST", "/api/groups".into(), "admin"),
        ("GET", format!("/api/groups/{some}"), "admin"),
        ("PATCH", format!("/api/groups/{some}"), "admin"),
        ("DELETE", format!("/api/groups/{some}"), "admin"),
        ("GET", "/api/tokens".into(), "any"),
        ("POST", "/api/tokens".into(), "any"),
        ("DELETE", format!("/api/tokens/{some}"), "any"),
        ("GET", "/stream".into(), "admin"),
    ];
    for (method, path, cap) in &routes {
        for (label, token) in [
            ("none", None),
            ("garbage", Some("not-a-token")),
            ("expired", Some(expired.as_str())),
            ("revoked", Some(revoked.as_str())),
        ] {
            let (s, body) = call(&hub, method, path, token, None).await;
            assert_eq!(s, 401, "{method} {path} with {label} credentials: {body}");
        }
        let (s, body) = call(&hub, method, path, Some(&nothing), None).await;
        let expected = if *cap == "any" { s } else { 403 };
        assert_eq!(s, expected, "{method} {path} without capability: {body}");
        if *cap != "read" && *cap != "any" {
            let (s, body) = call(&hub, method, path, Some(&reader), None).await;
            assert_eq!(s, 403, "{method} {path} with only 'read': {body}");
            assert!(body["error"].as_str().unwrap().contains(cap), "{body}");
        }
    }
    hub.stop().await;
}

/// An RFC 3339 date `ms` milliseconds from now.
fn chrono_like_in(ms: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    stixhub::stix::format_ms(i64::try_from(now + ms).unwrap())
}
