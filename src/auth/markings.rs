//! Markings and the one access decision: may a reader with these allowed levels see an object?
//! TLP: CLEAR < GREEN < AMBER < AMBER+STRICT < RED; PAP likewise; statement markings never restrict;
//! unmarked objects count as clear; a marking the hub cannot place on a ladder is never allowed.

use serde_json::{Map, Value};

/// A level on one ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ladder {
    Tlp,
    Pap,
}

/// What a marking definition is, for access purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkingKind {
    Level(Ladder, u8),
    Statement,
    Unknown,
}

/// The STIX 2.1 predefined TLP 1.0 and 2.0 marking definitions.
const KNOWN_TLP: &[(&str, u8)] = &[
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        0,
    ), // TLP:WHITE (1.0)
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        0,
    ), // TLP:CLEAR (2.0)
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        1,
    ), // TLP:GREEN (1.0)
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        1,
    ), // TLP:GREEN (2.0)
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        2,
    ), // TLP:AMBER (1.0)
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        2,
    ), // TLP:AMBER (2.0)
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        3,
    ), // TLP:AMBER+STRICT (2.0)
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        4,
    ), // TLP:RED (1.0)
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        4,
    ), // TLP:RED (2.0)
];

/// Parses a level name such as `TLP:GREEN`, `tlp:amber+strict`, `PAP:RED`.
#[must_use]
pub fn parse_level(name: &str) -> Option<(Ladder, u8)> {
    let upper = name.trim().to_ascii_uppercase();
    let (ladder, level) = upper.split_once(':')?;
    let ladder = match ladder {
        "TLP" => Ladder::Tlp,
        "PAP" => Ladder::Pap,
        _ => return None,
    };
    let n = match (ladder, level) {
        (_, "CLEAR" | "WHITE") => 0,
        (_, "GREEN") => 1,
        (_, "AMBER") => 2,
        (Ladder::Tlp, "AMBER+STRICT") => 3,
        (_, "RED") => 4,
        _ => return None,
    };
    Some((ladder, n))
}

/// Classifies a marking by id, using the stored marking definition when the id is not a predefined one.
pub fn classify(id: &str, definition: Option<&Map<String, Value>>) -> MarkingKind {
    if let Some((_, n)) = KNOWN_TLP.iter().find(|(k, _)| *k == id) {
        return MarkingKind::Level(Ladder::Tlp, *n);
    }
    let Some(def) = definition else {
        return MarkingKind::Unknown;
    };
    let dtype = def
        .get("definition_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if dtype == "statement" {
        return MarkingKind::Statement;
    }
    // OpenCTI-style definitions: definition_type "TLP"/"PAP", name "TLP:AMBER"; STIX 2.1 extension-based TLP
    // carries the name too.
    let name = def.get("name").and_then(Value::as_str).or_else(|| {
        def.get("definition")
            .and_then(|d| d.get(dtype.as_str()))
            .and_then(Value::as_str)
    });
    match name.and_then(|n| parse_level(n).or_else(|| parse_level(&format!("{dtype}:{n}")))) {
        Some((ladder, n)) => MarkingKind::Level(ladder, n),
        None => MarkingKind::Unknown,
    }
}

/// What a reader may see: the highest allowed level per ladder (`None` = nothing on that ladder but unmarked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clearance {
    pub tlp: Option<u8>,
    pub pap: Option<u8>,
    /// Administrators bypass markings.
    pub bypass: bool,
}

impl Clearance {
    #[must_use]
    pub fn bypass() -> Self {
        Self {
            tlp: Some(4),
            pap: Some(4),
            bypass: true,
        }
    }

    /// A public stream's ceiling: one TLP level, and PAP up to the same level.
    #[must_use]
    pub fn ceiling(tlp: u8) -> Self {
        Self {
            tlp: Some(tlp),
            pap: Some(tlp),
            bypass: false,
        }
    }

    fn allows(&self, kind: MarkingKind) -> bool {
        if self.bypass {
            return true;
        }
        match kind {
            MarkingKind::Statement => true,
            MarkingKind::Level(Ladder::Tlp, n) => self.tlp.is_some_and(|max| n <= max),
            MarkingKind::Level(Ladder::Pap, n) => self.pap.is_some_and(|max| n <= max),
            MarkingKind::Unknown => false,
        }
    }
}

/// The one access decision: every marking on the object must be within the clearance.
/// `lookup` returns a stored marking definition by id.
pub fn may_see(
    clearance: &Clearance,
    object: &Map<String, Value>,
    lookup: &dyn Fn(&str) -> Option<Map<String, Value>>,
) -> bool {
    if clearance.bypass {
        return true;
    }
    let empty = Vec::new();
    let refs = match object.get("object_marking_refs") {
        None | Some(Value::Null) => &empty,
        Some(Value::Array(refs)) => refs,
        // Not a list: we cannot tell what it marks, so it never passes (fail closed).
        Some(_) => return false,
    };
    // Granular markings restrict parts of the object; the object is only shared whole, so they count as well.
    let granular = match object.get("granular_markings") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|g| g.get("marking_ref").cloned().unwrap_or(Value::Null))
            .collect(),
        Some(_) => return false,
    };
    refs.iter().chain(granular.iter()).all(|r| {
        r.as_str().is_some_and(|id| {
            let def = if KNOWN_TLP.iter().any(|(k, _)| *k == id) {
                None
            } else {
                lookup(id)
            };
            clearance.allows(classify(id, def.as_ref()))
        })
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn obj(refs: &[&str]) -> Map<String, Value> {
        json!({"type": "indicator", "object_marking_refs": refs})
            .as_object()
            .unwrap()
            .clone()
    }

    fn lookup(id: &str) -> Option<Map<String, Value>> {
        let v = match id {
            "marking-definition--statement" => {
                json!({"definition_type": "statement", "definition": {"statement": "(c) MITRE"}})
            }
            "marking-definition--octi-amber" => {
                json!({"definition_type": "TLP", "name": "TLP:AMBER"})
            }
            "marking-definition--octi-test" => {
                json!({"definition_type": "TLP", "name": "TLP:TEST"})
            }
            "marking-definition--pap-green" => {
                json!({"definition_type": "PAP", "name": "PAP:GREEN"})
            }
            _ => return None,
        };
        Some(v.as_object().unwrap().clone())
    }

    const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
    const WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
    const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
    const AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
    const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

    #[test]
    fn the_tlp_ladder() {
        let public = Clearance::ceiling(0);
        let green = Clearance::ceiling(1);
        let cases: [(&[&str], bool, bool); 9] = [
            (&[], true, true),
            (&[CLEAR], true, true),
            (&[WHITE], true, true),
            (&[GREEN], false, true),
            (&[AMBER], false, false),
            (&[RED], false, false),
            (&[GREEN, AMBER], false, false),
            (&["marking-definition--statement", CLEAR], true, true),
            (&["marking-definition--nobody-knows"], false, false),
        ];
        for (refs, at_clear, at_green) in cases {
            assert_eq!(
                may_see(&public, &obj(refs), &lookup),
                at_clear,
                "{refs:?} at CLEAR"
            );
            assert_eq!(
                may_see(&green, &obj(refs), &lookup),
                at_green,
                "{refs:?} at GREEN"
            );
            assert!(may_see(&Clearance::bypass(), &obj(refs), &lookup));
        }
    }

    #[test]
    fn opencti_style_definitions() {
        let amber = Clearance {
            tlp: Some(2),
            pap: None,
            bypass: false,
        };
        assert!(may_see(
            &amber,
            &obj(&["marking-definition--octi-amber"]),
            &lookup
        ));
        assert!(!may_see(
            &Clearance::ceiling(1),
            &obj(&["marking-definition--octi-amber"]),
            &lookup
        ));
        assert!(
            !may_see(&amber, &obj(&["marking-definition--octi-test"]), &lookup),
            "unknown level restricts"
        );
        assert!(
            !may_see(&amber, &obj(&["marking-definition--pap-green"]), &lookup),
            "no PAP clearance"
        );
        assert!(may_see(
            &Clearance::ceiling(1),
            &obj(&["marking-definition--pap-green"]),
            &lookup
        ));
        assert_eq!(parse_level("tlp:amber+strict"), Some((Ladder::Tlp, 3)));
        assert_eq!(parse_level("PAP:AMBER+STRICT"), None);
        let odd = json!({"object_marking_refs": AMBER})
            .as_object()
            .unwrap()
            .clone();
        assert!(
            !may_see(&Clearance::ceiling(4), &odd, &lookup),
            "a marking field that is not a list never passes"
        );
        let granular = json!({"object_marking_refs": [CLEAR], "granular_markings": [{"marking_ref": AMBER, "selectors": ["description"]}]});
        assert!(!may_see(
            &Clearance::ceiling(1),
            granular.as_object().unwrap(),
            &lookup
        ));
        assert!(may_see(
            &Clearance::ceiling(2),
            granular.as_object().unwrap(),
            &lookup
        ));
    }
}
