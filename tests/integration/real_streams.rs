//! Real data through filtered streams: ATT&CK ICS then Mobile imported, four streams, and the exact frames each
//! one sends from `from=0`, against a model of the rules written here independently of the hub's code:
//! upserts (create / update / unchanged / older), dependencies first and once per stream (author and markings
//! always, other references only when they pass the filter), the narrowed relationship rule (a relationship
//! outside the filter whose two ends are both in it).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{read_json, shared, Hub, Sse};

const MITRE: &str = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";

type Pred = fn(&Value) -> bool;

fn is_type(o: &Value, t: &str) -> bool {
    o["type"] == t
}

struct Model {
    pred: Pred,
    sent: HashSet<String>,
    frames: Vec<String>,
}

impl Model {
    fn refs(o: &Value) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for (k, meta) in [
            ("created_by_ref", true),
            ("source_ref", false),
            ("target_ref", false),
            ("sighting_of_ref", false),
        ] {
            if let Some(r) = o[k].as_str() {
                out.push((r.to_string(), meta));
            }
        }
        for (k, meta) in [
            ("object_marking_refs", true),
            ("where_sighted_refs", false),
            ("object_refs", false),
        ] {
            for r in o[k].as_array().into_iter().flatten() {
                out.push((r.as_str().unwrap().to_string(), meta));
            }
        }
        out
    }

    fn deps(
        &mut self,
        o: &Value,
        store: &HashMap<String, Value>,
        depth: usize,
        seen: &mut HashSet<String>,
    ) {
        if depth >= 3 {
            return;
        }
        for (r, meta) in Self::refs(o) {
            if !seen.insert(r.clone()) || self.sent.contains(&r) {
                continue;
            }
            let Some(dep) = store.get(&r) else { continue };
            if !meta && !(self.pred)(dep) {
                continue;
            }
            self.deps(dep, store, depth + 1, seen);
            self.frames.push(format!("dep {r}"));
            self.sent.insert(r);
        }
    }

    fn publish(&mut self, o: &Value, store: &HashMap<String, Value>, what: &str) {
        let id = o["id"].as_str().unwrap().to_string();
        let mut seen = HashSet::from([id.clone()]);
        self.deps(o, store, 0, &mut seen);
        self.frames.push(format!("{what} {id}"));
        self.sent.insert(id);
    }

    fn event(&mut self, o: &Value, kind: &str, store: &HashMap<String, Value>) {
        if (self.pred)(o) {
            self.publish(o, store, kind);
        } else if is_type(o, "relationship") {
            let ends = [o["source_ref"].as_str(), o["target_ref"].as_str()];
            if ends
                .iter()
                .all(|e| e.and_then(|e| store.get(e)).is_some_and(self.pred))
            {
                self.publish(o, store, kind);
            }
        }
    }
}

/// Replays the two files through the upsert rules; returns the frames each model stream expects.
fn expected(models: &mut [Model], files: &[Value]) {
    let mut store: HashMap<String, Value> = HashMap::new();
    for file in files {
        let objects = file["objects"].as_array().unwrap();
        let mut events = Vec::new();
        for o in objects {
            let id = o["id"].as_str().unwrap().to_string();
            let kind = match store.get(&id) {
                None => "create",
                Some(old) => {
                    let (a, b) = (
                        old["modified"].as_str().unwrap_or_default(),
                        o["modified"].as_str().unwrap_or_default(),
                    );
                    if b > a || (b == a && old != o) {
                        "update"
                    } else {
                        continue;
                    }
                }
            };
            store.insert(id, o.clone());
            events.push((o.clone(), kind));
        }
        // The whole batch is staged before stream logs are written: references placed later resolve.
        for (o, kind) in &events {
            for m in models.iter_mut() {
                m.event(o, kind, &store);
            }
        }
    }
}

async fn frames_of(hub: &Hub, stream: &Value, anonymous: bool, n: usize) -> Vec<String> {
    let path = format!("/stream/{}?from=0", stream["id"].as_str().unwrap());
    let mut sse = if anonymous {
        Sse::new(hub.client.get(hub.url(&path)).send().await.unwrap())
    } else {
        hub.sse(&path, &[]).await
    };
    let mut out = Vec::new();
    while let Some(f) = sse.next(Duration::from_secs(10)).await {
        match f.event.as_str() {
            "connected" => {}
            "heartbeat" if out.len() >= n => break,
            "heartbeat" => {}
            _ => {
                let d = f.json();
                let id = d["data"]["id"].as_str().unwrap().to_string();
                let label =
                    if d["origin"]["referer"] == "init-dependencies" && d.get("type").is_none() {
                        "dep".to_string()
                    } else {
                        f.event.clone()
                    };
                out.push(format!("{label} {id}"));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ics_and_mobile_through_four_streams_frame_by_frame() {
    let hub = Hub::start().await;
    let eq = |key: &str, values: &[&str]| {
        json!({"mode": "and", "filterGroups": [],
        "filters": [{"key": [key], "values": values, "operator": "eq", "mode": "or"}]})
    };
    let malware = hub
        .create_stream(
            json!({"name": "malware", "started": true, "filters": eq("entity_type", &["Malware"])}),
        )
        .await;
    let mitre = hub
        .create_stream(
            json!({"name": "MITRE's objects", "started": true, "public": true,
        "filters": eq("createdBy", &[MITRE])}),
        )
        .await;
    let uses = hub
        .create_stream(
            json!({"name": "uses", "started": true, "filters": eq("relationship_type", &["uses"])}),
        )
        .await;
    let actors = hub
        .create_stream(
            json!({"name": "malware and intrusion sets", "started": true,
        "filters": eq("entity_type", &["Malware", "Intrusion-Set"])}),
        )
        .await;
    let files = [
        read_json(&shared("stix21/mitre-attack/ics-attack-18.1.json")),
        read_json(&shared("stix21/mitre-attack/mobile-attack-17.1.json")),
    ];
    for f in &files {
        hub.import(f).await;
    }
    let mut models = [
        Model {
            pred: |o| is_type(o, "malware"),
            sent: HashSet::new(),
            frames: Vec::new(),
        },
        Model {
            pred: |o| o["created_by_ref"] == MITRE,
            sent: HashSet::new(),
            frames: Vec::new(),
        },
        Model {
            pred: |o| is_type(o, "relationship") && o["relationship_type"] == "uses",
            sent: HashSet::new(),
            frames: Vec::new(),
        },
        Model {
            pred: |o| is_type(o, "malware") || is_type(o, "intrusion-set"),
            sent: HashSet::new(),
            frames: Vec::new(),
        },
    ];
    expected(&mut models, &files);
    let streams = [
        (&malware, false),
        (&mitre, true),
        (&uses, false),
        (&actors, false),
    ];
    for ((stream, anonymous), model) in streams.iter().zip(&models) {
        let got = frames_of(&hub, stream, *anonymous, model.frames.len()).await;
        assert_eq!(
            got.len(),
            model.frames.len(),
            "{}: frame count",
            stream["name"]
        );
        assert_eq!(got, model.frames, "{}: frames in order", stream["name"]);
    }
    // The figures, so a change in the rules shows up here too.
    let counts: Vec<usize> = models.iter().map(|m| m.frames.len()).collect();
    let deps: Vec<usize> = models
        .iter()
        .map(|m| m.frames.iter().filter(|f| f.starts_with("dep ")).count())
        .collect();
    assert_eq!(deps[0], 2, "malware: MITRE's identity and marking, once");
    assert!(
        models[3]
            .frames
            .iter()
            .any(|f| f.starts_with("create relationship--")),
        "the relationship rule published intrusion-set → malware links"
    );
    println!("frames per stream (malware, MITRE's, uses, malware+intrusion sets): {counts:?}, dependencies {deps:?}");
    hub.stop().await;
}
