//! Writing per-stream logs in the ingest transaction: which streams an event enters, under which SSE name.
//! An update that makes an object enter a stream's filter is a `create` there, one that makes it leave is a
//! `delete` (the payload keeps its inner `type: update`), as OpenCTI does (spec §2.5).

use serde_json::{Map, Value};

use super::payload::EventKind;
use crate::filter::{self, FilterGroup};
use crate::store::{EventId, Store, StoreError, StoredStreamEntry, StreamEntryV1, Writer};

/// Flag bits of a stream log entry.
pub const FLAG_TRANSITION: u8 = 0b10;

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
        match FilterGroup::parse(&value) {
            Ok(filter) => out.push(StreamFilter { id: s.id, filter }),
            Err(e) => {
                tracing::error!(stream = %uuid::Uuid::from_bytes(s.id), error = %e, "stored stream filter is invalid; the stream receives nothing")
            }
        }
    }
    Ok(out)
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
                    (false, false) => continue,
                }
            }
            other if now => (other, 0),
            _ => continue,
        };
        let entry = StreamEntryV1 {
            sse_event: sse.code(),
            global_event: id.to_bytes(),
            flags,
        };
        w.append_stream_entry(s.id, id, &StoredStreamEntry::V1(entry))?;
    }
    Ok(())
}
