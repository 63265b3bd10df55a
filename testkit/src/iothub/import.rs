//! One `ExportImportDevice` line applied to the registry, for bulk calls
//! (`POST /devices`) and import jobs alike, with every `importMode`.

use serde_json::{Map, Value};

use super::error::HubError;
use super::store::{IdentityInput, Store, unquote};

/// Applies one line; `Err` is the per-device error the hub reports.
pub(crate) fn apply_line(store: &mut Store, line: &Map<String, Value>) -> Result<(), HubError> {
    let id = line
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| HubError::invalid("an import line has no id"))?
        .to_owned();
    super::store::check_id(&id)?;
    let mode = line
        .get("importMode")
        .and_then(Value::as_str)
        .unwrap_or("createOrUpdate");
    let input = IdentityInput::from_json(line)?;
    let tags = line.get("tags").and_then(Value::as_object).cloned();
    let desired = line
        .get("properties")
        .and_then(|p| p.get("desired"))
        .and_then(Value::as_object)
        .map(|d| {
            let mut d = d.clone();
            d.retain(|k, _| !k.starts_with('$'));
            d
        });
    let etag = line.get("eTag").and_then(Value::as_str).map(unquote);
    let twin_etag = line.get("twinETag").and_then(Value::as_str).map(unquote);
    let current = store.devices.get(&id);
    let etag_matches = |want: Option<&str>| {
        let have = current.map(super::store::Device::etag);
        match want {
            None | Some("*") => true,
            Some(w) => have.as_deref() == Some(w),
        }
    };
    match mode {
        "create" => {
            if current.is_some() {
                return Err(HubError::exists(&id));
            }
            store.insert(&id, &input, tags, desired).map(drop)
        }
        "createOrUpdate" | "createOrUpdateIfMatchETag" => {
            if current.is_none() {
                return store.insert(&id, &input, tags, desired).map(drop);
            }
            if mode == "createOrUpdateIfMatchETag" && !etag_matches(etag) {
                return Err(HubError::precondition(&id));
            }
            store.replace(&id, &input, tags, desired).map(drop)
        }
        "update" | "updateIfMatchETag" => {
            if current.is_none() {
                return Err(HubError::not_found(&id));
            }
            if mode == "updateIfMatchETag" && !etag_matches(etag) {
                return Err(HubError::precondition(&id));
            }
            store.replace(&id, &input, tags, desired).map(drop)
        }
        "delete" | "deleteIfMatchETag" => {
            if current.is_none() {
                return Err(HubError::not_found(&id));
            }
            if mode == "deleteIfMatchETag" && !etag_matches(etag) {
                return Err(HubError::precondition(&id));
            }
            store.remove(&id)
        }
        "updateTwin" | "updateTwinIfMatchETag" => {
            let Some(d) = current else {
                return Err(HubError::not_found(&id));
            };
            if mode == "updateTwinIfMatchETag"
                && twin_etag.is_some_and(|t| t != "*" && t != d.twin_etag())
            {
                return Err(HubError::precondition(&id));
            }
            let mut body = Map::new();
            body.insert("tags".into(), Value::Object(tags.unwrap_or_default()));
            let mut props = Map::new();
            props.insert("desired".into(), Value::Object(desired.unwrap_or_default()));
            body.insert("properties".into(), Value::Object(props));
            store.twin_write(&id, &body, true).map(drop)
        }
        other => Err(HubError::invalid(format!(
            "importMode '{other}' is invalid"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_mode_follows_the_documented_rules() {
        let mut s = Store::new("hub");
        let code = |r: Result<(), HubError>| r.err().map(|e| e.code);
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "create", "tags": {"t": "1"}}))
            )),
            None
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "create"}))
            )),
            Some("DeviceAlreadyExists")
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "b", "importMode": "update"}))
            )),
            Some("DeviceNotFound")
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "updateIfMatchETag", "eTag": "bm9wZQ=="}))
            )),
            Some("PreconditionFailed")
        );
        let etag = s.devices["a"].etag();
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(
                    json!({"id": "a", "importMode": "updateIfMatchETag", "eTag": etag, "status": "disabled", "statusReason": "r"})
                )
            )),
            None
        );
        assert!(s.devices["a"].disabled);
        assert_eq!(
            s.devices["a"].tags,
            line(json!({"t": "1"})),
            "no tags in the line keeps them"
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(
                    json!({"id": "a", "importMode": "updateTwinIfMatchETag", "twinETag": "AAAAAAAAAAA=", "tags": {}})
                )
            )),
            Some("PreconditionFailed")
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "updateTwin", "tags": {"u": 2}}))
            )),
            None
        );
        assert_eq!(s.devices["a"].tags, line(json!({"u": 2})));
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "deleteIfMatchETag", "eTag": "bm9wZQ=="}))
            )),
            Some("PreconditionFailed")
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "delete"}))
            )),
            None
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "a", "importMode": "delete"}))
            )),
            Some("DeviceNotFound")
        );
        assert_eq!(
            code(apply_line(&mut s, &line(json!({"id": "c"})))),
            None,
            "createOrUpdate by default"
        );
        assert_eq!(
            code(apply_line(
                &mut s,
                &line(json!({"id": "c", "importMode": "sideways"}))
            )),
            Some("ArgumentInvalid")
        );
        assert_eq!(
            code(apply_line(&mut s, &line(json!({"id": "c d"})))),
            Some("ArgumentInvalid")
        );
    }
}
