//! A compact, sorted string map for tags, reported properties and attributes.

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Flat string key/value pairs, kept sorted by key with unique keys.
///
/// A sorted boxed slice costs 16 bytes inline and one allocation, which keeps
/// million-device snapshots small; lookups are binary searches.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Properties(Box<[(Box<str>, Box<str>)]>);

impl Properties {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| &**v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, replacing any previous value.
    pub fn insert(&mut self, key: impl Into<Box<str>>, value: impl Into<Box<str>>) {
        let key = key.into();
        let value = value.into();
        let mut v = std::mem::take(&mut self.0).into_vec();
        match v.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => {
                if let Some(slot) = v.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => v.insert(i, (key, value)),
        }
        self.0 = v.into_boxed_slice();
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        let i = self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        let mut v = std::mem::take(&mut self.0).into_vec();
        let (_, value) = v.remove(i);
        self.0 = v.into_boxed_slice();
        Some(value)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        let mut out: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(v.len());
        for entry in v {
            match out.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => out.push(entry),
            }
        }
        Self(out.into_boxed_slice())
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
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
