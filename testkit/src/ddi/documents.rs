//! The JSON documents the server emits, with hawkBit's field order and
//! omission rules (absent rather than `null`, empty `_links` left out).

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// A HAL `_links` object: rel name to `{"href": ...}`, in insertion order.
#[derive(Debug, Default)]
pub(crate) struct Links(pub(crate) Vec<(Cow<'static, str>, String)>);

impl Links {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn add(&mut self, rel: impl Into<Cow<'static, str>>, href: String) {
        self.0.push((rel.into(), href));
    }
}

#[derive(Serialize)]
struct Href<'a> {
    href: &'a str,
}

impl Serialize for Links {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (rel, href) in &self.0 {
            map.serialize_entry(rel.as_ref(), &Href { href })?;
        }
        map.end()
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ControllerBase {
    pub(crate) config: Config,
    #[serde(rename = "_links", skip_serializing_if = "Links::is_empty")]
    pub(crate) links: Links,
}

#[derive(Debug, Serialize)]
pub(crate) struct Config {
    pub(crate) polling: Polling,
}

#[derive(Debug, Serialize)]
pub(crate) struct Polling {
    pub(crate) sleep: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct DeploymentBase {
    pub(crate) id: String,
    pub(crate) deployment: Deployment,
    #[serde(rename = "actionHistory", skip_serializing_if = "Option::is_none")]
    pub(crate) action_history: Option<ActionHistory>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConfirmationBaseAction {
    pub(crate) id: String,
    pub(crate) confirmation: Deployment,
    #[serde(rename = "actionHistory", skip_serializing_if = "Option::is_none")]
    pub(crate) action_history: Option<ActionHistory>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Deployment {
    pub(crate) download: &'static str,
    pub(crate) update: &'static str,
    #[serde(rename = "maintenanceWindow", skip_serializing_if = "Option::is_none")]
    pub(crate) maintenance_window: Option<&'static str>,
    pub(crate) chunks: Vec<Chunk>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Chunk {
    pub(crate) part: String,
    pub(crate) version: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encrypted: Option<bool>,
    pub(crate) artifacts: Vec<ArtifactDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<Vec<Metadata>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Metadata {
    pub(crate) key: String,
    pub(crate) value: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ArtifactDoc {
    pub(crate) filename: String,
    pub(crate) hashes: Hashes,
    pub(crate) size: u64,
    #[serde(rename = "_links", skip_serializing_if = "Links::is_empty")]
    pub(crate) links: Links,
}

#[derive(Debug, Serialize)]
pub(crate) struct Hashes {
    pub(crate) sha1: String,
    pub(crate) md5: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sha256: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ActionHistory {
    pub(crate) status: &'static str,
    pub(crate) messages: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Cancel {
    pub(crate) id: String,
    #[serde(rename = "cancelAction")]
    pub(crate) cancel_action: StopId,
}

#[derive(Debug, Serialize)]
pub(crate) struct StopId {
    #[serde(rename = "stopId")]
    pub(crate) stop_id: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConfirmationBase {
    #[serde(rename = "autoConfirm")]
    pub(crate) auto_confirm: AutoConfirmDoc,
    #[serde(rename = "_links", skip_serializing_if = "Links::is_empty")]
    pub(crate) links: Links,
}

#[derive(Debug, Serialize)]
pub(crate) struct AutoConfirmDoc {
    pub(crate) active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) initiator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) remark: Option<String>,
    #[serde(rename = "activatedAt", skip_serializing_if = "Option::is_none")]
    pub(crate) activated_at: Option<i64>,
}

/// hawkBit's error body (`ExceptionInfo`).
#[derive(Debug, Serialize)]
pub(crate) struct ExceptionInfo {
    #[serde(rename = "exceptionClass")]
    pub(crate) exception_class: &'static str,
    #[serde(rename = "errorCode")]
    pub(crate) error_code: &'static str,
    pub(crate) message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) info: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_links_are_left_out_and_order_is_kept() {
        let mut links = Links::default();
        let base = ControllerBase {
            config: Config {
                polling: Polling {
                    sleep: "00:05:00".into(),
                },
            },
            links: Links::default(),
        };
        assert_eq!(
            serde_json::to_string(&base).unwrap(),
            r#"{"config":{"polling":{"sleep":"00:05:00"}}}"#
        );
        links.add("deploymentBase", "http://h/d".into());
        links.add("configData", "http://h/c".into());
        assert_eq!(
            serde_json::to_string(&links).unwrap(),
            r#"{"deploymentBase":{"href":"http://h/d"},"configData":{"href":"http://h/c"}}"#
        );
    }
}
