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
