//! `GET /stream`: framing, order, resume, positions, heartbeats, slow readers, shutdown.

use std::io::{Read, Write};
use std::time::Duration;

use crate::common::{bundle, counts, indicator, parse_id, shared, Hub, Sse, TOKEN};

const ICS: &str = "stix21/mitre-attack/ics-attack-18.1.json";
const WAIT: Duration = Duration::from_secs(10);

fn ics_ids() -> Vec<String> {
    let b = crate::common::read_json(&shared(ICS));
    b["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing_headers_and_full_replay_in_import_order() {
    let hub = Hub::start().await;
    hub.import_file(&shared(ICS)).await;
    let res = hub
        .client
        .get(hub.url("/stream?from=0-0"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let h = res.headers();
    assert_eq!(h["content-type"], "text/event-stream; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache, no-transform");
    assert_eq!(h["x-accel-buffering"], "no");
    let mut sse = Sse::new(res);
    let first = sse.next(WAIT).await.unwrap();
    assert_eq!(first.event, "connected");
    assert!(first.id.is_none(), "connected has no id: line");
    let c = first.json();
    assert_eq!(c["streamSize"], 1826);
    assert!(
        c["connectionId"].is_string()
            && c["lastEventId"].is_string()
            && c["firstEventDate"].is_string()
    );

    let frames = sse.data_frames(1826, WAIT).await;
    assert_eq!(frames.len(), 1826);
    assert!(frames.iter().all(|f| f.event == "create"));
    let got: Vec<String> = frames
        .iter()
        .map(|f| f.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ics_ids(), "creates in import order");
    let ids: Vec<(u64, u64)> = frames
        .iter()
        .map(|f| parse_id(f.id.as_deref().unwrap()))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids strictly increase");
    assert_eq!(
        c["lastEventId"].as_str().unwrap(),
        frames.last().unwrap().id.as_deref().unwrap()
    );
    // Nothing more, then a heartbeat whose id is a resume point at or above the last event.
    let hb = sse.next(WAIT).await.unwrap();
    assert_eq!(hb.event, "heartbeat");
    assert!(parse_id(hb.id.as_deref().unwrap()) >= *ids.last().unwrap());
    assert!(
        hb.data.starts_with('"') && hb.data.ends_with("Z\""),
        "heartbeat data is a JSON date string: {}",
        hb.data
    );
    hub.stop().await;
}

/// B01: a reconnect carrying both `from` and `Last-Event-ID` resumes after Last-Event-ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_mid_way_without_gap_or_duplicate() {
    let hub = Hub::start().await;
    hub.import_file(&shared(ICS)).await;
    let all = ics_ids();
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    let part = sse.data_frames(700, WAIT).await;
    drop(sse); // drop the connection mid-way
    let cut = part.last().unwrap().id.clone().unwrap();

    let mut sse = hub.sse("/stream", &[("Last-Event-ID", &cut)]).await;
    let rest = sse.data_frames(1826 - 700, WAIT).await;
    let mut got: Vec<String> = part
        .iter()
        .chain(rest.iter())
        .map(|f| f.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, all);
    assert!(
        sse.data_frames(1, Duration::from_millis(700))
            .await
            .is_empty(),
        "no duplicate after the end"
    );

    // Both positions: Last-Event-ID wins over `from` (query or header).
    let first_id = part[0].id.clone().unwrap();
    let mut sse = hub
        .sse(
            &format!("/stream?from={first_id}"),
            &[("Last-Event-ID", &cut), ("from", "0")],
        )
        .await;
    let rest2 = sse.data_frames(1826 - 700, WAIT).await;
    got = rest2
        .iter()
        .map(|f| f.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, all[700..].to_vec());
    // `from` alone (header) is exclusive too.
    let mut sse = hub.sse("/stream", &[("from", &first_id)]).await;
    let f = sse.data_frames(1, WAIT).await;
    assert_eq!(f[0].json()["data"]["id"], all[1].as_str());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_are_validated_and_auth_is_required() {
    let hub = Hub::start().await;
    for bad in [
        "/stream?from=yesterday",
        "/stream?from=12-x",
        "/stream?recover=2024-01-01T00:00:00Z",
        "/stream?from=0&recover=later",
    ] {
        let res = hub
            .client
            .get(hub.url(bad))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{bad}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "bad_request");
        assert!(!body["error"].as_str().unwrap().is_empty());
    }
    let res = hub
        .client
        .get(hub.url("/stream"))
        .header("Last-Event-ID", "nonsense")
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    // B05: recover with a position is fine.
    let res = hub
        .client
        .get(hub.url("/stream?from=0&recover=2024-01-01T00:00:00Z"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        hub.client
            .get(hub.url("/stream"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let res = hub
        .client
        .get(hub.url("/stream"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        hub.client
            .post(hub.url("/api/bundles"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    let res = hub
        .client
        .post(hub.url("/stream/connection/abc"))
        .json(&serde_json::json!({"delay": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"message": "ok"})
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_readers_get_new_events_and_dates_work_as_positions() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![indicator(
        1,
        "old",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let mut live = hub.sse("/stream", &[]).await; // no position: only what comes next
    assert_eq!(live.next(WAIT).await.unwrap().event, "connected");
    hub.import(&bundle(vec![indicator(
        2,
        "new",
        "2024-01-01T00:00:00.000Z",
    )]))
    .await;
    let f = live.data_frames(1, WAIT).await;
    assert_eq!(f[0].json()["data"]["name"], "new");
    // A date position: everything at or after it.
    let mut sse = hub.sse("/stream?from=2000-01-01T00:00:00Z", &[]).await;
    assert_eq!(sse.data_frames(2, WAIT).await.len(), 2);
    let mut sse = hub.sse("/stream?from=2999-01-01T00:00:00Z", &[]).await;
    assert!(sse
        .data_frames(1, Duration::from_millis(500))
        .await
        .is_empty());
    hub.stop().await;
}

/// B09: readers that never read hold bounded memory and never block writers or other readers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_do_not_block_writers_or_fast_readers() {
    let hub = Hub::start().await;
    hub.import_file(&shared(ICS)).await;
    let addr = hub.base.trim_start_matches("http://").to_owned();
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET /stream?from=0 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        )
        .unwrap();
        stalled.push(s); // never read
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let report = hub
        .import_file(&shared("stix21/mitre-attack/mobile-attack-17.1.json"))
        .await;
    // Mobile shares 14 objects with ICS: 3 identical, 11 older than in ICS 18.1 (no events for those).
    assert_eq!(counts(&report), [2134, 0, 3, 11, 0]);
    let mut fast = hub.sse("/stream?from=0", &[]).await;
    assert_eq!(fast.data_frames(1826 + 2134, WAIT).await.len(), 1826 + 2134);
    // The stalled sockets are still open and readable: nothing was lost for them either.
    let mut buf = [0u8; 64];
    stalled[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = stalled[0].read(&mut buf).unwrap();
    assert!(std::str::from_utf8(&buf[..n])
        .unwrap()
        .starts_with("HTTP/1.1 200"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams() {
    let hub = Hub::start().await;
    let mut sse = hub.sse("/stream?from=0", &[]).await;
    assert_eq!(sse.next(WAIT).await.unwrap().event, "connected");
    let stopping = tokio::spawn(hub.stop());
    // The stream ends (no frame, end of body) well before the 20 s stop timeout.
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if sse.next(Duration::from_secs(10)).await.is_none() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "stream still open after shutdown");
    stopping.await.unwrap();
}

/// B09 (soak side): a reader that stops reading is disconnected once the hub's unsent data has waited
/// `stall_timeout_secs` (TCP_USER_TIMEOUT covers a zero receive window), instead of staying open for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_are_eventually_disconnected() {
    use std::io::{Read, Write};
    let hub = Hub::start_with(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.stall_timeout_secs = 2;
    })
    .await;
    hub.import_file(&crate::common::shared(
        "stix21/mitre-attack/ics-attack-18.1.json",
    ))
    .await;
    let stream = hub
        .create_stream(serde_json::json!({"name": "all", "public": true, "started": true}))
        .await;
    let addr: std::net::SocketAddr = hub.base.trim_start_matches("http://").parse().unwrap();
    let path = format!("/stream/{}?from=0", stream["id"].as_str().unwrap());
    let outcome = tokio::task::spawn_blocking(move || {
        let sock =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        sock.connect(&addr.into()).unwrap();
        let mut tcp: std::net::TcpStream = sock.into();
        write!(tcp, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        // Never read while the hub has megabytes to send: its data waits on a zero window.
        std::thread::sleep(std::time::Duration::from_secs(6));
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut total = 0usize;
        let mut buf = vec![0u8; 65536];
        loop {
            match tcp.read(&mut buf) {
                Ok(0) => return ("closed", total),
                Ok(n) => total += n,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return ("still open", total)
                }
                Err(_) => return ("reset", total),
            }
        }
    })
    .await
    .unwrap();
    assert_ne!(
        outcome.0, "still open",
        "the stalled reader was not dropped: {outcome:?}"
    );
    // It got far less than the whole replay (several MB): the hub gave up on it.
    assert!(outcome.1 < 4_000_000, "{outcome:?}");
    hub.stop().await;
}
