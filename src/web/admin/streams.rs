//! Data sharing → Live streams: list with status badges, create/edit with the filter editor, start/stop,
//! delete, and a live tail of what a stream emits.

use actix_web::{web, HttpRequest};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{render, see_other, Chrome, NoFields, Page, PageError, PageResult, Post};
use crate::auth::manage::id_text;
use crate::error::AppError;
use crate::filter::{FilterGroup, SUPPORTED_KEYS};
use crate::state::AppState;
use crate::store::StreamV1;
use crate::web::extract::Share;
use crate::web::streams::{self as api, base_url};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/streams", web::get().to(list))
        .route("/streams", web::post().to(create))
        .route("/streams/new", web::get().to(new_form))
        .route("/streams/{id}", web::get().to(edit_form))
        .route("/streams/{id}", web::post().to(update))
        .route("/streams/{id}/start", web::post().to(start))
        .route("/streams/{id}/stop", web::post().to(stop))
        .route("/streams/{id}/delete", web::post().to(delete))
        .route("/streams/{id}/tail", web::get().to(tail));
}

pub struct StreamRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub public: bool,
    pub started: bool,
    pub max_marking: &'static str,
    pub filters: String,
    pub url: String,
}

fn describe(filters_json: &str) -> String {
    let value: Value = serde_json::from_str(filters_json).unwrap_or(Value::Null);
    FilterGroup::parse_stored(&value)
        .map_or_else(|e| format!("invalid filter: {e}"), |f| f.describe())
}

fn row(s: &StreamV1, base: &str) -> StreamRow {
    let id = id_text(s.id);
    StreamRow {
        url: format!("{base}/stream/{id}"),
        id,
        name: s.name.clone(),
        description: s.description.clone(),
        public: s.public,
        started: s.started,
        max_marking: if s.max_tlp >= 1 {
            "TLP:GREEN"
        } else {
            "TLP:CLEAR"
        },
        filters: describe(&s.filters_json),
    }
}

#[derive(Template)]
#[template(path = "admin/streams.html")]
struct ListPage {
    chrome: Chrome,
    streams: Vec<StreamRow>,
}

async fn list(state: web::Data<AppState>, req: HttpRequest, page: Page<Share>) -> PageResult {
    let base = base_url(&req);
    let streams = state
        .store
        .list_streams()?
        .iter()
        .map(|s| row(s, &base))
        .collect();
    render(&ListPage {
        chrome: page.chrome("streams"),
        streams,
    })
}

pub struct GroupChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/stream_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: Option<String>,
    name: String,
    description: String,
    filters: String,
    public: bool,
    max_marking: String,
    groups: Vec<GroupChoice>,
    keys_json: String,
    error: Option<String>,
}

fn edit_page(
    state: &AppState,
    page: &Page<Share>,
    id: Option<String>,
    form: &StreamForm,
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
        chrome: page.chrome("streams"),
        id,
        name: form.name.clone(),
        description: form.description.clone(),
        filters: form.filters.clone(),
        public: form.public.is_some(),
        max_marking: form.max_marking.clone(),
        groups,
        keys_json: serde_json::to_string(SUPPORTED_KEYS).unwrap_or_else(|_| "[]".into()),
        error,
    })
}

/// The stream form as posted (checkboxes: present when ticked).
#[derive(Deserialize, Default)]
pub struct StreamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    filters: String,
    public: Option<String>,
    #[serde(default)]
    max_marking: String,
    #[serde(default)]
    authorized_groups: Vec<String>,
}

impl StreamForm {
    fn of(s: &StreamV1) -> StreamForm {
        let empty = FilterGroup::empty().to_json().to_string();
        StreamForm {
            name: s.name.clone(),
            description: s.description.clone(),
            filters: if s.filters_json == empty {
                String::new()
            } else {
                s.filters_json.clone()
            },
            public: s.public.then(|| "on".into()),
            max_marking: if s.max_tlp >= 1 {
                "TLP:GREEN".into()
            } else {
                "TLP:CLEAR".into()
            },
            authorized_groups: s.authorized_groups.iter().map(|g| id_text(*g)).collect(),
        }
    }

    /// The same fields the API takes, so both paths share one validation.
    fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name.trim().to_string()));
        m.insert(
            "description".into(),
            Value::String(self.description.clone()),
        );
        let filters = self.filters.trim();
        let filters = if filters.is_empty() {
            FilterGroup::empty().to_json()
        } else {
            Value::String(filters.to_string())
        };
        m.insert("filters".into(), filters);
        m.insert("public".into(), Value::Bool(self.public.is_some()));
        let marking = if self.max_marking.is_empty() {
            "TLP:CLEAR"
        } else {
            &self.max_marking
        };
        m.insert("max_marking".into(), Value::String(marking.to_string()));
        // A public stream has no group restriction (the form hides it); keep what was chosen otherwise.
        let groups = if self.public.is_some() {
            Vec::new()
        } else {
            self.authorized_groups.clone()
        };
        m.insert(
            "authorized_groups".into(),
            Value::Array(groups.into_iter().map(Value::String).collect()),
        );
        m
    }
}

async fn new_form(state: web::Data<AppState>, page: Page<Share>) -> PageResult {
    let form = StreamForm {
        max_marking: "TLP:CLEAR".into(),
        ..StreamForm::default()
    };
    render(&edit_page(&state, &page, None, &form, None)?)
}

async fn edit_form(
    state: web::Data<AppState>,
    page: Page<Share>,
    id: web::Path<String>,
) -> PageResult {
    let s = api::load(&state, &id)?;
    render(&edit_page(
        &state,
        &page,
        Some(id.into_inner()),
        &StreamForm::of(&s),
        None,
    )?)
}

/// A validation failure re-renders the form with what was typed and the reason.
fn form_error(
    state: &AppState,
    page: &Page<Share>,
    id: Option<String>,
    form: &StreamForm,
    e: AppError,
) -> PageResult {
    match e {
        AppError::BadRequest(msg) | AppError::InvalidJson(msg) => {
            let mut res = render(&edit_page(state, page, id, form, Some(msg))?)?;
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        other => Err(other.into()),
    }
}

async fn create(state: web::Data<AppState>, post: Post<Share, StreamForm>) -> PageResult {
    match api::create_from(&state, &post.form.fields()).await {
        Ok(s) => Ok(see_other(&format!(
            "/admin/streams#s-{}",
            Uuid::from_bytes(s.id)
        ))),
        Err(e) => form_error(&state, &post.page, None, &post.form, e),
    }
}

async fn update(
    state: web::Data<AppState>,
    post: Post<Share, StreamForm>,
    id: web::Path<String>,
) -> PageResult {
    match api::update_from(&state, &id, &post.form.fields()).await {
        Ok(_) => Ok(see_other("/admin/streams")),
        Err(e) => form_error(&state, &post.page, Some(id.into_inner()), &post.form, e),
    }
}

async fn start(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    api::set_started_def(&state, &id, true)?;
    Ok(see_other("/admin/streams"))
}

async fn stop(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    api::set_started_def(&state, &id, false)?;
    Ok(see_other("/admin/streams"))
}

async fn delete(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    let sid = api::parse_id(&id)?;
    let store = state.store.clone();
    if !web::block(move || store.delete_stream(sid)).await?? {
        return Err(AppError::NotFound(format!("no stream with id '{id}'")).into());
    }
    Ok(see_other("/admin/streams"))
}

#[derive(Template)]
#[template(path = "admin/stream_tail.html")]
struct TailPage {
    chrome: Chrome,
    stream: StreamRow,
    replay: bool,
}

#[derive(Deserialize)]
struct TailQuery {
    from: Option<String>,
}

/// The tail page opens an EventSource on `/stream/{id}` (the session cookie authorizes it for private ones).
async fn tail(
    state: web::Data<AppState>,
    req: HttpRequest,
    page: Page<Share>,
    id: web::Path<String>,
    q: web::Query<TailQuery>,
) -> PageResult {
    let s = api::load(&state, &id)?;
    render(&TailPage {
        chrome: page.chrome("streams"),
        stream: row(&s, &base_url(&req)),
        replay: q.from.is_some(),
    })
}
