//! TAXII 2.1 over HTTP: the error envelope, media type negotiation (B33) and who reads a collection. Every
//! TAXII response, errors included, is `application/taxii+json;version=2.1` (B24).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};

use super::sharing::{self, Denied};
use crate::auth::{Access, Principal};
use crate::state::AppState;
use crate::store::CollectionV1;
use crate::taxii::TAXII_MEDIA;

/// A TAXII error: `{"title","description","http_status"}` in the TAXII media type.
#[derive(Debug)]
pub struct TaxiiError {
    pub status: StatusCode,
    pub title: &'static str,
    pub description: String,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
}

impl TaxiiError {
    pub fn new(status: StatusCode, title: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            title,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", description)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "TAXII internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "internal error",
        )
    }
}

impl std::fmt::Display for TaxiiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.title, self.description)
    }
}

impl ResponseError for TaxiiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type(TAXII_MEDIA);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                "Basic realm=\"stixhub TAXII\", Bearer realm=\"stixhub\"",
            ));
        }
        res.body(
            json!({"title": self.title, "description": self.description,
                   "http_status": self.status.as_u16().to_string()})
            .to_string(),
        )
    }
}

impl From<crate::store::StoreError> for TaxiiError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(e)
    }
}

impl From<actix_web::error::BlockingError> for TaxiiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(e)
    }
}

impl From<Denied> for TaxiiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Unauthenticated(m) => {
                Self::new(StatusCode::UNAUTHORIZED, "Authentication required", m)
            }
            Denied::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "Forbidden", m),
            Denied::Throttled(secs) => Self {
                retry_after: Some(secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!("too many failed attempts: retry in {secs} s"),
                )
            },
        }
    }
}

/// Whether an `Accept` header admits the TAXII 2.1 media type. Missing, `*/*`, `application/*`,
/// `application/taxii+json` and `application/taxii+json;version=2.1` do; anything else (`version=2.0`,
/// `application/json`, `application/stix+json`) does not → 406.
#[must_use]
pub fn acceptable(accept: Option<&str>) -> bool {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut version = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "version" => version = Some(v.trim().trim_matches('"').to_owned()),
                    "q" if v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0) => return false,
                    _ => {}
                }
            }
        }
        match media.as_str() {
            "*/*" | "application/*" => true,
            "application/taxii+json" => version.as_deref().is_none_or(|v| v == "2.1"),
            _ => false,
        }
    })
}

pub fn negotiate(req: &HttpRequest) -> Result<(), TaxiiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if acceptable(accept) {
        Ok(())
    } else {
        Err(TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server answers {TAXII_MEDIA}; the Accept header does not allow it"),
        ))
    }
}

/// A TAXII JSON answer.
pub fn reply(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(TAXII_MEDIA)
        .body(body.to_string())
}

/// Loads a collection and decides who reads it (404 for an unknown id).
pub async fn collection_reader(
    state: &AppState,
    req: &HttpRequest,
    id: &str,
) -> Result<(CollectionV1, Access), TaxiiError> {
    let missing = || TaxiiError::not_found(format!("no collection with id '{id}'"));
    let key = super::collections::parse_id(id).ok_or_else(missing)?;
    let c = state.store.get_collection(key)?.ok_or_else(missing)?;
    let access =
        sharing::reader_access(state, req, c.public, c.max_tlp, &c.authorized_groups).await?;
    Ok((c, access))
}

/// Who may see the server's discovery, API root and collection list: anyone when a public collection exists
/// (B24), else an authenticated user. Returns the caller (None: anonymous), whose readable private collections
/// are listed too.
pub async fn root_reader(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<Principal>, TaxiiError> {
    let has_credentials = req.headers().contains_key(header::AUTHORIZATION);
    let any_public = state.store.list_collections()?.iter().any(|c| c.public);
    if !has_credentials && any_public {
        return Ok(None);
    }
    match sharing::caller(state, req).await? {
        Some(p) => Ok(Some(p)),
        None => Err(Denied::Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <token>' (or HTTP Basic)".into(),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn b33_accept_headers() {
        for ok in [
            None,
            Some(""),
            Some("*/*"),
            Some("application/taxii+json;version=2.1"),
            Some("application/taxii+json; version=2.1"),
            Some("application/taxii+json"),
            Some("application/json, application/taxii+json;version=2.1"),
            Some("text/html,application/xhtml+xml,*/*;q=0.8"),
        ] {
            assert!(acceptable(ok), "{ok:?}");
        }
        for refused in [
            Some("application/taxii+json;version=2.0"),
            Some("application/json"),
            Some("application/stix+json;version=2.1"),
            Some("application/taxii+json;version=2.1;q=0"),
        ] {
            assert!(!acceptable(refused), "{refused:?}");
        }
    }
}
