//! SSE framing and the reader loop. Readers pull from the stored log at their own pace: the body is only
//! polled when the socket has room, so a slow or stalled reader holds at most one batch in memory and a
//! writer never waits for a reader. Channels only say "there is more"; the log is the truth.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::Stream;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::{interval_at, Instant, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::auth::Access;
use crate::knowledge::streams::FLAG_DEPENDENCY;
use crate::knowledge::EventKind;
use crate::stix::format_ms;
use crate::store::{EventId, Store, StoreError, StoredEvent};

/// Events read from the store per chunk written to the socket.
const BATCH: usize = 256;
/// Payload bytes per chunk (beyond one event): bounds what a slow reader holds, whatever the object sizes.
const CHUNK_BYTES: usize = 1024 * 1024;

fn date_of(id: EventId) -> String {
    format_ms(i64::try_from(id.ms).unwrap_or(i64::MAX))
}

/// `connected` message: first of every connection, without an `id:` line (pycti would store it).
/// For a stream (`Some(id)`) the figures describe that stream's own log, so a public reader learns nothing
/// about the rest of the hub's activity.
pub fn connected_frame(
    store: &Store,
    stream: Option<[u8; 16]>,
    connection_id: &str,
) -> Result<Bytes, StoreError> {
    let info = match stream {
        Some(id) => store.stream_log_info(id)?,
        None => store.log_info()?,
    };
    let first = info.first.unwrap_or(EventId::ZERO);
    let last = info.last.unwrap_or(EventId::ZERO);
    let data = json!({
        "lastEventId": last.to_string(),
        "firstEventId": first.to_string(),
        "firstEventDate": date_of(first),
        "lastEventDate": date_of(last),
        "streamSize": info.count,
        "connectionId": connection_id,
    });
    Ok(Bytes::from(format!("event: connected\ndata: {data}\n\n")))
}

pub fn heartbeat_frame(id: EventId) -> Bytes {
    Bytes::from(format!(
        "id: {id}\nevent: heartbeat\ndata: \"{}\"\n\n",
        date_of(id)
    ))
}

/// Appends one data event.
pub fn put_event(buf: &mut BytesMut, id: EventId, name: &str, payload: &[u8]) {
    buf.reserve(payload.len() + 64);
    buf.put_slice(b"id: ");
    buf.put_slice(id.to_string().as_bytes());
    buf.put_slice(b"\nevent: ");
    buf.put_slice(name.as_bytes());
    buf.put_slice(b"\ndata: ");
    buf.put_slice(payload);
    buf.put_slice(b"\n\n");
}

/// Where a reader's events come from.
pub enum Source {
    /// The global log (admins).
    Global,
    /// One stream's log, seen through a reader's access.
    Stream {
        id: [u8; 16],
        access: Access,
        listen_delete: bool,
        no_dependencies: bool,
    },
}

/// A reader of the global log or of one stream's log.
pub struct Reader {
    store: Store,
    source: Source,
    pos: EventId,
    head_rx: watch::Receiver<EventId>,
    streams_rx: watch::Receiver<u64>,
    shutdown: CancellationToken,
    heartbeat: Interval,
    first: Option<Bytes>,
    heartbeat_due: Option<EventId>,
    snapshot: Option<super::snapshot::Snapshot>,
    /// From the snapshot: states already sent ahead of the log (see `Snapshot::ahead`).
    ahead: HashMap<String, Value>,
    /// Re-derives the reader's access while it stays connected (see `Recheck`).
    recheck: Option<(Recheck, Instant)>,
}

/// The reader's access as of now: `None` once it may no longer read (token revoked, user out of the
/// authorized groups, stream made private, stopped or deleted), else its current view (markings, ceiling).
pub type Recheck = Box<dyn FnMut() -> Option<Access> + Send>;

/// How often an open connection's access is checked again.
const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// Whether this log event only repeats a state the snapshot already sent ahead of the log (once per id: the
/// object's first event after the snapshot point decides).
fn sent_ahead(ahead: &mut HashMap<String, Value>, kind: EventKind, payload: &[u8]) -> bool {
    if ahead.is_empty() {
        return false;
    }
    let Ok(event) = serde_json::from_slice::<Value>(payload) else {
        return false;
    };
    let Some(sent) = event["data"]["id"].as_str().and_then(|id| ahead.remove(id)) else {
        return false;
    };
    kind != EventKind::Delete && sent == event["data"]
}

impl Reader {
    /// `after`: deliver strictly after it; `None` = from the current head (live only).
    pub fn new(
        store: Store,
        source: Source,
        after: Option<EventId>,
        connected: Bytes,
        heartbeat_every: Duration,
        shutdown: CancellationToken,
    ) -> Self {
        let head_rx = store.subscribe();
        let mut streams_rx = store.subscribe_streams();
        streams_rx.mark_unchanged();
        let pos = after.unwrap_or_else(|| store.durable_head());
        let mut heartbeat = interval_at(Instant::now() + heartbeat_every, heartbeat_every);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            store,
            source,
            pos,
            head_rx,
            streams_rx,
            shutdown,
            heartbeat,
            first: Some(connected),
            heartbeat_due: None,
            snapshot: None,
            ahead: HashMap::new(),
            recheck: None,
        }
    }

    /// Sends `snapshot` first, then the log from its `resume_at`.
    #[must_use]
    pub fn with_snapshot(mut self, snapshot: super::snapshot::Snapshot) -> Self {
        self.snapshot = Some(snapshot);
        self
    }

    /// Checks the reader's access again every second (and whenever a stream definition changes), so a
    /// revoked token, a group change or a lowered ceiling takes effect on open connections too.
    #[must_use]
    pub fn with_recheck(mut self, recheck: Recheck) -> Self {
        self.recheck = Some((recheck, Instant::now() + RECHECK_EVERY));
        self
    }

    /// Runs the access check when due (or `now`); `false` = the connection must end.
    fn access_holds(&mut self, now: bool) -> bool {
        let Some((check, due)) = self.recheck.as_mut() else {
            return true;
        };
        if !now && Instant::now() < *due {
            return true;
        }
        *due = Instant::now() + RECHECK_EVERY;
        match (check(), &mut self.source) {
            (None, _) => false,
            (Some(fresh), Source::Stream { access, .. }) => {
                *access = fresh;
                true
            }
            (Some(_), Source::Global) => true,
        }
    }

    fn next_recheck(&self) -> Instant {
        self.recheck.as_ref().map_or_else(
            || Instant::now() + Duration::from_secs(3600),
            |(_, due)| *due,
        )
    }

    /// The next snapshot chunk; `None` once it is all sent (the log then goes on from its resume point).
    fn snapshot_chunk(&mut self) -> Option<Result<Bytes, StoreError>> {
        let snap = self.snapshot.as_mut()?;
        let everything = Access::everything();
        let access = match &self.source {
            Source::Global => &everything,
            Source::Stream { access, .. } => access,
        };
        loop {
            match snap.next_chunk(&self.store, access) {
                Ok(Some(b)) if b.is_empty() => {}
                Ok(Some(b)) => return Some(Ok(b)),
                Ok(None) => {
                    self.pos = snap.resume_at;
                    self.ahead = std::mem::take(&mut snap.ahead);
                    self.snapshot = None;
                    return None;
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// The next chunk of SSE bytes, or `None` when the connection must end (shutdown, stream stopped).
    pub async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        if !self.access_holds(false) {
            return None;
        }
        match self.snapshot_chunk() {
            Some(Ok(chunk)) => return Some(chunk),
            Some(Err(e)) => {
                tracing::error!(error = %e, "snapshot read failed; closing the connection");
                return None;
            }
            None => {}
        }
        loop {
            if self.shutdown.is_cancelled() || !self.access_holds(false) {
                return None;
            }
            // Read the head after any advertisement: it then covers every event at or below it.
            let head = self.store.durable_head();
            if self.pos < head {
                match self.read_batch(head) {
                    Ok(Some(chunk)) => return Some(chunk),
                    Ok(None) => self.pos = head,
                    Err(e) => {
                        tracing::error!(error = %e, "stream read failed; closing the connection");
                        return None;
                    }
                }
                continue;
            }
            if let Some(adv) = self.heartbeat_due.take() {
                self.pos = self.pos.max(adv);
                return Some(heartbeat_frame(self.pos));
            }
            let recheck_at = self.next_recheck();
            tokio::select! {
                changed = self.head_rx.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                changed = self.streams_rx.changed() => {
                    if changed.is_err() || !self.still_open() || !self.access_holds(true) {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(recheck_at) => {}
                _ = self.heartbeat.tick() => {
                    self.heartbeat_due = Some(self.store.advertise_now());
                }
                () = self.shutdown.cancelled() => return None,
            }
        }
    }

    /// A stream reader ends as soon as its stream is stopped or deleted.
    fn still_open(&self) -> bool {
        match &self.source {
            Source::Global => true,
            Source::Stream { id, .. } => {
                matches!(self.store.get_stream(*id), Ok(Some(s)) if s.started)
            }
        }
    }

    fn read_batch(&mut self, head: EventId) -> Result<Option<Bytes>, StoreError> {
        match &self.source {
            Source::Global => {
                let events = self
                    .store
                    .read_events_bounded(self.pos, head, BATCH, CHUNK_BYTES)?;
                let Some((last, _)) = events.last() else {
                    return Ok(None);
                };
                let last = *last;
                let mut buf = BytesMut::new();
                for (id, StoredEvent::V1(ev)) in &events {
                    let kind = EventKind::from_code(ev.kind).unwrap_or(EventKind::Update);
                    if !sent_ahead(&mut self.ahead, kind, &ev.payload) {
                        put_event(&mut buf, *id, kind.as_str(), &ev.payload);
                    }
                }
                self.pos = last;
                Ok(Some(buf.freeze()))
            }
            Source::Stream {
                id,
                access,
                listen_delete,
                no_dependencies,
            } => loop {
                let entries = self.store.read_stream_entries(*id, self.pos, head, BATCH)?;
                let Some((last, _)) = entries.last() else {
                    return Ok(None);
                };
                let last = *last;
                let mut buf = BytesMut::new();
                let mut last = last;
                for (i, (eid, entry)) in entries.iter().enumerate() {
                    // Stop between events (never inside one event's dependencies) once the chunk is big.
                    if buf.len() >= CHUNK_BYTES && i > 0 && entries[i - 1].0 != *eid {
                        last = entries[i - 1].0;
                        break;
                    }
                    let kind = EventKind::from_code(entry.sse_event).unwrap_or(EventKind::Update);
                    let dependency = entry.flags & FLAG_DEPENDENCY != 0;
                    if (kind == EventKind::Delete && !listen_delete)
                        || (dependency && *no_dependencies)
                    {
                        continue;
                    }
                    let payload = if entry.payload.is_empty() {
                        match self.store.get_event(*eid)? {
                            Some(StoredEvent::V1(ev)) => ev.payload,
                            None => continue,
                        }
                    } else {
                        entry.payload.clone()
                    };
                    if sent_ahead(&mut self.ahead, kind, &payload) {
                        continue;
                    }
                    if let Some((name, body)) =
                        super::view::adapt(&self.store, access, kind, &payload)
                    {
                        put_event(&mut buf, *eid, name.as_str(), &body);
                    }
                }
                self.pos = last;
                // A batch entirely hidden from this reader: keep reading.
                if !buf.is_empty() {
                    return Ok(Some(buf.freeze()));
                }
            },
        }
    }

    /// The reader as a byte stream for an HTTP body.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> {
        futures_util::stream::unfold(self, |mut r| async move {
            r.next_chunk().await.map(|c| (Ok(c), r))
        })
    }
}
