//! OpenCTI deletes the relationships of a deleted entity without events of their own (spec §1.8), so a
//! consumer has to do it: the relationships and sightings that point at a deleted object.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::store::{Store, StoreError, StoredObject, Writer};

/// Objects that cannot exist without `stix_id`: relationships whose end it is, sightings of it.
pub fn dependents(store: &Store, w: &Writer<'_>, stix_id: &str) -> Result<Vec<String>, StoreError> {
    // Stored ones, and those written in this batch (not in the tree yet).
    let mut candidates: BTreeSet<String> = w
        .staged_ids()
        .filter(|id| id.starts_with("relationship--") || id.starts_with("sighting--"))
        .map(str::to_owned)
        .collect();
    for kind in ["relationship", "sighting"] {
        let mut after: Option<String> = None;
        loop {
            let page = store.list_objects(Some(kind), after.as_deref(), 1000)?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after = Some(last.clone());
            candidates.extend(page.into_iter().map(|(id, _)| id));
        }
    }
    let mut out = Vec::new();
    for id in candidates {
        // The batch's view: an object changed or deleted in this batch counts as it is now.
        let Some(StoredObject::V1(rec)) = w.get_object(&id)? else {
            continue;
        };
        let Ok(obj) = serde_json::from_slice::<serde_json::Map<String, Value>>(&rec.json) else {
            continue;
        };
        let points_at = ["source_ref", "target_ref", "sighting_of_ref"]
            .iter()
            .any(|k| obj.get(*k).and_then(Value::as_str) == Some(stix_id));
        if points_at {
            out.push(id);
        }
    }
    Ok(out)
}
