//! Who may do what and see which objects: capabilities and allowed markings come from a user's groups.
//! [`Access::may_see`] is the one access decision every sharing path calls (streams, TAXII, CSV, GraphQL,
//! knowledge pages).

use serde_json::{Map, Value};

use super::markings::{self, parse_level, Clearance, Ladder};
use crate::store::GroupV1;

/// What a group lets its members do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Everything, markings bypassed.
    Admin,
    /// Import bundles, delete objects.
    Import,
    /// Manage streams, collections, feeds and synchronizers.
    Share,
    /// Read knowledge, private streams/collections/feeds the user is authorized on.
    Read,
}

impl Capability {
    pub const ALL: [Capability; 4] = [
        Capability::Admin,
        Capability::Import,
        Capability::Share,
        Capability::Read,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Admin => "admin",
            Capability::Import => "import",
            Capability::Share => "share",
            Capability::Read => "read",
        }
    }

    #[must_use]
    pub fn parse(name: &str) -> Option<Capability> {
        Self::ALL.into_iter().find(|c| c.as_str() == name.trim())
    }
}

/// A reader's view: bypass (administrators), or the allowances of each of its groups. An object is visible
/// when every marking on it is within what ONE of the groups allows (allowances are not mixed across groups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub bypass: bool,
    pub any_of: Vec<Clearance>,
}

impl Access {
    #[must_use]
    pub fn everything() -> Access {
        Access {
            bypass: true,
            any_of: vec![Clearance::bypass()],
        }
    }

    /// A public stream/collection/feed's ceiling (a TLP level; PAP up to the same).
    #[must_use]
    pub fn ceiling(tlp: u8) -> Access {
        Access {
            bypass: false,
            any_of: vec![Clearance::ceiling(tlp)],
        }
    }

    /// The access of a member of `groups`.
    #[must_use]
    pub fn of_groups(groups: &[GroupV1]) -> Access {
        if groups.iter().any(|g| group_has(g, Capability::Admin)) {
            return Access::everything();
        }
        let mut any_of: Vec<Clearance> = groups.iter().map(group_clearance).collect();
        if any_of.is_empty() {
            // No group: unmarked objects only.
            any_of.push(Clearance {
                tlp: None,
                pap: None,
                bypass: false,
            });
        }
        Access {
            bypass: false,
            any_of,
        }
    }

    /// The one access decision. `lookup` returns a stored marking definition by id.
    pub fn may_see(
        &self,
        object: &Map<String, Value>,
        lookup: &dyn Fn(&str) -> Option<Map<String, Value>>,
    ) -> bool {
        self.bypass
            || self
                .any_of
                .iter()
                .any(|c| markings::may_see(c, object, lookup))
    }
}

impl From<Clearance> for Access {
    fn from(c: Clearance) -> Access {
        Access {
            bypass: c.bypass,
            any_of: vec![c],
        }
    }
}

fn group_has(group: &GroupV1, cap: Capability) -> bool {
    group
        .capabilities
        .iter()
        .any(|c| Capability::parse(c) == Some(cap))
}

/// What one group allows: the highest listed level per ladder; a ladder not listed allows nothing on it
/// (objects unmarked on that ladder stay visible).
#[must_use]
pub fn group_clearance(group: &GroupV1) -> Clearance {
    let mut c = Clearance {
        tlp: None,
        pap: None,
        bypass: false,
    };
    for (ladder, n) in group.allowed_markings.iter().filter_map(|m| parse_level(m)) {
        let slot = match ladder {
            Ladder::Tlp => &mut c.tlp,
            Ladder::Pap => &mut c.pap,
        };
        *slot = Some(slot.map_or(n, |old| old.max(n)));
    }
    c
}

/// The capabilities a member of `groups` holds (admin implies every other).
#[must_use]
pub fn capabilities_of(groups: &[GroupV1]) -> Vec<Capability> {
    if groups.iter().any(|g| group_has(g, Capability::Admin)) {
        return Capability::ALL.to_vec();
    }
    Capability::ALL
        .into_iter()
        .filter(|cap| groups.iter().any(|g| group_has(g, *cap)))
        .collect()
}

/// Normalises and checks a group's allowed markings (`TLP:GREEN`, `PAP:AMBER`…): one level per ladder.
pub fn normalize_markings(list: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for m in list {
        let Some((ladder, _)) = parse_level(m) else {
            return Err(format!(
                "unknown marking '{m}': use TLP:CLEAR|GREEN|AMBER|AMBER+STRICT|RED or PAP:CLEAR|GREEN|AMBER|RED"
            ));
        };
        let name = m.trim().to_ascii_uppercase().replace("WHITE", "CLEAR");
        if out
            .iter()
            .any(|o| parse_level(o).map(|(l, _)| l) == Some(ladder))
        {
            return Err(format!(
                "'{m}': give one level per marking type (a level allows itself and everything below it)"
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// Checks capability names.
pub fn normalize_capabilities(list: &[String]) -> Result<Vec<String>, String> {
    let mut caps = Vec::new();
    for c in list {
        let cap = Capability::parse(c)
            .ok_or_else(|| format!("unknown capability '{c}': use admin, import, share or read"))?;
        if !caps.contains(&cap) {
            caps.push(cap);
        }
    }
    caps.sort();
    Ok(caps.iter().map(|c| c.as_str().to_string()).collect())
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
