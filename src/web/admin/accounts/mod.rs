//! Settings pages: users, groups (markings + capabilities editors) and API tokens.

mod groups;
mod tokens;
mod users;

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;

use super::{render, PageResult};
use crate::auth::manage::{id_text, ManageError};
use crate::store::{GroupV1, ADMIN_GROUP_ID};

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    groups::configure(cfg);
    tokens::configure(cfg);
}

/// Renders a page with a status (a form error re-renders its page with 400/409 and the reason).
pub(super) fn render_status(page: &impl Template, status: StatusCode) -> PageResult {
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
pub(super) fn shown(e: ManageError) -> Result<(String, StatusCode), super::PageError> {
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

pub(super) fn group_view(g: &GroupV1) -> GroupView {
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
