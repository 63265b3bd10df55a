//! Which DDI endpoint a request path names.

use std::fmt;

use axum::http::Method;

/// The DDI endpoints (and the CDN's), used to count requests and to aim faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteKind {
    /// `GET /{tenant}/controller/v1/{id}`.
    Root,
    /// `GET …/deploymentBase/{actionId}`.
    DeploymentBase,
    /// `POST …/deploymentBase/{actionId}/feedback`.
    DeploymentFeedback,
    /// `GET …/cancelAction/{actionId}`.
    CancelAction,
    /// `POST …/cancelAction/{actionId}/feedback`.
    CancelFeedback,
    /// `PUT …/configData`.
    ConfigData,
    /// `GET …/installedBase/{actionId}`.
    InstalledBase,
    /// `PUT …/installedBase`.
    InstalledBasePut,
    /// `GET …/confirmationBase`.
    ConfirmationBase,
    /// `GET …/confirmationBase/{actionId}`.
    ConfirmationAction,
    /// `POST …/confirmationBase/{actionId}/feedback`.
    ConfirmationFeedback,
    /// `POST …/confirmationBase/activateAutoConfirm`.
    ActivateAutoConfirm,
    /// `POST …/confirmationBase/deactivateAutoConfirm`.
    DeactivateAutoConfirm,
    /// `GET …/softwaremodules/{id}/artifacts`.
    ArtifactList,
    /// `GET …/softwaremodules/{id}/artifacts/{fileName}`.
    ArtifactDownload,
    /// `GET …/softwaremodules/{id}/artifacts/{fileName}.MD5SUM`.
    ArtifactMd5Sum,
    /// An artifact on the CDN listener.
    CdnDownload,
    /// An `.MD5SUM` on the CDN listener.
    CdnMd5Sum,
    /// Management API `GET/POST /rest/v1/targets`.
    MgmtTargets,
    /// Management API `GET/PUT/DELETE /rest/v1/targets/{controllerId}`.
    MgmtTarget,
    /// Management API `GET /rest/v1/targets/{controllerId}/attributes`.
    MgmtTargetAttributes,
    /// Management API `GET /rest/v1/targets/{controllerId}/tags`.
    MgmtTargetTags,
    /// Management API `…/targets/{controllerId}/metadata[/{key}]`.
    MgmtTargetMetadata,
    /// Management API `/rest/v1/targettags[/{tagId}]`.
    MgmtTags,
    /// Management API `/rest/v1/targettags/{tagId}/assigned[/{controllerId}]`.
    MgmtTagAssignment,
    /// Anything else.
    Unknown,
}

impl RouteKind {
    pub(crate) const ALL: [Self; 26] = [
        Self::Root,
        Self::DeploymentBase,
        Self::DeploymentFeedback,
        Self::CancelAction,
        Self::CancelFeedback,
        Self::ConfigData,
        Self::InstalledBase,
        Self::InstalledBasePut,
        Self::ConfirmationBase,
        Self::ConfirmationAction,
        Self::ConfirmationFeedback,
        Self::ActivateAutoConfirm,
        Self::DeactivateAutoConfirm,
        Self::ArtifactList,
        Self::ArtifactDownload,
        Self::ArtifactMd5Sum,
        Self::CdnDownload,
        Self::CdnMd5Sum,
        Self::MgmtTargets,
        Self::MgmtTarget,
        Self::MgmtTargetAttributes,
        Self::MgmtTargetTags,
        Self::MgmtTargetMetadata,
        Self::MgmtTags,
        Self::MgmtTagAssignment,
        Self::Unknown,
    ];

    pub(crate) fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(Self::ALL.len() - 1)
    }

    /// The method the endpoint answers.
    pub(crate) fn method(self) -> Method {
        match self {
            Self::DeploymentFeedback
            | Self::CancelFeedback
            | Self::ConfirmationFeedback
            | Self::ActivateAutoConfirm
            | Self::DeactivateAutoConfirm => Method::POST,
            Self::ConfigData | Self::InstalledBasePut => Method::PUT,
            _ => Method::GET,
        }
    }

    /// Whether the endpoint streams an artifact or its MD5SUM (no ETag filter,
    /// no JSON negotiation).
    pub(crate) fn is_artifact(self) -> bool {
        matches!(
            self,
            Self::ArtifactDownload | Self::ArtifactMd5Sum | Self::CdnDownload | Self::CdnMd5Sum
        )
    }
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A parsed DDI path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DdiPath {
    pub(crate) tenant: String,
    pub(crate) controller: String,
    pub(crate) kind: RouteKind,
    /// `{actionId}` or `{softwareModuleId}`, still text (a non-number is a 400).
    pub(crate) id: Option<String>,
    /// `{fileName}` without `.MD5SUM`.
    pub(crate) file: Option<String>,
}

/// Splits `/{tenant}/controller/v1/{controllerId}/…`; `None` when the path
/// is not a DDI path at all.
pub(crate) fn parse(path: &str) -> Option<DdiPath> {
    let mut segments = path.strip_prefix('/')?.split('/');
    let tenant = decode(segments.next()?)?;
    if segments.next()? != "controller" || segments.next()? != "v1" {
        return None;
    }
    let controller = decode(segments.next()?)?;
    let rest: Vec<&str> = segments.collect();
    let (kind, id, file) = match rest.as_slice() {
        [] => (RouteKind::Root, None, None),
        ["deploymentBase", a] => (RouteKind::DeploymentBase, Some(*a), None),
        ["deploymentBase", a, "feedback"] => (RouteKind::DeploymentFeedback, Some(*a), None),
        ["cancelAction", a] => (RouteKind::CancelAction, Some(*a), None),
        ["cancelAction", a, "feedback"] => (RouteKind::CancelFeedback, Some(*a), None),
        ["configData"] => (RouteKind::ConfigData, None, None),
        ["installedBase"] => (RouteKind::InstalledBasePut, None, None),
        ["installedBase", a] => (RouteKind::InstalledBase, Some(*a), None),
        ["confirmationBase"] => (RouteKind::ConfirmationBase, None, None),
        ["confirmationBase", "activateAutoConfirm"] => (RouteKind::ActivateAutoConfirm, None, None),
        ["confirmationBase", "deactivateAutoConfirm"] => {
            (RouteKind::DeactivateAutoConfirm, None, None)
        }
        ["confirmationBase", a] => (RouteKind::ConfirmationAction, Some(*a), None),
        ["confirmationBase", a, "feedback"] => (RouteKind::ConfirmationFeedback, Some(*a), None),
        ["softwaremodules", m, "artifacts"] => (RouteKind::ArtifactList, Some(*m), None),
        ["softwaremodules", m, "artifacts", f] => match f.strip_suffix(".MD5SUM") {
            Some(name) => (RouteKind::ArtifactMd5Sum, Some(*m), Some(decode(name)?)),
            None => (RouteKind::ArtifactDownload, Some(*m), Some(decode(f)?)),
        },
        _ => return None,
    };
    Some(DdiPath {
        tenant,
        controller,
        kind,
        id: id.map(str::to_owned),
        file,
    })
}

/// Percent-decodes one path segment; `None` if it is not UTF-8 afterwards.
pub(crate) fn decode(segment: &str) -> Option<String> {
    if !segment.contains('%') {
        return Some(segment.to_owned());
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved).
pub(crate) fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_endpoint() {
        let p = parse("/DEFAULT/controller/v1/dev%201/softwaremodules/3/artifacts/a.bin.MD5SUM")
            .unwrap();
        assert_eq!(p.controller, "dev 1");
        assert_eq!(p.kind, RouteKind::ArtifactMd5Sum);
        assert_eq!(p.file.as_deref(), Some("a.bin"));
        assert_eq!(parse("/T/controller/v1/x").unwrap().kind, RouteKind::Root);
        assert_eq!(
            parse("/T/controller/v1/x/confirmationBase/activateAutoConfirm")
                .unwrap()
                .kind,
            RouteKind::ActivateAutoConfirm
        );
        assert_eq!(
            parse("/T/controller/v1/x/confirmationBase/5").unwrap().kind,
            RouteKind::ConfirmationAction
        );
        assert!(parse("/T/other/v1/x").is_none());
        assert!(parse("/T/controller/v1/x/nope").is_none());
    }

    proptest::proptest! {
        #[test]
        fn any_segment_survives_encoding(s in "\\PC*") {
            let encoded = encode(&s);
            proptest::prop_assert!(!encoded.contains('/') && !encoded.contains('?'));
            proptest::prop_assert_eq!(decode(&encoded), Some(s));
        }

        #[test]
        fn decode_never_panics(s in "[%0-9a-fA-Fxyz/]*") {
            let _ = decode(&s);
        }
    }

    #[test]
    fn encode_and_decode_are_inverse() {
        for s in ["plain", "with space", "ü/ß?#%", ""] {
            assert_eq!(decode(&encode(s)).as_deref(), Some(s));
        }
    }
}
