//! `/api/collections`: TAXII collection definitions (admin), managed like live streams, and
//! `/api/public/collections` (anyone).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::extract::{Capable, Share};
use super::sharing::{now_ms, parse_body, Common};
use super::streams::base_url;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::CollectionV1;

pub fn common(c: &CollectionV1) -> Common {
    Common {
        name: c.name.clone(),
        description: c.description.clone(),
        filters_json: c.filters_json.clone(),
        public: c.public,
        max_tlp: c.max_tlp,
        authorized_groups: c.authorized_groups.clone(),
    }
}

/// The TAXII URL of a collection.
pub fn taxii_url(base: &str, id: [u8; 16]) -> String {
    format!("{base}/taxii2/root/collections/{}/", Uuid::from_bytes(id))
}

pub fn collection_json(c: &CollectionV1, base: &str) -> Value {
    let mut m = common(c).to_json(c.id, c.created_at_ms);
    m.insert("can_write".into(), Value::Bool(c.can_write));
    m.insert("url".into(), Value::String(taxii_url(base, c.id)));
    Value::Object(m)
}

fn apply(c: &mut CollectionV1, body: &Map<String, Value>) -> Result<(), AppError> {
    let mut shared = common(c);
    for (key, value) in body {
        if shared.apply(key, value)? {
            continue;
        }
        match key.as_str() {
            "can_write" => {
                c.can_write = value.as_bool().ok_or_else(|| {
                    AppError::BadRequest("can_write must be true or false".into())
                })?;
            }
            "id" | "created_at" | "url" => {
                return Err(AppError::BadRequest(format!(
                "field '{key}' is read-only: it is set by the hub and cannot be given or changed"
            )))
            }
            other => return Err(AppError::BadRequest(format!("unknown field '{other}'"))),
        }
    }
    c.name = shared.name;
    c.description = shared.description;
    c.filters_json = shared.filters_json;
    c.public = shared.public;
    c.max_tlp = shared.max_tlp;
    c.authorized_groups = shared.authorized_groups;
    Ok(())
}

pub fn parse_id(id: &str) -> Option<[u8; 16]> {
    Uuid::parse_str(id).ok().map(|u| *u.as_bytes())
}

pub fn load(state: &AppState, id: &str) -> Result<CollectionV1, AppError> {
    let missing = || AppError::NotFound(format!("no collection with id '{id}'"));
    state
        .store
        .get_collection(parse_id(id).ok_or_else(missing)?)?
        .ok_or_else(missing)
}

pub async fn list(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let all: Vec<Value> = state
        .store
        .list_collections()?
        .iter()
        .map(|c| collection_json(c, &base))
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Creates (`id` None) or updates a collection from validated fields; shared by the API and the admin pages.
pub fn save(
    state: &AppState,
    id: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<CollectionV1, AppError> {
    let mut c = match id {
        Some(id) => load(state, id)?,
        None => {
            if !fields.contains_key("name") {
                return Err(AppError::BadRequest("name is required".into()));
            }
            CollectionV1 {
                id: *Uuid::new_v4().as_bytes(),
                name: String::new(),
                description: String::new(),
                filters_json: Common::new().filters_json,
                public: false,
                max_tlp: 0,
                authorized_groups: Vec::new(),
                can_write: false,
                created_at_ms: now_ms(),
            }
        }
    };
    apply(&mut c, fields)?;
    super::sharing::check_groups(state, &c.authorized_groups)?;
    state.store.put_collection(&c)?;
    Ok(c)
}

pub async fn create(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let c = save(&state, None, &parse_body(&body)?)?;
    Ok(HttpResponse::Created().json(collection_json(&c, &base_url(&req))))
}

pub async fn get(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(collection_json(&load(&state, &id)?, &base_url(&req))))
}

pub async fn patch(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let c = save(&state, Some(&id), &parse_body(&body)?)?;
    Ok(HttpResponse::Ok().json(collection_json(&c, &base_url(&req))))
}

pub async fn delete(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c = load(&state, &id)?;
    state.store.delete_collection(c.id)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/public/collections`: public collections only, no auth.
pub async fn public_list(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let list: Vec<Value> = state
        .store
        .list_collections()?
        .iter()
        .filter(|c| c.public)
        .map(|c| {
            let filters: Value = serde_json::from_str(&c.filters_json).unwrap_or(Value::Null);
            json!({"id": Uuid::from_bytes(c.id).to_string(), "name": c.name, "description": c.description,
                   "filters": filters, "url": taxii_url(&base, c.id),
                   "discovery": format!("{base}/taxii2/")})
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
