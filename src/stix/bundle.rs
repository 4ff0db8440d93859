//! Bundle envelope parsing. Objects stay as borrowed raw JSON so that very
//! large bundles are never materialised as a tree of `Value`s.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

/// Why a request body is not an acceptable bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
}

/// The objects of a bundle, still unparsed, plus what the envelope said.
#[derive(Debug)]
pub struct Bundle<'a> {
    pub objects: Vec<&'a RawValue>,
    /// The bundle declared `"spec_version": "2.0"`: its objects are STIX 2.0.
    pub legacy_20: bool,
    pub warnings: Vec<String>,
}

const EXPECTED: &str = "expected a JSON object with \"type\":\"bundle\" or a JSON array";

/// Parses a bundle body: `{"type":"bundle", "objects":[...]}` or a bare array of objects.
///
/// A leading UTF-8 byte-order mark is ignored (RFC 8259 §8.1 allows parsers to).
pub fn parse_bundle(body: &[u8]) -> Result<Bundle<'_>, BundleError> {
    let invalid = |e: serde_json::Error| BundleError::InvalidJson(e.to_string());
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let root: &RawValue = serde_json::from_slice(body).map_err(invalid)?;
    let text = root.get();
    match text.as_bytes().first() {
        Some(b'[') => {
            let objects: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
            Ok(Bundle {
                objects,
                legacy_20: false,
                warnings: Vec::new(),
            })
        }
        Some(b'{') => parse_envelope(text),
        _ => Err(BundleError::NotABundle(format!(
            "{EXPECTED}; top-level value is {}",
            json_kind(text)
        ))),
    }
}

fn parse_envelope(text: &str) -> Result<Bundle<'_>, BundleError> {
    let not_bundle = |reason: String| BundleError::NotABundle(reason);
    // Top-level properties only; their values stay raw (duplicate keys: last wins).
    let props: BTreeMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| BundleError::InvalidJson(e.to_string()))?;

    match props.get("type").map(|v| raw_str(v)) {
        None => {
            return Err(not_bundle(format!(
                "{EXPECTED}; got a JSON object without \"type\""
            )))
        }
        Some(None) => return Err(not_bundle("\"type\" must be a string".to_string())),
        Some(Some(t)) if t != "bundle" => {
            return Err(not_bundle(format!(
                "{EXPECTED}; got a single STIX object of type '{t}'"
            )))
        }
        Some(Some(_)) => {}
    }

    let objects: Vec<&RawValue> = match props.get("objects") {
        None => Vec::new(),
        Some(raw) if raw.get().starts_with('[') => {
            serde_json::from_str(raw.get()).map_err(|e| BundleError::InvalidJson(e.to_string()))?
        }
        Some(raw) => {
            return Err(not_bundle(format!(
                "\"objects\" must be an array, got {}",
                json_kind(raw.get())
            )))
        }
    };

    let mut warnings = Vec::new();
    let mut legacy_20 = false;
    if let Some(raw) = props.get("spec_version") {
        match raw_str(raw).as_deref() {
            Some("2.0") => legacy_20 = true,
            Some("2.1") => warnings.push(
                "bundle-level spec_version is a STIX 2.0 property and was ignored".to_string(),
            ),
            Some(other) => warnings.push(format!(
                "bundle-level spec_version '{other}' is not a known STIX version and was \
                 ignored; objects are judged individually"
            )),
            None => warnings.push(format!(
                "bundle-level spec_version {} is not a string and was ignored; \
                 objects are judged individually",
                raw.get()
            )),
        }
    }
    Ok(Bundle {
        objects,
        legacy_20,
        warnings,
    })
}

/// The string a raw JSON value holds, if it is a string.
fn raw_str(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// "an object", "a string", ... for a syntactically valid JSON text.
fn json_kind(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}
