//! Ingestion → Remote streams: the list with state badges, a create wizard (URL + optional token → Validate
//! lists the remote's streams → pick one → options), a detail page with state, cursor, events applied, lag,
//! last error and last connection, and start / stop / edit / delete. The token is never shown again.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{render, see_other, Chrome, NoFields, Page, PageError, PageResult, Post};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::Share;
use crate::web::synchronizers as api;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/synchronizers", web::get().to(list))
        .route("/synchronizers", web::post().to(create))
        .route("/synchronizers/new", web::get().to(new_form))
        .route("/synchronizers/discover", web::post().to(discover))
        .route("/synchronizers/{id}", web::get().to(detail))
        .route("/synchronizers/{id}", web::post().to(update))
        .route("/synchronizers/{id}/start", web::post().to(start))
        .route("/synchronizers/{id}/stop", web::post().to(stop))
        .route("/synchronizers/{id}/delete", web::post().to(delete));
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

pub struct SyncView {
    pub id: String,
    pub name: String,
    pub url: String,
    pub stream_id: String,
    pub token_set: bool,
    pub running: bool,
    pub state: String,
    pub cursor: String,
    pub events_applied: String,
    pub lag: String,
    pub last_error: String,
    pub last_connected: String,
    pub listen_delete: bool,
    pub no_dependencies: bool,
    pub verify_tls: bool,
    pub start_from: String,
}

/// Lag: how far the cursor (`<ms>-<seq>`) is behind now.
fn lag_of(cursor: &str) -> String {
    let Some(ms) = cursor.split('-').next().and_then(|m| m.parse::<u64>().ok()) else {
        return String::new();
    };
    if ms == 0 {
        return String::new();
    }
    let secs = crate::store::now_ms().saturating_sub(ms) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h", secs / 3600),
    }
}

fn view(v: &Value) -> SyncView {
    let st = &v["status"];
    let cursor = text(st, "cursor");
    SyncView {
        id: text(v, "id"),
        name: text(v, "name"),
        url: text(v, "url"),
        stream_id: text(v, "stream_id"),
        token_set: v["token_set"] == true,
        running: v["running"] == true,
        state: {
            let s = text(st, "state");
            if s.is_empty() {
                "stopped".into()
            } else {
                s
            }
        },
        lag: lag_of(&cursor),
        cursor,
        events_applied: text(st, "events_applied"),
        last_error: text(st, "last_error"),
        last_connected: text(st, "last_connected_at"),
        listen_delete: v["listen_delete"] != false,
        no_dependencies: v["no_dependencies"] == true,
        verify_tls: v["verify_tls"] != false,
        start_from: text(v, "start_from"),
    }
}

#[derive(Template)]
#[template(path = "admin/synchronizers.html")]
struct ListPage {
    chrome: Chrome,
    syncs: Vec<SyncView>,
}

async fn list(state: web::Data<AppState>, page: Page<Share>) -> PageResult {
    let syncs = api::list_values(&state)?.iter().map(view).collect();
    render(&ListPage {
        chrome: page.chrome("synchronizers"),
        syncs,
    })
}

pub struct RemoteStream {
    pub id: String,
    pub name: String,
    pub description: String,
    pub filters: String,
    pub public: bool,
}

#[derive(Template)]
#[template(path = "admin/synchronizer_new.html")]
struct WizardPage {
    chrome: Chrome,
    url: String,
    token: String,
    error: Option<String>,
    /// Step 2: the remote's streams (empty before Validate).
    streams: Vec<RemoteStream>,
    validated: bool,
}

async fn new_form(page: Page<Share>) -> PageResult {
    render(&WizardPage {
        chrome: page.chrome("synchronizers"),
        url: String::new(),
        token: String::new(),
        error: None,
        streams: Vec::new(),
        validated: false,
    })
}

#[derive(Deserialize, Clone, Default)]
pub struct DiscoverForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    token: String,
}

fn no_store(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

/// "Validate": the remote's `streamCollections`, exactly as OpenCTI asks; errors say what went wrong.
async fn discover(post: Post<Share, DiscoverForm>) -> PageResult {
    let f = post.form.clone();
    let token = (!f.token.trim().is_empty()).then(|| f.token.trim().to_string());
    let result = api::discover_values(f.url.trim(), token.as_deref()).await;
    let (streams, error) = match result {
        Ok(list) => (list, None),
        Err(AppError::BadRequest(m) | AppError::Unauthorized(m) | AppError::Forbidden(m)) => {
            (Vec::new(), Some(m))
        }
        Err(e) => return Err(e.into()),
    };
    let streams: Vec<RemoteStream> = streams
        .iter()
        .map(|s| RemoteStream {
            id: text(s, "id"),
            name: text(s, "name"),
            description: text(s, "description"),
            filters: text(s, "filters"),
            public: s["stream_public"] == true || s["public"] == true,
        })
        .collect();
    let error = error.or_else(|| {
        streams.is_empty().then(|| {
            "The remote answered, but offers no stream to this token (none, or none public)."
                .to_string()
        })
    });
    let page = WizardPage {
        chrome: post.page.chrome("synchronizers"),
        url: f.url,
        token: f.token,
        validated: error.is_none(),
        error,
        streams,
    };
    let mut res = render(&page)?;
    if !page.validated {
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(no_store(res))
}

/// The create / edit form as posted.
#[derive(Deserialize, Clone, Default)]
pub struct SyncForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    stream_id: String,
    /// `beginning`, `now` or `date`.
    #[serde(default)]
    start: String,
    #[serde(default)]
    start_date: String,
    listen_delete: Option<String>,
    no_dependencies: Option<String>,
    verify_tls: Option<String>,
    run: Option<String>,
}

impl SyncForm {
    fn fields(&self, creating: bool) -> Map<String, Value> {
        let mut m = Map::new();
        let s = |v: &str| Value::String(v.trim().to_string());
        m.insert("name".into(), s(&self.name));
        if creating {
            m.insert("url".into(), s(&self.url));
            m.insert("stream_id".into(), s(&self.stream_id));
            let start = match self.start.as_str() {
                "now" => s("now"),
                // A datetime-local input gives `YYYY-MM-DDTHH:MM`: read it as UTC.
                "date" if self.start_date.trim().len() == 16 => {
                    s(&format!("{}:00Z", self.start_date.trim()))
                }
                "date" => s(&self.start_date),
                _ => s("beginning"),
            };
            m.insert("start_from".into(), start);
            m.insert("running".into(), Value::Bool(self.run.is_some()));
        }
        // An empty token field keeps the saved one when editing.
        if creating || !self.token.trim().is_empty() {
            let t = self.token.trim();
            m.insert(
                "token".into(),
                if t.is_empty() { Value::Null } else { s(t) },
            );
        }
        m.insert(
            "listen_delete".into(),
            Value::Bool(self.listen_delete.is_some()),
        );
        m.insert(
            "no_dependencies".into(),
            Value::Bool(self.no_dependencies.is_some()),
        );
        m.insert("verify_tls".into(), Value::Bool(self.verify_tls.is_some()));
        m
    }
}

async fn create(state: web::Data<AppState>, post: Post<Share, SyncForm>) -> PageResult {
    match api::create_value(&state, &post.form.fields(true)) {
        Ok(v) => Ok(see_other(&format!(
            "/admin/synchronizers/{}",
            text(&v, "id")
        ))),
        Err(AppError::BadRequest(msg)) => {
            let page = WizardPage {
                chrome: post.page.chrome("synchronizers"),
                url: post.form.url.clone(),
                token: String::new(),
                error: Some(format!("Not created: {msg}")),
                streams: Vec::new(),
                validated: false,
            };
            let mut res = render(&page)?;
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(no_store(res))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "admin/synchronizer.html")]
struct DetailPage {
    chrome: Chrome,
    s: SyncView,
    error: Option<String>,
}

fn detail_page(
    state: &AppState,
    page: &Page<Share>,
    id: &str,
    error: Option<String>,
) -> Result<DetailPage, PageError> {
    Ok(DetailPage {
        chrome: page.chrome("synchronizers"),
        s: view(&api::get_value(state, id)?),
        error,
    })
}

async fn detail(
    state: web::Data<AppState>,
    page: Page<Share>,
    id: web::Path<String>,
) -> PageResult {
    render(&detail_page(&state, &page, &id, None)?)
}

async fn update(
    state: web::Data<AppState>,
    post: Post<Share, SyncForm>,
    id: web::Path<String>,
) -> PageResult {
    match api::update_value(&state, &id, &post.form.fields(false)).await {
        Ok(_) => Ok(see_other(&format!("/admin/synchronizers/{id}"))),
        Err(AppError::BadRequest(msg)) => {
            let mut res = render(&detail_page(&state, &post.page, &id, Some(msg))?)?;
            *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn start(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    api::set_running_value(&state, &id, true)?;
    Ok(see_other(&format!("/admin/synchronizers/{id}")))
}

async fn stop(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    api::set_running_value(&state, &id, false)?;
    Ok(see_other(&format!("/admin/synchronizers/{id}")))
}

async fn delete(
    state: web::Data<AppState>,
    _post: Post<Share, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    api::delete_value(&state, &id).await?;
    Ok(see_other("/admin/synchronizers"))
}
