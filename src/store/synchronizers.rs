//! Synchronizer definitions (`synchronizers` tree) and their progress (`sync_state`, written by the batch
//! transaction through [`super::Writer::put_sync_state`]).

use super::records::{self, StoredSyncState, StoredSynchronizer, SyncStateV1, SynchronizerV1};
use super::{Store, StoreError};

impl Store {
    pub fn put_synchronizer(&self, sync: &SynchronizerV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.synchronizers.insert(
            sync.id,
            records::encode(&StoredSynchronizer::V1(sync.clone()))?,
        )?;
        t.synchronizers.flush()?;
        self.inner.sync_tx.send_modify(|v| *v += 1);
        Ok(())
    }

    pub fn get_synchronizer(&self, id: [u8; 16]) -> Result<Option<SynchronizerV1>, StoreError> {
        let Some(v) = self.inner.trees.synchronizers.get(id)? else {
            return Ok(None);
        };
        let StoredSynchronizer::V1(s) = records::decode(&v, "synchronizer")?;
        Ok(Some(s))
    }

    /// All synchronizers, oldest first.
    pub fn list_synchronizers(&self) -> Result<Vec<SynchronizerV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.synchronizers.iter() {
            let (_, v) = item?;
            let StoredSynchronizer::V1(s) = records::decode(&v, "synchronizer")?;
            out.push(s);
        }
        out.sort_by_key(|s| (s.created_at_ms, s.id));
        Ok(out)
    }

    /// Deletes a synchronizer and its progress.
    pub fn delete_synchronizer(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        // Under the writer lock, so no batch of it commits in between.
        let existed = {
            let _w = self.writer();
            let existed = t.synchronizers.remove(id)?.is_some();
            t.sync_state.remove(id)?;
            t.db.flush()?;
            existed
        };
        self.inner.sync_tx.send_modify(|v| *v += 1);
        Ok(existed)
    }

    /// Forgets a synchronizer's progress (its remote or start position changed).
    pub fn reset_sync_state(&self, id: [u8; 16]) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        let _w = self.writer();
        t.sync_state.remove(id)?;
        t.sync_state.flush()?;
        Ok(())
    }

    pub fn get_sync_state(&self, id: [u8; 16]) -> Result<SyncStateV1, StoreError> {
        let Some(v) = self.inner.trees.sync_state.get(id)? else {
            return Ok(SyncStateV1::default());
        };
        let StoredSyncState::V1(s) = records::decode(&v, "sync state")?;
        Ok(s)
    }

    /// A receiver that changes whenever a synchronizer definition changes.
    #[must_use]
    pub fn subscribe_synchronizers(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.sync_tx.subscribe()
    }
}
