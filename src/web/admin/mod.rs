//! The admin interface (`/admin`): server-rendered pages behind the login session. Every page handler takes
//! a [`Page`] (session + capability, checked by type) and every state-changing form a [`Post`] (the same,
//! plus the CSRF token), so a handler cannot forget either check.

mod accounts;
mod dashboard;
mod import;
mod knowledge;
mod login;
mod sharing;
mod streams;
mod synchronizers;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::de::DeserializeOwned;

use super::extract::{require, state_of, Cap};
use crate::auth::{self, session, Capability, Principal};
use crate::error::AppError;

pub use login::session_principal;

/// Routes under `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Extractor errors (a bad query string or form) are HTML pages here, not the API's JSON.
    cfg.service(
        super::extractors::html(web::scope("/admin"))
            .route("", web::get().to(dashboard::page))
            .route("/", web::get().to(dashboard::page))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/knowledge", web::get().to(knowledge::list))
            .route("/knowledge/{id}", web::get().to(knowledge::object))
            .route("/import", web::get().to(import::form))
            .route("/import", web::post().to(import::submit))
            .configure(accounts::configure)
            .configure(streams::configure)
            .configure(sharing::configure)
            .configure(synchronizers::configure)
            .default_service(web::to(not_found)),
    );
}

/// The frame every admin page shares: who is logged in, the CSRF token for its forms, the active section.
pub struct Chrome {
    pub user: String,
    pub csrf: String,
    pub active: &'static str,
    pub admin: bool,
    pub share: bool,
    pub import: bool,
}

/// A page request from a logged-in user holding capability `C`.
pub struct Page<C: Cap> {
    pub principal: Principal,
    pub session: session::Session,
    _cap: PhantomData<C>,
}

impl<C: Cap> Page<C> {
    #[must_use]
    pub fn chrome(&self, active: &'static str) -> Chrome {
        Chrome {
            user: self.principal.name.clone(),
            csrf: self.session.record.csrf.clone(),
            active,
            admin: self.principal.is_admin(),
            share: self.principal.can(Capability::Share),
            import: self.principal.can(Capability::Import),
        }
    }
}

/// An error on an admin page: a redirect to the login page, or an HTML error page.
#[derive(Debug)]
pub enum PageError {
    Login(String),
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

macro_rules! page_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for PageError {
            fn from(e: $t) -> Self {
                PageError::App(AppError::from(e))
            }
        }
    )*};
}

page_error_from!(
    crate::store::StoreError,
    crate::auth::manage::ManageError,
    crate::knowledge::KnowledgeError,
    actix_web::error::BlockingError
);

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::Login(_) => write!(f, "login required"),
            PageError::App(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login(_) => StatusCode::SEE_OTHER,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Login(next) => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, login::login_url(next)))
                .finish(),
            PageError::App(e) => {
                let status = e.status_code();
                if let AppError::Internal(cause) = e {
                    tracing::error!(%cause, "internal error on an admin page");
                }
                let title = match status.as_u16() {
                    403 => "Not allowed",
                    404 => "Not found",
                    429 => "Too many attempts",
                    s if s >= 500 => "Something went wrong",
                    _ => "Cannot do that",
                };
                let message = if status.is_server_error() {
                    "The hub could not complete this request; the cause is in its log.".into()
                } else {
                    e.to_string()
                };
                let page = ErrorPage {
                    status: status.as_u16(),
                    title,
                    message,
                };
                let html = page
                    .render()
                    .unwrap_or_else(|_| "<h1>Error</h1>".to_string());
                let mut res = HttpResponse::build(status);
                if let AppError::TooManyAttempts(secs) = e {
                    res.insert_header((header::RETRY_AFTER, secs.to_string()));
                }
                res.content_type("text/html; charset=utf-8").body(html)
            }
        }
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

/// Renders an admin page.
pub fn render(page: &impl Template) -> PageResult {
    Ok(super::index::render(page)?)
}

/// A 303 redirect after a successful form post.
#[must_use]
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn page_principal<C: Cap>(req: &HttpRequest) -> Result<Page<C>, PageError> {
    let next = req
        .uri()
        .path_and_query()
        .map_or("/admin", |p| p.as_str())
        .to_string();
    let Some((principal, session)) = session_principal(req)? else {
        return Err(PageError::Login(next));
    };
    let principal = require(principal, C::CAP)?;
    Ok(Page {
        principal,
        session,
        _cap: PhantomData,
    })
}

impl<C: Cap> FromRequest for Page<C> {
    type Error = PageError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(page_principal(req))
    }
}

/// A state-changing form post: the session, the capability and the CSRF token are checked before the
/// handler runs; `form` is the decoded body (`application/x-www-form-urlencoded`, repeated keys → lists).
pub struct Post<C: Cap, T> {
    pub page: Page<C>,
    pub form: T,
}

/// A form with nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct NoFields {}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

const FORM_LIMIT: usize = 1024 * 1024;

impl<C: Cap + 'static, T: DeserializeOwned + 'static> FromRequest for Post<C, T> {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let page = page_principal::<C>(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let page = page?;
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("cannot read the form: {e}")))?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::PayloadTooLarge(FORM_LIMIT).into());
            }
            check_csrf(&page.session, &body)?;
            let form = serde_html_form::from_bytes::<T>(&body)
                .map_err(|e| AppError::BadRequest(format!("invalid form: {e}")))?;
            Ok(Post { page, form })
        })
    }
}

fn check_csrf(session: &session::Session, body: &[u8]) -> Result<(), AppError> {
    let field: CsrfField = serde_html_form::from_bytes(body).unwrap_or(CsrfField {
        csrf: String::new(),
    });
    if session::csrf_matches(session, &field.csrf) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the form's security token is missing or stale: reload the page and try again".into(),
        ))
    }
}

async fn not_found(req: HttpRequest) -> PageResult {
    Err(AppError::NotFound(format!("no page at {}", req.path())).into())
}

/// Needed by [`login`] to reach the store from a plain request.
fn store_of(req: &HttpRequest) -> Result<crate::store::Store, AppError> {
    Ok(state_of(req)?.store.clone())
}

/// The principal for a user id (None when the user no longer exists).
fn principal_for(req: &HttpRequest, user_id: [u8; 16]) -> Result<Option<Principal>, AppError> {
    let store = store_of(req)?;
    match store.get_user(user_id)? {
        Some(u) => Ok(Some(auth::principal_of(&store, u)?)),
        None => Ok(None),
    }
}
