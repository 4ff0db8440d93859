//! One running synchronizer: connect, read the SSE body, apply batches (each with its cursor, in one
//! transaction), reconnect with capped exponential backoff and jitter. Reading continues while a batch is
//! being applied, so batches grow with the commit time and throughput does not depend on TCP chunking.

use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::apply::{self, Ctx};
use super::client::{self, RemoteError};
use super::sse::{Event, Parser};
use super::status::{Registry, State};
use crate::store::{now_ms, Store, StoreError, SyncStateV1, SynchronizerV1};

/// Frames per batch (about the size of an import chunk).
const BATCH_FRAMES: usize = 5000;
/// Stop reading the socket when this much is waiting to be applied.
const MAX_PENDING_BYTES: usize = 32 * 1024 * 1024;
/// A batch of heartbeats alone is committed at most this often.
const HEARTBEAT_COMMIT: Duration = Duration::from_secs(5);
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(60);

pub struct TaskCtx {
    pub store: Store,
    pub registry: Registry,
    pub def: SynchronizerV1,
    pub cancel: CancellationToken,
    pub idle_timeout: Duration,
    pub max_object_bytes: usize,
    pub max_line: usize,
}

fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

/// Capped exponential backoff with full jitter in [d/2, d].
struct Backoff {
    attempt: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let exp = BACKOFF_BASE.saturating_mul(1u32 << self.attempt.min(16));
        self.attempt = self.attempt.saturating_add(1);
        let d = exp.min(BACKOFF_CAP);
        let half = d / 2;
        half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }
}

enum End {
    Cancelled,
    Failed(RemoteError),
    Store(StoreError),
}

pub async fn run(ctx: TaskCtx) {
    let id = ctx.def.id;
    let name = ctx.def.name.clone();
    let loaded = {
        let store = ctx.store.clone();
        tokio::task::spawn_blocking(move || store.get_sync_state(id)).await
    };
    let mut state = match loaded {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            ctx.registry.update(id, |s| {
                s.state = State::Error;
                s.last_error = Some(format!("cannot read the synchronizer's progress: {e}"));
            });
            return;
        }
        Err(_) => return,
    };
    let durable = (state.cursor.clone(), state.events_applied);
    ctx.registry.update(id, |s| s.durable = Some(durable));
    let mut backoff = Backoff { attempt: 0 };
    loop {
        ctx.registry.update(id, |s| s.state = State::Connecting);
        let mut progressed = false;
        let end = session(&ctx, &mut state, &mut progressed).await;
        let (st, error) = match end {
            End::Cancelled => break,
            End::Failed(RemoteError::Gone) => (State::RemoteStopped, RemoteError::Gone.to_string()),
            End::Failed(e @ RemoteError::Unauthorized(_)) => (State::Error, e.to_string()),
            End::Failed(e) => (State::Backoff, e.to_string()),
            End::Store(e) => (State::Error, format!("local store: {e}")),
        };
        if progressed {
            backoff.attempt = 0;
        }
        let delay = backoff.next();
        tracing::warn!(synchronizer = %name, error = %error, retry_in_ms = delay.as_millis() as u64, "synchronizer disconnected");
        ctx.registry.update(id, |s| {
            s.state = st;
            s.last_error = Some(error);
        });
        tokio::select! {
            () = ctx.cancel.cancelled() => break,
            () = tokio::time::sleep(delay) => {}
        }
    }
    ctx.registry.update(id, |s| {
        s.state = State::Stopped;
        s.durable = None;
    });
}

/// Index just after the last resume point within the first `BATCH_FRAMES` frames, so one event's
/// dependencies are never cut from it. A run of `BATCH_FRAMES` frames without any
/// resume point (a snapshot of a remote's current state) is applied as it is, without moving the cursor:
/// after a crash it is applied again, which the upsert rules absorb.
fn cut(pending: &[Event]) -> Option<usize> {
    let limit = pending.len().min(BATCH_FRAMES);
    if let Some(i) = pending[..limit].iter().rposition(apply::is_resume_point) {
        return Some(i + 1);
    }
    if pending.len() >= BATCH_FRAMES {
        return Some(BATCH_FRAMES);
    }
    None
}

type Inflight = JoinHandle<Result<Option<SyncStateV1>, StoreError>>;

async fn session(ctx: &TaskCtx, state: &mut SyncStateV1, progressed: &mut bool) -> End {
    let id = ctx.def.id;
    let http = match client::http_client(ctx.def.verify_tls) {
        Ok(c) => c,
        Err(e) => return End::Failed(e),
    };
    let opened = tokio::select! {
        () = ctx.cancel.cancelled() => return End::Cancelled,
        r = client::open_stream(&http, &ctx.def, state.cursor.as_deref(), ctx.idle_timeout) => r,
    };
    let res = match opened {
        Ok(r) => r,
        Err(e) => return End::Failed(e),
    };
    ctx.registry.update(id, |s| {
        s.state = State::Live;
        s.last_connected_at_ms = Some(now());
    });
    *progressed = true;
    let apply_ctx = std::sync::Arc::new(Ctx {
        sync_id: id,
        def: ctx.def.clone(),
        hub_id: ctx.store.hub_id().to_string(),
        max_object_bytes: ctx.max_object_bytes,
    });
    let mut body = res.bytes_stream();
    let mut parser = Parser::new(ctx.max_line);
    let mut pending: Vec<Event> = Vec::new();
    let mut pending_bytes = 0usize;
    let mut inflight: Option<Inflight> = None;
    let mut ended: Option<RemoteError> = None;
    let mut last_commit = tokio::time::Instant::now();
    let mut fresh = Vec::new();
    loop {
        if inflight.is_none() {
            if ctx.cancel.is_cancelled() {
                return End::Cancelled;
            }
            if let Some(n) = cut(&pending) {
                let has_data = pending[..n].iter().any(|e| e.event != "heartbeat");
                if has_data || last_commit.elapsed() >= HEARTBEAT_COMMIT {
                    let batch: Vec<Event> = pending.drain(..n).collect();
                    pending_bytes = pending.iter().map(|e| e.data.len()).sum();
                    let (store, c, s) = (ctx.store.clone(), apply_ctx.clone(), state.clone());
                    inflight = Some(tokio::task::spawn_blocking(move || {
                        apply::apply_batch(&store, &c, &s, &batch)
                    }));
                } else if !has_data {
                    // Only heartbeats, committed a moment ago: the next one will carry the position.
                    pending.drain(..n);
                }
            }
        }
        if inflight.is_none() {
            if let Some(e) = ended.take() {
                // What is still pending has no resume point: it comes again after reconnecting.
                return End::Failed(e);
            }
        }
        tokio::select! {
            biased;
            done = async {
                match inflight.as_mut() {
                    Some(h) => h.await,
                    None => std::future::pending().await,
                }
            }, if inflight.is_some() => {
                inflight = None;
                match done {
                    Ok(Ok(None)) => return End::Cancelled,
                    Ok(Ok(Some(s))) => {
                        let durable = (s.cursor.clone(), s.events_applied);
                        *state = s;
                        last_commit = tokio::time::Instant::now();
                        ctx.registry.update(id, |st| {
                            st.last_applied_at_ms = Some(now());
                            st.durable = Some(durable);
                        });
                    }
                    Ok(Err(e)) => return End::Store(e),
                    Err(e) => return End::Store(StoreError::Io(e.to_string())),
                }
            }
            () = ctx.cancel.cancelled(), if inflight.is_none() => return End::Cancelled,
            chunk = tokio::time::timeout(ctx.idle_timeout, body.next()),
                if ended.is_none() && pending_bytes < MAX_PENDING_BYTES => {
                match chunk {
                    Err(_) => ended = Some(RemoteError::Stalled(ctx.idle_timeout.as_millis())),
                    Ok(None) => ended = Some(RemoteError::Closed),
                    Ok(Some(Err(e))) => ended = Some(RemoteError::Network(e.to_string())),
                    Ok(Some(Ok(bytes))) => {
                        if let Err(e) = parser.feed(&bytes, &mut fresh) {
                            ended = Some(RemoteError::NotStreamServer(e.to_string()));
                        }
                        for e in fresh.drain(..) {
                            if e.event == "connected" {
                                continue;
                            }
                            pending_bytes += e.data.len();
                            pending.push(e);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut b = Backoff { attempt: 0 };
        let delays: Vec<Duration> = (0..12).map(|_| b.next()).collect();
        for (i, d) in delays.iter().enumerate() {
            let full = BACKOFF_BASE.saturating_mul(1 << i).min(BACKOFF_CAP);
            assert!(
                *d >= full / 2 && *d <= full,
                "attempt {i}: {d:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
        assert!(delays[11] >= BACKOFF_CAP / 2);
    }

    #[test]
    fn a_batch_never_ends_inside_an_event_s_dependencies() {
        let main = |id: &str| Event {
            id: Some(id.into()),
            event: "create".into(),
            data: r#"{"type":"create"}"#.into(),
        };
        let dep = |id: &str| Event {
            id: Some(id.into()),
            event: "create".into(),
            data: "{}".into(),
        };
        assert_eq!(cut(&[main("1-0"), dep("2-0"), dep("2-0")]), Some(1));
        assert_eq!(cut(&[main("1-0"), dep("2-0"), main("2-0")]), Some(3));
        assert_eq!(cut(&[dep("2-0")]), None);
        let snapshot: Vec<Event> = (0..BATCH_FRAMES + 1).map(|_| dep("1-0")).collect();
        assert_eq!(cut(&snapshot), Some(BATCH_FRAMES));
    }
}
