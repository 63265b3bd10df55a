//! `properties.desired` / `properties.reported` with `$metadata` and `$version`.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::iothub::metadata::MetadataNode;

/// One property section of a twin: user JSON plus the service's
/// `$metadata` and `$version`, split into typed fields.
///
/// Size limits apply to `values` only; `$metadata` and `$version` are not
/// counted by IoT Hub.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PropertySection {
    /// The user properties (no `$`-prefixed keys).
    pub values: Map<String, Value>,
    /// `$metadata`.
    pub metadata: Option<MetadataNode>,
    /// `$version`, strictly increasing per section.
    pub version: Option<i64>,
}

impl PropertySection {
    /// A section holding `values` with no metadata or version.
    pub fn from_values(values: Map<String, Value>) -> Self {
        Self {
            values,
            metadata: None,
            version: None,
        }
    }
}

impl Serialize for PropertySection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let len = self.values.len()
            + usize::from(self.metadata.is_some())
            + usize::from(self.version.is_some());
        let mut m = s.serialize_map(Some(len))?;
        for (k, v) in &self.values {
            m.serialize_entry(k, v)?;
        }
        if let Some(md) = &self.metadata {
            m.serialize_entry("$metadata", md)?;
        }
        if let Some(v) = &self.version {
            m.serialize_entry("$version", v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for PropertySection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut values = match Value::deserialize(d)? {
            Value::Object(map) => map,
            other => {
                return Err(D::Error::custom(format_args!(
                    "expected a property section object, found {}",
                    crate::json_kind(&other)
                )));
            }
        };
        let metadata = match values.remove("$metadata") {
            Some(Value::Object(m)) => Some(MetadataNode::from_map(&m)),
            _ => None,
        };
        let version = values.remove("$version").and_then(|v| v.as_i64());
        Ok(Self {
            values,
            metadata,
            version,
        })
    }
}

/// `properties` of a twin.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TwinProperties {
    /// Written by the back end, read by the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<PropertySection>,
    /// Written by the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<PropertySection>,
}
