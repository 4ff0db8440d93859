//! Raw sled writes of given bytes, the baseline the benchmark compares durable ingest against.

use std::path::Path;
use std::time::{Duration, Instant};

use super::StoreError;

/// Writes `values` into a fresh sled database in `dir` (key = index), one batch and one flush per `chunk`
/// values, the same durability the hub gives an import. Returns the time taken by the writes.
pub fn raw_sled_writes(dir: &Path, values: &[&[u8]], chunk: usize) -> Result<Duration, StoreError> {
    let db = sled::open(dir)?;
    let tree = db.open_tree("raw")?;
    let start = Instant::now();
    for (c, part) in values.chunks(chunk.max(1)).enumerate() {
        let mut batch = sled::Batch::default();
        for (i, v) in part.iter().enumerate() {
            batch.insert(&((c * chunk + i) as u64).to_be_bytes(), *v);
        }
        tree.apply_batch(batch)?;
        db.flush()?;
    }
    Ok(start.elapsed())
}
