#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::time::{civil_from_days, days_from_civil, days_in_month, is_leap};
use super::{format_ms, parse_position_date_ms, Timestamp};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn err(s: &str) -> String {
    Timestamp::parse(s).unwrap_err()
}

#[test]
fn civil_known_values() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(1970, 1, 2), 1);
    assert_eq!(days_from_civil(1969, 12, 31), -1);
    assert_eq!(days_from_civil(2000, 1, 1), 10_957);
    assert_eq!(days_from_civil(2000, 2, 29), 11_016);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(days_from_civil(2024, 2, 29), 19_782);
    assert_eq!(days_from_civil(2038, 1, 19), 24_855);
    assert_eq!(days_from_civil(2100, 3, 1), 47_541);
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    assert_eq!(civil_from_days(24_855), (2038, 1, 19));
    assert_eq!(civil_from_days(47_540), (2100, 2, 28));
    // Round trip over 1900..2400 (includes 1900/2100 non-leap, 2000 leap).
    for z in days_from_civil(1900, 1, 1)..days_from_civil(2400, 12, 31) {
        let (y, m, d) = civil_from_days(z);
        assert!(d >= 1 && d <= days_in_month(y, m));
        assert_eq!(days_from_civil(y, m, d), z);
    }
}

#[test]
fn leap_years() {
    assert!(is_leap(2024) && is_leap(2000) && is_leap(2400));
    assert!(!is_leap(2023) && !is_leap(1900) && !is_leap(2100));
}

#[test]
fn epoch_values() {
    assert_eq!(ts("1970-01-01T00:00:00Z").epoch_ms(), 0);
    assert_eq!(ts("1970-01-01T00:00:00.001Z").epoch_ms(), 1);
    assert_eq!(ts("2038-01-19T03:14:07.000Z").epoch_ms(), 2_147_483_647_000);
    assert_eq!(ts("2038-01-19T03:14:08Z").epoch_ms(), 2_147_483_648_000);
    assert_eq!(ts("2024-02-29T12:00:00.5Z").epoch_ms(), 1_709_208_000_500);
    assert_eq!(
        ts("2001-09-09T01:46:40.9999Z").epoch_ms(),
        1_000_000_000_999
    );
    assert_eq!(ts("2017-06-01T00:00:00.000Z").epoch_ms(), 1_496_275_200_000);
    assert_eq!(ts("2262-04-11T23:47:16.854Z").epoch_ms(), 9_223_372_036_854);
}

#[test]
fn parse_keeps_text_and_fraction_flag() {
    let t = ts("2023-11-12T14:16:48.1699798608Z");
    assert_eq!(t.as_str(), "2023-11-12T14:16:48.1699798608Z");
    assert_eq!(t.to_string(), "2023-11-12T14:16:48.1699798608Z");
    assert!(t.has_fraction());
    assert_eq!(t.epoch_ms(), 1_699_798_608_169);
    assert!(!ts("2024-01-01T00:00:00Z").has_fraction());
    assert!(ts("2024-01-01T00:00:00.000Z").has_fraction());
    assert!(ts("2024-01-01t00:00:00.1z").has_fraction());
    assert_eq!(ts("2016-12-31T23:59:60Z").epoch_ms(), 1_483_228_800_000);
}

#[test]
fn ordering_is_exact() {
    // B37: ten fraction digits vs nine.
    assert!(ts("2023-11-12T14:16:48.1699798608Z") > ts("2023-11-12T14:16:48.169979860Z"));
    assert!(ts("2024-01-01T00:00:00.000001Z") > ts("2024-01-01T00:00:00Z"));
    assert!(ts("2024-01-01T00:00:00.000002Z") > ts("2024-01-01T00:00:00.000001Z"));
    assert!(ts("2024-01-01T00:00:00.1Z") > ts("2024-01-01T00:00:00.0999Z"));
    assert!(ts("2024-01-01T00:00:01Z") > ts("2024-01-01T00:00:00.9999999999Z"));
    assert_eq!(ts("2024-01-01T00:00:00.10Z"), ts("2024-01-01T00:00:00.1Z"));
    assert_eq!(ts("2024-01-01T00:00:00.000Z"), ts("2024-01-01T00:00:00Z"));
    assert_eq!(
        ts("2024-01-01T00:00:00.10Z").cmp(&ts("2024-01-01T00:00:00.1Z")),
        std::cmp::Ordering::Equal
    );
    assert!(ts("2023-12-31T23:59:59.999Z") < ts("2024-01-01T00:00:00.000Z"));
    let mut v = [
        ts("2024-01-01T00:00:00.5Z"),
        ts("2024-01-01T00:00:00Z"),
        ts("2023-01-01T00:00:00.999Z"),
    ];
    v.sort();
    let order: Vec<_> = v.iter().map(Timestamp::as_str).collect();
    assert_eq!(
        order,
        [
            "2023-01-01T00:00:00.999Z",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.5Z"
        ]
    );
}

#[test]
fn calendar_validation() {
    assert!(Timestamp::parse("2024-02-29T00:00:00.000Z").is_ok());
    assert!(Timestamp::parse("2000-02-29T00:00:00.000Z").is_ok());
    assert_eq!(
        err("2024-13-01T00:00:00.000Z"),
        "invalid timestamp '2024-13-01T00:00:00.000Z': month 13 out of range"
    );
    assert_eq!(
        err("2024-00-01T00:00:00Z"),
        "invalid timestamp '2024-00-01T00:00:00Z': month 0 out of range"
    );
    assert_eq!(
        err("2023-02-29T00:00:00.000Z"),
        "invalid timestamp '2023-02-29T00:00:00.000Z': day 29 out of range for 2023-02 (1-28)"
    );
    assert_eq!(
        err("2024-02-30T00:00:00.000Z"),
        "invalid timestamp '2024-02-30T00:00:00.000Z': day 30 out of range for 2024-02 (1-29)"
    );
    assert_eq!(
        err("1900-02-29T00:00:00Z"),
        "invalid timestamp '1900-02-29T00:00:00Z': day 29 out of range for 1900-02 (1-28)"
    );
    assert_eq!(
        err("2024-04-31T00:00:00Z"),
        "invalid timestamp '2024-04-31T00:00:00Z': day 31 out of range for 2024-04 (1-30)"
    );
    assert_eq!(
        err("2024-01-00T00:00:00Z"),
        "invalid timestamp '2024-01-00T00:00:00Z': day 0 out of range for 2024-01 (1-31)"
    );
    assert_eq!(
        err("2024-01-01T24:00:00Z"),
        "invalid timestamp '2024-01-01T24:00:00Z': hour 24 out of range"
    );
    assert_eq!(
        err("2024-01-01T23:60:00Z"),
        "invalid timestamp '2024-01-01T23:60:00Z': minute 60 out of range"
    );
    assert_eq!(
        err("2024-01-01T23:59:61Z"),
        "invalid timestamp '2024-01-01T23:59:61Z': second 61 out of range"
    );
}

#[test]
fn shape_and_zone_errors() {
    assert_eq!(
        err("2024-01-01T00:00:00+02:00"),
        "invalid timestamp '2024-01-01T00:00:00+02:00': STIX timestamps must be UTC ('Z'); \
         offset '+02:00' is not allowed"
    );
    assert_eq!(
        err("2024-01-01T00:00:00.123-05:00"),
        "invalid timestamp '2024-01-01T00:00:00.123-05:00': STIX timestamps must be UTC ('Z'); \
         offset '-05:00' is not allowed"
    );
    assert_eq!(
        err("2024-01-01T00:00:00"),
        "invalid timestamp '2024-01-01T00:00:00': missing 'Z' (STIX timestamps must be UTC)"
    );
    assert_eq!(
        err("2024-01-01T00:00:00.Z"),
        "invalid timestamp '2024-01-01T00:00:00.Z': a '.' must be followed by at least one \
         fraction digit"
    );
    assert_eq!(
        err("2024-01-01T00:00:00ZZ"),
        "invalid timestamp '2024-01-01T00:00:00ZZ': unexpected text 'ZZ'"
    );
    let shape = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
    for bad in [
        "",
        "2024-02-30",
        "2024-01-01 00:00:00Z",
        "24-01-01T00:00:00Z",
        "2024-1-01T00:00:00.000Z",
        "2024-01-01T0:00:00.000Z",
        "２０２４-01-01T00:00:00Z",
        "now",
    ] {
        assert_eq!(
            err(bad),
            format!("invalid timestamp '{bad}': {shape}"),
            "{bad}"
        );
    }
}

#[test]
fn position_dates() {
    assert_eq!(parse_position_date_ms("1970-01-01"), Some(0));
    assert_eq!(
        parse_position_date_ms("2024-02-29"),
        Some(1_709_164_800_000)
    );
    assert_eq!(parse_position_date_ms("2024-02-30"), None);
    assert_eq!(parse_position_date_ms("2023-02-29"), None);
    assert_eq!(
        parse_position_date_ms("2024-01-01T00:00:00Z"),
        Some(1_704_067_200_000)
    );
    assert_eq!(
        parse_position_date_ms("2024-01-01T00:00:00.1239Z"),
        Some(1_704_067_200_123)
    );
    assert_eq!(
        parse_position_date_ms("2024-01-01T02:00:00+02:00"),
        Some(1_704_067_200_000)
    );
    assert_eq!(
        parse_position_date_ms("2023-12-31T19:30:00.5-04:30"),
        Some(1_704_067_200_500)
    );
    assert_eq!(
        parse_position_date_ms("2024-01-01t00:00:00z"),
        Some(1_704_067_200_000)
    );
    for bad in [
        "",
        "0",
        "1704067200000-0",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00+2:00",
        "2024-01-01T00:00:00+24:00",
        "2024-01-01T00:00:00+0200",
        "2024-13-01",
        "2024-01-01T25:00:00Z",
        "yesterday",
    ] {
        assert_eq!(parse_position_date_ms(bad), None, "{bad}");
    }
}

#[test]
fn formats_ms() {
    assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(format_ms(1), "1970-01-01T00:00:00.001Z");
    assert_eq!(format_ms(1_709_208_000_500), "2024-02-29T12:00:00.500Z");
    assert_eq!(format_ms(2_147_483_648_000), "2038-01-19T03:14:08.000Z");
    assert_eq!(format_ms(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    assert_eq!(format_ms(-1), "1969-12-31T23:59:59.999Z");
    for s in [
        "2024-02-29T23:59:59.999Z",
        "2000-03-01T00:00:00.000Z",
        "2100-02-28T12:34:56.789Z",
    ] {
        assert_eq!(format_ms(ts(s).epoch_ms()), s);
        assert_eq!(parse_position_date_ms(s), Some(ts(s).epoch_ms()));
    }
}
