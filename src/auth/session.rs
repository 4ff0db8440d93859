//! Browser login sessions: a random cookie value (only its SHA-256 is stored), idle and absolute expiry, and a
//! per-session CSRF token that every state-changing form must send back.

use crate::store::{now_ms, SessionV1, Store, StoreError};

use super::{generate_secret, hash_token};

pub const COOKIE: &str = "stixhub_session";

/// A live session found from its cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub key: [u8; 32],
    pub record: SessionV1,
}

fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

/// Opens a session for `user_id`; returns the cookie value (shown to the browser only).
pub fn create(store: &Store, user_id: [u8; 16]) -> Result<(String, Session), StoreError> {
    let value = generate_secret(43);
    let key = hash_token(&value);
    let record = SessionV1 {
        user_id,
        csrf: generate_secret(32),
        created_at_ms: now(),
        last_seen_ms: now(),
    };
    store.put_session(&key, &record)?;
    Ok((value, Session { key, record }))
}

/// Finds the session of a cookie value; an expired one is deleted and not returned. Refreshes the idle timer
/// (written at most once a minute).
pub fn lookup(
    store: &Store,
    cookie: &str,
    idle_secs: u64,
    max_secs: u64,
) -> Result<Option<Session>, StoreError> {
    let key = hash_token(cookie);
    let Some(mut record) = store.get_session(&key)? else {
        return Ok(None);
    };
    let now = now();
    let idle = i64::try_from(idle_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let max = i64::try_from(max_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    if now.saturating_sub(record.last_seen_ms) > idle
        || now.saturating_sub(record.created_at_ms) > max
    {
        store.delete_session(&key)?;
        return Ok(None);
    }
    if now.saturating_sub(record.last_seen_ms) > 60_000 {
        record.last_seen_ms = now;
        store.put_session(&key, &record)?;
    }
    Ok(Some(Session { key, record }))
}

/// Ends a session.
pub fn destroy(store: &Store, cookie: &str) -> Result<(), StoreError> {
    store.delete_session(&hash_token(cookie))
}

/// Compares a submitted CSRF token with the session's, in constant time.
#[must_use]
pub fn csrf_matches(session: &Session, submitted: &str) -> bool {
    let a = session.record.csrf.as_bytes();
    let b = submitted.as_bytes();
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn create_lookup_expire_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (cookie, s) = create(&store, [1; 16]).unwrap();
        let found = lookup(&store, &cookie, 60, 60).unwrap().unwrap();
        assert_eq!(found.record.user_id, [1; 16]);
        assert!(csrf_matches(&found, &s.record.csrf));
        assert!(!csrf_matches(&found, "nope"));
        assert!(lookup(&store, "other", 60, 60).unwrap().is_none());
        // Idle too long.
        let mut old = s.record.clone();
        old.last_seen_ms -= 120_000;
        store.put_session(&s.key, &old).unwrap();
        assert!(lookup(&store, &cookie, 60, 3600).unwrap().is_none());
        assert!(
            store.get_session(&s.key).unwrap().is_none(),
            "expired sessions are removed"
        );
        // Absolute expiry.
        let (cookie, s) = create(&store, [1; 16]).unwrap();
        let mut old = s.record.clone();
        old.created_at_ms -= 7_200_000;
        store.put_session(&s.key, &old).unwrap();
        assert!(lookup(&store, &cookie, 3600, 3600).unwrap().is_none());
        let (cookie, _) = create(&store, [1; 16]).unwrap();
        destroy(&store, &cookie).unwrap();
        assert!(lookup(&store, &cookie, 60, 60).unwrap().is_none());
    }
}
