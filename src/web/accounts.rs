//! `/api/users`, `/api/groups`, `/api/tokens`: account management (admins), and a user's own tokens.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{AdminUser, Authenticated};
use crate::auth::manage::{self, id_text, parse_id, ManageError};
use crate::error::AppError;
use crate::state::AppState;
use crate::stix::format_ms;
use crate::store::{GroupV1, TokenV1, UserV2, ADMIN_GROUP_ID};

impl From<ManageError> for AppError {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::Invalid(m) => AppError::BadRequest(m),
            ManageError::Conflict(m) => AppError::Conflict(m),
            ManageError::NotFound(m) => AppError::NotFound(m),
            ManageError::Store(s) => AppError::from(s),
            ManageError::Hash(h) => AppError::Internal(h),
        }
    }
}

pub fn user_json(u: &UserV2) -> Value {
    json!({
        "id": id_text(u.id),
        "name": u.name,
        "groups": u.groups.iter().map(|g| id_text(*g)).collect::<Vec<_>>(),
        "created_at": format_ms(u.created_at_ms),
    })
}

pub fn group_json(g: &GroupV1) -> Value {
    json!({
        "id": id_text(g.id),
        "name": g.name,
        "allowed_markings": g.allowed_markings,
        "capabilities": g.capabilities,
        "builtin": g.id == ADMIN_GROUP_ID,
        "created_at": format_ms(g.created_at_ms),
    })
}

pub fn token_json(t: &TokenV1) -> Value {
    json!({
        "id": id_text(t.id),
        "name": t.name,
        "user_id": id_text(t.user_id),
        "created_at": format_ms(t.created_at_ms),
        "expires_at": t.expires_at_ms.map(format_ms),
        "revoked": t.revoked,
    })
}

fn json_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("invalid request body: {e}")))
}

fn group_ids(list: &[String]) -> Result<Vec<[u8; 16]>, AppError> {
    list.iter()
        .map(|g| {
            parse_id(g, "group")
                .map_err(|_| AppError::BadRequest(format!("no group with id '{g}'")))
        })
        .collect()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ManageError> + Send + 'static,
) -> Result<T, AppError> {
    Ok(web::block(f).await??)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    name: String,
    password: String,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    password: Option<String>,
    groups: Option<Vec<String>>,
}

pub async fn list_users(
    state: web::Data<AppState>,
    _a: AdminUser,
) -> Result<HttpResponse, AppError> {
    let users = state.store.list_users()?;
    Ok(HttpResponse::Ok().json(users.iter().map(user_json).collect::<Vec<_>>()))
}

pub async fn create_user(
    state: web::Data<AppState>,
    _a: AdminUser,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let b: NewUser = json_body(&body)?;
    let groups = group_ids(&b.groups)?;
    let store = state.store.clone();
    let user = blocking(move || manage::create_user(&store, &b.name, &b.password, &groups)).await?;
    Ok(HttpResponse::Created().json(user_json(&user)))
}

pub async fn get_user(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let uid = parse_id(&id, "user")?;
    let user = state
        .store
        .get_user(uid)?
        .ok_or_else(|| AppError::NotFound(format!("no user with id '{id}'")))?;
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

pub async fn patch_user(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let uid = parse_id(&id, "user")?;
    let b: UserPatch = json_body(&body)?;
    let groups = b.groups.as_deref().map(group_ids).transpose()?;
    let store = state.store.clone();
    let user = blocking(move || {
        manage::update_user(&store, uid, b.password.as_deref(), groups.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(user_json(&user)))
}

pub async fn delete_user(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    manage::delete_user(&state.store, parse_id(&id, "user")?)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    name: String,
    #[serde(default)]
    allowed_markings: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
}

pub async fn list_groups(
    state: web::Data<AppState>,
    _a: AdminUser,
) -> Result<HttpResponse, AppError> {
    let groups = state.store.list_groups()?;
    Ok(HttpResponse::Ok().json(groups.iter().map(group_json).collect::<Vec<_>>()))
}

pub async fn create_group(
    state: web::Data<AppState>,
    _a: AdminUser,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let b: GroupBody = json_body(&body)?;
    let g = manage::save_group(
        &state.store,
        None,
        &b.name,
        &b.allowed_markings,
        &b.capabilities,
    )?;
    Ok(HttpResponse::Created().json(group_json(&g)))
}

pub async fn get_group(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let gid = parse_id(&id, "group")?;
    let g = state
        .store
        .get_group(gid)?
        .ok_or_else(|| AppError::NotFound(format!("no group with id '{id}'")))?;
    Ok(HttpResponse::Ok().json(group_json(&g)))
}

/// Replaces a group's settings; fields left out keep their value.
pub async fn patch_group(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Patch {
        name: Option<String>,
        allowed_markings: Option<Vec<String>>,
        capabilities: Option<Vec<String>>,
    }
    let gid = parse_id(&id, "group")?;
    let p: Patch = json_body(&body)?;
    let g = state
        .store
        .get_group(gid)?
        .ok_or_else(|| AppError::NotFound(format!("no group with id '{id}'")))?;
    let g = manage::save_group(
        &state.store,
        Some(gid),
        p.name.as_deref().unwrap_or(&g.name),
        p.allowed_markings.as_deref().unwrap_or(&g.allowed_markings),
        p.capabilities.as_deref().unwrap_or(&g.capabilities),
    )?;
    Ok(HttpResponse::Ok().json(group_json(&g)))
}

pub async fn delete_group(
    state: web::Data<AppState>,
    _a: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    manage::delete_group(&state.store, parse_id(&id, "group")?)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    name: String,
    user_id: Option<String>,
    expires_at: Option<String>,
}

/// Admins see every token; other users their own.
pub async fn list_tokens(
    state: web::Data<AppState>,
    user: Authenticated,
) -> Result<HttpResponse, AppError> {
    let p = user.0;
    let tokens: Vec<Value> = state
        .store
        .list_tokens()?
        .iter()
        .filter(|t| p.is_admin() || t.user_id == p.user_id)
        .map(token_json)
        .collect();
    Ok(HttpResponse::Ok().json(tokens))
}

/// A token for the caller, or (admins) for any user. The value is in this answer only.
pub async fn create_token(
    state: web::Data<AppState>,
    user: Authenticated,
    body: super::extractors::Body,
) -> Result<HttpResponse, AppError> {
    let p = user.0;
    let b: NewToken = json_body(&body)?;
    let owner = match &b.user_id {
        None => p.user_id,
        Some(u) => {
            let uid = parse_id(u, "user")
                .map_err(|_| AppError::BadRequest(format!("no user with id '{u}'")))?;
            if uid != p.user_id && !p.is_admin() {
                return Err(AppError::Forbidden(
                    "only admins create tokens for other users".into(),
                ));
            }
            uid
        }
    };
    let expires = match &b.expires_at {
        None => None,
        Some(text) => Some(crate::stix::parse_position_date_ms(text).ok_or_else(|| {
            AppError::BadRequest(format!("expires_at must be an RFC 3339 date, got '{text}'"))
        })?),
    };
    let (token, value) = manage::create_token(&state.store, &b.name, owner, expires)?;
    let mut body = token_json(&token);
    body["token"] = Value::String(value);
    Ok(HttpResponse::Created().json(body))
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    user: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = user.0;
    let tid = parse_id(&id, "token")?;
    let token = manage::find_token(&state.store, tid)?;
    if token.user_id != p.user_id && !p.is_admin() {
        // Another user's token: not revealed.
        return Err(AppError::NotFound(format!("no token with id '{id}'")));
    }
    manage::revoke_token(&state.store, tid)?;
    Ok(HttpResponse::NoContent().finish())
}
