//! OpenCTI conventions: platform extension ids, entity type names and the
//! human-readable event messages its stream consumers expect.

use serde_json::{Map, Value};

/// OpenCTI's property extension carrying platform metadata on domain objects.
pub const OCTI_EXT: &str = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba";

/// OpenCTI's property extension carrying platform metadata on observables.
pub const OCTI_SCO_EXT: &str = "extension-definition--f93e2c80-4231-4f9a-af8b-95c9bd566a82";

/// OpenCTI entity type for a STIX object (what goes into the OCTI extension's "type").
pub fn entity_type(obj: &Map<String, Value>) -> String {
    let stix_type = str_prop(obj, "type").unwrap_or_default();
    match stix_type {
        "relationship" => str_prop(obj, "relationship_type")
            .unwrap_or("stix-core-relationship")
            .to_string(),
        "sighting" => "stix-sighting-relationship".to_string(),
        "identity" => identity_type(obj),
        "location" => location_type(obj),
        "file" => "StixFile".to_string(),
        "ipv4-addr" => "IPv4-Addr".to_string(),
        "ipv6-addr" => "IPv6-Addr".to_string(),
        "mac-addr" => "Mac-Addr".to_string(),
        "url" => "Url".to_string(),
        "x509-certificate" => "X509-Certificate".to_string(),
        "windows-registry-key" => "Windows-Registry-Key".to_string(),
        "email-addr" => "Email-Addr".to_string(),
        "autonomous-system" => "Autonomous-System".to_string(),
        "marking-definition" => "Marking-Definition".to_string(),
        "course-of-action" => "Course-Of-Action".to_string(),
        "attack-pattern" => "Attack-Pattern".to_string(),
        other => capitalise_words(other),
    }
}

/// Human message like OpenCTI's: "creates a Malware `Emotet`".
///
/// `kind` is "create", "update", "delete" or "merge"; any other kind is
/// used as the verb with an "s" appended.
pub fn message(kind: &str, obj: &Map<String, Value>) -> String {
    let verb = match kind {
        "create" => "creates",
        "update" => "updates",
        "delete" => "deletes",
        "merge" => "merges",
        other => return format!("{other}s a {} `{}`", entity_type(obj), label(obj)),
    };
    format!("{verb} a {} `{}`", entity_type(obj), label(obj))
}

/// The object's `name`, else `value`, else its id.
fn label(obj: &Map<String, Value>) -> &str {
    ["name", "value", "id"]
        .iter()
        .find_map(|k| str_prop(obj, k).filter(|s| !s.is_empty()))
        .unwrap_or("")
}

fn str_prop<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn identity_type(obj: &Map<String, Value>) -> String {
    if let Some(t) = str_prop(obj, "x_opencti_type").filter(|s| !s.is_empty()) {
        return t.to_string();
    }
    match str_prop(obj, "identity_class") {
        Some("individual") => "Individual",
        Some("class" | "sector") => "Sector",
        Some("system") => "System",
        _ => "Organization",
    }
    .to_string()
}

fn location_type(obj: &Map<String, Value>) -> String {
    if let Some(t) = str_prop(obj, "x_opencti_location_type").filter(|s| !s.is_empty()) {
        return t.to_string();
    }
    // Most specific first: a city usually also names its country.
    let t = if obj.contains_key("city") {
        "City"
    } else if obj.contains_key("administrative_area") {
        "Administrative-Area"
    } else if obj.contains_key("country") {
        "Country"
    } else if obj.contains_key("region") {
        "Region"
    } else if obj.contains_key("latitude") || obj.contains_key("longitude") {
        "Position"
    } else {
        "Location"
    };
    t.to_string()
}

/// "intrusion-set" → "Intrusion-Set".
fn capitalise_words(t: &str) -> String {
    t.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
