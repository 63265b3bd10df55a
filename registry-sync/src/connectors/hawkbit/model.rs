//! The Management API documents the connector reads and writes: targets,
//! tags, metadata and paged lists are `twin-model`'s hawkBit types.

use serde::Deserialize;

pub(super) use twin_model::hawkbit::paged::PagedList;
pub(super) use twin_model::hawkbit::target::{MetadataEntry, Tag, Target};

/// A list the Management API returns either paged or as a bare array
/// (target metadata is paged in older hawkBit releases, an array in newer).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged, bound(deserialize = "T: Deserialize<'de>"))]
pub(super) enum MaybePaged<T> {
    Paged(PagedList<T>),
    Bare(Vec<T>),
}

impl<T> Default for MaybePaged<T> {
    fn default() -> Self {
        Self::Bare(Vec::new())
    }
}

impl<T> MaybePaged<T> {
    pub(super) fn into_vec(self) -> Vec<T> {
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
