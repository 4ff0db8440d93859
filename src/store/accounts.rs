//! Users, groups, API tokens and login sessions. Only hashes of secrets are stored.

use super::records::{
    self, GroupV1, SessionV1, StoredGroup, StoredSession, StoredToken, StoredUser, TokenV1, UserV2,
};
use super::{Store, StoreError};

/// The built-in administrators group: created on the first start, holds the `admin` capability. Users stored
/// before groups existed (records V1 with the admin flag) read as its members.
pub const ADMIN_GROUP_ID: [u8; 16] = *b"stixhub-admins\0\0";

fn decode_user(bytes: &[u8]) -> Result<UserV2, StoreError> {
    Ok(match records::decode(bytes, "user")? {
        StoredUser::V2(u) => u,
        StoredUser::V1(u) => UserV2 {
            id: u.id,
            name: u.name,
            password_phc: u.password_phc,
            groups: if u.admin {
                vec![ADMIN_GROUP_ID]
            } else {
                vec![]
            },
            created_at_ms: u.created_at_ms,
        },
    })
}

fn decode_group(bytes: &[u8]) -> Result<GroupV1, StoreError> {
    let StoredGroup::V1(g) = records::decode(bytes, "group")?;
    Ok(g)
}

fn decode_token(bytes: &[u8]) -> Result<TokenV1, StoreError> {
    let StoredToken::V1(t) = records::decode(bytes, "token")?;
    Ok(t)
}

impl Store {
    pub fn user_count(&self) -> usize {
        self.inner.trees.users.len()
    }

    pub fn put_user(&self, user: &UserV2) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.users
            .insert(user.id, records::encode(&StoredUser::V2(user.clone()))?)?;
        t.users.flush()?;
        Ok(())
    }

    pub fn get_user(&self, id: [u8; 16]) -> Result<Option<UserV2>, StoreError> {
        self.inner
            .trees
            .users
            .get(id)?
            .map(|v| decode_user(&v))
            .transpose()
    }

    /// Every user, ordered by name.
    pub fn list_users(&self) -> Result<Vec<UserV2>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.users.iter() {
            out.push(decode_user(&item?.1)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn find_user_by_name(&self, name: &str) -> Result<Option<UserV2>, StoreError> {
        Ok(self.list_users()?.into_iter().find(|u| u.name == name))
    }

    /// Deletes a user with its tokens and sessions.
    pub fn delete_user(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        let existed = t.users.remove(id)?.is_some();
        for token in self.list_tokens()? {
            if token.user_id == id {
                t.tokens.remove(token.hash)?;
            }
        }
        for item in t.sessions.iter() {
            let (k, v) = item?;
            let StoredSession::V1(s) = records::decode(&v, "session")?;
            if s.user_id == id {
                t.sessions.remove(k)?;
            }
        }
        t.db.flush()?;
        Ok(existed)
    }

    pub fn put_group(&self, group: &GroupV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.groups
            .insert(group.id, records::encode(&StoredGroup::V1(group.clone()))?)?;
        t.groups.flush()?;
        Ok(())
    }

    pub fn get_group(&self, id: [u8; 16]) -> Result<Option<GroupV1>, StoreError> {
        self.inner
            .trees
            .groups
            .get(id)?
            .map(|v| decode_group(&v))
            .transpose()
    }

    /// Every group, ordered by name.
    pub fn list_groups(&self) -> Result<Vec<GroupV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.groups.iter() {
            out.push(decode_group(&item?.1)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn delete_group(&self, id: [u8; 16]) -> Result<bool, StoreError> {
        let t = &self.inner.trees;
        let existed = t.groups.remove(id)?.is_some();
        t.groups.flush()?;
        Ok(existed)
    }

    pub fn put_token(&self, token: &TokenV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.tokens.insert(
            token.hash,
            records::encode(&StoredToken::V1(token.clone()))?,
        )?;
        t.tokens.flush()?;
        Ok(())
    }

    pub fn find_token(&self, hash: &[u8; 32]) -> Result<Option<TokenV1>, StoreError> {
        self.inner
            .trees
            .tokens
            .get(hash)?
            .map(|v| decode_token(&v))
            .transpose()
    }

    /// Every token (hashes only), newest first.
    pub fn list_tokens(&self) -> Result<Vec<TokenV1>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.tokens.iter() {
            out.push(decode_token(&item?.1)?);
        }
        out.sort_by_key(|t| std::cmp::Reverse(t.created_at_ms));
        Ok(out)
    }

    pub fn put_session(&self, key: &[u8; 32], session: &SessionV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.sessions
            .insert(key, records::encode(&StoredSession::V1(session.clone()))?)?;
        t.sessions.flush()?;
        Ok(())
    }

    pub fn get_session(&self, key: &[u8; 32]) -> Result<Option<SessionV1>, StoreError> {
        let Some(v) = self.inner.trees.sessions.get(key)? else {
            return Ok(None);
        };
        let StoredSession::V1(s) = records::decode(&v, "session")?;
        Ok(Some(s))
    }

    pub fn delete_session(&self, key: &[u8; 32]) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.sessions.remove(key)?;
        t.sessions.flush()?;
        Ok(())
    }
}
