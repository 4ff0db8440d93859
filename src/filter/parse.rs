//! Parsing and validation of OpenCTI FilterGroup JSON (spec §2.1, field case B15).

use serde_json::{Map, Value};

use super::candidates::{normalise, parse_number};
use super::keys::{self, Kind, SUPPORTED_KEYS};
use super::limits::check_limits;
use super::model::{Filter, FilterGroup, Mode, Operator};
use super::{FilterError, MAX_DEPTH, MAX_FILTERS};

const GROUP_FIELDS: &[&str] = &["mode", "filters", "filterGroups"];
/// `id` is tolerated (and dropped): OpenCTI's UI keeps one on each filter.
const FILTER_FIELDS: &[&str] = &["key", "values", "operator", "mode", "id"];

/// Which limits a parse enforces: all of them for a definition being saved; for a stored one, only those
/// in force before the size and date limits were added, so a stream saved earlier keeps working.
#[derive(Debug, Clone, Copy)]
struct Limits {
    depth: usize,
    /// Values per filter, characters per value and date-valued comparisons are checked.
    strict: bool,
}

const NEW: Limits = Limits {
    depth: MAX_DEPTH,
    strict: true,
};
const STORED: Limits = Limits {
    depth: 10,
    strict: false,
};

fn err<T>(msg: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(msg.into()))
}

impl FilterGroup {
    /// Parses and validates a FilterGroup: a JSON object, or a JSON string holding one
    /// (OpenCTI stores filters as a string). `null`, an empty string or a string holding
    /// `null` give the empty group, which matches everything.
    ///
    /// # Errors
    ///
    /// A [`FilterError`] naming the offending part: invalid JSON or shape, unknown key
    /// (with the supported list), unknown or unsupported operator (with the reason), bad
    /// mode, a value the key cannot hold, nesting deeper than [`MAX_DEPTH`] levels or
    /// more than [`MAX_FILTERS`] filters in all, more than [`MAX_VALUES`] values in a filter,
    /// a value over [`MAX_VALUE_CHARS`] characters, or a date key compared with a non-date.
    pub fn parse(value: &Value) -> Result<FilterGroup, FilterError> {
        parse_with(value, NEW)
    }

    /// Parses a filter saved earlier: as [`FilterGroup::parse`], without the limits added since
    /// (values per filter, value length, date values; nesting up to 10 levels).
    ///
    /// # Errors
    ///
    /// A [`FilterError`] as for [`FilterGroup::parse`].
    pub fn parse_stored(value: &Value) -> Result<FilterGroup, FilterError> {
        parse_with(value, STORED)
    }
}

fn parse_with(value: &Value, limits: Limits) -> Result<FilterGroup, FilterError> {
    let parsed;
    let value = match value {
        Value::String(s) if s.trim().is_empty() => return Ok(FilterGroup::empty()),
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|e| FilterError(format!("filters are not valid JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    match value {
        Value::Null => Ok(FilterGroup::empty()),
        Value::Object(obj) => {
            let mut count = 0;
            parse_group(obj, 1, &mut count, limits)
        }
        other => err(format!(
            "filters must be a JSON object (or a string holding one), got {}",
            json_kind(other)
        )),
    }
}

fn parse_group(
    obj: &Map<String, Value>,
    depth: usize,
    count: &mut usize,
    limits: Limits,
) -> Result<FilterGroup, FilterError> {
    if depth > limits.depth {
        return err(format!(
            "filter groups are nested too deeply (max {} levels)",
            limits.depth
        ));
    }
    if let Some(field) = obj.keys().find(|k| !GROUP_FIELDS.contains(&k.as_str())) {
        // Also catches the pre-5.12 format ({"markedBy":[…]}), which would otherwise
        // read as an empty group and let everything through.
        return err(format!(
            "unknown field '{field}' in filter group (expected mode, filters, filterGroups)"
        ));
    }
    let mode = match obj.get("mode") {
        None | Some(Value::Null) => Mode::And,
        Some(v) => parse_mode(v).ok_or_else(|| {
            FilterError(format!(
                "filter group mode must be 'and' or 'or', got {}",
                shown(v)
            ))
        })?,
    };
    let mut filters = Vec::new();
    for item in array_field(obj, "filters")? {
        *count += 1;
        if *count > MAX_FILTERS {
            return err(format!("too many filters (max {MAX_FILTERS})"));
        }
        let Value::Object(f) = item else {
            return err(format!(
                "each filter must be a JSON object, got {}",
                json_kind(item)
            ));
        };
        filters.push(parse_filter(f, limits)?);
    }
    let mut filter_groups = Vec::new();
    for item in array_field(obj, "filterGroups")? {
        let Value::Object(g) = item else {
            return err(format!(
                "each filter group must be a JSON object, got {}",
                json_kind(item)
            ));
        };
        filter_groups.push(parse_group(g, depth + 1, count, limits)?);
    }
    Ok(FilterGroup {
        mode,
        filters,
        filter_groups,
    })
}

fn array_field<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a [Value], FilterError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => err(format!(
            "filter group '{field}' must be an array, got {}",
            json_kind(other)
        )),
    }
}

fn parse_filter(obj: &Map<String, Value>, limits: Limits) -> Result<Filter, FilterError> {
    if let Some(field) = obj.keys().find(|k| !FILTER_FIELDS.contains(&k.as_str())) {
        return err(format!(
            "unknown field '{field}' in filter (expected key, values, operator, mode)"
        ));
    }
    let key = parse_key(obj.get("key"))?;
    let Some(kind) = keys::kind(&key) else {
        return err(format!(
            "unknown filter key '{key}' (supported: {})",
            SUPPORTED_KEYS.join(", ")
        ));
    };
    let operator = parse_operator(obj.get("operator"), &key, kind)?;
    let mode = match obj.get("mode") {
        None => Mode::Or,
        // OpenCTI quirk kept for compatibility: an explicit null mode behaves as `and`.
        Some(Value::Null) => Mode::And,
        Some(v) => parse_mode(v).ok_or_else(|| {
            FilterError(format!(
                "filter mode must be 'and' or 'or', got {} (key '{key}')",
                shown(v)
            ))
        })?,
    };
    let values = parse_values(obj.get("values"), &key, kind)?;
    if limits.strict {
        check_limits(&key, operator, &values)?;
    }
    if values.is_empty()
        && !matches!(
            operator,
            Operator::Eq | Operator::NotEq | Operator::Nil | Operator::NotNil
        )
    {
        return err(format!(
            "filter on key '{key}' with operator '{}' needs at least one value",
            operator.as_str()
        ));
    }
    Ok(Filter {
        key,
        values,
        operator,
        mode,
    })
}

fn parse_key(value: Option<&Value>) -> Result<String, FilterError> {
    let key = match value {
        None | Some(Value::Null) => return err("filter key is missing"),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(items)) => match items.as_slice() {
            [Value::String(s)] => s.as_str(),
            [other] => {
                return err(format!(
                    "filter key must be a string, got {}",
                    json_kind(other)
                ))
            }
            _ => {
                return err(format!(
                    "filter key must be a one-element array, got {} elements",
                    items.len()
                ))
            }
        },
        Some(other) => {
            return err(format!(
                "filter key must be a one-element array, got {}",
                json_kind(other)
            ))
        }
    };
    if key.trim().is_empty() {
        return err("filter key must not be empty");
    }
    Ok(key.to_string())
}

fn parse_operator(value: Option<&Value>, key: &str, kind: Kind) -> Result<Operator, FilterError> {
    let name = match value {
        None | Some(Value::Null) => return Ok(Operator::Eq),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return err(format!(
                "filter operator must be a string, got {} (key '{key}')",
                json_kind(other)
            ))
        }
    };
    let Some(op) = Operator::from_name(name) else {
        let why = match name {
            "match" => "full-text match is not implemented by the STIX matcher; use search or contains",
            "wildcard" => "wildcards are not implemented by the STIX matcher; use starts_with, ends_with or contains",
            "script" => "scripts are not implemented by the STIX matcher",
            "within" => "relative date ranges are not implemented by the STIX matcher; use gte and lte with RFC 3339 dates",
            _ => {
                let all: Vec<&str> = Operator::ALL.iter().map(|o| o.as_str()).collect();
                return err(format!(
                    "unknown operator '{name}' for key '{key}' (supported: {})",
                    all.join(", ")
                ));
            }
        };
        return err(format!(
            "operator '{name}' for key '{key}' is not supported: {why}"
        ));
    };
    if kind != Kind::Text && op.is_textual() {
        return err(format!(
            "operator '{name}' cannot be used with {} key '{key}' (use eq, not_eq, gt, gte, lt, lte, nil or not_nil)",
            kind.name()
        ));
    }
    Ok(op)
}

fn parse_values(value: Option<&Value>, key: &str, kind: Kind) -> Result<Vec<String>, FilterError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return err(format!(
                "filter values for key '{key}' must be an array, got {}",
                json_kind(other)
            ))
        }
    };
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        let v = match item {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => {
                return err(format!(
                    "filter values for key '{key}' must be strings, numbers or booleans, got {}",
                    json_kind(other)
                ))
            }
        };
        check_value(&v, key, kind)?;
        values.push(v);
    }
    Ok(values)
}

/// Refuses values the key's kind cannot hold, instead of reading them as 0/false.
fn check_value(v: &str, key: &str, kind: Kind) -> Result<(), FilterError> {
    let ok = match kind {
        Kind::Text => true,
        Kind::Number => parse_number(v).is_some(),
        Kind::Boolean => matches!(
            normalise(v).as_str(),
            "true" | "false" | "yes" | "no" | "1" | "0"
        ),
    };
    if ok {
        return Ok(());
    }
    let expected = match kind {
        Kind::Boolean => "true or false",
        _ => "a number",
    };
    err(format!(
        "value '{v}' for {} key '{key}' must be {expected}",
        kind.name()
    ))
}

fn parse_mode(v: &Value) -> Option<Mode> {
    match v.as_str()? {
        "and" => Some(Mode::And),
        "or" => Some(Mode::Or),
        _ => None,
    }
}

/// A JSON value as shown in messages: strings in single quotes, others as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
