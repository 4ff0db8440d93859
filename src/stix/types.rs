//! STIX object type classification: which types exist, which are
//! cyber-observables, and which timestamps each kind requires.

/// STIX 2.1 domain objects.
pub(crate) const SDO_TYPES: &[&str] = &[
    "attack-pattern",
    "campaign",
    "course-of-action",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "location",
    "malware",
    "malware-analysis",
    "note",
    "observed-data",
    "opinion",
    "report",
    "threat-actor",
    "tool",
    "vulnerability",
];

/// STIX 2.1 relationship objects.
pub(crate) const SRO_TYPES: &[&str] = &["relationship", "sighting"];

/// STIX 2.1 meta objects.
pub(crate) const SMO_TYPES: &[&str] = &[
    "marking-definition",
    "language-content",
    "extension-definition",
];

/// STIX 2.1 cyber-observable objects.
pub(crate) const SCO_TYPES: &[&str] = &[
    "artifact",
    "autonomous-system",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "file",
    "ipv4-addr",
    "ipv6-addr",
    "mac-addr",
    "mutex",
    "network-traffic",
    "process",
    "software",
    "url",
    "user-account",
    "windows-registry-key",
    "x509-certificate",
];

/// OpenCTI custom types that behave like domain objects (need created/modified).
pub(crate) const OPENCTI_SDO_TYPES: &[&str] = &[
    "case-incident",
    "case-rfi",
    "case-rft",
    "task",
    "feedback",
    "channel",
    "narrative",
    "event",
    "language",
    "data-component",
    "data-source",
    "security-platform",
];

/// OpenCTI custom observables (no spec_version or timestamps required).
pub(crate) const OPENCTI_SCO_TYPES: &[&str] = &[
    "cryptographic-key",
    "cryptocurrency-wallet",
    "hostname",
    "text",
    "user-agent",
    "bank-account",
    "phone-number",
    "payment-card",
    "media-content",
    "persona",
    "credential",
    "tracking-number",
];

/// Which of `created` / `modified` an object type must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Required {
    CreatedModified,
    CreatedOnly,
    Nothing,
}

/// How a type is known to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypeInfo {
    /// Cyber-observable: `spec_version` may be absent (2.1 default).
    pub sco: bool,
    pub required: Required,
}

/// Checks the STIX type-name syntax; the error is a reason fragment.
pub(crate) fn check_type_syntax(t: &str) -> Result<(), String> {
    let ok = (3..=250).contains(&t.len())
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !t.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid type '{t}': must be 3-250 characters of a-z, 0-9 and '-', \
             start with a letter and not contain '--'"
        ))
    }
}

/// Classifies a syntactically valid type; `None` for an unknown type.
pub(crate) fn classify(t: &str) -> Option<TypeInfo> {
    let info = |sco, required| Some(TypeInfo { sco, required });
    if SDO_TYPES.contains(&t) || SRO_TYPES.contains(&t) || OPENCTI_SDO_TYPES.contains(&t) {
        info(false, Required::CreatedModified)
    } else if t == "marking-definition" {
        info(false, Required::CreatedOnly)
    } else if SMO_TYPES.contains(&t) {
        info(false, Required::CreatedModified)
    } else if SCO_TYPES.contains(&t) || OPENCTI_SCO_TYPES.contains(&t) {
        info(true, Required::Nothing)
    } else if t.starts_with("x-") {
        info(false, Required::Nothing)
    } else {
        None
    }
}

/// The `<type>_types` vocabulary property that replaced 2.0 `labels`.
pub(crate) fn vocab_property(t: &str) -> Option<&'static str> {
    match t {
        "indicator" => Some("indicator_types"),
        "infrastructure" => Some("infrastructure_types"),
        "malware" => Some("malware_types"),
        "report" => Some("report_types"),
        "threat-actor" => Some("threat_actor_types"),
        "tool" => Some("tool_types"),
        _ => None,
    }
}

/// Whether `id` is `<prefix>--<uuid>`; returns the prefix, or a reason.
pub(crate) fn split_id(id: &str) -> Result<&str, String> {
    let bad = || format!("invalid id '{id}': expected '<type>--<uuid>'");
    let pos = id.rfind("--").ok_or_else(bad)?;
    let (prefix, uuid) = (&id[..pos], &id[pos + 2..]);
    if prefix.is_empty() {
        return Err(bad());
    }
    if !is_uuid(uuid) {
        return Err(format!(
            "invalid id '{id}': '{uuid}' is not a UUID (8-4-4-4-12 hex digits)"
        ));
    }
    Ok(prefix)
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
