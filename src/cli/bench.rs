//! `stixhub bench`: durable ingest vs raw sled on the same bytes, and SSE replay to one reader on loopback.
//! Figures are ratios to a baseline measured in the same run, because the machine is noisy.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::import::read_bundle_file;
use crate::config::{Config, Secret};
use crate::knowledge::{self, Origin};
use crate::stix;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Large corpus (STIX 2.0 or 2.1 bundle, .json or .json.gz)
    #[arg(
        long,
        default_value = "../shared/data/stix20/mitre-cti/enterprise-attack.json.gz"
    )]
    corpus: PathBuf,
    /// Second bundle
    #[arg(
        long,
        default_value = "../shared/data/stix21/mitre-attack/ics-attack-18.1.json"
    )]
    ics: PathBuf,
    /// SSE readers of one stream in the fan-out run (0 skips it)
    #[arg(long, default_value_t = 1000)]
    readers: usize,
    /// Extra connections in the fan-out run that never read (the soak: `--stalled 50 --seconds 120`)
    #[arg(long, default_value_t = 0)]
    stalled: usize,
    /// Events per second ingested during the fan-out run
    #[arg(long, default_value_t = 100)]
    rate: usize,
    /// Length of the fan-out run in seconds
    #[arg(long, default_value_t = 10)]
    seconds: usize,
    /// Also write the figures as JSON to this file
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only the synchronizer figure: hub -> hub replication of --corpus vs its local ingest
    #[arg(long)]
    sync: bool,
}

pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> std::io::Result<Self> {
        let p = std::env::temp_dir().join(format!(
            "stixhub-bench-{tag}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&p)?;
        Ok(Self(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Ingest {
    name: String,
    objects: usize,
    bytes: usize,
    raw: Duration,
    hub: Duration,
}

fn ingest_one(store: &Store, path: &Path) -> Result<Ingest, String> {
    let body = read_bundle_file(path)?;
    let bundle = stix::parse_bundle(&body).map_err(|e| e.to_string())?;
    let objects = bundle.objects.len();
    let raw_dir = TempDir::new("raw").map_err(|e| e.to_string())?;
    let values: Vec<&[u8]> = bundle.objects.iter().map(|r| r.get().as_bytes()).collect();
    let raw = crate::store::raw_sled_writes(&raw_dir.0, &values, knowledge::CHUNK)
        .map_err(|e| e.to_string())?;
    let origin = Origin {
        hub_id: store.hub_id().to_string(),
        source: "bench".into(),
        user_id: None,
        upstream_hub: None,
    };
    let start = Instant::now();
    let report = knowledge::import_bundle(store, &body, usize::MAX, &origin, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    let hub = start.elapsed();
    if report.created + report.updated + report.unchanged + report.older_ignored + report.rejected
        != objects
    {
        return Err("import counts do not add up".into());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Ingest {
        name,
        objects,
        bytes: body.len(),
        raw,
        hub,
    })
}

async fn replay(
    config: Config,
    token: &str,
    expected: u64,
) -> Result<(Duration, u64, usize), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(crate::app::run(config, listener, shutdown.clone()));
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = Instant::now();
    let res = client
        .get(format!("{base}/stream?from=0"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut body = res.bytes_stream();
    let (mut events, mut bytes, mut tail) = (0u64, 0usize, Vec::<u8>::new());
    // Every data event (create, update, delete) and nothing else starts its data line like this.
    const MARK: &[u8] = b"\ndata: {\"version\":";
    while events < expected {
        let next = tokio::time::timeout(Duration::from_secs(30), body.next()).await;
        let Ok(Some(chunk)) = next else {
            return Err(format!(
                "replay stalled after {events} of {expected} events"
            ));
        };
        let chunk = chunk.map_err(|e| e.to_string())?;
        bytes += chunk.len();
        tail.extend_from_slice(&chunk);
        events += count(&tail, MARK) as u64;
        // Keep only what could be the start of a marker split across chunks (never a whole one).
        let keep = tail.len().saturating_sub(MARK.len() - 1);
        tail.drain(..keep);
    }
    let took = start.elapsed();
    shutdown.cancel();
    let _ = server.await;
    Ok((took, events, bytes))
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Runs the benchmark; prints a table and optionally writes JSON.
pub async fn run(args: BenchArgs) -> bool {
    match run_inner(args).await {
        Ok(()) => true,
        Err(e) => {
            eprintln!("stixhub bench: {e}");
            false
        }
    }
}

async fn run_inner(args: BenchArgs) -> Result<(), String> {
    if args.sync {
        let figure = super::sync_bench::report(&super::sync_bench::run(&args.corpus).await?);
        if let Some(path) = args.json {
            std::fs::write(
                &path,
                serde_json::to_vec_pretty(&json!([figure])).unwrap_or_default(),
            )
            .map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    let dir = TempDir::new("hub").map_err(|e| e.to_string())?;
    let token = crate::auth::generate_secret(32);
    let config = Config {
        data_dir: dir.0.clone(),
        admin_token: Some(Secret(token.clone())),
        ..Config::default()
    };
    let (rows, events, disk) = {
        let config = config.clone();
        let files = [args.corpus.clone(), args.ics.clone()];
        tokio::task::spawn_blocking(move || -> Result<_, String> {
            let store = crate::app::open_store(&config).map_err(|e| e.to_string())?;
            let rows = files
                .iter()
                .map(|f| ingest_one(&store, f))
                .collect::<Result<Vec<_>, _>>()?;
            let events = store.log_info().map_err(|e| e.to_string())?.count;
            store.flush().map_err(|e| e.to_string())?;
            Ok((
                rows,
                events,
                store.size_on_disk().map_err(|e| e.to_string())?,
            ))
        })
        .await
        .map_err(|e| e.to_string())??
    };
    let (took, got, bytes) = replay(config, &token, events).await?;
    let mut out = Vec::new();
    println_table(&rows, events, got, took, bytes, disk, &mut out);
    let corpus = args.corpus.clone();
    let with_streams = tokio::task::spawn_blocking(move || ingest_with_streams(&corpus))
        .await
        .map_err(|e| e.to_string())??;
    report_streams(&rows[0], &with_streams, &mut out);
    if args.readers > 0 {
        let f = super::fanout::run(args.readers, args.stalled, args.rate, args.seconds).await?;
        report_fanout(&f, &mut out);
    }
    if let Some(path) = args.json {
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(&json!(out)).unwrap_or_default(),
        )
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The same corpus ingested into a hub that has 10 filtered streams (their logs are written in the same
/// transaction).
fn ingest_with_streams(corpus: &Path) -> Result<Ingest, String> {
    let dir = TempDir::new("streams").map_err(|e| e.to_string())?;
    let config = Config {
        data_dir: dir.0.clone(),
        ..Config::default()
    };
    let store = crate::app::open_store(&config).map_err(|e| e.to_string())?;
    let filters = [
        json!({"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Malware"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Attack-Pattern"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["relationship_type"], "values": ["uses"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["name"], "values": ["a"], "operator": "starts_with"}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Tool", "Intrusion-Set"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["revoked"], "values": ["true"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["created"], "values": ["2020-01-01T00:00:00Z"], "operator": "gte"}], "filterGroups": []}),
        json!({"mode": "or", "filters": [{"key": ["entity_type"], "values": ["Campaign"]}, {"key": ["name"], "values": ["apt"], "operator": "contains"}], "filterGroups": []}),
        json!({"mode": "and", "filters": [{"key": ["entity_type"], "values": ["Course-Of-Action"]}], "filterGroups": []}),
        json!({"mode": "and", "filters": [], "filterGroups": []}),
    ];
    for (i, f) in filters.iter().enumerate() {
        let group = crate::filter::FilterGroup::parse(f).map_err(|e| e.to_string())?;
        store
            .put_stream(&crate::store::StreamV1 {
                id: *uuid::Uuid::new_v4().as_bytes(),
                name: format!("bench {i}"),
                description: String::new(),
                filters_json: group.to_json().to_string(),
                public: false,
                max_tlp: 0,
                authorized_groups: Vec::new(),
                started: true,
                created_at_ms: i64::try_from(i).unwrap_or(0),
            })
            .map_err(|e| e.to_string())?;
    }
    let row = ingest_one(&store, corpus)?;
    Ok(row)
}

fn report_streams(none: &Ingest, ten: &Ingest, out: &mut Vec<serde_json::Value>) {
    use std::io::Write;
    let a = rate(none.objects as f64, none.hub);
    let b = rate(ten.objects as f64, ten.hub);
    let _ = writeln!(
        std::io::stdout(),
        "ingest with 10 filtered streams: {b:.0} objects/s vs {a:.0} with none = {:.0}%",
        100.0 * b / a
    );
    out.push(json!({"figure": "ingest_10_streams", "objects_per_s": b, "baseline_objects_per_s": a, "ratio": b / a}));
}

fn report_fanout(f: &super::fanout::FanoutResult, out: &mut Vec<serde_json::Value>) {
    use std::io::Write;
    let expected = (f.readers * f.events) as u64;
    let _ = writeln!(
        std::io::stdout(),
        "fan-out: {} readers x {} events ({:.0} events/s ingested), {} stalled connections: delivered {}/{} ({:.0} events/s), latency p50 {:.1} ms p99 {:.1} ms max {:.1} ms, hub peak RSS {:.0} MB",
        f.readers,
        f.events,
        f.events as f64 / f.seconds,
        f.stalled,
        f.delivered,
        expected,
        f.delivered as f64 / f.seconds,
        f.p50_ms,
        f.p99_ms,
        f.max_ms,
        f.peak_rss_mb
    );
    out.push(json!({"figure": "fanout", "readers": f.readers, "stalled": f.stalled, "events": f.events, "delivered": f.delivered, "expected": expected,
        "p50_ms": f.p50_ms, "p99_ms": f.p99_ms, "max_ms": f.max_ms, "peak_rss_mb": f.peak_rss_mb}));
}

fn rate(n: f64, d: Duration) -> f64 {
    n / d.as_secs_f64().max(1e-9)
}

fn println_table(
    rows: &[Ingest],
    events: u64,
    got: u64,
    took: Duration,
    bytes: usize,
    disk: u64,
    out: &mut Vec<serde_json::Value>,
) {
    use std::io::Write;
    let mut w = std::io::stdout();
    let _ = writeln!(
        w,
        "{:<34} {:>8} {:>12} {:>9} {:>14} {:>7}",
        "durable ingest", "objects", "objects/s", "MB/s", "raw sled obj/s", "ratio"
    );
    for r in rows {
        let hub = rate(r.objects as f64, r.hub);
        let raw = rate(r.objects as f64, r.raw);
        let mbs = rate(r.bytes as f64 / 1e6, r.hub);
        let _ = writeln!(
            w,
            "{:<34} {:>8} {:>12.0} {:>9.1} {:>14.0} {:>6.0}%",
            r.name,
            r.objects,
            hub,
            mbs,
            raw,
            100.0 * hub / raw
        );
        out.push(json!({"figure": "ingest", "file": r.name, "objects": r.objects, "objects_per_s": hub, "mb_per_s": mbs, "raw_sled_objects_per_s": raw, "ratio": hub / raw}));
    }
    let eps = rate(got as f64, took);
    let _ = writeln!(w, "\nSSE replay to one reader on loopback: {got}/{events} events in {:.2} s = {eps:.0} events/s, {:.1} MB/s", took.as_secs_f64(), rate(bytes as f64 / 1e6, took));
    let objects: usize = rows.iter().map(|r| r.objects).sum();
    let _ = writeln!(
        w,
        "bytes on disk: {disk} ({:.0} per object, objects + events)",
        disk as f64 / objects.max(1) as f64
    );
    out.push(json!({"figure": "replay", "events": got, "events_per_s": eps, "seconds": took.as_secs_f64()}));
    out.push(json!({"figure": "disk", "bytes": disk, "bytes_per_object": disk as f64 / objects.max(1) as f64}));
}
