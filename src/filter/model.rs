//! The FilterGroup model and its canonical OpenCTI JSON form.

use serde_json::{json, Value};

use super::types;

/// How a group combines its filters and sub-groups, or how a filter combines its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    And,
    Or,
}

impl Mode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::And => "and",
            Mode::Or => "or",
        }
    }
}

/// The operators the STIX matcher implements (OpenCTI's `match`, `wildcard`, `script`
/// and `within` are refused at parse time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
    Nil,
    NotNil,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    Search,
}

impl Operator {
    pub const ALL: [Operator; 15] = [
        Operator::Eq,
        Operator::NotEq,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Nil,
        Operator::NotNil,
        Operator::StartsWith,
        Operator::NotStartsWith,
        Operator::EndsWith,
        Operator::NotEndsWith,
        Operator::Contains,
        Operator::NotContains,
        Operator::Search,
    ];

    /// The OpenCTI operator name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::NotEq => "not_eq",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Nil => "nil",
            Operator::NotNil => "not_nil",
            Operator::StartsWith => "starts_with",
            Operator::NotStartsWith => "not_starts_with",
            Operator::EndsWith => "ends_with",
            Operator::NotEndsWith => "not_ends_with",
            Operator::Contains => "contains",
            Operator::NotContains => "not_contains",
            Operator::Search => "search",
        }
    }

    /// Parses an OpenCTI operator name this matcher implements.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// Operators that compare text (refused on numeric and boolean keys).
    #[must_use]
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            Operator::StartsWith
                | Operator::NotStartsWith
                | Operator::EndsWith
                | Operator::NotEndsWith
                | Operator::Contains
                | Operator::NotContains
                | Operator::Search
        )
    }
}

/// One filter: the object's candidate values for `key` compared with `values`.
///
/// `values` keep their string form (numbers and booleans from the JSON included);
/// normalisation (trim, lower-case, parsing) happens at evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub key: String,
    pub values: Vec<String>,
    pub operator: Operator,
    pub mode: Mode,
}

/// An OpenCTI FilterGroup. The empty group matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterGroup {
    pub mode: Mode,
    pub filters: Vec<Filter>,
    pub filter_groups: Vec<FilterGroup>,
}

impl Default for FilterGroup {
    fn default() -> Self {
        FilterGroup::empty()
    }
}

impl FilterGroup {
    /// `{"mode":"and","filters":[],"filterGroups":[]}`: matches everything.
    #[must_use]
    pub fn empty() -> FilterGroup {
        FilterGroup {
            mode: Mode::And,
            filters: Vec::new(),
            filter_groups: Vec::new(),
        }
    }

    /// True when the group has neither filters nor sub-groups (it matches everything).
    ///
    /// A group holding only empty sub-groups is not "empty" here, although with mode
    /// `and` it matches everything too.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty() && self.filter_groups.is_empty()
    }

    /// Canonical OpenCTI shape, keys as one-element arrays and values as strings:
    /// `{"mode","filters":[{"key":[k],"values":[..],"operator","mode"}],"filterGroups":[..]}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let filters: Vec<Value> = self
            .filters
            .iter()
            .map(|f| {
                json!({
                    "key": [f.key],
                    "values": f.values,
                    "operator": f.operator.as_str(),
                    "mode": f.mode.as_str(),
                })
            })
            .collect();
        let groups: Vec<Value> = self
            .filter_groups
            .iter()
            .map(FilterGroup::to_json)
            .collect();
        json!({ "mode": self.mode.as_str(), "filters": filters, "filterGroups": groups })
    }

    /// STIX types named by the top-level `entity_type`/`eq` filters, lower-cased, for
    /// the relationship rule (spec §2.5 step 7, OpenCTI `isFiltersEntityTypeMatch`).
    ///
    /// OpenCTI names and abstract types are expanded to the STIX types they cover
    /// (`Malware` → `malware`, `Country` → `location`, `StixFile` → `file`,
    /// `Stix-Cyber-Observable` → every known observable type); a value naming no known
    /// type is returned lower-cased as is (custom types such as `x-mitre-tactic`).
    /// Only filters of the top-level group count, whatever its mode, like OpenCTI.
    /// Empty when there is no such filter: the rule then does not restrict endpoints;
    /// otherwise an endpoint matches when its STIX type is in the list.
    #[must_use]
    pub fn entity_types(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let values = self
            .filters
            .iter()
            .filter(|f| f.key == "entity_type" && f.operator == Operator::Eq)
            .flat_map(|f| f.values.iter());
        for value in values {
            for t in types::stix_types_named(value) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }
}

impl std::fmt::Display for FilterGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}
