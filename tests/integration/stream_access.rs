//! B18: restricted objects never leak through a visible container's references, its patches or dependency
//! events — on a public stream (ceiling) and on a private stream read by a restricted group.

use serde_json::{json, Value};

use crate::access::user_with;
use crate::common::{Hub, Sse};

const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";
const REPORT: &str = "report--18181818-0000-4000-8000-000000000001";
const INDICATOR: &str = "indicator--18181818-0000-4000-8000-000000000002";
const NOTE: &str = "note--18181818-0000-4000-8000-000000000003";

fn report(modified: &str, refs: &[&str]) -> Value {
    json!({"type": "report", "spec_version": "2.1", "id": REPORT, "name": "Campaign report",
           "published": "2024-01-01T00:00:00.000Z", "created": "2024-01-01T00:00:00.000Z", "modified": modified,
           "object_refs": refs, "object_marking_refs": [GREEN]})
}

/// Every frame until the stream has caught up (the first heartbeat after some data), as raw text.
async fn drain(mut sse: Sse) -> (Vec<(String, Value)>, String) {
    let mut frames = Vec::new();
    let mut raw = String::new();
    while let Some(f) = sse.next(std::time::Duration::from_secs(10)).await {
        raw.push_str(&f.data);
        match f.event.as_str() {
            "connected" => {}
            "heartbeat" if !frames.is_empty() => break,
            "heartbeat" => {}
            _ => frames.push((f.event.clone(), f.json())),
        }
    }
    (frames, raw)
}

fn check(frames: &[(String, Value)], raw: &str, who: &str) {
    assert!(
        !raw.contains("192.0.2.66"),
        "{who}: the hidden indicator's value leaked: {raw}"
    );
    assert!(
        !raw.contains(INDICATOR),
        "{who}: the hidden indicator's id leaked: {raw}"
    );
    let reports: Vec<&Value> = frames
        .iter()
        .filter(|(_, d)| d["data"]["id"] == REPORT)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(
        reports.len(),
        2,
        "{who}: create + update of the report: {frames:?}"
    );
    let last = reports[1];
    assert_eq!(last["data"]["object_refs"], json!([NOTE]), "{who}: {last}");
    assert!(
        last.get("context").is_none(),
        "{who}: the patch would name the hidden ref: {last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b18_hidden_objects_never_leak_through_container_refs() {
    let hub = Hub::start().await;
    let filter = json!({"mode": "and", "filterGroups": [],
        "filters": [{"key": ["entity_type"], "values": ["Report"], "operator": "eq", "mode": "or"}]});
    let public = hub
        .create_stream(json!({"name": "reports", "public": true, "started": true, "max_marking": "TLP:GREEN", "filters": filter}))
        .await;
    let (gid, _, amber) = user_with(&hub, "amber-reader", &["TLP:AMBER"], &["read"]).await;
    let private = hub
        .create_stream(json!({"name": "reports (partners)", "started": true, "authorized_groups": [gid], "filters": filter}))
        .await;
    hub.import(&json!({"type": "bundle", "id": "bundle--18181818-0000-4000-8000-00000000000a", "objects": [
        {"type": "note", "spec_version": "2.1", "id": NOTE, "content": "context", "object_refs": [REPORT],
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"},
        report("2024-01-01T00:00:00.000Z", &[NOTE])]}))
        .await;
    hub.import(&json!({"type": "bundle", "id": "bundle--18181818-0000-4000-8000-00000000000b", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": INDICATOR, "name": "C2", "pattern_type": "stix",
         "pattern": "[ipv4-addr:value = '192.0.2.66']", "valid_from": "2024-01-01T00:00:00Z",
         "created": "2024-01-02T00:00:00.000Z", "modified": "2024-01-02T00:00:00.000Z", "object_marking_refs": [RED]},
        report("2024-01-02T00:00:00.000Z", &[NOTE, INDICATOR])]}))
        .await;
    let url = format!("/stream/{}?from=0", public["id"].as_str().unwrap());
    let res = hub.client.get(hub.url(&url)).send().await.unwrap();
    let (frames, raw) = drain(Sse::new(res)).await;
    check(&frames, &raw, "public stream");
    let url = format!("/stream/{}?from=0", private["id"].as_str().unwrap());
    let res = hub
        .client
        .get(hub.url(&url))
        .bearer_auth(&amber)
        .send()
        .await
        .unwrap();
    let (frames, raw) = drain(Sse::new(res)).await;
    check(&frames, &raw, "private stream, TLP:AMBER group");
    // The same view through the objects API: the report without the hidden reference, the RED indicator absent.
    for path in [
        "/api/objects?type=report".to_string(),
        format!("/api/objects/{REPORT}"),
    ] {
        let res = hub
            .client
            .get(hub.url(&path))
            .bearer_auth(&amber)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains(NOTE) && !body.contains(INDICATOR),
            "{path}: {body}"
        );
    }
    let res = hub
        .client
        .get(hub.url(&format!("/api/objects/{INDICATOR}")))
        .bearer_auth(&amber)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    // The admin sees the whole report, patch included.
    let mut sse = hub.sse(&url, &[]).await;
    let got = sse.data_frames(10, std::time::Duration::from_secs(5)).await;
    let update = got
        .iter()
        .rev()
        .find(|f| f.json()["data"]["id"] == REPORT)
        .unwrap()
        .json();
    assert_eq!(update["data"]["object_refs"], json!([NOTE, INDICATOR]));
    assert!(update["context"]["patch"].to_string().contains(INDICATOR));
    hub.stop().await;
}

/// B18 on TAXII and CSV: a public collection or feed cuts references to hidden objects and hides a relationship
/// whose end is hidden, exactly as a public stream does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b18_taxii_and_csv_never_reveal_hidden_objects() {
    let hub = Hub::start().await;
    const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
    let amber = "malware--18181818-0000-4000-8000-0000000000a1";
    let open = "malware--18181818-0000-4000-8000-0000000000a2";
    let rel = "relationship--18181818-0000-4000-8000-0000000000a3";
    let mal = |id: &str, markings: &[&str]| {
        json!({"type": "malware", "spec_version": "2.1", "id": id, "name": id,
        "is_family": true, "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "object_marking_refs": markings})
    };
    hub.import(&json!({"type": "bundle", "id": "bundle--18181818-0000-4000-8000-00000000000c", "objects": [
        mal(amber, &[AMBER]), mal(open, &[]),
        {"type": "relationship", "spec_version": "2.1", "id": rel, "relationship_type": "variant-of",
         "source_ref": open, "target_ref": amber, "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z"},
        report("2024-01-01T00:00:00.000Z", &[amber, open])]}))
    .await;
    let post = |path: &str, body: Value| {
        hub.client
            .post(hub.url(path))
            .bearer_auth(crate::common::TOKEN)
            .json(&body)
            .send()
    };
    let c: Value = post(
        "/api/collections",
        json!({"name": "all", "public": true, "max_marking": "TLP:GREEN"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let f: Value = post(
        "/api/feeds",
        json!({"name": "ids", "public": true, "max_marking": "TLP:GREEN", "columns": ["id", "target_ref", "object_refs"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let taxii = hub
        .client
        .get(format!("{}objects/", c["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csv = hub
        .client
        .get(f["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (what, body) in [("TAXII", &taxii), ("CSV", &csv)] {
        assert!(
            body.contains(REPORT) && body.contains(open),
            "{what}: visible objects served: {body}"
        );
        assert!(
            !body.contains(amber),
            "{what}: the AMBER object's id leaked: {body}"
        );
        assert!(
            !body.contains(rel),
            "{what}: a relationship to a hidden object was served: {body}"
        );
    }
    hub.stop().await;
}

/// A marking definition never changes: re-defining a RED marking as CLEAR (or renaming the standard TLP:RED)
/// is refused per object with a reason, so what it marks stays hidden; the same definition again is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marking_definitions_cannot_be_redefined() {
    let hub = Hub::start().await;
    let custom = "marking-definition--77777777-0000-4000-8000-000000000001";
    let marking = |name: &str| {
        json!({"type": "marking-definition", "spec_version": "2.1", "id": custom, "definition_type": "TLP",
               "name": name, "definition": {"tlp": name.trim_start_matches("TLP:").to_lowercase()},
               "created": "2024-01-01T00:00:00.000Z"})
    };
    let secret = json!({"type": "indicator", "spec_version": "2.1", "id": INDICATOR, "name": "C2",
        "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.66']", "valid_from": "2024-01-01T00:00:00Z",
        "created": "2024-01-02T00:00:00.000Z", "modified": "2024-01-02T00:00:00.000Z", "object_marking_refs": [custom]});
    let public = hub
        .create_stream(
            json!({"name": "all", "public": true, "started": true, "max_marking": "TLP:GREEN"}),
        )
        .await;
    hub.import(
        &json!({"type": "bundle", "id": "bundle--77777777-0000-4000-8000-00000000000a",
        "objects": [marking("TLP:RED"), secret]}),
    )
    .await;
    let (_, _, importer) =
        crate::access::user_with(&hub, "importer", &["TLP:GREEN"], &["import", "read"]).await;
    let standard_red = json!({"type": "marking-definition", "spec_version": "2.1", "id": RED,
        "definition_type": "tlp", "name": "TLP:CLEAR", "definition": {"tlp": "clear"},
        "created": "2022-10-01T00:00:00.000Z"});
    for (object, says) in [
        (
            marking("TLP:CLEAR"),
            "another definition, name: marking definitions cannot change",
        ),
        (standard_red, "is a predefined TLP marking definition"),
    ] {
        let res = hub
            .client
            .post(hub.url("/api/bundles"))
            .bearer_auth(&importer)
            .json(&json!({"type": "bundle", "id": "bundle--77777777-0000-4000-8000-00000000000b", "objects": [object]}))
            .send()
            .await
            .unwrap();
        let report: Value = res.json().await.unwrap();
        assert_eq!(report["rejected"], 1, "{report}");
        let reason = report["errors"][0]["error"].as_str().unwrap();
        assert!(reason.contains(says), "{reason}");
    }
    let again = hub
        .import(
            &json!({"type": "bundle", "id": "bundle--77777777-0000-4000-8000-00000000000c",
            "objects": [marking("TLP:RED")]}),
        )
        .await;
    assert_eq!(again["unchanged"], 1, "{again}");
    let url = format!("/stream/{}?from=0", public["id"].as_str().unwrap());
    let res = hub.client.get(hub.url(&url)).send().await.unwrap();
    // Nothing at all: neither the indicator nor its (RED) marking definition.
    let frames = Sse::new(res)
        .data_frames(5, std::time::Duration::from_secs(3))
        .await;
    assert!(frames.is_empty(), "the RED indicator or its marking leaked");
    // Nor overwrite it with a later version of its own.
    let mut overwrite = hub.get(&format!("/api/objects/{INDICATOR}")).await.1;
    overwrite["modified"] = json!("2025-01-01T00:00:00.000Z");
    overwrite["name"] = json!("declassified");
    overwrite["object_marking_refs"] = json!([]);
    let res = hub
        .client
        .post(hub.url("/api/bundles"))
        .bearer_auth(&importer)
        .json(&json!({"type": "bundle", "id": "bundle--77777777-0000-4000-8000-00000000000d", "objects": [overwrite]}))
        .send()
        .await
        .unwrap();
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["rejected"], 1, "{report}");
    assert!(report["errors"][0]["error"]
        .as_str()
        .unwrap()
        .contains("markings beyond what your groups allow"));
    assert_eq!(
        hub.get(&format!("/api/objects/{INDICATOR}")).await.1["name"],
        "C2"
    );
    // Nor can the importer delete what it may not see: answered as absent, and kept.
    let res = hub
        .client
        .delete(hub.url(&format!("/api/objects/{INDICATOR}")))
        .bearer_auth(&importer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(hub.get(&format!("/api/objects/{INDICATOR}")).await.0, 200);
    hub.stop().await;
}

/// The knowledge page's recent events only show versions the reader may see: a partner allowed GREEN never
/// reads the name an earlier RED version carried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_page_events_hide_versions_the_reader_may_not_see() {
    let hub = Hub::start().await;
    let id = "malware--22222222-0000-4000-8000-000000000001";
    let version = |name: &str, modified: &str, markings: &[&str]| {
        json!({"type": "malware", "spec_version": "2.1", "id": id, "name": name, "is_family": true,
               "created": "2024-01-01T00:00:00.000Z", "modified": modified, "object_marking_refs": markings})
    };
    for v in [
        version("RED-SECRETNAME", "2024-01-01T00:00:00.000Z", &[RED]),
        version("public name", "2024-02-01T00:00:00.000Z", &[]),
    ] {
        hub.import(&json!({"type": "bundle", "id": "bundle--22222222-0000-4000-8000-00000000000a", "objects": [v]}))
            .await;
    }
    crate::access::user_with(&hub, "partner", &["TLP:GREEN"], &["read"]).await;
    let mut partner = crate::admin_session::Browser::new(&hub.base);
    partner.login("partner", "a long enough password").await;
    let page = partner.get(&format!("/admin/knowledge/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("public name"));
    assert!(!page.body.contains("RED-SECRETNAME"), "{}", page.body);
    // The dashboard counts only what the partner may see.
    hub.import(&json!({"type": "bundle", "id": "bundle--22222222-0000-4000-8000-00000000000b", "objects": [
        {"type": "tool", "spec_version": "2.1", "id": "tool--22222222-0000-4000-8000-000000000002", "name": "hidden tool",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "object_marking_refs": [RED]}]}))
        .await;
    let dashboard = partner.get("/admin").await.body;
    assert!(
        dashboard.contains(r#"id="total-objects">1<"#),
        "{dashboard}"
    );
    assert!(!dashboard.contains(">tool<"), "{dashboard}");
    let mut admin = crate::admin_session::Browser::new(&hub.base);
    admin.login("admin", "test-password").await;
    let page = admin.get(&format!("/admin/knowledge/{id}")).await;
    assert!(
        page.body.contains("RED-SECRETNAME"),
        "admins see every version"
    );
    let dashboard = admin.get("/admin").await.body;
    assert!(
        dashboard.contains(r#"id="total-objects">2<"#),
        "{dashboard}"
    );
    hub.stop().await;
}
