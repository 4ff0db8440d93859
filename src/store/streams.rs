//! Live stream definitions (`streams` tree) and the per-stream logs (`stream_log`, key = stream id ‖ event id).

use super::records::{self, StoredStream, StoredStreamEntry, StreamEntryV2, StreamV1};
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
        let mut sent = sled::Batch::default();
        for key in t.stream_sent.scan_prefix(id).keys() {
            sent.remove(key?);
        }
        t.stream_sent.apply_batch(sent)?;
        t.db.flush()?;
        self.inner.streams_tx.send_modify(|v| *v += 1);
        Ok(existed)
    }

    /// A receiver that changes whenever a stream definition changes (start/stop/edit/delete).
    #[must_use]
    pub fn subscribe_streams(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.streams_tx.subscribe()
    }

    /// Up to `max` entries of one stream's log with `after < id <= upto` (several entries may share an id:
    /// dependencies carry the id of the event that needed them).
    pub fn read_stream_entries(
        &self,
        stream: [u8; 16],
        after: EventId,
        upto: EventId,
        max: usize,
    ) -> Result<Vec<(EventId, StreamEntryV2)>, StoreError> {
        if after >= upto {
            return Ok(Vec::new());
        }
        let key = |id: EventId, sub: u16| {
            let mut k = stream.to_vec();
            k.extend_from_slice(&id.to_bytes());
            k.extend_from_slice(&sub.to_be_bytes());
            k
        };
        let mut out: Vec<(EventId, StreamEntryV2)> = Vec::new();
        for item in self
            .inner
            .trees
            .stream_log
            .range(key(after.successor(), 0)..=key(upto, u16::MAX))
        {
            let (k, v) = item?;
            let id = k
                .get(16..32)
                .and_then(EventId::from_bytes)
                .ok_or_else(|| StoreError::Corrupt("stream log key".into()))?;
            // Never cut the entries of one event in two: a resume point is a whole event.
            if out.len() >= max && out.last().is_some_and(|(last, _)| *last != id) {
                break;
            }
            let entry = match records::decode(&v, "stream entry")? {
                StoredStreamEntry::V1(e) => StreamEntryV2 {
                    sse_event: e.sse_event,
                    global_event: e.global_event,
                    flags: e.flags,
                    payload: Vec::new(),
                },
                StoredStreamEntry::V2(e) => e,
            };
            out.push((id, entry));
        }
        Ok(out)
    }

    /// First and last entry ids and the number of events of one stream's log.
    pub fn stream_log_info(&self, stream: [u8; 16]) -> Result<super::LogInfo, StoreError> {
        let mut first = None;
        let mut last = None;
        let mut count = 0u64;
        for key in self.inner.trees.stream_log.scan_prefix(stream).keys() {
            let key = key?;
            let id = key.get(16..32).and_then(EventId::from_bytes);
            if first.is_none() {
                first = id;
            }
            if id != last {
                count += 1;
                last = id;
            }
        }
        Ok(super::LogInfo { first, last, count })
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
