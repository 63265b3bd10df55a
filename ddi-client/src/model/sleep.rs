//! Parsing and clamping the server's suggested polling interval.

use core::time::Duration;

/// Why a `sleep` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SleepError {
    /// Not `HH:mm:ss`, `mm:ss`, bare seconds or an ISO-8601 duration.
    #[error("unrecognised sleep format")]
    Format,
    /// A minute or second field of 60 or more in a clock-style value.
    #[error("sleep field out of range")]
    FieldRange,
    /// A negative ISO-8601 duration.
    #[error("negative sleep")]
    Negative,
    /// Larger than a `Duration` can hold.
    #[error("sleep too large")]
    Overflow,
}

/// Why [`PollingBounds::new`] refused its arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BoundsError {
    /// The minimum was zero, which would allow a tight poll loop.
    #[error("minimum polling interval must be above zero")]
    ZeroMinimum,
    /// The minimum exceeded the maximum.
    #[error("minimum polling interval exceeds the maximum")]
    Inverted,
}

/// Parses a `sleep` value as hawkBit sends it.
///
/// Accepts `HH:mm:ss` (hours may exceed 23), `mm:ss`, bare seconds (`123`),
/// each optionally with fractional seconds, and ISO-8601 durations such as
/// `PT24H`, `PT36H30M`, `PT24H0.5S` or `P1DT2H` (hawkBit ≥ 0.10.0 uses these
/// from one day up). The result may be zero: clamp it with [`PollingBounds`].
pub fn parse_sleep(text: &str) -> Result<Duration, SleepError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix(['P', 'p']) {
        return parse_iso(rest);
    }
    if text.starts_with(['-', '+']) {
        return Err(SleepError::Format);
    }
    let fields: Vec<&str> = text.split(':').collect();
    let (h, m, s) = match fields.as_slice() {
        [s] => ("0", "0", *s),
        [m, s] => ("0", *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(SleepError::Format),
    };
    let hours = integer(h)?;
    let minutes = integer(m)?;
    let (secs, nanos) = seconds(s)?;
    if fields.len() > 1 && secs >= 60 {
        return Err(SleepError::FieldRange);
    }
    if fields.len() > 2 && minutes >= 60 {
        return Err(SleepError::FieldRange);
    }
    let total = hours
        .checked_mul(3600)
        .and_then(|v| v.checked_add(minutes.checked_mul(60)?))
        .and_then(|v| v.checked_add(secs))
        .ok_or(SleepError::Overflow)?;
    Ok(Duration::new(total, nanos))
}

fn integer(s: &str) -> Result<u64, SleepError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SleepError::Format);
    }
    s.parse().map_err(|_| SleepError::Overflow)
}

/// Seconds with an optional fraction (`.` or `,`, up to nanoseconds).
fn seconds(s: &str) -> Result<(u64, u32), SleepError> {
    let (whole, frac) = match s.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let secs = integer(whole)?;
    let nanos = match frac {
        None => 0,
        Some(f) if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(SleepError::Format);
        }
        Some(f) => {
            let digits: u32 = f.parse().map_err(|_| SleepError::Format)?;
            let scale = 10u32.pow(9 - u32::try_from(f.len()).map_err(|_| SleepError::Format)?);
            digits * scale
        }
    };
    Ok((secs, nanos))
}

/// The part after `P`: `[nD][T[nH][nM][n[.f]S]]`.
fn parse_iso(rest: &str) -> Result<Duration, SleepError> {
    if rest.contains('-') {
        return Err(SleepError::Negative);
    }
    let (date, time) = match rest.split_once(['T', 't']) {
        Some((_, "")) => return Err(SleepError::Format),
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    if date.is_empty() && time.is_empty() {
        return Err(SleepError::Format);
    }
    let mut total = Duration::ZERO;
    for (value, unit) in components(date)? {
        let n = integer(value)?;
        let secs = match unit {
            'D' | 'd' => n.checked_mul(86_400),
            'W' | 'w' => n.checked_mul(604_800),
            _ => return Err(SleepError::Format),
        };
        total = add(
            total,
            Duration::from_secs(secs.ok_or(SleepError::Overflow)?),
        )?;
    }
    let mut last_unit = 0;
    for (value, unit) in components(time)? {
        let (order, piece) = match unit {
            'H' | 'h' => (
                1,
                integer(value)?.checked_mul(3600).map(Duration::from_secs),
            ),
            'M' | 'm' => (2, integer(value)?.checked_mul(60).map(Duration::from_secs)),
            'S' | 's' => {
                let (s, n) = seconds(value)?;
                (3, Some(Duration::new(s, n)))
            }
            _ => return Err(SleepError::Format),
        };
        if order <= last_unit {
            return Err(SleepError::Format);
        }
        last_unit = order;
        total = add(total, piece.ok_or(SleepError::Overflow)?)?;
    }
    Ok(total)
}

fn add(a: Duration, b: Duration) -> Result<Duration, SleepError> {
    a.checked_add(b).ok_or(SleepError::Overflow)
}

/// Splits `12H30M0.5S` into `[("12",'H'), ("30",'M'), ("0.5",'S')]`.
fn components(s: &str) -> Result<Vec<(&str, char)>, SleepError> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_alphabetic() {
            let value = s.get(start..i).ok_or(SleepError::Format)?;
            if value.is_empty() {
                return Err(SleepError::Format);
            }
            out.push((value, c));
            start = i + c.len_utf8();
        }
    }
    if start != s.len() {
        return Err(SleepError::Format);
    }
    Ok(out)
}

/// The range a polling interval is kept in, whatever the server says.
///
/// Defaults: at least 30 s (hawkBit's own `minPollingTime`) and at most 24 h.
/// The minimum is never zero, so a broken or hostile server cannot make the
/// device poll in a tight loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollingBounds {
    min: Duration,
    max: Duration,
    fallback: Duration,
}

impl Default for PollingBounds {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(30),
            max: Duration::from_secs(24 * 3600),
            fallback: Duration::from_secs(300),
        }
    }
}

impl PollingBounds {
    /// Bounds `[min, max]`; the fallback (used when the server sends no or an
    /// unreadable `sleep`) is hawkBit's default of 5 minutes, clamped.
    pub fn new(min: Duration, max: Duration) -> Result<Self, BoundsError> {
        if min.is_zero() {
            return Err(BoundsError::ZeroMinimum);
        }
        if min > max {
            return Err(BoundsError::Inverted);
        }
        Ok(Self {
            min,
            max,
            fallback: Duration::from_secs(300).clamp(min, max),
        })
    }

    /// A local override: always exactly `interval`, whatever the server
    /// suggests (a zero interval becomes 1 ms).
    pub fn fixed(interval: Duration) -> Self {
        let d = interval.max(Duration::from_millis(1));
        Self {
            min: d,
            max: d,
            fallback: d,
        }
    }

    /// Sets the interval used when the server gives none (clamped).
    pub fn with_fallback(mut self, fallback: Duration) -> Self {
        self.fallback = fallback.clamp(self.min, self.max);
        self
    }

    /// The lower bound.
    pub fn min(&self) -> Duration {
        self.min
    }

    /// The upper bound.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// Clamps a duration into the bounds.
    pub fn clamp(&self, d: Duration) -> Duration {
        d.clamp(self.min, self.max)
    }

    /// The interval to wait for a `sleep` value: parsed and clamped, or the
    /// fallback when absent or unreadable. Never zero.
    pub fn interval(&self, sleep: Option<&str>) -> Duration {
        sleep
            .and_then(|s| parse_sleep(s).ok())
            .map_or(self.fallback, |d| self.clamp(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> Result<f64, SleepError> {
        parse_sleep(s).map(|d| d.as_secs_f64())
    }

    #[test]
    fn clock_forms() {
        assert_eq!(secs("12:00:00"), Ok(43_200.0));
        assert_eq!(secs("00:05:00"), Ok(300.0));
        assert_eq!(secs("05:30"), Ok(330.0));
        assert_eq!(secs("123"), Ok(123.0));
        assert_eq!(secs("00:00:30.5"), Ok(30.5));
        assert_eq!(secs("48:00:00"), Ok(172_800.0));
        assert_eq!(secs("00:60:00"), Err(SleepError::FieldRange));
        assert_eq!(secs("aa:bb:cc"), Err(SleepError::Format));
        assert_eq!(secs(""), Err(SleepError::Format));
        assert_eq!(secs("1:2:3:4"), Err(SleepError::Format));
        assert_eq!(secs("-5"), Err(SleepError::Format));
    }

    #[test]
    fn iso_forms() {
        assert_eq!(secs("PT24H"), Ok(86_400.0));
        assert_eq!(secs("PT36H30M"), Ok(131_400.0));
        assert_eq!(secs("PT24H0.5S"), Ok(86_400.5));
        assert_eq!(secs("PT0.000000001S"), Ok(1e-9));
        assert_eq!(secs("P1DT2H"), Ok(93_600.0));
        assert_eq!(secs("P1D"), Ok(86_400.0));
        assert_eq!(secs("PT-1S"), Err(SleepError::Negative));
        assert_eq!(secs("PT"), Err(SleepError::Format));
        assert_eq!(secs("P"), Err(SleepError::Format));
        assert_eq!(secs("PT1M1H"), Err(SleepError::Format));
        assert_eq!(secs("PT1.5H"), Err(SleepError::Format));
        assert_eq!(secs("PT99999999999999999999H"), Err(SleepError::Overflow));
    }

    #[test]
    fn bounds_clamp_and_never_zero() {
        let b = PollingBounds::default();
        assert_eq!(b.interval(Some("00:00:00")), Duration::from_secs(30));
        assert_eq!(b.interval(Some("PT48H")), Duration::from_secs(86_400));
        assert_eq!(b.interval(Some("garbage")), Duration::from_secs(300));
        assert_eq!(b.interval(None), Duration::from_secs(300));
        let fixed = PollingBounds::fixed(Duration::from_secs(7));
        assert_eq!(fixed.interval(Some("12:00:00")), Duration::from_secs(7));
        assert_eq!(
            PollingBounds::fixed(Duration::ZERO).interval(None),
            Duration::from_millis(1)
        );
        assert_eq!(
            PollingBounds::new(Duration::ZERO, Duration::from_secs(1)),
            Err(BoundsError::ZeroMinimum)
        );
        assert_eq!(
            PollingBounds::new(Duration::from_secs(2), Duration::from_secs(1)),
            Err(BoundsError::Inverted)
        );
    }
}
