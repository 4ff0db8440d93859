//! Synchronizers across SIGKILL: real `stixhub serve` processes, killed mid-replication (B02).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{parse_id, shared, wait_ready, Sse, TOKEN};

const BIN: &str = env!("CARGO_BIN_EXE_stixhub");

struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `stixhub serve` on `bind` (port 0 = any) and reads the address it logs.
async fn spawn(dir: &Path, bind: &str) -> Proc {
    for _ in 0..50 {
        let mut child = Command::new(BIN)
            .args(["serve", "--data", dir.to_str().unwrap(), "--bind", bind])
            .env("STIXHUB_ADMIN_TOKEN", TOKEN)
            .env("STIXHUB_ADMIN_PASSWORD", "pw")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let (false, Some(pos)) = (sent, line.find("listening on http://")) {
                    let rest = &line[pos + "listening on http://".len()..];
                    let addr: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                        .collect();
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => {
                let base = format!("http://{addr}");
                wait_ready(&reqwest::Client::new(), &base).await;
                return Proc { child, base };
            }
            // The port of a killed hub may not be free yet: try again.
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("stixhub did not start on {bind}");
}

fn kill9(p: &mut Proc) {
    p.child.kill().unwrap();
    p.child.wait().unwrap();
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

async fn status(base: &str, sid: &str) -> Value {
    call(
        reqwest::Method::GET,
        format!("{base}/api/synchronizers/{sid}"),
        None,
    )
    .await["status"]
        .clone()
}

/// The hub's objects, by id.
async fn objects(base: &str) -> std::collections::BTreeMap<String, Value> {
    let mut out = std::collections::BTreeMap::new();
    let mut after = String::new();
    loop {
        let page = call(
            reqwest::Method::GET,
            format!("{base}/api/objects?limit=1000&after={after}"),
            None,
        )
        .await;
        for o in page["objects"].as_array().unwrap() {
            out.insert(o["id"].as_str().unwrap().to_owned(), o.clone());
        }
        match page["next"].as_str() {
            Some(n) => after = n.to_owned(),
            None => return out,
        }
    }
}

/// Every frame of an SSE URL until the first heartbeat (the reader has caught up).
async fn frames_until_heartbeat(url: String) -> Vec<crate::common::Frame> {
    let res = reqwest::Client::new()
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut sse = Sse::new(res);
    let mut out = Vec::new();
    while let Some(f) = sse.next(Duration::from_secs(30)).await {
        match f.event.as_str() {
            "heartbeat" => return out,
            "connected" => {}
            _ => out.push(f),
        }
    }
    panic!("no heartbeat after {} frames", out.len());
}

/// Kill -9 of the follower (three times) and of the source (twice) during replication: the follower ends
/// with exactly the source's objects, consumed every event of the stream exactly once (events_applied equals
/// the stream's frame count, one create per object in its own log), and its checkpoint never went back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_source_and_follower_mid_replication_resumes_exactly() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind_a = format!("127.0.0.1:{port}");
    let mut a = spawn(dir_a.path(), &bind_a).await;
    for f in [
        "stix21/mitre-attack/ics-attack-18.1.json",
        "stix21/mitre-attack/mobile-attack-17.1.json",
    ] {
        let res = reqwest::Client::new()
            .post(format!("{}/api/bundles", a.base))
            .bearer_auth(TOKEN)
            .body(std::fs::read(shared(f)).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    let stream = call(reqwest::Method::POST, format!("{}/api/streams", a.base),
        Some(json!({"name": "all", "started": true, "filters": {"mode": "and", "filters": [], "filterGroups": []}}))).await;
    let mut b = spawn(dir_b.path(), "127.0.0.1:0").await;
    let sync = call(reqwest::Method::POST, format!("{}/api/synchronizers", b.base),
        Some(json!({"name": "from A", "url": a.base, "token": TOKEN, "stream_id": stream["id"], "running": true}))).await;
    let sid = sync["id"].as_str().unwrap().to_owned();

    let mut cursors: Vec<(u64, u64)> = Vec::new();
    let mut kills = 0;
    // (events applied on B at which to kill, which hub): 5 kills in the suite, follower and source in turn;
    // `STIXHUB_TORTURE_ROUNDS=20` for the full torture.
    let rounds: u64 = std::env::var("STIXHUB_TORTURE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let schedule: Vec<(u64, char)> = (0..rounds)
        .map(|i| {
            (
                300 + i * 2800 / rounds.max(1),
                if i % 2 == 0 { 'b' } else { 'a' },
            )
        })
        .collect();
    for (threshold, victim) in schedule {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let st = status(&b.base, &sid).await;
            if let Some(c) = st["cursor"].as_str() {
                cursors.push(parse_id(c));
            }
            if st["events_applied"].as_u64().unwrap() >= threshold {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "replication stalled: {st}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if victim == 'a' {
            kill9(&mut a);
            a = spawn(dir_a.path(), &bind_a).await;
        } else {
            kill9(&mut b);
            b = spawn(dir_b.path(), "127.0.0.1:0").await;
        }
        kills += 1;
    }
    assert_eq!(kills, rounds);
    println!("sync torture: {kills} SIGKILLs (follower and source in turn)");

    let want = objects(&a.base).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let st = status(&b.base, &sid).await;
        if let Some(c) = st["cursor"].as_str() {
            cursors.push(parse_id(c));
        }
        if objects(&b.base).await.len() == want.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never caught up: {st}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(objects(&b.base).await, want, "same ids, same content");
    assert!(
        cursors.windows(2).all(|w| w[0] <= w[1]),
        "the checkpoint never goes back: {cursors:?}"
    );

    let frames = frames_until_heartbeat(format!(
        "{}/stream/{}?from=0",
        a.base,
        stream["id"].as_str().unwrap()
    ))
    .await;
    let st = status(&b.base, &sid).await;
    assert_eq!(
        st["events_applied"].as_u64().unwrap(),
        frames.len() as u64,
        "every event once: {st}"
    );
    let b_log = frames_until_heartbeat(format!("{}/stream?from=0", b.base)).await;
    assert_eq!(b_log.len(), want.len(), "one event per object on B");
    assert!(b_log.iter().all(|f| f.event == "create"));
    println!(
        "sync torture: {kills} SIGKILLs; {} objects identical on both hubs, {} stream events applied once each, {} cursor readings never going back",
        want.len(),
        frames.len(),
        cursors.len()
    );
}
