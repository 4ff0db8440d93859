//! TAXII 2.1 server: black-box tests over HTTP (field cases B23, B24, B31, B33, B34; medallion's scenarios).

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::common::{bundle, indicator, Hub, TOKEN};

pub const MEDIA: &str = "application/taxii+json;version=2.1";

pub fn eq_filter(key: &str, values: &[&str]) -> Value {
    json!({"mode": "and", "filters": [{"key": [key], "values": values, "operator": "eq", "mode": "or"}], "filterGroups": []})
}

/// `POST /api/collections`; asserts 201, returns the collection's id.
pub async fn create_collection(hub: &Hub, body: Value) -> String {
    let res = hub
        .client
        .post(hub.url("/api/collections"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{body}");
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

pub enum Who {
    Anonymous,
    Admin,
    Basic(&'static str, &'static str),
}

/// A TAXII GET: status, headers, body (asserting the TAXII media type on every answer, errors included).
pub async fn taxii(hub: &Hub, path: &str, who: Who) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = hub.client.get(hub.url(path)).header("Accept", MEDIA);
    req = match who {
        Who::Anonymous => req,
        Who::Admin => req.bearer_auth(TOKEN),
        Who::Basic(u, p) => req.basic_auth(u, Some(p)),
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], MEDIA, "{path}");
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

fn ids_of(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn objects_path(c: &str) -> String {
    format!("/taxii2/root/collections/{c}/objects/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b24_anonymous_discovery_lists_only_public_collections() {
    let hub = Hub::start().await;
    let (status, _, body) = taxii(&hub, "/taxii2/", Who::Anonymous).await;
    assert_eq!(status, 401, "no public collection yet: {body}");
    assert_eq!(body["http_status"], "401");
    let private = create_collection(&hub, json!({"name": "Private one"})).await;
    let public = create_collection(&hub, json!({"name": "Public one", "public": true})).await;
    for path in ["/taxii2/", "/taxii2/root/", "/taxii2/root/collections/"] {
        assert_eq!(taxii(&hub, path, Who::Anonymous).await.0, 200, "{path}");
    }
    let (_, _, disc) = taxii(&hub, "/taxii2/", Who::Anonymous).await;
    assert_eq!(disc["default"], hub.url("/taxii2/root/"));
    let (_, _, anon) = taxii(&hub, "/taxii2/root/collections/", Who::Anonymous).await;
    assert_eq!(ids_of(&anon, "collections"), vec![public.clone()]);
    assert!(!anon.to_string().contains("Private one"));
    assert_eq!(anon["collections"][0]["can_write"], false);
    let (_, _, admin) = taxii(&hub, "/taxii2/root/collections/", Who::Admin).await;
    assert_eq!(
        ids_of(&admin, "collections"),
        vec![private.clone(), public.clone()]
    );
    let basic = Who::Basic("admin", "test-password");
    let (status, _, by_password) = taxii(&hub, "/taxii2/root/collections/", basic).await;
    assert_eq!(
        (status, ids_of(&by_password, "collections").len()),
        (200, 2)
    );
    let wrong = Who::Basic("admin", "nope");
    let (status, headers, _) = taxii(&hub, "/taxii2/root/collections/", wrong).await;
    assert_eq!(status, 401);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("Basic"));
    let (status, _, err) = taxii(&hub, &objects_path(&private), Who::Anonymous).await;
    assert_eq!(status, 401, "{err}");
    assert_eq!(
        taxii(&hub, &objects_path(&private), Who::Admin).await.0,
        200
    );
    assert_eq!(
        taxii(&hub, &objects_path(&public), Who::Anonymous).await.0,
        200
    );
    let unknown = objects_path("00000000-0000-4000-8000-000000000000");
    assert_eq!(taxii(&hub, &unknown, Who::Admin).await.0, 404);
    assert_eq!(taxii(&hub, "/taxii2/nowhere/", Who::Anonymous).await.0, 404);
    let res = hub
        .client
        .delete(hub.url(&objects_path(&public)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(
        res.headers()["content-type"],
        MEDIA,
        "errors keep the TAXII media type"
    );
}

fn labelled(n: u32, kind: &str, labels: &[&str]) -> Value {
    let mut o = if kind == "indicator" {
        indicator(n, &format!("ind {n}"), "2024-01-01T00:00:00.000Z")
    } else {
        json!({"type": "report", "spec_version": "2.1", "id": format!("report--00000000-0000-4000-8000-{n:012}"),
               "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": format!("rep {n}"),
               "published": "2024-01-01T00:00:00.000Z", "object_refs": ["indicator--00000000-0000-4000-8000-000000000001"]})
    };
    if !labels.is_empty() {
        o["labels"] = json!(labels);
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b23_public_collection_applies_its_filters() {
    let hub = Hub::start().await;
    hub.import(&bundle(vec![
        labelled(1, "indicator", &["feed-x"]),
        labelled(2, "indicator", &["feed-x", "other"]),
        labelled(3, "indicator", &["feed-x"]),
        labelled(4, "indicator", &[]),
        labelled(5, "indicator", &["other"]),
        labelled(6, "report", &["feed-x"]),
        labelled(7, "report", &["feed-x"]),
    ]))
    .await;
    let filters = json!({"mode": "and", "filterGroups": [], "filters": [
        {"key": ["entity_type"], "values": ["Indicator"], "operator": "eq", "mode": "or"},
        {"key": ["objectLabel"], "values": ["feed-x"], "operator": "eq", "mode": "or"}]});
    let c = create_collection(
        &hub,
        json!({"name": "Feed X", "public": true, "filters": filters}),
    )
    .await;
    let expected: Vec<String> = [1, 2, 3]
        .iter()
        .map(|n| format!("indicator--00000000-0000-4000-8000-{n:012}"))
        .collect();
    for who in [Who::Anonymous, Who::Admin] {
        let (status, _, body) = taxii(&hub, &objects_path(&c), who).await;
        assert_eq!(status, 200);
        let mut got = ids_of(&body, "objects");
        got.sort();
        assert_eq!(got, expected);
    }
    let (_, _, manifest) = taxii(
        &hub,
        &format!("/taxii2/root/collections/{c}/manifest/"),
        Who::Anonymous,
    )
    .await;
    let mut listed = ids_of(&manifest, "objects");
    listed.sort();
    assert_eq!(listed, expected, "the manifest agrees with objects");
}

fn rfc3339_micro(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 27
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[26] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 26].contains(&i) || c.is_ascii_digit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b31_pages_follow_next_with_rfc3339_date_headers() {
    let hub = Hub::start().await;
    hub.import(&bundle(
        (1..=120)
            .map(|n| indicator(n, &format!("i{n}"), "2024-01-01T00:00:00.000Z"))
            .collect(),
    ))
    .await;
    let c = create_collection(&hub, json!({"name": "All", "public": true})).await;
    let base = objects_path(&c);
    let mut next: Option<String> = None;
    let (mut sizes, mut mores, mut all) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        let path = match &next {
            None => format!("{base}?limit=50"),
            Some(n) => format!("{base}?limit=50&next={n}"),
        };
        let (status, headers, body) = taxii(&hub, &path, Who::Anonymous).await;
        assert_eq!(status, 200);
        let ids = ids_of(&body, "objects");
        let first = headers["x-taxii-date-added-first"]
            .to_str()
            .unwrap()
            .to_owned();
        let last = headers["x-taxii-date-added-last"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            rfc3339_micro(&first) && rfc3339_micro(&last),
            "{first} {last}"
        );
        // The headers are the date_added of the first and last object (from the manifest), not `modified`.
        let manifest = format!(
            "/taxii2/root/collections/{c}/manifest/?limit=50{}",
            next.as_ref()
                .map(|n| format!("&next={n}"))
                .unwrap_or_default()
        );
        let (_, _, m) = taxii(&hub, &manifest, Who::Anonymous).await;
        let entries = m["objects"].as_array().unwrap();
        assert_eq!(entries.first().unwrap()["date_added"], first.as_str());
        assert_eq!(entries.last().unwrap()["date_added"], last.as_str());
        assert_eq!(ids_of(&m, "objects"), ids);
        sizes.push(ids.len());
        mores.push(body["more"].as_bool().unwrap());
        all.extend(ids);
        next = body["next"].as_str().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(mores, [true, true, false]);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        120,
        "disjoint pages, union = 120"
    );
    // After the last date_added and a query matching nothing: empty, no date headers, never `undefined`.
    let whole = format!("/taxii2/root/collections/{c}/manifest/?limit=1000");
    let (_, _, m) = taxii(&hub, &whole, Who::Anonymous).await;
    assert_eq!(m["objects"].as_array().unwrap().len(), 120);
    let last_added = m["objects"].as_array().unwrap().last().unwrap()["date_added"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("{base}?added_after={last_added}"),
        format!("{base}?match[type]=malware"),
    ] {
        let (status, headers, body) = taxii(&hub, &path, Who::Anonymous).await;
        assert_eq!(
            (status, body.clone()),
            (200, json!({"more": false})),
            "{path}"
        );
        assert!(headers.get("x-taxii-date-added-first").is_none());
        assert!(headers.get("x-taxii-date-added-last").is_none());
    }
    let (status, _, err) = taxii(&hub, &format!("{base}?next=not-a-token"), Who::Anonymous).await;
    assert_eq!(status, 400);
    assert_eq!(err["http_status"], "400");
    assert!(err["description"].as_str().unwrap().contains("next"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b33_media_type_negotiation() {
    let hub = Hub::start().await;
    let c = create_collection(&hub, json!({"name": "All", "public": true})).await;
    let cases: [(Option<&str>, u16); 6] = [
        (None, 200),
        (Some("*/*"), 200),
        (Some(MEDIA), 200),
        (Some("application/taxii+json"), 200),
        (Some("application/taxii+json;version=2.0"), 406),
        (Some("application/json"), 406),
    ];
    for path in ["/taxii2/".to_owned(), objects_path(&c)] {
        for (accept, expected) in cases {
            let mut req = hub.client.get(hub.url(&path));
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), expected, "{path} Accept {accept:?}");
            assert_eq!(
                res.headers()["content-type"],
                MEDIA,
                "{path} Accept {accept:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b34_match_filters() {
    let hub = Hub::start().await;
    let malware = json!({"type": "malware", "spec_version": "2.1", "id": "malware--00000000-0000-4000-8000-000000000009",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "m", "is_family": true});
    let tool = json!({"type": "tool", "spec_version": "2.1", "id": "tool--00000000-0000-4000-8000-000000000008",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "t"});
    hub.import(&bundle(vec![
        indicator(1, "a", "2024-01-01T00:00:00.000Z"),
        indicator(2, "b", "2024-01-01T00:00:00.000Z"),
        indicator(3, "c", "2024-01-01T00:00:00.000Z"),
        malware,
        tool,
    ]))
    .await;
    let c = create_collection(&hub, json!({"name": "All", "public": true})).await;
    let base = objects_path(&c);
    let i = |n: u32| format!("indicator--00000000-0000-4000-8000-{n:012}");
    let count = |body: &Value| body["objects"].as_array().map_or(0, Vec::len);
    let (_, _, both) = taxii(
        &hub,
        &format!("{base}?match[type]=indicator,malware"),
        Who::Anonymous,
    )
    .await;
    assert_eq!(count(&both), 4, "comma = OR within a field");
    let path = format!("{base}?match[type]=indicator&match[id]={},{}", i(1), i(2));
    let (_, _, anded) = taxii(&hub, &path, Who::Anonymous).await;
    assert_eq!(
        ids_of(&anded, "objects"),
        vec![i(1), i(2)],
        "fields are AND-ed"
    );
    let path = format!("{base}?match[type]=malware&match[id]={}", i(1));
    assert_eq!(count(&taxii(&hub, &path, Who::Anonymous).await.2), 0);
    let (_, _, v21) = taxii(
        &hub,
        &format!("{base}?match[spec_version]=2.1"),
        Who::Anonymous,
    )
    .await;
    assert_eq!(count(&v21), 5);
    let (status, _, v20) = taxii(
        &hub,
        &format!("{base}?match[spec_version]=2.0"),
        Who::Anonymous,
    )
    .await;
    assert_eq!((status, count(&v20)), (200, 0));
    for bad in [
        "match[type]=indicator&match[type]=malware",
        "match[foo]=bar",
        "limit=abc",
    ] {
        let (status, _, err) = taxii(&hub, &format!("{base}?{bad}"), Who::Anonymous).await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert_eq!(err["title"], "Bad request");
    }
}
