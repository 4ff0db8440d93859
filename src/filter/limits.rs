//! Limits of a filter being saved: its size, and dates for the ordering operators on date keys.

use super::model::Operator;
use super::{FilterError, DATE_KEYS, MAX_VALUES, MAX_VALUE_CHARS};
use crate::stix::Timestamp;

fn err<T>(msg: String) -> Result<T, FilterError> {
    Err(FilterError(msg))
}

/// The size limits of one filter, and dates for the ordering operators on date keys (a non-date value
/// would be compared as text, silently matching by accident).
pub(super) fn check_limits(
    key: &str,
    operator: Operator,
    values: &[String],
) -> Result<(), FilterError> {
    if values.len() > MAX_VALUES {
        return err(format!(
            "filter on key '{key}' has {} values, over the limit of {MAX_VALUES} values per filter",
            values.len()
        ));
    }
    if let Some(long) = values.iter().find(|v| v.chars().count() > MAX_VALUE_CHARS) {
        return err(format!(
            "a value for key '{key}' is {} characters long, over the limit of {MAX_VALUE_CHARS}",
            long.chars().count()
        ));
    }
    let ordering = matches!(
        operator,
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte
    );
    if ordering && DATE_KEYS.contains(&key) {
        if let Some(v) = values.iter().find(|v| !is_date(v)) {
            return err(format!(
                "value '{v}' for date key '{key}' with operator '{}' is not a date \
                 (expected a year, month or day such as 2024, 2024-01 or 2024-01-31, or an RFC 3339 UTC timestamp such as 2024-01-31T00:00:00Z)",
                operator.as_str()
            ));
        }
    }
    Ok(())
}

/// A date, a year or a month (`2024`, `2024-01`, `2024-01-31`: compared as a prefix of the stored timestamps)
/// or a UTC RFC 3339 timestamp; either case of `T` and `Z`, as values are compared lower-cased.
fn is_date(v: &str) -> bool {
    let upper = v.trim().to_ascii_uppercase();
    let completed = match upper.len() {
        4 => format!("{upper}-01-01T00:00:00Z"),
        7 => format!("{upper}-01T00:00:00Z"),
        10 => format!("{upper}T00:00:00Z"),
        _ => upper,
    };
    Timestamp::parse(&completed).is_ok()
}
