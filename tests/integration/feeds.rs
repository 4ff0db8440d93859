//! CSV feeds over HTTP (field case B35), their access rules, and `/public` listing collections and feeds.

use serde_json::{json, Value};

use crate::common::{bundle, indicator, Hub, TOKEN};
use crate::taxii::{create_collection, eq_filter};

const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";

async fn create_feed(hub: &Hub, body: Value) -> Value {
    let res = hub
        .client
        .post(hub.url("/api/feeds"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{body}");
    res.json().await.unwrap()
}

async fn csv(hub: &Hub, id: &str, token: Option<&str>) -> (u16, String, String) {
    let mut req = hub.client.get(hub.url(&format!("/feeds/{id}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

/// A small RFC 4180 reader, written independently of the hub's writer.
fn parse_csv(text: &str, sep: char) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, c) if c == sep => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "CSV must end with a line break"
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b35_csv_escaping_round_trips() {
    let hub = Hub::start().await;
    let description = "line1\r\n\r\nline2, with comma; and \"quotes\"";
    let mut ind = indicator(1, "a;b \"c\"", "2024-01-01T00:00:00.000Z");
    ind["description"] = json!(description);
    ind["labels"] = json!(["x,y", "=HYPERLINK(\"http://evil.invalid\")"]);
    hub.import(&bundle(vec![ind])).await;
    let feed = create_feed(
        &hub,
        json!({"name": "B35", "public": true, "separator": ";",
        "columns": ["value", "name", "description", "labels"]}),
    )
    .await;
    let (status, ct, text) = csv(&hub, feed["id"].as_str().unwrap(), None).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = parse_csv(&text, ';');
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(
        rows[0],
        ["value", "name", "description", "labels"],
        "header uses ';'"
    );
    assert_eq!(
        rows[1],
        [
            "203.0.113.7",
            "a;b \"c\"",
            description,
            "x,y|=HYPERLINK(\"http://evil.invalid\")"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_follow_the_ceiling_and_credentials() {
    let hub = Hub::start().await;
    let mut green = indicator(2, "green one", "2024-01-01T00:00:00.000Z");
    green["object_marking_refs"] = json!([GREEN]);
    let clear = indicator(1, "clear one", "2024-01-01T00:00:00.000Z");
    let malware = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000009",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "m", "is_family": true});
    hub.import(&bundle(vec![clear, green, malware])).await;
    let cols = json!(["name"]);
    let filters = eq_filter("entity_type", &["Indicator"]);
    let at_clear = create_feed(&hub, json!({"name": "clear", "public": true, "columns": cols, "filters": filters, "header": false})).await;
    let at_green = create_feed(
        &hub,
        json!({"name": "green", "public": true, "columns": cols, "filters": filters,
        "max_marking": "TLP:GREEN", "header": false}),
    )
    .await;
    let private = create_feed(
        &hub,
        json!({"name": "private", "columns": cols, "filters": filters, "header": false}),
    )
    .await;
    let names = |text: &str| {
        let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
        v.sort();
        v
    };
    let id = |f: &Value| f["id"].as_str().unwrap().to_owned();
    let (_, _, text) = csv(&hub, &id(&at_clear), Some("wrong-token")).await;
    assert_eq!(
        names(&text),
        ["clear one"],
        "public: credentials ignored, TLP:CLEAR ceiling"
    );
    let (_, _, text) = csv(&hub, &id(&at_green), None).await;
    assert_eq!(names(&text), ["clear one", "green one"]);
    assert_eq!(csv(&hub, &id(&private), None).await.0, 401);
    assert_eq!(csv(&hub, &id(&private), Some("wrong-token")).await.0, 401);
    let (status, _, text) = csv(&hub, &id(&private), Some(TOKEN)).await;
    assert_eq!(
        (status, names(&text)),
        (200, vec!["clear one".to_owned(), "green one".to_owned()])
    );
    assert_eq!(
        csv(&hub, "00000000-0000-4000-8000-000000000000", None)
            .await
            .0,
        404
    );
    assert_eq!(csv(&hub, "not-a-uuid", None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_order_rows_and_validation() {
    let hub = Hub::start().await;
    hub.import(&bundle(
        (1..=5)
            .map(|n| indicator(n, &format!("i{n}"), "2024-01-01T00:00:00.000Z"))
            .collect(),
    ))
    .await;
    // Rows are ordered by the millisecond the hub stored each version: make sure the update gets a later one.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    hub.import(&bundle(vec![indicator(
        3,
        "i3 updated",
        "2024-02-01T00:00:00.000Z",
    )]))
    .await;
    let feed = create_feed(
        &hub,
        json!({"name": "Latest", "public": true, "columns": ["id", "name", "created"],
        "max_rows": 3, "time_window": "7d", "multi_value_separator": " / "}),
    )
    .await;
    assert_eq!(
        (feed["time_window"].as_str(), feed["max_rows"].as_u64()),
        (Some("7d"), Some(3))
    );
    let (_, _, first) = csv(&hub, feed["id"].as_str().unwrap(), None).await;
    let (_, _, second) = csv(&hub, feed["id"].as_str().unwrap(), None).await;
    assert_eq!(first, second, "stable order");
    let rows = parse_csv(&first, ',');
    assert_eq!(rows.len(), 4, "header + max_rows");
    assert_eq!(
        rows[1][1], "i3 updated",
        "the most recently updated object first"
    );
    for (body, needle) in [
        (json!({"name": "x1", "columns": []}), "columns"),
        (json!({"name": "x2"}), "columns"),
        (
            json!({"name": "x3", "columns": ["name"], "separator": "\""}),
            "separator",
        ),
        (
            json!({"name": "x4", "columns": ["name"], "separator": ";;"}),
            "separator",
        ),
        (
            json!({"name": "x5", "columns": ["name"], "max_rows": 0}),
            "max_rows",
        ),
        (
            json!({"name": "x6", "columns": ["name"], "time_window": "soon"}),
            "time_window",
        ),
        (
            json!({"name": "x7", "columns": ["name"], "separator": "|"}),
            "multi_value_separator",
        ),
        (
            json!({"name": "x8", "columns": ["name"], "max_marking": "TLP:RED"}),
            "max_marking",
        ),
        (json!({"name": "x9", "columns": ["hashes..MD5"]}), "columns"),
        (json!({"name": "x10", "columns": [".name"]}), "columns"),
        (json!({"name": "x11", "columns": ["na me"]}), "columns"),
    ] {
        let res = hub
            .client
            .post(hub.url("/api/feeds"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains(needle), "{err}");
    }
    let id = feed["id"].as_str().unwrap();
    let res = hub
        .client
        .patch(hub.url(&format!("/api/feeds/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({"separator": "\t", "time_window": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, got) = hub.get(&format!("/api/feeds/{id}")).await;
    assert_eq!(
        (
            status,
            got["separator"].as_str(),
            got["time_window"].clone()
        ),
        (200, Some("\t"), Value::Null)
    );
    let res = hub
        .client
        .delete(hub.url(&format!("/api/feeds/{id}")))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(csv(&hub, id, None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_page_lists_collections_and_feeds() {
    let hub = Hub::start().await;
    let public_c = create_collection(&hub, json!({"name": "Open TAXII", "public": true})).await;
    create_collection(&hub, json!({"name": "Hidden TAXII"})).await;
    let feed = create_feed(
        &hub,
        json!({"name": "Open CSV", "public": true, "columns": ["name"]}),
    )
    .await;
    create_feed(&hub, json!({"name": "Hidden CSV", "columns": ["name"]})).await;
    let html = hub
        .client
        .get(hub.url("/public"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let taxii_url = hub.url(&format!("/taxii2/root/collections/{public_c}/"));
    let feed_url = hub.url(&format!("/feeds/{}", feed["id"].as_str().unwrap()));
    for needle in [
        "Open TAXII",
        "Open CSV",
        &format!("data-copy=\"{taxii_url}\""),
        &format!("data-copy=\"{feed_url}\""),
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains("Hidden TAXII") && !html.contains("Hidden CSV"));
    let cols: Value = hub
        .client
        .get(hub.url("/api/public/collections"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (cols.as_array().unwrap().len(), cols[0]["url"].as_str()),
        (1, Some(taxii_url.as_str()))
    );
    let feeds: Value = hub
        .client
        .get(hub.url("/api/public/feeds"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (feeds.as_array().unwrap().len(), feeds[0]["url"].as_str()),
        (1, Some(feed_url.as_str()))
    );
}

/// In headless Chromium (as `browser.rs`; skipped unless `.ci/run` installed it): the copy buttons of the
/// TAXII discovery URL, a public collection and a public feed put exactly those URLs on the clipboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_copy_buttons_of_collections_and_feeds() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !dir.join("node_modules/playwright-core").exists()
        || !std::path::Path::new(&chromium).exists()
    {
        assert!(
            std::env::var_os("STIXHUB_REQUIRE_BROWSER").is_none(),
            "STIXHUB_REQUIRE_BROWSER is set but chromium/playwright-core is missing"
        );
        println!("browser: chromium or playwright-core not installed (run .ci/run), skipped");
        return;
    }
    let hub = Hub::start().await;
    let c = create_collection(&hub, json!({"name": "Copy TAXII", "public": true})).await;
    let feed = create_feed(
        &hub,
        json!({"name": "Copy CSV", "public": true, "columns": ["name"]}),
    )
    .await;
    let shot = hub.dir.path().join("public.png");
    let args = (dir.join("public_copy.js"), hub.base.clone(), shot.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(args.0)
            .arg(args.1)
            .arg(args.2)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    let expected = json!([
        hub.base,
        hub.url("/taxii2/"),
        hub.url(&format!("/taxii2/root/collections/{c}/")),
        hub.url(&format!("/feeds/{}", feed["id"].as_str().unwrap())),
    ]);
    assert_eq!(result["copied"], expected, "{result}");
    assert_eq!(
        result["errors"],
        json!([]),
        "no script or CSP errors: {result}"
    );
}
