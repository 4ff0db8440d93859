//! Interop with the real pycti stream consumer (`ListenStream`), run from the venv that `.ci/run` makes.
//! Set STIXHUB_PYTHON to a python with pycti installed; `.ci/run` sets it and STIXHUB_REQUIRE_INTEROP=1.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::common::{bundle, indicator, shared, Hub, TOKEN};

fn python() -> Option<PathBuf> {
    let from_env = std::env::var_os("STIXHUB_PYTHON").map(PathBuf::from);
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let candidate = from_env.or_else(|| local.exists().then_some(local))?;
    let ok = Command::new(&candidate)
        .args(["-c", "import pycti"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some(candidate)
    } else {
        None
    }
}

fn require() -> Option<PathBuf> {
    let py = python();
    if py.is_none() {
        assert!(
            std::env::var_os("STIXHUB_REQUIRE_INTEROP").is_none(),
            "STIXHUB_REQUIRE_INTEROP is set but pycti is not available"
        );
        println!("interop: pycti not available (set STIXHUB_PYTHON), skipped");
    }
    py
}

/// Runs `tests/interop/pycti_consume.py` against `url`; returns whether it exited 0 and its last JSON line.
async fn consume(
    py: &Path,
    url: String,
    token: &str,
    expected: usize,
    seconds: u32,
) -> (bool, Value) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/pycti_consume.py");
    let (py, token) = (py.to_path_buf(), token.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .args([url, token, expected.to_string(), seconds.to_string()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    // Reconnections (filigran-sseclient prints their cause) and warnings, to explain a failure.
    println!(
        "pycti stdout: {}",
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .rev()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("pycti stderr: {}", String::from_utf8_lossy(&out.stderr));
    let last = out
        .stdout
        .rsplit(|b| *b == b'\n')
        .find(|l| !l.is_empty())
        .unwrap_or(b"null");
    (
        out.status.success(),
        serde_json::from_slice(last).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pycti_listen_stream_consumes_the_global_stream() {
    let Some(py) = require() else { return };
    let hub = Hub::start().await;
    hub.import_file(&shared("stix21/mitre-attack/ics-attack-18.1.json"))
        .await;
    let mut named = indicator(1, "Индикатор – 指標 ✓", "2024-01-01T00:00:00.000Z");
    named["description"] = json!("naïve café");
    hub.import(&bundle(vec![named])).await;
    let (ok, result) = consume(&py, hub.url("/stream"), TOKEN, 1827, 60).await;
    assert!(ok, "pycti failed");
    let events = result["events"].as_array().unwrap();
    let mut times = std::collections::HashMap::<&str, Vec<&Value>>::new();
    for e in events {
        times.entry(e[3].as_str().unwrap()).or_default().push(&e[1]);
    }
    let twice: Vec<_> = times.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert_eq!(
        events.len(),
        1827,
        "pycti received every event once; more than once: {twice:?}"
    );
    // pycti's first run asks for `recover=<now>` from 0-0: the current state of every object (spec §5.2), once
    // each; MITRE's identity and marking go first as dependencies (no inner `type`).
    assert!(events
        .iter()
        .all(|e| e[0] == "create" && (e[2] == "create" || e[2].is_null())));
    let distinct: std::collections::HashSet<&str> =
        events.iter().map(|e| e[3].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), 1827, "every object once");
    let last = &events[1826];
    assert_eq!(
        last[4], "Индикатор – 指標 ✓",
        "non-ASCII survives pycti's decoding"
    );
    // pycti's checkpoint: at or after the last event id (a heartbeat id), never before it.
    let state = &result["state"];
    let parse = |s: &str| {
        let (a, b) = s.split_once('-').unwrap();
        (a.parse::<u64>().unwrap(), b.parse::<u64>().unwrap())
    };
    assert!(
        parse(state["start_from"].as_str().unwrap()) >= parse(last[1].as_str().unwrap()),
        "{state}"
    );
    hub.stop().await;
}

/// pycti consumes a public stream without a token and a private one with a token, non-ASCII names intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pycti_listen_stream_consumes_public_and_private_streams() {
    let Some(py) = require() else { return };
    let hub = Hub::start().await;
    let filter = |name: &str| json!({"mode": "and", "filters": [{"key": ["name"], "values": [name], "operator": "starts_with"}], "filterGroups": []});
    let mut ids = Vec::new();
    for (name, public, prefix) in [("Öffentlich – 公開", true, "Pub"), ("Privé", false, "Priv")]
    {
        let body =
            json!({"name": name, "public": public, "started": true, "filters": filter(prefix)});
        let created = hub.create_stream(body).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let objects = vec![
        indicator(1, "Pub – Ünïcödé 指標", "2024-01-01T00:00:00.000Z"),
        indicator(2, "Priv – secret ✓", "2024-01-01T00:00:00.000Z"),
        indicator(3, "Pub – zwei", "2024-01-01T00:00:00.000Z"),
        indicator(4, "Neither", "2024-01-01T00:00:00.000Z"),
    ];
    hub.import(&bundle(objects)).await;
    for (id, token, expected) in [
        (&ids[0], "", vec!["Pub – Ünïcödé 指標", "Pub – zwei"]),
        (&ids[1], TOKEN, vec!["Priv – secret ✓"]),
    ] {
        let url = hub.url(&format!("/stream/{id}"));
        let (ok, result) = consume(&py, url, token, expected.len(), 30).await;
        assert!(ok, "pycti failed");
        let names: Vec<&str> = result["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[4].as_str().unwrap())
            .collect();
        assert_eq!(names, expected);
    }
    // Without a token the private stream refuses pycti.
    let (_, result) = consume(&py, hub.url(&format!("/stream/{}", ids[1])), "", 1, 5).await;
    assert_eq!(
        result["events"].as_array().map_or(0, Vec::len),
        0,
        "{result}"
    );
    hub.stop().await;
}
