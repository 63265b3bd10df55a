//! Identity registry records (`Device` and `Module` of the REST API).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::etag::ETag;
use crate::iothub::secret::Secret;
use crate::iothub::status::{AuthenticationType, ConnectionState, DeviceStatus};
use crate::iothub::twin::{Capabilities, X509Thumbprint};
use crate::timestamp::Timestamp;

/// `symmetricKey`: base64 keys of 16 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymmetricKey {
    /// Primary key (base64); `null` when keys were excluded from an export.
    #[serde(default)]
    pub primary_key: Option<Secret>,
    /// Secondary key (base64).
    #[serde(default)]
    pub secondary_key: Option<Secret>,
}

/// `authentication` of a device or module identity.
///
/// Kinds: SAS (`symmetricKey`), self-signed X.509 (`x509Thumbprint`),
/// CA-signed X.509 (type only) and none. Creating a device without this
/// object gives SAS with generated keys.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationMechanism {
    /// The kind; absent in export lines that only carry keys.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<AuthenticationType>,
    /// Keys for SAS authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symmetric_key: Option<SymmetricKey>,
    /// Thumbprints for self-signed X.509 authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_thumbprint: Option<X509Thumbprint>,
}

impl AuthenticationMechanism {
    /// SAS with the given base64 keys.
    pub fn sas(primary: impl Into<String>, secondary: impl Into<String>) -> Self {
        Self {
            kind: Some(AuthenticationType::Sas),
            symmetric_key: Some(SymmetricKey {
                primary_key: Some(Secret::new(primary)),
                secondary_key: Some(Secret::new(secondary)),
            }),
            x509_thumbprint: None,
        }
    }

    /// Self-signed X.509 with the given thumbprints.
    pub fn self_signed(primary: impl Into<String>, secondary: Option<String>) -> Self {
        Self {
            kind: Some(AuthenticationType::SelfSigned),
            symmetric_key: None,
            x509_thumbprint: Some(X509Thumbprint {
                primary_thumbprint: Some(primary.into()),
                secondary_thumbprint: secondary,
            }),
        }
    }

    /// X.509 signed by a registered certificate authority.
    pub fn certificate_authority() -> Self {
        Self {
            kind: Some(AuthenticationType::CertificateAuthority),
            ..Self::default()
        }
    }

    /// No credentials.
    pub fn none() -> Self {
        Self {
            kind: Some(AuthenticationType::None),
            ..Self::default()
        }
    }
}

/// A device (or, with `module_id`, module) identity record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceIdentity {
    /// Case-sensitive id.
    #[serde(default)]
    pub device_id: String,
    /// Module id for module identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// Hub-generated id distinguishing re-created devices with the same id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_id: Option<String>,
    /// ETag of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<ETag>,
    /// Enabled or disabled (modules cannot be disabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// Why the status was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// `statusUpdatedTime` (twins call it `statusUpdateTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_updated_time: Option<Timestamp>,
    /// Connection state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// When the connection state last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state_updated_time: Option<Timestamp>,
    /// Last activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_time: Option<Timestamp>,
    /// Queued cloud-to-device messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_to_device_message_count: Option<i64>,
    /// Credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<AuthenticationMechanism>,
    /// Capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Nested-Edge scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_scope: Option<String>,
    /// Nested-Edge parent scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_scopes: Option<Vec<String>>,
    /// Who manages a module (e.g. the IoT Edge runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    /// Opaque `attributes` of api-version 2024-03-31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
}

/// Body of a bulk registry call's answer (HTTP 200 and 400 alike).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRegistryOperationResult {
    /// True when every operation succeeded.
    #[serde(default)]
    pub is_successful: bool,
    /// Per-device failures.
    #[serde(default)]
    pub errors: Vec<DeviceRegistryOperationError>,
    /// Per-device warnings.
    #[serde(default)]
    pub warnings: Vec<DeviceRegistryOperationWarning>,
}

/// One failure of a bulk registry call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistryOperationError {
    /// The device.
    #[serde(default)]
    pub device_id: String,
    /// The module, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<String>,
    /// Service error code (e.g. `DeviceAlreadyExists`).
    #[serde(default)]
    pub error_code: String,
    /// Human-readable status.
    #[serde(default)]
    pub error_status: String,
    /// The operation that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

/// One warning of a bulk registry call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistryOperationWarning {
    /// The device.
    #[serde(default)]
    pub device_id: String,
    /// Warning code.
    #[serde(default)]
    pub warning_code: String,
    /// Human-readable status.
    #[serde(default)]
    pub warning_status: String,
}
