//! `/api/feeds`: CSV feed definitions (admin), `/api/public/feeds` (anyone), and `GET /feeds/{id}`, the CSV.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::extract::{Capable, Share};
use super::sharing::{self, now_ms, parse_body, Common, Denied};
use super::streams::base_url;
use crate::error::AppError;
use crate::feeds;
use crate::state::AppState;
use crate::store::FeedV1;

fn common(f: &FeedV1) -> Common {
    Common {
        name: f.name.clone(),
        description: f.description.clone(),
        filters_json: f.filters_json.clone(),
        public: f.public,
        max_tlp: f.max_tlp,
        authorized_groups: f.authorized_groups.clone(),
    }
}

pub fn feed_url(base: &str, id: [u8; 16]) -> String {
    format!("{base}/feeds/{}", Uuid::from_bytes(id))
}

/// `7d`, `12h`, `30m`, `45s`: the largest unit that divides the window.
fn window_text(secs: u64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs.is_multiple_of(n) {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

/// The longest time window: 100 years (36,525 days).
const MAX_WINDOW_SECS: u64 = 36_525 * 86_400;

fn parse_window(value: &Value) -> Result<Option<u64>, AppError> {
    let bad = || {
        AppError::BadRequest(format!(
            "time_window must be null, a number of seconds or a duration such as '7d', '12h', '30m', got {value}"
        ))
    };
    let secs = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64().ok_or_else(bad)?,
        Value::String(s) => {
            let s = s.trim();
            // The unit is the last character; a multi-byte one is simply not a unit.
            let (num, unit) = match s.char_indices().last() {
                Some((at, _)) => s.split_at(at),
                None => return Err(bad()),
            };
            let mult = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => return Err(bad()),
            };
            if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Too many digits for a u64 is over the limit too, not a different error.
            num.parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(mult))
                .unwrap_or(u64::MAX)
        }
        _ => return Err(bad()),
    };
    if secs == 0 {
        return Err(bad());
    }
    if secs > MAX_WINDOW_SECS {
        return Err(AppError::BadRequest(format!(
            "time_window must be at most 100 years ({MAX_WINDOW_SECS} seconds, '36525d'), got {value}"
        )));
    }
    Ok(Some(secs))
}

pub fn feed_json(f: &FeedV1, base: &str) -> Value {
    let mut m = common(f).to_json(f.id, f.created_at_ms);
    let extra = json!({
        "columns": f.columns, "separator": f.separator.to_string(), "multi_value_separator": f.multi_separator,
        "header": f.header, "time_window": f.window_secs.map(window_text), "max_rows": f.max_rows,
        "url": feed_url(base, f.id),
    });
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

fn is_delimiter_safe(c: char) -> bool {
    !matches!(c, '"' | '\r' | '\n') && !c.is_alphanumeric()
}

fn apply(f: &mut FeedV1, body: &Map<String, Value>) -> Result<(), AppError> {
    let bad = |m: &str| AppError::BadRequest(m.to_owned());
    let mut shared = common(f);
    for (key, value) in body {
        if shared.apply(key, value)? {
            continue;
        }
        match key.as_str() {
            "columns" => {
                let list = value.as_array().filter(|l| !l.is_empty() && l.len() <= 100);
                let cols: Option<Vec<String>> = list.and_then(|l| {
                    l.iter()
                        .map(|c| {
                            c.as_str()
                                .map(str::trim)
                                .filter(|c| is_stix_path(c))
                                .map(str::to_owned)
                        })
                        .collect()
                });
                f.columns = cols.ok_or_else(|| {
                    bad("columns must be a list of 1 to 100 STIX paths such as \"name\" or \"hashes.SHA-256\"")
                })?;
            }
            "separator" => {
                let mut chars = value.as_str().unwrap_or_default().chars();
                f.separator = match (chars.next(), chars.next()) {
                    (Some(c), None) if is_delimiter_safe(c) => c,
                    _ => return Err(bad("separator must be one character that is not a letter, a digit, a quote or a line break")),
                };
            }
            "multi_value_separator" => {
                let s = value.as_str().unwrap_or_default();
                if s.is_empty() || s.chars().count() > 5 || !s.chars().all(is_delimiter_safe) {
                    return Err(bad("multi_value_separator must be 1 to 5 characters without letters, digits, quotes or line breaks"));
                }
                s.clone_into(&mut f.multi_separator);
            }
            "header" => {
                f.header = value
                    .as_bool()
                    .ok_or_else(|| bad("header must be true or false"))?;
            }
            "time_window" => f.window_secs = parse_window(value)?,
            "max_rows" => {
                f.max_rows = value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| (1..=feeds::MAX_ROWS).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest(format!(
                            "max_rows must be a number from 1 to {}",
                            feeds::MAX_ROWS
                        ))
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
    if f.multi_separator.contains(f.separator) {
        return Err(bad("multi_value_separator must not contain the separator"));
    }
    f.name = shared.name;
    f.description = shared.description;
    f.filters_json = shared.filters_json;
    f.public = shared.public;
    f.max_tlp = shared.max_tlp;
    f.authorized_groups = shared.authorized_groups;
    Ok(())
}

pub fn load(state: &AppState, id: &str) -> Result<FeedV1, AppError> {
    let missing = || AppError::NotFound(format!("no feed with id '{id}'"));
    let key = Uuid::parse_str(id).map_err(|_| missing())?;
    state.store.get_feed(*key.as_bytes())?.ok_or_else(missing)
}

pub async fn list(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let all: Vec<Value> = state
        .store
        .list_feeds()?
        .iter()
        .map(|f| feed_json(f, &base))
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Creates (`id` None) or updates a feed from validated fields; shared by the API and the admin pages.
pub fn save(
    state: &AppState,
    id: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<FeedV1, AppError> {
    let mut f = match id {
        Some(id) => load(state, id)?,
        None => {
            for required in ["name", "columns"] {
                if !fields.contains_key(required) {
                    return Err(AppError::BadRequest(format!("{required} is required")));
                }
            }
            FeedV1 {
                id: *Uuid::new_v4().as_bytes(),
                name: String::new(),
                description: String::new(),
                filters_json: Common::new().filters_json,
                public: false,
                max_tlp: 0,
                authorized_groups: Vec::new(),
                columns: Vec::new(),
                separator: ',',
                multi_separator: "|".into(),
                header: true,
                window_secs: None,
                max_rows: feeds::DEFAULT_ROWS,
                created_at_ms: now_ms(),
            }
        }
    };
    apply(&mut f, fields)?;
    super::sharing::check_groups(state, &f.authorized_groups)?;
    state.store.put_feed(&f)?;
    Ok(f)
}

pub async fn create(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let f = save(&state, None, &parse_body(&body)?)?;
    Ok(HttpResponse::Created().json(feed_json(&f, &base_url(&req))))
}

pub async fn get(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(feed_json(&load(&state, &id)?, &base_url(&req))))
}

pub async fn patch(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    req: HttpRequest,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let f = save(&state, Some(&id), &parse_body(&body)?)?;
    Ok(HttpResponse::Ok().json(feed_json(&f, &base_url(&req))))
}

pub async fn delete(
    state: web::Data<AppState>,
    _user: Capable<Share>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let f = load(&state, &id)?;
    state.store.delete_feed(f.id)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/public/feeds`: public feeds only, no auth.
pub async fn public_list(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let base = base_url(&req);
    let list: Vec<Value> = state
        .store
        .list_feeds()?
        .iter()
        .filter(|f| f.public)
        .map(|f| {
            json!({"id": Uuid::from_bytes(f.id).to_string(), "name": f.name, "description": f.description,
                   "columns": f.columns, "url": feed_url(&base, f.id)})
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// `GET /feeds/{id}`: the CSV. Unknown → 404; public → anonymous under the ceiling; private → credentials.
pub async fn csv(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let feed = load(&state, &id)?;
    let disposition = format!(
        "inline; filename=\"stixhub-feed-{}.csv\"",
        Uuid::from_bytes(feed.id)
    );
    let access = sharing::reader_access(
        &state,
        &req,
        feed.public,
        feed.max_tlp,
        &feed.authorized_groups,
    )
    .await
    .map_err(|d| match d {
        Denied::Unauthenticated(m) => AppError::Unauthorized(m),
        Denied::Forbidden(m) => AppError::Forbidden(m),
        Denied::Throttled(secs) => AppError::TooManyAttempts(secs),
    })?;
    let filter = common(&feed).filter();
    let st = state.clone();
    let text = web::block(move || {
        let rows = feeds::rows(&st.store, &feed, now_ms(), &|o| {
            sharing::visible(&st, filter.as_ref(), &access, o)
        })?;
        Ok::<_, crate::store::StoreError>(feeds::render(&feed, &rows))
    })
    .await??;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("Content-Disposition", disposition))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(text))
}

/// A column path: dot-separated non-empty keys (`name`, `hashes.SHA-256`, `x_mitre_platforms`), at most 200
/// bytes, without spaces or control characters.
fn is_stix_path(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 200
        && c.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|ch| !ch.is_whitespace() && !ch.is_control())
        })
}
