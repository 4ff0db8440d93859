//! Live stream definitions (`streams` tree) and the per-stream logs (`stream_log`, key = stream id ‖ event id).

use super::records::{self, StoredStream, StoredStreamEntry, StreamEntryV1, StreamV1};
use super::{EventId, Store, StoreError};

impl Store {
    pub fn put_stream(&self, stream: &StreamV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.streams.insert(
            stream.id,
            records::encode(&StoredStream::V1(stream.clone()))?,
        )?;
        t.streams.flush()?;
        self.inner.streams_tx.send_modify(|v| *v += 1);
        Ok(())
    }

    pub fn get_stream(&self, id: [u8; 16]) -> Result<Option<StreamV1>, StoreError> {
        let Some(v) = self.inner.trees.streams.get(id)? else {
            return Ok(None);
        };
        let StoredStream::V1(s) = records::decode(&v, "stream")?;
        Ok(Some(s))
    }

    /// All streams, oldest first.
    pub fn list_streams(&self) -> Result<Vec<StreamV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.streams.iter() {
            let (_, v) = item?;
            let StoredStream::V1(s) = records::decode(&v, "stream")?;
            out.push(s);
        }
        out.sort_by_key(|s| (s.created_at_ms, s.id));
        Ok(out)
    }

    /// Deletes a stream and its log.
    pub fn delete_stream(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        // Under the writer lock, so no batch appends to the log while it is being removed.
        let _w = self.writer();
        let existed = t.streams.remove(id)?.is_some();
        let mut batch = sled::Batch::default();
        for key in t.stream_log.scan_prefix(id).keys() {
            batch.remove(key?);
        }
        t.stream_log.apply_batch(batch)?;
        t.db.flush()?;
        self.inner.streams_tx.send_modify(|v| *v += 1);
        Ok(existed)
    }

    /// A receiver that changes whenever a stream definition changes (start/stop/edit/delete).
    #[must_use]
    pub fn subscribe_streams(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.streams_tx.subscribe()
    }

    /// Up to `max` entries of one stream's log with `after < id <= upto`.
    pub fn read_stream_entries(
        &self,
        stream: [u8; 16],
        after: EventId,
        upto: EventId,
        max: usize,
    ) -> Result<Vec<(EventId, StreamEntryV1)>, StoreError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let key = |id: EventId| {
            let mut k = stream.to_vec();
            k.extend_from_slice(&id.to_bytes());
            k
        };
        let mut out = Vec::new();
        for item in self
            .inner
            .trees
            .stream_log
            .range(key(after.successor())..=key(upto))
        {
            let (k, v) = item?;
            let id = EventId::from_bytes(&k[16..])
                .ok_or_else(|| StoreError::Corrupt("stream log key".into()))?;
            let StoredStreamEntry::V1(e) = records::decode(&v, "stream entry")?;
            out.push((id, e));
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    /// One event of the global log.
    pub fn get_event(&self, id: EventId) -> Result<Option<super::StoredEvent>, StoreError> {
        self.inner
            .trees
            .events
            .get(id.to_bytes())?
            .map(|v| records::decode(&v, "event"))
            .transpose()
    }
}
