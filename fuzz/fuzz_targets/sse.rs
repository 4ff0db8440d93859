//! The synchronizer's SSE parser on arbitrary bytes: it must never panic, and the events must not depend on
//! how the bytes are cut into chunks (the first byte picks the cut points).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stixhub::sync::sse::Parser;

fn parse(chunks: &[&[u8]]) -> (Vec<stixhub::sync::sse::Event>, bool) {
    let mut p = Parser::new(4096);
    let mut out = Vec::new();
    for c in chunks {
        if p.feed(c, &mut out).is_err() {
            return (out, false);
        }
    }
    (out, true)
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, body)) = data.split_first() else {
        return;
    };
    let whole = parse(&[body]);
    let step = usize::from(step).max(1);
    let chunks: Vec<&[u8]> = body.chunks(step).collect();
    let split = parse(&chunks);
    // A too-long line may be noticed at a different event boundary; only compare complete runs.
    if whole.1 && split.1 {
        assert_eq!(whole.0, split.0, "events depend on chunking (step {step})");
    }
});
