//! `POST /graphql`: what a remote OpenCTI sends to validate a hub and list its streams (spec §3.3).

use serde_json::{json, Value};

use crate::common::{Hub, TOKEN};

const OPENCTI_QUERY: &str = "query SyncCreationStreamCollectionQuery { streamCollections(first: 1000) { edges { node { id name description filters } } } }";

async fn gql(hub: &Hub, body: Value, token: Option<&str>) -> (u16, Value) {
    let mut req = hub.client.post(hub.url("/graphql")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_collections_as_opencti_asks() {
    let hub = Hub::start().await;
    let filters = json!({"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Malware"], "operator": "eq", "mode": "or"}], "filterGroups": []});
    for (name, public, started) in [
        ("Public malware", true, true),
        ("Stopped public", true, false),
        ("Private", false, true),
    ] {
        let body = json!({"name": name, "public": public, "started": started, "filters": filters});
        hub.create_stream(body).await;
    }
    // Exactly the body a remote OpenCTI posts (no variables, no operationName), anonymously.
    let (status, answer) = gql(&hub, json!({"query": OPENCTI_QUERY}), None).await;
    assert_eq!(status, 200);
    assert!(answer.get("errors").is_none(), "{answer}");
    let nodes: Vec<&Value> = answer["data"]["streamCollections"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Public malware", "Stopped public"],
        "anonymous: public streams only, stopped ones listed too"
    );
    // `filters` is a JSON string holding a valid FilterGroup.
    let parsed: Value = serde_json::from_str(nodes[0]["filters"].as_str().unwrap()).unwrap();
    assert_eq!(parsed["filters"][0]["values"], json!(["Malware"]));

    let (_, answer) = gql(&hub, json!({"query": OPENCTI_QUERY}), Some(TOKEN)).await;
    assert_eq!(
        answer["data"]["streamCollections"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "an admin sees every stream"
    );

    // The /public page's query of OpenCTI's UI, with enum literals and snake_case fields.
    let ui = "query PublicStreamLinesQuery { streamCollections(filters: {mode: and, filters: [{key: \"stream_public\", values: [\"true\"]}], filterGroups: []}) { edges { node { id name stream_live description stream_public filters } } } }";
    let (_, answer) = gql(&hub, json!({"query": ui, "variables": {}}), None).await;
    assert!(answer.get("errors").is_none(), "{answer}");
    let edges = answer["data"]["streamCollections"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(
        (
            edges[0]["node"]["stream_live"].as_bool(),
            edges[1]["node"]["stream_live"].as_bool()
        ),
        (Some(true), Some(false))
    );

    // pycti's health check and identity.
    let (_, answer) = gql(
        &hub,
        json!({"query": "query healthCheck { about { version } }", "variables": null}),
        Some(TOKEN),
    )
    .await;
    assert_eq!(
        answer["data"]["about"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    let (_, answer) = gql(&hub, json!({"query": "{ me { id name } }"}), Some(TOKEN)).await;
    assert_eq!(answer["data"]["me"]["name"], "admin");
    let (_, answer) = gql(&hub, json!({"query": "{ me { id name } }"}), None).await;
    assert_eq!(answer["data"]["me"], Value::Null);

    // A wrong token is refused (not silently anonymous); a malformed body is a 400.
    assert_eq!(
        gql(&hub, json!({"query": OPENCTI_QUERY}), Some("wrong"))
            .await
            .0,
        401
    );
    let res = hub
        .client
        .post(hub.url("/graphql"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let (status, answer) = gql(&hub, json!({"query": "{ nope }"}), None).await;
    assert_eq!(status, 200);
    assert!(answer["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("nope"));
    hub.stop().await;
}

/// Paging arguments out of range are GraphQL errors naming the argument, never a silent empty page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_arguments_are_validated() {
    let hub = Hub::start().await;
    for name in ["aa", "bb", "cc"] {
        hub.create_stream(json!({"name": name, "public": true}))
            .await;
    }
    let page = |args: &str| json!({"query": format!("{{ streamCollections({args}) {{ edges {{ cursor node {{ name }} }} pageInfo {{ hasNextPage }} }} }}")});
    let (status, answer) = gql(&hub, page("first: 2"), None).await;
    assert_eq!(status, 200);
    let edges = answer["data"]["streamCollections"]["edges"]
        .as_array()
        .unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(
        answer["data"]["streamCollections"]["pageInfo"]["hasNextPage"],
        true
    );
    let cursor = edges[1]["cursor"].as_str().unwrap();
    let (_, rest) = gql(&hub, page(&format!("first: 2, after: \"{cursor}\"")), None).await;
    assert_eq!(
        rest["data"]["streamCollections"]["edges"][0]["node"]["name"],
        "cc"
    );
    for (args, says) in [
        ("first: -5", "first must be from 0 to 5000, got -5"),
        ("first: 100000000", "first must be from 0 to 5000"),
        ("after: \"garbage\"", "invalid cursor 'garbage'"),
    ] {
        let (status, answer) = gql(&hub, page(args), None).await;
        assert_eq!(status, 200, "GraphQL errors travel in the body");
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{args}: {answer}");
    }
    hub.stop().await;
}

/// A body past 1 MiB is refused with the JSON error every API answers, before it is read whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_queries_are_a_json_413() {
    let hub = Hub::start().await;
    let query = format!(
        "{{ about {{ version }} }} # {}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, body) = gql(&hub, json!({ "query": query }), None).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large", "{body}");
    let (status, body) = gql(&hub, json!({"query": "{ about { version } }"}), None).await;
    assert_eq!(status, 200);
    assert!(body["data"]["about"]["version"].is_string());
    hub.stop().await;
}
