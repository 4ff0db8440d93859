//! The collection/feed form: what the page posts, and the API JSON it becomes (and comes from).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{text, Kind};
use crate::filter::FilterGroup;

pub struct GroupChoice {
    pub id: String,
    pub name: String,
    pub checked: bool,
}

/// The form as posted (checkboxes: present when ticked). Feed-only fields are ignored for collections.
#[derive(Deserialize, Default, Clone)]
pub struct Form {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) filters: String,
    pub(super) public: Option<String>,
    #[serde(default)]
    pub(super) max_marking: String,
    #[serde(default)]
    pub(super) authorized_groups: Vec<String>,
    pub(super) can_write: Option<String>,
    #[serde(default)]
    pub(super) columns: String,
    #[serde(default)]
    pub(super) separator: String,
    #[serde(default)]
    pub(super) multi_value_separator: String,
    pub(super) header: Option<String>,
    #[serde(default)]
    pub(super) time_window: String,
    #[serde(default)]
    pub(super) max_rows: String,
}

impl Form {
    pub(super) fn of(v: &Value) -> Form {
        let filters = &v["filters"];
        let empty = FilterGroup::empty().to_json();
        Form {
            name: text(v, "name"),
            description: text(v, "description"),
            filters: if *filters == empty || filters.is_null() {
                String::new()
            } else {
                filters.to_string()
            },
            public: (v["public"] == true).then(|| "on".into()),
            max_marking: text(v, "max_marking"),
            authorized_groups: v["authorized_groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            can_write: (v["can_write"] == true).then(|| "on".into()),
            columns: v["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            separator: text(v, "separator"),
            multi_value_separator: text(v, "multi_value_separator"),
            header: (v["header"] != false).then(|| "on".into()),
            time_window: text(v, "time_window"),
            max_rows: text(v, "max_rows"),
        }
    }

    pub(super) fn defaults() -> Form {
        Form {
            max_marking: "TLP:CLEAR".into(),
            columns: "type, name, value, pattern, created, modified".into(),
            separator: ",".into(),
            multi_value_separator: "|".into(),
            header: Some("on".into()),
            max_rows: "10000".into(),
            ..Form::default()
        }
    }

    /// The same fields the API takes.
    pub(super) fn fields(&self, kind: Kind) -> Map<String, Value> {
        let mut m = Map::new();
        let s = |v: &str| Value::String(v.to_string());
        m.insert("name".into(), s(self.name.trim()));
        m.insert("description".into(), s(&self.description));
        let filters = self.filters.trim();
        m.insert(
            "filters".into(),
            if filters.is_empty() {
                FilterGroup::empty().to_json()
            } else {
                s(filters)
            },
        );
        m.insert("public".into(), Value::Bool(self.public.is_some()));
        let marking = if self.max_marking.is_empty() {
            "TLP:CLEAR"
        } else {
            &self.max_marking
        };
        m.insert("max_marking".into(), s(marking));
        let groups = if self.public.is_some() {
            Vec::new()
        } else {
            self.authorized_groups.clone()
        };
        m.insert(
            "authorized_groups".into(),
            Value::Array(groups.into_iter().map(Value::String).collect()),
        );
        match kind {
            Kind::Collection => {
                m.insert("can_write".into(), Value::Bool(self.can_write.is_some()));
            }
            Kind::Feed => {
                let cols: Vec<Value> = self
                    .columns
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(&s)
                    .collect();
                m.insert("columns".into(), Value::Array(cols));
                m.insert("separator".into(), s(&self.separator));
                m.insert(
                    "multi_value_separator".into(),
                    s(&self.multi_value_separator),
                );
                m.insert("header".into(), Value::Bool(self.header.is_some()));
                let window = self.time_window.trim();
                m.insert(
                    "time_window".into(),
                    if window.is_empty() {
                        Value::Null
                    } else {
                        s(window)
                    },
                );
                let rows = self
                    .max_rows
                    .trim()
                    .parse::<u64>()
                    .map_or_else(|_| s(self.max_rows.trim()), Value::from);
                m.insert("max_rows".into(), rows);
            }
        }
        m
    }
}
