//! The hub's front page: what it is and where its endpoints are.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::error::AppError;

/// Anyone may open it, so it tells nothing about the hub's content or activity.
#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    version: &'static str,
}

pub async fn index() -> Result<HttpResponse, AppError> {
    render(&IndexPage {
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Renders a page; a template error is a logged 500, never a panic.
pub fn render(page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

const STYLE_CSS: &str = include_str!("../../static/style.css");
const PUBLIC_JS: &str = include_str!("../../static/public.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const ADMIN_CSS: &str = include_str!("../../static/admin.css");
const ADMIN_JS: &str = include_str!("../../static/admin.js");
const FILTER_EDITOR_CSS: &str = include_str!("../../static/filter-editor.css");
const FILTER_EDITOR_JS: &str = include_str!("../../static/filter-editor.js");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

pub async fn static_file(name: web::Path<String>) -> Result<HttpResponse, AppError> {
    match name.as_str() {
        "style.css" => Ok(HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(STYLE_CSS)),
        "public.js" => Ok(HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(PUBLIC_JS)),
        "admin.css" => Ok(asset("text/css; charset=utf-8", ADMIN_CSS)),
        "admin.js" => Ok(asset("text/javascript; charset=utf-8", ADMIN_JS)),
        "filter-editor.css" => Ok(asset("text/css; charset=utf-8", FILTER_EDITOR_CSS)),
        "filter-editor.js" => Ok(asset("text/javascript; charset=utf-8", FILTER_EDITOR_JS)),
        "favicon.svg" => Ok(HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("Cache-Control", "public, max-age=86400"))
            .body(FAVICON)),
        other => Err(AppError::NotFound(format!("no static file '{other}'"))),
    }
}
