//! `/public`: every public stream, TAXII collection and CSV feed, for anyone, with its URL and a copy button (no account needed).

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

/// A public TAXII collection or CSV feed.
pub struct PublicShare {
    pub name: String,
    pub description: String,
    pub filters: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "public.html")]
struct PublicPage {
    base: String,
    streams: Vec<PublicStream>,
    collections: Vec<PublicShare>,
    feeds: Vec<PublicShare>,
}

fn describe(filters_json: &str) -> String {
    let value = serde_json::from_str(filters_json).unwrap_or(serde_json::Value::Null);
    FilterGroup::parse_stored(&value)
        .map_or_else(|e| format!("invalid filter: {e}"), |f| f.describe())
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
            let filters = FilterGroup::parse_stored(&value)
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
    let collections = state
        .store
        .list_collections()?
        .into_iter()
        .filter(|c| c.public)
        .map(|c| PublicShare {
            url: super::collections::taxii_url(&base, c.id),
            filters: describe(&c.filters_json),
            name: c.name,
            description: c.description,
        })
        .collect();
    let feeds = state
        .store
        .list_feeds()?
        .into_iter()
        .filter(|f| f.public)
        .map(|f| PublicShare {
            url: super::feeds::feed_url(&base, f.id),
            filters: describe(&f.filters_json),
            name: f.name,
            description: f.description,
        })
        .collect();
    render(&PublicPage {
        base,
        streams,
        collections,
        feeds,
    })
}
