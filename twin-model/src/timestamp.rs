//! Timestamps as IoT Hub writes them: lenient on input, verbatim on output.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::FormatItem;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

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

    /// Formats `instant` the way IoT Hub does: seven fractional digits and
    /// `Z`. An instant outside years -9999 to 9999 (which no service writes)
    /// is clamped to the nearest one inside.
    pub fn from_instant(instant: UtcInstant) -> Self {
        const DATE_TIME: &[FormatItem<'_>] =
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        let nanos = instant.nanos.min(999_999_999);
        let at = OffsetDateTime::from_unix_timestamp(instant.secs).unwrap_or(if instant.secs < 0 {
            PrimitiveDateTime::MIN.assume_utc()
        } else {
            PrimitiveDateTime::MAX.assume_utc()
        });
        // Formatting a date within the supported range into a String cannot
        // fail; the fallback keeps the type total.
        let date_time = at.format(DATE_TIME).unwrap_or_default();
        let instant = UtcInstant {
            secs: at.unix_timestamp(),
            nanos,
        };
        Self {
            raw: format!("{date_time}.{:07}Z", nanos / 100),
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

/// `YYYY-MM-DDTHH:MM:SS[.f+][Z|±HH:MM]`, missing zone read as UTC. The
/// shape is checked here because the services' texts are looser than any
/// RFC 3339 parser (any number of fraction digits, `T`, `t` or a space, a
/// leap second); the calendar is `time`'s.
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
    let number = |range: std::ops::Range<usize>| digits(b.get(range)?);
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    let hour = u8::try_from(number(11..13)?).ok()?;
    let minute = u8::try_from(number(14..16)?).ok()?;
    let second = u8::try_from(number(17..19)?).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    // A leap second (`:60`) is the first second of the next minute.
    let leap = i64::from(second == 60);
    let clock = Time::from_hms(hour, minute, if leap == 1 { 59 } else { second }).ok()?;
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
        [] | [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i8::try_from(digits(&[*h1, *h2])?).ok()?;
            let m = i8::try_from(digits(&[*m1, *m2])?).ok()?;
            if *sign == b'+' {
                UtcOffset::from_hms(h, m, 0).ok()?
            } else {
                UtcOffset::from_hms(-h, -m, 0).ok()?
            }
        }
        _ => return None,
    };
    let secs = PrimitiveDateTime::new(date, clock)
        .assume_offset(offset)
        .unix_timestamp()
        + leap;
    Some(UtcInstant { secs, nanos })
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

    #[test]
    fn leap_seconds_and_long_fractions_are_read() {
        let leap = Timestamp::parse("2016-12-31T23:59:60Z").instant().unwrap();
        let next = Timestamp::parse("2017-01-01T00:00:00Z").instant().unwrap();
        assert_eq!(leap, next);
        let long = Timestamp::parse("2024-05-01T12:00:00.12345678912Z");
        assert_eq!(long.instant().unwrap().nanos, 123_456_789);
        assert_eq!(Timestamp::parse("2024-05-01T24:00:00Z").instant(), None);
        assert_eq!(Timestamp::parse("2024-13-01T00:00:00Z").instant(), None);
        assert_eq!(Timestamp::parse("2023-02-29T00:00:00Z").instant(), None);
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").instant().is_some());
    }

    #[test]
    fn instants_beyond_four_digit_years_are_clamped() {
        let far = Timestamp::from_instant(UtcInstant {
            secs: i64::MAX,
            nanos: 0,
        });
        assert_eq!(far.as_str(), "9999-12-31T23:59:59.0000000Z");
        let t = Timestamp::from_instant(UtcInstant {
            secs: 1_700_000_000,
            nanos: 123_456_789,
        });
        assert_eq!(t.as_str(), "2023-11-14T22:13:20.1234567Z");
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
