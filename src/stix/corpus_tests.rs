#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Tests over the real third-party STIX data in `shared/data`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{parse_bundle, prepare, PrepareOptions};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn opts(legacy_20: bool) -> PrepareOptions {
    PrepareOptions {
        legacy_20,
        max_object_bytes: 16 << 20,
    }
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(DATA).join(rel)).unwrap()
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn golden_ics_attack_20_to_21() {
    let body20 = read("stix20/mitre-cti/ics-attack.json");
    let body21 = read("stix21/mitre-attack/ics-attack-18.1.json");
    let b20 = parse_bundle(&body20).unwrap();
    let b21 = parse_bundle(&body21).unwrap();
    assert!(b20.legacy_20);
    assert!(b20.warnings.is_empty());
    assert!(!b21.legacy_20);
    assert_eq!((b20.objects.len(), b21.objects.len()), (1825, 1826));

    let mut expected: HashMap<String, Value> = HashMap::new();
    for raw in &b21.objects {
        let v: Value = serde_json::from_str(raw.get()).unwrap();
        expected.insert(v["id"].as_str().unwrap().to_string(), v);
    }
    let mut matched = 0;
    for raw in &b20.objects {
        let p = prepare(raw, &opts(b20.legacy_20)).unwrap();
        assert_eq!(p.warnings, ["upgraded from STIX 2.0"], "{}", p.id);
        let want = expected.get(&p.id).unwrap();
        assert_eq!(&Value::Object(p.object.clone()), want, "{}", p.id);
        // spec_version sits right after type; other keys keep their order.
        let keys: Vec<&str> = p.object.keys().map(String::as_str).collect();
        let type_at = keys.iter().position(|k| *k == "type").unwrap();
        assert_eq!(keys[type_at + 1], "spec_version");
        matched += 1;
    }
    assert_eq!(matched, 1825);
}

#[test]
fn ics_attack_21_is_kept_verbatim() {
    let body = read("stix21/mitre-attack/ics-attack-18.1.json");
    let b = parse_bundle(&body).unwrap();
    for raw in &b.objects {
        let p = prepare(raw, &opts(false)).unwrap();
        assert!(p.warnings.is_empty(), "{}: {:?}", p.id, p.warnings);
        let original: Value = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(Value::Object(p.object), original);
        // Byte-identical after re-serialisation (key order preserved).
        let reserialised: Value = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(
            serde_json::to_string(&reserialised).unwrap(),
            serde_json::to_string(&original).unwrap()
        );
    }
}

/// Per file: (objects, rejected reasons in order, accepted with warnings).
fn run_file(path: &Path) -> Option<(usize, Vec<String>, usize)> {
    let body = std::fs::read(path).unwrap();
    let bundle = parse_bundle(&body).ok()?;
    let mut rejected = Vec::new();
    let mut warned = 0;
    for raw in &bundle.objects {
        match prepare(raw, &opts(bundle.legacy_20)) {
            Ok(p) => warned += usize::from(!p.warnings.is_empty()),
            Err(e) => rejected.push(format!("{}: {}", e.id.unwrap_or_default(), e.reason)),
        }
    }
    Some((bundle.objects.len(), rejected, warned))
}

#[test]
fn every_stix21_file_is_handled_without_panic() {
    let mut files = Vec::new();
    json_files(&Path::new(DATA).join("stix21"), &mut files);
    files.sort();
    assert_eq!(files.len(), 33);
    let mut total = 0;
    let mut not_bundles = Vec::new();
    for f in &files {
        match run_file(f) {
            Some((n, _, _)) => total += n,
            None => not_bundles.push(f.file_name().unwrap().to_string_lossy().into_owned()),
        }
    }
    assert_eq!(not_bundles, ["schemas-interop-objectmarking-test.json"]);
    assert_eq!(total, 7871);
}
