//! Event ids `<epoch ms>-<seq>`, the OpenCTI/Redis stream id form.

use std::fmt;
use std::str::FromStr;

/// A position in an event log. Ordered by (ms, seq); encoded big-endian so sled's byte order is the log order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventId {
    pub ms: u64,
    pub seq: u64,
}

impl EventId {
    pub const ZERO: EventId = EventId { ms: 0, seq: 0 };
    pub const MAX: EventId = EventId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    #[must_use]
    pub fn new(ms: u64, seq: u64) -> Self {
        Self { ms, seq }
    }

    #[must_use]
    pub fn to_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let ms = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
        let seq = u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?);
        Some(Self { ms, seq })
    }

    /// The smallest id strictly greater than this one.
    #[must_use]
    pub fn successor(self) -> Self {
        match self.seq.checked_add(1) {
            Some(seq) => Self { ms: self.ms, seq },
            None => Self {
                ms: self.ms.saturating_add(1),
                seq: 0,
            },
        }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// `<ms>-<seq>` with both parts decimal digits only.
impl FromStr for EventId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (ms, seq) = s
            .split_once('-')
            .ok_or_else(|| format!("'{s}' is not an event id of the form <ms>-<seq>"))?;
        let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return Err(format!("'{s}' is not an event id of the form <ms>-<seq>"));
        }
        let ms = ms
            .parse()
            .map_err(|_| format!("'{s}': millisecond part out of range"))?;
        let seq = seq
            .parse()
            .map_err(|_| format!("'{s}': sequence part out of range"))?;
        Ok(Self { ms, seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let id: EventId = "1717171717171-3".parse().unwrap_or_default();
        assert_eq!(id, EventId::new(1_717_171_717_171, 3));
        assert_eq!(id.to_string(), "1717171717171-3");
        assert!("12".parse::<EventId>().is_err());
        assert!("a-1".parse::<EventId>().is_err());
        assert!("1-".parse::<EventId>().is_err());
        assert!("-1-2".parse::<EventId>().is_err());
        assert!("99999999999999999999999-0".parse::<EventId>().is_err());
    }

    #[test]
    fn byte_order_is_log_order() {
        let a = EventId::new(1, u64::MAX);
        let b = EventId::new(2, 0);
        assert!(a < b);
        assert!(a.to_bytes() < b.to_bytes());
        assert_eq!(EventId::from_bytes(&b.to_bytes()), Some(b));
        assert_eq!(a.successor(), b);
    }
}
