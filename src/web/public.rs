//! `/public`: every public stream, for anyone, with its URL and a copy button (no account needed).

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use uuid::Uuid;

use super::index::render;
use super::streams::base_url;
use crate::error::AppError;
use crate::filter::FilterGroup;
use crate::state::AppState;

pub struct PublicStream {
    pub name: String,
    pub description: String,
    pub started: bool,
    pub filters: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    base: String,
    streams: Vec<PublicStream>,
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let streams = state
        .store
        .list_streams()?
        .into_iter()
        .filter(|s| s.public)
        .map(|s| {
            let value = serde_json::from_str(&s.filters_json).unwrap_or(serde_json::Value::Null);
            let filters = FilterGroup::parse(&value)
                .map_or_else(|e| format!("invalid filter: {e}"), |f| f.describe());
            PublicStream {
                url: format!("{base}/stream/{}", Uuid::from_bytes(s.id)),
                name: s.name,
                description: s.description,
                started: s.started,
                filters,
            }
        })
        .collect();
    render(&PublicPage { base, streams })
}
