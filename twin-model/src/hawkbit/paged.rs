//! The Management API's paged lists.

use serde::{Deserialize, Serialize};

/// A page of a Management API list (`{content, total, size}`), as
/// `GET /rest/v1/targets` and the other list resources answer. Members the
/// server leaves out read as empty or zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize"))]
#[non_exhaustive]
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

impl<T> PagedList<T> {
    /// A page holding `content`, of `total` entries in all.
    pub fn new(content: Vec<T>, total: u64) -> Self {
        let size = content.len() as u64;
        Self {
            content,
            total,
            size,
        }
    }
}

impl<T> Default for PagedList<T> {
    fn default() -> Self {
        Self::new(Vec::new(), 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hawkbit::target::Tag;

    #[test]
    fn pages_decode_leniently_and_encode_as_the_server_writes_them() {
        let page: PagedList<Tag> =
            serde_json::from_str(r#"{"content":[{"name":"eu"}],"total":3,"size":1,"extra":true}"#)
                .unwrap();
        assert_eq!((page.content.len(), page.total, page.size), (1, 3, 1));
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            serde_json::json!({"content": [{"name": "eu"}], "total": 3, "size": 1})
        );
        let empty: PagedList<Tag> = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, PagedList::default());
    }
}
