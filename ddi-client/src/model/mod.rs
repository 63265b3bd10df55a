//! The DDI documents, both directions, with no HTTP dependency.
//!
//! Decoding is lenient: unknown fields are ignored, unknown enum values are
//! kept in `Other`, ids may be strings or numbers, and everything the server
//! may leave out is optional. Encoding is strict: it writes what a current
//! hawkBit expects and nothing else (legacy fields only when asked for).
//!
//! Every document implements [`Document`], which decodes with a typed
//! [`DecodeError`] naming the document.

mod artifact;
mod cancel;
mod config_data;
mod confirmation;
mod controller_base;
mod deployment;
mod error_body;
mod feedback;
mod id;
mod installed;
mod link;
mod md5sum;
mod open_enum;
mod sleep;

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use artifact::{Artifact, ArtifactLinks, Hashes};
pub use cancel::{CancelAction, CancelActionStop};
pub use config_data::{ConfigData, ConfigMode, MAX_ATTRIBUTE_CHARS, is_attribute_text};
pub use confirmation::{
    ActivateAutoConfirm, AutoConfirmState, Confirmation, ConfirmationBase, ConfirmationBaseAction,
    ConfirmationFeedback, ConfirmationLinks,
};
pub use controller_base::{ControllerBase, ControllerConfig, ControllerLinks, Polling};
pub use deployment::{
    ActionHistory, ActionStatus, Chunk, Deployment, DeploymentBase, Handling, MaintenanceWindow,
    Metadata,
};
pub use error_body::{ExceptionInfo, QUOTA_ERROR_PREFIX};
pub use feedback::{
    ActionFeedback, Execution, Finished, MAX_DETAIL_BYTES, MAX_DETAILS, Progress, Status,
    StatusResult,
};
pub use id::ActionId;
pub use installed::AssignedVersion;
pub use link::Link;
pub use md5sum::{Md5Sum, Md5SumError};
pub use sleep::{BoundsError, PollingBounds, SleepError, parse_sleep};

/// The list returned by `GET …/softwaremodules/{id}/artifacts`.
pub type ArtifactList = Vec<Artifact>;

/// A DDI JSON document.
pub trait Document: Serialize + DeserializeOwned {
    /// The document's name in errors (`deployment base`, `feedback`, …).
    const NAME: &'static str;

    /// Decodes JSON leniently.
    fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        serde_json::from_slice(bytes).map_err(|e| DecodeError {
            document: Self::NAME,
            position: Some((e.line(), e.column())),
            source: Box::new(e),
        })
    }

    /// Encodes JSON strictly.
    fn to_json(&self) -> Vec<u8> {
        // Every model is a tree of strings, numbers and maps with string keys,
        // for which serde_json cannot fail; an empty body would be caught by
        // the server's validation.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes CBOR (as hawkBit's Jackson CBOR mapper writes it) leniently.
    #[cfg(feature = "cbor")]
    fn from_cbor(bytes: &[u8]) -> Result<Self, DecodeError> {
        ciborium::de::from_reader(bytes).map_err(|e| DecodeError {
            document: Self::NAME,
            position: None,
            source: Box::new(e),
        })
    }

    /// Encodes CBOR strictly (same fields as JSON).
    #[cfg(feature = "cbor")]
    fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and the models have no non-string keys.
        let _ = ciborium::ser::into_writer(self, &mut out);
        out
    }
}

macro_rules! documents {
    ($($ty:ty => $name:literal),+ $(,)?) => {
        $(impl Document for $ty { const NAME: &'static str = $name; })+
    };
}

documents! {
    ControllerBase => "controller base",
    DeploymentBase => "deployment base",
    Artifact => "artifact",
    ArtifactList => "artifact list",
    ActionFeedback => "action feedback",
    Status => "feedback status",
    ConfigData => "config data",
    ConfirmationBase => "confirmation base",
    ConfirmationBaseAction => "confirmation base action",
    ConfirmationFeedback => "confirmation feedback",
    ActivateAutoConfirm => "auto-confirm activation",
    CancelAction => "cancel action",
    AssignedVersion => "assigned version",
    ExceptionInfo => "error body",
}

/// A document that could not be decoded.
///
/// `Display` names the document and, for JSON, the position; the underlying
/// parser error is available through [`std::error::Error::source`].
#[derive(Debug)]
pub struct DecodeError {
    document: &'static str,
    position: Option<(usize, usize)>,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl DecodeError {
    /// Which document failed.
    pub fn document(&self) -> &'static str {
        self.document
    }

    /// Line and column (1-based) of the problem in a JSON document.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} document", self.document)?;
        if let Some((line, column)) = self.position {
            write!(f, " at line {line} column {column}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}
