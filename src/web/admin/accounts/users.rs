//! Users: list, create, change groups or password, delete.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{group_view, render_status, shown, GroupView};
use crate::auth::manage::{self, id_text, parse_id, ManageError};
use crate::state::AppState;
use crate::stix::format_ms;
use crate::web::admin::{render, see_other, Chrome, NoFields, Page, PageResult, Post};
use crate::web::extract::Admin;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(users))
        .route("/users", web::post().to(create_user))
        .route("/users/{id}", web::post().to(update_user))
        .route("/users/{id}/delete", web::post().to(delete_user));
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
) -> Result<UsersPage, crate::web::admin::PageError> {
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
