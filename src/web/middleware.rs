//! Request ids (every 5xx body is opaque and carries one; the cause is only in the log) and security headers.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpResponse};
use serde_json::json;

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let res = next.call(req).await?;
    if res.status().is_server_error() {
        tracing::error!(request_id = %id, %method, %path, status = res.status().as_u16(), "request failed");
        let status = res.status();
        let (req, _) = res.into_parts();
        let body = if path.starts_with("/admin") {
            // Pages get a page; the cause stays in the log.
            HttpResponse::build(status)
                .insert_header(("x-request-id", id.as_str()))
                .content_type("text/html; charset=utf-8")
                .body(format!(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong — stixhub</title>\
                     <link rel=\"stylesheet\" href=\"/static/style.css\"><link rel=\"stylesheet\" href=\"/static/admin.css\"></head>\
                     <body><main class=\"narrow\"><h1>Something went wrong <small>{}</small></h1>\
                     <p class=\"error\" role=\"alert\">The hub could not complete this request. Request id: <code>{id}</code> (the cause is in the hub's log).</p>\
                     <p><a href=\"/admin\">Back to the dashboard</a></p></main></body></html>",
                    status.as_u16()
                ))
        } else {
            HttpResponse::build(status)
                .insert_header(("x-request-id", id.as_str()))
                .json(json!({"error": "internal error", "code": "internal", "request_id": id}))
        };
        return Ok(ServiceResponse::new(req, body).map_into_right_body());
    }
    let mut res = res;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res.map_into_left_body())
}

#[must_use]
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ))
}
