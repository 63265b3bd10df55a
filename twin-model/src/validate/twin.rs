//! IoT Hub limits for twins, patches, identities and import lines.

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::iothub::identity::{AuthenticationMechanism, DeviceIdentity};
use crate::iothub::ids::check_device_id;
use crate::iothub::import_export::ExportImportDevice;
use crate::iothub::twin::{Twin, TwinPatch};
use crate::validate::violation::{Rule, Violation, Violations, push};
use crate::validate::walker::{SectionLimits, SectionReport, walk_section};

/// `tags` limit in bytes.
pub const TAGS_MAX_BYTES: usize = 8 * 1024;
/// `properties.desired` and `properties.reported` limit in bytes, each.
pub const PROPERTIES_MAX_BYTES: usize = 32 * 1024;
/// Maximum object nesting inside tags, desired and reported.
pub const MAX_DEPTH: usize = 10;
/// Maximum key length in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Maximum string value length in bytes.
pub const MAX_STRING_BYTES: usize = 4 * 1024;
/// `statusReason` limit in characters.
pub const STATUS_REASON_MAX: usize = 128;

/// The limits IoT Hub applies inside tags, desired and reported.
pub const IOTHUB_LIMITS: SectionLimits = SectionLimits {
    max_depth: MAX_DEPTH,
    max_key_bytes: Some(MAX_KEY_BYTES),
    iothub_key_chars: true,
    max_string_bytes: Some(MAX_STRING_BYTES),
    iothub_integer_range: true,
    measure_json: false,
};

/// Checks one section (tags, desired or reported) and its size limit.
pub fn check_section(
    path: &str,
    section: &Map<String, Value>,
    max_bytes: usize,
    out: &mut Vec<Violation>,
) -> SectionReport {
    let report = walk_section(path, section, &IOTHUB_LIMITS, out);
    if report.iothub_size > max_bytes {
        push(
            out,
            || path.to_owned(),
            Rule::SectionTooLarge {
                size: report.iothub_size,
                limit: max_bytes,
            },
        );
    }
    report
}

fn check_id(path: &str, id: &str, out: &mut Vec<Violation>) {
    if let Err(e) = check_device_id(id) {
        push(
            out,
            || path.to_owned(),
            Rule::InvalidId {
                reason: e.to_string(),
            },
        );
    }
}

fn check_reason(reason: Option<&str>, out: &mut Vec<Violation>) {
    if let Some(r) = reason {
        let len = r.chars().count();
        if len > STATUS_REASON_MAX {
            push(
                out,
                || "statusReason".to_owned(),
                Rule::TextTooLong {
                    len,
                    limit: STATUS_REASON_MAX,
                },
            );
        }
    }
}

/// Checks a twin: ids, status reason, tags ≤ 8 KB, desired and reported
/// ≤ 32 KB each (IoT Hub's counting), depth, keys, integers, strings.
pub fn validate_twin(twin: &Twin) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_id("deviceId", &twin.device_id, &mut out);
    if let Some(m) = &twin.module_id {
        check_id("moduleId", m, &mut out);
    }
    check_reason(twin.status_reason.as_deref(), &mut out);
    if let Some(tags) = &twin.tags {
        check_section("tags", tags, TAGS_MAX_BYTES, &mut out);
    }
    if let Some(p) = &twin.properties {
        if let Some(d) = &p.desired {
            check_section(
                "properties.desired",
                &d.values,
                PROPERTIES_MAX_BYTES,
                &mut out,
            );
        }
        if let Some(r) = &p.reported {
            check_section(
                "properties.reported",
                &r.values,
                PROPERTIES_MAX_BYTES,
                &mut out,
            );
        }
    }
    Violations::into_result(out)
}

/// Checks a patch on its own (the resulting section may still grow past
/// its limit; check the patched twin for that).
pub fn validate_patch(patch: &TwinPatch) -> Result<(), Violations> {
    let mut out = Vec::new();
    if let Some(tags) = &patch.tags {
        check_section("tags", tags, TAGS_MAX_BYTES, &mut out);
    }
    if let Some(p) = &patch.properties {
        if let Some(d) = &p.desired {
            check_section("properties.desired", d, PROPERTIES_MAX_BYTES, &mut out);
        }
        if let Some(r) = &p.reported {
            check_section("properties.reported", r, PROPERTIES_MAX_BYTES, &mut out);
        }
    }
    Violations::into_result(out)
}

fn check_key(path: &str, key: Option<&crate::iothub::secret::Secret>, out: &mut Vec<Violation>) {
    let Some(key) = key else { return };
    // Lenient about non-zero trailing bits, as .NET's decoder (IoT Hub's) is.
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    match engine.decode(key.expose()) {
        Err(_) => push(out, || path.to_owned(), Rule::KeyNotBase64),
        Ok(bytes) if !(16..=64).contains(&bytes.len()) => {
            push(
                out,
                || path.to_owned(),
                Rule::KeyLength { len: bytes.len() },
            );
        }
        Ok(_) => {}
    }
}

fn check_auth(auth: Option<&AuthenticationMechanism>, out: &mut Vec<Violation>) {
    if let Some(sk) = auth.and_then(|a| a.symmetric_key.as_ref()) {
        check_key(
            "authentication.symmetricKey.primaryKey",
            sk.primary_key.as_ref(),
            out,
        );
        check_key(
            "authentication.symmetricKey.secondaryKey",
            sk.secondary_key.as_ref(),
            out,
        );
    }
}

/// Checks an identity: ids, status reason and SAS keys (base64, 16–64 bytes).
pub fn validate_identity(device: &DeviceIdentity) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_id("deviceId", &device.device_id, &mut out);
    if let Some(m) = &device.module_id {
        check_id("moduleId", m, &mut out);
    }
    check_reason(device.status_reason.as_deref(), &mut out);
    check_auth(device.authentication.as_ref(), &mut out);
    Violations::into_result(out)
}

/// Checks an import line: ids, keys and the twin sections it carries.
pub fn validate_import_line(line: &ExportImportDevice) -> Result<(), Violations> {
    let mut out = Vec::new();
    check_id("id", &line.id, &mut out);
    if let Some(m) = &line.module_id {
        check_id("moduleId", m, &mut out);
    }
    check_reason(line.status_reason.as_deref(), &mut out);
    check_auth(line.authentication.as_ref(), &mut out);
    if let Some(tags) = &line.tags {
        check_section("tags", tags, TAGS_MAX_BYTES, &mut out);
    }
    if let Some(p) = &line.properties {
        if let Some(d) = &p.desired {
            check_section(
                "properties.desired",
                &d.values,
                PROPERTIES_MAX_BYTES,
                &mut out,
            );
        }
        if let Some(r) = &p.reported {
            check_section(
                "properties.reported",
                &r.values,
                PROPERTIES_MAX_BYTES,
                &mut out,
            );
        }
    }
    Violations::into_result(out)
}
