//! IoT Edge modules to hawkBit software modules and back.
//!
//! A module `id` becomes a software module of type [`EDGE_MODULE_TYPE`]
//! named `id`, with the module's `version` (or, when it has none, the
//! image tag or `latest`, marked by [`KEY_VERSION_UNSET`] so the reverse
//! restores "no version"). Everything else travels as metadata under
//! `edge.` keys: `edge.image`, `edge.type`, `edge.status`,
//! `edge.restartPolicy`, `edge.startupOrder`, `edge.imagePullPolicy`,
//! `edge.createOptions` (the string as is) and `edge.env` (JSON). System
//! modules (`edgeAgent`, `edgeHub`) are not mapped: the runtime owns them.

use std::collections::BTreeMap;

use crate::hawkbit::target::{
    METADATA_VALUE_MAX, MetadataEntry, NAME_MAX, SoftwareModule, java_len,
};
use crate::iothub::edge::{
    CreateOptions, EdgeModule, ImagePullPolicy, ModuleSettings, ModuleStatus, RestartPolicy,
};

/// Software module type key used for Edge modules.
pub const EDGE_MODULE_TYPE: &str = "iotedge-module";
/// Metadata key marking a module that had no `version`.
pub const KEY_VERSION_UNSET: &str = "edge.versionUnset";

/// Why a module could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EdgeModuleError {
    /// A value does not fit hawkBit's limit.
    #[error("module `{module}`: {field} has {len} characters, more than {limit}")]
    TooLong {
        /// Module id.
        module: String,
        /// Which field.
        field: String,
        /// Length.
        len: usize,
        /// Limit.
        limit: usize,
    },
    /// The software module is not an Edge module or lacks `edge.image`.
    #[error("software module `{name}` is not an edge module: {reason}")]
    NotEdgeModule {
        /// Software module name.
        name: String,
        /// What is missing.
        reason: &'static str,
    },
    /// A metadata value does not parse.
    #[error("software module `{name}`: metadata `{key}` is invalid")]
    InvalidMetadata {
        /// Software module name.
        name: String,
        /// Metadata key.
        key: String,
    },
}

fn image_tag(image: &str) -> Option<&str> {
    let last = image.rsplit('/').next()?;
    last.split_once(':')
        .map(|(_, t)| t)
        .filter(|t| !t.is_empty())
}

/// Maps one module.
pub fn module_to_software_module(
    id: &str,
    module: &EdgeModule,
) -> Result<SoftwareModule, EdgeModuleError> {
    let too_long = |field: &str, len: usize, limit: usize| EdgeModuleError::TooLong {
        module: id.to_owned(),
        field: field.to_owned(),
        len,
        limit,
    };
    let mut metadata = vec![MetadataEntry {
        key: "edge.image".into(),
        value: module.settings.image.clone(),
    }];
    let mut push = |k: &str, v: Option<String>| {
        if let Some(value) = v {
            metadata.push(MetadataEntry {
                key: k.to_owned(),
                value,
            });
        }
    };
    push("edge.type", Some(module.kind.clone()));
    push(
        "edge.status",
        module.status.as_ref().map(ToString::to_string),
    );
    push(
        "edge.restartPolicy",
        module.restart_policy.as_ref().map(ToString::to_string),
    );
    push(
        "edge.startupOrder",
        module.startup_order.map(|o| o.to_string()),
    );
    push(
        "edge.imagePullPolicy",
        module.image_pull_policy.as_ref().map(ToString::to_string),
    );
    push(
        "edge.createOptions",
        module.settings.create_options.as_ref().map(|c| c.0.clone()),
    );
    push(
        "edge.env",
        module
            .env
            .as_ref()
            .map(|e| serde_json::to_string(e).unwrap_or_default()),
    );
    let version = match &module.version {
        Some(v) => v.clone(),
        None => {
            push(KEY_VERSION_UNSET, Some("true".into()));
            image_tag(&module.settings.image)
                .unwrap_or("latest")
                .to_owned()
        }
    };
    for e in &metadata {
        let len = java_len(&e.value);
        if len > METADATA_VALUE_MAX {
            return Err(too_long(&e.key, len, METADATA_VALUE_MAX));
        }
    }
    for (field, v) in [("name", id), ("version", version.as_str())] {
        let len = java_len(v);
        if len == 0 || len > NAME_MAX {
            return Err(too_long(field, len, NAME_MAX));
        }
    }
    metadata.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(SoftwareModule {
        name: id.to_owned(),
        version,
        module_type: EDGE_MODULE_TYPE.to_owned(),
        vendor: None,
        description: None,
        metadata,
    })
}

/// Rebuilds the module (id and definition) from a software module.
pub fn software_module_to_module(
    sm: &SoftwareModule,
) -> Result<(String, EdgeModule), EdgeModuleError> {
    if sm.module_type != EDGE_MODULE_TYPE {
        return Err(EdgeModuleError::NotEdgeModule {
            name: sm.name.clone(),
            reason: "type is not iotedge-module",
        });
    }
    let get = |k: &str| {
        sm.metadata
            .iter()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    let image = get("edge.image").ok_or_else(|| EdgeModuleError::NotEdgeModule {
        name: sm.name.clone(),
        reason: "no edge.image metadata",
    })?;
    let invalid = |key: &str| EdgeModuleError::InvalidMetadata {
        name: sm.name.clone(),
        key: key.to_owned(),
    };
    let startup_order = get("edge.startupOrder")
        .map(|s| s.parse::<u32>().map_err(|_| invalid("edge.startupOrder")))
        .transpose()?;
    let env = get("edge.env")
        .map(|s| serde_json::from_str(s).map_err(|_| invalid("edge.env")))
        .transpose()?;
    let module = EdgeModule {
        version: if get(KEY_VERSION_UNSET) == Some("true") {
            None
        } else {
            Some(sm.version.clone())
        },
        kind: get("edge.type").unwrap_or("docker").to_owned(),
        status: get("edge.status").map(ModuleStatus::from),
        restart_policy: get("edge.restartPolicy").map(RestartPolicy::from),
        startup_order,
        image_pull_policy: get("edge.imagePullPolicy").map(ImagePullPolicy::from),
        env,
        settings: ModuleSettings {
            image: image.to_owned(),
            create_options: get("edge.createOptions").map(|c| CreateOptions(c.to_owned())),
        },
    };
    Ok((sm.name.clone(), module))
}

/// Maps every user module of a manifest's `$edgeAgent` in id order.
pub fn modules_to_software_modules(
    modules: &BTreeMap<String, EdgeModule>,
) -> Result<Vec<SoftwareModule>, EdgeModuleError> {
    modules
        .iter()
        .map(|(id, m)| module_to_software_module(id, m))
        .collect()
}

/// The reverse of [`modules_to_software_modules`].
pub fn software_modules_to_modules(
    modules: &[SoftwareModule],
) -> Result<BTreeMap<String, EdgeModule>, EdgeModuleError> {
    modules.iter().map(software_module_to_module).collect()
}
