//! Read-only views for the admin pages: counts by type, recent activity, an object's relationships and
//! events. Scans are bounded; they serve a small team's hub, not analytics.

use std::collections::BTreeMap;

use super::records::{self, StoredEvent, StoredObject};
use super::{EventId, Store, StoreError};

impl Store {
    /// Number of stored objects per STIX type (from the keys alone).
    pub fn count_by_type(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for key in self.inner.trees.objects.iter().keys() {
            let key = key?;
            let text = String::from_utf8_lossy(&key);
            let t = text.split("--").next().unwrap_or_default().to_string();
            *out.entry(t).or_default() += 1;
        }
        Ok(out)
    }

    /// Object counts by STIX type over the objects whose stored JSON satisfies `keep`.
    pub fn count_by_type_where(
        &self,
        keep: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut out: BTreeMap<String, u64> = BTreeMap::new();
        for item in self.inner.trees.objects.iter() {
            let (k, v) = item?;
            let StoredObject::V1(rec) = records::decode(&v, "object")?;
            if keep(&rec.json) {
                let text = String::from_utf8_lossy(&k);
                let t = text.split("--").next().unwrap_or_default().to_string();
                *out.entry(t).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// The millisecond time of every event at or after `since_ms` (keys only).
    pub fn event_times_since(&self, since_ms: u64) -> Result<Vec<u64>, StoreError> {
        let start = EventId::new(since_ms, 0).to_bytes();
        let mut out = Vec::new();
        for key in self.inner.trees.events.range(start..).keys() {
            if let Some(id) = EventId::from_bytes(&key?) {
                out.push(id.ms);
            }
        }
        Ok(out)
    }

    /// The latest events about `stix_id`, newest first: up to `max`, looking at most at the last `scan`
    /// events of the log.
    pub fn recent_events_of(
        &self,
        stix_id: &str,
        scan: usize,
        max: usize,
    ) -> Result<Vec<(EventId, StoredEvent)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.events.iter().rev().take(scan) {
            let (k, v) = item?;
            let ev: StoredEvent = records::decode(&v, "event")?;
            let StoredEvent::V1(e) = &ev;
            if e.stix_id == stix_id {
                if let Some(id) = EventId::from_bytes(&k) {
                    out.push((id, ev));
                }
                if out.len() >= max {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Stored objects of one type whose JSON satisfies `keep`, in id order, up to `max`.
    pub fn scan_objects(
        &self,
        prefix: &str,
        max: usize,
        keep: &mut dyn FnMut(&str, &[u8]) -> bool,
    ) -> Result<Vec<(String, StoredObject)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.objects.scan_prefix(prefix.as_bytes()) {
            let (k, v) = item?;
            let id = String::from_utf8_lossy(&k).into_owned();
            let StoredObject::V1(rec) = records::decode(&v, "object")?;
            if keep(&id, &rec.json) {
                out.push((id, StoredObject::V1(rec)));
                if out.len() >= max {
                    break;
                }
            }
        }
        Ok(out)
    }
}

impl Store {
    /// `(updated_at ms, STIX id)` of every object updated within `[from_ms, upto_ms]`, in that order (then by id).
    pub fn objects_updated_between(
        &self,
        from_ms: i64,
        upto_ms: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.objects.iter() {
            let (k, v) = item?;
            let StoredObject::V1(rec) = records::decode(&v, "object")?;
            if (from_ms..=upto_ms).contains(&rec.updated_at_ms) {
                out.push((rec.updated_at_ms, String::from_utf8_lossy(&k).into_owned()));
            }
        }
        out.sort();
        Ok(out)
    }
}
