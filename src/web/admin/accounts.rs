//! Settings pages: users, groups (markings + capabilities editors) and API tokens.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, Chrome, NoFields, Page, PageResult, Post};
use crate::auth::manage::{self, id_text, parse_id, ManageError};
use crate::auth::Capability;
use crate::error::AppError;
use crate::state::AppState;
use crate::stix::{format_ms, parse_position_date_ms};
use crate::store::{GroupV1, ADMIN_GROUP_ID};
use crate::web::extract::{Admin, Anyone};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(users))
        .route("/users", web::post().to(create_user))
        .route("/users/{id}", web::post().to(update_user))
        .route("/users/{id}/delete", web::post().to(delete_user))
        .route("/groups", web::get().to(groups))
        .route("/groups", web::post().to(create_group))
        .route("/groups/{id}", web::get().to(edit_group))
        .route("/groups/{id}", web::post().to(update_group))
        .route("/groups/{id}/delete", web::post().to(delete_group))
        .route("/tokens", web::get().to(tokens))
        .route("/tokens", web::post().to(create_token))
        .route("/tokens/{id}/revoke", web::post().to(revoke_token));
}

/// Renders a page with a status (a form error re-renders its page with 400/409 and the reason).
fn render_status(page: &impl Template, status: StatusCode) -> PageResult {
    let mut res = render(page)?;
    *res.status_mut() = status;
    Ok(res)
}

fn status_of(e: &ManageError) -> StatusCode {
    match e {
        ManageError::Conflict(_) => StatusCode::CONFLICT,
        ManageError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// A form error shown on its page; store failures stay 500s.
fn shown(e: ManageError) -> Result<(String, StatusCode), super::PageError> {
    match e {
        ManageError::Store(_) | ManageError::Hash(_) => Err(e.into()),
        other => Ok((other.to_string(), status_of(&other))),
    }
}

pub struct GroupView {
    pub id: String,
    pub name: String,
    pub markings: String,
    pub capabilities: String,
    pub builtin: bool,
    pub tlp: String,
    pub pap: String,
    pub caps: Vec<String>,
}

impl GroupView {
    #[must_use]
    pub fn has_cap(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c == cap)
    }

    #[must_use]
    pub fn tlp_is(&self, level: &str) -> bool {
        self.tlp == level
    }

    #[must_use]
    pub fn pap_is(&self, level: &str) -> bool {
        self.pap == level
    }
}

fn group_view(g: &GroupV1) -> GroupView {
    let level = |ladder: &str| {
        g.allowed_markings
            .iter()
            .find(|m| m.starts_with(ladder))
            .cloned()
            .unwrap_or_default()
    };
    GroupView {
        id: id_text(g.id),
        name: g.name.clone(),
        markings: if g.allowed_markings.is_empty() {
            "unmarked only".into()
        } else {
            g.allowed_markings.join(", ")
        },
        capabilities: if g.capabilities.is_empty() {
            "none".into()
        } else {
            g.capabilities.join(", ")
        },
        builtin: g.id == ADMIN_GROUP_ID,
        tlp: level("TLP:"),
        pap: level("PAP:"),
        caps: g.capabilities.clone(),
    }
}

pub struct UserView {
    pub id: String,
    pub name: String,
    pub groups: Vec<String>,
    pub group_names: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    groups: Vec<GroupView>,
    error: Option<String>,
    notice: Option<String>,
}

fn users_page(
    state: &AppState,
    page: &Page<Admin>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<UsersPage, super::PageError> {
    let groups = state.store.list_groups()?;
    let name_of = |id: &[u8; 16]| {
        groups
            .iter()
            .find(|g| &g.id == id)
            .map_or_else(|| "?".to_string(), |g| g.name.clone())
    };
    let users = state
        .store
        .list_users()?
        .iter()
        .map(|u| UserView {
            id: id_text(u.id),
            name: u.name.clone(),
            groups: u.groups.iter().map(|g| id_text(*g)).collect(),
            group_names: u.groups.iter().map(name_of).collect::<Vec<_>>().join(", "),
            created: format_ms(u.created_at_ms),
        })
        .collect();
    Ok(UsersPage {
        chrome: page.chrome("users"),
        users,
        groups: groups.iter().map(group_view).collect(),
        error,
        notice,
    })
}

async fn users(state: web::Data<AppState>, page: Page<Admin>) -> PageResult {
    render(&users_page(&state, &page, None, None)?)
}

fn group_ids(list: &[String]) -> Result<Vec<[u8; 16]>, ManageError> {
    list.iter()
        .map(|g| parse_id(g, "group").map_err(|_| ManageError::Invalid(format!("no group '{g}'"))))
        .collect()
}

#[derive(Deserialize)]
struct NewUser {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    groups: Vec<String>,
}

async fn create_user(state: web::Data<AppState>, post: Post<Admin, NewUser>) -> PageResult {
    let f = post.form;
    let store = state.store.clone();
    let name = f.name.clone();
    let result = web::block(move || {
        manage::create_user(&store, &f.name, &f.password, &group_ids(&f.groups)?)
    })
    .await?;
    match result {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e) => {
            let (msg, status) = shown(e)?;
            let page = users_page(
                &state,
                &post.page,
                Some(format!("User '{name}' not created: {msg}")),
                None,
            )?;
            render_status(&page, status)
        }
    }
}

#[derive(Deserialize)]
struct UserUpdate {
    #[serde(default)]
    password: String,
    #[serde(default)]
    groups: Vec<String>,
}

async fn update_user(
    state: web::Data<AppState>,
    post: Post<Admin, UserUpdate>,
    id: web::Path<String>,
) -> PageResult {
    let uid = parse_id(&id, "user")?;
    let f = post.form;
    let store = state.store.clone();
    let result = web::block(move || {
        let password = (!f.password.is_empty()).then_some(f.password.as_str());
        manage::update_user(&store, uid, password, Some(&group_ids(&f.groups)?))
    })
    .await?;
    match result {
        Ok(u) => {
            let page = users_page(
                &state,
                &post.page,
                None,
                Some(format!("User '{}' saved.", u.name)),
            )?;
            render(&page)
        }
        Err(e) => {
            let (msg, status) = shown(e)?;
            render_status(&users_page(&state, &post.page, Some(msg), None)?, status)
        }
    }
}

async fn delete_user(
    state: web::Data<AppState>,
    post: Post<Admin, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    let uid = parse_id(&id, "user")?;
    if uid == post.page.principal.user_id {
        let page = users_page(
            &state,
            &post.page,
            Some("You cannot delete yourself.".into()),
            None,
        )?;
        return render_status(&page, StatusCode::CONFLICT);
    }
    match manage::delete_user(&state.store, uid) {
        Ok(()) => Ok(see_other("/admin/users")),
        Err(e) => {
            let (msg, status) = shown(e)?;
            render_status(&users_page(&state, &post.page, Some(msg), None)?, status)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupView>,
    edit: Option<GroupView>,
    error: Option<String>,
    tlp_levels: &'static [&'static str],
    pap_levels: &'static [&'static str],
    all_caps: Vec<&'static str>,
}

const TLP_LEVELS: &[&str] = &[
    "TLP:CLEAR",
    "TLP:GREEN",
    "TLP:AMBER",
    "TLP:AMBER+STRICT",
    "TLP:RED",
];
const PAP_LEVELS: &[&str] = &["PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED"];

impl GroupsPage {
    /// New groups start with `read` ticked.
    fn default_cap(&self, cap: &str) -> bool {
        cap == "read"
    }
}

fn groups_page(
    state: &AppState,
    page: &Page<Admin>,
    edit: Option<GroupView>,
    error: Option<String>,
) -> Result<GroupsPage, super::PageError> {
    Ok(GroupsPage {
        chrome: page.chrome("groups"),
        groups: state.store.list_groups()?.iter().map(group_view).collect(),
        edit,
        error,
        tlp_levels: TLP_LEVELS,
        pap_levels: PAP_LEVELS,
        all_caps: Capability::ALL.iter().map(|c| c.as_str()).collect(),
    })
}

async fn groups(state: web::Data<AppState>, page: Page<Admin>) -> PageResult {
    render(&groups_page(&state, &page, None, None)?)
}

async fn edit_group(
    state: web::Data<AppState>,
    page: Page<Admin>,
    id: web::Path<String>,
) -> PageResult {
    let gid = parse_id(&id, "group")?;
    let g = state
        .store
        .get_group(gid)?
        .ok_or_else(|| AppError::NotFound(format!("no group with id '{id}'")))?;
    render(&groups_page(&state, &page, Some(group_view(&g)), None)?)
}

#[derive(Deserialize)]
struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tlp: String,
    #[serde(default)]
    pap: String,
    #[serde(default)]
    capabilities: Vec<String>,
}

fn save_group(
    state: &AppState,
    id: Option<[u8; 16]>,
    f: &GroupForm,
) -> Result<GroupV1, ManageError> {
    let markings: Vec<String> = [&f.tlp, &f.pap]
        .into_iter()
        .filter(|m| !m.trim().is_empty())
        .cloned()
        .collect();
    manage::save_group(&state.store, id, &f.name, &markings, &f.capabilities)
}

async fn create_group(state: web::Data<AppState>, post: Post<Admin, GroupForm>) -> PageResult {
    match save_group(&state, None, &post.form) {
        Ok(_) => Ok(see_other("/admin/groups")),
        Err(e) => {
            let (msg, status) = shown(e)?;
            render_status(&groups_page(&state, &post.page, None, Some(msg))?, status)
        }
    }
}

async fn update_group(
    state: web::Data<AppState>,
    post: Post<Admin, GroupForm>,
    id: web::Path<String>,
) -> PageResult {
    let gid = parse_id(&id, "group")?;
    match save_group(&state, Some(gid), &post.form) {
        Ok(_) => Ok(see_other("/admin/groups")),
        Err(e) => {
            let (msg, status) = shown(e)?;
            let edit = state.store.get_group(gid)?.as_ref().map(group_view);
            render_status(&groups_page(&state, &post.page, edit, Some(msg))?, status)
        }
    }
}

async fn delete_group(
    state: web::Data<AppState>,
    post: Post<Admin, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    match manage::delete_group(&state.store, parse_id(&id, "group")?) {
        Ok(()) => Ok(see_other("/admin/groups")),
        Err(e) => {
            let (msg, status) = shown(e)?;
            render_status(&groups_page(&state, &post.page, None, Some(msg))?, status)
        }
    }
}

pub struct TokenView {
    pub id: String,
    pub name: String,
    pub user: String,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenView>,
    users: Vec<(String, String)>,
    me: String,
    created: Option<(String, String)>,
    error: Option<String>,
}

fn tokens_page(
    state: &AppState,
    page: &Page<Anyone>,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Result<TokensPage, super::PageError> {
    let p = &page.principal;
    let users = state.store.list_users()?;
    let name_of = |id: [u8; 16]| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| "(deleted)".to_string(), |u| u.name.clone())
    };
    let now = i64::try_from(crate::store::now_ms()).unwrap_or(i64::MAX);
    let tokens = state
        .store
        .list_tokens()?
        .iter()
        .filter(|t| p.is_admin() || t.user_id == p.user_id)
        .map(|t| TokenView {
            id: id_text(t.id),
            name: t.name.clone(),
            user: name_of(t.user_id),
            created: format_ms(t.created_at_ms),
            expires: t.expires_at_ms.map_or_else(|| "never".into(), format_ms),
            state: if t.revoked {
                "revoked"
            } else if t.expires_at_ms.is_some_and(|e| e <= now) {
                "expired"
            } else {
                "active"
            },
        })
        .collect();
    let users = if p.is_admin() {
        users
            .iter()
            .map(|u| (id_text(u.id), u.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(TokensPage {
        chrome: page.chrome("tokens"),
        tokens,
        users,
        me: id_text(p.user_id),
        created,
        error,
    })
}

async fn tokens(state: web::Data<AppState>, page: Page<Anyone>) -> PageResult {
    render(&tokens_page(&state, &page, None, None)?)
}

#[derive(Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
    #[serde(default)]
    user_id: String,
    /// `YYYY-MM-DD` from a date input, or an RFC 3339 date; empty = never.
    #[serde(default)]
    expires: String,
}

fn expiry(text: &str) -> Result<Option<i64>, ManageError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let full = if t.len() == 10 {
        format!("{t}T23:59:59Z")
    } else {
        t.to_string()
    };
    parse_position_date_ms(&full)
        .map(Some)
        .ok_or_else(|| ManageError::Invalid(format!("expiry must be a date, got '{t}'")))
}

async fn create_token(state: web::Data<AppState>, post: Post<Anyone, NewToken>) -> PageResult {
    let p = &post.page.principal;
    let f = &post.form;
    let owner = if f.user_id.trim().is_empty() {
        Ok(p.user_id)
    } else {
        parse_id(&f.user_id, "user")
    };
    let result = owner.and_then(|owner| {
        if owner != p.user_id && !p.is_admin() {
            return Err(ManageError::Invalid(
                "only admins create tokens for other users".into(),
            ));
        }
        manage::create_token(&state.store, &f.name, owner, expiry(&f.expires)?)
    });
    match result {
        Ok((token, value)) => {
            let page = tokens_page(&state, &post.page, Some((token.name, value)), None)?;
            let mut res = render(&page)?;
            res.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(res)
        }
        Err(e) => {
            let (msg, status) = shown(e)?;
            render_status(&tokens_page(&state, &post.page, None, Some(msg))?, status)
        }
    }
}

async fn revoke_token(
    state: web::Data<AppState>,
    post: Post<Anyone, NoFields>,
    id: web::Path<String>,
) -> PageResult {
    let p = &post.page.principal;
    let tid = parse_id(&id, "token")?;
    let token = manage::find_token(&state.store, tid)?;
    if token.user_id != p.user_id && !p.is_admin() {
        return Err(AppError::NotFound(format!("no token with id '{id}'")).into());
    }
    manage::revoke_token(&state.store, tid)?;
    Ok(see_other("/admin/tokens"))
}
