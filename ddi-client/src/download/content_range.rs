//! `Content-Range: bytes first-last/total` as sent with 206 and 416.

/// A parsed `Content-Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentRange {
    /// `first-last`, inclusive; `None` for `bytes */total`.
    pub(crate) range: Option<(u64, u64)>,
    /// The complete length, if known.
    pub(crate) total: Option<u64>,
}

impl ContentRange {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let rest = value.trim().strip_prefix("bytes")?.trim_start();
        let (range, total) = rest.split_once('/')?;
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        let range = match range.trim() {
            "*" => None,
            r => {
                let (a, b) = r.split_once('-')?;
                let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if a > b || total.is_some_and(|t| b >= t) {
                    return None;
                }
                Some((a, b))
            }
        };
        if range.is_none() && total.is_none() {
            return None;
        }
        Some(Self { range, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            ContentRange::parse("bytes 10-19/20"),
            Some(ContentRange {
                range: Some((10, 19)),
                total: Some(20)
            })
        );
        assert_eq!(
            ContentRange::parse("bytes */20"),
            Some(ContentRange {
                range: None,
                total: Some(20)
            })
        );
        assert_eq!(
            ContentRange::parse("bytes 10-19/*").and_then(|c| c.total),
            None
        );
        for bad in [
            "",
            "bytes 5-4/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes */*",
            "bytes a-b/c",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn formatted_ranges_parse_back(first in 0u64..u64::MAX / 2, len in 1u64..1 << 40, extra in 0u64..1000) {
            let last = first + len - 1;
            let total = last + 1 + extra;
            let parsed = ContentRange::parse(&format!("bytes {first}-{last}/{total}"));
            proptest::prop_assert_eq!(parsed, Some(ContentRange { range: Some((first, last)), total: Some(total) }));
        }

        #[test]
        fn arbitrary_headers_never_panic(s in ".{0,40}", t in "bytes [0-9*]{0,5}-?[0-9]{0,5}/[0-9*]{0,5}") {
            let _ = ContentRange::parse(&s);
            if let Some(cr) = ContentRange::parse(&t)
                && let (Some((a, b)), Some(total)) = (cr.range, cr.total)
            {
                proptest::prop_assert!(a <= b && b < total);
            }
        }
    }
}
