//! Between [`DeviceRecord`]s and IoT Hub's documents (twin-model types).
//!
//! * `tags` ↔ twin tags and `attributes` ↔ desired properties, flattened
//!   with `.` (twin keys cannot contain `.`); a flat value goes back as the
//!   JSON scalar or array it spells when that reads back to the same text
//!   (`2`, `true`, `[1]`), else as a string, so writing and reading back is
//!   exact;
//! * `reported` ← reported properties (read only: devices write them);
//! * `status` ↔ `status` + `statusReason`;
//! * `credentials` ↔ SAS symmetric keys (only identities carry them);
//! * `etag` ↔ the identity etag (`etag` of a `Device`, `deviceEtag` of a
//!   twin, `eTag` of an import line).

use crate::error::{Error, ErrorKind, Result};
use crate::model::Properties;
use crate::model::{Credentials, DeviceId, DeviceRecord, DeviceStatus, Etag, Secret};
use crate::plan::{Operation, Precondition};
use crate::twin_json::flat;
use serde_json::{Map, Value};
use twin_model::etag::ETag;
use twin_model::iothub::identity::{AuthenticationMechanism, DeviceIdentity, SymmetricKey};
use twin_model::iothub::import_export::{ExportImportDevice, ImportMode};
use twin_model::iothub::properties::{PropertySection, TwinProperties};
use twin_model::iothub::status::DeviceStatus as HubStatus;
use twin_model::iothub::twin::Twin;

fn status_of(status: Option<&HubStatus>, reason: Option<&str>) -> DeviceStatus {
    match status {
        Some(HubStatus::Disabled) => DeviceStatus::Disabled {
            reason: reason.map(Into::into),
        },
        _ => DeviceStatus::Enabled,
    }
}

/// A record from a twin (query rows, `GET /twins`): no credentials.
pub(crate) fn record_from_twin(twin: &Twin) -> DeviceRecord {
    let mut r = DeviceRecord::new(DeviceId::new(twin.device_id.as_str()));
    r.status = status_of(twin.status.as_ref(), twin.status_reason.as_deref());
    r.etag = twin
        .device_etag
        .as_ref()
        .filter(|e| !e.is_null_literal())
        .map(|e| Etag::new(e.as_str()));
    if let Some(tags) = &twin.tags {
        r.tags = flat(tags);
    }
    if let Some(d) = twin.desired() {
        r.attributes = flat(d);
    }
    if let Some(rep) = twin.reported() {
        r.reported = flat(rep);
    }
    r
}

/// The credentials of an identity, when it authenticates with SAS keys.
pub(crate) fn credentials_of(identity: &DeviceIdentity) -> Option<Credentials> {
    let keys = identity.authentication.as_ref()?.symmetric_key.as_ref()?;
    let primary = keys.primary_key.as_ref()?;
    Some(Credentials::new(
        primary.clone(),
        keys.secondary_key.clone(),
    ))
}

/// Fills the identity side (status, etag, keys when `keys`) into `r`.
pub(crate) fn merge_identity(r: &mut DeviceRecord, identity: &DeviceIdentity, keys: bool) {
    r.status = status_of(identity.status.as_ref(), identity.status_reason.as_deref());
    r.etag = identity.etag.as_ref().map(|e| Etag::new(e.as_str()));
    if keys {
        r.credentials = credentials_of(identity);
    }
}

/// Flat properties back into a JSON tree; a key that is both a leaf and a
/// parent (`a` and `a.b`) is rejected.
pub(crate) fn unflatten(props: &Properties, what: &str) -> Result<Map<String, Value>> {
    crate::twin_json::tree(props).map_err(|(k, e)| {
        Error::new(ErrorKind::Rejected)
            .with_context(format!("{what} key {k} cannot be written"))
            .with_source(e)
    })
}

fn authentication(c: &Credentials) -> AuthenticationMechanism {
    AuthenticationMechanism {
        symmetric_key: Some(SymmetricKey {
            primary_key: Some(Secret::new(c.expose_primary())),
            secondary_key: c.expose_secondary().map(Secret::new),
        }),
        ..AuthenticationMechanism::sas("", "")
    }
}

fn hub_status(s: &DeviceStatus) -> (HubStatus, Option<String>) {
    match s {
        DeviceStatus::Disabled { reason } => {
            (HubStatus::Disabled, reason.as_deref().map(str::to_owned))
        }
        _ => (HubStatus::Enabled, None),
    }
}

fn etag_of(p: &Precondition) -> Option<ETag> {
    match p {
        Precondition::IfMatch(e) => Some(ETag::new(e.as_str())),
        _ => None,
    }
}

/// The full line for a create or update: identity, tags and desired.
fn full_line(
    device: &DeviceRecord,
    mode: ImportMode,
    etag: Option<ETag>,
) -> Result<ExportImportDevice> {
    let (status, reason) = hub_status(&device.status);
    Ok(ExportImportDevice {
        id: device.id.as_str().to_owned(),
        e_tag: etag,
        import_mode: Some(mode),
        status: Some(status),
        status_reason: reason,
        authentication: device.credentials.as_ref().map(authentication),
        tags: Some(unflatten(&device.tags, "tag")?),
        properties: Some(TwinProperties {
            desired: Some(PropertySection::from_values(unflatten(
                &device.attributes,
                "attribute",
            )?)),
            reported: None,
        }),
        ..ExportImportDevice::default()
    })
}

/// One operation as an `ExportImportDevice` line (bulk calls and import
/// jobs): create → `create`; update → `updateIfMatchETag` (or `update`
/// without an etag); delete → `deleteIfMatchETag` / `delete`; disable →
/// an update of status and reason only (no tags or properties, so the twin
/// is left alone, and no authentication, so the keys are kept).
pub(crate) fn import_line(op: &Operation) -> Result<ExportImportDevice> {
    match op {
        Operation::Create { device } => full_line(device, ImportMode::Create, None),
        Operation::Update {
            device,
            precondition,
        } => {
            let etag = etag_of(precondition);
            let mode = if etag.is_some() {
                ImportMode::UpdateIfMatchETag
            } else {
                ImportMode::Update
            };
            full_line(device, mode, etag)
        }
        Operation::Delete { id, precondition } => {
            let etag = etag_of(precondition);
            Ok(ExportImportDevice {
                id: id.as_str().to_owned(),
                import_mode: Some(if etag.is_some() {
                    ImportMode::DeleteIfMatchETag
                } else {
                    ImportMode::Delete
                }),
                e_tag: etag,
                ..ExportImportDevice::default()
            })
        }
        Operation::Disable {
            id,
            reason,
            precondition,
        } => {
            let etag = etag_of(precondition);
            Ok(ExportImportDevice {
                id: id.as_str().to_owned(),
                import_mode: Some(if etag.is_some() {
                    ImportMode::UpdateIfMatchETag
                } else {
                    ImportMode::Update
                }),
                e_tag: etag,
                status: Some(HubStatus::Disabled),
                status_reason: Some(reason.to_string()),
                ..ExportImportDevice::default()
            })
        }
    }
}

/// A record from an import/export line (export blobs, vectors).
pub(crate) fn record_from_line(line: &ExportImportDevice) -> DeviceRecord {
    let mut r = DeviceRecord::new(DeviceId::new(line.id.as_str()));
    r.status = status_of(line.status.as_ref(), line.status_reason.as_deref());
    r.etag = line.e_tag.as_ref().map(|e| Etag::new(e.as_str()));
    r.credentials = line
        .authentication
        .as_ref()
        .and_then(|a| a.symmetric_key.as_ref())
        .and_then(|k| {
            let p = k.primary_key.as_ref()?;
            Some(Credentials::new(p.clone(), k.secondary_key.clone()))
        });
    if let Some(t) = &line.tags {
        r.tags = flat(t);
    }
    if let Some(p) = &line.properties {
        if let Some(d) = &p.desired {
            r.attributes = flat(&d.values);
        }
        if let Some(rep) = &p.reported {
            r.reported = flat(&rep.values);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn leaf_and_parent_is_rejected() {
        let p: Properties = [("a", "1"), ("a.b", "2")].into_iter().collect();
        assert_eq!(
            unflatten(&p, "tag").unwrap_err().kind(),
            ErrorKind::Rejected
        );
    }

    #[test]
    fn operations_pick_the_documented_modes() {
        let d = DeviceRecord::new("d").with_tag("loc.city", "x");
        let e = Precondition::IfMatch(Etag::new("MQ=="));
        let modes: Vec<(Option<ImportMode>, Option<&str>)> = [
            Operation::Create { device: d.clone() },
            Operation::Update {
                device: d.clone(),
                precondition: e.clone(),
            },
            Operation::Update {
                device: d.clone(),
                precondition: Precondition::Any,
            },
            Operation::Delete {
                id: d.id.clone(),
                precondition: e.clone(),
            },
            Operation::Delete {
                id: d.id.clone(),
                precondition: Precondition::Any,
            },
            Operation::Disable {
                id: d.id.clone(),
                reason: "gone".into(),
                precondition: e,
            },
        ]
        .iter()
        .map(|op| import_line(op).unwrap())
        .map(|l| (l.import_mode.clone(), l.e_tag.map(|_| "etag")))
        .collect();
        use ImportMode::*;
        assert_eq!(
            modes,
            [
                (Some(Create), None),
                (Some(UpdateIfMatchETag), Some("etag")),
                (Some(Update), None),
                (Some(DeleteIfMatchETag), Some("etag")),
                (Some(Delete), None),
                (Some(UpdateIfMatchETag), Some("etag")),
            ]
        );
        let line = import_line(&Operation::Create { device: d }).unwrap();
        assert_eq!(line.tags.unwrap()["loc"]["city"], "x");
    }

    proptest! {
        #[test]
        fn tags_survive_a_write_and_a_read(entries in proptest::collection::vec(("[a-z]{1,4}(\\.[a-z]{1,3})?", "\\PC{0,8}"), 0..8)) {
            // Keys must not be both a leaf and a parent; drop such entries first.
            let mut p: Properties = entries.into_iter().collect();
            let keys: Vec<String> = p.iter().map(|(k, _)| k.to_owned()).collect();
            for k in &keys {
                if keys.iter().any(|o| o.starts_with(&format!("{k}."))) {
                    p.remove(k);
                }
            }
            let tree = unflatten(&p, "tag").unwrap();
            prop_assert_eq!(flat(&tree), p);
        }
    }
}
