//! The import page: upload a bundle file, see the counts and every rejected object with its reason.

use actix_multipart::Multipart;
use actix_web::web;
use askama::Template;
use futures_util::StreamExt;

use super::{render, Chrome, Page, PageResult};
use crate::auth::session;
use crate::error::AppError;
use crate::knowledge::{self, ImportReport};
use crate::state::AppState;
use crate::web::extract::Import;

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    chrome: Chrome,
    file: String,
    report: Option<ImportReport>,
    total_errors: usize,
}

pub async fn form(page: Page<Import>) -> PageResult {
    render(&ImportPage {
        chrome: page.chrome("import"),
        file: String::new(),
        report: None,
        total_errors: 0,
    })
}

const SHOWN_ERRORS: usize = 200;

/// Reads the multipart form: the `csrf` field (checked before the file is accepted) and the `file` field.
async fn read_upload(
    page: &Page<Import>,
    mut parts: Multipart,
    limit: usize,
) -> Result<(String, Vec<u8>), AppError> {
    let mut csrf_ok = false;
    let mut file = None;
    while let Some(field) = parts.next().await {
        let mut field =
            field.map_err(|e| AppError::BadRequest(format!("cannot read the upload: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .unwrap_or("upload.json")
            .to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|e| AppError::BadRequest(format!("cannot read the upload: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf" => {
                csrf_ok = session::csrf_matches(&page.session, &String::from_utf8_lossy(&bytes));
            }
            "file" if csrf_ok => file = Some((filename, bytes)),
            "file" => break,
            _ => {}
        }
    }
    if !csrf_ok {
        return Err(AppError::Forbidden(
            "the form's security token is missing or stale: reload the page and try again".into(),
        ));
    }
    file.filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::BadRequest("choose a bundle file to import".into()))
}

/// A gzipped upload (`.json.gz`), inflated up to the body limit.
fn gunzip(raw: &[u8], limit: usize) -> Result<Vec<u8>, AppError> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| AppError::BadRequest(format!("not a valid gzip file: {e}")))?;
    if out.len() > limit {
        return Err(AppError::PayloadTooLarge(limit));
    }
    Ok(out)
}

pub async fn submit(
    state: web::Data<AppState>,
    page: Page<Import>,
    parts: Multipart,
) -> PageResult {
    let (file, body) = read_upload(&page, parts, state.config.max_body_bytes).await?;
    let body = if body.starts_with(&[0x1f, 0x8b]) {
        gunzip(&body, state.config.max_body_bytes)?
    } else {
        body
    };
    let access = page.principal.access.clone();
    let origin = state.origin("admin", &page.principal);
    let store = state.store.clone();
    let max_object = state.config.max_object_bytes;
    let report = web::block(move || {
        knowledge::import_bundle_as(&store, &body, max_object, &origin, &access, &mut |_, _| {})
    })
    .await??;
    let mut report = report;
    let total_errors = report.errors.len();
    report.errors.truncate(SHOWN_ERRORS);
    render(&ImportPage {
        chrome: page.chrome("import"),
        file,
        total_errors,
        report: Some(report),
    })
}
