//! TAXII 2.1 server logic (no actix here): the version index, query parsing and the page walk that objects,
//! manifest and versions share. Pages are cut by the server's `next` token only (the event id of the last
//! version served), so a client that follows `next` gets every version exactly once (field case B29).

pub mod index;
pub mod query;

use serde_json::{Map, Value};

pub use index::Index;
pub use query::{Allowed, Query, VersionSel};

use crate::store::{EventId, Store, StoreError};

pub const TAXII_MEDIA: &str = "application/taxii+json;version=2.1";
pub const STIX_MEDIA: &str = "application/stix+json;version=2.1";

/// One version of an object, with the event that added it (its `date_added`).
pub struct Item {
    pub added: EventId,
    pub object: Map<String, Value>,
}

pub struct Page {
    pub items: Vec<Item>,
    pub more: bool,
}

/// `date_added` of a version: the time of the event that added it, in RFC 3339 with microseconds (B31).
#[must_use]
pub fn date_added(id: EventId) -> String {
    let ms = crate::stix::format_ms(i64::try_from(id.ms).unwrap_or(i64::MAX));
    match ms.strip_suffix('Z') {
        Some(head) => format!("{head}000Z"),
        None => ms,
    }
}

/// The version of an object: `modified`, else `created`, else its `date_added`.
#[must_use]
pub fn version_of(obj: &Map<String, Value>, added: EventId) -> String {
    obj.get("modified")
        .or_else(|| obj.get("created"))
        .and_then(Value::as_str)
        .map_or_else(|| date_added(added), str::to_owned)
}

/// The STIX version of an object: its `spec_version`; without one, 2.1 for a cyber observable (no `created`
/// nor `modified`) and 2.0 otherwise (a 2.1 SDO/SRO always carries it), as medallion decides.
#[must_use]
pub fn spec_version_of(obj: &Map<String, Value>) -> &str {
    match obj.get("spec_version").and_then(Value::as_str) {
        Some(v) => v,
        None if !obj.contains_key("created") && !obj.contains_key("modified") => "2.1",
        None => "2.0",
    }
}

fn version_ms(obj: &Map<String, Value>, added: EventId) -> Option<i64> {
    crate::stix::Timestamp::parse(&version_of(obj, added))
        .ok()
        .map(|t| t.epoch_ms())
}

/// Walks the versions selected by `q` (all objects, or one object's versions when `object` is set) in
/// `date_added` order, keeping those `accept` lets through (the collection's filter and the reader's
/// access, which may also cut references the reader may not follow). An older version is only served while the object's current version is itself accepted.
pub fn page(
    index: &Index,
    store: &Store,
    q: &Query,
    object: Option<&str>,
    accept: &dyn Fn(&mut Map<String, Value>) -> bool,
) -> Result<Page, StoreError> {
    let state = index.read(store)?;
    let mut after = q.next.unwrap_or(EventId::ZERO);
    if let Some(t) = q.added_after_ms {
        after = after.max(EventId::new(u64::try_from(t).unwrap_or(0), u64::MAX));
    }
    let single: Vec<(EventId, std::sync::Arc<str>)>;
    let candidates: &[(EventId, std::sync::Arc<str>)] = match object {
        Some(id) => {
            single = state
                .versions
                .get_key_value(id)
                .map(|(k, v)| {
                    v.iter()
                        .filter(|e| **e > after)
                        .map(|e| (*e, k.clone()))
                        .collect()
                })
                .unwrap_or_default();
            &single
        }
        None => state.log.get(state.position_after(after)..).unwrap_or(&[]),
    };
    let sel = &q.versions;
    let mut out = Page {
        items: Vec::new(),
        more: false,
    };
    for (added, sid) in candidates {
        let Some(versions) = state.live_versions(sid) else {
            continue;
        };
        if versions.binary_search(added).is_err()
            || q.ids
                .as_ref()
                .is_some_and(|ids| !ids.iter().any(|i| **i == **sid))
            || q.types.as_ref().is_some_and(|types| {
                let t = sid.split("--").next().unwrap_or_default();
                !types.iter().any(|x| x == t)
            })
        {
            continue;
        }
        let is_last = versions.last() == Some(added);
        let by_flag =
            sel.all || (sel.last && is_last) || (sel.first && versions.first() == Some(added));
        if !by_flag && sel.at.is_empty() {
            continue;
        }
        let Some(mut obj) = index::version_at(store, *added)? else {
            continue;
        };
        if !by_flag && !version_ms(&obj, *added).is_some_and(|v| sel.at.contains(&v)) {
            continue;
        }
        if let Some(specs) = &q.spec_versions {
            let spec = spec_version_of(&obj);
            if !specs.iter().any(|s| s == spec) {
                continue;
            }
        }
        if !accept(&mut obj) {
            continue;
        }
        if !is_last {
            let current = match versions.last() {
                Some(last) => index::version_at(store, *last)?,
                None => None,
            };
            if !current.is_some_and(|mut c| accept(&mut c)) {
                continue;
            }
        }
        if out.items.len() >= q.limit {
            out.more = true;
            break;
        }
        out.items.push(Item {
            added: *added,
            object: obj,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
