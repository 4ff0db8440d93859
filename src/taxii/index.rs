//! The read-side index TAXII pages walk: every version ever added, in log order (= `date_added` order), and
//! the versions of each live object. Built from the global event log (the log is the truth) and caught up to
//! the durable head before each request; nothing is written at ingest for it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::store::{EventId, Store, StoreError, StoredEvent};

/// Cheap to clone; all clones share one index.
#[derive(Clone, Default)]
pub struct Index {
    inner: Arc<RwLock<State>>,
    /// Status resources of recent `POST`s (id → status JSON), newest last, bounded.
    statuses: Arc<Mutex<VecDeque<(String, Value)>>>,
}

/// How many status resources are kept (a `POST` is complete when answered, so they are for the record).
const MAX_STATUSES: usize = 1000;

#[derive(Default)]
pub struct State {
    upto: EventId,
    /// Every create/update event: (event id, STIX id), ascending.
    pub log: Vec<(EventId, Arc<str>)>,
    /// Live objects only: the events that added each of their versions, ascending.
    pub versions: HashMap<Arc<str>, Vec<EventId>>,
}

impl State {
    /// Whether the entry is a version of a live object (not deleted since).
    #[must_use]
    pub fn live_versions(&self, stix_id: &str) -> Option<&[EventId]> {
        self.versions.get(stix_id).map(Vec::as_slice)
    }

    /// Index of the first log entry strictly after `after`.
    #[must_use]
    pub fn position_after(&self, after: EventId) -> usize {
        self.log.partition_point(|(id, _)| *id <= after)
    }
}

impl Index {
    pub fn put_status(&self, id: String, status: Value) {
        let mut list = self
            .statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if list.len() >= MAX_STATUSES {
            list.pop_front();
        }
        list.push_back((id, status));
    }

    #[must_use]
    pub fn status(&self, id: &str) -> Option<Value> {
        let list = self
            .statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        list.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone())
    }

    /// Catches up with the store's durable head (blocking) and returns a read view.
    pub fn read(&self, store: &Store) -> Result<RwLockReadGuard<'_, State>, StoreError> {
        let head = store.durable_head();
        let behind = self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .upto
            < head;
        if behind {
            let mut state = self
                .inner
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            loop {
                let events = store.read_events(state.upto, head, 5000)?;
                let Some((last, _)) = events.last() else {
                    break;
                };
                let last = *last;
                for (id, StoredEvent::V1(ev)) in events {
                    let stix: Arc<str> = Arc::from(ev.stix_id.as_str());
                    match ev.kind {
                        // create, update, merge (the target changed)
                        0 | 1 | 3 => {
                            let known = state.versions.get_key_value(&stix).map(|(k, _)| k.clone());
                            let key = known.unwrap_or(stix);
                            state.log.push((id, key.clone()));
                            state.versions.entry(key).or_default().push(id);
                        }
                        _ => {
                            state.versions.remove(&stix);
                        }
                    }
                }
                state.upto = last;
            }
            state.upto = state.upto.max(head);
        }
        Ok(self
            .inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[derive(Deserialize)]
struct Envelope {
    data: Map<String, Value>,
}

/// The STIX object exactly as one event added it (without this hub's OpenCTI extension).
pub fn version_at(store: &Store, id: EventId) -> Result<Option<Map<String, Value>>, StoreError> {
    let Some(StoredEvent::V1(ev)) = store.get_event(id)? else {
        return Ok(None);
    };
    let Ok(Envelope { mut data }) = serde_json::from_slice::<Envelope>(&ev.payload) else {
        return Ok(None);
    };
    let empty = match data.get_mut("extensions") {
        Some(Value::Object(exts)) => {
            exts.remove(crate::stix::opencti::OCTI_EXT);
            exts.is_empty()
        }
        _ => false,
    };
    if empty {
        data.remove("extensions");
    }
    Ok(Some(data))
}
