//! The web-facing error: stable codes, clear 4xx reasons, opaque 5xx with a request id.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::knowledge::KnowledgeError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    NotABundle(String),
    #[error("request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Conflict(String),
    /// Too many failed attempts; retry after the given seconds.
    #[error("too many failed attempts: retry in {0} s")]
    TooManyAttempts(u64),
    /// The cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// Stable machine-readable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::InvalidJson(_) => "invalid_json",
            AppError::NotABundle(_) => "not_a_bundle",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Gone(_) => "gone",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyAttempts(_) => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl From<KnowledgeError> for AppError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::Bundle(b @ crate::stix::BundleError::InvalidJson(_)) => {
                AppError::InvalidJson(b.to_string())
            }
            KnowledgeError::Bundle(b @ crate::stix::BundleError::NotABundle(_)) => {
                AppError::NotABundle(b.to_string())
            }
            KnowledgeError::Store(s) => AppError::Internal(s.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::InvalidJson(_) | AppError::NotABundle(_) => {
                StatusCode::BAD_REQUEST
            }
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            // The request-id middleware turns this into the opaque body and logs it with the id.
            tracing::error!(%cause, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthorized(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"stixhub\""));
        }
        if let AppError::TooManyAttempts(secs) = self {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(json!({ "error": self.to_string(), "code": self.code() }))
    }
}
