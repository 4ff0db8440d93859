//! TAXII 2.1 query parameters (`added_after`, `limit`, `next`, `match[...]`), parsed strictly: a repeated or
//! unknown field is refused with a reason, never guessed (field case B34).

use crate::store::EventId;

/// Default and maximum page size.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

/// Which versions of an object a request selects (`match[version]`, default `last`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionSel {
    pub last: bool,
    pub first: bool,
    pub all: bool,
    /// Exact version timestamps, compared as instants (epoch ms).
    pub at: Vec<i64>,
}

impl VersionSel {
    #[must_use]
    pub fn last() -> Self {
        Self {
            last: true,
            ..Self::default()
        }
    }

    #[must_use]
    pub fn all() -> Self {
        Self {
            all: true,
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only versions added strictly after this instant (epoch ms, floor).
    pub added_after_ms: Option<i64>,
    pub limit: usize,
    pub next: Option<EventId>,
    pub ids: Option<Vec<String>>,
    pub types: Option<Vec<String>>,
    pub versions: VersionSel,
    pub spec_versions: Option<Vec<String>>,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            added_after_ms: None,
            limit: DEFAULT_LIMIT,
            next: None,
            ids: None,
            types: None,
            versions: VersionSel::last(),
            spec_versions: None,
        }
    }
}

/// Which parameters an endpoint accepts besides `added_after`, `limit` and `next`.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    pub id: bool,
    pub type_: bool,
    pub version: bool,
}

fn list(value: &str, field: &str) -> Result<Vec<String>, String> {
    let items: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(format!("match[{field}] needs at least one value"));
    }
    Ok(items)
}

/// Parses the decoded query pairs of a request.
pub fn parse(pairs: &[(String, String)], allowed: Allowed) -> Result<Query, String> {
    let mut q = Query::default();
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        if seen.contains(&key.as_str()) {
            return Err(format!(
                "the parameter '{key}' occurs more than once; use a comma-separated list of values"
            ));
        }
        seen.push(key);
        match key.as_str() {
            "added_after" => {
                q.added_after_ms = Some(
                    crate::stix::parse_position_date_ms(value.trim())
                        .filter(|_| value.len() > 10)
                        .ok_or_else(|| {
                            format!("added_after must be an RFC 3339 timestamp, got '{value}'")
                        })?,
                );
            }
            "limit" => {
                q.limit = value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("limit must be a positive integer, got '{value}'"))?
                    .min(MAX_LIMIT);
            }
            "next" => {
                q.next = Some(
                    value
                        .trim()
                        .parse::<EventId>()
                        .map_err(|_| format!("invalid next token '{value}'"))?,
                );
            }
            "match[id]" if allowed.id => q.ids = Some(list(value, "id")?),
            "match[type]" if allowed.type_ => q.types = Some(list(value, "type")?),
            "match[version]" if allowed.version => {
                let mut sel = VersionSel::default();
                for v in list(value, "version")? {
                    match v.as_str() {
                        "last" => sel.last = true,
                        "first" => sel.first = true,
                        "all" => sel.all = true,
                        ts => sel.at.push(
                            crate::stix::Timestamp::parse(ts)
                                .map_err(|_| {
                                    format!("match[version] takes first, last, all or timestamps, got '{ts}'")
                                })?
                                .epoch_ms(),
                        ),
                    }
                }
                q.versions = sel;
            }
            "match[spec_version]" => {
                let specs = list(value, "spec_version")?;
                if let Some(bad) = specs.iter().find(|s| *s != "2.0" && *s != "2.1") {
                    return Err(format!("match[spec_version] takes 2.0 or 2.1, got '{bad}'"));
                }
                q.spec_versions = Some(specs);
            }
            other if other.starts_with("match[") => {
                return Err(format!("unsupported filter '{other}' on this endpoint"));
            }
            other => return Err(format!("unknown parameter '{other}'")),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ALL: Allowed = Allowed {
        id: true,
        type_: true,
        version: true,
    };

    fn p(pairs: &[(&str, &str)]) -> Result<Query, String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse(&owned, ALL)
    }

    #[test]
    fn match_lists_and_errors() {
        let q = p(&[("match[type]", "indicator,malware"), ("limit", "50")]).unwrap();
        assert_eq!(q.types, Some(vec!["indicator".into(), "malware".into()]));
        assert_eq!(q.limit, 50);
        assert!(
            p(&[("match[type]", "indicator"), ("match[type]", "malware")])
                .unwrap_err()
                .contains("more than once")
        );
        assert!(p(&[("match[foo]", "bar")])
            .unwrap_err()
            .contains("unsupported filter 'match[foo]'"));
        assert!(p(&[("next", "garbage")])
            .unwrap_err()
            .contains("invalid next"));
        assert!(p(&[("limit", "0")]).is_err());
        assert_eq!(p(&[("limit", "5000")]).unwrap().limit, MAX_LIMIT);
        assert!(p(&[("added_after", "yesterday")]).is_err());
        assert_eq!(
            p(&[("added_after", "2024-01-01T00:00:00.123456Z")])
                .unwrap()
                .added_after_ms,
            Some(1_704_067_200_123)
        );
        let v = p(&[("match[version]", "first,2024-01-01T00:00:00Z")]).unwrap();
        assert!(v.versions.first && !v.versions.last);
        assert_eq!(v.versions.at, vec![1_704_067_200_000]);
        assert!(p(&[("match[spec_version]", "2.2")]).is_err());
        let none = Allowed {
            id: false,
            type_: false,
            version: true,
        };
        assert!(parse(&[("match[type]".into(), "x".into())], none).is_err());
    }
}
