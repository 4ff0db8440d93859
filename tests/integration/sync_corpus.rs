//! The 24,771-object Enterprise ATT&CK corpus replicated hub → hub through a private stream.

use std::time::Duration;

use serde_json::json;

use crate::common::{counts, eventually, shared, Hub, TOKEN};
use crate::sync::{all_filter, sync_status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_corpus_replicates_through_a_private_stream() {
    let a = Hub::start().await;
    let body =
        stixhub::cli::read_bundle_file(&shared("stix20/mitre-cti/enterprise-attack.json.gz"))
            .unwrap();
    let (status, report) = a.post_bundle_bytes(body).await;
    assert_eq!((status, counts(&report)), (200, [24771, 0, 0, 0, 0]));
    let stream = a
        .create_stream(json!({"name": "private all", "started": true, "filters": all_filter()}))
        .await;
    let stream_id = stream["id"].as_str().unwrap().to_owned();
    // The end of A's stream, from its `connected` message.
    let mut probe = a.sse(&format!("/stream/{stream_id}"), &[]).await;
    let connected = probe.next(Duration::from_secs(10)).await.unwrap().json();
    drop(probe);
    let last = connected["lastEventId"].as_str().unwrap().to_owned();

    let b = Hub::start().await;
    let sync = b
        .create_sync(json!({"name": "enterprise", "url": a.base, "token": TOKEN,
            "stream_id": stream_id, "running": true}))
        .await;
    let sid = sync["id"].as_str().unwrap().to_owned();
    let st = eventually("B's cursor reaches the end of A's stream", 170, || async {
        let s = sync_status(&b, &sid).await;
        let c = s["status"]["cursor"].as_str().map(crate::common::parse_id);
        (c >= Some(crate::common::parse_id(&last))).then_some(s)
    })
    .await;
    assert_eq!(st["status"]["errors"], json!([]), "{st}");
    assert_eq!(st["status"]["parked"], json!([]), "{st}");
    let (want, got) = (a.all_objects().await, b.all_objects().await);
    assert_eq!(want.len(), 24771);
    assert!(
        got == want,
        "same ids and content ({} vs {} objects)",
        got.len(),
        want.len()
    );
    b.stop().await;
    a.stop().await;
}
