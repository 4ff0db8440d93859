//! `POST .../objects/` on a writable collection (through the normal ingest path) and `GET .../status/{id}/`.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::sharing;
use super::taxii_http::{negotiate, reply, TaxiiError};
use crate::knowledge;
use crate::state::AppState;

fn content_type_ok(req: &HttpRequest) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = ct.split(';').map(str::trim);
    let media = parts.next().unwrap_or_default().to_ascii_lowercase();
    let version = parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    media == "application/taxii+json" && version.as_deref().is_none_or(|v| v == "2.1")
}

fn version_of(obj: &Value) -> Value {
    obj.get("modified")
        .or_else(|| obj.get("created"))
        .cloned()
        .unwrap_or(Value::Null)
}

pub async fn add_objects(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let missing = || TaxiiError::not_found(format!("no collection with id '{id}'"));
    let key = super::collections::parse_id(&id).ok_or_else(missing)?;
    let c = state.store.get_collection(key)?.ok_or_else(missing)?;
    // Writing always needs credentials, even to a public collection: a reader of it with `import`.
    let Some(caller) = sharing::caller(&state, &req).await? else {
        return Err(sharing::Denied::Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <token>' (or HTTP Basic)".into(),
        )
        .into());
    };
    if !super::taxii::writer_of(&c, Some(&caller)) {
        return Err(sharing::Denied::Forbidden(
            "writing needs the 'import' capability and the right to read this collection".into(),
        )
        .into());
    }
    if !c.can_write {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "this collection is not writable",
        ));
    }
    if !content_type_ok(&req) {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "send the envelope as application/taxii+json;version=2.1",
        ));
    }
    let limit = state.config.max_body_bytes;
    let body = super::api::read_body(&req, payload, limit)
        .await
        .map_err(|e| match e {
            crate::error::AppError::PayloadTooLarge(n) => TaxiiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                format!("the envelope is larger than {n} bytes"),
            ),
            other => TaxiiError::bad_request(other.to_string()),
        })?;
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|e| TaxiiError::bad_request(format!("invalid JSON: {e}")))?;
    let Some(objects) = envelope.get("objects").and_then(Value::as_array).cloned() else {
        return Err(TaxiiError::bad_request(
            "expected an envelope {\"objects\": [...]}",
        ));
    };
    let bundle = serde_json::to_vec(&json!({"type": "bundle", "objects": objects}))
        .map_err(TaxiiError::internal)?;
    let access = caller.access.clone();
    let origin = state.origin("taxii", &caller);
    let store = state.store.clone();
    let max_object = state.config.max_object_bytes;
    let requested = crate::stix::format_ms(sharing::now_ms());
    let report = web::block(move || {
        knowledge::import_bundle_as(
            &store,
            &bundle,
            max_object,
            &origin,
            &access,
            &mut |_, _| {},
        )
    })
    .await?
    .map_err(|e| TaxiiError::bad_request(e.to_string()))?;
    let failed: HashMap<usize, &str> = report
        .errors
        .iter()
        .map(|e| (e.index, e.error.as_str()))
        .collect();
    let (mut successes, mut failures) = (Vec::new(), Vec::new());
    for (i, obj) in objects.iter().enumerate() {
        let oid = obj.get("id").cloned().unwrap_or(Value::Null);
        match failed.get(&i) {
            Some(msg) => {
                failures.push(json!({"id": oid, "version": version_of(obj), "message": msg}))
            }
            None => successes.push(json!({"id": oid, "version": version_of(obj)})),
        }
    }
    let status_id = uuid::Uuid::new_v4().to_string();
    let status = json!({
        "id": status_id, "status": "complete", "request_timestamp": requested,
        "total_count": objects.len(), "success_count": successes.len(), "successes": successes,
        "failure_count": failures.len(), "failures": failures, "pending_count": 0,
    });
    state.taxii.put_status(status_id, status.clone());
    Ok(reply(StatusCode::ACCEPTED, &status))
}

/// `GET /taxii2/root/status/{id}/` (authenticated callers only).
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    if sharing::caller(&state, &req).await?.is_none() {
        return Err(sharing::Denied::Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <token>' (or HTTP Basic)".into(),
        )
        .into());
    }
    match state.taxii.status(&id) {
        Some(s) => Ok(reply(StatusCode::OK, &s)),
        None => Err(TaxiiError::not_found(format!("no status with id '{id}'"))),
    }
}
