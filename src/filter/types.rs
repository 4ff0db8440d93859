//! STIX type → OpenCTI entity type names and their parent (abstract) types, the
//! candidate values of the `entity_type`, `fromTypes` and `toTypes` keys.

use serde_json::{Map, Value};

const SDO: &[&str] = &[
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const CONTAINER: &[&str] = &[
    "Container",
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const CASE: &[&str] = &[
    "Case",
    "Container",
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const IDENTITY: &[&str] = &[
    "Identity",
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const LOCATION: &[&str] = &[
    "Location",
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const THREAT_ACTOR: &[&str] = &[
    "Threat-Actor",
    "Stix-Domain-Object",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const SCO: &[&str] = &[
    "Stix-Cyber-Observable",
    "Stix-Core-Object",
    "Stix-Object",
    "Basic-Object",
];
const META: &[&str] = &["Stix-Meta-Object", "Stix-Object", "Basic-Object"];
const RELATIONSHIP: &[&str] = &[
    "stix-core-relationship",
    "stix-relationship",
    "basic-relationship",
];
const SIGHTING: &[&str] = &[
    "stix-sighting-relationship",
    "stix-relationship",
    "basic-relationship",
];

/// (STIX type, OpenCTI entity type, parent types). Identity, location, threat-actor
/// and relationship objects also get a more specific name from the object itself.
const TABLE: &[(&str, &str, &[&str])] = &[
    ("attack-pattern", "Attack-Pattern", SDO),
    ("campaign", "Campaign", SDO),
    ("channel", "Channel", SDO),
    ("course-of-action", "Course-Of-Action", SDO),
    ("data-component", "Data-Component", SDO),
    ("data-source", "Data-Source", SDO),
    ("x-mitre-data-component", "Data-Component", SDO),
    ("x-mitre-data-source", "Data-Source", SDO),
    ("event", "Event", SDO),
    ("incident", "Incident", SDO),
    ("indicator", "Indicator", SDO),
    ("infrastructure", "Infrastructure", SDO),
    ("intrusion-set", "Intrusion-Set", SDO),
    ("language", "Language", SDO),
    ("malware", "Malware", SDO),
    ("malware-analysis", "Malware-Analysis", SDO),
    ("narrative", "Narrative", SDO),
    ("tool", "Tool", SDO),
    ("vulnerability", "Vulnerability", SDO),
    ("identity", "Identity", IDENTITY),
    ("location", "Location", LOCATION),
    ("threat-actor", "Threat-Actor", THREAT_ACTOR),
    ("grouping", "Grouping", CONTAINER),
    ("note", "Note", CONTAINER),
    ("observed-data", "Observed-Data", CONTAINER),
    ("opinion", "Opinion", CONTAINER),
    ("report", "Report", CONTAINER),
    ("task", "Task", CONTAINER),
    ("case-incident", "Case-Incident", CASE),
    ("case-rfi", "Case-Rfi", CASE),
    ("case-rft", "Case-Rft", CASE),
    ("feedback", "Feedback", CASE),
    ("artifact", "Artifact", SCO),
    ("autonomous-system", "Autonomous-System", SCO),
    ("directory", "Directory", SCO),
    ("domain-name", "Domain-Name", SCO),
    ("email-addr", "Email-Addr", SCO),
    ("email-message", "Email-Message", SCO),
    ("email-mime-part-type", "Email-Mime-Part-Type", SCO),
    ("file", "StixFile", SCO),
    ("ipv4-addr", "IPv4-Addr", SCO),
    ("ipv6-addr", "IPv6-Addr", SCO),
    ("mac-addr", "Mac-Addr", SCO),
    ("mutex", "Mutex", SCO),
    ("network-traffic", "Network-Traffic", SCO),
    ("process", "Process", SCO),
    ("software", "Software", SCO),
    ("url", "Url", SCO),
    ("user-account", "User-Account", SCO),
    ("windows-registry-key", "Windows-Registry-Key", SCO),
    (
        "windows-registry-value-type",
        "Windows-Registry-Value-Type",
        SCO,
    ),
    ("x509-certificate", "X509-Certificate", SCO),
    ("bank-account", "Bank-Account", SCO),
    ("credential", "Credential", SCO),
    ("cryptocurrency-wallet", "Cryptocurrency-Wallet", SCO),
    ("cryptographic-key", "Cryptographic-Key", SCO),
    ("hostname", "Hostname", SCO),
    ("media-content", "Media-Content", SCO),
    ("payment-card", "Payment-Card", SCO),
    ("persona", "Persona", SCO),
    ("phone-number", "Phone-Number", SCO),
    ("text", "Text", SCO),
    ("tracking-number", "Tracking-Number", SCO),
    ("user-agent", "User-Agent", SCO),
    ("ssh-key", "SSH-Key", SCO),
    ("marking-definition", "Marking-Definition", META),
    ("extension-definition", "Extension-Definition", META),
    ("language-content", "Language-Content", META),
    ("label", "Label", META),
    ("kill-chain-phase", "Kill-Chain-Phase", META),
    ("external-reference", "External-Reference", META),
    ("vocabulary", "Vocabulary", META),
    ("relationship", "stix-core-relationship", RELATIONSHIP),
    ("sighting", "stix-sighting-relationship", SIGHTING),
];

/// Specific OpenCTI types an object of these STIX types can have.
const SUBTYPES: &[(&str, &[&str])] = &[
    (
        "identity",
        &[
            "Organization",
            "Individual",
            "Sector",
            "System",
            "SecurityPlatform",
        ],
    ),
    (
        "location",
        &[
            "Country",
            "City",
            "Region",
            "Position",
            "Administrative-Area",
        ],
    ),
    (
        "threat-actor",
        &["Threat-Actor-Group", "Threat-Actor-Individual"],
    ),
];

/// Entity type names of a STIX object: raw STIX type, OpenCTI type(s), parents.
/// An object without a `type` has none.
pub(super) fn object_type_names(obj: &Map<String, Value>) -> Vec<String> {
    match obj.get("type").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => names(t.trim(), Some(obj)),
        _ => Vec::new(),
    }
}

/// Entity type names for the object a STIX id refers to (`malware--…`), from the id's
/// type prefix only (so an identity ref gives `Identity`, not `Organization`).
pub(super) fn ref_type_names(stix_id: &str) -> Vec<String> {
    match stix_id.trim().split_once("--") {
        Some((t, _)) if !t.is_empty() => names(t, None),
        _ => Vec::new(),
    }
}

fn names(stix_type: &str, obj: Option<&Map<String, Value>>) -> Vec<String> {
    let mut out = vec![stix_type.to_string()];
    if let Some(specific) = obj.and_then(|o| specific_name(stix_type, o)) {
        out.push(specific);
    }
    match TABLE.iter().find(|(t, _, _)| *t == stix_type) {
        Some((_, name, parents)) => {
            out.push((*name).to_string());
            out.extend(parents.iter().map(|p| (*p).to_string()));
        }
        None => out.push(capitalise_words(stix_type)),
    }
    out.dedup();
    out
}

fn str_prop<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The OpenCTI subtype an object carries (same rules as `stix::opencti::entity_type`).
fn specific_name(stix_type: &str, obj: &Map<String, Value>) -> Option<String> {
    let name = match stix_type {
        "relationship" => str_prop(obj, "relationship_type")?,
        "identity" => str_prop(obj, "x_opencti_type").unwrap_or(
            match str_prop(obj, "identity_class")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("individual") => "Individual",
                Some("class" | "sector") => "Sector",
                Some("system") => "System",
                _ => "Organization",
            },
        ),
        "location" => str_prop(obj, "x_opencti_location_type").or_else(|| {
            // Most specific first: a city usually also names its country.
            [
                ("city", "City"),
                ("administrative_area", "Administrative-Area"),
                ("country", "Country"),
                ("region", "Region"),
                ("latitude", "Position"),
                ("longitude", "Position"),
            ]
            .iter()
            .find(|(field, _)| obj.contains_key(*field))
            .map(|(_, name)| *name)
        })?,
        "threat-actor" => str_prop(obj, "x_opencti_type").unwrap_or(
            if str_prop(obj, "resource_level") == Some("individual") {
                "Threat-Actor-Individual"
            } else {
                "Threat-Actor-Group"
            },
        ),
        _ => return None,
    };
    Some(name.to_string())
}

/// The lower-cased STIX types an `entity_type` filter value covers; the value itself
/// (lower-cased) when it names no known type.
pub(super) fn stix_types_named(value: &str) -> Vec<String> {
    let v = value.trim().to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for (stix, name, parents) in TABLE {
        let hit = *stix == v
            || name.to_lowercase() == v
            || parents.iter().any(|p| p.to_lowercase() == v)
            || SUBTYPES
                .iter()
                .any(|(t, subs)| t == stix && subs.iter().any(|s| s.to_lowercase() == v));
        if hit && !out.iter().any(|t| t == stix) {
            out.push((*stix).to_string());
        }
    }
    if out.is_empty() && !v.is_empty() {
        out.push(v);
    }
    out
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
