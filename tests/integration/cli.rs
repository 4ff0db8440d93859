//! The real binary: `serve` as a process (SIGKILL, SIGTERM), `import` offline and over HTTP, `healthcheck`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::{bundle, counts, indicator, parse_id, shared, wait_ready, Sse, TOKEN};

const BIN: &str = env!("CARGO_BIN_EXE_stixhub");
const ICS: &str = "stix21/mitre-attack/ics-attack-18.1.json";

struct Proc {
    child: Child,
    base: String,
}

/// Starts `stixhub serve` on port 0 and reads the address it logs.
async fn spawn(dir: &Path) -> Proc {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--data",
            dir.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .env("STIXHUB_ADMIN_TOKEN", TOKEN)
        .env("STIXHUB_ADMIN_PASSWORD", "pw")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent {
                if let Some(pos) = line.find("listening on http://") {
                    let rest = &line[pos + "listening on http://".len()..];
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no listening line");
    let base = format!("http://{addr}");
    wait_ready(&reqwest::Client::new(), &base).await;
    Proc { child, base }
}

impl Drop for Proc {
    /// A failing test must not leave a hub running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kill9(p: &mut Proc) {
    p.child.kill().unwrap(); // SIGKILL
    p.child.wait().unwrap();
}

async fn post(base: &str, body: Vec<u8>) -> serde_json::Value {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/bundles"))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.unwrap()
}

async fn all_events(base: &str, n: usize) -> Vec<crate::common::Frame> {
    let res = reqwest::Client::new()
        .get(format!("{base}/stream?from=0"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    Sse::new(res).data_frames(n, Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_acknowledgement_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = spawn(dir.path()).await;
    let report = post(&p.base, std::fs::read(shared(ICS)).unwrap()).await;
    assert_eq!(counts(&report), [1826, 0, 0, 0, 0]);
    kill9(&mut p); // right after the answer
    let mut p = spawn(dir.path()).await;
    let events = all_events(&p.base, 1827).await;
    assert_eq!(
        events.len(),
        1826,
        "every acknowledged event is there, no more"
    );
    let last = parse_id(events.last().unwrap().id.as_deref().unwrap());
    post(
        &p.base,
        serde_json::to_vec(&bundle(vec![indicator(
            1,
            "next",
            "2024-01-01T00:00:00.000Z",
        )]))
        .unwrap(),
    )
    .await;
    let events = all_events(&p.base, 1827).await;
    assert!(parse_id(events[1826].id.as_deref().unwrap()) > last);
    kill9(&mut p);
}

/// The crash torture: SIGKILL at a random moment while importing, `STIXHUB_TORTURE_ROUNDS` times (3 in the
/// suite; `STIXHUB_TORTURE_ROUNDS=20 cargo test --release --test integration sigkill_during -- --nocapture`
/// for the full run); every acknowledged object survives, event ids strictly increase, no event repeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_imports_keeps_every_acknowledged_object() {
    let rounds: u64 = std::env::var("STIXHUB_TORTURE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("torture: {rounds} rounds, seed {seed}");
    let mut random_ms = move || {
        // xorshift64: a kill moment between 50 and 800 ms into each round.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        50 + seed % 750
    };
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = Vec::new();
    let mut n = 0u32;
    for _ in 0..rounds {
        let mut p = spawn(dir.path()).await;
        let base = p.base.clone();
        let writer = tokio::spawn(async move {
            let mut acked = Vec::new();
            let client = reqwest::Client::new();
            for i in 0..1000u32 {
                let id = n + i;
                let b = serde_json::to_vec(&bundle(vec![indicator(
                    id,
                    "crash",
                    "2024-01-01T00:00:00.000Z",
                )]))
                .unwrap();
                match client
                    .post(format!("{base}/api/bundles"))
                    .bearer_auth(TOKEN)
                    .body(b)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => acked.push(id),
                    _ => break,
                }
            }
            acked
        });
        tokio::time::sleep(Duration::from_millis(random_ms())).await;
        kill9(&mut p);
        let acked = writer.await.unwrap();
        n += 1000;
        acknowledged.extend(acked);
    }
    let mut p = spawn(dir.path()).await;
    let client = reqwest::Client::new();
    for id in &acknowledged {
        let url = format!(
            "{}/api/objects/indicator--00000000-0000-4000-8000-{id:012}",
            p.base
        );
        let status = client
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 200, "acknowledged object {id} lost");
    }
    let events = all_events(&p.base, acknowledged.len() + 50).await;
    let ids: Vec<(u64, u64)> = events
        .iter()
        .map(|f| parse_id(f.id.as_deref().unwrap()))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "event ids strictly increase across crashes"
    );
    let mut stix: Vec<String> = events
        .iter()
        .map(|f| f.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    stix.sort();
    let before = stix.len();
    stix.dedup();
    assert_eq!(before, stix.len(), "no duplicate events");
    assert!(!acknowledged.is_empty(), "some imports were acknowledged");
    println!(
        "torture: {rounds} SIGKILLs, {} acknowledged objects all present, {} events in strictly increasing order, no duplicate",
        acknowledged.len(),
        events.len()
    );
    kill9(&mut p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_streams_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = spawn(dir.path()).await;
    let res = reqwest::Client::new()
        .get(format!("{}/stream?from=0", p.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut sse = Sse::new(res);
    assert_eq!(
        sse.next(Duration::from_secs(5)).await.unwrap().event,
        "connected"
    );
    let pid = p.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::task::spawn_blocking(move || p.child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    while sse.next(Duration::from_secs(5)).await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_offline_and_over_http_then_healthcheck() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let out = Command::new(BIN)
        .args([
            "import",
            "--data",
            data,
            shared(ICS).to_str().unwrap(),
            shared("stix20/mitre-cti/ics-attack.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(counts(&lines[0]["result"]), [1826, 0, 0, 0, 0]);
    // The 2.0 release of the same data upgrades to exactly the 2.1 objects: all unchanged.
    assert_eq!(counts(&lines[1]["result"]), [0, 0, 1825, 0, 0]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1826/1826 objects"),
        "progress is shown"
    );

    let mut p = spawn(dir.path()).await;
    let out = Command::new(BIN)
        .args([
            "import",
            "--url",
            &p.base,
            "--token",
            TOKEN,
            shared("stix21/mitre-attack/mobile-attack-17.1.json")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Mobile shares 14 objects with ICS: 3 identical (identity, marking), 11 older there than in ICS 18.1.
    assert_eq!(counts(&line["result"]), [2134, 0, 3, 11, 0]);
    // Offline import while the hub runs: a clear error, not a corruption.
    let out = Command::new(BIN)
        .args(["import", "--data", data, shared(ICS).to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--url"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let ok = Command::new(BIN)
        .args(["healthcheck", "--url", &p.base])
        .status()
        .unwrap();
    assert!(ok.success());
    kill9(&mut p);
    let down = Command::new(BIN)
        .args(["healthcheck", "--url", &p.base])
        .output()
        .unwrap();
    assert!(!down.status.success());
}
