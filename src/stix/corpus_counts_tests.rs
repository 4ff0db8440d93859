#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Exact import counts for the real data files, derived independently by
//! `/work/scratch-stix/scripts/expected_counts.py` (a Python re-implementation
//! of the rules, not the Rust code) and
//! checked here against the Rust implementation plus a model of the hub's
//! upsert rule.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::{parse_bundle, prepare, BundleError, PrepareOptions, Prepared, Timestamp};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// [created, updated, unchanged, older_ignored, rejected]
type Counts = [usize; 5];

/// (file, objects, distinct accepted ids, first import, second import, rejections)
type Row = (
    &'static str,
    usize,
    usize,
    Counts,
    Counts,
    &'static [&'static str],
);

#[rustfmt::skip]
const EXPECTED: &[Row] = &[
    ("stix21/mitre-attack/ics-attack-18.1.json", 1826, 1826, [1826, 0, 0, 0, 0], [0, 0, 1826, 0, 0], &[]),
    ("stix21/mitre-attack/mobile-attack-17.1.json", 2148, 2148, [2148, 0, 0, 0, 0], [0, 0, 2148, 0, 0], &[]),
    ("stix21/mitre-capec/capec-2.1.json", 2683, 2683, [2683, 0, 0, 0, 0], [0, 0, 2683, 0, 0], &[]),
    ("stix21/oasis-examples/apt1.json", 76, 76, [76, 0, 0, 0, 0], [0, 0, 76, 0, 0], &[]),
    ("stix21/oasis-examples/defining-campaigns-threat-actors-intrusion-sets.json", 26, 26, [26, 0, 0, 0, 0], [0, 0, 26, 0, 0], &[]),
    ("stix21/oasis-examples/identifying-a-threat-actor-profile.json", 3, 3, [3, 0, 0, 0, 0], [0, 0, 3, 0, 0], &[]),
    ("stix21/oasis-examples/indicator-for-malicious-url.json", 3, 3, [3, 0, 0, 0, 0], [0, 0, 3, 0, 0], &[]),
    ("stix21/oasis-examples/malware-indicator-for-file-hash.json", 3, 3, [3, 0, 0, 0, 0], [0, 0, 3, 0, 0], &[]),
    ("stix21/oasis-examples/poisonivy.json", 155, 155, [155, 0, 0, 0, 0], [0, 0, 155, 0, 0], &[]),
    ("stix21/oasis-examples/schemas-indicator-for-c2-ip-address.json", 1, 1, [1, 0, 0, 0, 0], [0, 0, 1, 0, 0], &[]),
    ("stix21/oasis-examples/schemas-indicator-to-campaign-relationship.json", 3, 3, [3, 0, 0, 0, 0], [0, 0, 3, 0, 0], &[]),
    ("stix21/oasis-examples/schemas-indicators-for-C2-with-COA.json", 8, 8, [8, 0, 0, 0, 0], [0, 0, 8, 0, 0], &[]),
    ("stix21/oasis-examples/schemas-infrastructure.json", 10, 10, [10, 0, 0, 0, 0], [0, 0, 10, 0, 0], &[]),
    ("stix21/oasis-examples/schemas-malicious-email-indicator-with-attachment.json", 6, 6, [6, 0, 0, 0, 0], [0, 0, 6, 0, 0], &[]),
    ("stix21/oasis-examples/sighting-of-an-indicator.json", 4, 4, [4, 0, 0, 0, 0], [0, 0, 4, 0, 0], &[]),
    ("stix21/oasis-examples/sighting-of-observed-data.json", 8, 8, [8, 0, 0, 0, 0], [0, 0, 8, 0, 0], &[]),
    ("stix21/oasis-examples/threat-actor-leveraging-attack-patterns-and-malware.json", 7, 7, [7, 0, 0, 0, 0], [0, 0, 7, 0, 0], &[]),
    ("stix21/oasis-examples/using-granular-markings.json", 4, 4, [4, 0, 0, 0, 0], [0, 0, 4, 0, 0], &[]),
    ("stix21/oasis-examples/using-marking-definitions.json", 4, 4, [4, 0, 0, 0, 0], [0, 0, 4, 0, 0], &[]),
    ("stix21/oasis-stix2-python/sco-examples-bundle.json", 82, 70, [70, 2, 10, 0, 0], [0, 4, 78, 0, 0], &[]),
    // The relationship's `modified` is a month before its `created` (a STIX 2.1 MUST): rejected since the
    // rule was added; the Python model predates the rule.
    ("stix21/opencti/client-python-tests/DATA-TEST-STIX2_v2.json", 59, 57, [57, 0, 0, 0, 2], [0, 0, 57, 0, 2], &["observed-data--7d258c31-9a26-4543-aecb-2abc5ed366be: missing required property 'created'", "relationship--10f2228d-cc68-45e3-bce2-53b1841b01c2: 'modified' (2020-02-28T02:42:53.582Z) is earlier than 'created' (2020-03-28T02:42:53.582Z); STIX 2.1 requires modified >= created"]),
    ("stix21/opencti/client-python-tests/basicMalwareWithSample.json", 2, 2, [2, 0, 0, 0, 0], [0, 0, 2, 0, 0], &[]),
    ("stix21/opencti/client-python-tests/bundle_ids_sample.json", 6, 6, [6, 0, 0, 0, 0], [0, 0, 6, 0, 0], &[]),
    ("stix21/opencti/client-python-tests/bundle_with_internal_ids.json", 4, 3, [3, 0, 0, 0, 1], [0, 0, 3, 0, 1], &["relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea04: missing required property 'created'"]),
    ("stix21/opencti/client-python-tests/cyclic-bundle.json", 9, 8, [8, 0, 1, 0, 0], [0, 0, 9, 0, 0], &[]),
    ("stix21/opencti/client-python-tests/indicator_stix.json", 2, 2, [2, 0, 0, 0, 0], [0, 0, 2, 0, 0], &[]),
    ("stix21/opencti/client-python-tests/missing_refs.json", 4, 2, [2, 0, 0, 0, 2], [0, 0, 2, 0, 2], &["relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea04: missing required property 'created'", "relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea05: missing required property 'created'"]),
    ("stix21/opencti/client-python-tests/mono-bundle-entity.json", 1, 1, [1, 0, 0, 0, 0], [0, 0, 1, 0, 0], &[]),
    ("stix21/opencti/client-python-tests/mono-bundle-relationship.json", 1, 0, [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], &["relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea04: missing required property 'created'"]),
    ("stix21/opencti/datasets/companies.json", 63, 63, [63, 0, 0, 0, 0], [0, 0, 63, 0, 0], &[]),
    ("stix21/opencti/datasets/geography.json", 539, 539, [539, 0, 0, 0, 0], [0, 0, 539, 0, 0], &[]),
    ("stix21/opencti/datasets/sectors.json", 121, 121, [121, 0, 0, 0, 0], [0, 0, 121, 0, 0], &[]),
    ("stix20/mitre-cti/ics-attack.json", 1825, 1825, [1825, 0, 0, 0, 0], [0, 0, 1825, 0, 0], &[]),
    ("stix20/mitre-cti/pre-attack.json", 268, 268, [268, 0, 0, 0, 0], [0, 0, 268, 0, 0], &[]),
];

/// Per later occurrence vs the first: (byte-identical, Value-equal,
/// modified "later"/"equal"/"earlier"/"none").
type Occurrence = (bool, bool, &'static str);

/// (file name, duplicated id, later occurrences)
#[rustfmt::skip]
const DUPLICATES: &[(&str, &str, &[Occurrence])] = &[
    ("sco-examples-bundle.json", "directory--93c0a9b0-520d-545d-9094-1a08ddf46b05", &[(true, true, "none")]),
    ("sco-examples-bundle.json", "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", &[(false, false, "none")]),
    ("sco-examples-bundle.json", "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", &[(true, true, "none"), (true, true, "none")]),
    ("sco-examples-bundle.json", "email-addr--89f52ea8-d6ef-51e9-8fce-6a29236436ed", &[(true, true, "none")]),
    ("sco-examples-bundle.json", "email-addr--e4ee5301-b52d-59cd-a8fa-8036738c7194", &[(true, true, "none")]),
    ("sco-examples-bundle.json", "ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53", &[(false, true, "none"), (false, true, "none")]),
    ("sco-examples-bundle.json", "ipv4-addr--e42c19c8-f9fe-5ae9-9fc8-22c398f78fb7", &[(true, true, "none"), (false, true, "none")]),
    ("sco-examples-bundle.json", "ipv4-addr--03b708d9-7761-5523-ab75-5ea096294a68", &[(true, true, "none")]),
    ("sco-examples-bundle.json", "user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c", &[(false, false, "none")]),
    ("cyclic-bundle.json", "marking-definition--78ca4366-f5b8-4764-83f7-34ce38198e27", &[(true, true, "equal")]),
];

type Store = HashMap<String, (Option<Timestamp>, Map<String, Value>)>;

/// The hub's upsert rule; returns the index into [`Counts`].
fn upsert(store: &mut Store, p: &Prepared) -> usize {
    let Some((old_mod, old)) = store.get(&p.id) else {
        store.insert(p.id.clone(), (p.modified.clone(), p.object.clone()));
        return 0;
    };
    let same = *old == p.object;
    let kind = match (&p.modified, old_mod) {
        (Some(new), Some(old)) if new > old => 1,
        (Some(new), Some(old)) if new < old => 3,
        _ if same => 2,
        _ => 1,
    };
    if kind == 1 {
        store.insert(p.id.clone(), (p.modified.clone(), p.object.clone()));
    }
    kind
}

fn load(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(DATA).join(rel)).unwrap()
}

#[test]
fn import_counts_match_independent_python_model() {
    for (file, objects, distinct, first, second, rejects) in EXPECTED {
        let body = load(file);
        let bundle = parse_bundle(&body).unwrap();
        assert_eq!(bundle.objects.len(), *objects, "{file}");
        let opts = PrepareOptions {
            legacy_20: bundle.legacy_20,
            max_object_bytes: 16 << 20,
        };
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for raw in &bundle.objects {
            match prepare(raw, &opts) {
                Ok(p) => accepted.push(p),
                Err(e) => rejected.push(format!("{}: {}", e.id.unwrap_or_default(), e.reason)),
            }
        }
        assert_eq!(rejected, *rejects, "{file}");
        let mut ids: Vec<&str> = accepted.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), *distinct, "{file}");
        let mut store = Store::new();
        for expected in [first, second] {
            let mut counts: Counts = [0, 0, 0, 0, rejected.len()];
            for p in &accepted {
                counts[upsert(&mut store, p)] += 1;
            }
            assert_eq!(&counts, expected, "{file}");
        }
    }
}

#[test]
fn duplicate_ids_in_real_files() {
    let files = [
        "stix21/oasis-stix2-python/sco-examples-bundle.json",
        "stix21/opencti/client-python-tests/cyclic-bundle.json",
    ];
    let mut found = Vec::new();
    for file in files {
        let body = load(file);
        let bundle = parse_bundle(&body).unwrap();
        let opts = PrepareOptions {
            legacy_20: false,
            max_object_bytes: 1 << 20,
        };
        let mut by_id: Vec<(String, Vec<(&str, Prepared)>)> = Vec::new();
        for raw in &bundle.objects {
            let p = prepare(raw, &opts).unwrap();
            match by_id.iter_mut().find(|(id, _)| *id == p.id) {
                Some((_, occ)) => occ.push((raw.get(), p)),
                None => by_id.push((p.id.clone(), vec![(raw.get(), p)])),
            }
        }
        let name = file.rsplit('/').next().unwrap();
        for (id, occ) in by_id.into_iter().filter(|(_, o)| o.len() > 1) {
            let (raw0, p0) = &occ[0];
            let rows: Vec<Occurrence> = occ[1..]
                .iter()
                .map(|(raw, p)| {
                    let rel = match (&p.modified, &p0.modified) {
                        (Some(a), Some(b)) if a > b => "later",
                        (Some(a), Some(b)) if a < b => "earlier",
                        (Some(_), Some(_)) => "equal",
                        _ => "none",
                    };
                    (raw == raw0, p.object == p0.object, rel)
                })
                .collect();
            found.push((name, id, rows));
        }
    }
    let mut want: Vec<_> = DUPLICATES
        .iter()
        .map(|(f, id, rows)| (*f, id.to_string(), rows.to_vec()))
        .collect();
    want.sort();
    found.sort();
    assert_eq!(found, want);
}

#[test]
fn single_object_file_is_not_a_bundle() {
    let body = load("stix21/oasis-examples/schemas-interop-objectmarking-test.json");
    match parse_bundle(&body) {
        Err(BundleError::NotABundle(r)) => assert_eq!(
            r,
            "expected a JSON object with \"type\":\"bundle\" or a JSON array; \
             got a single STIX object of type 'campaign'"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bundle_warnings_and_object_warnings() {
    let body = load("stix21/opencti/client-python-tests/mono-bundle-entity.json");
    let b = parse_bundle(&body).unwrap();
    assert_eq!(
        b.warnings,
        ["bundle-level spec_version is a STIX 2.0 property and was ignored"]
    );
    let body = load("stix20/mitre-cti/pre-attack.json");
    let b = parse_bundle(&body).unwrap();
    let opts = PrepareOptions {
        legacy_20: b.legacy_20,
        max_object_bytes: 1 << 20,
    };
    let lenient: Vec<String> = b
        .objects
        .iter()
        .map(|raw| prepare(raw, &opts).unwrap())
        .filter(|p| p.warnings.len() > 1)
        .map(|p| format!("{} {:?}", p.id, p.warnings))
        .collect();
    assert_eq!(
        lenient,
        ["marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168 \
          [\"upgraded from STIX 2.0\", \"'created' has no millisecond precision\"]"]
    );
}
