//! A compact, sorted string map for tags, reported properties and attributes.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Flat string key/value pairs, kept sorted by key with unique keys.
///
/// Everything lives in one allocation (16 bytes inline, none when empty):
/// `count: u32 LE`, then per entry the end offsets of its key and value
/// (`u32 LE`, relative to the text), then the text. Million-device snapshots
/// stay small this way; lookups are binary searches, equality is a byte
/// comparison. A set whose text exceeds 4 GiB keeps only the entries that fit.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Properties {
    buf: Box<[u8]>,
}

fn read_u32(buf: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes) as usize)
}

impl Properties {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds from entries already sorted by key with unique keys.
    fn from_sorted<'a>(entries: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let mut count = 0usize;
        let mut text = 0usize;
        for (k, v) in entries.clone() {
            let next = text + k.len() + v.len();
            if u32::try_from(next).is_err() {
                break;
            }
            text = next;
            count += 1;
        }
        if count == 0 {
            return Self::default();
        }
        let header = 4 + 8 * count;
        let mut buf = Vec::with_capacity(header + text);
        buf.extend_from_slice(&(count as u32).to_le_bytes());
        let mut end = 0usize;
        for (k, v) in entries.clone().take(count) {
            end += k.len();
            buf.extend_from_slice(&(end as u32).to_le_bytes());
            end += v.len();
            buf.extend_from_slice(&(end as u32).to_le_bytes());
        }
        for (k, v) in entries.take(count) {
            buf.extend_from_slice(k.as_bytes());
            buf.extend_from_slice(v.as_bytes());
        }
        Self {
            buf: buf.into_boxed_slice(),
        }
    }

    fn entry(&self, i: usize) -> Option<(&str, &str)> {
        let count = self.len();
        if i >= count {
            return None;
        }
        let text = self.buf.get(4 + 8 * count..)?;
        let start = if i == 0 {
            0
        } else {
            read_u32(&self.buf, 4 + 8 * i - 4)?
        };
        let ke = read_u32(&self.buf, 4 + 8 * i)?;
        let ve = read_u32(&self.buf, 4 + 8 * i + 4)?;
        let k = std::str::from_utf8(text.get(start..ke)?).ok()?;
        let v = std::str::from_utf8(text.get(ke..ve)?).ok()?;
        Some((k, v))
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry(mid).map(|(k, _)| k.cmp(key)) {
                Some(std::cmp::Ordering::Less) => lo = mid + 1,
                Some(std::cmp::Ordering::Greater) => hi = mid,
                Some(std::cmp::Ordering::Equal) => return Ok(mid),
                None => return Err(lo),
            }
        }
        Err(lo)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.find(key)
            .ok()
            .and_then(|i| self.entry(i))
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, replacing any previous value.
    pub fn insert(&mut self, key: impl Into<Box<str>>, value: impl Into<Box<str>>) {
        let key = key.into();
        let value = value.into();
        let mut v: Vec<(&str, &str)> = self.iter().collect();
        match self.find(&key) {
            Ok(i) => {
                if let Some(slot) = v.get_mut(i) {
                    slot.1 = &value;
                }
            }
            Err(i) => v.insert(i.min(v.len()), (&key, &value)),
        }
        *self = Self::from_sorted(v.into_iter());
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        let i = self.find(key).ok()?;
        let value: Box<str> = self.entry(i)?.1.into();
        let kept: Vec<(&str, &str)> = self.iter().filter(|(k, _)| *k != key).collect();
        *self = Self::from_sorted(kept.into_iter());
        Some(value)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.len()).filter_map(move |i| self.entry(i))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        read_u32(&self.buf, 0).unwrap_or(0)
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Whether `self` equals `other` when entries with key `ignored` are left out of both.
    pub fn eq_ignoring(&self, other: &Self, ignored: &str) -> bool {
        self.iter()
            .filter(|(k, _)| *k != ignored)
            .eq(other.iter().filter(|(k, _)| *k != ignored))
    }
}

impl<K: Into<Box<str>>, V: Into<Box<str>>> FromIterator<(K, V)> for Properties {
    /// Later entries win over earlier ones with the same key.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut v: Vec<(Box<str>, Box<str>)> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        // Stable sort keeps input order among equal keys, so "later wins" holds.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(&str, &str)> = Vec::with_capacity(v.len());
        for (k, val) in &v {
            match out.last_mut() {
                Some(last) if last.0 == &**k => last.1 = val,
                _ => out.push((k, val)),
            }
        }
        Self::from_sorted(out.into_iter())
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Properties, A::Error> {
                let mut v: Vec<(String, String)> = Vec::new();
                while let Some(entry) = a.next_entry::<String, String>()? {
                    v.push(entry);
                }
                Ok(v.into_iter().collect())
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn insert_get_remove() {
        let mut p = Properties::new();
        p.insert("b", "2");
        p.insert("a", "1");
        p.insert("b", "3");
        assert_eq!(p.get("b"), Some("3"));
        assert_eq!(p.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.remove("a").as_deref(), Some("1"));
        assert!(!p.contains_key("a"));
    }

    #[test]
    fn empty_strings_are_entries_too() {
        let p: Properties = [("", ""), ("a", ""), ("", "x")].into_iter().collect();
        assert_eq!(p.iter().collect::<Vec<_>>(), [("", "x"), ("a", "")]);
        assert_eq!(p.get(""), Some("x"));
    }

    #[test]
    fn eq_ignoring_skips_one_key() {
        let a: Properties = [("k", "v"), ("owner", "x")].into_iter().collect();
        let b: Properties = [("k", "v")].into_iter().collect();
        assert!(a.eq_ignoring(&b, "owner"));
        assert!(!a.eq_ignoring(&b, "k"));
    }

    proptest! {
        #[test]
        fn json_round_trip(entries in proptest::collection::vec(("[a-z]{0,4}", ".{0,6}"), 0..8)) {
            let p: Properties = entries.into_iter().collect();
            let text = serde_json::to_string(&p).unwrap();
            let back: Properties = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back, p);
        }

        #[test]
        fn from_iter_is_sorted_and_later_wins(entries in proptest::collection::vec(("[a-c]", "[0-9]"), 0..10)) {
            let p: Properties = entries.clone().into_iter().collect();
            let keys: Vec<&str> = p.iter().map(|(k, _)| k).collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(&keys, &sorted);
            for (k, v) in p.iter() {
                let last = entries.iter().rev().find(|(ek, _)| ek == k).map(|(_, ev)| ev.as_str());
                prop_assert_eq!(Some(v), last);
            }
        }
    }
}
