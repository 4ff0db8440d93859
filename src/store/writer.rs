//! The single writer: stages a batch, then commits it in ONE sled transaction across trees, flushes, and
//! only then lets readers see it.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use sled::transaction::{ConflictableTransactionError, Transactional};
use tokio::sync::watch;

use super::records::{self, StoredEvent, StoredObject, StoredStreamEntry, StoredSyncState};
use super::{clock, meta_keys, u64_from, EventId, IdClock, StoreError, Trees};

enum ObjectOp {
    Put(Vec<u8>),
    Delete,
}

pub struct Writer<'a> {
    trees: &'a Trees,
    clock: &'a Mutex<IdClock>,
    head_tx: &'a watch::Sender<EventId>,
    _guard: MutexGuard<'a, ()>,
    objects: Vec<(String, ObjectOp)>,
    /// Index into `objects` of the latest staged op per id (reads inside a batch see staged writes).
    staged: HashMap<String, usize>,
    staged_values: HashMap<String, Option<StoredObject>>,
    events: Vec<(EventId, Vec<u8>)>,
    stream_entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Sub-sequence of the next entry per (stream, event): dependencies share their trigger's event id.
    entry_seq: HashMap<([u8; 16], EventId), u16>,
    /// (stream ‖ STIX id) already emitted to a stream, staged in this batch.
    sent: std::collections::HashSet<Vec<u8>>,
    /// Synchronizer progress (id → state) committed with the objects it applied.
    sync_states: Vec<([u8; 16], Vec<u8>)>,
    allocated: bool,
}

impl<'a> Writer<'a> {
    pub(super) fn new(
        trees: &'a Trees,
        clock: &'a Mutex<IdClock>,
        head_tx: &'a watch::Sender<EventId>,
        guard: MutexGuard<'a, ()>,
    ) -> Self {
        Self {
            trees,
            clock,
            head_tx,
            _guard: guard,
            objects: Vec::new(),
            staged: HashMap::new(),
            staged_values: HashMap::new(),
            events: Vec::new(),
            stream_entries: Vec::new(),
            entry_seq: HashMap::new(),
            sent: std::collections::HashSet::new(),
            sync_states: Vec::new(),
            allocated: false,
        }
    }

    /// The current version of an object, including writes staged in this batch.
    pub fn get_object(&self, stix_id: &str) -> Result<Option<StoredObject>, StoreError> {
        if let Some(v) = self.staged_values.get(stix_id) {
            return Ok(v.clone());
        }
        self.trees
            .objects
            .get(stix_id.as_bytes())?
            .map(|v| records::decode(&v, "object"))
            .transpose()
    }

    pub fn put_object(&mut self, stix_id: &str, object: StoredObject) -> Result<(), StoreError> {
        let bytes = records::encode(&object)?;
        self.stage(stix_id, ObjectOp::Put(bytes), Some(object));
        Ok(())
    }

    pub fn delete_object(&mut self, stix_id: &str) {
        self.stage(stix_id, ObjectOp::Delete, None);
    }

    fn stage(&mut self, stix_id: &str, op: ObjectOp, value: Option<StoredObject>) {
        if let Some(&i) = self.staged.get(stix_id) {
            self.objects[i].1 = op;
        } else {
            self.staged.insert(stix_id.to_owned(), self.objects.len());
            self.objects.push((stix_id.to_owned(), op));
        }
        self.staged_values.insert(stix_id.to_owned(), value);
    }

    /// Allocates the next event id; the event must then be appended with [`Writer::append_event`].
    pub fn next_event_id(&mut self) -> EventId {
        self.allocated = true;
        let mut c = self
            .clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.allocate(clock::now_ms())
    }

    pub fn append_event(&mut self, id: EventId, event: &StoredEvent) -> Result<(), StoreError> {
        self.events.push((id, records::encode(event)?));
        Ok(())
    }

    /// Appends an entry to one stream's log: key = stream id ‖ event id ‖ sub-sequence (u16, in append order).
    pub fn append_stream_entry(
        &mut self,
        stream_id: [u8; 16],
        id: EventId,
        entry: &StoredStreamEntry,
    ) -> Result<(), StoreError> {
        let seq = self.entry_seq.entry((stream_id, id)).or_insert(0);
        let mut key = stream_id.to_vec();
        key.extend_from_slice(&id.to_bytes());
        key.extend_from_slice(&seq.to_be_bytes());
        *seq = seq.saturating_add(1);
        self.stream_entries.push((key, records::encode(entry)?));
        Ok(())
    }

    /// Whether an object was already emitted to a stream (as itself or as a dependency).
    pub fn was_sent(&self, stream_id: [u8; 16], stix_id: &str) -> Result<bool, StoreError> {
        let key = sent_key(stream_id, stix_id);
        Ok(self.sent.contains(&key) || self.trees.stream_sent.contains_key(&key)?)
    }

    /// Records that an object was emitted to a stream.
    pub fn mark_sent(&mut self, stream_id: [u8; 16], stix_id: &str) {
        self.sent.insert(sent_key(stream_id, stix_id));
    }

    /// Stages a synchronizer's new progress, written in the same transaction as the batch it applied.
    pub fn put_sync_state(
        &mut self,
        sync_id: [u8; 16],
        state: &StoredSyncState,
    ) -> Result<(), StoreError> {
        self.sync_states.push((sync_id, records::encode(state)?));
        Ok(())
    }

    /// Ids of the objects written or deleted in this batch so far.
    pub fn staged_ids(&self) -> impl Iterator<Item = &str> {
        self.staged.keys().map(String::as_str)
    }

    /// Number of staged object writes.
    #[must_use]
    pub fn staged_len(&self) -> usize {
        self.objects.len()
    }

    /// Commits everything staged in one transaction, flushes, then publishes the new durable head.
    pub fn commit(mut self) -> Result<EventId, StoreError> {
        self.commit_staged()
    }

    /// Commits what is staged so far and keeps the writer (long jobs commit in steps without letting another
    /// writer in between).
    pub fn commit_staged(&mut self) -> Result<EventId, StoreError> {
        let result = self.commit_inner();
        self.finish();
        result?;
        // Settle and publish under the clock lock, so a heartbeat that advertises "now" never runs between
        // the two and promises an id a reader has not been able to see.
        let mut c = self
            .clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let head = c.settle();
        self.allocated = false;
        self.head_tx.send_if_modified(|h| {
            let changed = *h != head;
            *h = head;
            changed
        });
        Ok(head)
    }

    /// Empties one stream's log and its "already sent" set (before it is written again from the global log).
    pub fn reset_stream(&mut self, stream_id: [u8; 16]) -> Result<(), StoreError> {
        let t = self.trees;
        for tree in [&t.stream_log, &t.stream_sent] {
            let mut batch = sled::Batch::default();
            for key in tree.scan_prefix(stream_id).keys() {
                batch.remove(key?);
            }
            tree.apply_batch(batch)?;
        }
        Ok(())
    }

    fn commit_inner(&mut self) -> Result<(), StoreError> {
        if self.objects.is_empty()
            && self.events.is_empty()
            && self.stream_entries.is_empty()
            && self.sent.is_empty()
            && self.sync_states.is_empty()
        {
            return Ok(());
        }
        let t = self.trees;
        let (last_key, count_key) = meta_keys();
        let objects = &self.objects;
        let events = &self.events;
        let entries = &self.stream_entries;
        let sent = &self.sent;
        let sync_states = &self.sync_states;
        (
            &t.objects,
            &t.events,
            &t.stream_log,
            &t.meta,
            &t.stream_sent,
            &t.sync_state,
        )
            .transaction(|(o, e, s, m, d, y)| {
                for (id, op) in objects {
                    match op {
                        ObjectOp::Put(bytes) => o.insert(id.as_bytes(), bytes.as_slice())?,
                        ObjectOp::Delete => o.remove(id.as_bytes())?,
                    };
                }
                for (id, bytes) in events {
                    e.insert(&id.to_bytes(), bytes.as_slice())?;
                }
                for (key, bytes) in entries {
                    s.insert(key.as_slice(), bytes.as_slice())?;
                }
                for key in sent {
                    d.insert(key.as_slice(), &[])?;
                }
                for (id, bytes) in sync_states {
                    y.insert(id, bytes.as_slice())?;
                }
                if let Some((last, _)) = events.last() {
                    m.insert(last_key, &last.to_bytes())?;
                    let count = m.get(count_key)?.map_or(0, |v| u64_from(&v)) + events.len() as u64;
                    m.insert(count_key, &count.to_be_bytes())?;
                }
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })?;
        t.db.flush()?;
        Ok(())
    }

    fn finish(&mut self) {
        self.objects.clear();
        self.events.clear();
        self.stream_entries.clear();
        self.entry_seq.clear();
        self.sent.clear();
        self.sync_states.clear();
        self.staged.clear();
        self.staged_values.clear();
    }
}

fn sent_key(stream_id: [u8; 16], stix_id: &str) -> Vec<u8> {
    let mut key = stream_id.to_vec();
    key.extend_from_slice(stix_id.as_bytes());
    key
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        // An abandoned batch never became visible; its ids are simply skipped.
        if self.allocated {
            let mut c = self
                .clock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c.settle();
        }
    }
}
