//! Accounts and tokens: argon2id password hashes, SHA-256 token hashes, first-start bootstrap, and the
//! principal (capabilities + access) a request acts as.

pub mod access;
pub mod manage;
pub mod markings;
pub mod ratelimit;
pub mod session;

pub use access::{Access, Capability};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Config;
use crate::store::{GroupV1, Store, StoreError, TokenV1, UserV2, ADMIN_GROUP_ID};

/// Who is calling: a user, what its groups let it do and see.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: [u8; 16],
    pub name: String,
    pub groups: Vec<[u8; 16]>,
    pub capabilities: Vec<Capability>,
    pub access: Access,
}

impl Principal {
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.capabilities.contains(&Capability::Admin)
    }

    #[must_use]
    pub fn can(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }

    /// Member of at least one of `groups` (or an admin).
    #[must_use]
    pub fn in_any(&self, groups: &[[u8; 16]]) -> bool {
        self.is_admin() || self.groups.iter().any(|g| groups.contains(g))
    }
}

/// Why a reader may not read a shared resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Private, and no credentials were sent.
    NeedsCredentials,
    /// Credentials without the right (no `read` capability, or not in an authorized group).
    NotAuthorized,
}

/// Who may read a shared resource (live stream, TAXII collection, CSV feed) and what they see of it.
/// Public: anyone, whatever credentials were sent, capped at the ceiling (at most TLP:GREEN). Private: a user
/// with `read` in one of the authorized groups (no group listed = every user with `read`), seeing what its
/// groups allow; admins always.
pub fn shared_access(
    public: bool,
    max_tlp: u8,
    authorized_groups: &[[u8; 16]],
    reader: Option<&Principal>,
) -> Result<Access, Denied> {
    if public {
        return Ok(Access::ceiling(max_tlp.min(1)));
    }
    let reader = reader.ok_or(Denied::NeedsCredentials)?;
    let member = authorized_groups.is_empty() || reader.in_any(authorized_groups);
    if reader.is_admin() || (reader.can(Capability::Read) && member) {
        Ok(reader.access.clone())
    } else {
        Err(Denied::NotAuthorized)
    }
}

/// Builds the principal of a stored user (groups that no longer exist are ignored).
pub fn principal_of(store: &Store, user: UserV2) -> Result<Principal, StoreError> {
    let mut groups: Vec<GroupV1> = Vec::new();
    for id in &user.groups {
        if let Some(g) = store.get_group(*id)? {
            groups.push(g);
        }
    }
    Ok(Principal {
        user_id: user.id,
        name: user.name,
        groups: groups.iter().map(|g| g.id).collect(),
        capabilities: access::capabilities_of(&groups),
        access: Access::of_groups(&groups),
    })
}

/// Checks a password against a stored PHC hash (slow on purpose: call it off the async threads).
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing credentials: send 'Authorization: Bearer <token>'")]
    Missing,
    #[error("invalid, expired or revoked token")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

#[must_use]
pub fn hash_token(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// A random secret of `len` alphanumeric characters (OS randomness).
#[must_use]
pub fn generate_secret(len: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

fn now_ms() -> i64 {
    i64::try_from(crate::store::now_ms()).unwrap_or(i64::MAX)
}

fn admin_group() -> GroupV1 {
    GroupV1 {
        id: ADMIN_GROUP_ID,
        name: "Administrators".into(),
        allowed_markings: vec!["TLP:RED".into(), "PAP:RED".into()],
        capabilities: vec!["admin".into()],
        created_at_ms: now_ms(),
    }
}

/// What the first start created, for printing once.
#[derive(Debug, Default)]
pub struct Bootstrap {
    pub generated_password: Option<String>,
    pub generated_token: Option<String>,
}

/// On an empty database: creates the `admin` user (password from config or generated) and an admin API
/// token (from `STIXHUB_ADMIN_TOKEN`, or generated). Returns what was generated so it can be shown once.
pub fn bootstrap(store: &Store, config: &Config) -> Result<Option<Bootstrap>, AuthError> {
    if store.user_count() > 0 {
        // Data from before groups existed: its admin reads as a member of the built-in group; create it.
        if store.get_group(ADMIN_GROUP_ID)?.is_none() {
            store.put_group(&admin_group())?;
        }
        // A later start with STIXHUB_ADMIN_TOKEN set adds that token to the admin (scripts, containers).
        if let Some(t) = &config.admin_token {
            let hash = hash_token(&t.0);
            if store.find_token(&hash)?.is_none() {
                if let Some(admin) = store.find_user_by_name("admin")? {
                    store.put_token(&TokenV1 {
                        id: *Uuid::new_v4().as_bytes(),
                        name: "STIXHUB_ADMIN_TOKEN".into(),
                        user_id: admin.id,
                        hash,
                        created_at_ms: now_ms(),
                        expires_at_ms: None,
                        revoked: false,
                    })?;
                }
            }
        }
        return Ok(None);
    }
    let mut out = Bootstrap::default();
    let password = match &config.admin_password {
        Some(p) => p.0.clone(),
        None => {
            let p = generate_secret(20);
            out.generated_password = Some(p.clone());
            p
        }
    };
    store.put_group(&admin_group())?;
    let admin = UserV2 {
        id: *Uuid::new_v4().as_bytes(),
        name: "admin".into(),
        password_phc: hash_password(&password)?,
        groups: vec![ADMIN_GROUP_ID],
        created_at_ms: now_ms(),
    };
    store.put_user(&admin)?;
    let token = match &config.admin_token {
        Some(t) => t.0.clone(),
        None => {
            let t = generate_secret(40);
            out.generated_token = Some(t.clone());
            t
        }
    };
    store.put_token(&TokenV1 {
        id: *Uuid::new_v4().as_bytes(),
        name: "bootstrap".into(),
        user_id: admin.id,
        hash: hash_token(&token),
        created_at_ms: now_ms(),
        expires_at_ms: None,
        revoked: false,
    })?;
    Ok(Some(out))
}

/// Resolves an `Authorization` header value to a principal.
pub fn authenticate(store: &Store, authorization: Option<&str>) -> Result<Principal, AuthError> {
    let value = authorization.ok_or(AuthError::Missing)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Missing)?;
    let record = store
        .find_token(&hash_token(token))?
        .ok_or(AuthError::InvalidToken)?;
    if record.revoked || record.expires_at_ms.is_some_and(|e| e <= now_ms()) {
        return Err(AuthError::InvalidToken);
    }
    let user = store
        .get_user(record.user_id)?
        .ok_or(AuthError::InvalidToken)?;
    Ok(principal_of(store, user)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::Secret;

    #[test]
    fn bootstrap_once_and_authenticate() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let config = Config {
            admin_token: Some(Secret("tok-1".into())),
            ..Config::default()
        };
        let b = bootstrap(&store, &config).unwrap().unwrap();
        assert!(b.generated_password.is_some());
        assert!(b.generated_token.is_none());
        assert!(
            bootstrap(&store, &config).unwrap().is_none(),
            "only on the first start"
        );
        let later = Config {
            admin_token: Some(Secret("tok-2".into())),
            ..Config::default()
        };
        assert!(bootstrap(&store, &later).unwrap().is_none());
        assert!(
            authenticate(&store, Some("Bearer tok-2"))
                .unwrap()
                .is_admin(),
            "a later STIXHUB_ADMIN_TOKEN is added"
        );
        let p = authenticate(&store, Some("Bearer tok-1")).unwrap();
        assert_eq!((p.name.as_str(), p.is_admin()), ("admin", true));
        assert!(matches!(
            authenticate(&store, Some("Bearer nope")),
            Err(AuthError::InvalidToken)
        ));
        assert!(matches!(
            authenticate(&store, None),
            Err(AuthError::Missing)
        ));
        assert!(matches!(
            authenticate(&store, Some("Basic abc")),
            Err(AuthError::Missing)
        ));
        let user = store.find_user_by_name("admin").unwrap().unwrap();
        assert!(user.password_phc.starts_with("$argon2id$"));
    }
}
