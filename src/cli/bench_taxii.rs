//! `stixhub bench-taxii`: objects/s served through TAXII pages (following `next`) by this hub and by
//! medallion (OASIS' reference server, memory backend) on the same bundle, in the same run, on 127.0.0.1.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, Secret};

const MEDIA: &str = "application/taxii+json;version=2.1";

#[derive(Debug, Args)]
pub struct BenchTaxiiArgs {
    /// STIX 2.1 bundle served by both servers
    #[arg(
        long,
        default_value = "../shared/data/stix21/mitre-attack/ics-attack-18.1.json"
    )]
    bundle: PathBuf,
    /// Python with medallion installed (env STIXHUB_PYTHON; `.ci/run` makes .venv)
    #[arg(long, env = "STIXHUB_PYTHON", default_value = ".venv/bin/python")]
    python: PathBuf,
    /// Objects per page
    #[arg(long, default_value_t = 100)]
    page: usize,
    /// Full passes through the collection per server (after one warm-up pass)
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also write the figures as JSON to this file
    #[arg(long)]
    json: Option<PathBuf>,
}

struct Kill(tokio::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// One pass through a collection following `next` only.
#[derive(Default)]
struct Pass {
    objects: usize,
    pages: usize,
    /// Objects and time of the pages after the first (what a server costs once its first answer is out).
    later_objects: usize,
    later: Duration,
}

async fn page_through(
    client: &reqwest::Client,
    objects_url: &str,
    basic: Option<(&str, &str)>,
    page: usize,
) -> Result<Pass, String> {
    let (mut pass, mut next) = (Pass::default(), None::<String>);
    loop {
        let started = Instant::now();
        let mut req = client
            .get(objects_url)
            .header("Accept", MEDIA)
            .query(&[("limit", page.to_string())]);
        if let Some(n) = &next {
            req = req.query(&[("next", n)]);
        }
        if let Some((u, p)) = basic {
            req = req.basic_auth(u, Some(p));
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("{objects_url}: HTTP {}", res.status()));
        }
        let body: Value = res.json().await.map_err(|e| e.to_string())?;
        let n = body["objects"].as_array().map_or(0, Vec::len);
        if pass.pages > 0 {
            pass.later_objects += n;
            pass.later += started.elapsed();
        }
        pass.objects += n;
        pass.pages += 1;
        next = body["next"].as_str().map(str::to_owned);
        if next.is_none() || body["more"] != Value::Bool(true) {
            return Ok(pass);
        }
    }
}

/// Warm-up pass, then `rounds` timed passes: objects, pages, objects/s over whole passes and over the
/// pages after the first.
async fn measure(
    client: &reqwest::Client,
    url: &str,
    basic: Option<(&str, &str)>,
    args: &BenchTaxiiArgs,
) -> Result<Value, String> {
    let warm = page_through(client, url, basic, args.page).await?;
    let (mut later_objects, mut later) = (0usize, Duration::ZERO);
    let start = Instant::now();
    for _ in 0..args.rounds {
        let pass = page_through(client, url, basic, args.page).await?;
        later_objects += pass.later_objects;
        later += pass.later;
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok(json!({
        "objects": warm.objects, "pages": warm.pages,
        "objects_per_s": ((warm.objects * args.rounds) as f64 / secs).round(),
        "later_pages_objects_per_s": (later_objects as f64 / later.as_secs_f64().max(1e-9)).round(),
    }))
}

async fn wait_ready(client: &reqwest::Client, url: &str, basic: Option<(&str, &str)>) -> bool {
    for _ in 0..200 {
        let mut req = client.get(url).header("Accept", MEDIA);
        if let Some((u, p)) = basic {
            req = req.basic_auth(u, Some(p));
        }
        if req.send().await.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// medallion's memory-backend data file: one collection holding the bundle, a manifest entry per object.
fn medallion_data(objects: &[Value]) -> Value {
    let manifest: Vec<Value> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let version = o.get("modified").or_else(|| o.get("created")).cloned();
            json!({"id": o["id"], "date_added": format!("2024-01-01T00:00:00.{:06}Z", i),
                   "version": version, "media_type": "application/stix+json;version=2.1"})
        })
        .collect();
    json!({
        "/discovery": {"title": "medallion", "default": "http://127.0.0.1/api1/", "api_roots": ["http://127.0.0.1/api1/"]},
        "api1": {"information": {"title": "bench", "versions": [MEDIA], "max_content_length": 100_000_000},
                 "status": [],
                 "collections": [{"id": "11111111-2222-4333-8444-555555555555", "title": "bench", "can_read": true,
                                  "can_write": false, "media_types": ["application/stix+json;version=2.1"],
                                  "objects": objects, "manifest": manifest}]}
    })
}

async fn run_inner(args: BenchTaxiiArgs) -> Result<Value, String> {
    let body = super::read_bundle_file(&args.bundle)?;
    let bundle: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
    let client = reqwest::Client::new();

    // This hub: an anonymous public collection holding everything.
    let dir = tempfile_dir("taxii-hub")?;
    let token = crate::auth::generate_secret(32);
    let config = Config {
        data_dir: dir.join("data"),
        admin_token: Some(Secret(token.clone())),
        admin_password: Some(Secret(crate::auth::generate_secret(20))),
        ..Config::default()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(crate::app::run(config, listener, shutdown.clone()));
    if !wait_ready(&client, &format!("{base}/healthz"), None).await {
        return Err("the hub did not start".into());
    }
    let post = |path: &str, body: Vec<u8>| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .body(body)
            .send()
    };
    post("/api/bundles", body.clone())
        .await
        .map_err(|e| e.to_string())?;
    let created: Value = post(
        "/api/collections",
        json!({"name": "bench", "public": true})
            .to_string()
            .into_bytes(),
    )
    .await
    .map_err(|e| e.to_string())?
    .json()
    .await
    .map_err(|e| e.to_string())?;
    let hub_url = format!("{}objects/", created["url"].as_str().unwrap_or_default());
    let hub = measure(&client, &hub_url, None, &args).await;
    shutdown.cancel();
    let _ = server.await;
    let hub = hub?;

    // medallion, memory backend, same objects.
    let data_file = dir.join("medallion-data.json");
    let config_file = dir.join("medallion.json");
    std::fs::write(&data_file, medallion_data(&objects).to_string()).map_err(|e| e.to_string())?;
    let medallion_config = json!({
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                    "filename": data_file.display().to_string()},
        "users": {"bench": "bench"}, "taxii": {"max_page_size": args.page}});
    std::fs::write(&config_file, medallion_config.to_string()).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = tokio::process::Command::new(&args.python)
        .args([
            "-m",
            "medallion.scripts.run",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["--log-level", "ERROR"])
        .arg(&config_file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start medallion with {}: {e}", args.python.display()))?;
    let _child = Kill(child);
    let auth = Some(("bench", "bench"));
    let m_base = format!("http://127.0.0.1:{port}");
    if !wait_ready(&client, &format!("{m_base}/taxii2/"), auth).await {
        return Err("medallion did not start (is it installed in that Python?)".into());
    }
    let m_url = format!("{m_base}/api1/collections/11111111-2222-4333-8444-555555555555/objects/");
    let medallion = measure(&client, &m_url, auth, &args).await?;
    let _ = std::fs::remove_dir_all(&dir);
    let ratio = |key: &str| {
        let (h, m) = (
            hub[key].as_f64().unwrap_or(0.0),
            medallion[key].as_f64().unwrap_or(0.0),
        );
        (h / m.max(1e-9) * 10.0).round() / 10.0
    };
    Ok(json!({
        "bundle": args.bundle.display().to_string(), "page": args.page, "rounds": args.rounds,
        "ratio": ratio("objects_per_s"), "ratio_later_pages": ratio("later_pages_objects_per_s"),
        "hub": hub, "medallion": medallion,
    }))
}

fn tempfile_dir(tag: &str) -> Result<PathBuf, String> {
    let p = std::env::temp_dir().join(format!(
        "stixhub-bench-{tag}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

/// Runs the benchmark; prints the figures and optionally writes them as JSON.
pub async fn run(args: BenchTaxiiArgs) -> bool {
    let json_out = args.json.clone();
    match run_inner(args).await {
        Ok(figures) => {
            let mut w = std::io::stdout();
            let f = |a: &str, b: &str| figures[a][b].as_f64().unwrap_or(0.0);
            let _ = writeln!(
                w,
                "TAXII pages of {} through {} objects ({} pages), {} rounds, objects/s:\n\
                 {:>12} {:>14} {:>22}\n{:>12} {:>14.0} {:>22.0}\n{:>12} {:>14.0} {:>22.0}\n{:>12} {:>13.1}x {:>21.1}x",
                figures["page"], figures["hub"]["objects"], figures["hub"]["pages"], figures["rounds"],
                "", "whole passes", "pages after the first",
                "stixhub", f("hub", "objects_per_s"), f("hub", "later_pages_objects_per_s"),
                "medallion", f("medallion", "objects_per_s"), f("medallion", "later_pages_objects_per_s"),
                "ratio", figures["ratio"].as_f64().unwrap_or(0.0), figures["ratio_later_pages"].as_f64().unwrap_or(0.0)
            );
            if let Some(path) = json_out {
                let _ = std::fs::write(path, figures.to_string());
            }
            true
        }
        Err(e) => {
            eprintln!("stixhub bench-taxii: {e}");
            false
        }
    }
}
