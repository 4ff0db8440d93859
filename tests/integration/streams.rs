//! Live streams: definitions, filtered logs, public streams under their marking ceiling, start/stop, /public.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, indicator, shared, Hub, Sse, TOKEN};

const WAIT: Duration = Duration::from_secs(10);
pub const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
pub const AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
pub const RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
pub const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

pub fn eq_filter(key: &str, values: &[&str]) -> Value {
    json!({"mode": "and", "filters": [{"key": [key], "values": values, "operator": "eq", "mode": "or"}], "filterGroups": []})
}

async fn post(hub: &Hub, path: &str) -> u16 {
    hub.client
        .post(hub.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Anonymous SSE reader (optionally with credentials that must be ignored).
pub async fn anon(hub: &Hub, path: &str, auth: Option<&str>) -> reqwest::Response {
    let mut req = hub.client.get(hub.url(path));
    if let Some(t) = auth {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_definitions_are_validated() {
    let hub = Hub::start().await;
    let bad = [
        (
            json!({"name": "x"}),
            "name must be a string of 2 to 200 characters",
        ),
        (
            json!({"name": "ok name", "filters": eq_filter("x_made_up_key", &["1"])}),
            "x_made_up_key",
        ),
        (
            json!({"name": "ok name", "public": true, "max_marking": "TLP:AMBER"}),
            "max_marking",
        ),
        (json!({"description": "no name"}), "name"),
        (json!({"name": "ok name", "colour": "blue"}), "colour"),
        (
            json!({"name": "ok name", "authorized_groups": ["nope"]}),
            "authorized_groups",
        ),
    ];
    for (body, needle) in bad {
        let res = hub
            .client
            .post(hub.url("/api/streams"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{body}");
        let answer: Value = res.json().await.unwrap();
        assert!(
            answer["error"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    let s = hub.create_stream(json!({"name": "Malware", "filters": eq_filter("entity_type", &["Malware"]).to_string()}),
    )
    .await;
    assert_eq!(s["public"], false);
    assert_eq!(s["started"], false);
    assert_eq!(s["max_marking"], "TLP:CLEAR");
    assert_eq!(s["filters"]["filters"][0]["key"], json!(["entity_type"]));
    let id = s["id"].as_str().unwrap();
    let (status, list) = hub.get("/api/streams").await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1));
    let res = hub
        .client
        .patch(hub.url(&format!("/api/streams/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({"description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["description"], "d");
    assert_eq!(
        hub.get("/api/streams/00000000-0000-4000-8000-000000000000")
            .await
            .0,
        404
    );
    assert_eq!(hub.get("/api/streams/not-a-uuid").await.0, 404);
    assert_eq!(
        hub.client
            .get(hub.url("/api/streams"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let res = hub
        .client
        .delete(hub.url(&format!("/api/streams/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(
        anon(&hub, &format!("/stream/{id}"), None)
            .await
            .status()
            .as_u16(),
        404
    );
    hub.stop().await;
}

/// B06 + B13: start is effective at once, stop answers 410 and closes open readers; updates are updates,
/// filter entries and exits are creates and deletes, deletes carry the object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_and_visibility_transitions() {
    let hub = Hub::start().await;
    let s = hub.create_stream(json!({"name": "Named x", "public": true,
        "filters": {"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Indicator"]}, {"key": ["name"], "values": ["x"]}], "filterGroups": []}})).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let stream = format!("/stream/{id}");
    assert_eq!(
        anon(&hub, &stream, None).await.status().as_u16(),
        410,
        "created stopped"
    );
    assert_eq!(post(&hub, &format!("/api/streams/{id}/start")).await, 200);
    let res = anon(&hub, &format!("{stream}?from=0"), None).await;
    assert_eq!(res.status().as_u16(), 200, "started at once");
    let mut sse = Sse::new(res);

    let v = |name: &str, modified: &str| indicator(1, name, modified);
    hub.import(&bundle(vec![v("x", "2024-01-01T00:00:00.000Z")]))
        .await; // create (in)
    let mut changed = v("x", "2024-01-02T00:00:00.000Z");
    changed["description"] = json!("changed");
    hub.import(&bundle(vec![changed])).await; // update (in → in)
    hub.import(&bundle(vec![v("y", "2024-01-03T00:00:00.000Z")]))
        .await; // leaves → delete
    hub.import(&bundle(vec![v("x", "2024-01-04T00:00:00.000Z")]))
        .await; // enters → create
    let del = hub
        .client
        .delete(hub.url("/api/objects/indicator--00000000-0000-4000-8000-000000000001"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    hub.import(&bundle(vec![indicator(
        2,
        "not x",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await; // never in
    let frames = sse.data_frames(6, Duration::from_secs(3)).await;
    let shape: Vec<(String, String)> = frames
        .iter()
        .map(|f| {
            (
                f.event.clone(),
                f.json()["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect = [
        ("create", "create"),
        ("update", "update"),
        ("delete", "update"),
        ("create", "update"),
        ("delete", "delete"),
    ];
    assert_eq!(shape, expect.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(
        frames[4].json()["data"]["pattern"],
        "[ipv4-addr:value = '203.0.113.7']"
    );

    // listen-delete=false drops deletes (and filter exits).
    let res = anon(&hub, &format!("{stream}?from=0&listen-delete=false"), None).await;
    let events: Vec<String> = Sse::new(res)
        .data_frames(6, Duration::from_secs(2))
        .await
        .into_iter()
        .map(|f| f.event)
        .collect();
    assert_eq!(events, ["create", "update", "create"]);

    // Stop: the open reader is closed within a second, new readers get 410.
    assert_eq!(post(&hub, &format!("/api/streams/{id}/stop")).await, 200);
    let closed = tokio::time::timeout(Duration::from_secs(1), async {
        while sse.next(WAIT).await.is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "reader still open a second after stop");
    assert_eq!(anon(&hub, &stream, None).await.status().as_u16(), 410);
    assert_eq!(post(&hub, &format!("/api/streams/{id}/start")).await, 200);
    assert_eq!(anon(&hub, &stream, None).await.status().as_u16(), 200);
    hub.stop().await;
}

/// B16 + spec §2.6: dependencies go out before the object that needs them, once per stream, with the
/// triggering event's id; the author and markings always, other references only when they pass the filter,
/// so an object excluded by the filter never leaks as a dependency. `no-dependencies=true` drops them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_first_once_and_never_past_the_filter() {
    let hub = Hub::start().await;
    let ind = hub.create_stream(json!({"name": "Indicators", "started": true, "filters": eq_filter("entity_type", &["Indicator"])})).await;
    let noip = hub.create_stream(json!({"name": "No IPv4", "started": true,
        "filters": {"mode": "and", "filters": [{"key": ["entity_type"], "values": ["IPv4-Addr"], "operator": "not_eq"}], "filterGroups": []}})).await;
    let ip = hub.create_stream(json!({"name": "IPv4", "started": true, "filters": eq_filter("entity_type", &["IPv4-Addr"])})).await;
    let author = json!({"type": "identity", "spec_version": "2.1", "id": "identity--00000000-0000-4000-8000-000000000004",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "ACME CERT", "identity_class": "organization"});
    let ipv4 = json!({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "198.51.100.5"});
    let mut indicator2 = indicator(2, "based on an address", "2024-01-01T00:00:00.000Z");
    indicator2["created_by_ref"] = json!("identity--00000000-0000-4000-8000-000000000004");
    let rel = json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000003",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "relationship_type": "based-on",
        "source_ref": "indicator--00000000-0000-4000-8000-000000000002", "target_ref": "ipv4-addr--00000000-0000-4000-8000-000000000001"});
    hub.import(&bundle(vec![author, ipv4, indicator2, rel]))
        .await;
    let mut indicator5 = indicator(5, "same author", "2024-01-01T00:00:00.000Z");
    indicator5["created_by_ref"] = json!("identity--00000000-0000-4000-8000-000000000004");
    hub.import(&bundle(vec![indicator5])).await;

    let read = |s: &Value, extra: &str| {
        let path = format!("/stream/{}?from=0{extra}", s["id"].as_str().unwrap());
        let hub = &hub;
        async move {
            let mut sse = hub.sse(&path, &[]).await;
            sse.data_frames(10, Duration::from_secs(2)).await
        }
    };
    let ids = |frames: &[crate::common::Frame]| -> Vec<String> {
        frames
            .iter()
            .map(|f| {
                f.json()["data"]["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('-')
                    .next()
                    .unwrap()
                    .trim_start_matches('0')
                    .to_owned()
            })
            .collect()
    };
    let frames = read(&ind, "").await;
    assert_eq!(
        ids(&frames),
        ["4", "2", "5"],
        "the author before the first indicator, once"
    );
    let dep = frames[0].json();
    assert_eq!(dep["origin"]["referer"], "init-dependencies");
    assert!(dep.get("type").is_none() && dep.get("event_id").is_none());
    assert_eq!(frames[0].event, "create");
    assert_eq!(
        frames[0].id, frames[1].id,
        "a dependency carries its trigger's id"
    );
    assert_eq!(ids(&read(&ind, "&no-dependencies=true").await), ["2", "5"]);
    assert_eq!(
        ids(&read(&noip, "").await),
        ["4", "2", "3", "5"],
        "the address is never sent, not even as a dependency"
    );
    assert_eq!(ids(&read(&ip, "").await), ["1"]);
    hub.stop().await;
}

/// A stream created after the knowledge arrived (the README's order) serves the matching history from
/// `from=0`; changing its filter rewrites its log, so nothing the new filter excludes stays readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_get_history_and_a_new_filter_rewrites_the_log() {
    let hub = Hub::start().await;
    hub.import_file(&shared("stix21/mitre-attack/ics-attack-18.1.json"))
        .await;
    hub.import(&bundle(vec![indicator(
        1,
        "INTERNAL-ONLY",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let s = hub
        .create_stream(json!({"name": "Everything", "started": true}))
        .await;
    let path = format!("/stream/{}?from=0", s["id"].as_str().unwrap());
    let mut sse = hub.sse(&path, &[]).await;
    // 1,827 objects, plus MITRE's marking and identity once more: they are placed last in the bundle, so they
    // first go out as dependencies of the first object, then as themselves (an event's main element is always
    // sent).
    assert_eq!(
        sse.data_frames(1830, Duration::from_secs(5)).await.len(),
        1829
    );
    let res = hub
        .client
        .patch(hub.url(&format!("/api/streams/{}", s["id"].as_str().unwrap())))
        .bearer_auth(TOKEN)
        .json(&json!({"public": true, "filters": eq_filter("entity_type", &["Malware"])}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let frames = Sse::new(anon(&hub, &path, None).await)
        .data_frames(40, Duration::from_secs(3))
        .await;
    assert_eq!(frames.len(), 32, "marking + identity + 30 malware");
    assert!(frames
        .iter()
        .all(|f| f.json()["data"]["name"] != "INTERNAL-ONLY"));
    hub.stop().await;
}
