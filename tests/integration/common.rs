//! Test harness: start a hub in-process (the same `app::run` as `main`) or as a real process, and talk to it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use stixhub::config::{Config, Secret};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-admin-token";

pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub struct Hub {
    pub base: String,
    pub dir: Arc<tempfile::TempDir>,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), stixhub::app::RunError>>,
}

pub fn test_config(dir: &Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        admin_token: Some(Secret(TOKEN.into())),
        admin_password: Some(Secret("test-password".into())),
        heartbeat_ms: 300,
        ..Config::default()
    }
}

impl Hub {
    pub async fn start() -> Hub {
        Self::start_with(Arc::new(tempfile::tempdir().unwrap()), |_| {}).await
    }

    pub async fn start_with(dir: Arc<tempfile::TempDir>, tweak: impl FnOnce(&mut Config)) -> Hub {
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let mut task = tokio::spawn(stixhub::app::run(config, listener, shutdown.clone()));
        let client = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        tokio::select! {
            _ = wait_ready(&client, &base) => {}
            ended = &mut task => panic!("hub at {base} ended before it was ready: {ended:?}"),
        }
        Hub {
            base,
            dir,
            client,
            shutdown,
            task,
        }
    }

    /// Stops the hub cleanly and returns its data directory for a restart.
    pub async fn stop(self) -> Arc<tempfile::TempDir> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("hub did not stop")
            .unwrap()
            .unwrap();
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_bundle_bytes(&self, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .client
            .post(self.url("/api/bundles"))
            .bearer_auth(TOKEN)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn import(&self, bundle: &Value) -> Value {
        let (status, body) = self
            .post_bundle_bytes(serde_json::to_vec(bundle).unwrap())
            .await;
        assert_eq!(status, 200, "import failed: {body}");
        body
    }

    pub async fn import_file(&self, path: &Path) -> Value {
        let (status, body) = self.post_bundle_bytes(std::fs::read(path).unwrap()).await;
        assert_eq!(status, 200, "import of {} failed: {body}", path.display());
        body
    }

    /// `POST /api/streams` with the admin token; asserts 201 and returns the stream.
    pub async fn create_stream(&self, body: Value) -> Value {
        let res = self
            .client
            .post(self.url("/api/streams"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201, "{body}");
        res.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Opens `GET path` as an SSE reader with extra headers.
    pub async fn sse(&self, path: &str, headers: &[(&str, &str)]) -> Sse {
        let mut req = self.client.get(self.url(path)).bearer_auth(TOKEN);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "SSE connect to {path} failed");
        Sse::new(res)
    }
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    // Up to 30 s: a 2-core CI machine running the whole suite can be slow to start a hub.
    for _ in 0..1200 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("hub at {base} never became ready");
}

pub fn counts(report: &Value) -> [u64; 5] {
    [
        "created",
        "updated",
        "unchanged",
        "older_ignored",
        "rejected",
    ]
    .map(|k| report[k].as_u64().unwrap())
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl Frame {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// A minimal SSE reader over a reqwest response (frames end with a blank line; `\n` endings).
pub struct Sse {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: Vec<u8>,
}

impl Sse {
    pub fn new(res: reqwest::Response) -> Self {
        Self {
            body: Box::pin(res.bytes_stream()),
            buf: Vec::new(),
        }
    }

    /// The next frame, or `None` at end of stream or after `wait` without one.
    pub async fn next(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buf.drain(..pos + 2).collect();
                return Some(parse_frame(std::str::from_utf8(&raw).unwrap()));
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.extend_from_slice(&chunk),
                Ok(Some(Err(_)) | None) | Err(_) => return None,
            }
        }
    }

    /// Reads data frames (not connected/heartbeat) until `n` are collected or `wait` has passed in all.
    pub async fn data_frames(&mut self, n: usize, wait: Duration) -> Vec<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        while out.len() < n {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match self.next(left).await {
                Some(f) if f.event == "connected" || f.event == "heartbeat" => {}
                Some(f) => out.push(f),
                None => break,
            }
        }
        out
    }
}

fn parse_frame(text: &str) -> Frame {
    let mut f = Frame {
        id: None,
        event: "message".into(),
        data: String::new(),
    };
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("id: ") {
            f.id = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("event: ") {
            f.event = v.to_owned();
        } else if let Some(v) = line.strip_prefix("data: ") {
            f.data.push_str(v);
        }
    }
    f
}

pub fn parse_id(id: &str) -> (u64, u64) {
    let (a, b) = id.split_once('-').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

/// A STIX indicator with a fixed id suffix.
pub fn indicator(n: u32, name: &str, modified: &str) -> Value {
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
        "created": "2024-01-01T00:00:00.000Z", "modified": modified,
        "name": name, "pattern": "[ipv4-addr:value = '203.0.113.7']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z"
    })
}

pub fn bundle(objects: Vec<Value>) -> Value {
    serde_json::json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects})
}

impl Hub {
    /// Every object the hub holds, by id (paginated `GET /api/objects`).
    pub async fn all_objects(&self) -> std::collections::BTreeMap<String, Value> {
        let mut out = std::collections::BTreeMap::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/objects?limit=1000&after={a}"),
                None => "/api/objects?limit=1000".to_owned(),
            };
            let (status, page) = self.get(&path).await;
            assert_eq!(status, 200, "{page}");
            for o in page["objects"].as_array().unwrap() {
                out.insert(o["id"].as_str().unwrap().to_owned(), o.clone());
            }
            match page["next"].as_str() {
                Some(n) => after = Some(n.to_owned()),
                None => return out,
            }
        }
    }

    /// `POST /api/synchronizers` with the admin token; asserts 201 and returns the synchronizer.
    pub async fn create_sync(&self, body: Value) -> Value {
        let res = self
            .client
            .post(self.url("/api/synchronizers"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let answer: Value = res.json().await.unwrap();
        assert_eq!(status, 201, "{answer}");
        answer
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `secs` seconds naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
