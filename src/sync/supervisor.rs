//! The supervisor: one named task started once in `app.rs`. It starts, restarts (after an edit) and stops one
//! task per running synchronizer, reacting to definition changes at once and checking every second; at
//! shutdown it cancels them all and waits for them (a batch being applied finishes first).

use std::collections::HashMap;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::status::{Registry, State};
use super::task::{self, TaskCtx};
use crate::store::{Store, SynchronizerV1};

/// What the tasks need from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub idle_timeout: Duration,
    pub max_object_bytes: usize,
    pub max_line: usize,
}

struct Running {
    def: SynchronizerV1,
    cancel: CancellationToken,
    handle: JoinHandle<()>,
}

/// Starts the supervisor; it ends (after its tasks) when `shutdown` is cancelled.
pub fn start(
    store: Store,
    registry: Registry,
    settings: Settings,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(run(store, registry, settings, shutdown))
}

async fn run(store: Store, registry: Registry, settings: Settings, shutdown: CancellationToken) {
    let mut changes = store.subscribe_synchronizers();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tasks: HashMap<[u8; 16], Running> = HashMap::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = tick.tick() => {}
        }
        reconcile(&store, &registry, settings, &mut tasks).await;
    }
    for r in tasks.values() {
        r.cancel.cancel();
    }
    for (_, r) in tasks.drain() {
        let _ = tokio::time::timeout(Duration::from_secs(20), r.handle).await;
    }
    tracing::info!("synchronizers stopped");
}

async fn reconcile(
    store: &Store,
    registry: &Registry,
    settings: Settings,
    tasks: &mut HashMap<[u8; 16], Running>,
) {
    let defs = match store.list_synchronizers() {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "cannot read synchronizers");
            return;
        }
    };
    let wanted: HashMap<[u8; 16], SynchronizerV1> = defs
        .iter()
        .filter(|d| d.running)
        .map(|d| (d.id, d.clone()))
        .collect();
    let stale: Vec<[u8; 16]> = tasks
        .iter()
        .filter(|(id, r)| wanted.get(*id) != Some(&r.def) || r.handle.is_finished())
        .map(|(id, _)| *id)
        .collect();
    for id in stale {
        if let Some(r) = tasks.remove(&id) {
            r.cancel.cancel();
            // Waited for, so an edited synchronizer never has two tasks committing progress at once.
            let _ = r.handle.await;
        }
    }
    for d in &defs {
        if !d.running {
            registry.update(d.id, |s| s.state = State::Stopped);
        }
    }
    for (id, def) in wanted {
        if tasks.contains_key(&id) {
            continue;
        }
        tracing::info!(synchronizer = %def.name, url = %def.url, stream = %def.stream_id, "starting synchronizer");
        let cancel = CancellationToken::new();
        let handle = tokio::spawn(task::run(TaskCtx {
            store: store.clone(),
            registry: registry.clone(),
            def: def.clone(),
            cancel: cancel.clone(),
            idle_timeout: settings.idle_timeout,
            max_object_bytes: settings.max_object_bytes,
            max_line: settings.max_line,
        }));
        tasks.insert(
            id,
            Running {
                def,
                cancel,
                handle,
            },
        );
    }
}
