//! Applying a batch of remote events (spec §4.4, §4.7): one store transaction holds the objects, our own events
//! and stream entries (so our streams re-publish them) and the synchronizer's new cursor.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::sse::Event;
use crate::knowledge::{self, streams, Origin, PendingEvent};
use crate::stix::{self, PrepareOptions};
use crate::store::{
    now_ms, ParkedV1, Store, StoreError, StoredSyncState, SyncErrorV1, SyncStateV1, SynchronizerV1,
    Writer,
};

/// Records kept in the visible error list.
const MAX_ERRORS: usize = 100;
/// Objects waiting for a reference at most.
const MAX_PARKED: usize = 10_000;
/// Batches with data a parked object waits for its missing references before it is given up.
pub const MAX_PARK_BATCHES: u32 = 5;

/// Who applies: this hub, this synchronizer (as it was defined when its task started).
pub struct Ctx {
    pub sync_id: [u8; 16],
    pub def: SynchronizerV1,
    pub hub_id: String,
    pub max_object_bytes: usize,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    version: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(default)]
    origin: Option<Value>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    context: Option<Value>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

/// Whether a frame is a resume point: a heartbeat, or a data event that is not a dependency (dependencies
/// share the id of the event that needed them and come before it, so the cursor never stops between them).
#[must_use]
pub fn is_resume_point(e: &Event) -> bool {
    match e.event.as_str() {
        "heartbeat" => e.id.is_some(),
        "create" | "update" | "delete" | "merge" => {
            #[derive(Deserialize)]
            struct Kind<'a> {
                #[serde(default, borrow, rename = "type")]
                kind: Option<&'a RawValue>,
            }
            e.id.is_some()
                && serde_json::from_str::<Kind<'_>>(&e.data).map_or(true, |k| k.kind.is_some())
        }
        _ => false,
    }
}

/// `a` > `b` for ids `<ms>-<seq>` (text that does not parse compares as text).
#[must_use]
pub fn id_after(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        let (m, q) = s.split_once('-')?;
        Some((m.parse::<u64>().ok()?, q.parse::<u64>().ok()?))
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x > y,
        _ => a > b,
    }
}

fn advance(cursor: &mut Option<String>, id: Option<&String>) {
    if let Some(id) = id {
        if cursor.as_deref().is_none_or(|c| id_after(id, c)) {
            *cursor = Some(id.clone());
        }
    }
}

fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

fn push_error(state: &mut SyncStateV1, stix_id: Option<String>, error: String) {
    tracing::warn!(id = stix_id.as_deref().unwrap_or("-"), %error, "synchronizer skipped a record");
    state.errors.push(SyncErrorV1 {
        stix_id,
        error,
        at_ms: now(),
    });
    if state.errors.len() > MAX_ERRORS {
        let extra = state.errors.len() - MAX_ERRORS;
        state.errors.drain(..extra);
    }
}

/// References an object cannot exist without (relationship ends, what a sighting is of).
fn required_refs(obj: &Map<String, Value>) -> Vec<String> {
    ["source_ref", "target_ref", "sighting_of_ref"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

fn missing_refs(w: &Writer<'_>, obj: &Map<String, Value>) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for r in required_refs(obj) {
        if w.get_object(&r)?.is_none() {
            out.push(r);
        }
    }
    Ok(out)
}

struct Batch<'w, 's> {
    store: &'s Store,
    w: Writer<'w>,
    ctx: &'s Ctx,
    state: SyncStateV1,
    pending: Vec<PendingEvent>,
    filters: Vec<streams::StreamFilter>,
}

impl Batch<'_, '_> {
    fn origin(&self, upstream: Option<String>) -> Origin {
        Origin {
            hub_id: self.ctx.hub_id.clone(),
            source: format!("sync:{}", uuid::Uuid::from_bytes(self.ctx.sync_id)),
            user_id: None,
            upstream_hub: upstream,
        }
    }

    /// Upserts one object by the normal rules, or parks it while a required reference is missing.
    fn upsert(&mut self, raw: &RawValue, upstream: Option<String>) -> Result<(), StoreError> {
        let opts = PrepareOptions {
            legacy_20: false,
            max_object_bytes: self.ctx.max_object_bytes,
        };
        let p = match stix::prepare(raw, &opts) {
            Ok(p) => p,
            Err(e) => {
                push_error(&mut self.state, e.id, e.reason);
                return Ok(());
            }
        };
        self.state.parked.retain(|x| x.stix_id != p.id);
        if let Some(reason) =
            knowledge::refused_change(&self.w, &p, &crate::auth::Access::everything())?
        {
            push_error(&mut self.state, Some(p.id), reason);
            return Ok(());
        }
        let missing = missing_refs(&self.w, &p.object)?;
        if missing.is_empty() {
            let origin = self.origin(upstream);
            knowledge::apply(&mut self.w, p, &origin, &mut self.pending)?;
        } else if self.state.parked.len() >= MAX_PARKED {
            push_error(
                &mut self.state,
                Some(p.id),
                format!(
                    "missing reference {}; too many objects waiting",
                    missing.join(", ")
                ),
            );
        } else {
            self.state.parked.push(ParkedV1 {
                stix_id: p.id,
                object: raw.get().as_bytes().to_vec(),
                missing,
                attempts: 0,
                upstream_hub: upstream,
            });
        }
        Ok(())
    }

    /// Deletes an object; with `cascade` (an OpenCTI sender, which sends no events for them) also the
    /// relationships and sightings that point at it.
    fn delete(
        &mut self,
        stix_id: &str,
        upstream: Option<String>,
        cascade: bool,
    ) -> Result<(), StoreError> {
        self.state.parked.retain(|x| x.stix_id != stix_id);
        let origin = self.origin(upstream);
        if knowledge::delete_staged(&mut self.w, &self.filters, stix_id, &origin)? && cascade {
            for id in super::cascade::dependents(self.store, &self.w, stix_id)? {
                knowledge::delete_staged(&mut self.w, &self.filters, &id, &origin)?;
            }
        }
        Ok(())
    }

    /// Applies one data event; returns whether it is a resume point (see [`is_resume_point`]).
    fn event(&mut self, e: &Event) -> Result<bool, StoreError> {
        let env: Envelope<'_> = match serde_json::from_str(&e.data) {
            Ok(env) => env,
            Err(err) => {
                let at = e.id.as_deref().unwrap_or("-");
                push_error(
                    &mut self.state,
                    None,
                    format!("event {at}: invalid JSON: {err}"),
                );
                return Ok(true);
            }
        };
        let resume_point = env.kind.is_some();
        // OpenCTI's synchronizer keeps only the current event version.
        if env.version.as_ref().and_then(Value::as_str) != Some("4") {
            return Ok(resume_point);
        }
        let origin_of = |k: &str| {
            env.origin
                .as_ref()
                .and_then(|o| o.get(k))
                .and_then(Value::as_str)
        };
        let upstream = origin_of("upstream_hub")
            .or_else(|| origin_of("hub_id"))
            .map(str::to_owned);
        // A stixhub sender publishes every delete it makes; OpenCTI leaves cascades to its consumers.
        let cascade = origin_of("hub_id").is_none();
        if upstream.as_deref() == Some(self.ctx.hub_id.as_str()) {
            // Our own change coming back from a hub that synchronizes us: already here.
            return Ok(resume_point);
        }
        let Some(data) = env.data else {
            push_error(&mut self.state, None, "event without data".into());
            return Ok(resume_point);
        };
        match e.event.as_str() {
            "delete" => match serde_json::from_str::<IdOnly>(data.get()) {
                Ok(d) => self.delete(&d.id, upstream, cascade)?,
                Err(err) => push_error(&mut self.state, None, format!("delete without id: {err}")),
            },
            "merge" => {
                self.upsert(data, upstream.clone())?;
                let sources = env
                    .context
                    .as_ref()
                    .and_then(|c| c.get("sources"))
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for s in sources {
                    if let Some(id) = s.get("id").and_then(Value::as_str) {
                        self.delete(id, upstream.clone(), cascade)?;
                    }
                }
            }
            _ => self.upsert(data, upstream)?,
        }
        Ok(resume_point)
    }

    /// Applies parked objects whose references arrived; gives up on those that waited too long.
    fn retry_parked(&mut self, had_data: bool) -> Result<(), StoreError> {
        let parked = std::mem::take(&mut self.state.parked);
        for mut p in parked {
            let Ok(raw) = serde_json::from_slice::<&RawValue>(&p.object) else {
                continue;
            };
            let obj: Map<String, Value> = serde_json::from_str(raw.get()).unwrap_or_default();
            let missing = missing_refs(&self.w, &obj)?;
            if missing.is_empty() {
                self.upsert(raw, p.upstream_hub.clone())?;
                continue;
            }
            if had_data {
                p.attempts += 1;
            }
            if p.attempts > MAX_PARK_BATCHES {
                let reason = format!(
                    "missing reference {} (waited {MAX_PARK_BATCHES} batches)",
                    missing.join(", ")
                );
                push_error(&mut self.state, Some(p.stix_id), reason);
            } else {
                p.missing = missing;
                self.state.parked.push(p);
            }
        }
        Ok(())
    }
}

/// Applies `frames` (ending at a resume point) and commits them with the new progress in one transaction.
/// Returns the new progress, or `None` when the synchronizer was deleted or pointed elsewhere meanwhile
/// (nothing is written: its progress was reset under the same writer lock).
pub fn apply_batch(
    store: &Store,
    ctx: &Ctx,
    state: &SyncStateV1,
    frames: &[Event],
) -> Result<Option<SyncStateV1>, StoreError> {
    let filters = streams::load(store)?;
    let w = store.writer();
    let same = store.get_synchronizer(ctx.sync_id)?.is_some_and(|d| {
        (&d.url, &d.stream_id, &d.start_from)
            == (&ctx.def.url, &ctx.def.stream_id, &ctx.def.start_from)
    });
    if !same {
        return Ok(None);
    }
    let mut b = Batch {
        store,
        w,
        ctx,
        state: state.clone(),
        pending: Vec::new(),
        filters,
    };
    let state_before = state.cursor.clone();
    let mut had_data = false;
    for e in frames {
        match e.event.as_str() {
            "create" | "update" | "delete" | "merge" => {
                had_data = true;
                b.state.events_applied += 1;
                if b.event(e)? {
                    advance(&mut b.state.cursor, e.id.as_ref());
                }
            }
            "heartbeat" => advance(&mut b.state.cursor, e.id.as_ref()),
            _ => {}
        }
    }
    b.retry_parked(had_data)?;
    for p in &b.pending {
        streams::append(
            &mut b.w,
            &b.filters,
            p.id,
            p.kind,
            p.previous.as_ref(),
            &p.object,
        )?;
    }
    let Batch { mut w, state, .. } = b;
    w.put_sync_state(ctx.sync_id, &StoredSyncState::V1(state.clone()))?;
    w.commit()?;
    store.enforce_retention()?;
    tracing::debug!(from = ?state_before, to = ?state.cursor, frames = frames.len(), "synchronizer batch applied");
    Ok(Some(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: Option<&str>, event: &str, data: &str) -> Event {
        Event {
            id: id.map(str::to_owned),
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn ids_compare_numerically() {
        assert!(id_after("1700000000000-10", "1700000000000-9"));
        assert!(id_after("1700000000001-0", "1700000000000-99"));
        assert!(!id_after("1700000000000-0", "1700000000000-0"));
        assert!(!id_after("999-0", "1000-0"));
    }

    #[test]
    fn dependencies_are_not_resume_points() {
        let main = r#"{"version":"4","type":"create","data":{}}"#;
        let dependency = r#"{"version":"4","origin":{"referer":"init-dependencies"},"data":{}}"#;
        assert!(is_resume_point(&ev(Some("1-0"), "create", main)));
        assert!(!is_resume_point(&ev(Some("1-0"), "create", dependency)));
        assert!(is_resume_point(&ev(Some("2-0"), "heartbeat", "\"x\"")));
        assert!(!is_resume_point(&ev(None, "heartbeat", "\"x\"")));
        assert!(!is_resume_point(&ev(None, "connected", "{}")));
        // Unreadable data still moves the cursor (it is reported, never retried forever).
        assert!(is_resume_point(&ev(Some("3-0"), "update", "{not json")));
    }

    #[test]
    fn the_cursor_only_moves_forward() {
        let mut c = Some("5-0".to_owned());
        advance(&mut c, Some(&"4-9".to_owned()));
        assert_eq!(c.as_deref(), Some("5-0"));
        advance(&mut c, Some(&"5-1".to_owned()));
        assert_eq!(c.as_deref(), Some("5-1"));
    }
}
