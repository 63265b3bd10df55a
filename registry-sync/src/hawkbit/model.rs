//! The Management API documents the connector reads and writes: targets,
//! tags and metadata are `twin-model`'s hawkBit types; paged lists are here.

use serde::Deserialize;

pub use ddi_client::model::{ConfigData, ConfigMode as ConfigDataMode};
pub use twin_model::hawkbit::target::{MetadataEntry, Tag, Target};

/// A paged Management API list (`{content, total, size}`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct PagedList<T> {
    /// This page's entries.
    #[serde(default)]
    pub content: Vec<T>,
    /// Entries over all pages.
    #[serde(default)]
    pub total: u64,
    /// Entries on this page.
    #[serde(default)]
    pub size: u64,
}

impl<T> Default for PagedList<T> {
    fn default() -> Self {
        Self {
            content: Vec::new(),
            total: 0,
            size: 0,
        }
    }
}

/// A list the Management API returns either paged or as a bare array
/// (target metadata is paged in older hawkBit releases, an array in newer).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged, bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) enum MaybePaged<T> {
    Paged(PagedList<T>),
    Bare(Vec<T>),
}

impl<T> Default for MaybePaged<T> {
    fn default() -> Self {
        Self::Bare(Vec::new())
    }
}

impl<T> MaybePaged<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            Self::Paged(p) => p.content,
            Self::Bare(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paged_lists_decode_leniently() {
        let p: PagedList<MetadataEntry> = serde_json::from_str(
            r#"{"content":[{"key":"k","value":"v"}],"total":3,"size":1,"extra":true}"#,
        )
        .unwrap();
        assert_eq!((p.content.len(), p.total, p.size), (1, 3, 1));
        let empty: PagedList<Tag> = serde_json::from_str("{}").unwrap();
        assert!(empty.content.is_empty());
        let bare: MaybePaged<MetadataEntry> =
            serde_json::from_str(r#"[{"key":"k","value":"v"}]"#).unwrap();
        assert_eq!(bare.into_vec().len(), 1);
        let paged: MaybePaged<MetadataEntry> =
            serde_json::from_str(r#"{"content":[{"key":"k","value":"v"}],"total":1}"#).unwrap();
        assert_eq!(paged.into_vec().len(), 1);
    }
}
