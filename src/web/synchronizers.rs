//! `/api/synchronizers`: remote streams this hub follows (admin). The token is stored (it is sent to the
//! remote) and never returned: the JSON says `token_set`.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::extract::{Capable, Share};
use crate::error::AppError;
use crate::state::AppState;
use crate::stix::{format_ms, parse_position_date_ms};
use crate::store::{now_ms, SynchronizerV1};
use crate::sync::client::{self, RemoteError};
use crate::sync::State;

fn ms_of(id: &str) -> Option<i64> {
    id.split_once('-').and_then(|(m, _)| m.parse().ok())
}

fn sync_json(state: &AppState, s: &SynchronizerV1) -> Result<Value, AppError> {
    let mut progress = state.store.get_sync_state(s.id)?;
    let status = state.syncs.get(s.id);
    if let Some((cursor, applied)) = status.durable.clone() {
        (progress.cursor, progress.events_applied) = (cursor, applied);
    }
    let now = i64::try_from(now_ms()).unwrap_or(i64::MAX);
    let lag = progress
        .cursor
        .as_deref()
        .and_then(ms_of)
        .map(|ms| (now - ms).max(0));
    Ok(json!({
        "id": Uuid::from_bytes(s.id).to_string(),
        "name": s.name,
        "url": s.url,
        "token_set": s.token.is_some(),
        "stream_id": s.stream_id,
        "listen_delete": s.listen_delete,
        "no_dependencies": s.no_dependencies,
        "start_from": s.start_from,
        "verify_tls": s.verify_tls,
        "running": s.running,
        "created_at": format_ms(s.created_at_ms),
        "status": {
            "state": match (s.running, status.state) {
                (false, _) => State::Stopped,
                // Running, and the supervisor has not picked it up yet.
                (true, State::Stopped) => State::Connecting,
                (true, st) => st,
            },
            "cursor": progress.cursor,
            "events_applied": progress.events_applied,
            "lag_ms": lag,
            "last_error": status.last_error,
            "last_connected_at": status.last_connected_at_ms.map(format_ms),
            "last_applied_at": status.last_applied_at_ms.map(format_ms),
            "parked_count": progress.parked.len(),
            "parked": progress.parked.iter().take(100).map(|p| json!({"id": p.stix_id, "missing": p.missing, "attempts": p.attempts})).collect::<Vec<_>>(),
            "errors": progress.errors.iter().map(|e| json!({"id": e.stix_id, "error": e.error, "at": format_ms(e.at_ms)})).collect::<Vec<_>>(),
        },
    }))
}

fn bad(m: String) -> AppError {
    AppError::BadRequest(m)
}

fn flag(key: &str, value: &Value) -> Result<bool, AppError> {
    value
        .as_bool()
        .ok_or_else(|| bad(format!("{key} must be true or false")))
}

/// Applies the fields of a create/patch body (400 naming the field). Returns whether the remote position
/// must start over (another remote, stream or start position).
fn apply_fields(s: &mut SynchronizerV1, body: &Map<String, Value>) -> Result<bool, AppError> {
    let before = (s.url.clone(), s.stream_id.clone(), s.start_from.clone());
    for (key, value) in body {
        match key.as_str() {
            "name" => {
                let name = value.as_str().map(str::trim).unwrap_or_default();
                if name.chars().count() < 2 || name.len() > 200 {
                    return Err(bad("name must be a string of 2 to 200 characters".into()));
                }
                name.clone_into(&mut s.name);
            }
            "url" => {
                let url = value
                    .as_str()
                    .ok_or_else(|| bad("url must be a string".into()))?;
                s.url = client::normalize_url(url).map_err(bad)?;
            }
            "token" => {
                s.token = match value {
                    Value::Null => None,
                    Value::String(t) if t.trim().is_empty() => None,
                    Value::String(t) if t.len() <= 4096 => Some(t.trim().to_owned()),
                    _ => return Err(bad("token must be a string or null".into())),
                };
            }
            "stream_id" => {
                let id = value.as_str().map(str::trim).unwrap_or_default();
                let ok = !id.is_empty()
                    && id.len() <= 200
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if !ok {
                    return Err(bad(
                        "stream_id must be the remote stream's id (letters, digits, '-', '_', '.')"
                            .into(),
                    ));
                }
                id.clone_into(&mut s.stream_id);
            }
            "start_from" => {
                let v = value.as_str().map(str::trim).unwrap_or_default();
                s.start_from = match v {
                    "beginning" | "now" => v.to_owned(),
                    date => parse_position_date_ms(date).map(format_ms).ok_or_else(|| {
                        bad(format!(
                            "start_from must be \"beginning\", \"now\" or an RFC 3339 date, got {value}"
                        ))
                    })?,
                };
            }
            "listen_delete" => s.listen_delete = flag(key, value)?,
            "no_dependencies" => s.no_dependencies = flag(key, value)?,
            "verify_tls" => s.verify_tls = flag(key, value)?,
            "running" => s.running = flag(key, value)?,
            "id" | "token_set" | "status" | "created_at" => {
                return Err(AppError::BadRequest(format!("field '{key}' is read-only: it is set by the hub and cannot be given or changed")))
            }
            other => return Err(bad(format!("unknown field '{other}'"))),
        }
    }
    Ok(before != (s.url.clone(), s.stream_id.clone(), s.start_from.clone()))
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, AppError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("expected a JSON object".into())),
        Err(e) => Err(AppError::InvalidJson(format!("invalid JSON: {e}"))),
    }
}

fn parse_id(id: &str) -> Result<[u8; 16], AppError> {
    Uuid::parse_str(id)
        .map(|u| *u.as_bytes())
        .map_err(|_| AppError::NotFound(format!("no synchronizer with id '{id}'")))
}

fn load(state: &AppState, id: &str) -> Result<SynchronizerV1, AppError> {
    state
        .store
        .get_synchronizer(parse_id(id)?)?
        .ok_or_else(|| AppError::NotFound(format!("no synchronizer with id '{id}'")))
}

pub async fn list(
    state: web::Data<AppState>,
    _user: Capable<Share>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(list_values(&state)?))
}

/// Creates a synchronizer from validated fields (API and admin pages).
pub fn create_value(state: &AppState, fields: &Map<String, Value>) -> Result<Value, AppError> {
    for required in ["name", "url", "stream_id"] {
        if !fields.contains_key(required) {
            return Err(bad(format!("{required} is required")));
        }
    }
    let mut s = SynchronizerV1 {
        id: *Uuid::new_v4().as_bytes(),
        name: String::new(),
        url: String::new(),
        token: None,
        stream_id: String::new(),
        listen_delete: true,
        no_dependencies: false,
        start_from: "beginning".into(),
        verify_tls: true,
        running: false,
        created_at_ms: i64::try_from(now_ms()).unwrap_or(0),
    };
    apply_fields(&mut s, fields)?;
    state.store.put_synchronizer(&s)?;
    sync_json(state, &s)
}

pub async fn create(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(create_value(&state, &parse_body(&body)?)?))
}

/// Every synchronizer as its API JSON.
pub fn list_values(state: &AppState) -> Result<Vec<Value>, AppError> {
    state
        .store
        .list_synchronizers()?
        .iter()
        .map(|s| sync_json(state, s))
        .collect()
}

pub fn get_value(state: &AppState, id: &str) -> Result<Value, AppError> {
    sync_json(state, &load(state, id)?)
}

/// Applies fields to a synchronizer; a new remote, stream or start point starts over from it.
pub async fn update_value(
    state: &AppState,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<Value, AppError> {
    let mut s = load(state, id)?;
    let restart = apply_fields(&mut s, fields)?;
    state.store.put_synchronizer(&s)?;
    if restart {
        // A batch of the old definition that commits after this is refused (apply checks the definition).
        let (store, sid) = (state.store.clone(), s.id);
        web::block(move || store.reset_sync_state(sid)).await??;
    }
    sync_json(state, &s)
}

pub async fn delete_value(state: &AppState, id: &str) -> Result<(), AppError> {
    let sid = parse_id(id)?;
    let store = state.store.clone();
    if web::block(move || store.delete_synchronizer(sid)).await?? {
        state.syncs.remove(sid);
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "no synchronizer with id '{id}'"
        )))
    }
}

pub fn set_running_value(state: &AppState, id: &str, running: bool) -> Result<Value, AppError> {
    let mut s = load(state, id)?;
    s.running = running;
    state.store.put_synchronizer(&s)?;
    sync_json(state, &s)
}

/// The remote's streams for the admin wizard; a remote that cannot be used is a 400 with the reason.
pub async fn discover_values(url: &str, token: Option<&str>) -> Result<Vec<Value>, AppError> {
    let url = client::normalize_url(url).map_err(bad)?;
    client::discover(&url, token, true)
        .await
        .map_err(|e| bad(format!("{e} ({})", e.code())))
}

pub async fn get(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(sync_json(&state, &load(&state, &id)?)?))
}

pub async fn patch(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(update_value(&state, &id, &parse_body(&body)?).await?))
}

pub async fn delete(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    delete_value(&state, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_running(state: &AppState, id: &str, running: bool) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(set_running_value(state, id, running)?))
}

pub async fn start(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_running(&state, &id, true).await
}

pub async fn stop(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_running(&state, &id, false).await
}

/// A remote that cannot be used: 422 with the reason and a stable code (the request itself was fine).
fn remote_failure(url: &str, e: &RemoteError) -> HttpResponse {
    tracing::info!(%url, code = e.code(), error = %e, "synchronizer discovery failed");
    let status = match e {
        RemoteError::Unauthorized(s) | RemoteError::Server(s) => Some(*s),
        RemoteError::NotFound(_) => Some(404),
        RemoteError::Gone => Some(410),
        _ => None,
    };
    HttpResponse::UnprocessableEntity()
        .json(json!({"error": e.to_string(), "code": e.code(), "remote_status": status}))
}

/// `POST /api/synchronizers/discover` `{"url","token"?,"verify_tls"?,"stream_id"?}` → the remote's streams
/// (OpenCTI's own discovery query); with `stream_id`, also opens that stream as OpenCTI's "test" does.
pub async fn discover(
    _user: Capable<Share>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let fields = parse_body(&body)?;
    let mut probe = SynchronizerV1 {
        id: [0; 16],
        name: String::new(),
        url: String::new(),
        token: None,
        stream_id: String::new(),
        listen_delete: true,
        no_dependencies: false,
        start_from: "now".into(),
        verify_tls: true,
        running: false,
        created_at_ms: 0,
    };
    if !fields.contains_key("url") {
        return Err(bad("url is required".into()));
    }
    apply_fields(&mut probe, &fields)?;
    let streams = match client::discover(&probe.url, probe.token.as_deref(), probe.verify_tls).await
    {
        Ok(s) => s,
        Err(e) => return Ok(remote_failure(&probe.url, &e)),
    };
    let mut answer = json!({"url": probe.url, "streams": streams});
    if !probe.stream_id.is_empty() {
        if let Err(e) = client::check_stream(&probe).await {
            return Ok(remote_failure(&probe.url, &e));
        }
        answer["stream_check"] = json!("ok");
    }
    Ok(HttpResponse::Ok().json(answer))
}
