//! Public streams: anonymous readers, the marking ceiling, the /public listing and the URLs it shows.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{bundle, counts, indicator, shared, Hub, Sse, TOKEN};
use crate::streams::{anon, eq_filter, AMBER, CLEAR, GREEN, RED};

const WAIT: Duration = Duration::from_secs(10);

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

/// A hidden object's marking definitions do not go out as its dependencies: a TLP:CLEAR public stream never
/// emits the TLP:AMBER or TLP:RED definition (which would tell that something so marked was just added), and
/// the GREEN stream emits GREEN's but not AMBER's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_definitions_above_the_ceiling_are_never_sent() {
    let hub = Hub::start().await;
    let clear = hub
        .create_stream(
            json!({"name": "clear indicators", "public": true, "started": true,
            "filters": eq_filter("entity_type", &["Indicator"])}),
        )
        .await;
    let green = hub
        .create_stream(
            json!({"name": "green indicators", "public": true, "started": true,
            "max_marking": "TLP:GREEN", "filters": eq_filter("entity_type", &["Indicator"])}),
        )
        .await;
    let definition = |id: &str, level: &str| {
        json!({"type": "marking-definition", "spec_version": "2.1", "id": id, "definition_type": "tlp",
               "name": format!("TLP:{}", level.to_uppercase()), "definition": {"tlp": level},
               "created": "2017-01-20T00:00:00.000Z"})
    };
    let marked = |n: u32, m: &str| {
        let mut i = indicator(n, &format!("marked {n}"), "2024-01-01T00:00:00.000Z");
        i["object_marking_refs"] = json!([m]);
        i
    };
    hub.import(&bundle(vec![
        definition(GREEN, "green"),
        definition(AMBER, "amber"),
        definition(RED, "red"),
    ]))
    .await;
    hub.import(&bundle(vec![
        marked(1, AMBER),
        marked(2, RED),
        marked(3, GREEN),
    ]))
    .await;
    hub.import(&bundle(vec![indicator(
        4,
        "open",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let read = |s: &Value| {
        let path = format!("/stream/{}?from=0", s["id"].as_str().unwrap());
        let hub = &hub;
        async move {
            Sse::new(anon(hub, &path, None).await)
                .data_frames(10, Duration::from_secs(3))
                .await
                .iter()
                .map(|f| f.json()["data"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let ids = read(&clear).await;
    assert_eq!(
        ids,
        ["indicator--00000000-0000-4000-8000-000000000004"],
        "{ids:?}"
    );
    let ids = read(&green).await;
    assert_eq!(
        ids,
        [
            GREEN,
            "indicator--00000000-0000-4000-8000-000000000003",
            "indicator--00000000-0000-4000-8000-000000000004"
        ],
        "{ids:?}"
    );
    hub.stop().await;
}
