//! One readable line for a filter group (admin pages, `/public`).

use super::keys::{self, Kind};
use super::model::{Filter, FilterGroup, Mode, Operator};

impl FilterGroup {
    /// One readable line, e.g. `type is Malware or Tool AND label contains "apt"`;
    /// `everything` for the empty group. Sub-groups with more than one part are
    /// parenthesised.
    #[must_use]
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "everything".to_string();
        }
        let joiner = match self.mode {
            Mode::And => " AND ",
            Mode::Or => " OR ",
        };
        let parts: Vec<String> = self
            .filters
            .iter()
            .map(describe_filter)
            .chain(self.filter_groups.iter().map(|g| {
                let text = g.describe();
                if g.filters.len() + g.filter_groups.len() > 1 {
                    format!("({text})")
                } else {
                    text
                }
            }))
            .collect();
        parts.join(joiner)
    }
}

fn describe_filter(f: &Filter) -> String {
    let label = keys::label(&f.key);
    let phrase = match f.operator {
        Operator::Nil => return format!("{label} is empty"),
        Operator::NotNil => return format!("{label} is not empty"),
        Operator::Eq if f.values.is_empty() => return format!("{label} is empty"),
        Operator::NotEq if f.values.is_empty() => return format!("{label} is not empty"),
        Operator::Eq => "is",
        Operator::NotEq => "is not",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::StartsWith => "starts with",
        Operator::NotStartsWith => "does not start with",
        Operator::EndsWith => "ends with",
        Operator::NotEndsWith => "does not end with",
        Operator::Contains => "contains",
        Operator::NotContains => "does not contain",
        Operator::Search => "has a word of",
    };
    let bare = matches!(keys::kind(&f.key), Some(Kind::Number | Kind::Boolean))
        || matches!(f.key.as_str(), "entity_type" | "fromTypes" | "toTypes");
    let values: Vec<String> = f.values.iter().map(|v| show_value(v, bare)).collect();
    let joiner = match f.mode {
        Mode::And => " and ",
        Mode::Or => " or ",
    };
    format!("{label} {phrase} {}", values.join(joiner))
}

/// Type names, numbers and booleans bare when they are simple tokens; anything else
/// quoted JSON-style, which also keeps the description on one line.
fn show_value(v: &str, bare: bool) -> String {
    let simple = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '+'));
    if bare && simple {
        v.to_string()
    } else {
        serde_json::Value::String(v.to_string()).to_string()
    }
}
