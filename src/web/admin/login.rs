//! Login, logout and the session cookie.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{principal_for, render, see_other, PageResult, Post};
use crate::auth::{self, session, Principal};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::extract::Anyone;

/// The logged-in principal of the request's session cookie, if any.
pub fn session_principal(
    req: &HttpRequest,
) -> Result<Option<(Principal, session::Session)>, AppError> {
    let Some(cookie) = req.cookie(session::COOKIE) else {
        return Ok(None);
    };
    let state = crate::web::extract::state_of(req)?;
    let c = &state.config;
    let Some(s) = session::lookup(
        &state.store,
        cookie.value(),
        c.session_idle_secs,
        c.session_max_secs,
    )?
    else {
        return Ok(None);
    };
    Ok(principal_for(req, s.record.user_id)?.map(|p| (p, s)))
}

/// Only local admin paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin") && !n.starts_with("/admin/login") && !n.contains("//") =>
        {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

#[must_use]
pub fn login_url(next: &str) -> String {
    let next = safe_next(Some(next));
    if next == "/admin" {
        "/admin/login".to_string()
    } else {
        format!(
            "/admin/login?next={}",
            serde_html_form::to_string([("n", next.as_str())])
                .unwrap_or_default()
                .trim_start_matches("n=")
        )
    }
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    next: String,
    error: Option<String>,
    name: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(req: HttpRequest, q: web::Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref());
    if session_principal(&req)?.is_some() {
        return Ok(see_other(&next));
    }
    render(&LoginPage {
        next,
        error: None,
        name: String::new(),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string())
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> PageResult {
    let f = form.into_inner();
    let next = safe_next(f.next.as_deref());
    let account = format!("user:{}", f.name.trim());
    let address = format!("ip:{}", client_address(&req));
    if let Err(secs) = state.logins.check(&account, &address) {
        return Err(AppError::TooManyAttempts(secs).into());
    }
    let store = state.store.clone();
    let name = f.name.trim().to_string();
    let password = f.password;
    // argon2 is slow on purpose: off the async threads.
    let user = web::block(move || -> Result<_, AppError> {
        let user = store.find_user_by_name(&name)?;
        Ok(user.filter(|u| auth::verify_password(&u.password_phc, &password)))
    })
    .await??;
    state.logins.record(&account, &address, user.is_some());
    let Some(user) = user else {
        let page = LoginPage {
            next,
            error: Some("Wrong user name or password.".into()),
            name: f.name,
        };
        let html = page.render().map_err(AppError::internal)?;
        return Ok(HttpResponse::Unauthorized()
            .content_type("text/html; charset=utf-8")
            .body(html));
    };
    let (value, _) = session::create(&state.store, user.id)?;
    let cookie = Cookie::build(session::COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies)
        .max_age(CookieDuration::seconds(
            i64::try_from(state.config.session_max_secs).unwrap_or(43_200),
        ))
        .finish();
    let mut res = see_other(&next);
    res.add_cookie(&cookie).map_err(AppError::internal)?;
    Ok(res)
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _post: Post<Anyone, super::NoFields>,
) -> PageResult {
    if let Some(c) = req.cookie(session::COOKIE) {
        session::destroy(&state.store, c.value())?;
    }
    let mut gone = Cookie::build(session::COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    let mut res = see_other("/admin/login");
    res.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(res)
}
