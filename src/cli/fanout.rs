//! Fan-out benchmark: many SSE readers of one stream on loopback while events are ingested at a steady rate.
//! The hub runs as a separate process (`stixhub serve`) so its peak RSS is its own.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::json;

/// What the run measured.
pub struct FanoutResult {
    pub readers: usize,
    /// Connections that never read a byte (their socket buffers fill, then the hub stops writing to them).
    pub stalled: usize,
    pub events: usize,
    pub delivered: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub peak_rss_mb: f64,
}

struct Hub(Child);

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(0))
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Latencies (µs) carried in the events' names: "fanout <seq> <sent µs>".
fn scan(buf: &[u8], out: &mut Vec<u64>, received_us: u64) {
    const MARK: &[u8] = b"\"name\":\"fanout ";
    let mut i = 0;
    while let Some(pos) = buf[i..].windows(MARK.len()).position(|w| w == MARK) {
        let start = i + pos + MARK.len();
        let rest = &buf[start..];
        let end = rest.iter().position(|b| *b == b'"').unwrap_or(rest.len());
        if let Some(sent) = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|t| t.split(' ').nth(1))
            .and_then(|t| t.parse::<u64>().ok())
        {
            out.push(received_us.saturating_sub(sent));
        }
        i = start;
    }
}

/// Opens a connection to `url` that sends its request and never reads.
async fn stalled_reader(url: &str) -> Option<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut sock = tokio::net::TcpStream::connect(host).await.ok()?;
    let request =
        format!("GET /{path}?from=0 HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n");
    sock.write_all(request.as_bytes()).await.ok()?;
    Some(sock)
}

pub async fn run(
    readers: usize,
    stalled: usize,
    rate: usize,
    seconds: usize,
) -> Result<FanoutResult, String> {
    let dir =
        std::env::temp_dir().join(format!("stixhub-fanout-{}", uuid::Uuid::new_v4().simple()));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        l.local_addr().map_err(|e| e.to_string())?.port()
    };
    let token = crate::auth::generate_secret(32);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let child = Command::new(exe)
        .args([
            "serve",
            "--data",
            &dir.display().to_string(),
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("STIXHUB_ADMIN_TOKEN", &token)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let hub = Hub(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !up {
        return Err("hub did not start".into());
    }
    let stream: serde_json::Value = client
        .post(format!("{base}/api/streams"))
        .bearer_auth(&token)
        .json(&json!({"name": "fan-out", "public": true, "started": true}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "{base}/stream/{}",
        stream["id"].as_str().unwrap_or_default()
    );
    let expected = rate * seconds;
    let mut tasks = Vec::with_capacity(readers);
    let connected = Arc::new(tokio::sync::Semaphore::new(0));
    for _ in 0..readers {
        let (url, connected) = (url.clone(), connected.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::with_capacity(expected);
            let Ok(res) = client.get(&url).send().await else {
                connected.add_permits(1);
                return lat;
            };
            connected.add_permits(1);
            let mut body = res.bytes_stream();
            let mut tail: Vec<u8> = Vec::new();
            while lat.len() < expected {
                match tokio::time::timeout(Duration::from_secs(10), body.next()).await {
                    Ok(Some(Ok(chunk))) => {
                        tail.extend_from_slice(&chunk);
                        // Only whole frames are scanned.
                        if let Some(end) = tail.windows(2).rposition(|w| w == b"\n\n") {
                            scan(&tail[..end], &mut lat, now_us());
                            tail.drain(..end + 2);
                        }
                    }
                    _ => break,
                }
            }
            lat
        }));
    }
    let _ = tokio::time::timeout(
        Duration::from_secs(60),
        connected.acquire_many(u32::try_from(readers).unwrap_or(u32::MAX)),
    )
    .await;
    let mut stalled_socks = Vec::with_capacity(stalled);
    for _ in 0..stalled {
        if let Some(sock) = stalled_reader(&url).await {
            stalled_socks.push(sock);
        }
    }
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let mut tick = tokio::time::interval(period);
    // Each import is sent at its tick without waiting for the previous answer, so the offered rate holds.
    let mut writes = Vec::with_capacity(expected);
    for seq in 0..expected {
        tick.tick().await;
        let id = format!("indicator--00000000-0000-4000-8000-{seq:012}");
        let body = json!({"type": "bundle", "objects": [{"type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "name": format!("fanout {seq} {}", now_us()), "pattern": "[ipv4-addr:value = '203.0.113.7']",
            "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00.000Z"}]});
        let request = client
            .post(format!("{base}/api/bundles"))
            .bearer_auth(&token)
            .json(&body)
            .send();
        writes.push(tokio::spawn(async move {
            request.await.is_ok_and(|r| r.status().is_success())
        }));
    }
    for (seq, w) in writes.into_iter().enumerate() {
        if !w.await.unwrap_or(false) {
            return Err(format!("import {seq} failed"));
        }
    }
    let ingest_seconds = start.elapsed().as_secs_f64();
    let mut all = Vec::with_capacity(readers * expected);
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let seconds_taken = ingest_seconds;
    let peak = peak_rss_mb(hub.0.id());
    let stalled = stalled_socks.len();
    drop(stalled_socks);
    drop(hub);
    let _ = std::fs::remove_dir_all(&dir);
    all.sort_unstable();
    let pct = |p: f64| {
        let idx = ((all.len() as f64 - 1.0) * p).round() as usize;
        all.get(idx).map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Ok(FanoutResult {
        readers,
        stalled,
        events: expected,
        delivered: all.len() as u64,
        seconds: seconds_taken,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        peak_rss_mb: peak,
    })
}
