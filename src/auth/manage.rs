//! Account management shared by the API and the admin pages: users, groups, tokens, with their rules
//! (unique names, known groups, the built-in admin group and the last admin kept).

use uuid::Uuid;

use super::access::{normalize_capabilities, normalize_markings};
use super::{generate_secret, hash_password, hash_token, AuthError};
use crate::store::{GroupV1, Store, StoreError, TokenV1, UserV2, ADMIN_GROUP_ID};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<AuthError> for ManageError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Store(s) => ManageError::Store(s),
            other => ManageError::Hash(other.to_string()),
        }
    }
}

pub const MIN_PASSWORD: usize = 10;

fn now() -> i64 {
    i64::try_from(crate::store::now_ms()).unwrap_or(i64::MAX)
}

#[must_use]
pub fn id_text(id: [u8; 16]) -> String {
    Uuid::from_bytes(id).to_string()
}

pub fn parse_id(text: &str, what: &str) -> Result<[u8; 16], ManageError> {
    Uuid::parse_str(text.trim())
        .map(|u| *u.as_bytes())
        .map_err(|_| ManageError::NotFound(format!("no {what} with id '{text}'")))
}

fn check_name(name: &str, what: &str) -> Result<String, ManageError> {
    let n = name.trim();
    if n.is_empty() || n.len() > 100 || n.chars().any(char::is_control) {
        return Err(ManageError::Invalid(format!(
            "{what} name must be 1 to 100 printable characters"
        )));
    }
    Ok(n.to_string())
}

fn check_password(password: &str) -> Result<(), ManageError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ManageError::Invalid(format!(
            "password must have at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(())
}

fn check_groups(store: &Store, groups: &[[u8; 16]]) -> Result<Vec<[u8; 16]>, ManageError> {
    let mut out = Vec::new();
    for g in groups {
        if store.get_group(*g)?.is_none() {
            return Err(ManageError::Invalid(format!(
                "no group with id '{}'",
                id_text(*g)
            )));
        }
        if !out.contains(g) {
            out.push(*g);
        }
    }
    Ok(out)
}

pub fn create_user(
    store: &Store,
    name: &str,
    password: &str,
    groups: &[[u8; 16]],
) -> Result<UserV2, ManageError> {
    let name = check_name(name, "user")?;
    check_password(password)?;
    if store.find_user_by_name(&name)?.is_some() {
        return Err(ManageError::Conflict(format!(
            "a user named '{name}' exists"
        )));
    }
    let user = UserV2 {
        id: *Uuid::new_v4().as_bytes(),
        name,
        password_phc: hash_password(password)?,
        groups: check_groups(store, groups)?,
        created_at_ms: now(),
    };
    store.put_user(&user)?;
    Ok(user)
}

fn admins(store: &Store) -> Result<usize, ManageError> {
    Ok(store
        .list_users()?
        .iter()
        .filter(|u| u.groups.contains(&ADMIN_GROUP_ID))
        .count())
}

/// Changes a user's password and/or groups. The last member of the administrators group stays in it.
pub fn update_user(
    store: &Store,
    id: [u8; 16],
    password: Option<&str>,
    groups: Option<&[[u8; 16]]>,
) -> Result<UserV2, ManageError> {
    let mut user = store
        .get_user(id)?
        .ok_or_else(|| ManageError::NotFound(format!("no user with id '{}'", id_text(id))))?;
    if let Some(p) = password {
        check_password(p)?;
        user.password_phc = hash_password(p)?;
    }
    if let Some(g) = groups {
        let g = check_groups(store, g)?;
        if user.groups.contains(&ADMIN_GROUP_ID)
            && !g.contains(&ADMIN_GROUP_ID)
            && admins(store)? <= 1
        {
            return Err(ManageError::Conflict(
                "this is the last administrator: keep it in the Administrators group".into(),
            ));
        }
        user.groups = g;
    }
    store.put_user(&user)?;
    Ok(user)
}

pub fn delete_user(store: &Store, id: [u8; 16]) -> Result<(), ManageError> {
    let user = store
        .get_user(id)?
        .ok_or_else(|| ManageError::NotFound(format!("no user with id '{}'", id_text(id))))?;
    if user.groups.contains(&ADMIN_GROUP_ID) && admins(store)? <= 1 {
        return Err(ManageError::Conflict(
            "this is the last administrator and cannot be deleted".into(),
        ));
    }
    store.delete_user(id)?;
    Ok(())
}

/// Creates or replaces a group's settings (`id` None = new group).
pub fn save_group(
    store: &Store,
    id: Option<[u8; 16]>,
    name: &str,
    allowed_markings: &[String],
    capabilities: &[String],
) -> Result<GroupV1, ManageError> {
    let name = check_name(name, "group")?;
    let allowed_markings = normalize_markings(allowed_markings).map_err(ManageError::Invalid)?;
    let capabilities = normalize_capabilities(capabilities).map_err(ManageError::Invalid)?;
    if store
        .list_groups()?
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(&name) && Some(g.id) != id)
    {
        return Err(ManageError::Conflict(format!(
            "a group named '{name}' exists"
        )));
    }
    let created_at_ms = match id {
        Some(gid) => {
            if gid == ADMIN_GROUP_ID && !capabilities.iter().any(|c| c == "admin") {
                return Err(ManageError::Conflict(
                    "the Administrators group keeps the admin capability".into(),
                ));
            }
            store
                .get_group(gid)?
                .ok_or_else(|| {
                    ManageError::NotFound(format!("no group with id '{}'", id_text(gid)))
                })?
                .created_at_ms
        }
        None => now(),
    };
    let group = GroupV1 {
        id: id.unwrap_or_else(|| *Uuid::new_v4().as_bytes()),
        name,
        allowed_markings,
        capabilities,
        created_at_ms,
    };
    store.put_group(&group)?;
    Ok(group)
}

/// Deletes a group and removes it from its members. The built-in Administrators group stays.
pub fn delete_group(store: &Store, id: [u8; 16]) -> Result<(), ManageError> {
    if id == ADMIN_GROUP_ID {
        return Err(ManageError::Conflict(
            "the built-in Administrators group cannot be deleted".into(),
        ));
    }
    if !store.delete_group(id)? {
        return Err(ManageError::NotFound(format!(
            "no group with id '{}'",
            id_text(id)
        )));
    }
    for mut user in store.list_users()? {
        if user.groups.contains(&id) {
            user.groups.retain(|g| *g != id);
            store.put_user(&user)?;
        }
    }
    Ok(())
}

/// Creates an API token for `user_id`; returns the record and the value (shown once, never stored).
pub fn create_token(
    store: &Store,
    name: &str,
    user_id: [u8; 16],
    expires_at_ms: Option<i64>,
) -> Result<(TokenV1, String), ManageError> {
    let name = check_name(name, "token")?;
    if store.get_user(user_id)?.is_none() {
        return Err(ManageError::Invalid(format!(
            "no user with id '{}'",
            id_text(user_id)
        )));
    }
    if expires_at_ms.is_some_and(|e| e <= now()) {
        return Err(ManageError::Invalid("expires_at is in the past".into()));
    }
    let value = generate_secret(40);
    let token = TokenV1 {
        id: *Uuid::new_v4().as_bytes(),
        name,
        user_id,
        hash: hash_token(&value),
        created_at_ms: now(),
        expires_at_ms,
        revoked: false,
    };
    store.put_token(&token)?;
    Ok((token, value))
}

pub fn find_token(store: &Store, id: [u8; 16]) -> Result<TokenV1, ManageError> {
    store
        .list_tokens()?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ManageError::NotFound(format!("no token with id '{}'", id_text(id))))
}

/// Revokes a token: it stops working at once and stays listed as revoked.
pub fn revoke_token(store: &Store, id: [u8; 16]) -> Result<(), ManageError> {
    let mut token = find_token(store, id)?;
    token.revoked = true;
    store.put_token(&token)?;
    Ok(())
}
