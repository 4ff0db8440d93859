//! Every STIX 2.1 file in ../shared/data imported into an empty hub, then again. The expected counts were
//! derived independently (a Python model of the upsert rules over the files), and they include the
//! deliberately awkward files: duplicates, 2.0 objects inside 2.1 bundles, SROs without timestamps.

use serde_json::Value;

use crate::common::{counts, shared, Hub};

/// (file, first import, second import) as [created, updated, unchanged, older_ignored, rejected].
const CASES: &[(&str, [u64; 5], [u64; 5])] = &[
    (
        "stix21/mitre-attack/mobile-attack-17.1.json",
        [2148, 0, 0, 0, 0],
        [0, 0, 2148, 0, 0],
    ),
    (
        "stix21/mitre-capec/capec-2.1.json",
        [2683, 0, 0, 0, 0],
        [0, 0, 2683, 0, 0],
    ),
    (
        "stix21/oasis-examples/apt1.json",
        [76, 0, 0, 0, 0],
        [0, 0, 76, 0, 0],
    ),
    (
        "stix21/oasis-examples/defining-campaigns-threat-actors-intrusion-sets.json",
        [26, 0, 0, 0, 0],
        [0, 0, 26, 0, 0],
    ),
    (
        "stix21/oasis-examples/identifying-a-threat-actor-profile.json",
        [3, 0, 0, 0, 0],
        [0, 0, 3, 0, 0],
    ),
    (
        "stix21/oasis-examples/indicator-for-malicious-url.json",
        [3, 0, 0, 0, 0],
        [0, 0, 3, 0, 0],
    ),
    (
        "stix21/oasis-examples/malware-indicator-for-file-hash.json",
        [3, 0, 0, 0, 0],
        [0, 0, 3, 0, 0],
    ),
    (
        "stix21/oasis-examples/poisonivy.json",
        [155, 0, 0, 0, 0],
        [0, 0, 155, 0, 0],
    ),
    (
        "stix21/oasis-examples/schemas-indicator-for-c2-ip-address.json",
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
    ),
    (
        "stix21/oasis-examples/schemas-indicator-to-campaign-relationship.json",
        [3, 0, 0, 0, 0],
        [0, 0, 3, 0, 0],
    ),
    (
        "stix21/oasis-examples/schemas-indicators-for-C2-with-COA.json",
        [8, 0, 0, 0, 0],
        [0, 0, 8, 0, 0],
    ),
    (
        "stix21/oasis-examples/schemas-infrastructure.json",
        [10, 0, 0, 0, 0],
        [0, 0, 10, 0, 0],
    ),
    (
        "stix21/oasis-examples/schemas-malicious-email-indicator-with-attachment.json",
        [6, 0, 0, 0, 0],
        [0, 0, 6, 0, 0],
    ),
    (
        "stix21/oasis-examples/sighting-of-an-indicator.json",
        [4, 0, 0, 0, 0],
        [0, 0, 4, 0, 0],
    ),
    (
        "stix21/oasis-examples/sighting-of-observed-data.json",
        [8, 0, 0, 0, 0],
        [0, 0, 8, 0, 0],
    ),
    (
        "stix21/oasis-examples/threat-actor-leveraging-attack-patterns-and-malware.json",
        [7, 0, 0, 0, 0],
        [0, 0, 7, 0, 0],
    ),
    (
        "stix21/oasis-examples/using-granular-markings.json",
        [4, 0, 0, 0, 0],
        [0, 0, 4, 0, 0],
    ),
    (
        "stix21/oasis-examples/using-marking-definitions.json",
        [4, 0, 0, 0, 0],
        [0, 0, 4, 0, 0],
    ),
    // A bare array with 12 repeated ids; two of the repeats carry different content (updates, both times).
    (
        "stix21/oasis-stix2-python/sco-examples-bundle.json",
        [70, 2, 10, 0, 0],
        [0, 4, 78, 0, 0],
    ),
    // The observed-data without `created` is rejected alone, and so is the relationship whose `modified` is
    // a month before its `created` (relationship--10f2228d-cc68-45e3-bce2-53b1841b01c2, a STIX 2.1 MUST).
    (
        "stix21/opencti/client-python-tests/DATA-TEST-STIX2_v2.json",
        [57, 0, 0, 0, 2],
        [0, 0, 57, 0, 2],
    ),
    (
        "stix21/opencti/client-python-tests/basicMalwareWithSample.json",
        [2, 0, 0, 0, 0],
        [0, 0, 2, 0, 0],
    ),
    (
        "stix21/opencti/client-python-tests/bundle_ids_sample.json",
        [6, 0, 0, 0, 0],
        [0, 0, 6, 0, 0],
    ),
    (
        "stix21/opencti/client-python-tests/bundle_with_internal_ids.json",
        [3, 0, 0, 0, 1],
        [0, 0, 3, 0, 1],
    ),
    // A duplicated marking definition, byte-identical: the second copy is unchanged.
    (
        "stix21/opencti/client-python-tests/cyclic-bundle.json",
        [8, 0, 1, 0, 0],
        [0, 0, 9, 0, 0],
    ),
    (
        "stix21/opencti/client-python-tests/indicator_stix.json",
        [2, 0, 0, 0, 0],
        [0, 0, 2, 0, 0],
    ),
    (
        "stix21/opencti/client-python-tests/missing_refs.json",
        [2, 0, 0, 0, 2],
        [0, 0, 2, 0, 2],
    ),
    (
        "stix21/opencti/client-python-tests/mono-bundle-entity.json",
        [1, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],
    ),
    (
        "stix21/opencti/client-python-tests/mono-bundle-relationship.json",
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
    ),
    (
        "stix21/opencti/datasets/companies.json",
        [63, 0, 0, 0, 0],
        [0, 0, 63, 0, 0],
    ),
    (
        "stix21/opencti/datasets/geography.json",
        [539, 0, 0, 0, 0],
        [0, 0, 539, 0, 0],
    ),
    (
        "stix21/opencti/datasets/sectors.json",
        [121, 0, 0, 0, 0],
        [0, 0, 121, 0, 0],
    ),
    (
        "stix20/mitre-cti/pre-attack.json",
        [268, 0, 0, 0, 0],
        [0, 0, 268, 0, 0],
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shared_file_imports_with_the_expected_counts() {
    for (file, first, second) in CASES {
        let hub = Hub::start().await;
        let r1 = hub.import_file(&shared(file)).await;
        assert_eq!(counts(&r1), *first, "{file} first import: {r1}");
        let r2 = hub.import_file(&shared(file)).await;
        assert_eq!(counts(&r2), *second, "{file} second import: {r2}");
        assert_eq!(
            r1["errors"].as_array().unwrap().len() as u64,
            first[4],
            "{file}: one error per rejection"
        );
        hub.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_object_file_is_not_a_bundle() {
    let hub = Hub::start().await;
    let body = std::fs::read(shared(
        "stix21/oasis-examples/schemas-interop-objectmarking-test.json",
    ))
    .unwrap();
    let (status, answer) = hub.post_bundle_bytes(body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["code"], "not_a_bundle");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("single STIX object of type 'campaign'"),
        "{answer}"
    );
    let _: &Value = &answer;
    hub.stop().await;
}

/// The 24,771-object Enterprise ATT&CK corpus (STIX 2.0, gzipped) through the CLI's reader into a hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprise_corpus_imports_whole() {
    let hub = Hub::start().await;
    let body =
        stixhub::cli::read_bundle_file(&shared("stix20/mitre-cti/enterprise-attack.json.gz"))
            .unwrap();
    let (status, report) = hub.post_bundle_bytes(body).await;
    assert_eq!(status, 200);
    assert_eq!(counts(&report), [24771, 0, 0, 0, 0]);
    let (_, page) = hub.get("/api/objects?type=malware&limit=1000").await;
    let malware = page["objects"].as_array().unwrap();
    assert_eq!(malware.len(), 696);
    assert!(malware.iter().all(|m| m["spec_version"] == "2.1"
        && m["is_family"] == true
        && m.get("labels").is_none()));
    hub.stop().await;
}
