//! STIX 2.0 → 2.1 object upgrade, as MITRE did for ATT&CK
//! (`mitre/cti` 2.0 → `mitre-attack/attack-stix-data` 2.1).

use serde_json::{Map, Value};

use super::types::vocab_property;

/// Upgrades a STIX 2.0 object in place (`stix_type` is its `type`):
/// adds `"spec_version": "2.1"` right after `type`, moves 2.0 `labels` into the
/// `<type>_types` vocabulary (dropping a label list that only repeats the type
/// name, such as ATT&CK's `["malware"]`), and gives malware `is_family: true`.
pub(crate) fn upgrade_20(obj: &mut Map<String, Value>, stix_type: &str) {
    obj.shift_remove("spec_version");
    let at = index_of(obj, "type").map_or(0, |i| i + 1).min(obj.len());
    obj.shift_insert(at, "spec_version".to_string(), Value::from("2.1"));

    if let Some(vocab) = vocab_property(stix_type) {
        if !obj.contains_key(vocab) {
            if let Some(pos) = index_of(obj, "labels") {
                if let Some(labels) = obj.shift_remove("labels") {
                    let only_type_name = matches!(
                        labels.as_array().map(Vec::as_slice),
                        Some([Value::String(l)]) if l == stix_type
                    );
                    if !only_type_name {
                        let pos = pos.min(obj.len());
                        obj.shift_insert(pos, vocab.to_string(), labels);
                    }
                }
            }
        }
    }
    if stix_type == "malware" && !obj.contains_key("is_family") {
        obj.insert("is_family".to_string(), Value::Bool(true));
    }
}

fn index_of(obj: &Map<String, Value>, key: &str) -> Option<usize> {
    obj.keys().position(|k| k == key)
}
