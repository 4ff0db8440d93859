//! The filter keys the evaluator implements, their kind and their readable label.

/// Every key [`super::FilterGroup::parse`] accepts; each one is evaluated by
/// [`super::matches()`] (a test checks both stay in step).
pub const SUPPORTED_KEYS: &[&str] = &[
    "entity_type",
    "ids",
    "objectMarking",
    "objectLabel",
    "createdBy",
    "objects",
    "confidence",
    "revoked",
    "x_opencti_score",
    "x_opencti_detection",
    "x_opencti_main_observable_type",
    "x_opencti_cisa_kev",
    "x_opencti_epss_score",
    "x_opencti_epss_percentile",
    "x_opencti_cvss_base_score",
    "x_opencti_cvss_base_severity",
    "pattern_type",
    "pattern",
    "indicator_types",
    "report_types",
    "malware_types",
    "tool_types",
    "threat_actor_types",
    "infrastructure_types",
    "response_types",
    "information_types",
    "takedown_types",
    "note_types",
    "relationship_type",
    "fromId",
    "toId",
    "fromTypes",
    "toTypes",
    "name",
    "created",
    "modified",
    "published",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "severity",
    "priority",
    "incident_type",
    "spec_version",
];

/// How a key's candidate values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Lower-cased, trimmed strings; ordering is numeric when both sides parse as
    /// numbers, lexicographic otherwise (RFC 3339 `Z` timestamps order correctly).
    Text,
    /// Numbers; every filter value must parse as one.
    Number,
    /// Booleans (`true`/`yes`/`1` are true); `true` > `false` for ordering.
    Boolean,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "numeric",
            Kind::Boolean => "boolean",
        }
    }
}

/// The kind of a supported key, `None` for an unsupported one.
pub(super) fn kind(key: &str) -> Option<Kind> {
    if !SUPPORTED_KEYS.contains(&key) {
        return None;
    }
    Some(match key {
        "confidence"
        | "x_opencti_score"
        | "x_opencti_epss_score"
        | "x_opencti_epss_percentile"
        | "x_opencti_cvss_base_score" => Kind::Number,
        "revoked" | "x_opencti_detection" | "x_opencti_cisa_kev" => Kind::Boolean,
        _ => Kind::Text,
    })
}

/// Short human label used by `describe()`.
pub(super) fn label(key: &str) -> String {
    let fixed = match key {
        "entity_type" => "type",
        "ids" => "id",
        "objectMarking" => "marking",
        "objectLabel" => "label",
        "createdBy" => "author",
        "objects" => "contained object",
        "x_opencti_score" => "score",
        "x_opencti_detection" => "detection",
        "x_opencti_main_observable_type" => "main observable type",
        "x_opencti_cisa_kev" => "CISA KEV",
        "x_opencti_epss_score" => "EPSS score",
        "x_opencti_epss_percentile" => "EPSS percentile",
        "x_opencti_cvss_base_score" => "CVSS score",
        "x_opencti_cvss_base_severity" => "CVSS severity",
        "fromId" => "source",
        "toId" => "target",
        "fromTypes" => "source type",
        "toTypes" => "target type",
        other => return other.replace('_', " "),
    };
    fixed.to_string()
}
