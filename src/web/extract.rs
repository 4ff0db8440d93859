//! Authorization by type: a handler that takes `AdminUser` or `Capable<Share>` cannot forget the check.
//! API callers authenticate with `Authorization: Bearer <token>`; admin pages use the session cookie (see
//! `admin::auth`).

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::auth::{self, AuthError, Capability, Principal};
use crate::error::AppError;
use crate::state::AppState;

pub fn state_of(req: &HttpRequest) -> Result<&web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("state missing"))
}

/// The principal of the request's bearer token.
pub fn bearer_principal(req: &HttpRequest) -> Result<Principal, AppError> {
    let state = state_of(req)?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    auth::authenticate(&state.store, value).map_err(|e| match e {
        AuthError::Missing | AuthError::InvalidToken => AppError::Unauthorized(e.to_string()),
        AuthError::Store(s) => AppError::from(s),
        AuthError::Hash(h) => AppError::Internal(h),
    })
}

/// Any caller with a valid token.
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(bearer_principal(req).map(Authenticated))
    }
}

/// A capability, as a type (`None`: any authenticated user).
pub trait Cap {
    const CAP: Option<Capability>;
}

pub struct Anyone;
impl Cap for Anyone {
    const CAP: Option<Capability> = None;
}

pub struct Admin;
pub struct Import;
pub struct Share;
pub struct Read;

impl Cap for Admin {
    const CAP: Option<Capability> = Some(Capability::Admin);
}
impl Cap for Import {
    const CAP: Option<Capability> = Some(Capability::Import);
}
impl Cap for Share {
    const CAP: Option<Capability> = Some(Capability::Share);
}
impl Cap for Read {
    const CAP: Option<Capability> = Some(Capability::Read);
}

/// Checks a capability; the message names it.
pub fn require(p: Principal, cap: Option<Capability>) -> Result<Principal, AppError> {
    let Some(cap) = cap else { return Ok(p) };
    if p.can(cap) {
        Ok(p)
    } else {
        Err(AppError::Forbidden(format!(
            "this needs the '{}' capability",
            cap.as_str()
        )))
    }
}

/// A caller whose groups grant capability `C` (admins hold every capability).
pub struct Capable<C: Cap>(pub Principal, PhantomData<C>);

impl<C: Cap> FromRequest for Capable<C> {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            bearer_principal(req)
                .and_then(|p| require(p, C::CAP))
                .map(|p| Capable(p, PhantomData)),
        )
    }
}

/// A caller holding a valid token of an admin.
pub type AdminUser = Capable<Admin>;
