//! Log retention: keep the latest `keep` events of the global log (0 = keep everything). Trimming removes the
//! oldest events and the per-stream entries that point at them, and records the last trimmed id, so a reader
//! asking for a position older than what is kept gets a snapshot first instead of a silent skip (B03).

use std::sync::atomic::Ordering;

use super::{meta_keys, EventId, Store, StoreError};

const META_TRIMMED: &[u8] = b"trimmed_through";

impl Store {
    /// Sets how many events of the global log to keep (0 = all). Set once at start.
    pub fn set_retention(&self, keep: u64) {
        self.inner.retention.store(keep, Ordering::Relaxed);
    }

    /// The newest event id removed by retention, if any was.
    pub fn trimmed_through(&self) -> Result<Option<EventId>, StoreError> {
        Ok(self
            .inner
            .trees
            .meta
            .get(META_TRIMMED)?
            .and_then(|v| EventId::from_bytes(&v)))
    }

    /// Trims the log once it exceeds the retention by a tenth (at least 100 events), back to the retention.
    /// Returns how many events were removed. Holds the single writer meanwhile.
    pub fn enforce_retention(&self) -> Result<u64, StoreError> {
        let keep = self.inner.retention.load(Ordering::Relaxed);
        if keep == 0 {
            return Ok(0);
        }
        let slack = (keep / 10).max(100);
        if self.log_info()?.count <= keep + slack {
            return Ok(0);
        }
        let _writer = self.writer();
        let t = &self.inner.trees;
        let total = t.events.len() as u64;
        if total <= keep {
            return Ok(0);
        }
        let remove = total - keep;
        let Some(cut) = t
            .events
            .iter()
            .keys()
            .nth(usize::try_from(remove - 1).unwrap_or(usize::MAX))
            .transpose()?
            .and_then(|k| EventId::from_bytes(&k))
        else {
            return Ok(0);
        };
        // Recorded first: from now on a reader at or below `cut` is served a snapshot.
        t.meta.insert(META_TRIMMED, &cut.to_bytes())?;
        t.meta.flush()?;
        let mut batch = sled::Batch::default();
        for key in t.events.range(..=cut.to_bytes()).keys() {
            batch.remove(key?);
        }
        t.events.apply_batch(batch)?;
        for s in self.list_streams()? {
            let mut batch = sled::Batch::default();
            let mut upto = s.id.to_vec();
            upto.extend_from_slice(&cut.to_bytes());
            upto.extend_from_slice(&[0xff, 0xff]);
            for key in t.stream_log.range(s.id.to_vec()..=upto).keys() {
                batch.remove(key?);
            }
            t.stream_log.apply_batch(batch)?;
        }
        let (_, count_key) = meta_keys();
        t.meta
            .insert(count_key, &(t.events.len() as u64).to_be_bytes())?;
        t.db.flush()?;
        tracing::info!(removed = remove, through = %cut, "log retention: trimmed the oldest events");
        Ok(remove)
    }
}
