//! Errors found by actix's extractors (body size, query string, form) are the API's JSON errors with a
//! reason; under /admin they stay HTML pages.

use serde_json::{json, Value};

use crate::admin_session::Browser;
use crate::common::{Hub, TOKEN};

async fn answer(res: reqwest::Response) -> (u16, String, Value) {
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    (
        status,
        kind,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_bodies_up_to_1_mib_and_a_json_413_above() {
    let hub = Hub::start().await;
    let post = |path: &str, body: Vec<u8>| {
        hub.client
            .post(hub.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // ~300 KB: over actix's default 256 KB, within the 1 MiB limit.
    let values: Vec<String> = (0..400).map(|i| format!("{i:0>700}")).collect();
    let body = json!({"name": "big but fine", "filters": {"filters": [{"key": ["name"], "values": values}]}});
    let body = serde_json::to_vec(&body).unwrap();
    assert!(body.len() > 280_000);
    let (status, _, created) = answer(post("/api/streams", body).await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    for path in [
        "/api/streams",
        "/api/collections",
        "/api/feeds",
        "/api/groups",
    ] {
        let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(1024 * 1024 + 1));
        let (status, kind, body) = answer(post(path, huge.into_bytes()).await.unwrap()).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert!(kind.starts_with("application/json"), "{path}: {kind}");
        assert_eq!(body["code"], "payload_too_large");
        assert_eq!(
            body["error"],
            "request body is larger than the limit of 1048576 bytes"
        );
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_string_is_a_json_400_naming_it() {
    let hub = Hub::start().await;
    let res = hub
        .client
        .get(hub.url("/api/objects?type=malware&type=indicator"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, kind, body) = answer(res).await;
    assert_eq!(status, 400, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(body["code"], "bad_request");
    assert_eq!(
        body["error"],
        "invalid query string: duplicate field `type`"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_pages_keep_html_errors() {
    let hub = Hub::start().await;
    // The login form (web::Form) sent as something else than a form.
    let res = hub
        .client
        .post(hub.url("/admin/login"))
        .header("content-type", "application/json")
        .body("{\"name\": \"admin\"}")
        .send()
        .await
        .unwrap();
    let (status, kind, body) = answer(res).await;
    assert_eq!(status, 400, "{body}");
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        body.as_str()
            .unwrap()
            .contains("invalid form: the body must be application/x-www-form-urlencoded"),
        "{body}"
    );
    // A page's query string (web::Query).
    let mut browser = Browser::new(&hub.base);
    browser.login("admin", "test-password").await;
    let page = browser.get("/admin/knowledge?type=malware&type=tool").await;
    assert_eq!(page.status, 400, "{}", page.body);
    let kind = page.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(
        page.body.contains("duplicate field `type`"),
        "{}",
        page.body
    );
    hub.stop().await;
}
