//! The identity registry and twins: devices in id order, etags, generation
//! ids, auto-generated keys and the applied-mutation log.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::error::HubError;
use super::limits::{PROPERTIES_LIMIT, TAGS_LIMIT, check_section};

/// What a successful write did to one device.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MutationKind {
    /// The identity was created.
    Create,
    /// The identity (and possibly its twin) was replaced.
    Update,
    /// The identity was deleted.
    Delete,
    /// Tags or desired properties changed.
    TwinUpdate,
    /// The device reported properties (test hook).
    Reported,
}

/// One applied write, in the order the hub applied it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// 1-based position in the log.
    pub sequence: u64,
    /// The device.
    pub device_id: String,
    /// The write.
    pub kind: MutationKind,
}

/// How a device authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    Sas {
        primary: String,
        secondary: String,
    },
    SelfSigned {
        primary: Option<String>,
        secondary: Option<String>,
    },
    CertificateAuthority,
    None,
}

/// One device: identity and twin.
#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub(crate) id: String,
    generation: u64,
    etag: u64,
    pub(crate) disabled: bool,
    pub(crate) status_reason: Option<String>,
    status_updated: String,
    pub(crate) auth: Auth,
    edge: bool,
    twin_version: i64,
    twin_etag: u64,
    pub(crate) tags: Map<String, Value>,
    pub(crate) desired: Map<String, Value>,
    desired_version: i64,
    desired_updated: String,
    pub(crate) reported: Map<String, Value>,
    reported_version: i64,
    reported_updated: String,
}

/// The identity etag text (`MA==` style: base64 of a decimal counter).
fn identity_etag(n: u64) -> String {
    STANDARD.encode(n.to_string())
}

/// The twin etag text (`AAAAAAAAAAc=` style: base64 of 8 big-endian bytes).
fn twin_etag(n: u64) -> String {
    STANDARD.encode(n.to_be_bytes())
}

/// The current time as IoT Hub writes it (RFC 3339, UTC).
pub(crate) fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "0001-01-01T00:00:00".into())
}

const NEVER: &str = "0001-01-01T00:00:00Z";

/// Strips the quotes of an `If-Match` value (`"MA=="` or `MA==`).
pub(crate) fn unquote(tag: &str) -> &str {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t)
}

/// The device-id rules of the current documentation: 1-128 ASCII letters,
/// digits and `- . % _ * ? ! ( ) , : = @ $ '`.
pub(crate) fn check_id(id: &str) -> Result<(), HubError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-.%_*?!(),:=@$'".contains(c);
    if id.is_empty() || id.len() > 128 || !id.chars().all(ok_char) {
        return Err(HubError::invalid(format!(
            "DeviceId '{id}' is invalid: 1-128 ASCII letters, digits and -.%_*?!(),:=@$' only"
        )));
    }
    Ok(())
}

/// The writable identity fields of a `Device` body or an import line.
#[derive(Debug, Default, Clone)]
pub(crate) struct IdentityInput {
    pub(crate) disabled: Option<bool>,
    pub(crate) status_reason: Option<String>,
    /// `None` = the body had no `authentication`.
    pub(crate) auth: Option<Value>,
    pub(crate) edge: Option<bool>,
}

impl IdentityInput {
    pub(crate) fn from_json(o: &Map<String, Value>) -> Result<Self, HubError> {
        let disabled = match o.get("status").and_then(Value::as_str) {
            None => None,
            Some(s) if s.eq_ignore_ascii_case("enabled") => Some(false),
            Some(s) if s.eq_ignore_ascii_case("disabled") => Some(true),
            Some(s) => return Err(HubError::invalid(format!("status '{s}' is invalid"))),
        };
        let status_reason = o
            .get("statusReason")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if status_reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > 128)
        {
            return Err(HubError::invalid(
                "statusReason is longer than 128 characters",
            ));
        }
        let auth = o.get("authentication").filter(|a| !a.is_null()).cloned();
        let edge = o
            .get("capabilities")
            .and_then(|c| c.get("iotEdge"))
            .and_then(Value::as_bool);
        Ok(Self {
            disabled,
            status_reason,
            auth,
            edge,
        })
    }
}

/// The registry.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) devices: BTreeMap<String, Device>,
    counter: u64,
    pub(crate) mutations: Vec<Mutation>,
    pub(crate) hub: String,
    pub(crate) events: super::events::EventSink,
    /// Seeding: no mutation log entry, no event.
    pub(crate) quiet: bool,
}

impl Store {
    pub(crate) fn new(hub: &str) -> Self {
        Self {
            hub: hub.to_owned(),
            ..Self::default()
        }
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn log(&mut self, id: &str, kind: MutationKind) {
        if self.quiet {
            return;
        }
        let sequence = self.mutations.len() as u64 + 1;
        self.mutations.push(Mutation {
            sequence,
            device_id: id.to_owned(),
            kind,
        });
    }

    /// A 32-byte key in base64, derived from the hub, the id and a counter.
    fn key(&mut self, id: &str, which: &str) -> String {
        let n = self.next();
        let digest = Sha256::digest(format!("{}/{id}/{which}/{n}", self.hub).as_bytes());
        STANDARD.encode(digest)
    }

    fn auth_from(&mut self, id: &str, input: Option<&Value>) -> Result<Auth, HubError> {
        let Some(a) = input else {
            return Ok(Auth::Sas {
                primary: self.key(id, "primary"),
                secondary: self.key(id, "secondary"),
            });
        };
        let kind = a.get("type").and_then(Value::as_str).unwrap_or("sas");
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        match kind {
            "sas" => {
                let keys = a.get("symmetricKey");
                let primary = text(keys.and_then(|k| k.get("primaryKey")));
                let secondary = text(keys.and_then(|k| k.get("secondaryKey")));
                for k in [&primary, &secondary].into_iter().flatten() {
                    let len = STANDARD.decode(k).map(|b| b.len()).unwrap_or(0);
                    if !(16..=64).contains(&len) {
                        return Err(HubError::invalid(
                            "symmetric keys must be base64 of 16 to 64 bytes",
                        ));
                    }
                }
                Ok(Auth::Sas {
                    primary: primary.unwrap_or_else(|| self.key(id, "primary")),
                    secondary: secondary.unwrap_or_else(|| self.key(id, "secondary")),
                })
            }
            "selfSigned" => {
                let t = a.get("x509Thumbprint");
                Ok(Auth::SelfSigned {
                    primary: text(t.and_then(|t| t.get("primaryThumbprint"))),
                    secondary: text(t.and_then(|t| t.get("secondaryThumbprint"))),
                })
            }
            "certificateAuthority" => Ok(Auth::CertificateAuthority),
            "none" => Ok(Auth::None),
            other => Err(HubError::invalid(format!(
                "authentication type '{other}' is invalid"
            ))),
        }
    }

    /// Creates a device; the caller checked that it does not exist.
    pub(crate) fn insert(
        &mut self,
        id: &str,
        input: &IdentityInput,
        tags: Option<Map<String, Value>>,
        desired: Option<Map<String, Value>>,
    ) -> Result<&Device, HubError> {
        check_id(id)?;
        check_twin(tags.as_ref(), desired.as_ref())?;
        let auth = self.auth_from(id, input.auth.as_ref())?;
        let now = now_text();
        let (generation, etag, twin) = (self.next(), self.next(), self.next());
        let d = Device {
            id: id.to_owned(),
            generation,
            etag,
            disabled: input.disabled.unwrap_or(false),
            status_reason: input.status_reason.clone(),
            status_updated: now.clone(),
            auth,
            edge: input.edge.unwrap_or(false),
            twin_version: 1,
            twin_etag: twin,
            tags: tags.unwrap_or_default(),
            desired: desired.unwrap_or_default(),
            desired_version: 1,
            desired_updated: now.clone(),
            reported: Map::new(),
            reported_version: 1,
            reported_updated: now,
        };
        if !self.quiet {
            self.events.publish(&self.hub, id, d.twin_json(), true);
        }
        self.devices.insert(id.to_owned(), d);
        self.log(id, MutationKind::Create);
        self.devices.get(id).ok_or_else(|| HubError::not_found(id))
    }

    /// Replaces the identity fields (and tags/desired when given) of an
    /// existing device; the caller checked preconditions.
    pub(crate) fn replace(
        &mut self,
        id: &str,
        input: &IdentityInput,
        tags: Option<Map<String, Value>>,
        desired: Option<Map<String, Value>>,
    ) -> Result<&Device, HubError> {
        check_twin(tags.as_ref(), desired.as_ref())?;
        let auth = match &input.auth {
            Some(a) => Some(self.auth_from(id, Some(a))?),
            None => None,
        };
        let (etag, twin) = (self.next(), self.next());
        let now = now_text();
        let d = self
            .devices
            .get_mut(id)
            .ok_or_else(|| HubError::not_found(id))?;
        let disabled = input.disabled.unwrap_or(false);
        if disabled != d.disabled || input.status_reason != d.status_reason {
            d.status_updated = now.clone();
        }
        d.disabled = disabled;
        d.status_reason = input.status_reason.clone();
        if let Some(a) = auth {
            d.auth = a;
        }
        if let Some(e) = input.edge {
            d.edge = e;
        }
        d.etag = etag;
        if tags.is_some() || desired.is_some() {
            d.twin_version += 1;
            d.twin_etag = twin;
        }
        if let Some(t) = tags {
            d.tags = t;
        }
        if let Some(p) = desired {
            d.desired = p;
            d.desired_version += 1;
            d.desired_updated = now;
        }
        self.log(id, MutationKind::Update);
        self.devices.get(id).ok_or_else(|| HubError::not_found(id))
    }

    pub(crate) fn remove(&mut self, id: &str) -> Result<(), HubError> {
        let d = self
            .devices
            .remove(id)
            .ok_or_else(|| HubError::not_found(id))?;
        if !self.quiet {
            self.events.publish(&self.hub, id, d.twin_json(), false);
        }
        self.log(id, MutationKind::Delete);
        Ok(())
    }

    /// Changes tags and desired properties: a merge patch (null removes)
    /// or, with `replace`, a replacement of both sections.
    pub(crate) fn twin_write(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        replace: bool,
    ) -> Result<&Device, HubError> {
        let tags = body.get("tags").and_then(Value::as_object);
        let desired = body
            .get("properties")
            .and_then(|p| p.get("desired"))
            .and_then(Value::as_object);
        let current = self
            .devices
            .get(id)
            .ok_or_else(|| HubError::not_found(id))?;
        // The result is computed and checked first, so a refused write changes nothing.
        let (new_tags, new_desired) = if replace {
            (
                tags.cloned().unwrap_or_default(),
                Some(strip_dollar(desired.cloned().unwrap_or_default())),
            )
        } else {
            let mut t = current.tags.clone();
            if let Some(patch) = tags {
                merge(&mut t, patch);
            }
            let d = desired.map(|patch| {
                let mut d = current.desired.clone();
                merge(&mut d, &strip_dollar(patch.clone()));
                d
            });
            (t, d)
        };
        check_twin(Some(&new_tags), new_desired.as_ref())?;
        let twin = self.next();
        let now = now_text();
        let d = self
            .devices
            .get_mut(id)
            .ok_or_else(|| HubError::not_found(id))?;
        d.tags = new_tags;
        if let Some(desired) = new_desired {
            d.desired = desired;
            d.desired_version += 1;
            d.desired_updated = now;
        }
        d.twin_version += 1;
        d.twin_etag = twin;
        self.log(id, MutationKind::TwinUpdate);
        self.devices.get(id).ok_or_else(|| HubError::not_found(id))
    }

    /// Merges `patch` into the reported properties, as a device would.
    pub(crate) fn report(&mut self, id: &str, patch: &Map<String, Value>) -> Result<(), HubError> {
        let twin = self.next();
        let d = self
            .devices
            .get_mut(id)
            .ok_or_else(|| HubError::not_found(id))?;
        merge(&mut d.reported, patch);
        d.reported_version += 1;
        d.reported_updated = now_text();
        d.twin_version += 1;
        d.twin_etag = twin;
        self.log(id, MutationKind::Reported);
        Ok(())
    }
}

/// The §1.2 rules for the sections about to be written.
fn check_twin(
    tags: Option<&Map<String, Value>>,
    desired: Option<&Map<String, Value>>,
) -> Result<(), HubError> {
    if let Some(t) = tags {
        check_section(t, "tags", TAGS_LIMIT)?;
    }
    if let Some(d) = desired {
        check_section(d, "desired properties", PROPERTIES_LIMIT)?;
    }
    Ok(())
}

fn strip_dollar(mut m: Map<String, Value>) -> Map<String, Value> {
    m.retain(|k, _| !k.starts_with('$'));
    m
}

/// JSON merge patch, one level at a time: objects merge, `null` removes.
pub(crate) fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match v {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(p) => match target.get_mut(k) {
                Some(Value::Object(t)) => merge(t, p),
                _ => {
                    let mut fresh = Map::new();
                    merge(&mut fresh, p);
                    target.insert(k.clone(), Value::Object(fresh));
                }
            },
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

impl Device {
    pub(crate) fn etag(&self) -> String {
        identity_etag(self.etag)
    }

    pub(crate) fn twin_etag(&self) -> String {
        twin_etag(self.twin_etag)
    }

    fn status(&self) -> &'static str {
        if self.disabled { "disabled" } else { "enabled" }
    }

    fn auth_type(&self) -> &'static str {
        match self.auth {
            Auth::Sas { .. } => "sas",
            Auth::SelfSigned { .. } => "selfSigned",
            Auth::CertificateAuthority => "certificateAuthority",
            Auth::None => "none",
        }
    }

    fn authentication(&self) -> Value {
        let (keys, thumbs) = match &self.auth {
            Auth::Sas { primary, secondary } => (
                json!({"primaryKey": primary, "secondaryKey": secondary}),
                json!({"primaryThumbprint": null, "secondaryThumbprint": null}),
            ),
            Auth::SelfSigned { primary, secondary } => (
                json!({"primaryKey": null, "secondaryKey": null}),
                json!({"primaryThumbprint": primary, "secondaryThumbprint": secondary}),
            ),
            Auth::CertificateAuthority | Auth::None => (
                json!({"primaryKey": null, "secondaryKey": null}),
                json!({"primaryThumbprint": null, "secondaryThumbprint": null}),
            ),
        };
        json!({"symmetricKey": keys, "x509Thumbprint": thumbs, "type": self.auth_type()})
    }

    /// The REST `Device` document.
    pub(crate) fn identity_json(&self) -> Value {
        json!({
            "deviceId": self.id,
            "generationId": format!("{:018}", self.generation),
            "etag": self.etag(),
            "connectionState": "Disconnected",
            "status": self.status(),
            "statusReason": self.status_reason,
            "connectionStateUpdatedTime": NEVER,
            "statusUpdatedTime": self.status_updated,
            "lastActivityTime": NEVER,
            "cloudToDeviceMessageCount": 0,
            "authentication": self.authentication(),
            "capabilities": {"iotEdge": self.edge},
        })
    }

    fn section(values: &Map<String, Value>, version: i64, updated: &str, desired: bool) -> Value {
        let mut m = values.clone();
        let mut meta = Map::new();
        meta.insert("$lastUpdated".into(), json!(updated));
        if desired {
            meta.insert("$lastUpdatedVersion".into(), json!(version));
        }
        m.insert("$metadata".into(), Value::Object(meta));
        m.insert("$version".into(), json!(version));
        Value::Object(m)
    }

    /// The twin document (`GET /twins/{id}`, query rows).
    pub(crate) fn twin_json(&self) -> Value {
        json!({
            "deviceId": self.id,
            "etag": self.twin_etag(),
            "deviceEtag": self.etag(),
            "status": self.status(),
            "statusReason": self.status_reason,
            "statusUpdateTime": self.status_updated,
            "connectionState": "Disconnected",
            "lastActivityTime": NEVER,
            "cloudToDeviceMessageCount": 0,
            "authenticationType": self.auth_type(),
            "x509Thumbprint": {"primaryThumbprint": null, "secondaryThumbprint": null},
            "modelId": "",
            "version": self.twin_version,
            "capabilities": {"iotEdge": self.edge},
            "tags": self.tags,
            "properties": {
                "desired": Self::section(&self.desired, self.desired_version, &self.desired_updated, true),
                "reported": Self::section(&self.reported, self.reported_version, &self.reported_updated, false),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_change_on_every_write_and_keys_are_generated() {
        let mut s = Store::new("hub");
        let input = IdentityInput::default();
        let first = s.insert("d1", &input, None, None).unwrap().clone();
        assert!(
            matches!(&first.auth, Auth::Sas { primary, .. } if STANDARD.decode(primary).unwrap().len() == 32)
        );
        let second = s.replace("d1", &input, None, None).unwrap().clone();
        assert_ne!(first.etag(), second.etag());
        assert_eq!(
            first.twin_etag(),
            second.twin_etag(),
            "identity-only write keeps the twin"
        );
        let patched = s
            .twin_write(
                "d1",
                json!({"tags": {"a": {"b": 1}}}).as_object().unwrap(),
                false,
            )
            .unwrap()
            .clone();
        assert_ne!(patched.twin_etag(), second.twin_etag());
        assert_eq!(patched.tags, *json!({"a": {"b": 1}}).as_object().unwrap());
        let kinds: Vec<MutationKind> = s.mutations.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MutationKind::Create,
                MutationKind::Update,
                MutationKind::TwinUpdate
            ]
        );
    }

    #[test]
    fn merge_removes_nulls_and_merges_objects() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}})
            .as_object()
            .unwrap()
            .clone();
        merge(
            &mut t,
            json!({"a": null, "b": {"c": null, "e": 4}})
                .as_object()
                .unwrap(),
        );
        assert_eq!(Value::Object(t), json!({"b": {"d": 3, "e": 4}}));
    }

    #[test]
    fn id_rules() {
        assert!(check_id("a-b.c%d_e*f?g!h(i)j,k:l=m@n$o'p").is_ok());
        for bad in ["", "a b", "a+b", "a#b", "a;b", &"x".repeat(129)] {
            assert_eq!(check_id(bad).unwrap_err().code, "ArgumentInvalid", "{bad}");
        }
        assert_eq!(unquote("\"MA==\""), "MA==");
        assert_eq!(unquote("W/\"MA==\""), "MA==");
    }
}
