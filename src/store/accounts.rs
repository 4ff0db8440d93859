//! Users and API tokens (only hashes are stored).

use super::records::{self, StoredToken, StoredUser, TokenV1, UserV1};
use super::{Store, StoreError};

impl Store {
    pub fn user_count(&self) -> usize {
        self.inner.trees.users.len()
    }

    pub fn put_user(&self, user: &UserV1) -> Result<(), StoreError> {
        let t = &self.inner.trees;
        t.users
            .insert(user.id, records::encode(&StoredUser::V1(user.clone()))?)?;
        t.users.flush()?;
        Ok(())
    }

    pub fn get_user(&self, id: [u8; 16]) -> Result<Option<UserV1>, StoreError> {
        let Some(v) = self.inner.trees.users.get(id)? else {
            return Ok(None);
        };
        let StoredUser::V1(u) = records::decode(&v, "user")?;
        Ok(Some(u))
    }

    pub fn find_user_by_name(&self, name: &str) -> Result<Option<UserV1>, StoreError> {
        for item in self.inner.trees.users.iter() {
            let (_, v) = item?;
            let StoredUser::V1(u) = records::decode(&v, "user")?;
            if u.name == name {
                return Ok(Some(u));
            }
        }
        Ok(None)
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
        let Some(v) = self.inner.trees.tokens.get(hash)? else {
            return Ok(None);
        };
        let StoredToken::V1(t) = records::decode(&v, "token")?;
        Ok(Some(t))
    }
}
