//! `stixhub import` and `stixhub healthcheck`.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::config::Config;
use crate::knowledge::{self, ImportReport, Origin};

/// Reads a bundle file, gunzipping `.gz`.
pub fn read_bundle_file(path: &Path) -> Result<Vec<u8>, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: not a valid gzip file: {e}", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn print_report(file: &Path, report: &serde_json::Value) {
    let line = serde_json::json!({ "file": file.display().to_string(), "result": report });
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Imports files; returns false when any file failed as a whole.
pub async fn import(
    config: Config,
    url: Option<String>,
    token: Option<String>,
    files: Vec<std::path::PathBuf>,
) -> bool {
    match url {
        Some(url) => import_remote(&url, token.as_deref().unwrap_or_default(), &files).await,
        None => tokio::task::spawn_blocking(move || import_local(&config, &files))
            .await
            .unwrap_or(false),
    }
}

fn import_local(config: &Config, files: &[std::path::PathBuf]) -> bool {
    let store = match crate::app::open_store(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("stixhub import: {e}");
            eprintln!("(to import into a running hub, use --url http://HOST:PORT --token TOKEN)");
            return false;
        }
    };
    let origin = Origin {
        hub_id: store.hub_id().to_string(),
        source: "cli".into(),
        user_id: None,
        upstream_hub: None,
    };
    let mut ok = true;
    let mut total = ImportReport::default();
    for file in files {
        let body = match read_bundle_file(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("stixhub import: {e}");
                ok = false;
                continue;
            }
        };
        eprintln!(
            "importing {} ({:.1} MB)",
            file.display(),
            body.len() as f64 / 1e6
        );
        let mut progress = |done: usize, all: usize| eprintln!("  {done}/{all} objects");
        match knowledge::import_bundle(
            &store,
            &body,
            config.max_object_bytes,
            &origin,
            &mut progress,
        ) {
            Ok(report) => {
                total.absorb(&report);
                print_report(file, &serde_json::to_value(&report).unwrap_or_default());
            }
            Err(e) => {
                eprintln!("stixhub import: {}: {e}", file.display());
                ok = false;
            }
        }
    }
    if files.len() > 1 {
        eprintln!(
            "total: created {} updated {} unchanged {} older_ignored {} rejected {}",
            total.created, total.updated, total.unchanged, total.older_ignored, total.rejected
        );
    }
    ok && store.flush().is_ok()
}

async fn import_remote(url: &str, token: &str, files: &[std::path::PathBuf]) -> bool {
    let client = reqwest::Client::new();
    let endpoint = format!("{}/api/bundles", url.trim_end_matches('/'));
    let mut ok = true;
    for file in files {
        let body = match read_bundle_file(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("stixhub import: {e}");
                ok = false;
                continue;
            }
        };
        eprintln!(
            "uploading {} ({:.1} MB) to {endpoint}",
            file.display(),
            body.len() as f64 / 1e6
        );
        let res = client
            .post(&endpoint)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) => {
                let status = r.status();
                let value: serde_json::Value = r.json().await.unwrap_or_default();
                if status.is_success() {
                    print_report(file, &value);
                } else {
                    eprintln!("stixhub import: {}: HTTP {status}: {value}", file.display());
                    ok = false;
                }
            }
            Err(e) => {
                eprintln!("stixhub import: {}: {e}", file.display());
                ok = false;
            }
        }
    }
    ok
}

/// `GET <url>/healthz` → true on 200 "ok".
pub async fn healthcheck(config: &Config, url: Option<String>) -> bool {
    let base = url.unwrap_or_else(|| {
        let bind = config
            .bind
            .replace("0.0.0.0", "127.0.0.1")
            .replace("[::]", "[::1]");
        format!("http://{bind}")
    });
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    match client
        .get(format!("{}/healthz", base.trim_end_matches('/')))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            eprintln!("healthcheck: HTTP {}", r.status());
            false
        }
        Err(e) => {
            eprintln!("healthcheck: {e}");
            false
        }
    }
}
