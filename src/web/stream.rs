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

/// Position and flags of a stream request (spec §1.4): query parameters first, then headers.
fn request_of(
    req: &HttpRequest,
) -> Result<(stream::StreamRequest, HashMap<String, String>), AppError> {
    let q = query_params(req)?;
    let recover = q
        .get("recover")
        .map(String::as_str)
        .or_else(|| header(req, "recover"))
        .or_else(|| header(req, "recover-date"));
    let request = stream::resolve(
        header(req, "last-event-id"),
        q.get("from").map(String::as_str),
        header(req, "from"),
        recover,
    )
    .map_err(|e| AppError::BadRequest(e.0))?;
    Ok((request, q))
}

/// The snapshot a request needs: `recover` later than the position, or a position older than the kept log →
/// the current state of what was updated in between, then the log from that point (spec §2.7, B03).
async fn snapshot_of(
    state: &AppState,
    request: &stream::StreamRequest,
    filter: Option<crate::filter::FilterGroup>,
    no_dependencies: bool,
) -> Result<Option<stream::snapshot::Snapshot>, AppError> {
    let Some(after) = request.after else {
        return Ok(None);
    };
    // B03: a position older than the kept log gets the current state of what changed since, then the log
    // from the oldest kept event — never a silent skip.
    let trimmed = state.store.trimmed_through()?.filter(|t| after < *t);
    let recover = match (request.recover, trimmed) {
        (Some(r), Some(t)) => r.max(t),
        (Some(r), None) => r,
        (None, Some(t)) => t,
        (None, None) => return Ok(None),
    };
    if recover <= after {
        return Ok(None);
    }
    let store = state.store.clone();
    let ms = |id: crate::store::EventId| i64::try_from(id.ms).unwrap_or(i64::MAX);
    let snap = web::block(move || {
        stream::snapshot::Snapshot::plan(
            &store,
            filter,
            no_dependencies,
            ms(after),
            ms(recover),
            // The snapshot holds every change up to the end of that millisecond (an object's `updated_at` is
            // its last event's millisecond), so the log goes on after it: nothing twice, nothing missed.
            crate::store::EventId::new(recover.ms, u64::MAX),
        )
    })
    .await??;
    Ok(Some(snap))
}

/// `GET /stream`: the whole global log, admins only.
pub async fn global(
    state: web::Data<AppState>,
    _admin: AdminUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (request, _) = request_of(&req)?;
    let snapshot = snapshot_of(&state, &request, None, false).await?;
    let connection_id = uuid::Uuid::new_v4().to_string();
    let connected = sse::connected_frame(&state.store, None, &connection_id)?;
    let credential = Credential::of(&req);
    let (store, config) = (state.store.clone(), state.config.clone());
    let mut reader = sse::Reader::new(
        state.store.clone(),
        sse::Source::Global,
        request.after,
        connected,
        Duration::from_millis(state.config.heartbeat_ms),
        state.shutdown.clone(),
    )
    .with_recheck(Box::new(move || {
        credential
            .principal(&store, &config)
            .filter(crate::auth::Principal::is_admin)
            .map(|_| crate::auth::Access::everything())
    }));
    if let Some(snap) = snapshot {
        reader = reader.with_snapshot(snap);
    }
    Ok(sse_response().streaming(reader.into_stream()))
}

/// `GET /stream/{id}`: one live stream. Unknown → 404; stopped → 410 (before any credential check); public →
/// anonymous, credentials ignored, capped by the stream's marking ceiling; private → a token whose user may
/// read it (`auth::shared_access`), seeing what its groups allow.
pub async fn by_id(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let sid = super::streams::parse_id(&id)?;
    let def = state
        .store
        .get_stream(sid)?
        .ok_or_else(|| AppError::NotFound(format!("no stream with id '{id}'")))?;
    if !def.started {
        return Err(AppError::Gone("This live stream is stopped".into()));
    }
    let reader = if def.public {
        None
    } else {
        Some(stream_reader(&req)?)
    };
    let access = crate::auth::shared_access(
        def.public,
        def.max_tlp,
        &def.authorized_groups,
        reader.as_ref(),
    )
    .map_err(|_| AppError::Forbidden("this token's user may not read this stream".into()))?;
    let (request, q) = request_of(&req)?;
    let flag = |name: &str| {
        let value = q
            .get(name)
            .map(String::as_str)
            .or_else(|| header(&req, name));
        flag_value(name, value)
    };
    let listen_delete = flag("listen-delete")?.unwrap_or(true);
    let no_dependencies = match flag("no-dependencies")? {
        Some(v) => v,
        None => flag("no-relationships")?.unwrap_or(false),
    };
    // Accepted for OpenCTI clients; this hub stores no inferred knowledge, so it changes nothing.
    flag("with-inferences")?;
    let filter = crate::filter::FilterGroup::parse_stored(
        &serde_json::from_str::<serde_json::Value>(&def.filters_json).unwrap_or_default(),
    )
    .map_err(|e| AppError::internal(format!("stored filter invalid: {e}")))?;
    let snapshot = snapshot_of(&state, &request, Some(filter), no_dependencies).await?;
    let connection_id = uuid::Uuid::new_v4().to_string();
    let connected = sse::connected_frame(&state.store, Some(sid), &connection_id)?;
    let mut reader = sse::Reader::new(
        state.store.clone(),
        sse::Source::Stream {
            id: sid,
            access,
            listen_delete,
            no_dependencies,
        },
        request.after,
        connected,
        Duration::from_millis(state.config.heartbeat_ms),
        state.shutdown.clone(),
    );
    let credential = Credential::of(&req);
    let (store, config) = (state.store.clone(), state.config.clone());
    reader = reader.with_recheck(Box::new(move || {
        let def = store.get_stream(sid).ok()??;
        if !def.started {
            return None;
        }
        let reader = if def.public {
            None
        } else {
            Some(credential.principal(&store, &config)?)
        };
        crate::auth::shared_access(
            def.public,
            def.max_tlp,
            &def.authorized_groups,
            reader.as_ref(),
        )
        .ok()
    }));
    if let Some(snap) = snapshot {
        reader = reader.with_snapshot(snap);
    }
    Ok(sse_response().streaming(reader.into_stream()))
}

/// A private stream's reader: the bearer token, or (no Authorization header) the admin session cookie, so the
/// admin interface's tail view can open an EventSource, which cannot send headers.
/// What a reader authenticated with, kept to check its access again while it stays connected (the same
/// precedence as `stream_reader`: an Authorization header, else the admin session cookie).
enum Credential {
    Authorization(String),
    Session(String),
    None,
}

impl Credential {
    fn of(req: &HttpRequest) -> Credential {
        if let Some(v) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
            return Credential::Authorization(v.to_str().unwrap_or_default().to_owned());
        }
        match req.cookie(crate::auth::session::COOKIE) {
            Some(c) => Credential::Session(c.value().to_owned()),
            None => Credential::None,
        }
    }

    /// The user behind the credential as of now; `None` once it is revoked, expired or deleted.
    fn principal(
        &self,
        store: &crate::store::Store,
        config: &crate::config::Config,
    ) -> Option<crate::auth::Principal> {
        let user = match self {
            Credential::Authorization(v) => return crate::auth::authenticate(store, Some(v)).ok(),
            Credential::Session(cookie) => {
                let s = crate::auth::session::lookup(
                    store,
                    cookie,
                    config.session_idle_secs,
                    config.session_max_secs,
                )
                .ok()??;
                store.get_user(s.record.user_id).ok()??
            }
            Credential::None => return None,
        };
        crate::auth::principal_of(store, user).ok()
    }
}

fn stream_reader(req: &HttpRequest) -> Result<crate::auth::Principal, AppError> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return super::extract::bearer_principal(req);
    }
    match super::admin::session_principal(req)? {
        Some((p, _)) => Ok(p),
        None => super::extract::bearer_principal(req),
    }
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

/// A stream flag (query parameter, else header): `true`/`false` (also `1`/`0`, `yes`/`no`, any case);
/// absent or empty = `None`; anything else is refused, naming the flag.
fn flag_value(name: &str, value: Option<&str>) -> Result<Option<bool>, AppError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(Some(true)),
        "false" | "0" | "no" => Ok(Some(false)),
        _ => Err(AppError::BadRequest(format!(
            "invalid value '{v}' for {name}: expected true or false"
        ))),
    }
}
