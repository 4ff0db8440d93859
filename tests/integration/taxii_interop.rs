//! Interop with the OASIS taxii2-client and Python's csv module, run from the venv that `.ci/run` makes.
//! Skipped with a message when STIXHUB_PYTHON is unset (or lacks taxii2client); fails when
//! STIXHUB_REQUIRE_INTEROP=1.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::common::{indicator, read_json, shared, Hub, TOKEN};
use crate::taxii::create_collection;

fn python() -> Option<PathBuf> {
    let from_env = std::env::var_os("STIXHUB_PYTHON").map(PathBuf::from);
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let candidate = from_env.or_else(|| local.exists().then_some(local))?;
    let ok = Command::new(&candidate)
        .args(["-c", "import taxii2client"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then_some(candidate)
}

fn require() -> Option<PathBuf> {
    let py = python();
    if py.is_none() {
        assert!(
            std::env::var_os("STIXHUB_REQUIRE_INTEROP").is_none(),
            "STIXHUB_REQUIRE_INTEROP is set but taxii2-client is not available"
        );
        println!("interop: taxii2-client not available (set STIXHUB_PYTHON), skipped");
    }
    py
}

/// Runs a Python script with arguments; returns its last stdout line as JSON (asserting exit 0).
async fn run(py: &Path, args: Vec<String>) -> Value {
    let py = py.to_path_buf();
    let out = tokio::task::spawn_blocking(move || Command::new(py).args(args).output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = out
        .stdout
        .rsplit(|b| *b == b'\n')
        .find(|l| !l.is_empty())
        .unwrap_or(b"null");
    serde_json::from_slice(last).unwrap()
}

fn driver() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop/taxii_client.py")
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii2_client_pages_the_public_ics_collection_anonymously() {
    let Some(py) = require() else { return };
    let hub = Hub::start().await;
    let path = shared("stix21/mitre-attack/ics-attack-18.1.json");
    hub.import_file(&path).await;
    let expected: HashSet<String> = read_json(&path)["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    create_collection(&hub, json!({"name": "Private ICS"})).await;
    create_collection(&hub, json!({"name": "ATT&CK ICS", "public": true})).await;
    let args = vec![
        driver(),
        "read".into(),
        hub.url("/taxii2/"),
        "ATT&CK ICS".into(),
    ];
    let out = run(&py, args).await;
    assert_eq!(
        out["titles"],
        json!(["ATT&CK ICS"]),
        "anonymous: public only"
    );
    assert_eq!(
        out["root_versions"],
        json!(["application/taxii+json;version=2.1"])
    );
    let ids: Vec<String> = serde_json::from_value(out["ids"].clone()).unwrap();
    assert_eq!(ids.len(), expected.len(), "every object exactly once");
    assert_eq!(ids.into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(
        out["pages"].as_u64().unwrap() as usize,
        expected.len().div_ceil(100)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii2_client_posts_and_reads_back_with_basic_auth() {
    let Some(py) = require() else { return };
    let hub = Hub::start().await;
    create_collection(&hub, json!({"name": "Inbox", "can_write": true})).await;
    let v1 = indicator(7, "first", "2024-01-01T00:00:00.000Z");
    let v2 = indicator(7, "second", "2024-03-01T00:00:00.000Z");
    let malware = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000009",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "m", "is_family": true});
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envelope.json");
    std::fs::write(&file, json!({"objects": [v1, v2, malware]}).to_string()).unwrap();
    let args = vec![
        driver(),
        "write".into(),
        hub.url("/taxii2/"),
        "admin".into(),
        "test-password".into(),
        "Inbox".into(),
        file.display().to_string(),
    ];
    let out = run(&py, args).await;
    let counts = ["total", "success", "failure", "pending"].map(|k| out[k].as_u64().unwrap());
    assert_eq!(
        (out["status"].as_str(), counts),
        (Some("complete"), [3, 3, 0, 0])
    );
    assert_eq!(out["by_type"], json!([v2["id"]]));
    assert_eq!(out["one"], json!([v2]), "the latest version");
    assert_eq!(
        out["versions"],
        json!(["2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"])
    );
    assert_eq!(out["manifest"], json!([v2["id"], malware["id"]]));
    // The same hub refuses the client without credentials on a private collection.
    let args = vec![driver(), "read".into(), hub.url("/taxii2/"), "Inbox".into()];
    let py2 = py.clone();
    let failed =
        tokio::task::spawn_blocking(move || Command::new(py2).args(args).output().unwrap())
            .await
            .unwrap();
    assert!(!failed.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_csv_reads_the_b35_feed() {
    let Some(py) = require() else { return };
    let hub = Hub::start().await;
    let description = "line1\r\n\r\nline2, with comma; and \"quotes\"";
    let mut ind = indicator(1, "a;b \"c\"", "2024-01-01T00:00:00.000Z");
    ind["description"] = json!(description);
    ind["labels"] = json!(["x,y", "=HYPERLINK(\"http://evil.invalid\")"]);
    hub.import(&crate::common::bundle(vec![ind])).await;
    let res = hub.client.post(hub.url("/api/feeds")).bearer_auth(TOKEN)
        .json(&json!({"name": "B35", "public": true, "separator": ";", "columns": ["value", "name", "description", "labels"]}))
        .send().await.unwrap();
    let feed: Value = res.json().await.unwrap();
    let url = hub.url(&format!("/feeds/{}", feed["id"].as_str().unwrap()));
    let script = "import csv, io, json, sys, urllib.request\n\
        text = urllib.request.urlopen(sys.argv[1]).read().decode('utf-8')\n\
        print(json.dumps(list(csv.reader(io.StringIO(text, newline=''), delimiter=';'))))";
    let rows = run(&py, vec!["-c".into(), script.into(), url]).await;
    assert_eq!(
        rows,
        json!([
            ["value", "name", "description", "labels"],
            [
                "203.0.113.7",
                "a;b \"c\"",
                description,
                "x,y|=HYPERLINK(\"http://evil.invalid\")"
            ]
        ])
    );
}
