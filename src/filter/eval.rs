//! The one evaluator: live streams, replay, TAXII and CSV all call [`matches`].

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::candidates::{candidates, normalise, parse_bool, parse_number, Candidates};
use super::model::{Filter, FilterGroup, Mode, Operator};

/// Whether a STIX object (as stored, without the OpenCTI extension) matches `group`.
///
/// Group `and`: every filter and every sub-group matches; `or`: at least one does; a
/// group with neither matches everything. A filter on a key the evaluator does not
/// know (only possible for a group built in code, `parse` refuses it) is false.
#[must_use]
pub fn matches(group: &FilterGroup, obj: &Map<String, Value>) -> bool {
    if group.is_empty() {
        return true;
    }
    let mut results = group
        .filters
        .iter()
        .map(|f| filter_matches(f, obj))
        .chain(group.filter_groups.iter().map(|g| matches(g, obj)));
    match group.mode {
        Mode::And => results.all(|r| r),
        Mode::Or => results.any(|r| r),
    }
}

fn filter_matches(filter: &Filter, obj: &Map<String, Value>) -> bool {
    let Some(cands) = candidates(&filter.key, obj) else {
        return false;
    };
    match filter.operator {
        Operator::Nil => return cands.is_empty(),
        Operator::NotNil => return !cands.is_empty(),
        _ => {}
    }
    if filter.values.is_empty() {
        return match filter.operator {
            Operator::Eq => cands.is_empty(),
            Operator::NotEq => !cands.is_empty(),
            _ => false,
        };
    }
    let op = filter.operator;
    match &cands {
        Candidates::Text(c) => combine(filter, |v| text_test(op, c, &normalise(v))),
        Candidates::Number(c) => {
            // Values that are not numbers are dropped, as in OpenCTI (parse refuses them).
            let values: Vec<f64> = filter
                .values
                .iter()
                .filter_map(|v| parse_number(v))
                .collect();
            !values.is_empty() && combine_values(filter.mode, &values, |v| ordered_test(op, c, v))
        }
        Candidates::Boolean(c) => combine(filter, |v| ordered_test(op, c, &parse_bool(v))),
    }
}

/// Filter mode `and`: every value satisfies the operator; `or`: at least one does.
fn combine(filter: &Filter, test: impl Fn(&str) -> bool) -> bool {
    match filter.mode {
        Mode::And => filter.values.iter().all(|v| test(v)),
        Mode::Or => filter.values.iter().any(|v| test(v)),
    }
}

fn combine_values<T>(mode: Mode, values: &[T], test: impl Fn(&T) -> bool) -> bool {
    match mode {
        Mode::And => values.iter().all(test),
        Mode::Or => values.iter().any(test),
    }
}

/// One (normalised) value against text candidates.
fn text_test(op: Operator, cands: &[String], value: &str) -> bool {
    let any = |f: &dyn Fn(&str) -> bool| cands.iter().any(|c| f(c));
    match op {
        Operator::Eq => any(&|c| c == value),
        Operator::NotEq => !any(&|c| c == value),
        Operator::Contains => any(&|c| c.contains(value)),
        Operator::NotContains => !any(&|c| c.contains(value)),
        Operator::StartsWith => any(&|c| c.starts_with(value)),
        Operator::NotStartsWith => !any(&|c| c.starts_with(value)),
        Operator::EndsWith => any(&|c| c.ends_with(value)),
        Operator::NotEndsWith => !any(&|c| c.ends_with(value)),
        Operator::Search => {
            let words: Vec<&str> = value.split_whitespace().collect();
            any(&|c| words.iter().any(|w| c.contains(w)))
        }
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            any(&|c| ordering_ok(op, text_cmp(c, value)))
        }
        Operator::Nil => cands.is_empty(),
        Operator::NotNil => !cands.is_empty(),
    }
}

/// Numeric when both sides parse as numbers, lexicographic otherwise.
fn text_cmp(candidate: &str, value: &str) -> Option<Ordering> {
    match (parse_number(candidate), parse_number(value)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(candidate.cmp(value)),
    }
}

/// One value against numeric or boolean candidates: equality and ordering only
/// (text operators are refused for these keys at parse time and never match).
fn ordered_test<T: PartialOrd>(op: Operator, cands: &[T], value: &T) -> bool {
    let any = |f: &dyn Fn(&T) -> bool| cands.iter().any(f);
    match op {
        Operator::Eq => any(&|c| c == value),
        Operator::NotEq => !any(&|c| c == value),
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => {
            any(&|c| ordering_ok(op, c.partial_cmp(value)))
        }
        Operator::Nil => cands.is_empty(),
        Operator::NotNil => !cands.is_empty(),
        _ => false,
    }
}

/// Whether `candidate.cmp(value)` satisfies an ordering operator.
fn ordering_ok(op: Operator, ord: Option<Ordering>) -> bool {
    matches!(
        (op, ord),
        (Operator::Gt, Some(Ordering::Greater))
            | (Operator::Gte, Some(Ordering::Greater | Ordering::Equal))
            | (Operator::Lt, Some(Ordering::Less))
            | (Operator::Lte, Some(Ordering::Less | Ordering::Equal))
    )
}
