//! What one reader may receive of an event: the access decision applied to the event's object, to its previous
//! version (an update's `reverse_patch` reveals it) and to a relationship's ends. A reader with a limited
//! clearance gets marking transitions as OpenCTI gives filter transitions: an object that becomes visible
//! arrives as `create`, one that stops being visible leaves as `delete` carrying the version it could see,
//! and `context` is only sent when the previous version is visible too.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::auth::Access;
use crate::knowledge::streams::previous_version;
use crate::knowledge::{stored_object, EventKind};
use crate::store::Store;

pub fn object_visible(store: &Store, access: &Access, obj: &Map<String, Value>) -> bool {
    if !access.may_see(obj, &|id| stored_object(store, id)) {
        return false;
    }
    // A marking definition the reader may never see anything under (TLP:RED for a CLEAR public stream) is of
    // no use to it, and its arrival as a dependency would tell that something so marked was just added.
    if !access.bypass && obj.get("type").and_then(Value::as_str) == Some("marking-definition") {
        if let Some(id) = obj.get("id").and_then(Value::as_str) {
            let mut probe = Map::new();
            probe.insert("object_marking_refs".into(), Value::from(vec![id]));
            let lookup = |m: &str| {
                if m == id {
                    Some(obj.clone())
                } else {
                    stored_object(store, m)
                }
            };
            if !access.may_see(&probe, &lookup) {
                return false;
            }
        }
    }
    // A relationship or sighting must not reveal an end the reader may not see.
    let ends = ["source_ref", "target_ref", "sighting_of_ref"];
    ends.iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_str))
        .all(|end| match stored_object(store, end) {
            Some(target) => access.may_see(&target, &|id| stored_object(store, id)),
            None => true,
        })
}

fn rewrite(
    mut payload: Map<String, Value>,
    data: Option<Map<String, Value>>,
) -> Cow<'static, [u8]> {
    payload.remove("context");
    if let Some(d) = data {
        // The message names the object: it must name the version the reader may see.
        let message = crate::stix::opencti::message("update", &d);
        payload.insert("message".into(), Value::String(message));
        payload.insert("data".into(), Value::Object(d));
    }
    Cow::Owned(serde_json::to_vec(&payload).unwrap_or_default())
}

/// References a reader may follow: `_ref`/`_refs` properties other than the object's own markings.
fn ref_keys(obj: &Map<String, Value>) -> impl Iterator<Item = &String> {
    obj.keys().filter(|k| {
        (k.ends_with("_ref") || k.ends_with("_refs")) && k.as_str() != "object_marking_refs"
    })
}

/// Removes references to stored objects the reader may not see (B18: a report's `object_refs` must not
/// reveal a hidden indicator). Ids the hub does not hold are kept. Returns whether anything was removed.
pub fn redact(store: &Store, access: &Access, obj: &mut Map<String, Value>) -> bool {
    let hidden = |id: &str| {
        stored_object(store, id)
            .is_some_and(|target| !access.may_see(&target, &|m| stored_object(store, m)))
    };
    let keys: Vec<String> = ref_keys(obj).cloned().collect();
    let mut changed = false;
    for key in keys {
        match obj.get_mut(&key) {
            Some(Value::Array(list)) => {
                let before = list.len();
                list.retain(|v| !v.as_str().is_some_and(&hidden));
                changed |= list.len() != before;
            }
            Some(Value::String(id)) if hidden(id) => {
                obj.remove(&key);
                changed = true;
            }
            _ => {}
        }
    }
    changed
}

/// The SSE event name and payload this reader gets for a stream entry, or `None` when it gets nothing.
/// References to objects the reader may not see are removed from what is sent (and then `context`, whose
/// patches would name them, is dropped).
pub fn adapt<'a>(
    store: &Store,
    access: &Access,
    kind: EventKind,
    payload: &'a [u8],
) -> Option<(EventKind, Cow<'a, [u8]>)> {
    let (kind, out) = decide(store, access, kind, payload)?;
    if access.bypass || !mentions_refs(&out) {
        return Some((kind, out));
    }
    let Ok(Value::Object(mut envelope)) = serde_json::from_slice::<Value>(&out) else {
        return None;
    };
    let changed = match envelope.get_mut("data") {
        Some(Value::Object(data)) if ref_keys(data).next().is_some() => redact(store, access, data),
        _ => false,
    };
    if !changed {
        return Some((kind, out));
    }
    envelope.remove("context");
    Some((
        kind,
        Cow::Owned(serde_json::to_vec(&envelope).unwrap_or_default()),
    ))
}

/// Cheap pre-check on the bytes: any `_ref` besides `object_marking_refs` (most events have none).
fn mentions_refs(bytes: &[u8]) -> bool {
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    count(b"_ref\"") + count(b"_refs\"") > count(b"object_marking_refs\"")
}

fn decide<'a>(
    store: &Store,
    access: &Access,
    kind: EventKind,
    payload: &'a [u8],
) -> Option<(EventKind, Cow<'a, [u8]>)> {
    if access.bypass {
        return Some((kind, Cow::Borrowed(payload)));
    }
    // Fail closed: an event we cannot read is not sent.
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(payload) else {
        return None;
    };
    let Some(Value::Object(data)) = envelope.get("data") else {
        return None;
    };
    let now = object_visible(store, access, data);
    let is_update = envelope.get("type").and_then(Value::as_str) == Some("update");
    if !is_update {
        return now.then_some((kind, Cow::Borrowed(payload)));
    }
    let previous = previous_version(&envelope, data);
    let before = previous
        .as_ref()
        .is_some_and(|p| object_visible(store, access, p));
    match (kind, before, now) {
        (EventKind::Update, true, true) => Some((kind, Cow::Borrowed(payload))),
        (EventKind::Update | EventKind::Create, false, true) => {
            Some((EventKind::Create, rewrite(envelope, None)))
        }
        (EventKind::Create, true, true) => Some((kind, Cow::Borrowed(payload))),
        (EventKind::Update | EventKind::Delete, true, false) => {
            Some((EventKind::Delete, rewrite(envelope, previous)))
        }
        (EventKind::Delete, true, true) => Some((kind, Cow::Borrowed(payload))),
        (EventKind::Delete, false, true) => Some((kind, rewrite(envelope, None))),
        _ => None,
    }
}
