//! The upsert decision (API.md "Upsert rules").

use serde_json::{Map, Value};

use crate::stix::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Create,
    Update,
    Unchanged,
    OlderIgnored,
}

/// Decides what an incoming version does to the stored one.
/// - no stored version → create;
/// - both have `modified`: later → update, earlier → ignored, equal → unchanged when the content is equal,
///   else update (a change limited to another field is still a change, B37);
/// - otherwise (SCOs, marking definitions): update when the content differs.
#[must_use]
pub fn decide(
    stored: Option<(Option<&Timestamp>, &Map<String, Value>)>,
    incoming_modified: Option<&Timestamp>,
    incoming: &Map<String, Value>,
) -> Decision {
    let Some((stored_modified, stored_obj)) = stored else {
        return Decision::Create;
    };
    if let (Some(old), Some(new)) = (stored_modified, incoming_modified) {
        if new < old {
            return Decision::OlderIgnored;
        }
        if new > old {
            return Decision::Update;
        }
    }
    // Map equality ignores key order.
    if stored_obj == incoming {
        Decision::Unchanged
    } else {
        Decision::Update
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn rules() {
        let a = map(json!({"id": "x--1", "name": "a", "modified": "2024-01-01T00:00:00.000Z"}));
        let a_reordered =
            map(json!({"modified": "2024-01-01T00:00:00.000Z", "name": "a", "id": "x--1"}));
        let b = map(json!({"id": "x--1", "name": "b", "modified": "2024-01-01T00:00:00.000Z"}));
        let t0 = ts("2024-01-01T00:00:00.000Z");
        let t1 = ts("2024-01-01T00:00:00.000001Z");
        assert_eq!(decide(None, Some(&t0), &a), Decision::Create);
        assert_eq!(
            decide(Some((Some(&t0), &a)), Some(&t0), &a_reordered),
            Decision::Unchanged
        );
        assert_eq!(
            decide(Some((Some(&t0), &a)), Some(&t0), &b),
            Decision::Update
        );
        assert_eq!(
            decide(Some((Some(&t0), &a)), Some(&t1), &b),
            Decision::Update
        );
        assert_eq!(
            decide(Some((Some(&t1), &a)), Some(&t0), &b),
            Decision::OlderIgnored
        );
        assert_eq!(decide(Some((None, &a)), None, &a), Decision::Unchanged);
        assert_eq!(decide(Some((None, &a)), None, &b), Decision::Update);
    }
}
