//! Errors of actix's own extractors (`web::Json`, `web::Query`, `web::Path`, `web::Form`) and the request
//! body of the definition APIs: the API's JSON [`AppError`] with a reason, never actix's plain-text default.
//! Under `/admin` the same errors are HTML pages ([`html`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::error::AppError;

/// Largest body of the definition APIs (streams, collections, feeds, synchronizers, users, groups, tokens).
pub const DEFINITION_BODY_LIMIT: usize = 1024 * 1024;

fn json_error(e: JsonPayloadError) -> AppError {
    match e {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => AppError::PayloadTooLarge(limit),
        JsonPayloadError::ContentType => {
            AppError::BadRequest("the body must be JSON (Content-Type: application/json)".into())
        }
        JsonPayloadError::Deserialize(e) => AppError::InvalidJson(format!("invalid JSON: {e}")),
        other => AppError::BadRequest(format!("could not read the request body: {other}")),
    }
}

fn query_error(e: QueryPayloadError) -> AppError {
    match e {
        QueryPayloadError::Deserialize(e) => {
            AppError::BadRequest(format!("invalid query string: {e}"))
        }
        other => AppError::BadRequest(format!("invalid query string: {other}")),
    }
}

fn path_error(e: PathError) -> AppError {
    match e {
        PathError::Deserialize(e) => AppError::BadRequest(format!("invalid path: {e}")),
        other => AppError::BadRequest(format!("invalid path: {other}")),
    }
}

fn form_error(e: UrlencodedError) -> AppError {
    match e {
        UrlencodedError::Overflow { limit, .. } => AppError::PayloadTooLarge(limit),
        UrlencodedError::ContentType => AppError::BadRequest(
            "invalid form: the body must be application/x-www-form-urlencoded".into(),
        ),
        other => AppError::BadRequest(format!("invalid form: {other}")),
    }
}

/// Registers the extractor configurations app-wide: errors become the API's JSON errors; JSON bodies are
/// limited to [`DEFINITION_BODY_LIMIT`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(DEFINITION_BODY_LIMIT)
            .error_handler(|e, _| json_error(e).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| query_error(e).into()))
    .app_data(web::PathConfig::default().error_handler(|e, _| path_error(e).into()))
    .app_data(web::FormConfig::default().error_handler(|e, _| form_error(e).into()));
}

/// The same configurations for the admin pages: the errors are HTML error pages.
pub fn html(scope: actix_web::Scope) -> actix_web::Scope {
    use super::admin::PageError;
    scope
        .app_data(
            web::QueryConfig::default().error_handler(|e, _| PageError::App(query_error(e)).into()),
        )
        .app_data(
            web::PathConfig::default().error_handler(|e, _| PageError::App(path_error(e)).into()),
        )
        .app_data(
            web::FormConfig::default().error_handler(|e, _| PageError::App(form_error(e)).into()),
        )
        .app_data(
            web::JsonConfig::default()
                .limit(DEFINITION_BODY_LIMIT)
                .error_handler(|e, _| PageError::App(json_error(e)).into()),
        )
}

/// A definition API's request body, read whole; over [`DEFINITION_BODY_LIMIT`] it is a JSON 413
/// (`payload_too_large`), refused from its declared length before it is read.
pub struct Body(pub Vec<u8>);

impl std::ops::Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl FromRequest for Body {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = web::Payload::from_request(&req, payload);
        Box::pin(async move {
            let payload = payload.await.map_err(|e| {
                AppError::BadRequest(format!("could not read the request body: {e}"))
            })?;
            super::api::read_body(&req, payload, DEFINITION_BODY_LIMIT)
                .await
                .map(Body)
        })
    }
}
