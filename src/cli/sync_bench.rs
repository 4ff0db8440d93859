//! `stixhub bench --sync`: hub → hub replication of a corpus through a synchronizer, next to the local ingest
//! of the same corpus in the same run (the machine is noisy, so the ratio is the figure).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::bench::TempDir;
use super::import::read_bundle_file;
use crate::config::{Config, Secret};
use crate::knowledge::{self, Origin};

pub struct SyncFigures {
    pub objects: usize,
    pub local: Duration,
    pub replication: Duration,
}

struct Running {
    base: String,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), crate::app::RunError>>,
}

async fn serve(config: Config) -> Result<Running, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(crate::app::run(config, listener, shutdown.clone()));
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return Ok(Running {
                base,
                shutdown,
                task,
            });
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Err(format!("hub at {base} did not start"))
}

async fn call(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> Result<Value, String> {
    let res = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("HTTP {}", res.status()));
    }
    res.json().await.map_err(|e| e.to_string())
}

/// Ingests `corpus` into hub A (timed), then replicates A's unfiltered stream to hub B (timed until B's
/// cursor reaches the end of A's stream).
pub async fn run(corpus: &Path) -> Result<SyncFigures, String> {
    let (dir_a, dir_b) = (
        TempDir::new("sync-a").map_err(|e| e.to_string())?,
        TempDir::new("sync-b").map_err(|e| e.to_string())?,
    );
    let token = crate::auth::generate_secret(32);
    let config = |dir: &Path| Config {
        data_dir: dir.to_path_buf(),
        admin_token: Some(Secret(token.clone())),
        ..Config::default()
    };
    let (config_a, path) = (config(&dir_a.0), corpus.to_path_buf());
    let (objects, local) = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let store = crate::app::open_store(&config_a).map_err(|e| e.to_string())?;
        let body = read_bundle_file(&path)?;
        let origin = Origin {
            hub_id: store.hub_id().to_string(),
            source: "bench".into(),
            user_id: None,
            upstream_hub: None,
        };
        let start = Instant::now();
        let report = knowledge::import_bundle(&store, &body, usize::MAX, &origin, &mut |_, _| {})
            .map_err(|e| e.to_string())?;
        let took = start.elapsed();
        store.flush().map_err(|e| e.to_string())?;
        Ok((report.created, took))
    })
    .await
    .map_err(|e| e.to_string())??;
    let a = serve(config(&dir_a.0)).await?;
    let b = serve(config(&dir_b.0)).await?;
    let stream = call(reqwest::Method::POST, format!("{}/api/streams", a.base), &token,
        json!({"name": "all", "started": true, "filters": {"mode": "and", "filters": [], "filterGroups": []}})).await?;
    let stream_id = stream["id"].as_str().unwrap_or_default().to_owned();
    // The end of A's stream: where B's cursor stops.
    let mut last = String::new();
    let probe = reqwest::Client::new()
        .get(format!("{}/stream/{stream_id}", a.base))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut body = futures_util::StreamExt::boxed(probe.bytes_stream());
    let mut parser = crate::sync::sse::Parser::new(1 << 20);
    let mut events = Vec::new();
    while events.is_empty() {
        let Some(Ok(chunk)) = futures_util::StreamExt::next(&mut body).await else {
            return Err("no connected message".into());
        };
        parser
            .feed(&chunk, &mut events)
            .map_err(|e| e.to_string())?;
    }
    if let Ok(v) = serde_json::from_str::<Value>(&events[0].data) {
        last = v["lastEventId"].as_str().unwrap_or_default().to_owned();
    }
    drop(body);
    let start = Instant::now();
    let sync = call(reqwest::Method::POST, format!("{}/api/synchronizers", b.base), &token,
        json!({"name": "bench", "url": a.base, "token": token, "stream_id": stream_id, "running": true})).await?;
    let sid = sync["id"].as_str().unwrap_or_default().to_owned();
    loop {
        let st = call(
            reqwest::Method::GET,
            format!("{}/api/synchronizers/{sid}", b.base),
            &token,
            Value::Null,
        )
        .await?;
        if st["status"]["cursor"]
            .as_str()
            .is_some_and(|c| !crate::sync::apply::id_after(&last, c))
        {
            break;
        }
        if start.elapsed() > Duration::from_secs(600) {
            return Err(format!("replication did not finish: {st}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let replication = start.elapsed();
    for hub in [b, a] {
        hub.shutdown.cancel();
        let _ = hub.task.await;
    }
    Ok(SyncFigures {
        objects,
        local,
        replication,
    })
}

/// Prints the figures; returns them as JSON.
#[must_use]
pub fn report(f: &SyncFigures) -> Value {
    use std::io::Write;
    let local = f.objects as f64 / f.local.as_secs_f64().max(1e-9);
    let sync = f.objects as f64 / f.replication.as_secs_f64().max(1e-9);
    let _ = writeln!(
        std::io::stdout(),
        "hub -> hub replication: {} objects in {:.2} s = {sync:.0} objects/s; local ingest of the same corpus {:.2} s = {local:.0} objects/s; ratio {:.0}% (target >= 30%)",
        f.objects,
        f.replication.as_secs_f64(),
        f.local.as_secs_f64(),
        100.0 * sync / local
    );
    json!({"figure": "sync", "objects": f.objects, "objects_per_s": sync, "local_objects_per_s": local, "ratio": sync / local})
}
