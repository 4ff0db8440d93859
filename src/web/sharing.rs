//! Fields that TAXII collections and CSV feeds share with live streams (name, description, filters, public,
//! marking ceiling, authorized groups), validated the same way, and who reads a shared resource.

use actix_web::{http::header, HttpRequest};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::auth::{self, Access, AuthError, Principal};
use crate::error::AppError;
use crate::filter::FilterGroup;
use crate::state::AppState;

pub const TLP_NAMES: [&str; 2] = ["TLP:CLEAR", "TLP:GREEN"];

/// The access-relevant part of a collection or feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    pub name: String,
    pub description: String,
    pub filters_json: String,
    pub public: bool,
    pub max_tlp: u8,
    pub authorized_groups: Vec<[u8; 16]>,
}

impl Common {
    #[must_use]
    pub fn new() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            filters_json: FilterGroup::empty().to_json().to_string(),
            public: false,
            max_tlp: 0,
            authorized_groups: Vec::new(),
        }
    }

    /// The shared fields as JSON (the caller adds its own).
    #[must_use]
    pub fn to_json(&self, id: [u8; 16], created_at_ms: i64) -> Map<String, Value> {
        let filters: Value = serde_json::from_str(&self.filters_json).unwrap_or(Value::Null);
        let v = json!({
            "id": Uuid::from_bytes(id).to_string(),
            "name": self.name,
            "description": self.description,
            "filters": filters,
            "public": self.public,
            "max_marking": TLP_NAMES.get(usize::from(self.max_tlp)).copied().unwrap_or("TLP:CLEAR"),
            "authorized_groups": self.authorized_groups.iter().map(|g| Uuid::from_bytes(*g).to_string()).collect::<Vec<_>>(),
            "created_at": crate::stix::format_ms(created_at_ms),
        });
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The parsed filter; a stored filter that no longer parses matches nothing.
    #[must_use]
    pub fn filter(&self) -> Option<FilterGroup> {
        let value: Value = serde_json::from_str(&self.filters_json).ok()?;
        FilterGroup::parse_stored(&value).ok()
    }

    /// Applies one field; `Ok(false)` when the key is not a shared one.
    pub fn apply(&mut self, key: &str, value: &Value) -> Result<bool, AppError> {
        let bad = |m: String| Err(AppError::BadRequest(m));
        match key {
            "name" => {
                let name = value.as_str().map(str::trim).unwrap_or_default();
                if name.chars().count() < 2 || name.len() > 200 {
                    return bad("name must be a string of 2 to 200 characters".into());
                }
                name.clone_into(&mut self.name);
            }
            "description" => {
                self.description = match value {
                    Value::Null => String::new(),
                    Value::String(d) if d.len() <= 10_000 => d.clone(),
                    _ => return bad("description must be a string of at most 10000 bytes".into()),
                };
            }
            "filters" => match FilterGroup::parse(value) {
                Ok(group) => self.filters_json = group.to_json().to_string(),
                Err(e) => return bad(format!("invalid filters: {e}")),
            },
            "public" => match value.as_bool() {
                Some(b) => self.public = b,
                None => return bad("public must be true or false".into()),
            },
            "max_marking" => {
                let v = value.as_str().unwrap_or_default().to_ascii_uppercase();
                match TLP_NAMES.iter().position(|n| *n == v) {
                    Some(level) => self.max_tlp = u8::try_from(level).unwrap_or(0),
                    None => return bad(format!("max_marking must be TLP:CLEAR or TLP:GREEN (public data never carries more), got {value}")),
                }
            }
            "authorized_groups" => {
                let Some(list) = value.as_array() else {
                    return bad("authorized_groups must be an array of group ids".into());
                };
                let mut groups = Vec::with_capacity(list.len());
                for g in list {
                    match g.as_str().and_then(|t| Uuid::parse_str(t).ok()) {
                        Some(u) => groups.push(*u.as_bytes()),
                        None => return bad(format!("authorized_groups: '{g}' is not a group id")),
                    }
                }
                self.authorized_groups = groups;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl Default for Common {
    fn default() -> Self {
        Self::new()
    }
}

/// Authorized groups must exist (a typo would lock everyone but admins out).
pub fn check_groups(state: &AppState, groups: &[[u8; 16]]) -> Result<(), AppError> {
    for g in groups {
        if state.store.get_group(*g)?.is_none() {
            return Err(AppError::BadRequest(format!(
                "authorized_groups: no group with id '{}'",
                uuid::Uuid::from_bytes(*g)
            )));
        }
    }
    Ok(())
}

pub fn parse_body(body: &[u8]) -> Result<Map<String, Value>, AppError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(AppError::BadRequest("expected a JSON object".into())),
        Err(e) => Err(AppError::InvalidJson(format!("invalid JSON: {e}"))),
    }
}

pub fn now_ms() -> i64 {
    i64::try_from(crate::store::now_ms()).unwrap_or(0)
}

/// Why a reader was turned away.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// No usable credentials (401).
    Unauthenticated(String),
    /// Valid credentials without the right (403).
    Forbidden(String),
    /// Too many failed attempts for this account or address: retry after that many seconds (429).
    Throttled(u64),
}

/// Who is reading a shared resource, and what they may see of it: THE one decision for collections and feeds,
/// the same as for live streams (`auth::shared_access`). Public: anonymous, credentials ignored, capped by the
/// marking ceiling (at most TLP:GREEN). Private: a Bearer token, or HTTP Basic user + password, of a user with
/// `read` in one of the authorized groups (none listed: every user with `read`); admins always.
pub async fn reader_access(
    state: &AppState,
    req: &HttpRequest,
    public: bool,
    max_tlp: u8,
    authorized_groups: &[[u8; 16]],
) -> Result<Access, Denied> {
    if public {
        return Ok(Access::ceiling(max_tlp.min(1)));
    }
    let caller = caller(state, req).await?;
    auth::shared_access(false, max_tlp, authorized_groups, caller.as_ref()).map_err(|d| match d {
        auth::Denied::NeedsCredentials => Denied::Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <token>' (or HTTP Basic)".into(),
        ),
        auth::Denied::NotAuthorized => {
            Denied::Forbidden("this user may not read this resource".into())
        }
    })
}

/// The caller's principal from a Bearer token or HTTP Basic (password checks are rate limited like logins);
/// `None` without credentials.
pub async fn caller(state: &AppState, req: &HttpRequest) -> Result<Option<Principal>, Denied> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(basic) = value.as_deref().and_then(basic_credentials) {
        let (user, password) =
            basic.ok_or_else(|| Denied::Unauthenticated("malformed Basic credentials".into()))?;
        let account = format!("user:{user}");
        let address = format!(
            "ip:{}",
            req.peer_addr()
                .map_or_else(|| "unknown".into(), |a| a.ip().to_string())
        );
        if let Err(secs) = state.logins.check(&account, &address) {
            return Err(Denied::Throttled(secs));
        }
        let store = state.store.clone();
        let verified = actix_web::web::block(move || verify_password(&store, &user, &password))
            .await
            .map_err(|_| Denied::Unauthenticated("authentication failed".into()))?;
        state.logins.record(&account, &address, verified.is_some());
        return match verified {
            Some(p) => Ok(Some(p)),
            None => Err(Denied::Unauthenticated(
                "invalid user name or password".into(),
            )),
        };
    }
    match auth::authenticate(&state.store, value.as_deref()) {
        Ok(p) => Ok(Some(p)),
        Err(AuthError::Missing) if value.is_none() => Ok(None),
        Err(AuthError::Missing) => Err(Denied::Unauthenticated(
            "missing credentials: send 'Authorization: Bearer <token>' (or HTTP Basic)".into(),
        )),
        Err(AuthError::InvalidToken) => Err(Denied::Unauthenticated(
            "invalid, expired or revoked token".into(),
        )),
        Err(e) => {
            tracing::error!(error = %e, "authentication failed");
            Err(Denied::Unauthenticated("authentication failed".into()))
        }
    }
}

/// `Some(Some((user, password)))` for a well-formed `Basic` header, `Some(None)` for a malformed one, `None`
/// when the header is not Basic at all.
fn basic_credentials(value: &str) -> Option<Option<(String, String)>> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64_decode(rest.trim()).and_then(|b| String::from_utf8(b).ok());
    Some(decoded.and_then(|text| {
        text.split_once(':')
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
    }))
}

/// Standard base64 (padding optional); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap_or(0));
        }
    }
    Some(out)
}

/// Checks a user's password (argon2, blocking): the user's principal when it matches.
fn verify_password(store: &crate::store::Store, user: &str, password: &str) -> Option<Principal> {
    let record = store.find_user_by_name(user).ok()??;
    if !auth::verify_password(&record.password_phc, password) {
        return None;
    }
    auth::principal_of(store, record).ok()
}

/// Every shared object that is readable and within a reader's access: the one matcher plus the one access
/// decision (the same view as streams: relationship ends checked, hidden references cut).
pub fn visible(
    state: &AppState,
    filter: Option<&FilterGroup>,
    access: &Access,
    obj: &mut Map<String, Value>,
) -> bool {
    let Some(filter) = filter else {
        return false;
    };
    if !crate::filter::matches(filter, obj)
        || !crate::stream::view::object_visible(&state.store, access, obj)
    {
        return false;
    }
    // As on streams: a relationship with a hidden end is hidden (above), and references to objects the reader
    // may not see are cut from what it receives (B18).
    if !access.bypass {
        crate::stream::view::redact(&state.store, access, obj);
    }
    true
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn basic_credentials_are_decoded() {
        // "admin:test-password" and "a:b:c" (a colon in the password)
        assert_eq!(
            basic_credentials("Basic YWRtaW46dGVzdC1wYXNzd29yZA=="),
            Some(Some(("admin".into(), "test-password".into())))
        );
        assert_eq!(
            basic_credentials("basic YTpiOmM="),
            Some(Some(("a".into(), "b:c".into())))
        );
        assert_eq!(basic_credentials("Basic !!"), Some(None));
        assert_eq!(
            basic_credentials("Basic bm9jb2xvbg=="),
            Some(None),
            "no colon"
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
    }
}
