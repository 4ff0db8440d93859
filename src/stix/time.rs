//! STIX timestamps: strict RFC 3339 UTC parsing, exact ordering at any
//! precision, and the civil-calendar arithmetic behind it (no date crate).

use std::cmp::Ordering;
use std::fmt;

/// A STIX timestamp, kept verbatim and compared exactly (any number of fraction digits).
///
/// Equality and ordering are by instant: whole epoch seconds, then the
/// fraction compared as a decimal, so `...00.100Z` equals `...00.1Z` and
/// `...00Z` equals `...00.000Z`. The original text is kept in [`Timestamp::as_str`].
#[derive(Debug, Clone)]
pub struct Timestamp {
    raw: String,
    secs: i64,
    /// Fraction digits with trailing zeros stripped ("" for a whole second).
    frac: String,
    has_frac: bool,
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Timestamp {}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        // With trailing zeros stripped, comparing the digit strings
        // lexicographically is the same as comparing them as decimals.
        self.secs
            .cmp(&other.secs)
            .then_with(|| self.frac.as_str().cmp(other.frac.as_str()))
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (UTC only, any fraction length).
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let fail = |reason: String| format!("invalid timestamp '{s}': {reason}");
        let core = parse_date_time(s.as_bytes()).map_err(fail)?;
        match &s.as_bytes()[core.end..] {
            [b'Z' | b'z'] => {}
            [] => return Err(fail("missing 'Z' (STIX timestamps must be UTC)".into())),
            [b'+' | b'-', ..] => {
                return Err(fail(format!(
                    "STIX timestamps must be UTC ('Z'); offset '{}' is not allowed",
                    &s[core.end..]
                )))
            }
            _ => return Err(fail(format!("unexpected text '{}'", &s[core.end..]))),
        }
        Ok(Timestamp {
            raw: s.to_string(),
            secs: core.secs,
            frac: core.frac.trim_end_matches('0').to_string(),
            has_frac: core.has_frac,
        })
    }

    /// The timestamp exactly as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Milliseconds since the Unix epoch (sub-millisecond digits truncated).
    pub fn epoch_ms(&self) -> i64 {
        self.secs * 1000 + frac_ms(&self.frac)
    }

    /// Whether the text carried a fraction (even an all-zero one such as `.000`).
    pub fn has_fraction(&self) -> bool {
        self.has_frac
    }
}

/// Parses a stream position date (for `?from=` / `recover=`): RFC 3339 with Z or an offset,
/// optional fraction, or a bare date YYYY-MM-DD (midnight UTC). Returns epoch ms (floor),
/// None if not a valid date.
pub fn parse_position_date_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 10 {
        let (y, m, d) = parse_date(b).ok()?;
        return Some(days_from_civil(y, m, d) * 86_400_000);
    }
    let core = parse_date_time(b).ok()?;
    let offset_secs = match &b[core.end..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = two_digits(*h1, *h2)?;
            let m = two_digits(*m1, *m2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h) * 3600 + i64::from(m) * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    Some((core.secs - offset_secs) * 1000 + frac_ms(core.frac))
}

/// Formats epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = i64::from((m + 9) % 12); // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian (year, month, day) for days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + i64::from(m <= 2);
    // m and d are in small fixed ranges, so the conversions cannot fail.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

pub(crate) fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date-and-time part of an RFC 3339 string, up to (not including) the zone.
struct Core<'a> {
    secs: i64,
    frac: &'a str,
    has_frac: bool,
    /// Byte index where the zone designator starts.
    end: usize,
}

const SHAPE: &str = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";

fn digit(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| u32::from(b - b'0'))
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    Some(digit(a)? * 10 + digit(b)?)
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter()
        .try_fold(0u32, |acc, &c| Some(acc * 10 + digit(c)?))
}

/// Parses and validates `YYYY-MM-DD` (exactly 10 bytes).
fn parse_date(b: &[u8]) -> Result<(i64, u32, u32), String> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(SHAPE.into());
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return Err(SHAPE.into());
    };
    let y = i64::from(y);
    if !(1..=12).contains(&m) {
        return Err(format!("month {m} out of range"));
    }
    let dim = days_in_month(y, m);
    if d < 1 || d > dim {
        return Err(format!("day {d} out of range for {y:04}-{m:02} (1-{dim})"));
    }
    Ok((y, m, d))
}

fn parse_date_time(b: &[u8]) -> Result<Core<'_>, String> {
    if b.len() < 19 {
        return Err(SHAPE.into());
    }
    let (y, mo, d) = parse_date(&b[..10])?;
    if !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return Err(SHAPE.into());
    }
    let (Some(h), Some(mi), Some(s)) = (
        two_digits(b[11], b[12]),
        two_digits(b[14], b[15]),
        two_digits(b[17], b[18]),
    ) else {
        return Err(SHAPE.into());
    };
    if h > 23 {
        return Err(format!("hour {h} out of range"));
    }
    if mi > 59 {
        return Err(format!("minute {mi} out of range"));
    }
    if s > 60 {
        return Err(format!("second {s} out of range"));
    }
    let mut end = 19;
    let mut frac = "";
    let has_frac = b.get(19) == Some(&b'.');
    if has_frac {
        let n = b[20..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err("a '.' must be followed by at least one fraction digit".into());
        }
        end = 20 + n;
        // ASCII digits only, so this is valid UTF-8.
        frac = std::str::from_utf8(&b[20..end]).unwrap_or("");
    }
    let secs = days_from_civil(y, mo, d) * 86_400
        + i64::from(h) * 3600
        + i64::from(mi) * 60
        + i64::from(s);
    Ok(Core {
        secs,
        frac,
        has_frac,
        end,
    })
}

/// The first three fraction digits as milliseconds (missing digits are zeros).
fn frac_ms(frac: &str) -> i64 {
    frac.bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |acc, c| acc * 10 + i64::from(c.saturating_sub(b'0')))
}
