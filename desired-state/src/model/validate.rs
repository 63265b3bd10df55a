//! Checks that catch desired states Kanto would silently mishandle.

use std::collections::HashSet;

use super::desired_state::DesiredState;
use super::error::ValidationError;

impl DesiredState {
    /// Checks ids and size: every domain and component has an id, ids are
    /// unique, component ids under a domain are not prefixed with
    /// `<domain>:`, and there are at most `max_components` components.
    ///
    /// Kanto accepts all of these and then misbehaves (a prefixed id makes the
    /// containers agent create a container named `containers:x`); the update
    /// manager in this crate answers `IDENTIFICATION_FAILED` with this error
    /// as the reason instead.
    pub fn validate(&self, max_components: usize) -> Result<(), ValidationError> {
        let count = self.component_count();
        if count > max_components {
            return Err(ValidationError::TooManyComponents {
                count,
                limit: max_components,
            });
        }
        let mut domains = HashSet::with_capacity(self.domains.len());
        for (index, domain) in self.domains.iter().enumerate() {
            if domain.id.is_empty() {
                return Err(ValidationError::MissingDomainId { index });
            }
            if !domains.insert(domain.id.as_str()) {
                return Err(ValidationError::DuplicateDomain {
                    id: domain.id.clone(),
                });
            }
            let mut ids = HashSet::with_capacity(domain.components.len());
            for (index, c) in domain.components.iter().enumerate() {
                if c.id.is_empty() {
                    return Err(ValidationError::MissingComponentId {
                        domain: domain.id.clone(),
                        index,
                    });
                }
                if c.id.len() > domain.id.len()
                    && c.id.starts_with(domain.id.as_str())
                    && c.id.as_bytes().get(domain.id.len()) == Some(&b':')
                {
                    return Err(ValidationError::PrefixedComponentId {
                        domain: domain.id.clone(),
                        id: c.id.clone(),
                    });
                }
                if !ids.insert(c.id.as_str()) {
                    return Err(ValidationError::DuplicateComponent {
                        domain: domain.id.clone(),
                        id: c.id.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Component, DesiredState, Domain, ValidationError};

    fn ds(domains: Vec<Domain>) -> DesiredState {
        DesiredState {
            baselines: vec![],
            domains,
        }
    }

    #[test]
    fn catches_each_mistake() {
        let dup = ds(vec![Domain::new(
            "a",
            vec![Component::new("x", "1"), Component::new("x", "2")],
        )]);
        assert_eq!(
            dup.validate(10),
            Err(ValidationError::DuplicateComponent {
                domain: "a".into(),
                id: "x".into()
            })
        );
        let prefixed = ds(vec![Domain::new(
            "containers",
            vec![Component::new("containers:influxdb", "1")],
        )]);
        assert!(matches!(
            prefixed.validate(10),
            Err(ValidationError::PrefixedComponentId { .. })
        ));
        let dup_domain = ds(vec![Domain::new("a", vec![]), Domain::new("a", vec![])]);
        assert!(matches!(
            dup_domain.validate(10),
            Err(ValidationError::DuplicateDomain { .. })
        ));
        let no_id = ds(vec![Domain::new("", vec![])]);
        assert_eq!(
            no_id.validate(10),
            Err(ValidationError::MissingDomainId { index: 0 })
        );
        let big = ds(vec![Domain::new(
            "a",
            (0..11)
                .map(|i| Component::new(format!("c{i}"), "1"))
                .collect(),
        )]);
        assert_eq!(
            big.validate(10),
            Err(ValidationError::TooManyComponents {
                count: 11,
                limit: 10
            })
        );
        let ok = ds(vec![
            Domain::new("a", vec![Component::new("a-b", "1")]),
            Domain::new("b", vec![]),
        ]);
        assert_eq!(ok.validate(10), Ok(()));
    }
}
