//! The subset of the query language the simulator answers:
//! `SELECT * FROM devices [WHERE <path> = '<text>' [AND ...]]` with paths
//! `deviceId`, `status` and `tags.<a>.<b>...`, paged in id order.

use std::collections::BTreeMap;
use std::ops::Bound;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::error::HubError;
use super::store::Device;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Path {
    DeviceId,
    Status,
    Tag(Vec<String>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    conditions: Vec<(Path, String)>,
}

fn unsupported(text: &str) -> HubError {
    HubError::new(
        400,
        "BadRequest",
        format!("Query '{text}' is not supported by the simulator"),
    )
}

impl Query {
    pub(crate) fn parse(text: &str) -> Result<Self, HubError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let head = words.get(..4).ok_or_else(|| unsupported(text))?;
        let head_ok = head
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("select"))
            && head.get(1) == Some(&"*")
            && head.get(2).is_some_and(|w| w.eq_ignore_ascii_case("from"))
            && head
                .get(3)
                .is_some_and(|w| w.eq_ignore_ascii_case("devices"));
        if !head_ok {
            return Err(unsupported(text));
        }
        let mut conditions = Vec::new();
        let mut rest = words.get(4..).unwrap_or_default();
        if let Some((first, tail)) = rest.split_first() {
            if !first.eq_ignore_ascii_case("where") {
                return Err(unsupported(text));
            }
            rest = tail;
            loop {
                let [path, "=", value, tail @ ..] = rest else {
                    return Err(unsupported(text));
                };
                let value = value
                    .strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .ok_or_else(|| unsupported(text))?;
                let path = match *path {
                    "deviceId" => Path::DeviceId,
                    "status" => Path::Status,
                    p => match p.strip_prefix("tags.") {
                        Some(t) => Path::Tag(t.split('.').map(str::to_owned).collect()),
                        None => return Err(unsupported(text)),
                    },
                };
                conditions.push((path, value.to_owned()));
                match tail {
                    [] => break,
                    [and, more @ ..] if and.eq_ignore_ascii_case("and") => rest = more,
                    _ => return Err(unsupported(text)),
                }
            }
        }
        Ok(Self { conditions })
    }

    fn matches(&self, d: &Device) -> bool {
        self.conditions.iter().all(|(path, want)| match path {
            Path::DeviceId => d.id == *want,
            Path::Status => (if d.disabled { "disabled" } else { "enabled" }) == want,
            Path::Tag(segments) => {
                let mut node: Option<&Value> = None;
                for (i, s) in segments.iter().enumerate() {
                    node = if i == 0 {
                        d.tags.get(s)
                    } else {
                        node.and_then(|n| n.get(s))
                    };
                }
                node.and_then(Value::as_str) == Some(want.as_str())
            }
        })
    }

    /// One page of matching twins after the continuation, and the next
    /// continuation. Cost: a range seek plus the devices visited.
    pub(crate) fn page(
        &self,
        devices: &BTreeMap<String, Device>,
        continuation: Option<&str>,
        max: usize,
    ) -> Result<(Vec<Value>, Option<String>), HubError> {
        let after = match continuation {
            None => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| HubError::invalid("x-ms-continuation is invalid"))?,
            ),
        };
        let range = match &after {
            None => devices.range::<String, (Bound<&String>, Bound<&String>)>((
                Bound::Unbounded,
                Bound::Unbounded,
            )),
            Some(a) => devices.range::<String, (Bound<&String>, Bound<&String>)>((
                Bound::Excluded(a),
                Bound::Unbounded,
            )),
        };
        let mut rows = Vec::new();
        let mut last = None;
        let mut more = false;
        for (id, d) in range.filter(|(_, d)| self.matches(d)) {
            if rows.len() == max {
                more = true;
                break;
            }
            rows.push(d.twin_json());
            last = Some(id);
        }
        let next = if more {
            last.map(|l| URL_SAFE_NO_PAD.encode(l.as_bytes()))
        } else {
            None
        };
        Ok((rows, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iothub::store::{IdentityInput, Store};
    use serde_json::json;

    #[test]
    fn pages_and_filters() {
        let mut s = Store::new("hub");
        for i in 0..5 {
            let tags = json!({"site": {"name": if i % 2 == 0 { "a" } else { "b" }}});
            s.insert(
                &format!("d{i}"),
                &IdentityInput::default(),
                tags.as_object().cloned(),
                None,
            )
            .unwrap();
        }
        let all = Query::parse("SELECT * FROM devices").unwrap();
        let (p1, c1) = all.page(&s.devices, None, 2).unwrap();
        assert_eq!(p1.len(), 2);
        let (p2, c2) = all.page(&s.devices, c1.as_deref(), 2).unwrap();
        assert_eq!(p2[0]["deviceId"], "d2");
        let (p3, c3) = all.page(&s.devices, c2.as_deref(), 2).unwrap();
        assert_eq!((p3.len(), c3), (1, None));
        let q =
            Query::parse("select * from devices where tags.site.name = 'a' and status = 'enabled'")
                .unwrap();
        let (rows, _) = q.page(&s.devices, None, 10).unwrap();
        assert_eq!(rows.len(), 3);
        let one = Query::parse("SELECT * FROM devices WHERE deviceId = 'd3'").unwrap();
        assert_eq!(one.page(&s.devices, None, 10).unwrap().0.len(), 1);
        assert!(Query::parse("SELECT COUNT() FROM devices").is_err());
        assert!(Query::parse("SELECT * FROM devices WHERE x > 1").is_err());
        assert!(all.page(&s.devices, Some("!!"), 1).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_query_text_is_answered_without_panic(q in "\\PC{0,80}", tail in "[a-z.' =]{0,40}") {
            let _ = Query::parse(&q);
            let _ = Query::parse(&format!("SELECT * FROM devices WHERE {tail}"));
            let _ = crate::iothub::jobs::container_of(&q);
        }
    }
}
