//! Per-object validation and normalisation of incoming STIX objects.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::opencti::{OCTI_EXT, OCTI_SCO_EXT};
use super::time::Timestamp;
use super::types::{check_type_syntax, classify, split_id, Required};
use super::upgrade::upgrade_20;

/// How [`prepare`] treats an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepareOptions {
    /// The enclosing bundle is STIX 2.0: objects without `spec_version` are 2.0.
    pub legacy_20: bool,
    /// Objects whose JSON text is longer than this are rejected unparsed.
    pub max_object_bytes: usize,
}

/// A validated object, normalised to STIX 2.1.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub stix_type: String,
    pub modified: Option<Timestamp>,
    pub object: Map<String, Value>,
    pub warnings: Vec<String>,
}

/// Why one object was rejected; `id` is set whenever the object had a string id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectError {
    pub id: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for ObjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for ObjectError {}

/// Deepest JSON nesting an object may have (the object itself is depth 1). Events wrap objects in a few more
/// levels, and serde_json refuses more than 128 when an event is read back: a deeper object would be stored
/// but silently missing from filtered streams and TAXII.
pub const MAX_OBJECT_DEPTH: usize = 100;

/// Timestamp properties validated on every object.
const TIMESTAMP_PROPS: &[&str] = &[
    "created",
    "modified",
    "valid_from",
    "valid_until",
    "first_seen",
    "last_seen",
    "published",
    "first_observed",
    "last_observed",
    "start_time",
    "stop_time",
];

/// Validates one object of a bundle and normalises it to STIX 2.1.
pub fn prepare(raw: &RawValue, opts: &PrepareOptions) -> Result<Prepared, ObjectError> {
    let text = raw.get();
    if text.len() > opts.max_object_bytes {
        return Err(ObjectError {
            id: probe_id(text),
            reason: format!(
                "object is {} bytes, over the limit of {}",
                text.len(),
                opts.max_object_bytes
            ),
        });
    }
    let depth = json_depth(text);
    if depth > MAX_OBJECT_DEPTH {
        return Err(ObjectError {
            id: probe_id(text),
            reason: format!(
                "object is nested {depth} levels deep, over the depth limit of {MAX_OBJECT_DEPTH}"
            ),
        });
    }
    let mut object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            return Err(ObjectError {
                id: None,
                reason: format!("expected a JSON object, got {}", kind(&other)),
            })
        }
        Err(e) => {
            return Err(ObjectError {
                id: None,
                reason: format!("invalid JSON: {e}"),
            })
        }
    };
    let id = object.get("id").and_then(Value::as_str).map(str::to_string);
    let fail = |reason: String| ObjectError {
        id: id.clone(),
        reason,
    };

    let stix_type = match object.get("type") {
        None => return Err(fail("missing required property 'type'".into())),
        Some(Value::String(t)) => t.clone(),
        Some(other) => {
            return Err(fail(format!(
                "'type' must be a string, got {}",
                kind(other)
            )))
        }
    };
    check_type_syntax(&stix_type).map_err(&fail)?;
    let info = classify(&stix_type).ok_or_else(|| {
        fail(format!(
            "unknown object type '{stix_type}' (not a STIX 2.1 type, not an OpenCTI type, \
             not an x- custom type)"
        ))
    })?;

    let id_str = match (&id, object.get("id")) {
        (Some(s), _) => s.clone(),
        (None, None) => return Err(fail("missing required property 'id'".into())),
        (None, Some(other)) => {
            return Err(fail(format!("'id' must be a string, got {}", kind(other))))
        }
    };
    let prefix = split_id(&id_str).map_err(&fail)?;
    if prefix != stix_type {
        return Err(fail(format!(
            "id prefix '{prefix}' does not match type '{stix_type}'"
        )));
    }

    let mut warnings = Vec::new();
    let upgrade = match object.get("spec_version") {
        Some(Value::String(v)) if v == "2.1" => false,
        Some(Value::String(v)) if v == "2.0" => true,
        Some(Value::String(v)) => return Err(fail(format!("unsupported spec_version '{v}'"))),
        Some(other) => {
            return Err(fail(format!(
                "'spec_version' must be a string, got {}",
                kind(other)
            )))
        }
        None => opts.legacy_20 || !info.sco,
    };
    if upgrade {
        upgrade_20(&mut object, &stix_type);
        warnings.push("upgraded from STIX 2.0".to_string());
    }

    let required: &[&str] = match info.required {
        Required::CreatedModified => &["created", "modified"],
        Required::CreatedOnly => &["created"],
        Required::Nothing => &[],
    };
    for prop in required {
        if !object.contains_key(*prop) {
            return Err(fail(format!("missing required property '{prop}'")));
        }
    }
    let (mut created, mut modified) = (None, None);
    for prop in TIMESTAMP_PROPS {
        let Some(value) = object.get(*prop) else {
            continue;
        };
        let Value::String(s) = value else {
            return Err(fail(format!(
                "'{prop}' must be a timestamp string, got {}",
                kind(value)
            )));
        };
        let ts = Timestamp::parse(s).map_err(|e| fail(format!("property '{prop}': {e}")))?;
        if matches!(*prop, "created" | "modified") && !ts.has_fraction() {
            warnings.push(format!("'{prop}' has no millisecond precision"));
        }
        match *prop {
            "created" => created = Some(ts),
            "modified" => modified = Some(ts),
            _ => {}
        }
    }
    // A STIX 2.1 MUST that platforms break (OpenCTI's own test data does): kept, with a warning, since
    // refusing it would lose a partner's knowledge on every sync.
    if let (Some(c), Some(m)) = (&created, &modified) {
        if m < c {
            warnings.push(
                "'modified' is earlier than 'created' (STIX 2.1 requires modified >= created)"
                    .into(),
            );
        }
    }
    let refs: &[&str] = match stix_type.as_str() {
        "relationship" => &["source_ref", "target_ref"],
        "sighting" => &["sighting_of_ref"],
        _ => &[],
    };
    for prop in refs {
        check_ref(&object, prop).map_err(&fail)?;
    }

    strip_platform_extensions(&mut object);
    Ok(Prepared {
        id: id_str,
        stix_type,
        modified,
        object,
        warnings,
    })
}

/// Removes the sending platform's OpenCTI metadata extensions.
fn strip_platform_extensions(object: &mut Map<String, Value>) {
    let now_empty = match object.get_mut("extensions") {
        Some(Value::Object(exts)) => {
            let had = exts.contains_key(OCTI_EXT) || exts.contains_key(OCTI_SCO_EXT);
            exts.shift_remove(OCTI_EXT);
            exts.shift_remove(OCTI_SCO_EXT);
            had && exts.is_empty()
        }
        _ => false,
    };
    if now_empty {
        object.shift_remove("extensions");
    }
}

/// A required reference property: present, a string, and a STIX identifier `<type>--<uuid>`.
fn check_ref(object: &Map<String, Value>, prop: &str) -> Result<(), String> {
    match object.get(prop) {
        None => Err(format!("missing required property '{prop}'")),
        Some(Value::String(r)) => split_id(r)
            .and_then(check_type_syntax)
            .map_err(|e| format!("property '{prop}': {e}")),
        Some(other) => Err(format!(
            "'{prop}' must be a STIX identifier string, got {}",
            kind(other)
        )),
    }
}

/// The deepest nesting of objects and arrays in a JSON text (scanned, not parsed: any depth is safe).
pub(crate) fn json_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Reads a top-level string `id` without building a tree (for oversized objects).
fn probe_id(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let probe: Probe<'_> = serde_json::from_str(text).ok()?;
    serde_json::from_str::<String>(probe.id?.get()).ok()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
