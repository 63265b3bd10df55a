//! IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for `Last-Modified` and `If-Range`.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const FORMAT: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Drops sub-second precision, which HTTP dates cannot carry.
pub(crate) fn truncate_to_secs(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub(crate) fn format(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(FORMAT).unwrap_or_default()
}

pub(crate) fn parse(s: &str) -> Option<SystemTime> {
    time::PrimitiveDateTime::parse(s.trim(), FORMAT)
        .ok()
        .map(|dt| SystemTime::from(dt.assume_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_second_round_trips(secs in 0_u64..253_402_300_799) {
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
            proptest::prop_assert_eq!(parse(&format(t)), Some(t));
        }
    }

    #[test]
    fn round_trips() {
        let t = truncate_to_secs(SystemTime::now());
        let s = format(t);
        assert!(s.ends_with(" GMT"), "{s}");
        assert_eq!(parse(&s), Some(t));
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT")
                .map(format)
                .as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(parse("\"abc\""), None);
    }
}
