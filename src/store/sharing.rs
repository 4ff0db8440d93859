//! TAXII collection (`collections` tree) and CSV feed (`feeds` tree) definitions, key = id.

use super::records::{self, CollectionV1, FeedV1, StoredCollection, StoredFeed};
use super::{Store, StoreError};

impl Store {
    pub fn put_collection(&self, c: &CollectionV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.collections
            .insert(c.id, records::encode(&StoredCollection::V1(c.clone()))?)?;
        t.collections.flush()?;
        Ok(())
    }

    pub fn get_collection(&self, id: [u8; 16]) -> Result<Option<CollectionV1>, StoreError> {
        let Some(v) = self.inner.trees.collections.get(id)? else {
            return Ok(None);
        };
        let StoredCollection::V1(c) = records::decode(&v, "collection")?;
        Ok(Some(c))
    }

    /// All collections, oldest first.
    pub fn list_collections(&self) -> Result<Vec<CollectionV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.collections.iter() {
            let (_, v) = item?;
            let StoredCollection::V1(c) = records::decode(&v, "collection")?;
            out.push(c);
        }
        out.sort_by_key(|c| (c.created_at_ms, c.id));
        Ok(out)
    }

    pub fn delete_collection(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        let existed = t.collections.remove(id)?.is_some();
        t.collections.flush()?;
        Ok(existed)
    }

    pub fn put_feed(&self, f: &FeedV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.feeds
            .insert(f.id, records::encode(&StoredFeed::V1(f.clone()))?)?;
        t.feeds.flush()?;
        Ok(())
    }

    pub fn get_feed(&self, id: [u8; 16]) -> Result<Option<FeedV1>, StoreError> {
        let Some(v) = self.inner.trees.feeds.get(id)? else {
            return Ok(None);
        };
        let StoredFeed::V1(f) = records::decode(&v, "feed")?;
        Ok(Some(f))
    }

    /// All feeds, oldest first.
    pub fn list_feeds(&self) -> Result<Vec<FeedV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.feeds.iter() {
            let (_, v) = item?;
            let StoredFeed::V1(f) = records::decode(&v, "feed")?;
            out.push(f);
        }
        out.sort_by_key(|f| (f.created_at_ms, f.id));
        Ok(out)
    }

    pub fn delete_feed(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        let existed = t.feeds.remove(id)?.is_some();
        t.feeds.flush()?;
        Ok(existed)
    }
}
