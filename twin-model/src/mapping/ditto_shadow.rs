//! Ditto twin-channel modify commands to AWS shadow updates, in the manner
//! of Eclipse Kanto's AWS connector: thing `attributes` go to the classic
//! shadow's reported state under `attributes`; each feature goes to the
//! named shadow whose name is the feature id, `properties` as reported and
//! `desiredProperties` as desired state.
//!
//! Ditto `modify`/`create` *replace* the addressed value while a shadow
//! update *merges*. When the addressed value is an object, the mapping
//! therefore emits two updates for that shadow: one writing `null` at the
//! path (deleting the old content), then one writing the new value. A
//! Ditto `merge` command (RFC 7396, same semantics as AWS) maps to a
//! single update. Deleting commands map to a `null` write.
//!
//! Not verified against Kanto's source (it was not available while this
//! was written); the rules above are this crate's documented contract.

use serde_json::{Map, Value};

use crate::aws::shadow::{SectionUpdate, ShadowUpdateRequest, UpdateState};
use crate::aws::topic::ShadowName;
use crate::ditto::{DittoTopic, ProtocolMessage, Thing};
use crate::validate::Rule;
use crate::validate::shadow::{check_shadow_name, check_thing_name};

/// One update to send.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowCommand {
    /// Thing name.
    pub thing_name: String,
    /// Classic shadow (attributes) or the feature's named shadow.
    pub shadow: ShadowName,
    /// The update request.
    pub request: ShadowUpdateRequest,
}

/// Why a Ditto message has no shadow equivalent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DittoMappingError {
    /// The topic is not a twin command on a thing.
    #[error("topic `{0}` is not a twin command on a thing")]
    NotTwinCommand(String),
    /// The action is not modify, create, merge or delete.
    #[error("action `{0}` has no shadow equivalent")]
    UnsupportedAction(String),
    /// The path addresses something shadows cannot hold.
    #[error("path `{0}` has no shadow equivalent")]
    UnsupportedPath(String),
    /// The value does not fit the addressed part.
    #[error("value at `{0}` has the wrong shape")]
    InvalidValue(String),
    /// The thing id or feature id is not a valid AWS name.
    #[error("`{name}` is not a valid aws name: {rule}")]
    InvalidName {
        /// The name.
        name: String,
        /// The rule.
        rule: Rule,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Replace,
    Merge,
    Delete,
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Wraps `value` under `path` segments: `["a","b"]`, v → `{"a":{"b":v}}`.
fn nest(path: &[String], value: Value) -> Map<String, Value> {
    let mut v = value;
    for seg in path.iter().rev() {
        let mut m = Map::new();
        m.insert(seg.clone(), v);
        v = Value::Object(m);
    }
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

struct Builder {
    thing: String,
    out: Vec<ShadowCommand>,
}

impl Builder {
    fn write(
        &mut self,
        shadow: &ShadowName,
        desired: bool,
        path: &[String],
        value: Value,
        mode: Mode,
    ) -> Result<(), DittoMappingError> {
        if let ShadowName::Named(n) = shadow {
            check_shadow_name(n).map_err(|rule| DittoMappingError::InvalidName {
                name: n.clone(),
                rule,
            })?;
        }
        let mut emit = |v: Value| -> Result<(), DittoMappingError> {
            let section = if path.is_empty() {
                match v {
                    Value::Null => SectionUpdate::Clear,
                    Value::Object(m) => SectionUpdate::Merge(m),
                    _ => return Err(DittoMappingError::InvalidValue(path.join("/"))),
                }
            } else {
                SectionUpdate::Merge(nest(path, v))
            };
            let state = if desired {
                UpdateState {
                    desired: Some(section),
                    reported: None,
                }
            } else {
                UpdateState {
                    desired: None,
                    reported: Some(section),
                }
            };
            self.out.push(ShadowCommand {
                thing_name: self.thing.clone(),
                shadow: shadow.clone(),
                request: ShadowUpdateRequest {
                    state,
                    client_token: None,
                    version: None,
                },
            });
            Ok(())
        };
        match mode {
            Mode::Delete => emit(Value::Null),
            Mode::Merge => emit(value),
            Mode::Replace if value.is_object() => {
                emit(Value::Null)?;
                emit(value)
            }
            Mode::Replace => emit(value),
        }
    }

    fn feature(
        &mut self,
        id: &str,
        rest: &[String],
        value: Value,
        mode: Mode,
    ) -> Result<(), DittoMappingError> {
        let shadow = ShadowName::Named(id.to_owned());
        match rest.split_first() {
            None => {
                if mode == Mode::Delete {
                    self.write(&shadow, true, &[], Value::Null, mode)?;
                    return self.write(&shadow, false, &[], Value::Null, mode);
                }
                let Value::Object(mut f) = value else {
                    return Err(DittoMappingError::InvalidValue(format!("features/{id}")));
                };
                if let Some(p) = f.remove("properties") {
                    self.write(&shadow, false, &[], p, mode)?;
                }
                if let Some(d) = f.remove("desiredProperties") {
                    self.write(&shadow, true, &[], d, mode)?;
                }
                Ok(())
            }
            Some((part, path)) if part == "properties" => {
                self.write(&shadow, false, path, value, mode)
            }
            Some((part, path)) if part == "desiredProperties" => {
                self.write(&shadow, true, path, value, mode)
            }
            Some((part, _)) => Err(DittoMappingError::UnsupportedPath(format!(
                "features/{id}/{part}"
            ))),
        }
    }
}

/// Maps one Ditto protocol message to shadow updates, in order, for the
/// AWS thing `thing_name` (the connector's own device; Ditto thing ids such
/// as `org.eclipse.ditto:x` usually contain `.`, which thing names cannot).
pub fn ditto_to_shadow_updates(
    msg: &ProtocolMessage,
    thing_name: &str,
) -> Result<Vec<ShadowCommand>, DittoMappingError> {
    let topic = DittoTopic::parse(&msg.topic)
        .filter(|t| t.channel == "twin" && t.criterion == "commands")
        .ok_or_else(|| DittoMappingError::NotTwinCommand(msg.topic.clone()))?;
    let mode = match topic.action.as_str() {
        "modify" | "create" => Mode::Replace,
        "merge" => Mode::Merge,
        "delete" => Mode::Delete,
        other => return Err(DittoMappingError::UnsupportedAction(other.to_owned())),
    };
    let thing = thing_name.to_owned();
    check_thing_name(&thing).map_err(|rule| DittoMappingError::InvalidName {
        name: thing.clone(),
        rule,
    })?;
    let mut b = Builder {
        thing,
        out: Vec::new(),
    };
    let value = msg.value.clone().unwrap_or(Value::Null);
    let segs: Vec<String> = msg
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(unescape)
        .collect();
    let attributes = vec!["attributes".to_owned()];
    match segs.split_first() {
        None => {
            let thing: Thing = serde_json::from_value(value)
                .map_err(|_| DittoMappingError::InvalidValue("/".into()))?;
            if let Some(a) = thing.attributes {
                b.write(
                    &ShadowName::Classic,
                    false,
                    &attributes,
                    Value::Object(a),
                    mode,
                )?;
            }
            for (id, f) in thing.features.unwrap_or_default() {
                let v = serde_json::to_value(f)
                    .map_err(|_| DittoMappingError::InvalidValue(id.clone()))?;
                b.feature(&id, &[], v, mode)?;
            }
        }
        Some((first, rest)) if first == "attributes" => {
            let mut path = attributes;
            path.extend(rest.iter().cloned());
            b.write(&ShadowName::Classic, false, &path, value, mode)?;
        }
        Some((first, rest)) if first == "features" => match rest.split_first() {
            None => {
                let Value::Object(features) = value else {
                    return Err(DittoMappingError::InvalidValue("features".into()));
                };
                for (id, f) in features {
                    b.feature(&id, &[], f, mode)?;
                }
            }
            Some((id, rest)) => b.feature(id, rest, value, mode)?,
        },
        Some((first, _)) => return Err(DittoMappingError::UnsupportedPath(first.clone())),
    }
    Ok(b.out)
}
