//! `/api` JSON endpoints for knowledge.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Capable, Import, Read};
use crate::auth::Access;
use crate::error::AppError;
use crate::knowledge;
use crate::state::AppState;
use crate::store::StoredObject;

/// Reads a request body, refusing it (413) from its declared length or as soon as it passes `limit`.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(AppError::PayloadTooLarge(limit));
    }
    let mut body =
        Vec::with_capacity(declared.map_or(64 * 1024, |n| usize::try_from(n).unwrap_or(0)));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| AppError::BadRequest(format!("could not read the request body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub async fn post_bundle(
    state: web::Data<AppState>,
    admin: Capable<Import>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let body = read_body(&req, payload, state.config.max_body_bytes).await?;
    let access = admin.0.access.clone();
    let origin = state.origin("api", &admin.0);
    let store = state.store.clone();
    let max_object = state.config.max_object_bytes;
    let report = web::block(move || {
        knowledge::import_bundle_as(&store, &body, max_object, &origin, &access, &mut |_, _| {})
    })
    .await??;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "type")]
    stix_type: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

const MAX_LIMIT: usize = 1000;

pub async fn list_objects(
    state: web::Data<AppState>,
    reader: Capable<Read>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let mut q = query.into_inner();
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::BadRequest(format!(
                    "limit must be a number from 1 to {MAX_LIMIT}, got '{s}'"
                )))
            }
        },
    };
    if let Some(t) = &q.stix_type {
        if t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(AppError::BadRequest(format!("invalid type '{t}'")));
        }
    }
    // An empty `after` is the first page, as no `after`.
    let after = q.after.take().filter(|a| !a.is_empty());
    if let Some(a) = &after {
        let valid = a.split_once("--").is_some_and(|(t, rest)| {
            !t.is_empty()
                && !rest.is_empty()
                && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !valid {
            return Err(AppError::BadRequest(format!(
                "after must be a STIX id (the `next` of the previous page), got '{a}'"
            )));
        }
    }
    let store = state.store.clone();
    let mut page =
        web::block(move || store.list_objects(q.stix_type.as_deref(), after.as_deref(), limit + 1))
            .await??;
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|(id, _)| id.clone())
    } else {
        None
    };
    // Paging is over stored objects; a page may hold fewer than `limit` when some are hidden by markings.
    let objects: Vec<Value> = page
        .iter()
        .filter_map(|(_, StoredObject::V1(rec))| view(&state, &reader.0.access, &rec.json))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "objects": objects, "next": next })))
}

pub async fn get_object(
    state: web::Data<AppState>,
    reader: Capable<Read>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    match state.store.get_object(&id)? {
        Some(StoredObject::V1(rec)) if reader.0.access.bypass => Ok(HttpResponse::Ok()
            .content_type("application/json")
            .body(rec.json)),
        Some(StoredObject::V1(rec)) => match view(&state, &reader.0.access, &rec.json) {
            Some(obj) => Ok(HttpResponse::Ok().json(obj)),
            // Hidden by markings: answered as absent, so its existence is not revealed.
            None => Err(AppError::NotFound(format!("no object with id '{id}'"))),
        },
        None => Err(AppError::NotFound(format!("no object with id '{id}'"))),
    }
}

/// What a reader sees of a stored object — the same view as streams: `None` when its markings or a
/// relationship's end are hidden from the reader, else the object with references to hidden objects removed.
pub fn view(state: &AppState, access: &Access, json: &[u8]) -> Option<Value> {
    let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(json) else {
        return None;
    };
    if !access.bypass {
        if !crate::stream::view::object_visible(&state.store, access, &obj) {
            return None;
        }
        crate::stream::view::redact(&state.store, access, &mut obj);
    }
    Some(Value::Object(obj))
}

pub async fn delete_object(
    state: web::Data<AppState>,
    admin: Capable<Import>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    // An object hidden from the caller is answered as absent, and stays.
    let hidden = match state.store.get_object(&id)? {
        Some(StoredObject::V1(rec)) => view(&state, &admin.0.access, &rec.json).is_none(),
        None => false,
    };
    if hidden {
        return Err(AppError::NotFound(format!("no object with id '{id}'")));
    }
    let origin = state.origin("api", &admin.0);
    let store = state.store.clone();
    let target = id.clone();
    if web::block(move || knowledge::delete_object(&store, &target, &origin)).await?? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound(format!("no object with id '{id}'")))
    }
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound(format!(
        "no such endpoint: {} {}",
        req.method(),
        req.path()
    )))
}
