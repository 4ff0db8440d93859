//! The snapshot phase of a stream reader (`recover`, spec §2.7, and resumes older than the kept log, B03):
//! the current state of every object the stream carries that was updated within a window, as `create`
//! events with `origin.referer = "init-create"` and id `<updated_at ms>-0`, each after its dependencies; then
//! the reader goes on with the log from `resume_at`. Objects deleted within the window produce nothing.

use std::collections::{HashMap, HashSet, VecDeque};

use bytes::{Bytes, BytesMut};
use serde_json::{json, Map, Value};

use crate::auth::Access;
use crate::filter::{self, FilterGroup};
use crate::knowledge::payload::emitted_object;
use crate::knowledge::streams::{joins_two_of_its_objects, references};
use crate::knowledge::{parse_stored, stored_object, EventKind};
use crate::store::{EventId, Store, StoreError, StoredObject};

/// Objects per chunk written to the socket.
const BATCH: usize = 256;
const MAX_DEPTH: usize = 3;

pub struct Snapshot {
    items: VecDeque<(i64, String)>,
    /// `None`: everything (the global log).
    filter: Option<FilterGroup>,
    no_dependencies: bool,
    sent: HashSet<String>,
    /// Last millisecond the snapshot covers: later changes come from the log.
    upto_ms: i64,
    /// Dependencies sent in their current state although they changed after `upto_ms` (an object needs its
    /// marking first): the log's event for that same state is not sent again (`data` as sent, by id).
    pub ahead: HashMap<String, Value>,
    /// Where the log continues once the snapshot is sent.
    pub resume_at: EventId,
}

impl Snapshot {
    /// Plans a snapshot of the objects updated within `[from_ms, upto_ms]`.
    pub fn plan(
        store: &Store,
        filter: Option<FilterGroup>,
        no_dependencies: bool,
        from_ms: i64,
        upto_ms: i64,
        resume_at: EventId,
    ) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            items: store.objects_updated_between(from_ms, upto_ms)?.into(),
            filter,
            no_dependencies,
            sent: HashSet::new(),
            upto_ms,
            ahead: HashMap::new(),
            resume_at,
        })
    }

    fn carries(&self, store: &Store, obj: &Map<String, Value>) -> bool {
        match &self.filter {
            None => true,
            Some(f) => {
                filter::matches(f, obj)
                    || joins_two_of_its_objects(f, obj, &|id| stored_object(store, id))
            }
        }
    }

    /// The next chunk of snapshot events, `None` once every item is sent.
    pub fn next_chunk(
        &mut self,
        store: &Store,
        access: &Access,
    ) -> Result<Option<Bytes>, StoreError> {
        let mut buf = BytesMut::new();
        let mut done = 0;
        while let Some((ms, id)) = self.items.pop_front() {
            let Some(StoredObject::V1(rec)) = store.get_object(&id)? else {
                continue;
            };
            // Changed since the snapshot was planned: the log carries its change.
            if rec.updated_at_ms > self.upto_ms {
                continue;
            }
            let obj = parse_stored(&rec)?;
            // An element already sent (as a dependency of an earlier one) is not sent again.
            if self.sent.contains(&id) || !self.carries(store, &obj) {
                continue;
            }
            let event_id = EventId::new(u64::try_from(ms).unwrap_or(0), 0);
            if !self.no_dependencies {
                let mut seen = HashSet::from([id.clone()]);
                self.dependencies(store, access, &obj, event_id, 0, &mut seen, &mut buf)?;
            }
            let body = json!({
                "version": "4",
                "type": "create",
                "message": crate::stix::opencti::message("create", &obj),
                "origin": {"referer": "init-create"},
                "data": emitted_object(&obj, &rec),
            });
            emit(store, access, &body, event_id, &mut buf);
            self.sent.insert(id);
            done += 1;
            if done >= BATCH {
                break;
            }
        }
        Ok((!buf.is_empty() || !self.items.is_empty()).then(|| buf.freeze()))
    }

    #[allow(clippy::too_many_arguments)]
    fn dependencies(
        &mut self,
        store: &Store,
        access: &Access,
        obj: &Map<String, Value>,
        event_id: EventId,
        depth: usize,
        seen: &mut HashSet<String>,
        buf: &mut BytesMut,
    ) -> Result<(), StoreError> {
        if depth >= MAX_DEPTH {
            return Ok(());
        }
        for (ref_id, meta) in references(obj) {
            if !seen.insert(ref_id.clone()) || self.sent.contains(&ref_id) {
                continue;
            }
            let Some(StoredObject::V1(rec)) = store.get_object(&ref_id)? else {
                continue;
            };
            let dep = parse_stored(&rec)?;
            let passes = self
                .filter
                .as_ref()
                .is_none_or(|f| filter::matches(f, &dep));
            if !meta && !passes {
                continue;
            }
            self.dependencies(store, access, &dep, event_id, depth + 1, seen, buf)?;
            let data = emitted_object(&dep, &rec);
            if rec.updated_at_ms > self.upto_ms {
                self.ahead
                    .insert(ref_id.clone(), Value::Object(data.clone()));
            }
            let body = json!({
                "version": "4",
                "message": crate::stix::opencti::message("create", &dep),
                "origin": {"referer": "init-dependencies"},
                "data": data,
            });
            emit(store, access, &body, event_id, buf);
            self.sent.insert(ref_id);
        }
        Ok(())
    }
}

/// Sends one snapshot event through the reader's access (hidden objects are skipped, hidden refs removed).
fn emit(store: &Store, access: &Access, body: &Value, id: EventId, buf: &mut BytesMut) {
    let Ok(bytes) = serde_json::to_vec(body) else {
        return;
    };
    if let Some((kind, payload)) = super::view::adapt(store, access, EventKind::Create, &bytes) {
        super::sse::put_event(buf, id, kind.as_str(), &payload);
    }
}
