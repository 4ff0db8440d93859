//! Synchronizers against a scripted fake remote (B07, B26) and discovery errors (B28).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{eventually, Hub, TOKEN};
use crate::sync::sync_status;

/// What the fake remote does on one connection.
#[derive(Clone)]
pub enum Step {
    Status(u16),
    /// 200 `text/event-stream`, these bytes, then `later` ones 200 ms apart, then close the socket (or keep
    /// it open when `hold`).
    Stream {
        body: String,
        later: Vec<String>,
        hold: bool,
    },
    /// Accept, read the request, send nothing.
    Stall,
}

pub struct Fake {
    pub base: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Serves `script[n]` to the n-th connection (the last step repeats).
pub async fn fake_remote(script: Vec<Step>) -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut sock, _)) = listener.accept().await {
            let step = script[n.min(script.len() - 1)].clone();
            n += 1;
            let log = log.clone();
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => req.extend_from_slice(&buf[..k]),
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&req).to_lowercase());
                match step {
                    Step::Status(code) => {
                        let head = format!(
                            "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                    }
                    Step::Stream { body, later, hold } => {
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: close\r\n\r\n";
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body.as_bytes()).await;
                        for l in later {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            let _ = sock.write_all(l.as_bytes()).await;
                        }
                        // Held open: an SSE comment every 200 ms keeps an idle timeout from firing.
                        for _ in 0..(if hold { 300 } else { 0 }) {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            if sock.write_all(b": keep-alive\n\n").await.is_err() {
                                break;
                            }
                        }
                    }
                    Step::Stall => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    Fake { base, requests }
}

pub fn sid(n: u32, kind: &str) -> String {
    format!("{kind}--00000000-0000-4000-8000-{n:012}")
}

pub fn object(n: u32, kind: &str, extra: Value) -> Value {
    let mut o = json!({"type": kind, "spec_version": "2.1", "id": sid(n, kind),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        // The sender's OpenCTI extension, replaced by ours on ingest.
        "extensions": {"extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba":
            {"extension_type": "property-extension", "id": "x", "type": "X"}}});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

pub fn indicator_obj(n: u32) -> Value {
    object(
        n,
        "indicator",
        json!({"name": format!("i{n}"), "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}),
    )
}

/// One OpenCTI frame.
pub fn frame(id: &str, event: &str, data: &Value) -> String {
    let payload = json!({"version": "4", "type": event, "scope": "external", "message": "m",
        "origin": {"user_id": "88ec0c6a-13ce-5e39-b486-354fe4a7084f"}, "data": data});
    format!("id: {id}\nevent: {event}\ndata: {payload}\n\n")
}

pub const CONNECTED: &str = "event: connected\ndata: {\"connectionId\":\"fake\"}\n\n";

pub async fn follow(hub: &Hub, fake: &Fake) -> String {
    let s = hub
        .create_sync(json!({"name": "fake", "url": fake.base, "token": "t", "stream_id": "s1", "running": true}))
        .await;
    s["id"].as_str().unwrap().to_owned()
}

/// B07: a 404, a socket closed in the middle of a frame, and a remote that stalls are each survived by
/// reconnecting with backoff from the last checkpoint (`Last-Event-ID`, never `from` again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_from_404_closed_socket_and_stall_from_its_checkpoint() {
    let first = format!(
        "{CONNECTED}{}{}id: 1002-0\nevent: create\ndata: {{\"versi",
        frame("1000-0", "create", &indicator_obj(1)),
        frame("1001-0", "create", &indicator_obj(2))
    );
    let last = format!(
        "{CONNECTED}{}{}id: 1004-0\nevent: heartbeat\ndata: \"x\"\n\n",
        frame("1002-0", "create", &indicator_obj(3)),
        frame("1003-0", "create", &indicator_obj(4))
    );
    let fake = fake_remote(vec![
        Step::Status(404),
        Step::Stream {
            body: first,
            later: vec![],
            hold: false,
        },
        Step::Stall,
        Step::Stream {
            body: last,
            later: vec![],
            hold: true,
        },
    ])
    .await;
    let hub = Hub::start_with(Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.sync_idle_timeout_ms = 1000
    })
    .await;
    let id = follow(&hub, &fake).await;
    let st = eventually("all four objects applied", 60, || async {
        let s = sync_status(&hub, &id).await;
        (s["status"]["events_applied"] == json!(4)).then_some(s)
    })
    .await;
    assert_eq!(hub.all_objects().await.len(), 4);
    assert_eq!(st["status"]["state"], json!("live"), "{st}");
    assert!(
        st["status"]["last_error"]
            .as_str()
            .unwrap()
            .starts_with("stalled"),
        "{st}"
    );
    let reqs = fake.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 4, "{reqs:?}");
    assert!(
        reqs[0].starts_with("get /stream/s1?listen-delete=true&no-dependencies=false&from=0 "),
        "{}",
        reqs[0]
    );
    assert!(reqs[0].contains("authorization: bearer t\r\n"));
    assert!(!reqs[0].contains("last-event-id"));
    for r in &reqs[2..] {
        assert!(
            r.contains("last-event-id: 1001-0\r\n"),
            "resumes after the last complete event: {r}"
        );
        assert!(
            !r.contains("from="),
            "never from and Last-Event-ID together (B01): {r}"
        );
    }
    let stored = hub
        .get(&format!("/api/objects/{}", sid(1, "indicator")))
        .await
        .1;
    assert!(
        stored.get("extensions").is_none(),
        "the sender's OpenCTI extension is not kept: {stored}"
    );
    hub.stop().await;
}

/// B26 (and B40 (4)): a report before its actor is completed; a relationship whose end never comes waits a
/// bounded number of batches then is reported with the missing id; an invalid and an oversized record are
/// reported by id; nothing stalls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_references_wait_then_are_reported_and_bad_records_do_not_stall() {
    let mut body = CONNECTED.to_owned();
    body += &frame(
        "2000-0",
        "create",
        &object(
            1,
            "report",
            json!({"name": "r", "published": "2024-01-01T00:00:00Z",
        "object_refs": [sid(2, "threat-actor")]}),
        ),
    );
    body += &frame(
        "2001-0",
        "create",
        &object(
            3,
            "relationship",
            json!({"relationship_type": "uses",
        "source_ref": sid(2, "threat-actor"), "target_ref": sid(4, "malware")}),
        ),
    );
    body += &frame(
        "2002-0",
        "create",
        &object(2, "threat-actor", json!({"name": "actor"})),
    );
    body += &frame(
        "2003-0",
        "create",
        &object(
            5,
            "relationship",
            json!({"relationship_type": "uses",
        "created": "yesterday", "source_ref": sid(2, "threat-actor"), "target_ref": sid(1, "report")}),
        ),
    );
    // B40 (4): an object over the size limit is reported and passed, never refetched forever.
    let mut huge = indicator_obj(99);
    huge["description"] = json!("x".repeat(100_000));
    body += &frame("2003-1", "create", &huge);
    for n in 0..100 {
        body += &frame(
            &format!("{}-0", 2004 + n),
            "create",
            &indicator_obj(100 + n),
        );
    }
    // Later batches, one event each, give the waiting relationship its bounded number of chances.
    let later = (0..6)
        .map(|n| {
            frame(
                &format!("{}-0", 2104 + n),
                "create",
                &indicator_obj(200 + n),
            )
        })
        .collect();
    let fake = fake_remote(vec![
        Step::Stream {
            body,
            later,
            hold: true,
        },
        Step::Stall,
    ])
    .await;
    let hub = Hub::start_with(Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.max_object_bytes = 65_536;
    })
    .await;
    let id = follow(&hub, &fake).await;
    let st = eventually("the relationship is given up", 60, || async {
        let s = sync_status(&hub, &id).await;
        (s["status"]["errors"].as_array().unwrap().len() == 3).then_some(s)
    })
    .await;
    let errors = st["status"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["id"], json!(sid(5, "relationship")), "{st}");
    assert!(
        errors[0]["error"].as_str().unwrap().contains("created"),
        "{st}"
    );
    assert_eq!(errors[1]["id"], json!(sid(99, "indicator")), "{st}");
    assert!(
        errors[1]["error"]
            .as_str()
            .unwrap()
            .contains("over the limit of 65536"),
        "{st}"
    );
    assert_eq!(errors[2]["id"], json!(sid(3, "relationship")), "{st}");
    assert_eq!(
        errors[2]["error"],
        json!(format!(
            "missing reference {} (waited 5 batches)",
            sid(4, "malware")
        ))
    );
    assert_eq!(st["status"]["parked"], json!([]));
    let st = eventually("every event consumed", 30, || async {
        let s = sync_status(&hub, &id).await;
        (s["status"]["cursor"] == json!("2109-0")).then_some(s)
    })
    .await;
    assert_eq!(
        st["status"]["events_applied"],
        json!(111),
        "the checkpoint moved past the failures"
    );
    let objects = hub.all_objects().await;
    assert_eq!(objects.len(), 108, "report, actor and the 106 indicators");
    assert_eq!(
        objects[&sid(1, "report")]["object_refs"],
        json!([sid(2, "threat-actor")])
    );
    hub.stop().await;
}

/// B28: clear verification errors, each with a stable code and the remote status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_explains_what_is_wrong() {
    let a = Hub::start().await;
    let private = a
        .create_stream(
            json!({"name": "private", "started": true, "filters": crate::sync::all_filter()}),
        )
        .await;
    let b = Hub::start().await;
    let html = fake_remote(vec![Step::Stream {
        body: String::new(),
        later: vec![],
        hold: false,
    }])
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cases = [
        (
            json!({"url": a.base, "stream_id": private["id"]}),
            "remote_unauthorized",
            "401: token required or invalid",
        ),
        (
            json!({"url": a.base, "token": "wrong"}),
            "remote_unauthorized",
            "401: token required or invalid",
        ),
        (
            json!({"url": format!("{}/stream", a.base)}),
            "remote_not_found",
            "base URL",
        ),
        (
            json!({"url": a.base, "token": TOKEN, "stream_id": "nope"}),
            "remote_not_found",
            "stream 'nope' not found",
        ),
        (
            json!({"url": format!("http://127.0.0.1:{closed}")}),
            "remote_unreachable",
            "unreachable",
        ),
        (
            json!({"url": a.base.replace("http://", "https://")}),
            "remote_tls",
            "verify_tls",
        ),
        (
            json!({"url": html.base}),
            "not_a_stream_server",
            "not a stream server",
        ),
    ];
    for (body, code, text) in cases {
        let (status, answer) = b.post_json("/api/synchronizers/discover", &body).await;
        assert_eq!(
            (status, answer["code"].as_str().unwrap()),
            (422, code),
            "{body} → {answer}"
        );
        assert!(
            answer["error"].as_str().unwrap().contains(text),
            "{body} → {answer}"
        );
    }
    let (status, ok) = b
        .post_json(
            "/api/synchronizers/discover",
            &json!({"url": a.base, "token": TOKEN, "stream_id": private["id"]}),
        )
        .await;
    assert_eq!(
        (
            status,
            ok["stream_check"].clone(),
            ok["streams"][0]["id"].clone()
        ),
        (200, json!("ok"), private["id"].clone())
    );
    b.stop().await;
    a.stop().await;
}
