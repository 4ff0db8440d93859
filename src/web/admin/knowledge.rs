//! The knowledge browser: objects by type with paging, search by name or id, and an object's page (pretty
//! JSON, markings, relationships both ways, recent events). Only what the user's groups may see is shown.

use actix_web::web;
use askama::Template;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{render, Chrome, Page, PageResult};
use crate::auth::Access;
use crate::error::AppError;
use crate::knowledge::stored_object;
use crate::state::AppState;
use crate::store::{Store, StoredEvent, StoredObject};
use crate::web::extract::Read;

const PAGE: usize = 50;
const SEARCH_MAX: usize = 100;

pub struct Row {
    pub id: String,
    pub stix_type: String,
    pub name: String,
    pub modified: String,
}

#[derive(Template)]
#[template(path = "admin/knowledge.html")]
struct ListPage {
    chrome: Chrome,
    types: Vec<(String, u64)>,
    selected: String,
    q: String,
    rows: Vec<Row>,
    next: Option<String>,
    note: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(rename = "type")]
    stix_type: Option<String>,
    q: Option<String>,
    after: Option<String>,
}

fn parse(json: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// The same view as streams: the object's markings, and a relationship's ends.
fn visible(store: &Store, access: &Access, obj: &Map<String, Value>) -> bool {
    crate::stream::view::object_visible(store, access, obj)
}

fn text(obj: &Map<String, Value>, key: &str) -> String {
    obj.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A readable name: `name`, else `value` (observables), else a relationship's summary.
fn display_name(obj: &Map<String, Value>) -> String {
    for key in ["name", "value", "pattern", "path", "key", "number"] {
        let t = text(obj, key);
        if !t.is_empty() {
            return t;
        }
    }
    if let Some(rt) = obj.get("relationship_type").and_then(Value::as_str) {
        return format!(
            "{} → {rt} → {}",
            text(obj, "source_ref"),
            text(obj, "target_ref")
        );
    }
    String::new()
}

/// A marking definition's readable name: its `name`, or a statement's text.
fn marking_name(def: &Map<String, Value>) -> String {
    let name = text(def, "name");
    if !name.is_empty() {
        return name;
    }
    match def
        .get("definition")
        .and_then(|d| d.get("statement"))
        .and_then(Value::as_str)
    {
        Some(st) => format!("Statement: {}", st.chars().take(80).collect::<String>()),
        None => String::new(),
    }
}

fn row(id: &str, obj: &Map<String, Value>) -> Row {
    Row {
        id: id.to_string(),
        stix_type: text(obj, "type"),
        name: display_name(obj),
        modified: text(obj, "modified"),
    }
}

fn valid_type(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 250
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub async fn list(
    state: web::Data<AppState>,
    page: Page<Read>,
    q: web::Query<ListQuery>,
) -> PageResult {
    let q = q.into_inner();
    let selected = q.stix_type.unwrap_or_default();
    if !selected.is_empty() && !valid_type(&selected) {
        return Err(AppError::BadRequest(format!("invalid type '{selected}'")).into());
    }
    let search = q.q.unwrap_or_default().trim().to_string();
    let access = page.principal.access.clone();
    let store = state.store.clone();
    let (sel, s2) = (selected.clone(), search.clone());
    let (types, rows, next, note) = web::block(move || -> Result<_, AppError> {
        let types: Vec<(String, u64)> = store.count_by_type()?.into_iter().collect();
        let mut rows = Vec::new();
        let mut next = None;
        let mut note = String::new();
        if !s2.is_empty() {
            let needle = s2.to_lowercase();
            let prefix = if sel.is_empty() {
                String::new()
            } else {
                format!("{sel}--")
            };
            let found = store.scan_objects(&prefix, SEARCH_MAX, &mut |id, json| {
                if id.to_lowercase().contains(&needle) {
                    return parse(json).is_some_and(|o| visible(&store, &access, &o));
                }
                // Cheap pre-check on the bytes before parsing.
                if !String::from_utf8_lossy(json)
                    .to_lowercase()
                    .contains(&needle)
                {
                    return false;
                }
                parse(json).is_some_and(|o| {
                    display_name(&o).to_lowercase().contains(&needle)
                        && visible(&store, &access, &o)
                })
            })?;
            if found.len() >= SEARCH_MAX {
                note = format!("Showing the first {SEARCH_MAX} matches; refine the search.");
            }
            for (id, StoredObject::V1(rec)) in &found {
                if let Some(o) = parse(&rec.json) {
                    rows.push(row(id, &o));
                }
            }
        } else {
            let t = (!sel.is_empty()).then_some(sel.as_str());
            let page = store.list_objects(t, q.after.as_deref(), PAGE + 1)?;
            let more = page.len() > PAGE;
            for (id, StoredObject::V1(rec)) in page.iter().take(PAGE) {
                if let Some(o) = parse(&rec.json) {
                    if visible(&store, &access, &o) {
                        rows.push(row(id, &o));
                    }
                }
            }
            if more {
                next = page.get(PAGE - 1).map(|(id, _)| id.clone());
            }
        }
        Ok((types, rows, next, note))
    })
    .await??;
    render(&ListPage {
        chrome: page.chrome("knowledge"),
        types,
        selected,
        q: search,
        rows,
        next,
        note,
    })
}

pub struct EventRow {
    pub id: String,
    pub kind: &'static str,
    pub message: String,
}

pub struct Marking {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "admin/object.html")]
struct ObjectPage {
    chrome: Chrome,
    row: Row,
    json: String,
    markings: Vec<Marking>,
    outgoing: Vec<Row>,
    incoming: Vec<Row>,
    events: Vec<EventRow>,
}

const RELATION_MAX: usize = 200;
const EVENT_SCAN: usize = 20_000;

pub async fn object(
    state: web::Data<AppState>,
    page: Page<Read>,
    id: web::Path<String>,
) -> PageResult {
    let id = id.into_inner();
    let access = page.principal.access.clone();
    let store = state.store.clone();
    let found = web::block(move || -> Result<_, AppError> {
        let Some(obj) = stored_object(&store, &id) else {
            return Ok(None);
        };
        if !visible(&store, &access, &obj) {
            return Ok(None);
        }
        let markings = obj
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|m| Marking {
                id: m.to_string(),
                name: stored_object(&store, m)
                    .map(|d| marking_name(&d))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| m.to_string()),
            })
            .collect();
        let mut outgoing = Vec::new();
        let mut incoming = Vec::new();
        for prefix in ["relationship--", "sighting--"] {
            let rels = store.scan_objects(prefix, RELATION_MAX, &mut |_, json| {
                let text = String::from_utf8_lossy(json);
                text.contains(id.as_str())
            })?;
            for (rid, StoredObject::V1(rec)) in rels {
                let Some(r) = parse(&rec.json) else { continue };
                if !visible(&store, &access, &r) {
                    continue;
                }
                let verb = text(&r, "relationship_type");
                let verb = if verb.is_empty() {
                    "sighting of".to_string()
                } else {
                    verb
                };
                let end_name = |end: &str| {
                    stored_object(&store, end)
                        .filter(|o| visible(&store, &access, o))
                        .map_or_else(
                            || end.to_string(),
                            |o| format!("{} ({})", display_name(&o), text(&o, "type")),
                        )
                };
                if text(&r, "source_ref") == id || text(&r, "sighting_of_ref") == id {
                    let mut line = row(&rid, &r);
                    line.name = format!("{verb} → {}", end_name(&text(&r, "target_ref")));
                    outgoing.push(line);
                } else if text(&r, "target_ref") == id {
                    let mut line = row(&rid, &r);
                    line.name = format!("{} → {verb}", end_name(&text(&r, "source_ref")));
                    incoming.push(line);
                }
            }
        }
        // Only events about versions the reader may see: an earlier version may have carried a marking
        // (and a name) this reader is not allowed.
        let events = store
            .recent_events_of(&id, EVENT_SCAN, 20)?
            .into_iter()
            .filter_map(|(eid, StoredEvent::V1(e))| {
                let payload = serde_json::from_slice::<Value>(&e.payload).ok()?;
                let seen = match payload.get("data") {
                    Some(Value::Object(data)) => visible(&store, &access, data),
                    _ => false,
                };
                seen.then(|| EventRow {
                    id: eid.to_string(),
                    kind: match e.kind {
                        0 => "create",
                        1 => "update",
                        2 => "delete",
                        _ => "merge",
                    },
                    message: payload
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_default(),
                })
            })
            .collect();
        let json = serde_json::to_string_pretty(&obj).map_err(AppError::internal)?;
        Ok(Some((
            row(&id, &obj),
            json,
            markings,
            outgoing,
            incoming,
            events,
        )))
    })
    .await??;
    let Some((row, json, markings, outgoing, incoming, events)) = found else {
        return Err(
            AppError::NotFound("no such object (or your groups may not see it)".into()).into(),
        );
    };
    render(&ObjectPage {
        chrome: page.chrome("knowledge"),
        row,
        json,
        markings,
        outgoing,
        incoming,
        events,
    })
}
