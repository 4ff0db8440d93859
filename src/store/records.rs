//! Versioned, frozen stored records. bincode cannot evolve a struct, so a new field means a new variant;
//! a released variant is never changed (the golden-bytes tests below fail if one is).

use serde::{Deserialize, Serialize};

use super::StoreError;

/// The current version of a STIX object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredObject {
    V1(ObjectV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectV1 {
    /// Hub-internal id (the OpenCTI extension's `id`).
    pub internal_id: [u8; 16],
    /// `modified` exactly as received, if the object has one.
    pub modified: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Compact JSON of the STIX object as stored (key order as received).
    pub json: Vec<u8>,
}

/// One entry of the global event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredEvent {
    V1(EventV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventV1 {
    /// 0 create, 1 update, 2 delete, 3 merge.
    pub kind: u8,
    pub stix_id: String,
    /// The SSE `data:` JSON exactly as sent on the wire.
    pub payload: Vec<u8>,
}

/// One entry of a per-stream log (`stream_log` tree): which global event, under which SSE name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredStreamEntry {
    V1(StreamEntryV1),
    /// A dependency emitted before the object that needed it: carries its own payload.
    V2(StreamEntryV2),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEntryV2 {
    pub sse_event: u8,
    pub global_event: [u8; 16],
    /// bit 0: dependency, bit 1: visibility transition.
    pub flags: u8,
    /// SSE `data:` JSON of a dependency (the referenced object as it is now).
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEntryV1 {
    pub sse_event: u8,
    pub global_event: [u8; 16],
    /// bit 0: dependency, bit 1: visibility transition.
    pub flags: u8,
}

/// A live stream definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredStream {
    V1(StreamV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamV1 {
    pub id: [u8; 16],
    pub name: String,
    pub description: String,
    /// OpenCTI FilterGroup JSON, validated when saved.
    pub filters_json: String,
    pub public: bool,
    /// Highest TLP level a public stream may carry (0 CLEAR, 1 GREEN).
    pub max_tlp: u8,
    pub authorized_groups: Vec<[u8; 16]>,
    pub started: bool,
    pub created_at_ms: i64,
}

/// A TAXII 2.1 collection definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredCollection {
    V1(CollectionV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionV1 {
    pub id: [u8; 16],
    pub name: String,
    pub description: String,
    /// OpenCTI FilterGroup JSON, validated when saved.
    pub filters_json: String,
    pub public: bool,
    /// Highest TLP level a public collection may carry (0 CLEAR, 1 GREEN).
    pub max_tlp: u8,
    pub authorized_groups: Vec<[u8; 16]>,
    /// Whether authorized writers may `POST` objects to it.
    pub can_write: bool,
    pub created_at_ms: i64,
}

/// A CSV feed definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredFeed {
    V1(FeedV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedV1 {
    pub id: [u8; 16],
    pub name: String,
    pub description: String,
    pub filters_json: String,
    pub public: bool,
    pub max_tlp: u8,
    pub authorized_groups: Vec<[u8; 16]>,
    /// STIX paths, one per column (`name`, `hashes.SHA-256`...).
    pub columns: Vec<String>,
    pub separator: char,
    /// Joins the values of a list property inside one cell.
    pub multi_separator: String,
    pub header: bool,
    /// Only objects added or updated in the last this many seconds (`None`: all).
    pub window_secs: Option<u64>,
    pub max_rows: u32,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredUser {
    V1(UserV1),
    /// Group membership replaces the admin flag (a V1 admin reads as a member of the built-in admin group).
    V2(UserV2),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserV2 {
    pub id: [u8; 16],
    pub name: String,
    /// argon2id PHC string; never the password.
    pub password_phc: String,
    pub groups: Vec<[u8; 16]>,
    pub created_at_ms: i64,
}

/// A group: what its members may see (allowed markings) and do (capabilities).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredGroup {
    V1(GroupV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupV1 {
    pub id: [u8; 16],
    pub name: String,
    /// Highest allowed level per ladder, as marking names (`TLP:GREEN`, `PAP:AMBER`).
    pub allowed_markings: Vec<String>,
    /// `admin`, `import`, `share`, `read`.
    pub capabilities: Vec<String>,
    pub created_at_ms: i64,
}

/// A browser login session (key = SHA-256 of the cookie value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredSession {
    V1(SessionV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionV1 {
    pub user_id: [u8; 16],
    /// Per-session token every state-changing form must echo.
    pub csrf: String,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserV1 {
    pub id: [u8; 16],
    pub name: String,
    /// argon2id PHC string; never the password.
    pub password_phc: String,
    pub admin: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredToken {
    V1(TokenV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenV1 {
    pub id: [u8; 16],
    pub name: String,
    pub user_id: [u8; 16],
    /// SHA-256 of the token value; the value itself is never stored.
    pub hash: [u8; 32],
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub revoked: bool,
}

/// A synchronizer's configuration (`synchronizers` tree). `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredSynchronizer {
    V1(SynchronizerV1),
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynchronizerV1 {
    pub id: [u8; 16],
    pub name: String,
    /// The remote's base URL, without a trailing `/` or query string.
    pub url: String,
    /// Sent to the remote as a Bearer token; never returned by the API.
    pub token: Option<String>,
    pub stream_id: String,
    pub listen_delete: bool,
    pub no_dependencies: bool,
    /// `beginning`, `now` or an RFC 3339 date: where the first connection starts.
    pub start_from: String,
    pub verify_tls: bool,
    pub running: bool,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for SynchronizerV1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SynchronizerV1")
            .field("id", &uuid::Uuid::from_bytes(self.id))
            .field("name", &self.name)
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("stream_id", &self.stream_id)
            .field("listen_delete", &self.listen_delete)
            .field("no_dependencies", &self.no_dependencies)
            .field("start_from", &self.start_from)
            .field("verify_tls", &self.verify_tls)
            .field("running", &self.running)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for StoredSynchronizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredSynchronizer::V1(s) => s.fmt(f),
        }
    }
}

/// A synchronizer's progress (`sync_state` tree), written in the same transaction as the objects it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredSyncState {
    V1(SyncStateV1),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStateV1 {
    /// The last remote event id fully applied (the resume point, sent as `Last-Event-ID`).
    pub cursor: Option<String>,
    /// Data events consumed from the remote (applied, unchanged, skipped or rejected).
    pub events_applied: u64,
    /// Objects waiting for an object they reference (relationship ends).
    pub parked: Vec<ParkedV1>,
    /// Records rejected or given up, newest last (bounded).
    pub errors: Vec<SyncErrorV1>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedV1 {
    pub stix_id: String,
    /// The STIX object as received.
    pub object: Vec<u8>,
    pub missing: Vec<String>,
    /// Later batches that did not bring the missing objects.
    pub attempts: u32,
    pub upstream_hub: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncErrorV1 {
    pub stix_id: Option<String>,
    pub error: String,
    pub at_ms: i64,
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    bincode::serialize(value).map_err(|e| StoreError::Corrupt(format!("encode: {e}")))
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    what: &str,
) -> Result<T, StoreError> {
    bincode::deserialize(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
