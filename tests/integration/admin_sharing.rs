//! The admin pages of data sharing and ingestion, driven like a browser: TAXII collections and CSV feeds,
//! and the remote-stream wizard between two hubs.

use serde_json::json;

use crate::access::call;
use crate::admin_session::Browser;
use crate::common::{shared, Hub, TOKEN};

/// Data sharing pages for TAXII collections and CSV feeds: create through the forms (same validation as the
/// API), the feed serves its CSV, the collection is listed by TAXII, a bad form says why and keeps the input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_and_feeds_are_managed_in_the_browser() {
    let hub = Hub::start().await;
    hub.import(&json!({"type": "bundle", "id": "bundle--2b2b7a8e-3f59-4c2a-9d55-111111111111", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--22222222-2222-4222-8222-222222222222",
         "name": "C2; \"quoted\"", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '198.51.100.9']",
         "valid_from": "2024-01-01T00:00:00Z", "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"}]}))
        .await;
    let mut admin = Browser::new(&hub.base);
    admin.login("admin", "test-password").await;
    admin.get("/admin/feeds/new").await;
    let filters = r#"{"mode":"and","filters":[{"key":["entity_type"],"values":["Indicator"],"operator":"eq","mode":"or"}],"filterGroups":[]}"#;
    let bad = admin
        .post(
            "/admin/feeds",
            &[
                ("name", "IOCs"),
                ("columns", ""),
                ("separator", ";"),
                ("multi_value_separator", "|"),
                ("max_rows", "10"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("columns must be a list"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"IOCs\""),
        "what was typed is kept"
    );
    let res = admin
        .post(
            "/admin/feeds",
            &[
                ("name", "IOCs"),
                ("columns", "value, name"),
                ("separator", ";"),
                ("multi_value_separator", "|"),
                ("header", "on"),
                ("max_rows", "10"),
                ("public", "on"),
                ("max_marking", "TLP:CLEAR"),
                ("filters", filters),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let list = admin.get("/admin/feeds").await;
    assert!(
        list.body.contains("IOCs") && list.body.contains("public ≤ TLP:CLEAR"),
        "{}",
        list.body
    );
    let (_, feeds) = call(&hub, "GET", "/api/feeds", Some(TOKEN), None).await;
    let url = feeds[0]["url"].as_str().unwrap().to_string();
    let csv = hub
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, "value;name\r\n198.51.100.9;\"C2; \"\"quoted\"\"\"\r\n");
    admin.get("/admin/collections/new").await;
    let res = admin
        .post(
            "/admin/collections",
            &[
                ("name", "ATT&CK"),
                ("public", "on"),
                ("max_marking", "TLP:GREEN"),
                ("can_write", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let (_, cols) = call(&hub, "GET", "/api/collections", Some(TOKEN), None).await;
    assert_eq!(cols[0]["name"], "ATT&CK");
    assert_eq!(cols[0]["can_write"], true);
    assert_eq!(cols[0]["max_marking"], "TLP:GREEN");
    let edit = admin
        .get(&format!(
            "/admin/collections/{}",
            cols[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"ATT&amp;CK\""));
    let res = hub
        .client
        .get(hub.url("/taxii2/root/collections/"))
        .send()
        .await
        .unwrap();
    assert!(
        res.text().await.unwrap().contains("ATT&CK"),
        "listed anonymously by TAXII"
    );
    hub.stop().await;
}

/// Ingestion → Remote streams in the browser's way (issue 5's "done"): on hub B, enter hub A's URL without a
/// token → Validate lists A's public streams only → pick one → B holds A's matching objects within seconds;
/// the detail page shows the state, cursor and events applied; stop and delete work; the token never shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_stream_wizard_replicates_a_public_stream() {
    let a = Hub::start().await;
    let b = Hub::start().await;
    a.import_file(&shared("stix21/mitre-attack/ics-attack-18.1.json"))
        .await;
    let public = a
        .create_stream(json!({"name": "ICS malware", "public": true, "started": true,
            "filters": {"mode": "and", "filterGroups": [], "filters": [{"key": ["entity_type"], "values": ["Malware"], "operator": "eq", "mode": "or"}]}}))
        .await;
    a.create_stream(json!({"name": "private one", "started": true}))
        .await;
    let mut admin = Browser::new(&b.base);
    admin.login("admin", "test-password").await;
    admin.get("/admin/synchronizers/new").await;
    let bad = admin
        .post(
            "/admin/synchronizers/discover",
            &[("url", "http://127.0.0.1:9/"), ("token", "")],
        )
        .await;
    assert_eq!(bad.status, 400, "an unreachable remote says so");
    assert!(bad.body.contains("class=\"error\""), "{}", bad.body);
    let found = admin
        .post(
            "/admin/synchronizers/discover",
            &[("url", a.base.as_str()), ("token", "")],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert!(
        found.body.contains("ICS malware") && !found.body.contains("private one"),
        "{}",
        found.body
    );
    let sid = public["id"].as_str().unwrap();
    let created = admin
        .post(
            "/admin/synchronizers",
            &[
                ("url", a.base.as_str()),
                ("token", ""),
                ("stream_id", sid),
                ("name", "partner A"),
                ("start", "beginning"),
                ("listen_delete", "on"),
                ("verify_tls", "on"),
                ("run", "on"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let detail_url = created.location.unwrap();
    let (_, malware) = call(
        &a,
        "GET",
        "/api/objects?type=malware&limit=1000",
        Some(TOKEN),
        None,
    )
    .await;
    let want = malware["objects"].as_array().unwrap().len();
    crate::common::eventually("B holds A's malware", 60, || async {
        let (_, got) = call(
            &b,
            "GET",
            "/api/objects?type=malware&limit=1000",
            Some(TOKEN),
            None,
        )
        .await;
        (got["objects"].as_array().map_or(0, Vec::len) == want).then_some(())
    })
    .await;
    let detail = admin.get(&detail_url).await;
    assert_eq!(detail.status, 200);
    assert!(
        detail.body.contains("id=\"sync-state\">live<"),
        "{}",
        detail.body
    );
    assert!(
        !detail.body.contains("id=\"sync-applied\">0<"),
        "events applied are shown"
    );
    let list = admin.get("/admin/synchronizers").await;
    assert!(list.body.contains("partner A") && list.body.contains("state-live"));
    let stop = admin.post(&format!("{detail_url}/stop"), &[]).await;
    assert_eq!(stop.status, 303);
    let detail = admin.get(&detail_url).await;
    assert!(
        detail.body.contains("id=\"sync-state\">stopped<"),
        "{}",
        detail.body
    );
    let gone = admin.post(&format!("{detail_url}/delete"), &[]).await;
    assert_eq!(gone.status, 303);
    let (_, syncs) = call(&b, "GET", "/api/synchronizers", Some(TOKEN), None).await;
    assert_eq!(syncs, json!([]));
    b.stop().await;
    a.stop().await;
}
