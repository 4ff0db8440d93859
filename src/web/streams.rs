//! `/api/streams`: live stream definitions (admin), and `/api/public/streams` (anyone).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::extract::{Capable, Share};
use crate::error::AppError;
use crate::filter::FilterGroup;
use crate::state::AppState;
use crate::store::StreamV1;

const TLP_NAMES: [&str; 2] = ["TLP:CLEAR", "TLP:GREEN"];

pub fn stream_json(s: &StreamV1) -> Value {
    let filters: Value = serde_json::from_str(&s.filters_json).unwrap_or(Value::Null);
    json!({
        "id": Uuid::from_bytes(s.id).to_string(),
        "name": s.name,
        "description": s.description,
        "filters": filters,
        "public": s.public,
        "max_marking": TLP_NAMES.get(usize::from(s.max_tlp)).copied().unwrap_or("TLP:CLEAR"),
        "authorized_groups": s.authorized_groups.iter().map(|g| Uuid::from_bytes(*g).to_string()).collect::<Vec<_>>(),
        "started": s.started,
        "created_at": crate::stix::format_ms(s.created_at_ms),
    })
}

/// Applies the fields of a create/patch body to a stream, validating each (400 naming the field).
fn apply_fields(s: &mut StreamV1, body: &Map<String, Value>) -> Result<(), AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    for (key, value) in body {
        match key.as_str() {
            "name" => {
                let name = value.as_str().map(str::trim).unwrap_or_default();
                if name.chars().count() < 2 || name.len() > 200 {
                    return Err(bad("name must be a string of 2 to 200 characters".into()));
                }
                name.clone_into(&mut s.name);
            }
            "description" => {
                s.description = match value {
                    Value::Null => String::new(),
                    Value::String(d) if d.len() <= 10_000 => d.clone(),
                    _ => {
                        return Err(bad(
                            "description must be a string of at most 10000 bytes".into()
                        ))
                    }
                };
            }
            "filters" => {
                let group =
                    FilterGroup::parse(value).map_err(|e| bad(format!("invalid filters: {e}")))?;
                s.filters_json = group.to_json().to_string();
            }
            "public" => {
                s.public = value
                    .as_bool()
                    .ok_or_else(|| bad("public must be true or false".into()))?
            }
            "started" => {
                s.started = value
                    .as_bool()
                    .ok_or_else(|| bad("started must be true or false".into()))?
            }
            "max_marking" => {
                let v = value.as_str().unwrap_or_default().to_ascii_uppercase();
                let level = TLP_NAMES.iter().position(|n| *n == v).ok_or_else(|| {
                    bad(format!("max_marking must be TLP:CLEAR or TLP:GREEN (a public stream never carries more), got {value}"))
                })?;
                s.max_tlp = u8::try_from(level).unwrap_or(0);
            }
            "authorized_groups" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| bad("authorized_groups must be an array of group ids".into()))?;
                s.authorized_groups = list
                    .iter()
                    .map(|g| {
                        g.as_str()
                            .and_then(|t| Uuid::parse_str(t).ok())
                            .map(|u| *u.as_bytes())
                            .ok_or_else(|| {
                                bad(format!("authorized_groups: '{g}' is not a group id"))
                            })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "id" | "created_at" => {
                return Err(AppError::BadRequest(format!(
                "field '{key}' is read-only: it is set by the hub and cannot be given or changed"
            )))
            }
            other => return Err(bad(format!("unknown field '{other}'"))),
        }
    }
    Ok(())
}

/// Authorized groups must exist (a typo would silently lock everyone but admins out).
fn check_groups(state: &AppState, s: &StreamV1) -> Result<(), AppError> {
    for g in &s.authorized_groups {
        if state.store.get_group(*g)?.is_none() {
            return Err(AppError::BadRequest(format!(
                "authorized_groups: no group with id '{}'",
                Uuid::from_bytes(*g)
            )));
        }
    }
    Ok(())
}

fn parse_body(body: &[u8]) -> Result<Map<String, Value>, AppError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(AppError::BadRequest("expected a JSON object".into())),
        Err(e) => Err(AppError::InvalidJson(format!("invalid JSON: {e}"))),
    }
}

pub fn parse_id(id: &str) -> Result<[u8; 16], AppError> {
    Uuid::parse_str(id)
        .map(|u| *u.as_bytes())
        .map_err(|_| AppError::NotFound(format!("no stream with id '{id}'")))
}

pub fn load(state: &AppState, id: &str) -> Result<StreamV1, AppError> {
    state
        .store
        .get_stream(parse_id(id)?)?
        .ok_or_else(|| AppError::NotFound(format!("no stream with id '{id}'")))
}

pub async fn list(
    state: web::Data<AppState>,
    _user: Capable<Share>,
) -> Result<HttpResponse, AppError> {
    let all: Vec<Value> = state
        .store
        .list_streams()?
        .iter()
        .map(stream_json)
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Creates a stream from validated fields and writes its log for the knowledge already stored.
pub async fn create_from(
    state: &AppState,
    fields: &Map<String, Value>,
) -> Result<StreamV1, AppError> {
    if !fields.contains_key("name") {
        return Err(AppError::BadRequest("name is required".into()));
    }
    let mut s = StreamV1 {
        id: *Uuid::new_v4().as_bytes(),
        name: String::new(),
        description: String::new(),
        filters_json: FilterGroup::empty().to_json().to_string(),
        public: false,
        max_tlp: 0,
        authorized_groups: Vec::new(),
        started: false,
        created_at_ms: i64::try_from(crate::store::now_ms()).unwrap_or(0),
    };
    apply_fields(&mut s, fields)?;
    check_groups(state, &s)?;
    state.store.put_stream(&s)?;
    let (store, sid) = (state.store.clone(), s.id);
    web::block(move || crate::knowledge::streams::backfill(&store, sid)).await??;
    Ok(s)
}

/// Applies validated fields to a stream; a filter change rewrites its log under the new filter.
pub async fn update_from(
    state: &AppState,
    id: &str,
    fields: &Map<String, Value>,
) -> Result<StreamV1, AppError> {
    let mut s = load(state, id)?;
    let before = s.filters_json.clone();
    apply_fields(&mut s, fields)?;
    check_groups(state, &s)?;
    state.store.put_stream(&s)?;
    if s.filters_json != before {
        let (store, sid) = (state.store.clone(), s.id);
        web::block(move || crate::knowledge::streams::backfill(&store, sid)).await??;
    }
    Ok(s)
}

pub async fn create(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let s = create_from(&state, &parse_body(&body)?).await?;
    Ok(HttpResponse::Created().json(stream_json(&s)))
}

pub async fn get(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stream_json(&load(&state, &id)?)))
}

pub async fn patch(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let s = update_from(&state, &id, &parse_body(&body)?).await?;
    Ok(HttpResponse::Ok().json(stream_json(&s)))
}

pub async fn delete(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let sid = parse_id(&id)?;
    let store = state.store.clone();
    if web::block(move || store.delete_stream(sid)).await?? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound(format!("no stream with id '{id}'")))
    }
}

/// Starts or stops a stream (stopping ends its open connections within a second).
pub fn set_started_def(state: &AppState, id: &str, started: bool) -> Result<StreamV1, AppError> {
    let mut s = load(state, id)?;
    s.started = started;
    state.store.put_stream(&s)?;
    Ok(s)
}

async fn set_started(state: &AppState, id: &str, started: bool) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(stream_json(&set_started_def(state, id, started)?)))
}

pub async fn start(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_started(&state, &id, true).await
}

pub async fn stop(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_started(&state, &id, false).await
}

/// The hub's URL as users reach it: `public_url` when configured, else taken from the request. The request's
/// scheme is used only when it is `http` or `https`, and its host (`Host`, `X-Forwarded-Host`, `Forwarded`)
/// only when it looks like a host name or address with an optional port; otherwise `http` and the address
/// the connection reached, so a forged header never makes the hub show a `javascript:` or markup-bearing URL.
pub fn base_url(req: &HttpRequest) -> String {
    if let Some(url) = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.config.public_url.clone())
    {
        return url;
    }
    let info = req.connection_info();
    let scheme = if info.scheme().eq_ignore_ascii_case("https") {
        "https"
    } else {
        "http"
    };
    let host = info.host();
    if plausible_host(host) {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{}", req.app_config().local_addr())
    }
}

/// `host[:port]` of letters, digits, `-`, `.`, `:`, `[` and `]` (IPv6 literals), at most 255 characters.
fn plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'[' | b']'))
}

/// `GET /api/public/streams`: public streams only, no auth.
pub async fn public_list(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let list: Vec<Value> = state
        .store
        .list_streams()?
        .iter()
        .filter(|s| s.public)
        .map(|s| {
            let id = Uuid::from_bytes(s.id);
            let filters: Value = serde_json::from_str(&s.filters_json).unwrap_or(Value::Null);
            json!({"id": id.to_string(), "name": s.name, "description": s.description, "filters": filters,
                   "started": s.started, "url": format!("{base}/stream/{id}")})
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
