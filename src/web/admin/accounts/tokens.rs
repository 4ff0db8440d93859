//! API tokens: create (shown once), list, revoke.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{render_status, shown};
use crate::auth::manage::{self, id_text, parse_id, ManageError};
use crate::error::AppError;
use crate::state::AppState;
use crate::stix::{format_ms, parse_position_date_ms};
use crate::web::admin::{render, see_other, Chrome, NoFields, Page, PageResult, Post};
use crate::web::extract::Anyone;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tokens", web::get().to(tokens))
        .route("/tokens", web::post().to(create_token))
        .route("/tokens/{id}/revoke", web::post().to(revoke_token));
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
) -> Result<TokensPage, crate::web::admin::PageError> {
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
