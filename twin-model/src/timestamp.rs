//! Timestamps as IoT Hub writes them: lenient on input, verbatim on output.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time as seconds and nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcInstant {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

/// A timestamp field from IoT Hub or Event Grid.
///
/// The raw text is kept and re-emitted unchanged, because real payloads carry
/// shapes a strict parser would reject: seven fractional digits, a missing
/// `Z`, the `0001-01-01T00:00:00` "never" sentinel and even impossible dates
/// such as `2016-02-30T16:24:48.789Z` (in the identity-registry docs). The
/// parsed instant is `None` when the text is not a valid date. Equality
/// compares the text; compare [`Timestamp::instant`]s to order points in
/// time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    raw: String,
    instant: Option<UtcInstant>,
}

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch, negated.
const YEAR_ONE_SECS: i64 = -62_135_596_800;

impl Timestamp {
    /// Parses `text` leniently; never fails, see [`Timestamp::instant`].
    pub fn parse(text: &str) -> Self {
        Self {
            raw: text.to_owned(),
            instant: parse_instant(text),
        }
    }

    /// The IoT Hub "never" sentinel as the service writes it in twins.
    pub fn never() -> Self {
        Self::parse("0001-01-01T00:00:00Z")
    }

    /// Formats `instant` the way IoT Hub does: seven fractional digits and `Z`.
    pub fn from_instant(instant: UtcInstant) -> Self {
        let days = instant.secs.div_euclid(86_400);
        let rem = instant.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let raw = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:07}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60,
            instant.nanos / 100
        );
        Self {
            raw,
            instant: Some(instant),
        }
    }

    /// The text exactly as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The instant, when the text is a valid date.
    pub fn instant(&self) -> Option<UtcInstant> {
        self.instant
    }

    /// True for `0001-01-01T00:00:00` with or without `Z` (IoT Hub's "never").
    pub fn is_never(&self) -> bool {
        self.instant
            .is_some_and(|i| i.secs == YEAR_ONE_SECS && i.nanos == 0)
    }

    /// Whole seconds since the epoch, for the AWS shadow metadata mapping.
    pub fn epoch_seconds(&self) -> Option<i64> {
        self.instant.map(|i| i.secs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(Self::parse(&raw))
    }
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}+][Z|±HH:MM]`, missing zone read as UTC.
fn parse_instant(text: &str) -> Option<UtcInstant> {
    let b = text.as_bytes();
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let year = digits(b.get(0..4)?)?;
    let month = digits(b.get(5..7)?)?;
    let day = digits(b.get(8..10)?)?;
    let hour = digits(b.get(11..13)?)?;
    let minute = digits(b.get(14..16)?)?;
    let second = digits(b.get(17..19)?)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = b.get(19..)?;
    let mut nanos: u32 = 0;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, c) in frac.iter().take(n).enumerate() {
            if i < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
        }
        for _ in n..9 {
            nanos *= 10;
        }
        rest = frac.get(n..)?;
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(UtcInstant { secs, nanos })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's civil calendar algorithms (public domain descriptions).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seven_fraction_digits_and_never_sentinel() {
        let t = Timestamp::parse("2018-01-02T19:17:44.4383997Z");
        let i = t.instant().unwrap();
        assert_eq!(i.secs, 1_514_920_664);
        assert_eq!(i.nanos, 438_399_700);
        assert!(Timestamp::parse("0001-01-01T00:00:00").is_never());
        assert!(Timestamp::parse("0001-01-01T00:00:00Z").is_never());
        assert!(!t.is_never());
    }

    #[test]
    fn impossible_date_is_kept_raw() {
        let t = Timestamp::parse("2016-02-30T16:24:48.789Z");
        assert_eq!(t.instant(), None);
        assert_eq!(t.as_str(), "2016-02-30T16:24:48.789Z");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2016-02-30T16:24:48.789Z\""
        );
    }

    #[test]
    fn offsets_are_applied() {
        let a = Timestamp::parse("2020-01-01T01:00:00+01:00");
        let b = Timestamp::parse("2020-01-01T00:00:00Z");
        assert_eq!(a.instant(), b.instant());
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(secs in -62_135_596_800i64..253_402_300_799, hundreds in 0u32..10_000_000) {
            let i = UtcInstant { secs, nanos: hundreds * 100 };
            let t = Timestamp::from_instant(i);
            prop_assert_eq!(Timestamp::parse(t.as_str()).instant(), Some(i));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
