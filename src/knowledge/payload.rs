//! The OpenCTI-compatible event payload (`data:` of an SSE message, spec §1.8).

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::stix::format_ms;
use crate::stix::opencti::{self, OCTI_EXT};
use crate::store::{EventId, ObjectV1};

/// Inner event type (`data.type`), also the SSE event name on the global log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Create,
    Update,
    Delete,
    Merge,
}

impl EventKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Create => "create",
            EventKind::Update => "update",
            EventKind::Delete => "delete",
            EventKind::Merge => "merge",
        }
    }

    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            EventKind::Create => 0,
            EventKind::Update => 1,
            EventKind::Delete => 2,
            EventKind::Merge => 3,
        }
    }

    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => EventKind::Create,
            1 => EventKind::Update,
            2 => EventKind::Delete,
            3 => EventKind::Merge,
            _ => return None,
        })
    }
}

/// Who caused a write; goes into `origin` and lets synchronizers recognise their own hub's events.
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    pub hub_id: String,
    /// `api`, `cli`, `admin`, `sync:<id>`…
    pub source: String,
    /// The acting account's id (as OpenCTI's `origin.user_id`); never its name, which public readers see.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// For synchronized data: the hub where the change was first made, so that hub's synchronizers drop it
    /// when it comes back (no echo between hubs that sync each other).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_hub: Option<String>,
}

/// The STIX object as emitted: the stored object plus this hub's OpenCTI extension.
#[must_use]
pub fn emitted_object(object: &Map<String, Value>, rec: &ObjectV1) -> Map<String, Value> {
    let mut out = object.clone();
    let ext = json!({
        "extension_type": "property-extension",
        "id": uuid::Uuid::from_bytes(rec.internal_id).to_string(),
        "type": opencti::entity_type(object),
        "created_at": format_ms(rec.created_at_ms),
        "updated_at": format_ms(rec.updated_at_ms),
        "is_inferred": false,
        "stix_ids": [],
    });
    match out.get_mut("extensions") {
        Some(Value::Object(exts)) => {
            exts.insert(OCTI_EXT.to_owned(), ext);
        }
        _ => {
            let mut exts = Map::new();
            exts.insert(OCTI_EXT.to_owned(), ext);
            out.insert("extensions".to_owned(), Value::Object(exts));
        }
    }
    out
}

#[derive(Serialize)]
struct Payload<'a> {
    version: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    scope: &'static str,
    message: String,
    origin: &'a Origin,
    data: &'a Map<String, Value>,
    event_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Value>,
}

/// Serialises one event's `data:` JSON.
pub fn build(
    kind: EventKind,
    id: EventId,
    data: &Map<String, Value>,
    origin: &Origin,
    context: Option<Value>,
) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Payload {
        version: "4",
        kind: kind.as_str(),
        scope: "external",
        message: opencti::message(kind.as_str(), data),
        origin,
        data,
        event_id: id.to_string(),
        context,
    })
}

/// RFC 6902 patches between two versions: `patch` turns the old object into the new one, `reverse_patch`
/// the new into the old.
#[must_use]
pub fn update_context(old: &Map<String, Value>, new: &Map<String, Value>) -> Value {
    let old = Value::Object(old.clone());
    let new = Value::Object(new.clone());
    json!({
        "patch": json_patch::diff(&old, &new),
        "reverse_patch": json_patch::diff(&new, &old),
    })
}
