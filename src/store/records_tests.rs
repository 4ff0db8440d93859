#![allow(clippy::unwrap_used)]
use super::*;

// Golden bytes: if one of these fails, a released record layout was changed. Add a variant instead.
#[test]
fn object_v1_golden() {
    let rec = StoredObject::V1(ObjectV1 {
        internal_id: [7; 16],
        modified: Some("2024-01-01T00:00:00.000Z".into()),
        created_at_ms: 1,
        updated_at_ms: 2,
        json: b"{}".to_vec(),
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "0000000007070707070707070707070707070707011800000000000000323032342d30312d30315430303a30303a30302e3030305a010000000000000002000000000000000200000000000000 7b7d"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredObject>(&bytes, "object").unwrap(), rec);
}

#[test]
fn event_v1_golden() {
    let rec = StoredEvent::V1(EventV1 {
        kind: 1,
        stix_id: "x--1".into(),
        payload: b"{}".to_vec(),
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "0000000001040000000000000078 2d2d3102000000000000007b7d".replace(' ', "")
    );
    assert_eq!(decode::<StoredEvent>(&bytes, "event").unwrap(), rec);
}

#[test]
fn stream_entry_v1_golden() {
    let rec = StoredStreamEntry::V1(StreamEntryV1 {
        sse_event: 0,
        global_event: [1; 16],
        flags: 3,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "000000000001010101010101010101010101010101 03".replace(' ', "")
    );
}

#[test]
fn stream_v1_golden() {
    let rec = StoredStream::V1(StreamV1 {
        id: [1; 16],
        name: "n".into(),
        description: String::new(),
        filters_json: "{}".into(),
        public: true,
        max_tlp: 0,
        authorized_groups: vec![],
        started: true,
        created_at_ms: 5,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 6e 0000000000000000 0200000000000000 7b7d 01 00 0000000000000000 01 0500000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredStream>(&bytes, "stream").unwrap(), rec);
}

#[test]
fn stream_entry_v2_golden() {
    let rec = StoredStreamEntry::V2(StreamEntryV2 {
        sse_event: 0,
        global_event: [1; 16],
        flags: 1,
        payload: b"{}".to_vec(),
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "01000000 00 01010101010101010101010101010101 01 0200000000000000 7b7d".replace(' ', "")
    );
    assert_eq!(decode::<StoredStreamEntry>(&bytes, "entry").unwrap(), rec);
}

#[test]
fn user_v2_group_v1_session_v1_golden() {
    let user = StoredUser::V2(UserV2 {
        id: [1; 16],
        name: "u".into(),
        password_phc: "p".into(),
        groups: vec![[2; 16]],
        created_at_ms: 3,
    });
    let bytes = encode(&user).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "01000000 01010101010101010101010101010101 0100000000000000 75 0100000000000000 70 0100000000000000 02020202020202020202020202020202 0300000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredUser>(&bytes, "user").unwrap(), user);
    let group = StoredGroup::V1(GroupV1 {
        id: [1; 16],
        name: "g".into(),
        allowed_markings: vec!["T".into()],
        capabilities: vec!["r".into()],
        created_at_ms: 2,
    });
    let bytes = encode(&group).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 67 0100000000000000 0100000000000000 54 0100000000000000 0100000000000000 72 0200000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredGroup>(&bytes, "group").unwrap(), group);
    let session = StoredSession::V1(SessionV1 {
        user_id: [1; 16],
        csrf: "c".into(),
        created_at_ms: 2,
        last_seen_ms: 3,
    });
    let bytes = encode(&session).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 63 0200000000000000 0300000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredSession>(&bytes, "session").unwrap(), session);
}

#[test]
fn collection_v1_golden() {
    let rec = StoredCollection::V1(CollectionV1 {
        id: [1; 16],
        name: "c".into(),
        description: String::new(),
        filters_json: "{}".into(),
        public: true,
        max_tlp: 1,
        authorized_groups: vec![[2; 16]],
        can_write: true,
        created_at_ms: 5,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 63 0000000000000000 0200000000000000 7b7d 01 01 0100000000000000 02020202020202020202020202020202 01 0500000000000000"
            .replace(' ', "")
    );
    assert_eq!(
        decode::<StoredCollection>(&bytes, "collection").unwrap(),
        rec
    );
}

#[test]
fn feed_v1_golden() {
    let rec = StoredFeed::V1(FeedV1 {
        id: [1; 16],
        name: "f".into(),
        description: String::new(),
        filters_json: "{}".into(),
        public: false,
        max_tlp: 0,
        authorized_groups: vec![],
        columns: vec!["name".into()],
        separator: ';',
        multi_separator: "|".into(),
        header: true,
        window_secs: Some(60),
        max_rows: 10,
        created_at_ms: 5,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 66 0000000000000000 0200000000000000 7b7d 00 00 0000000000000000 0100000000000000 0400000000000000 6e616d65 3b 0100000000000000 7c 01 01 3c00000000000000 0a000000 0500000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredFeed>(&bytes, "feed").unwrap(), rec);
}

#[test]
fn token_v1_golden() {
    let rec = StoredToken::V1(TokenV1 {
        id: [1; 16],
        name: "t".into(),
        user_id: [2; 16],
        hash: [3; 32],
        created_at_ms: 4,
        expires_at_ms: None,
        revoked: false,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(bytes.len(), 4 + 16 + 8 + 1 + 16 + 32 + 8 + 1 + 1);
    assert_eq!(decode::<StoredToken>(&bytes, "token").unwrap(), rec);
}

#[test]
fn synchronizer_v1_golden_and_redacted() {
    let rec = StoredSynchronizer::V1(SynchronizerV1 {
        id: [1; 16],
        name: "n".into(),
        url: "u".into(),
        token: Some("s3cret".into()),
        stream_id: "s".into(),
        listen_delete: true,
        no_dependencies: false,
        start_from: "b".into(),
        verify_tls: true,
        running: false,
        created_at_ms: 2,
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01010101010101010101010101010101 0100000000000000 6e 0100000000000000 75 01 0600000000000000 733363726574 0100000000000000 73 01 00 0100000000000000 62 01 00 0200000000000000"
            .replace(' ', "")
    );
    assert_eq!(decode::<StoredSynchronizer>(&bytes, "sync").unwrap(), rec);
    assert!(!format!("{rec:?}").contains("s3cret"));
}

#[test]
fn sync_state_v1_golden() {
    let rec = StoredSyncState::V1(SyncStateV1 {
        cursor: Some("1-0".into()),
        events_applied: 3,
        parked: vec![ParkedV1 {
            stix_id: "r".into(),
            object: b"{}".to_vec(),
            missing: vec!["m".into()],
            attempts: 1,
            upstream_hub: None,
        }],
        errors: vec![SyncErrorV1 {
            stix_id: None,
            error: "e".into(),
            at_ms: 4,
        }],
    });
    let bytes = encode(&rec).unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "00000000 01 0300000000000000 312d30 0300000000000000 0100000000000000 0100000000000000 72 0200000000000000 7b7d 0100000000000000 0100000000000000 6d 01000000 00 0100000000000000 00 0100000000000000 65 0400000000000000"
            .replace(' ', "")
    );
    assert_eq!(
        decode::<StoredSyncState>(&bytes, "sync state").unwrap(),
        rec
    );
}
