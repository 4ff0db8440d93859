//! Bundle envelope parsing, then per-object validation of every object it yields.
//! Neither may panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stixhub::stix::{parse_bundle, prepare, PrepareOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = parse_bundle(data) else {
        return;
    };
    for raw in &bundle.objects {
        // Both the bundle's own version and the other one, and a limit small enough
        // that the oversized-object path (probe_id) is exercised too.
        for legacy_20 in [bundle.legacy_20, !bundle.legacy_20] {
            let opts = PrepareOptions {
                legacy_20,
                max_object_bytes: 1 << 20,
            };
            if let Ok(p) = prepare(raw, &opts) {
                let _ = p
                    .modified
                    .as_ref()
                    .map(|t| (t.as_str().len(), t.epoch_ms()));
            }
        }
        let small = PrepareOptions {
            legacy_20: bundle.legacy_20,
            max_object_bytes: 64,
        };
        let _ = prepare(raw, &small);
    }
});
