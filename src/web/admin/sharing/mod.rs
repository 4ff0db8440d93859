//! Data sharing → TAXII collections and CSV feeds: lists with badges and copy buttons, create/edit with the
//! filter editor (the same form as streams plus each kind's own fields), delete. Both go through the same
//! validation as the API (`collections::save`, `feeds::save`).

mod form;

use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::Value;

use super::{render, see_other, Chrome, NoFields, Page, PageError, PageResult, Post};
use crate::auth::manage::id_text;
use crate::error::AppError;
use crate::filter::{FilterGroup, SUPPORTED_KEYS};
use crate::state::AppState;
use crate::web::extract::Share;
use crate::web::streams::base_url;
use crate::web::{collections, feeds};
use form::{Form, GroupChoice};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for kind in ["collections", "feeds"] {
        cfg.route(&format!("/{kind}"), web::get().to(list))
            .route(&format!("/{kind}"), web::post().to(create))
            .route(&format!("/{kind}/new"), web::get().to(new_form))
            .route(&format!("/{kind}/{{id}}"), web::get().to(edit_form))
            .route(&format!("/{kind}/{{id}}"), web::post().to(update))
            .route(&format!("/{kind}/{{id}}/delete"), web::post().to(delete));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Collection,
    Feed,
}

impl Kind {
    fn of(req: &HttpRequest) -> Kind {
        if req.path().starts_with("/admin/feeds") {
            Kind::Feed
        } else {
            Kind::Collection
        }
    }
    fn slug(self) -> &'static str {
        match self {
            Kind::Collection => "collections",
            Kind::Feed => "feeds",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Kind::Collection => "TAXII collections",
            Kind::Feed => "CSV feeds",
        }
    }
    fn one(self) -> &'static str {
        match self {
            Kind::Collection => "collection",
            Kind::Feed => "feed",
        }
    }
}

pub struct Row {
    pub id: String,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub max_marking: String,
    pub filters: String,
    pub url: String,
    pub extra: String,
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn describe(filters: &Value) -> String {
    FilterGroup::parse_stored(filters)
        .map_or_else(|e| format!("invalid filter: {e}"), |f| f.describe())
}

/// Every definition of a kind as its API JSON (one shape for the list and the forms).
fn definitions(state: &AppState, kind: Kind, base: &str) -> Result<Vec<Value>, AppError> {
    Ok(match kind {
        Kind::Collection => state
            .store
            .list_collections()?
            .iter()
            .map(|c| collections::collection_json(c, base))
            .collect(),
        Kind::Feed => state
            .store
            .list_feeds()?
            .iter()
            .map(|f| feeds::feed_json(f, base))
            .collect(),
    })
}

fn row(kind: Kind, v: &Value) -> Row {
    let extra = match kind {
        Kind::Collection if v["can_write"] == true => "writable".to_string(),
        Kind::Collection => String::new(),
        Kind::Feed => {
            let cols: Vec<String> = v["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            format!("columns: {}", cols.join(", "))
        }
    };
    Row {
        id: text(v, "id"),
        name: text(v, "name"),
        description: text(v, "description"),
        public: v["public"] == true,
        max_marking: text(v, "max_marking"),
        filters: describe(&v["filters"]),
        url: text(v, "url"),
        extra,
    }
}

#[derive(Template)]
#[template(path = "admin/sharing_list.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    slug: &'static str,
    one: &'static str,
    rows: Vec<Row>,
}

async fn list(state: web::Data<AppState>, req: HttpRequest, page: Page<Share>) -> PageResult {
    let kind = Kind::of(&req);
    let rows = definitions(&state, kind, &base_url(&req))?
        .iter()
        .map(|v| row(kind, v))
        .collect();
    render(&ListPage {
        chrome: page.chrome(kind.slug()),
        title: kind.title(),
        slug: kind.slug(),
        one: kind.one(),
        rows,
    })
}

#[derive(Template)]
#[template(path = "admin/sharing_edit.html")]
struct EditPage {
    chrome: Chrome,
    slug: &'static str,
    one: &'static str,
    feed: bool,
    id: Option<String>,
    form: Form,
    public: bool,
    groups: Vec<GroupChoice>,
    keys_json: String,
    error: Option<String>,
}

fn edit_page(
    state: &AppState,
    page: &Page<Share>,
    kind: Kind,
    id: Option<String>,
    form: Form,
    error: Option<String>,
) -> Result<EditPage, PageError> {
    let groups = state
        .store
        .list_groups()?
        .iter()
        .map(|g| GroupChoice {
            id: id_text(g.id),
            name: g.name.clone(),
            checked: form.authorized_groups.contains(&id_text(g.id)),
        })
        .collect();
    Ok(EditPage {
        chrome: page.chrome(kind.slug()),
        slug: kind.slug(),
        one: kind.one(),
        feed: kind == Kind::Feed,
        id,
        public: form.public.is_some(),
        form,
        groups,
        keys_json: serde_json::to_string(SUPPORTED_KEYS).unwrap_or_else(|_| "[]".into()),
        error,
    })
}

async fn new_form(state: web::Data<AppState>, req: HttpRequest, page: Page<Share>) -> PageResult {
    render(&edit_page(
        &state,
        &page,
        Kind::of(&req),
        None,
        Form::defaults(),
        None,
    )?)
}

async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    page: Page<Share>,
    id: web::Path<String>,
) -> PageResult {
    let kind = Kind::of(&req);
    let base = base_url(&req);
    let v = match kind {
        Kind::Collection => collections::collection_json(&collections::load(&state, &id)?, &base),
        Kind::Feed => feeds::feed_json(&feeds::load(&state, &id)?, &base),
    };
    render(&edit_page(
        &state,
        &page,
        kind,
        Some(id.into_inner()),
        Form::of(&v),
        None,
    )?)
}

fn save(state: &AppState, kind: Kind, id: Option<&str>, form: &Form) -> Result<(), AppError> {
    let fields = form.fields(kind);
    match kind {
        Kind::Collection => collections::save(state, id, &fields).map(|_| ()),
        Kind::Feed => feeds::save(state, id, &fields).map(|_| ()),
    }
}

fn saved_or_form(
    state: &AppState,
    kind: Kind,
    id: Option<String>,
    post: Post<Share, Form>,
) -> PageResult {
    match save(state, kind, id.as_deref(), &post.form) {
        Ok(()) => Ok(see_other(&format!("/admin/{}", kind.slug()))),
        Err(AppError::BadRequest(msg)) => {
            let mut res = render(&edit_page(
                state,
                &post.page,
                kind,
                id,
                post.form.clone(),
                Some(msg),
            )?)?;
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    post: Post<Share, Form>,
) -> PageResult {
    saved_or_form(&state, Kind::of(&req), None, post)
}

async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    post: Post<Share, Form>,
    id: web::Path<String>,
) -> PageResult {
    saved_or_form(&state, Kind::of(&req), Some(id.into_inner()), post)
}

async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    let kind = Kind::of(&req);
    match kind {
        Kind::Collection => {
            let c = collections::load(&state, &id)?;
            state.store.delete_collection(c.id)?;
        }
        Kind::Feed => {
            let f = feeds::load(&state, &id)?;
            state.store.delete_feed(f.id)?;
        }
    }
    Ok(see_other(&format!("/admin/{}", kind.slug())))
}
