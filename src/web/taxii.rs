//! `/taxii2/...`: the TAXII 2.1 server (API.md). Routes only: paging lives in `crate::taxii`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::collections::common;
use super::sharing;
use super::streams::base_url;
use super::taxii_http::{collection_reader, negotiate, reply, root_reader, TaxiiError};
use crate::state::AppState;
use crate::store::CollectionV1;
use crate::taxii::{self, Allowed, Page, Query, VersionSel, STIX_MEDIA, TAXII_MEDIA};

const ALL_MATCH: Allowed = Allowed {
    id: true,
    type_: true,
    version: true,
};

fn pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, TaxiiError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| TaxiiError::bad_request(format!("invalid query string: {e}")))
}

fn query(req: &HttpRequest, allowed: Allowed) -> Result<Query, TaxiiError> {
    taxii::query::parse(&pairs(req)?, allowed).map_err(TaxiiError::bad_request)
}

/// `GET /taxii2/`: discovery.
pub async fn discovery(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    root_reader(&state, &req).await?;
    let root = format!("{}/taxii2/root/", base_url(&req));
    Ok(reply(
        StatusCode::OK,
        &json!({"title": "stixhub TAXII 2.1", "description": "TAXII 2.1 collections of this stixhub hub",
                "default": root, "api_roots": [root]}),
    ))
}

/// `GET /taxii2/root/`: the one API root.
pub async fn api_root(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    root_reader(&state, &req).await?;
    Ok(reply(
        StatusCode::OK,
        &json!({"title": "stixhub", "description": "Collections of this hub",
                "versions": [TAXII_MEDIA], "max_content_length": state.config.max_body_bytes}),
    ))
}

fn collection_resource(c: &CollectionV1, can_write: bool) -> Value {
    json!({"id": Uuid::from_bytes(c.id).to_string(), "title": c.name, "description": c.description,
           "can_read": true, "can_write": can_write && c.can_write, "media_types": [STIX_MEDIA]})
}

/// `GET /taxii2/root/collections/`: public collections for anyone, plus the private ones the caller may read.
pub async fn collections(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let caller = root_reader(&state, &req).await?;
    let list: Vec<Value> = state
        .store
        .list_collections()?
        .iter()
        .filter(|c| {
            crate::auth::shared_access(c.public, c.max_tlp, &c.authorized_groups, caller.as_ref())
                .is_ok()
        })
        .map(|c| collection_resource(c, writer_of(c, caller.as_ref())))
        .collect();
    let body = if list.is_empty() {
        json!({})
    } else {
        json!({ "collections": list })
    };
    Ok(reply(StatusCode::OK, &body))
}

/// Whether a caller may `POST` to a collection: it may read it (private rules, whatever `public` says) and
/// holds the `import` capability.
pub fn writer_of(c: &CollectionV1, caller: Option<&crate::auth::Principal>) -> bool {
    caller.is_some_and(|p| {
        p.can(crate::auth::Capability::Import)
            && crate::auth::shared_access(false, c.max_tlp, &c.authorized_groups, Some(p)).is_ok()
    })
}

/// Whether the caller may `POST` to this collection.
async fn may_write(state: &AppState, req: &HttpRequest, c: &CollectionV1) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        && sharing::caller(state, req)
            .await
            .is_ok_and(|p| writer_of(c, p.as_ref()))
}

pub async fn collection(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let (c, _) = collection_reader(&state, &req, &id).await?;
    // Only a writable collection needs to know whether the caller may write (spares a password check).
    let writer = c.can_write && may_write(&state, &req, &c).await;
    Ok(reply(StatusCode::OK, &collection_resource(&c, writer)))
}

/// Runs the page walk off the async threads with the collection's filter and the reader's access.
async fn walk(
    state: &web::Data<AppState>,
    c: &CollectionV1,
    access: crate::auth::Access,
    q: Query,
    object: Option<String>,
) -> Result<Page, TaxiiError> {
    let filter = common(c).filter();
    let st = state.clone();
    Ok(web::block(move || {
        taxii::page(&st.taxii, &st.store, &q, object.as_deref(), &|o| {
            sharing::visible(&st, filter.as_ref(), &access, o)
        })
    })
    .await??)
}

/// A page answer: `more`, `next` when there is more, the date headers on a non-empty page (B31).
fn page_reply(page: &Page, key: &str, items: Vec<Value>) -> HttpResponse {
    let mut body = Map::new();
    body.insert("more".into(), Value::Bool(page.more));
    if page.more {
        if let Some(last) = page.items.last() {
            body.insert("next".into(), Value::String(last.added.to_string()));
        }
    }
    if !items.is_empty() {
        body.insert(key.into(), Value::Array(items));
    }
    let mut res = HttpResponse::Ok();
    res.content_type(TAXII_MEDIA);
    if let (Some(first), Some(last)) = (page.items.first(), page.items.last()) {
        res.insert_header(("X-TAXII-Date-Added-First", taxii::date_added(first.added)));
        res.insert_header(("X-TAXII-Date-Added-Last", taxii::date_added(last.added)));
    }
    res.body(Value::Object(body).to_string())
}

/// `GET .../objects/`: an envelope of the matching versions.
pub async fn objects(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let q = query(&req, ALL_MATCH)?;
    let (c, clearance) = collection_reader(&state, &req, &id).await?;
    let mut page = walk(&state, &c, clearance, q, None).await?;
    let objects = page
        .items
        .iter_mut()
        .map(|i| Value::Object(std::mem::take(&mut i.object)))
        .collect();
    Ok(page_reply(&page, "objects", objects))
}

/// `GET .../objects/{object_id}/`: the versions of one object (default: the latest).
pub async fn object(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let (id, object_id) = path.into_inner();
    let allowed = Allowed {
        id: false,
        type_: false,
        version: true,
    };
    let q = query(&req, allowed)?;
    let first_page = q.next.is_none() && q.added_after_ms.is_none();
    let (c, clearance) = collection_reader(&state, &req, &id).await?;
    let mut page = walk(&state, &c, clearance, q, Some(object_id.clone())).await?;
    if page.items.is_empty() && first_page {
        return Err(TaxiiError::not_found(format!(
            "no object '{object_id}' in this collection"
        )));
    }
    let objects = page
        .items
        .iter_mut()
        .map(|i| Value::Object(std::mem::take(&mut i.object)))
        .collect();
    Ok(page_reply(&page, "objects", objects))
}

/// `GET .../objects/{object_id}/versions/`.
pub async fn versions(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let (id, object_id) = path.into_inner();
    let none = Allowed {
        id: false,
        type_: false,
        version: false,
    };
    let mut q = query(&req, none)?;
    q.versions = VersionSel::all();
    let first_page = q.next.is_none() && q.added_after_ms.is_none();
    let (c, clearance) = collection_reader(&state, &req, &id).await?;
    let page = walk(&state, &c, clearance, q, Some(object_id.clone())).await?;
    if page.items.is_empty() && first_page {
        return Err(TaxiiError::not_found(format!(
            "no object '{object_id}' in this collection"
        )));
    }
    let versions = page
        .items
        .iter()
        .map(|i| Value::String(taxii::version_of(&i.object, i.added)))
        .collect();
    Ok(page_reply(&page, "versions", versions))
}

/// `GET .../manifest/`.
pub async fn manifest(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, TaxiiError> {
    negotiate(&req)?;
    let q = query(&req, ALL_MATCH)?;
    let (c, clearance) = collection_reader(&state, &req, &id).await?;
    let page = walk(&state, &c, clearance, q, None).await?;
    let entries = page
        .items
        .iter()
        .map(|i| {
            json!({"id": i.object.get("id").cloned().unwrap_or(Value::Null),
                   "date_added": taxii::date_added(i.added),
                   "version": taxii::version_of(&i.object, i.added),
                   "media_type": format!("application/stix+json;version={}", taxii::spec_version_of(&i.object))})
        })
        .collect();
    Ok(page_reply(&page, "objects", entries))
}

pub use super::taxii_post::{add_objects, status};

async fn not_found(req: HttpRequest) -> Result<HttpResponse, TaxiiError> {
    Err(TaxiiError::not_found(format!(
        "no such TAXII endpoint: {}",
        req.path()
    )))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, TaxiiError> {
    Err(TaxiiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        format!("{} is not supported on {}", req.method(), req.path()),
    ))
}

/// A TAXII resource at `path` with and without the trailing slash TAXII clients send; other methods → 405
/// in the TAXII error shape.
fn resource(path: &str) -> actix_web::Resource {
    let paths = if path.is_empty() {
        vec!["/".to_owned(), String::new()]
    } else {
        vec![format!("{path}/"), path.to_owned()]
    };
    web::resource(paths).default_service(web::to(method_not_allowed))
}

/// Every `/taxii2` route.
pub fn scope() -> actix_web::Scope {
    let col = "/root/collections/{id}";
    web::scope("/taxii2")
        .service(resource("").get(discovery))
        .service(resource("/root").get(api_root))
        .service(resource("/root/collections").get(collections))
        .service(resource(col).get(collection))
        .service(
            resource(&format!("{col}/objects"))
                .get(objects)
                .post(add_objects),
        )
        .service(resource(&format!("{col}/objects/{{object_id}}")).get(object))
        .service(resource(&format!("{col}/objects/{{object_id}}/versions")).get(versions))
        .service(resource(&format!("{col}/manifest")).get(manifest))
        .service(resource("/root/status/{id}").get(status))
        .default_service(web::to(not_found))
}
