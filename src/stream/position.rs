//! Where a reader starts: `Last-Event-ID` (wins), else `from`; `recover` needs a position (B01, B05).

use crate::stix::parse_position_date_ms;
use crate::store::EventId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    /// Deliver events strictly after this id; `None` = only events written from now on.
    pub after: Option<EventId>,
    /// `recover` point, when asked for (validated).
    pub recover: Option<EventId>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PositionError(pub String);

/// Parses one position value: `0`, `0-0`, `<ms>-<seq>` or an RFC 3339 date (events at or after it).
pub fn parse(value: &str) -> Result<EventId, PositionError> {
    let v = value.trim();
    if v == "0" {
        return Ok(EventId::ZERO);
    }
    if let Ok(id) = v.parse::<EventId>() {
        // A position a day past the clock is no position this hub gave: the reader would silently wait for
        // events that never come.
        if id.ms > crate::store::now_ms().saturating_add(24 * 3600 * 1000) {
            return Err(PositionError(format!(
                "stream position '{value}' is in the future: use an id this hub sent (or 0)"
            )));
        }
        return Ok(id);
    }
    match parse_position_date_ms(v) {
        Some(ms) if ms > 0 => {
            let ms = u64::try_from(ms).unwrap_or(0);
            // Just before the instant, so an event at exactly that millisecond is delivered.
            Ok(EventId::new(ms - 1, u64::MAX))
        }
        Some(_) => Ok(EventId::ZERO),
        None => Err(PositionError(format!(
            "invalid stream position '{value}': expected 0, <ms>-<seq> or an RFC 3339 date"
        ))),
    }
}

/// Resolves the reader's request from the `Last-Event-ID` header, `from` (query, then header) and
/// `recover` (query, then `recover` / `recover-date` headers). Empty values count as absent.
pub fn resolve(
    last_event_id: Option<&str>,
    from_query: Option<&str>,
    from_header: Option<&str>,
    recover: Option<&str>,
) -> Result<StreamRequest, PositionError> {
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let after = match present(last_event_id)
        .or(present(from_query))
        .or(present(from_header))
    {
        Some(v) => Some(parse(v)?),
        None => None,
    };
    let recover = match present(recover) {
        Some(v) => {
            let at = parse(v).map_err(|_| {
                PositionError(format!(
                    "invalid recover value '{v}': expected <ms>-<seq> or an RFC 3339 date"
                ))
            })?;
            if after.is_none() {
                return Err(PositionError(
                    "recover requires a start position: send Last-Event-ID or from (e.g. from=0)"
                        .into(),
                ));
            }
            Some(at)
        }
        None => None,
    };
    Ok(StreamRequest { after, recover })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn positions() {
        assert_eq!(parse("0"), Ok(EventId::ZERO));
        assert_eq!(parse("0-0"), Ok(EventId::ZERO));
        assert_eq!(
            parse("1717171717171-3"),
            Ok(EventId::new(1_717_171_717_171, 3))
        );
        assert_eq!(
            parse("1970-01-01T00:00:01Z"),
            Ok(EventId::new(999, u64::MAX))
        );
        assert_eq!(
            parse("2024-05-01"),
            Ok(EventId::new(1_714_521_599_999, u64::MAX))
        );
        assert!(parse("yesterday").is_err());
        assert!(parse("1620249512599").is_err());
        let e = parse("9999999999999-5").unwrap_err();
        assert!(e.0.contains("is in the future"), "{e}");
        let soon = crate::store::now_ms() + 3_600_000;
        assert!(
            parse(&format!("{soon}-0")).is_ok(),
            "an hour of clock skew is fine"
        );
    }

    #[test]
    fn last_event_id_wins_over_from() {
        let r = resolve(Some("5-1"), Some("1-0"), Some("2-0"), None);
        assert_eq!(
            r,
            Ok(StreamRequest {
                after: Some(EventId::new(5, 1)),
                recover: None
            })
        );
        let r = resolve(None, None, Some("2-0"), None);
        assert_eq!(r.map(|r| r.after), Ok(Some(EventId::new(2, 0))));
        assert_eq!(
            resolve(Some(""), None, None, None).map(|r| r.after),
            Ok(None)
        );
    }

    #[test]
    fn recover_needs_a_position() {
        let e = resolve(None, None, None, Some("2024-01-01T00:00:00Z")).unwrap_err();
        assert!(e.0.contains("recover requires a start position"));
        assert!(resolve(Some("0-0"), None, None, Some("2024-01-01T00:00:00Z")).is_ok());
        assert!(resolve(Some("0-0"), None, None, Some("soon")).is_err());
        assert!(resolve(None, Some("bad"), None, None).is_err());
    }
}
