//! The desired-state document: baselines, domains and components.

use serde::{Deserialize, Serialize};

use super::config::Config;
use super::nullable::{is_empty_str, null_default};

/// The payload of `…/desiredstate`: what every update domain should contain.
///
/// A domain's component list is its *whole* desired content: components that
/// are installed but not listed get removed by the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    /// Named groups of components, referenced as `domain:componentId`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub baselines: Vec<Baseline>,
    /// The update domains with their components.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub domains: Vec<Domain>,
}

/// A named group of components that are updated together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// The baseline's name; agents accept it as a command's `baseline`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub title: String,
    /// Free text.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub description: String,
    /// An opaque expression; Kanto never evaluates it.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub preconditions: String,
    /// Component references with a domain prefix: `containers:influxdb`.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub components: Vec<String>,
}

/// One update domain of a desired state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    /// The domain identifier, e.g. `containers`; see [`crate::topic`] for topics.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub id: String,
    /// Domain-wide settings.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Config::is_empty"
    )]
    pub config: Config,
    /// The full desired content of the domain; ids are *unprefixed*.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub components: Vec<Component>,
}

/// One component of a domain (Kanto's `ComponentWithConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The component id, unprefixed within its domain.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub id: String,
    /// The desired version.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub version: String,
    /// Component settings, keys may repeat.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Config::is_empty"
    )]
    pub config: Config,
}

impl Component {
    /// A component without configuration.
    pub fn new(id: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            version: version.into(),
            config: Config::new(),
        }
    }
}

impl Domain {
    /// A domain with the given components.
    pub fn new(id: impl Into<String>, components: Vec<Component>) -> Self {
        Self {
            id: id.into(),
            config: Config::new(),
            components,
        }
    }
}

impl DesiredState {
    /// The domain with identifier `id`, if present.
    pub fn domain(&self, id: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.id == id)
    }

    /// Total number of components over all domains.
    pub fn component_count(&self) -> usize {
        self.domains.iter().map(|d| d.components.len()).sum()
    }

    /// The part of this desired state that Kanto's update manager sends to
    /// `domain`'s agent: only that domain, and baselines reduced to that
    /// domain's component references (baselines left empty are dropped).
    ///
    /// Returns `None` when the desired state does not mention the domain.
    pub fn for_domain(&self, domain: &str) -> Option<Self> {
        let d = self.domain(domain)?;
        let prefix_len = domain.len() + 1;
        let baselines = self
            .baselines
            .iter()
            .filter_map(|b| {
                let components: Vec<String> = b
                    .components
                    .iter()
                    .filter(|c| {
                        c.len() >= prefix_len
                            && c.starts_with(domain)
                            && c.as_bytes().get(domain.len()) == Some(&b':')
                    })
                    .cloned()
                    .collect();
                (!components.is_empty()).then(|| Baseline {
                    title: b.title.clone(),
                    description: b.description.clone(),
                    preconditions: b.preconditions.clone(),
                    components,
                })
            })
            .collect();
        Some(Self {
            baselines,
            domains: vec![d.clone()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_filters_baselines_by_prefix() {
        let ds = DesiredState {
            baselines: vec![
                Baseline {
                    title: "b1".into(),
                    components: vec!["a:x".into(), "ab:y".into(), "b:z".into()],
                    ..Baseline::default()
                },
                Baseline {
                    title: "only-b".into(),
                    components: vec!["b:z".into()],
                    ..Baseline::default()
                },
            ],
            domains: vec![
                Domain::new("a", vec![Component::new("x", "1")]),
                Domain::new("b", vec![]),
            ],
        };
        let a = ds.for_domain("a").unwrap();
        assert_eq!(a.domains.len(), 1);
        assert_eq!(a.baselines.len(), 1);
        assert_eq!(a.baselines[0].components, ["a:x"]);
        assert!(ds.for_domain("missing").is_none());
        let b = ds.for_domain("b").unwrap();
        assert_eq!(b.baselines.len(), 2);
    }

    #[test]
    fn null_and_missing_arrays_decode_as_empty() {
        let ds: DesiredState = serde_json::from_str(
            r#"{"baselines":null,"domains":[{"id":"a","config":[],"components":null}]}"#,
        )
        .unwrap();
        assert!(ds.baselines.is_empty());
        assert_eq!(
            serde_json::to_string(&ds).unwrap(),
            r#"{"domains":[{"id":"a"}]}"#
        );
    }
}
