//! The one shared state handed to every handler (no globals).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::ratelimit::LoginGuard;
use crate::config::Config;
use crate::knowledge::Origin;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    /// Cancelled at shutdown: SSE readers end their responses.
    pub shutdown: CancellationToken,
    /// Run-time status of the synchronizers (written by their tasks).
    pub syncs: crate::sync::Registry,
    /// Failed-login throttling (admin login, TAXII Basic auth).
    pub logins: Arc<LoginGuard>,
    /// TAXII's read-side version index and status resources.
    pub taxii: crate::taxii::Index,
}

impl AppState {
    #[must_use]
    pub fn origin(&self, source: &str, user: &crate::auth::Principal) -> Origin {
        Origin {
            hub_id: self.store.hub_id().to_string(),
            source: source.to_owned(),
            user_id: Some(uuid::Uuid::from_bytes(user.user_id).to_string()),
            upstream_hub: None,
        }
    }
}
