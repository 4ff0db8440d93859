//! Live streams: definitions, filtered logs, public streams under their marking ceiling, start/stop, /public.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, shared, Hub, Sse, TOKEN};

const WAIT: Duration = Duration::from_secs(10);
const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
const RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

fn eq_filter(key: &str, values: &[&str]) -> Value {
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
async fn anon(hub: &Hub, path: &str, auth: Option<&str>) -> reqwest::Response {
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

/// A public stream is read anonymously, ignores credentials (B20), applies its filter to real data, and never
/// carries more than its marking ceiling, whatever the filter says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_stream_applies_filter_and_marking_ceiling() {
    let hub = Hub::start().await;
    let malware = hub
        .create_stream(
            json!({"name": "ICS malware", "public": true, "started": true,
        "filters": eq_filter("entity_type", &["Malware"])}),
        )
        .await;
    let indicators = hub
        .create_stream(
            json!({"name": "Indicators", "public": true, "started": true,
        "filters": eq_filter("entity_type", &["Indicator"])}),
        )
        .await;
    let green = hub
        .create_stream(
            json!({"name": "Indicators up to green", "public": true, "started": true,
        "max_marking": "TLP:GREEN", "filters": eq_filter("entity_type", &["Indicator"])}),
        )
        .await;
    let report = hub
        .import_file(&shared("stix21/mitre-attack/ics-attack-18.1.json"))
        .await;
    assert_eq!(counts(&report)[0], 1826);
    let marked = |n: u32, m: Option<&str>| {
        let mut i = indicator(
            n,
            &format!("marked {}", m.unwrap_or("none")),
            "2024-01-01T00:00:00.000Z",
        );
        if let Some(m) = m {
            i["object_marking_refs"] = json!([m]);
        }
        i
    };
    hub.import(&bundle(vec![
        marked(1, None),
        marked(2, Some(CLEAR)),
        marked(3, Some(GREEN)),
        marked(4, Some(AMBER)),
        marked(5, Some(RED)),
    ]))
    .await;

    let path = |s: &Value| format!("/stream/{}?from=0", s["id"].as_str().unwrap());
    let res = anon(&hub, &path(&malware), Some("wrong-token-is-ignored")).await;
    assert_eq!(res.status().as_u16(), 200);
    let frames = Sse::new(res).data_frames(33, Duration::from_secs(3)).await;
    // MITRE's marking (a statement) and identity come last in the bundle, yet go out first, as dependencies of
    // the first malware; then the 30 malware and nothing else.
    assert_eq!(frames.len(), 32);
    let types: Vec<String> = frames
        .iter()
        .map(|f| f.json()["data"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(&types[..3], ["marking-definition", "identity", "malware"]);
    assert!(types[2..].iter().all(|t| t == "malware"));
    assert_eq!(frames[0].json()["origin"]["referer"], "init-dependencies");
    // Anonymous readers learn which account acted only as an id (OpenCTI's `user_id`), never a login name.
    let origin = &frames[2].json()["origin"];
    assert!(origin.get("user").is_none(), "{origin}");
    assert!(uuid::Uuid::parse_str(origin["user_id"].as_str().unwrap()).is_ok());
    assert!(!frames.iter().any(|f| f.data.contains("\"admin\"")));
    // The connected frame describes this stream's log (30 events), not the hub's whole activity.
    let mut again = Sse::new(anon(&hub, &path(&malware), None).await);
    let connected = again.next(WAIT).await.unwrap();
    assert_eq!(connected.event, "connected");
    assert_eq!(connected.json()["streamSize"], 30);
    assert_eq!(
        connected.json()["lastEventId"],
        frames[31].id.clone().unwrap().as_str()
    );
    assert_eq!(frames[0].id, frames[2].id);
    assert!(frames.iter().all(|f| f.event == "create"));

    let names = |frames: &[crate::common::Frame]| -> Vec<String> {
        frames
            .iter()
            .map(|f| f.json()["data"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let frames = Sse::new(anon(&hub, &path(&indicators), None).await)
        .data_frames(5, Duration::from_secs(3))
        .await;
    assert_eq!(
        names(&frames),
        ["marked none", format!("marked {CLEAR}").as_str()]
    );
    let frames = Sse::new(anon(&hub, &path(&green), None).await)
        .data_frames(5, Duration::from_secs(3))
        .await;
    assert_eq!(
        names(&frames),
        [
            "marked none",
            format!("marked {CLEAR}").as_str(),
            format!("marked {GREEN}").as_str()
        ]
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

/// Behind a proxy the hub shows the URLs users reach it at (`public_url`), whatever Host or X-Forwarded-Host
/// a request sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_public_url_is_used_in_every_shown_url() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let hub = Hub::start_with(dir, |c| {
        c.public_url = Some("https://cti.example.org/hub".into());
    })
    .await;
    let s = hub
        .create_stream(json!({"name": "open", "public": true, "started": true}))
        .await;
    let sid = s["id"].as_str().unwrap();
    let listed: Value = hub
        .client
        .get(hub.url("/api/public/streams"))
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed[0]["url"],
        format!("https://cti.example.org/hub/stream/{sid}"),
        "{listed}"
    );
    let page = hub
        .client
        .get(hub.url("/public"))
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("https://cti.example.org/hub/stream/{sid}")));
    assert!(!page.contains("evil.example"));
    hub.stop().await;
}

/// B21: only public streams appear on /public and /api/public/streams; private ones need a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_listing_shows_only_public_streams() {
    let hub = Hub::start().await;
    let public = hub.create_stream(json!({"name": "Open feed – ünïcode", "public": true, "started": true, "description": "for everyone",
        "filters": eq_filter("entity_type", &["Malware", "Tool"])})).await;
    let private = hub
        .create_stream(json!({"name": "Secret partners feed", "started": true}))
        .await;
    let list: Value = hub
        .client
        .get(hub.url("/api/public/streams"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "Open feed – ünïcode");
    assert_eq!(
        list[0]["url"],
        format!("{}/stream/{}", hub.base, public["id"].as_str().unwrap())
    );
    let res = hub.client.get(hub.url("/public")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Open feed – ünïcode")
            && html.contains("for everyone")
            && html.contains("started")
    );
    assert!(html.contains(&format!("/stream/{}", public["id"].as_str().unwrap())));
    assert!(!html.contains("Secret partners feed"));
    assert!(!html.contains("<script>"), "no inline script");
    let private_path = format!("/stream/{}", private["id"].as_str().unwrap());
    assert_eq!(anon(&hub, &private_path, None).await.status().as_u16(), 401);
    assert_eq!(
        anon(&hub, &private_path, Some("wrong"))
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        anon(&hub, &private_path, Some(TOKEN))
            .await
            .status()
            .as_u16(),
        200
    );
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

/// A public reader never learns more than its ceiling through an update: an object that becomes visible
/// arrives as a `create` without the previous (AMBER) version in `context`; one that becomes AMBER leaves as a
/// `delete` carrying the version the reader had; a marking field that is not a list, granular markings and
/// relationships to hidden objects are held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_readers_never_see_past_the_ceiling_through_updates_or_references() {
    let hub = Hub::start().await;
    let s = hub
        .create_stream(json!({"name": "Public", "public": true, "started": true}))
        .await;
    let marked = |n: u32, name: &str, modified: &str, marking: Value| {
        let mut i = indicator(n, name, modified);
        i["object_marking_refs"] = marking;
        i
    };
    hub.import(&bundle(vec![marked(
        1,
        "SECRET-AMBER",
        "2024-01-01T00:00:00.000Z",
        json!([AMBER]),
    )]))
    .await;
    hub.import(&bundle(vec![marked(
        1,
        "now clear",
        "2024-01-02T00:00:00.000Z",
        json!([CLEAR]),
    )]))
    .await;
    hub.import(&bundle(vec![marked(
        2,
        "clear first",
        "2024-01-01T00:00:00.000Z",
        json!([CLEAR]),
    )]))
    .await;
    hub.import(&bundle(vec![marked(
        2,
        "SECRET-LATER",
        "2024-01-02T00:00:00.000Z",
        json!([AMBER]),
    )]))
    .await;
    hub.import(&bundle(vec![marked(
        3,
        "SECRET-STRING",
        "2024-01-01T00:00:00.000Z",
        json!(AMBER),
    )]))
    .await;
    let mut granular = marked(
        4,
        "SECRET-GRANULAR",
        "2024-01-01T00:00:00.000Z",
        json!([CLEAR]),
    );
    granular["granular_markings"] = json!([{"marking_ref": AMBER, "selectors": ["description"]}]);
    hub.import(&bundle(vec![granular])).await;
    let rel = json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--00000000-0000-4000-8000-000000000009",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "relationship_type": "related-to",
        "source_ref": "indicator--00000000-0000-4000-8000-000000000001", "target_ref": "indicator--00000000-0000-4000-8000-000000000002"});
    hub.import(&bundle(vec![rel])).await;

    let res = anon(
        &hub,
        &format!("/stream/{}?from=0", s["id"].as_str().unwrap()),
        None,
    )
    .await;
    let frames = Sse::new(res).data_frames(20, Duration::from_secs(3)).await;
    let raw: String = frames.iter().map(|f| f.data.clone()).collect();
    assert!(
        !raw.contains("SECRET"),
        "nothing past the ceiling, in data or context: {raw}"
    );
    let shape: Vec<(String, String)> = frames
        .iter()
        .map(|f| {
            (
                f.event.clone(),
                f.json()["data"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expect = [
        ("create", "now clear"),
        ("create", "clear first"),
        ("delete", "clear first"),
    ];
    assert_eq!(shape, expect.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert!(frames[0].json().get("context").is_none());
    hub.stop().await;
}
