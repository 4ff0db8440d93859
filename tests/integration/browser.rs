//! Pages that need a browser, checked in Debian's headless Chromium through playwright-core
//! (`tests/browser`, installed by `.ci/run`, which also sets STIXHUB_REQUIRE_BROWSER=1).

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use crate::common::Hub;

fn browser_ready() -> bool {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ok = dir.join("node_modules/playwright-core").exists()
        && std::path::Path::new(
            &std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("STIXHUB_REQUIRE_BROWSER").is_none(),
            "STIXHUB_REQUIRE_BROWSER is set but chromium/playwright-core is missing"
        );
        println!("browser: chromium or playwright-core not installed (run .ci/run), skipped");
    }
    ok
}

/// The copy buttons on /public work under the hub's CSP (no inline script): each puts its URL on the clipboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_page_copy_buttons_copy_the_urls() {
    if !browser_ready() {
        return;
    }
    let hub = Hub::start().await;
    let body = json!({"name": "Copy me", "public": true, "started": true});
    let stream = hub.create_stream(body).await;
    let shot = hub.dir.path().join("public.png");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/public_copy.js");
    let base = hub.base.clone();
    let shot_arg = shot.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(&base)
            .arg(&shot_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    let stream_url = format!("{}/stream/{}", hub.base, stream["id"].as_str().unwrap());
    assert_eq!(result["buttons"], 2, "{result}");
    assert_eq!(result["copied"], json!([hub.base, stream_url]), "{result}");
    assert_eq!(
        result["errors"],
        json!([]),
        "no script or CSP errors: {result}"
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "screenshot saved"
    );
    hub.stop().await;
}

fn node(script: &str, args: &[String]) -> std::process::Output {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(script);
    Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .unwrap()
}

/// The filter editor widget on its own harness page, under the same CSP as the hub's pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_editor_builds_the_filter_json() {
    if !browser_ready() {
        return;
    }
    let out = tokio::task::spawn_blocking(|| node("filter_editor.js", &[]))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "filter editor checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("filter editor: all checks passed"),
        "{stdout}"
    );
}

/// Issue 3 and 4's "done" flows in a real browser: log in, create a group allowed up to TLP:GREEN, a user in it
/// and its token, import a bundle from the Import page, find an object by name; create a public stream with the
/// filter editor, see and copy it on /public, tail it, stop it (readers get 410, /public says stopped), start it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_interface_end_to_end() {
    if !browser_ready() {
        return;
    }
    let hub = Hub::start().await;
    let shots = hub.dir.path().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let bundle = crate::common::shared("stix21/mitre-attack/ics-attack-18.1.json");
    let args = vec![
        hub.base.clone(),
        "test-password".to_string(),
        bundle.display().to_string(),
        shots.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || node("admin_flow.js", &args))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    assert_eq!(seen["whoami"], "admin");
    assert!(
        seen["group"]
            .as_str()
            .unwrap()
            .contains("partners TLP:GREEN read"),
        "{seen}"
    );
    assert_eq!(seen["user"], "partners", "{seen}");
    let token = seen["token"].as_str().unwrap();
    assert_eq!(token.len(), 40, "{seen}");
    assert_eq!(seen["created"], 1826, "{seen}");
    assert_eq!(seen["object"], "Stuxnet");
    assert_eq!(seen["objectJsonHasType"], true);
    assert_eq!(seen["summary"], "type = malware", "{seen}");
    assert_eq!(seen["badges"], "stopped public ≤ TLP:CLEAR", "{seen}");
    assert_eq!(seen["afterStart"], "started public ≤ TLP:CLEAR", "{seen}");
    let stream_url = seen["streamUrl"].as_str().unwrap();
    assert!(
        stream_url.starts_with(&format!("{}/stream/", hub.base)),
        "{seen}"
    );
    assert_eq!(seen["copied"], stream_url);
    assert_eq!(seen["publicStatus"], "started");
    assert_eq!(seen["publicFilters"], "Shares: type is malware", "{seen}");
    assert!(seen["tailCreates"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["readerAfterStop"], 410);
    assert_eq!(seen["publicAfterStop"], "stopped");
    assert_eq!(seen["publicAfterRestart"], "started");
    assert_eq!(seen["errors"], json!([]), "no script or CSP errors: {seen}");
    // The token alice got in the browser works, with alice's rights: reading yes, managing users no.
    let res = hub
        .client
        .get(hub.url("/api/objects?type=malware"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = hub
        .client
        .get(hub.url("/api/users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    for shot in ["token.png", "object.png", "tail.png", "public.png"] {
        assert!(
            std::fs::metadata(shots.join(shot)).unwrap().len() > 1000,
            "{shot}"
        );
    }
    hub.stop().await;
}

/// Issue 5's "done" in a real browser: hub B follows hub A's public stream through the wizard, no token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_stream_wizard_in_the_browser() {
    if !browser_ready() {
        return;
    }
    let a = Hub::start().await;
    let b = Hub::start().await;
    a.import_file(&crate::common::shared(
        "stix21/mitre-attack/ics-attack-18.1.json",
    ))
    .await;
    a.create_stream(json!({"name": "ICS malware", "public": true, "started": true,
        "filters": {"mode": "and", "filterGroups": [], "filters": [{"key": ["entity_type"], "values": ["Malware"], "operator": "eq", "mode": "or"}]}}))
        .await;
    a.create_stream(json!({"name": "private everything", "started": true}))
        .await;
    let shots = b.dir.path().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let args = vec![
        b.base.clone(),
        "test-password".to_string(),
        a.base.clone(),
        shots.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || node("sync_wizard.js", &args))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    assert_eq!(
        seen["offered"],
        json!(["ICS malware"]),
        "only public streams without a token: {seen}"
    );
    assert_eq!(seen["state"], "live", "{seen}");
    assert!(seen["applied"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["errors"], json!([]), "{seen}");
    // B holds A's malware and re-publishes them on its own streams.
    let (_, on_a) = a.get("/api/objects?type=malware&limit=1000").await;
    let want = on_a["objects"].as_array().unwrap().len();
    crate::common::eventually("B holds A's malware", 60, || async {
        let (_, on_b) = b.get("/api/objects?type=malware&limit=1000").await;
        (on_b["objects"].as_array().map_or(0, Vec::len) == want).then_some(())
    })
    .await;
    let mut sse = b.sse("/stream?from=0", &[]).await;
    let frames = sse.data_frames(1, std::time::Duration::from_secs(5)).await;
    assert_eq!(frames.len(), 1, "B's own log re-publishes them");
    assert!(
        std::fs::metadata(shots.join("synchronizer.png"))
            .unwrap()
            .len()
            > 1000
    );
    b.stop().await;
    a.stop().await;
}
