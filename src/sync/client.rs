//! Talking to a remote OpenCTI platform or stixhub hub: the discovery query (spec §3.3), a stream check like
//! OpenCTI's `testSync` (§4.2), and the stream request of a running synchronizer (§4.3) — without `recover`,
//! and with either `from` (first connection) or `Last-Event-ID` (resume), never both (B01).

use std::time::Duration;

use serde_json::{json, Value};

use crate::store::SynchronizerV1;

/// Exactly the body a remote OpenCTI sends to list the streams of a remote (spec §3.3).
pub const DISCOVER_QUERY: &str = "query SyncCreationStreamCollectionQuery { streamCollections(first: 1000) { edges { node { id name description filters } } } }";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const BASE_URL_HINT: &str = "the URL must be the base URL of the remote hub or OpenCTI platform \
    (e.g. https://hub.example.org:4000), not a stream URL";

/// Why talking to a remote failed; the text is what operators see (B28).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("unreachable: {0}")]
    Unreachable(String),
    #[error("TLS error: {0} (to trust a self-signed certificate, set verify_tls to false)")]
    Tls(String),
    #[error("{0}: token required or invalid")]
    Unauthorized(u16),
    #[error("404: {0}")]
    NotFound(String),
    #[error("410: the remote stream is stopped")]
    Gone,
    #[error("{0}: remote server error")]
    Server(u16),
    #[error("not a stream server: {0}")]
    NotStreamServer(String),
    #[error("stalled: nothing received for {0} ms")]
    Stalled(u128),
    #[error("connection lost: {0}")]
    Network(String),
    #[error("the remote closed the stream")]
    Closed,
}

impl RemoteError {
    /// Stable code for the API.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            RemoteError::Unreachable(_) => "remote_unreachable",
            RemoteError::Tls(_) => "remote_tls",
            RemoteError::Unauthorized(_) => "remote_unauthorized",
            RemoteError::NotFound(_) => "remote_not_found",
            RemoteError::Gone => "remote_stream_stopped",
            RemoteError::Server(_) => "remote_server_error",
            RemoteError::NotStreamServer(_) => "not_a_stream_server",
            RemoteError::Stalled(_) => "remote_stalled",
            RemoteError::Network(_) | RemoteError::Closed => "remote_connection_lost",
        }
    }
}

/// `http(s)://host[:port][/base]` without query, fragment or trailing `/` (OpenCTI's `computeStreamRemoteUrl`).
pub fn normalize_url(url: &str) -> Result<String, String> {
    let mut u = reqwest::Url::parse(url.trim()).map_err(|e| format!("invalid URL '{url}': {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!(
            "the URL must be http:// or https:// with a host, got '{url}'"
        ));
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u.as_str().trim_end_matches('/').to_owned())
}

pub fn http_client(verify_tls: bool) -> Result<reqwest::Client, RemoteError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .danger_accept_invalid_certs(!verify_tls)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| RemoteError::Tls(e.to_string()))
}

/// Classifies a transport error by its whole cause chain (reqwest hides TLS errors inside connect errors).
fn transport(e: &reqwest::Error) -> RemoteError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let lower = text.to_lowercase();
    let tls_markers = [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "fatal alert",
        "peer is incompatible",
    ];
    if tls_markers.iter().any(|m| lower.contains(m)) {
        RemoteError::Tls(text)
    } else if e.is_connect() || e.is_timeout() {
        RemoteError::Unreachable(text)
    } else {
        RemoteError::Network(text)
    }
}

fn status_error(status: u16, what: &str) -> RemoteError {
    match status {
        401 | 403 => RemoteError::Unauthorized(status),
        404 => RemoteError::NotFound(format!("{what} not found; {BASE_URL_HINT}")),
        410 => RemoteError::Gone,
        500..=599 => RemoteError::Server(status),
        other => RemoteError::NotStreamServer(format!("HTTP {other} for {what}")),
    }
}

fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token.filter(|t| !t.is_empty()) {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

/// The remote's streams (`[{"id","name","description","filters"}]`), by OpenCTI's own discovery query.
pub async fn discover(
    url: &str,
    token: Option<&str>,
    verify_tls: bool,
) -> Result<Vec<Value>, RemoteError> {
    let client = http_client(verify_tls)?;
    let res = with_token(client.post(format!("{url}/graphql")), token)
        .timeout(REQUEST_TIMEOUT)
        .json(&json!({ "query": DISCOVER_QUERY }))
        .send()
        .await
        .map_err(|e| transport(&e))?;
    let status = res.status().as_u16();
    tracing::info!(%url, status, "synchronizer discovery: remote answered");
    if status != 200 {
        return Err(status_error(status, "the GraphQL endpoint /graphql"));
    }
    let body: Value = res
        .json()
        .await
        .map_err(|_| RemoteError::NotStreamServer("the answer to /graphql is not JSON".into()))?;
    if let Some(edges) = body
        .pointer("/data/streamCollections/edges")
        .and_then(Value::as_array)
    {
        return Ok(edges
            .iter()
            .filter_map(|e| e.get("node").cloned())
            .collect());
    }
    let message = body
        .pointer("/errors/0/message")
        .and_then(Value::as_str)
        .unwrap_or("no data.streamCollections in the answer");
    if message.to_lowercase().contains("auth") {
        return Err(RemoteError::Unauthorized(401));
    }
    Err(RemoteError::NotStreamServer(message.to_owned()))
}

/// Opens `GET {url}/stream/{id}` as the synchronizer does; `cursor` = resume point.
pub async fn open_stream(
    client: &reqwest::Client,
    def: &SynchronizerV1,
    cursor: Option<&str>,
    wait: Duration,
) -> Result<reqwest::Response, RemoteError> {
    let mut query = vec![
        ("listen-delete", def.listen_delete.to_string()),
        ("no-dependencies", def.no_dependencies.to_string()),
    ];
    let mut req = client
        .get(format!("{}/stream/{}", def.url, def.stream_id))
        .header("Accept", "text/event-stream")
        .header("Cache-Control", "no-cache");
    match cursor {
        Some(c) => req = req.header("Last-Event-ID", c),
        None => match def.start_from.as_str() {
            "now" => {}
            "beginning" => query.push(("from", "0".into())),
            date => query.push(("from", date.to_owned())),
        },
    }
    let req = with_token(req.query(&query), def.token.as_deref());
    let res = tokio::time::timeout(wait, req.send())
        .await
        .map_err(|_| RemoteError::Stalled(wait.as_millis()))?
        .map_err(|e| transport(&e))?;
    let status = res.status().as_u16();
    if status != 200 {
        return Err(status_error(status, &format!("stream '{}'", def.stream_id)));
    }
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ctype.starts_with("text/event-stream") {
        return Err(RemoteError::NotStreamServer(format!(
            "the stream answered '{ctype}', not text/event-stream; {BASE_URL_HINT}"
        )));
    }
    Ok(res)
}

/// Checks a stream like OpenCTI's `testSync`: the first message must be `connected` with a `connectionId`.
pub async fn check_stream(def: &SynchronizerV1) -> Result<(), RemoteError> {
    let client = http_client(def.verify_tls)?;
    let mut probe = def.clone();
    probe.start_from = "now".into();
    let res = open_stream(&client, &probe, None, REQUEST_TIMEOUT).await?;
    let mut body = futures_util::StreamExt::boxed(res.bytes_stream());
    let mut parser = super::sse::Parser::new(1 << 20);
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    while events.is_empty() {
        let chunk = tokio::time::timeout_at(deadline, futures_util::StreamExt::next(&mut body))
            .await
            .map_err(|_| RemoteError::Stalled(REQUEST_TIMEOUT.as_millis()))?;
        match chunk {
            Some(Ok(bytes)) => parser
                .feed(&bytes, &mut events)
                .map_err(|e| RemoteError::NotStreamServer(e.to_string()))?,
            Some(Err(e)) => return Err(transport(&e)),
            None => return Err(RemoteError::Closed),
        }
    }
    let first = &events[0];
    let has_connection = serde_json::from_str::<Value>(&first.data)
        .ok()
        .and_then(|v| v.get("connectionId").cloned())
        .is_some_and(|c| c.as_str().is_some_and(|s| !s.is_empty()));
    if first.event == "connected" && has_connection {
        Ok(())
    } else {
        Err(RemoteError::NotStreamServer(
            "the stream did not start with a 'connected' message carrying a connectionId".into(),
        ))
    }
}
