//! The URLs the hub shows for its streams: a configured public_url, and never one shaped by forged headers.

use serde_json::{json, Value};

use crate::common::Hub;

/// Behind a proxy the hub shows the URLs users reach it at (`public_url`), whatever Host or X-Forwarded-Host
/// a request sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_public_url_is_used_in_every_shown_url() {
    let dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let hub = Hub::start_with(dir, |c| {
        c.public_url = Some("https://cti.example.org/hub".into());
    })
    .await;
    let s = hub
        .create_stream(json!({"name": "open", "public": true, "started": true}))
        .await;
    let sid = s["id"].as_str().unwrap();
    let listed: Value = hub
        .client
        .get(hub.url("/api/public/streams"))
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed[0]["url"],
        format!("https://cti.example.org/hub/stream/{sid}"),
        "{listed}"
    );
    let page = hub
        .client
        .get(hub.url("/public"))
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("https://cti.example.org/hub/stream/{sid}")));
    assert!(!page.contains("evil.example"));
    hub.stop().await;
}

/// Without `public_url`, shown URLs take the scheme only when it is http(s) and the host only when it looks like
/// one; a forged `X-Forwarded-Proto` or `X-Forwarded-Host` falls back to http and the hub's own address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forwarded_headers_never_shape_shown_urls() {
    let hub = Hub::start().await;
    let s = hub
        .create_stream(json!({"name": "shown", "public": true}))
        .await;
    let id = s["id"].as_str().unwrap();
    let own = hub.base.clone();
    let cases: [(&[(&str, &str)], String); 6] = [
        (&[], format!("{own}/stream/{id}")),
        (
            &[("x-forwarded-proto", "javascript")],
            format!("{own}/stream/{id}"),
        ),
        (
            &[("x-forwarded-proto", "HTTPS")],
            format!("https://{}/stream/{id}", &own[7..]),
        ),
        (
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "hub.example.org:8443"),
            ],
            format!("https://hub.example.org:8443/stream/{id}"),
        ),
        (
            &[(
                "x-forwarded-host",
                "evil.example/\"><script>alert(1)</script>",
            )],
            format!("{own}/stream/{id}"),
        ),
        (
            &[("x-forwarded-host", "[::1]:4000")],
            format!("http://[::1]:4000/stream/{id}"),
        ),
    ];
    for (headers, want) in cases {
        let mut req = hub.client.get(hub.url("/api/public/streams"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let list: Value = res.json().await.unwrap();
        assert_eq!(list[0]["url"], want, "{headers:?}");
    }
    hub.stop().await;
}
