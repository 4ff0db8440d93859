//! Run-time status of each synchronizer (not stored: it describes this process's connections).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Connecting,
    Live,
    /// Waiting before the next attempt after a network error, a 5xx or a 404.
    Backoff,
    /// The remote answered 410: its stream is stopped. Retried with backoff.
    RemoteStopped,
    #[default]
    Stopped,
    /// Refused (401/403) or a local failure. Retried with backoff.
    Error,
}

#[derive(Debug, Clone, Default)]
pub struct Status {
    pub state: State,
    pub last_error: Option<String>,
    pub last_connected_at_ms: Option<i64>,
    /// When the last batch was applied.
    pub last_applied_at_ms: Option<i64>,
    /// Cursor and events applied as last made durable by the running task. The tree may briefly hold a
    /// newer value that is not flushed yet (sled shows a transaction before its flush), which a crash
    /// would take back, so the API shows this one while a task runs.
    pub durable: Option<(Option<String>, u64)>,
}

/// Shared by the supervisor's tasks (writers) and the API (reader).
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Mutex<HashMap<[u8; 16], Status>>>,
}

impl Registry {
    #[must_use]
    pub fn get(&self, id: [u8; 16]) -> Status {
        self.lock().get(&id).cloned().unwrap_or_default()
    }

    pub fn update(&self, id: [u8; 16], f: impl FnOnce(&mut Status)) {
        f(self.lock().entry(id).or_default());
    }

    pub fn remove(&self, id: [u8; 16]) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], Status>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
