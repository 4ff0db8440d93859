//! SSE endpoints (spec §1).

use std::collections::HashMap;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};

use super::extract::AdminUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::stream::{self, sse};

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// First value of a query parameter (repeated parameters: the first wins, as in OpenCTI).
fn query_params(req: &HttpRequest) -> Result<HashMap<String, String>, AppError> {
    let pairs: Vec<(String, String)> =
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|e| AppError::BadRequest(format!("invalid query string: {e}")))?
            .into_inner();
    let mut out = HashMap::new();
    for (k, v) in pairs {
        out.entry(k).or_insert(v);
    }
    Ok(out)
}

/// `GET /stream`: the whole global log, admins only.
pub async fn global(
    state: web::Data<AppState>,
    _admin: AdminUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let q = query_params(&req)?;
    let recover = q
        .get("recover")
        .map(String::as_str)
        .or_else(|| header(&req, "recover"))
        .or_else(|| header(&req, "recover-date"));
    let request = stream::resolve(
        header(&req, "last-event-id"),
        q.get("from").map(String::as_str),
        header(&req, "from"),
        recover,
    )
    .map_err(|e| AppError::BadRequest(e.0))?;
    // The global log is kept whole, so `recover` is served by replaying it from the position.
    let connection_id = uuid::Uuid::new_v4().to_string();
    let connected = sse::connected_frame(&state.store, &connection_id)?;
    let reader = sse::GlobalReader::new(
        state.store.clone(),
        request.after,
        connected,
        Duration::from_millis(state.config.heartbeat_ms),
        state.shutdown.clone(),
    );
    Ok(sse_response().streaming(reader.into_stream()))
}

pub fn sse_response() -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::Ok();
    b.insert_header(("Content-Type", "text/event-stream; charset=utf-8"))
        .insert_header(("Cache-Control", "no-cache, no-transform"))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header(("Connection", "keep-alive"))
        .insert_header(("Access-Control-Allow-Origin", "*"));
    b
}

/// `POST /stream/connection/{id}`: OpenCTI synchronizers' back-pressure call. Always acknowledged (spec §1.10):
/// our readers pull at their own pace, so there is nothing to slow down.
pub async fn connection() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"message": "ok"}))
}
