//! Writing per-stream logs in the ingest transaction: which streams an event enters, under which SSE name.
//! An update that makes an object enter a stream's filter is a `create` there, one that makes it leave is a
//! `delete` (the payload keeps its inner `type: update`), as OpenCTI does (spec §2.5).

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::payload::{self, EventKind};
use crate::filter::{self, FilterGroup};
use crate::store::{
    EventId, Store, StoreError, StoredObject, StoredStreamEntry, StreamEntryV1, StreamEntryV2,
    Writer,
};

/// Flag bits of a stream log entry.
pub const FLAG_DEPENDENCY: u8 = 0b01;
pub const FLAG_TRANSITION: u8 = 0b10;

/// How deep dependencies of dependencies are followed.
const MAX_DEPTH: usize = 3;

/// A stream's id and parsed filter, loaded once per batch.
pub struct StreamFilter {
    pub id: [u8; 16],
    pub filter: FilterGroup,
}

/// Every stream's filter. A definition whose filter no longer parses matches nothing (and says so in the log).
pub fn load(store: &Store) -> Result<Vec<StreamFilter>, StoreError> {
    let mut out = Vec::new();
    for s in store.list_streams()? {
        let value: Value = serde_json::from_str(&s.filters_json).unwrap_or(Value::Null);
        match FilterGroup::parse_stored(&value) {
            Ok(filter) => out.push(StreamFilter { id: s.id, filter }),
            Err(e) => {
                tracing::error!(stream = %uuid::Uuid::from_bytes(s.id), error = %e, "stored stream filter is invalid; the stream receives nothing")
            }
        }
    }
    Ok(out)
}

/// Writes one stream's log from the global log: called when a stream is created or its filter changes, so
/// `from=0` on a new stream gives the history that matches it, by the same rules as at ingest. Holds the
/// single writer throughout, so no batch slips between the history and the live entries.
pub fn backfill(store: &Store, stream_id: [u8; 16]) -> Result<usize, StoreError> {
    let Some(def) = store.get_stream(stream_id)? else {
        return Ok(0);
    };
    let value: Value = serde_json::from_str(&def.filters_json).unwrap_or(Value::Null);
    let Ok(filter) = FilterGroup::parse_stored(&value) else {
        return Ok(0);
    };
    let streams = [StreamFilter {
        id: stream_id,
        filter,
    }];
    let mut w = store.writer();
    w.reset_stream(stream_id)?;
    let head = store.durable_head();
    let mut pos = EventId::ZERO;
    let mut count = 0;
    loop {
        let events = store.read_events(pos, head, 2000)?;
        let Some((last, _)) = events.last() else {
            break;
        };
        pos = *last;
        for (id, crate::store::StoredEvent::V1(ev)) in events {
            let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(&ev.payload) else {
                continue;
            };
            let Some(Value::Object(data)) = envelope.get("data") else {
                continue;
            };
            let kind = EventKind::from_code(ev.kind).unwrap_or(EventKind::Update);
            let previous = (kind == EventKind::Update)
                .then(|| previous_version(&envelope, data))
                .flatten();
            append(&mut w, &streams, id, kind, previous.as_ref(), data)?;
            count += 1;
        }
        w.commit_staged()?;
    }
    Ok(count)
}

pub fn previous_version(
    envelope: &Map<String, Value>,
    data: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let reverse = envelope.get("context")?.get("reverse_patch")?;
    let patch: json_patch::Patch = serde_json::from_value(reverse.clone()).ok()?;
    let mut doc = Value::Object(data.clone());
    json_patch::patch(&mut doc, &patch).ok()?;
    match doc {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Appends the entries one event produces in each stream's log.
pub fn append(
    w: &mut Writer<'_>,
    streams: &[StreamFilter],
    id: EventId,
    kind: EventKind,
    old: Option<&Map<String, Value>>,
    new: &Map<String, Value>,
) -> Result<(), StoreError> {
    for s in streams {
        let now = filter::matches(&s.filter, new);
        let (sse, flags) = match kind {
            EventKind::Update => {
                let before = old.is_some_and(|o| filter::matches(&s.filter, o));
                match (before, now) {
                    (true, true) => (EventKind::Update, 0),
                    (false, true) => (EventKind::Create, FLAG_TRANSITION),
                    (true, false) => (EventKind::Delete, FLAG_TRANSITION),
                    (false, false) => {
                        relationship_rule(w, s, id, kind, new)?;
                        continue;
                    }
                }
            }
            other if now => (other, 0),
            _ => {
                relationship_rule(w, s, id, kind, new)?;
                continue;
            }
        };
        if sse != EventKind::Delete {
            let mut seen = HashSet::new();
            seen.insert(stix_id(new).to_owned());
            dependencies(w, s, id, new, 0, &mut seen)?;
            w.mark_sent(s.id, stix_id(new));
        }
        let entry = StreamEntryV1 {
            sse_event: sse.code(),
            global_event: id.to_bytes(),
            flags,
        };
        w.append_stream_entry(s.id, id, &StoredStreamEntry::V1(entry))?;
    }
    Ok(())
}

/// Spec §2.5 d, narrowed: a relationship or sighting outside the filter is still published when its ends
/// exist and all of them are in the stream (a stream of malware and intrusion sets carries the intrusion
/// sets' `uses` relationships to its malware), with its original event name, as a dependency
/// (`origin.referer = "init-dependencies"`, no context, skipped with `no-dependencies`). OpenCTI publishes it
/// when one end matches and pulls the other end in as a dependency; we do not, since that sends objects the
/// filter excludes (B16), and a relationship without its other end would dangle at the consumer (B26).
fn relationship_rule(
    w: &mut Writer<'_>,
    s: &StreamFilter,
    id: EventId,
    kind: EventKind,
    rel: &Map<String, Value>,
) -> Result<(), StoreError> {
    let lookup = |id: &str| match w.get_object(id) {
        Ok(Some(StoredObject::V1(rec))) => super::parse_stored(&rec).ok(),
        _ => None,
    };
    if !joins_two_of_its_objects(&s.filter, rel, &lookup) {
        return Ok(());
    }
    if kind != EventKind::Delete {
        let mut seen = HashSet::new();
        seen.insert(stix_id(rel).to_owned());
        dependencies(w, s, id, rel, 0, &mut seen)?;
        w.mark_sent(s.id, stix_id(rel));
    }
    // The event's own data: the object as emitted, extension included.
    let data = Value::Object(rel.clone());
    let body = json!({
        "version": "4",
        "type": kind.as_str(),
        "message": crate::stix::opencti::message(kind.as_str(), rel),
        "origin": {"referer": "init-dependencies"},
        "data": data,
    });
    let bytes = serde_json::to_vec(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let entry = StreamEntryV2 {
        sse_event: kind.code(),
        global_event: id.to_bytes(),
        flags: FLAG_DEPENDENCY,
        payload: bytes,
    };
    w.append_stream_entry(s.id, id, &StoredStreamEntry::V2(entry))
}

/// The narrowed relationship rule's test: a relationship (or sighting) whose ends all exist and all match.
pub fn joins_two_of_its_objects(
    filter: &FilterGroup,
    rel: &Map<String, Value>,
    lookup: &dyn Fn(&str) -> Option<Map<String, Value>>,
) -> bool {
    let ends: Vec<&str> = match rel.get("type").and_then(Value::as_str) {
        Some("relationship") => ["source_ref", "target_ref"]
            .iter()
            .filter_map(|k| rel.get(*k).and_then(Value::as_str))
            .collect(),
        Some("sighting") => rel
            .get("sighting_of_ref")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
        _ => return false,
    };
    let needed = if rel.get("type").and_then(Value::as_str) == Some("relationship") {
        2
    } else {
        1
    };
    if ends.len() != needed {
        return false;
    }
    // Cheap first: with a top-level `entity_type = …` filter (mode and), an end of another type cannot match,
    // and its id says its type — no lookup needed (most relationships of a typed stream stop here).
    if filter.mode == crate::filter::Mode::And {
        let types = filter.entity_types();
        let typed = |end: &&str| {
            let t = end.split("--").next().unwrap_or_default();
            types.iter().any(|x| x == t)
        };
        if !types.is_empty() && !ends.iter().all(typed) {
            return false;
        }
    }
    ends.len() == needed
        && ends
            .iter()
            .all(|e| lookup(e).is_some_and(|o| filter::matches(filter, &o)))
}

fn stix_id(obj: &Map<String, Value>) -> &str {
    obj.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// The objects an object refers to: `(id, meta)`; meta = marking definitions and the author, which carry no
/// intelligence of their own and are always sent; other references only when they pass the stream's filter.
pub fn references(obj: &Map<String, Value>) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut one = |key: &str, meta: bool| {
        if let Some(Value::String(r)) = obj.get(key) {
            out.push((r.clone(), meta));
        }
    };
    one("created_by_ref", true);
    one("source_ref", false);
    one("target_ref", false);
    one("sighting_of_ref", false);
    for (key, meta) in [
        ("object_marking_refs", true),
        ("where_sighted_refs", false),
        ("object_refs", false),
    ] {
        if let Some(Value::Array(list)) = obj.get(key) {
            out.extend(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(|r| (r.to_owned(), meta)),
            );
        }
    }
    out
}

/// Emits, deepest first, every referenced object not yet sent to the stream, as `create` dependency entries
/// carrying the triggering event's id (spec §2.6). Missing references are skipped.
fn dependencies(
    w: &mut Writer<'_>,
    s: &StreamFilter,
    id: EventId,
    obj: &Map<String, Value>,
    depth: usize,
    seen: &mut HashSet<String>,
) -> Result<(), StoreError> {
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    for (ref_id, meta) in references(obj) {
        if !seen.insert(ref_id.clone()) || w.was_sent(s.id, &ref_id)? {
            continue;
        }
        let Some(StoredObject::V1(rec)) = w.get_object(&ref_id)? else {
            continue;
        };
        let dep = super::parse_stored(&rec)?;
        if !meta && !filter::matches(&s.filter, &dep) {
            continue;
        }
        dependencies(w, s, id, &dep, depth + 1, seen)?;
        let data = payload::emitted_object(&dep, &rec);
        let body = json!({
            "version": "4",
            "message": crate::stix::opencti::message("create", &dep),
            "origin": {"referer": "init-dependencies"},
            "data": data,
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let entry = StreamEntryV2 {
            sse_event: EventKind::Create.code(),
            global_event: id.to_bytes(),
            flags: FLAG_DEPENDENCY,
            payload: bytes,
        };
        w.append_stream_entry(s.id, id, &StoredStreamEntry::V2(entry))?;
        w.mark_sent(s.id, &ref_id);
    }
    Ok(())
}
