#![allow(clippy::unwrap_used)]
use super::records::{EventV1, ObjectV1, StoredStreamEntry, StreamEntryV1};
use super::*;

fn obj(json: &str) -> StoredObject {
    StoredObject::V1(ObjectV1 {
        internal_id: [0; 16],
        modified: None,
        created_at_ms: 0,
        updated_at_ms: 0,
        json: json.as_bytes().to_vec(),
    })
}

fn event(id: &str) -> StoredEvent {
    StoredEvent::V1(EventV1 {
        kind: 0,
        stix_id: id.into(),
        payload: b"{}".to_vec(),
    })
}

#[test]
fn batch_is_atomic_and_ids_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let first;
    {
        let store = Store::open(dir.path()).unwrap();
        let mut w = store.writer();
        w.put_object("indicator--1", obj("{\"a\":1}")).unwrap();
        // Reads inside the batch see the staged write.
        assert!(w.get_object("indicator--1").unwrap().is_some());
        let id = w.next_event_id();
        w.append_event(id, &event("indicator--1")).unwrap();
        assert_eq!(
            store.durable_head(),
            EventId::ZERO,
            "not visible before commit"
        );
        first = w.commit().unwrap();
        assert_eq!(first, id);
        assert_eq!(store.durable_head(), id);
        assert_eq!(
            store
                .read_events(EventId::ZERO, EventId::MAX, 10)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(store.log_info().unwrap().count, 1);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.durable_head(), first);
    let mut w = store.writer();
    let next = w.next_event_id();
    assert!(next > first);
    drop(w);
    assert!(store.get_object("indicator--1").unwrap().is_some());
}

#[test]
fn abandoned_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    {
        let mut w = store.writer();
        w.put_object("indicator--1", obj("{}")).unwrap();
        let id = w.next_event_id();
        w.append_event(id, &event("indicator--1")).unwrap();
    }
    assert!(store.get_object("indicator--1").unwrap().is_none());
    assert_eq!(
        store
            .read_events(EventId::ZERO, EventId::MAX, 10)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn read_events_is_exclusive_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut w = store.writer();
    let ids: Vec<EventId> = (0..5)
        .map(|i| {
            let id = w.next_event_id();
            w.append_event(id, &event(&format!("x--{i}"))).unwrap();
            id
        })
        .collect();
    w.commit().unwrap();
    let got = store.read_events(ids[1], ids[3], 100).unwrap();
    assert_eq!(
        got.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![ids[2], ids[3]]
    );
    assert_eq!(
        store
            .read_events(EventId::ZERO, EventId::MAX, 2)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn stream_log_keys_are_prefixed_by_stream() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut w = store.writer();
    let id = w.next_event_id();
    let entry = StoredStreamEntry::V1(StreamEntryV1 {
        sse_event: 0,
        global_event: id.to_bytes(),
        flags: 0,
    });
    w.append_stream_entry([9; 16], id, &entry).unwrap();
    w.commit().unwrap();
    let keys: Vec<_> = store
        .inner
        .trees
        .stream_log
        .scan_prefix([9u8; 16])
        .keys()
        .collect();
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_ref().unwrap();
    assert_eq!(&key[16..32], &id.to_bytes());
    assert_eq!(&key[32..], &[0, 0], "first entry of the event");
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .inner
            .trees
            .meta
            .insert(META_SCHEMA, &99u64.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    match Store::open(dir.path()) {
        Err(StoreError::NewerSchema {
            found: 99,
            known: SCHEMA_VERSION,
        }) => {}
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("opened a newer schema"),
    }
}

#[test]
fn list_objects_pages_by_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut w = store.writer();
    for id in ["malware--1", "malware--2", "malware--3", "tool--1"] {
        w.put_object(id, obj("{}")).unwrap();
    }
    w.commit().unwrap();
    let page = store.list_objects(Some("malware"), None, 2).unwrap();
    assert_eq!(
        page.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["malware--1", "malware--2"]
    );
    let page = store
        .list_objects(Some("malware"), Some("malware--2"), 2)
        .unwrap();
    assert_eq!(
        page.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["malware--3"]
    );
    assert_eq!(store.list_objects(None, None, 10).unwrap().len(), 4);
}
