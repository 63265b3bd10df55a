//! Artifacts: the files of a software module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::link::Link;

/// One file to download (`DdiArtifact`), also an element of the artifact list
/// (`GET …/softwaremodules/{id}/artifacts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The server-side file name. Never use it as a path without
    /// [`safe_file_name`](crate::download::safe_file_name).
    pub filename: String,
    /// The digests; older servers omit `sha256`, goosebit sends only `sha1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
    /// The size in bytes (64-bit: artifacts may exceed 4 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The download links by relation name.
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "ArtifactLinks::is_empty"
    )]
    pub links: ArtifactLinks,
}

/// `hashes` of an artifact, lowercase hex as the server sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// SHA-1 of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha1: Option<String>,
    /// MD5 of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// SHA-256 of the file (servers since 2019).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The `_links` of an artifact, keyed by relation name.
///
/// Relation names are server configuration: a stock hawkBit sends only
/// `download-http` and `md5sum-http`, others send `download`/`md5sum`, and
/// misconfigured servers invent their own. All are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ArtifactLinks(pub BTreeMap<String, Link>);

impl ArtifactLinks {
    /// The link to download from: `download`, else `download-http`, else any
    /// other relation that is not an MD5SUM link.
    pub fn download(&self) -> Option<&Link> {
        self.0
            .get("download")
            .or_else(|| self.0.get("download-http"))
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(rel, _)| !rel.starts_with("md5sum"))
                    .map(|(_, l)| l)
            })
    }

    /// The link to the `.MD5SUM` file: `md5sum`, else `md5sum-http`.
    pub fn md5sum(&self) -> Option<&Link> {
        self.0.get("md5sum").or_else(|| self.0.get("md5sum-http"))
    }

    /// Whether there is no link at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Artifact {
    /// An artifact named `filename`, without hashes, size or links yet.
    pub fn new(filename: impl Into<String>) -> Self {
        Self {
            filename: filename.into(),
            hashes: None,
            size: None,
            links: ArtifactLinks::default(),
        }
    }

    /// The link to download from; see [`ArtifactLinks::download`].
    pub fn download_link(&self) -> Option<&Link> {
        self.links.download()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(rels: &[&str]) -> ArtifactLinks {
        ArtifactLinks(
            rels.iter()
                .map(|rel| ((*rel).to_owned(), Link::new(format!("https://h/{rel}"))))
                .collect(),
        )
    }

    fn href(link: Option<&Link>) -> Option<&str> {
        link.map(|l| l.href.as_str())
    }

    #[test]
    fn download_prefers_download_then_download_http_then_any_non_md5_relation() {
        let all = [
            "download",
            "download-http",
            "md5sum",
            "md5sum-http",
            "custom",
        ];
        assert_eq!(href(links(&all).download()), Some("https://h/download"));
        let no_https = ["download-http", "md5sum", "md5sum-http", "custom"];
        assert_eq!(
            href(links(&no_https).download()),
            Some("https://h/download-http")
        );
        // a misconfigured server's own relation name is still a download link...
        assert_eq!(
            href(links(&["md5sum-http", "mirror"]).download()),
            Some("https://h/mirror")
        );
        // ...but a checksum file never is
        assert_eq!(href(links(&["md5sum", "md5sum-http"]).download()), None);
        assert_eq!(href(links(&[]).download()), None);
    }

    #[test]
    fn md5sum_prefers_md5sum_then_md5sum_http() {
        let both = links(&["md5sum-http", "md5sum", "download"]);
        assert_eq!(href(both.md5sum()), Some("https://h/md5sum"));
        let http = links(&["md5sum-http", "download"]);
        assert_eq!(href(http.md5sum()), Some("https://h/md5sum-http"));
        assert_eq!(href(links(&["download"]).md5sum()), None);
    }
}
