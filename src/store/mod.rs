//! Storage: the only module that sees sled and bincode. The rest of the hub uses typed methods.
//!
//! Trees: `meta` (schema version, hub id, last event id, advertised id, event count), `objects` (STIX id →
//! current version), `events` (global log, key = event id), `stream_log` (stream id ‖ event id → entry),
//! `users`, `groups`, `tokens` (key = SHA-256 of the token), `sessions` (key = SHA-256 of the cookie),
//! `streams` (definitions), `stream_sent` (stream id ‖ STIX id of every object already emitted to a stream, so
//! dependencies go out once per stream), `collections` (TAXII) and `feeds` (CSV) definitions,
//! `synchronizers` (definitions, token included) and `sync_state` (each synchronizer's cursor, written with
//! its batches).

mod accounts;
mod baseline;
mod browse;
mod clock;
mod event_id;
pub mod records;
mod retention;
mod sharing;
mod streams;
mod synchronizers;
mod writer;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use uuid::Uuid;

pub use accounts::ADMIN_GROUP_ID;
pub use baseline::raw_sled_writes;
pub use clock::{now_ms, IdClock};
pub use event_id::EventId;
pub use records::{
    CollectionV1, EventV1, FeedV1, GroupV1, ObjectV1, ParkedV1, SessionV1, StoredEvent,
    StoredObject, StoredStreamEntry, StoredSyncState, StreamEntryV1, StreamEntryV2, StreamV1,
    SyncErrorV1, SyncStateV1, SynchronizerV1, TokenV1, UserV1, UserV2,
};
pub use writer::Writer;

/// Bumped when the layout changes; a hub refuses to open a database written by a newer one.
pub const SCHEMA_VERSION: u32 = 1;

const META_SCHEMA: &[u8] = b"schema_version";
const META_HUB_ID: &[u8] = b"hub_id";
const META_LAST_EVENT: &[u8] = b"last_event_id";
const META_ADVERTISED: &[u8] = b"advertised_event_id";
const META_EVENT_COUNT: &[u8] = b"event_count";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage I/O error: {0}")]
    Io(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("the data directory was written by a newer stixhub (schema {found}, this build knows {known})")]
    NewerSchema { found: u32, known: u32 },
    #[error("the data directory {0} is in use by another stixhub process")]
    Locked(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Io(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(inner) => inner,
            sled::transaction::TransactionError::Storage(s) => StoreError::Io(s.to_string()),
        }
    }
}

pub(crate) struct Trees {
    pub db: sled::Db,
    pub meta: sled::Tree,
    pub objects: sled::Tree,
    pub events: sled::Tree,
    pub stream_log: sled::Tree,
    pub users: sled::Tree,
    pub tokens: sled::Tree,
    pub groups: sled::Tree,
    pub sessions: sled::Tree,
    pub streams: sled::Tree,
    pub stream_sent: sled::Tree,
    pub synchronizers: sled::Tree,
    pub sync_state: sled::Tree,
    pub collections: sled::Tree,
    pub feeds: sled::Tree,
}

struct Inner {
    trees: Trees,
    hub_id: Uuid,
    clock: Mutex<IdClock>,
    write_lock: Mutex<()>,
    head_tx: watch::Sender<EventId>,
    streams_tx: watch::Sender<u64>,
    sync_tx: watch::Sender<u64>,
    /// Events of the global log to keep (0 = all); see `retention.rs`.
    retention: std::sync::atomic::AtomicU64,
}

/// Cheap to clone; all clones share one database.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

/// Summary of the global log for the SSE `connected` message.
#[derive(Debug, Clone, Copy)]
pub struct LogInfo {
    pub first: Option<EventId>,
    pub last: Option<EventId>,
    pub count: u64,
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("lock")
                    || text.contains("WouldBlock")
                    || text.contains("Resource temporarily")
                {
                    StoreError::Locked(dir.display().to_string())
                } else {
                    StoreError::Io(text)
                }
            })?;
        let trees = Trees {
            meta: db.open_tree("meta")?,
            objects: db.open_tree("objects")?,
            events: db.open_tree("events")?,
            stream_log: db.open_tree("stream_log")?,
            users: db.open_tree("users")?,
            tokens: db.open_tree("tokens")?,
            groups: db.open_tree("groups")?,
            sessions: db.open_tree("sessions")?,
            streams: db.open_tree("streams")?,
            stream_sent: db.open_tree("stream_sent")?,
            synchronizers: db.open_tree("synchronizers")?,
            sync_state: db.open_tree("sync_state")?,
            collections: db.open_tree("collections")?,
            feeds: db.open_tree("feeds")?,
            db,
        };
        let hub_id = init_meta(&trees.meta)?;
        let read_id = |key: &[u8]| -> Result<EventId, StoreError> {
            Ok(trees
                .meta
                .get(key)?
                .and_then(|v| EventId::from_bytes(&v))
                .unwrap_or(EventId::ZERO))
        };
        let last = read_id(META_LAST_EVENT)?;
        let advertised = read_id(META_ADVERTISED)?;
        let (head_tx, _) = watch::channel(last);
        let (streams_tx, _) = watch::channel(0);
        let (sync_tx, _) = watch::channel(0);
        Ok(Store {
            inner: Arc::new(Inner {
                hub_id,
                clock: Mutex::new(IdClock::new(last, advertised)),
                write_lock: Mutex::new(()),
                head_tx,
                streams_tx,
                sync_tx,
                retention: std::sync::atomic::AtomicU64::new(0),
                trees,
            }),
        })
    }

    #[must_use]
    pub fn hub_id(&self) -> Uuid {
        self.inner.hub_id
    }

    /// Takes the single writer (blocking: call from a blocking thread). Writes are serialized so event ids
    /// follow commit order.
    pub fn writer(&self) -> Writer<'_> {
        let guard = self
            .inner
            .write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Writer::new(
            &self.inner.trees,
            &self.inner.clock,
            &self.inner.head_tx,
            guard,
        )
    }

    /// The highest event id that is durable and readable; ids above it are not yet acknowledged.
    #[must_use]
    pub fn durable_head(&self) -> EventId {
        *self.inner.head_tx.borrow()
    }

    /// A receiver that changes whenever new events become durable.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<EventId> {
        self.inner.head_tx.subscribe()
    }

    /// Returns an id that is a valid resume point "now": every event at or below it is durable, and every
    /// event written later gets a greater id. Used by heartbeats.
    #[must_use]
    pub fn advertise_now(&self) -> EventId {
        let (id, persist) = {
            let mut clock = self
                .inner
                .clock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            clock.advertise(clock::now_ms())
        };
        if persist {
            // Not flushed on purpose: the background flush (500 ms) is enough, the clock is ahead anyway.
            let _ = self
                .inner
                .trees
                .meta
                .insert(META_ADVERTISED, &id.to_bytes());
        }
        id
    }

    pub fn get_object(&self, stix_id: &str) -> Result<Option<StoredObject>, StoreError> {
        self.inner
            .trees
            .objects
            .get(stix_id.as_bytes())?
            .map(|v| records::decode(&v, "object"))
            .transpose()
    }

    /// Objects in id order, optionally of one type, strictly after `after`. Returns up to `limit`.
    pub fn list_objects(
        &self,
        stix_type: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, StoredObject)>, StoreError> {
        let prefix = stix_type.map(|t| format!("{t}--")).unwrap_or_default();
        let start: Vec<u8> = match after {
            Some(a) if a.as_bytes() >= prefix.as_bytes() => {
                let mut k = a.as_bytes().to_vec();
                k.push(0);
                k
            }
            _ => prefix.as_bytes().to_vec(),
        };
        let mut out = Vec::new();
        for item in self.inner.trees.objects.range(start..) {
            let (k, v) = item?;
            if !k.starts_with(prefix.as_bytes()) || out.len() >= limit {
                break;
            }
            let id = String::from_utf8_lossy(&k).into_owned();
            out.push((id, records::decode(&v, "object")?));
        }
        Ok(out)
    }

    #[must_use]
    pub fn object_count(&self) -> usize {
        self.inner.trees.objects.len()
    }

    /// Up to `max` events with `after < id <= upto`, in log order; stops early once the payloads read reach
    /// `max_bytes` (at least one event is returned), so a reader never holds more than about that much.
    pub fn read_events_bounded(
        &self,
        after: EventId,
        upto: EventId,
        max: usize,
        max_bytes: usize,
    ) -> Result<Vec<(EventId, StoredEvent)>, StoreError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let start = after.successor().to_bytes();
        let end = upto.to_bytes();
        let mut out = Vec::with_capacity(max.min(1024));
        let mut bytes = 0usize;
        for item in self.inner.trees.events.range(start..=end) {
            let (k, v) = item?;
            let id =
                EventId::from_bytes(&k).ok_or_else(|| StoreError::Corrupt("event key".into()))?;
            bytes += v.len();
            out.push((id, records::decode(&v, "event")?));
            if out.len() >= max || bytes >= max_bytes {
                break;
            }
        }
        Ok(out)
    }

    /// Up to `max` events with `after < id <= upto`, in log order.
    pub fn read_events(
        &self,
        after: EventId,
        upto: EventId,
        max: usize,
    ) -> Result<Vec<(EventId, StoredEvent)>, StoreError> {
        self.read_events_bounded(after, upto, max, usize::MAX)
    }

    pub fn log_info(&self) -> Result<LogInfo, StoreError> {
        let t = &self.inner.trees;
        let first = t.events.first()?.and_then(|(k, _)| EventId::from_bytes(&k));
        let last = t.events.last()?.and_then(|(k, _)| EventId::from_bytes(&k));
        let count = t.meta.get(META_EVENT_COUNT)?.map_or(0, |v| u64_from(&v));
        Ok(LogInfo { first, last, count })
    }

    /// Flushes everything to disk (shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.trees.db.flush()?;
        Ok(())
    }

    /// How many handles share this database (this one included). The database, and its lock on the data
    /// directory, is released when the last one is dropped.
    pub fn handles(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// Bytes used on disk by the database.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.inner.trees.db.size_on_disk()?)
    }
}

fn init_meta(meta: &sled::Tree) -> Result<Uuid, StoreError> {
    match meta.get(META_SCHEMA)? {
        Some(v) => {
            let found = u32::try_from(u64_from(&v)).unwrap_or(u32::MAX);
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    found,
                    known: SCHEMA_VERSION,
                });
            }
        }
        None => {
            meta.insert(META_SCHEMA, &u64::from(SCHEMA_VERSION).to_be_bytes())?;
        }
    }
    let hub_id = match meta.get(META_HUB_ID)? {
        Some(v) => Uuid::from_slice(&v).map_err(|e| StoreError::Corrupt(format!("hub id: {e}")))?,
        None => {
            let id = Uuid::new_v4();
            meta.insert(META_HUB_ID, id.as_bytes())?;
            id
        }
    };
    meta.flush()?;
    Ok(hub_id)
}

pub(crate) fn u64_from(bytes: &[u8]) -> u64 {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

pub(crate) const fn meta_keys() -> (&'static [u8], &'static [u8]) {
    (META_LAST_EVENT, META_EVENT_COUNT)
}

#[cfg(test)]
mod tests;
