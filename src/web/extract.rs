//! Authorization by type: a handler that takes `AdminUser` cannot forget the check.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::auth::{self, AuthError, Principal};
use crate::error::AppError;
use crate::state::AppState;

/// A caller holding a valid token of an admin.
pub struct AdminUser(pub Principal);

fn principal(req: &HttpRequest) -> Result<Principal, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("state missing"))?;
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

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| {
            if p.admin {
                Ok(AdminUser(p))
            } else {
                Err(AppError::Forbidden("this needs an admin".into()))
            }
        }))
    }
}
