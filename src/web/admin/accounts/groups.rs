//! Groups: allowed markings (one level per TLP/PAP ladder) and capabilities.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::{group_view, render_status, shown, GroupView};
use crate::auth::manage::{self, parse_id, ManageError};
use crate::auth::Capability;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::GroupV1;
use crate::web::admin::{render, see_other, Chrome, NoFields, Page, PageResult, Post};
use crate::web::extract::Admin;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/groups", web::get().to(groups))
        .route("/groups", web::post().to(create_group))
        .route("/groups/{id}", web::get().to(edit_group))
        .route("/groups/{id}", web::post().to(update_group))
        .route("/groups/{id}/delete", web::post().to(delete_group));
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
) -> Result<GroupsPage, crate::web::admin::PageError> {
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
