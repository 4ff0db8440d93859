//! Knowledge: turns validated STIX objects into stored versions and events, one transaction per batch.

pub mod payload;
pub mod streams;
pub mod upsert;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::stix::{self, BundleError, PrepareOptions, Prepared, Timestamp};
use crate::store::{EventV1, ObjectV1, Store, StoreError, StoredEvent, StoredObject, Writer};
pub use payload::{EventKind, Origin};
use upsert::Decision;

/// Objects per store transaction: bounds the memory a huge bundle holds in one sled transaction.
pub const CHUNK: usize = 5000;

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ObjectErrorReport {
    pub index: usize,
    pub id: Option<String>,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WarningReport {
    pub warning: String,
    /// How many objects got this warning (0 for a bundle-level one).
    pub count: usize,
    pub first_index: Option<usize>,
}

/// The answer of an import (API.md): counts, per-object errors, grouped warnings.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub older_ignored: usize,
    pub rejected: usize,
    pub errors: Vec<ObjectErrorReport>,
    pub warnings: Vec<WarningReport>,
}

impl ImportReport {
    fn count(&mut self, d: Decision) {
        match d {
            Decision::Create => self.created += 1,
            Decision::Update => self.updated += 1,
            Decision::Unchanged => self.unchanged += 1,
            Decision::OlderIgnored => self.older_ignored += 1,
        }
    }

    /// Adds the counts of another report (several files in one CLI run).
    pub fn absorb(&mut self, other: &ImportReport) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.older_ignored += other.older_ignored;
        self.rejected += other.rejected;
    }
}

/// Parses and stores a bundle (or bare array). Bad objects are rejected alone; the rest is stored durably
/// before this returns. `progress(done, total)` is called after each committed chunk.
pub fn import_bundle(
    store: &Store,
    body: &[u8],
    max_object_bytes: usize,
    origin: &Origin,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, KnowledgeError> {
    let everything = crate::auth::Access::everything();
    import_bundle_as(store, body, max_object_bytes, origin, &everything, progress)
}

/// `import_bundle` for a caller limited by `access`: an object whose stored version it may not see is
/// refused (it could otherwise overwrite, and probe, knowledge above its clearance).
pub fn import_bundle_as(
    store: &Store,
    body: &[u8],
    max_object_bytes: usize,
    origin: &Origin,
    access: &crate::auth::Access,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, KnowledgeError> {
    let bundle = stix::parse_bundle(body)?;
    let opts = PrepareOptions {
        legacy_20: bundle.legacy_20,
        max_object_bytes,
    };
    let mut report = ImportReport::default();
    let mut warnings: BTreeMap<String, (usize, Option<usize>)> = BTreeMap::new();
    for w in &bundle.warnings {
        warnings.insert(w.clone(), (0, None));
    }
    let total = bundle.objects.len();
    for (chunk_no, chunk) in bundle.objects.chunks(CHUNK).enumerate() {
        let base = chunk_no * CHUNK;
        let mut prepared = Vec::with_capacity(chunk.len());
        for (i, raw) in chunk.iter().enumerate() {
            match stix::prepare(raw, &opts) {
                Ok(p) => {
                    for w in &p.warnings {
                        let e = warnings.entry(w.clone()).or_insert((0, Some(base + i)));
                        e.0 += 1;
                    }
                    prepared.push((base + i, p));
                }
                Err(e) => {
                    report.rejected += 1;
                    report.errors.push(ObjectErrorReport {
                        index: base + i,
                        id: e.id,
                        error: e.reason,
                    });
                }
            }
        }
        let mut w = store.writer();
        let stream_filters = streams::load(store)?;
        let mut pending = Vec::new();
        for (index, p) in prepared {
            if let Some(reason) = refused_change(&w, &p, access)? {
                report.rejected += 1;
                report.errors.push(ObjectErrorReport {
                    index,
                    id: Some(p.id),
                    error: reason,
                });
                continue;
            }
            let d = apply(&mut w, p, origin, &mut pending)?;
            report.count(d);
        }
        // Stream logs after the whole chunk is staged, so a reference that comes later in the bundle (MITRE
        // puts its identity and marking last) is found and sent as a dependency.
        for e in &pending {
            streams::append(
                &mut w,
                &stream_filters,
                e.id,
                e.kind,
                e.previous.as_ref(),
                &e.object,
            )?;
        }
        w.commit()?;
        progress((base + chunk.len()).min(total), total);
    }
    report.warnings = warnings
        .into_iter()
        .map(|(warning, (count, first_index))| WarningReport {
            warning,
            count,
            first_index,
        })
        .collect();
    store.enforce_retention()?;
    Ok(report)
}

/// Why an incoming version may not replace the stored one, if it may not: the caller may not see the stored
/// version (its markings are beyond the caller's groups); or a marking definition's
/// `definition_type`, `definition` and `name` never change (STIX does not version marking definitions, and
/// access decisions rest on them — re-defining TLP:RED as CLEAR would publish everything marked with it).
pub fn refused_change(
    w: &Writer<'_>,
    p: &Prepared,
    access: &crate::auth::Access,
) -> Result<Option<String>, StoreError> {
    use crate::auth::markings::{classify, MarkingKind};
    if !access.bypass {
        if let Some(StoredObject::V1(rec)) = w.get_object(&p.id)? {
            let stored = parse_stored(&rec)?;
            let lookup = |id: &str| match w.get_object(id) {
                Ok(Some(StoredObject::V1(r))) => parse_stored(&r).ok(),
                _ => None,
            };
            if !access.may_see(&stored, &lookup) {
                return Ok(Some(format!(
                    "{} is stored with markings beyond what your groups allow: it cannot be changed",
                    p.id
                )));
            }
        }
    }
    if p.stix_type != "marking-definition" {
        return Ok(None);
    }
    // A predefined TLP marking (by id) is only ever stored as what it is.
    if let standard @ MarkingKind::Level(..) = classify(&p.id, None) {
        let claimed = classify("marking-definition--not-predefined", Some(&p.object));
        if claimed != standard && claimed != MarkingKind::Unknown {
            return Ok(Some(format!(
                "{} is a predefined TLP marking definition; its content names another level",
                p.id
            )));
        }
    }
    let Some(StoredObject::V1(rec)) = w.get_object(&p.id)? else {
        return Ok(None);
    };
    let old = parse_stored(&rec)?;
    let changed: Vec<&str> = ["definition_type", "definition", "name"]
        .into_iter()
        .filter(|k| old.get(*k) != p.object.get(*k))
        .collect();
    Ok((!changed.is_empty()).then(|| {
        format!(
            "marking definition {} already exists with another {}: marking definitions cannot change \
             (an administrator may delete it and import the new one)",
            p.id,
            changed.join(", ")
        )
    }))
}

/// Applies one validated object inside a batch.
pub fn apply(
    w: &mut Writer<'_>,
    p: Prepared,
    origin: &Origin,
    pending: &mut Vec<PendingEvent>,
) -> Result<Decision, StoreError> {
    let existing = match w.get_object(&p.id)? {
        Some(StoredObject::V1(rec)) => {
            let obj = parse_stored(&rec)?;
            Some((rec, obj))
        }
        None => None,
    };
    let stored_modified = existing
        .as_ref()
        .and_then(|(rec, _)| rec.modified.as_deref())
        .and_then(|m| Timestamp::parse(m).ok());
    let decision = upsert::decide(
        existing
            .as_ref()
            .map(|(_, obj)| (stored_modified.as_ref(), obj)),
        p.modified.as_ref(),
        &p.object,
    );
    if !matches!(decision, Decision::Create | Decision::Update) {
        return Ok(decision);
    }
    // The object's `updated_at` is its event's millisecond, so a `recover` snapshot up to an instant and the
    // log after it never overlap nor leave a gap.
    let id = w.next_event_id();
    let now = i64::try_from(id.ms).unwrap_or(i64::MAX);
    let previous = existing.as_ref().map(|(_, o)| o.clone());
    let (rec, kind, context) = match (decision, existing) {
        (Decision::Create, _) => (
            ObjectV1 {
                internal_id: *uuid::Uuid::new_v4().as_bytes(),
                modified: p.modified.as_ref().map(|m| m.as_str().to_owned()),
                created_at_ms: now,
                updated_at_ms: now,
                json: to_json(&p.object)?,
            },
            EventKind::Create,
            None,
        ),
        (Decision::Update, Some((old, old_obj))) => (
            ObjectV1 {
                internal_id: old.internal_id,
                modified: p.modified.as_ref().map(|m| m.as_str().to_owned()),
                created_at_ms: old.created_at_ms,
                updated_at_ms: now.max(old.updated_at_ms),
                json: to_json(&p.object)?,
            },
            EventKind::Update,
            Some(payload::update_context(&old_obj, &p.object)),
        ),
        _ => return Ok(decision),
    };
    let data = payload::emitted_object(&p.object, &rec);
    let bytes = payload::build(kind, id, &data, origin, context)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    w.append_event(
        id,
        &StoredEvent::V1(EventV1 {
            kind: kind.code(),
            stix_id: p.id.clone(),
            payload: bytes,
        }),
    )?;
    w.put_object(&p.id, StoredObject::V1(rec))?;
    pending.push(PendingEvent {
        id,
        kind,
        previous,
        object: p.object,
    });
    Ok(decision)
}

/// An event whose stream log entries are written once its whole batch is staged.
pub struct PendingEvent {
    pub id: crate::store::EventId,
    pub kind: EventKind,
    pub previous: Option<Map<String, Value>>,
    pub object: Map<String, Value>,
}

/// Deletes an object; the delete event carries the object as it was. `Ok(false)` when it does not exist.
pub fn delete_object(
    store: &Store,
    stix_id: &str,
    origin: &Origin,
) -> Result<bool, KnowledgeError> {
    let stream_filters = streams::load(store)?;
    let mut w = store.writer();
    if !delete_staged(&mut w, &stream_filters, stix_id, origin)? {
        return Ok(false);
    }
    w.commit()?;
    store.enforce_retention()?;
    Ok(true)
}

/// Stages the deletion of an object (event, stream entries) in a batch. `Ok(false)` when it does not exist.
pub fn delete_staged(
    w: &mut Writer<'_>,
    stream_filters: &[streams::StreamFilter],
    stix_id: &str,
    origin: &Origin,
) -> Result<bool, StoreError> {
    let Some(StoredObject::V1(rec)) = w.get_object(stix_id)? else {
        return Ok(false);
    };
    let obj = parse_stored(&rec)?;
    let id = w.next_event_id();
    let data = payload::emitted_object(&obj, &rec);
    let bytes = payload::build(EventKind::Delete, id, &data, origin, None)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    w.append_event(
        id,
        &StoredEvent::V1(EventV1 {
            kind: EventKind::Delete.code(),
            stix_id: stix_id.to_owned(),
            payload: bytes,
        }),
    )?;
    streams::append(w, stream_filters, id, EventKind::Delete, None, &obj)?;
    w.delete_object(stix_id);
    Ok(true)
}

/// A stored object as a JSON map, if present and readable (used by access decisions on marking definitions).
#[must_use]
pub fn stored_object(store: &Store, stix_id: &str) -> Option<Map<String, Value>> {
    match store.get_object(stix_id) {
        Ok(Some(StoredObject::V1(rec))) => parse_stored(&rec).ok(),
        _ => None,
    }
}

/// The stored STIX object as a JSON map.
pub fn parse_stored(rec: &ObjectV1) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_slice(&rec.json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(StoreError::Corrupt(
            "stored object is not a JSON object".into(),
        )),
        Err(e) => Err(StoreError::Corrupt(format!("stored object: {e}"))),
    }
}

fn to_json(obj: &Map<String, Value>) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(obj).map_err(|e| StoreError::Corrupt(e.to_string()))
}
