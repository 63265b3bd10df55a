//! Topic names, derived from a domain name exactly as Kanto derives them.

/// The topic prefix of `domain`: every `-` removed, then `update` appended
/// unless the result already ends with `update` (case-sensitive).
///
/// ```
/// use desired_state::topic::prefix;
/// assert_eq!(prefix("containers"), "containersupdate");
/// assert_eq!(prefix("self-update"), "selfupdate");
/// assert_eq!(prefix("custom-domain"), "customdomainupdate");
/// assert_eq!(prefix("update"), "update");
/// ```
pub fn prefix(domain: &str) -> String {
    let mut p: String = domain.chars().filter(|c| *c != '-').collect();
    if !p.ends_with("update") {
        p.push_str("update");
    }
    p
}

/// The topics of one domain's Update Agent API (and of the manager's
/// plain-mode northbound side, which uses the domain `device` by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    /// `P/desiredstate` (manager to agent).
    pub desired_state: String,
    /// `P/desiredstate/command` (manager to agent).
    pub command: String,
    /// `P/desiredstatefeedback` (agent to manager).
    pub feedback: String,
    /// `P/currentstate` (agent to manager, retained).
    pub current_state: String,
    /// `P/currentstate/get` (manager to agent).
    pub current_state_get: String,
    /// `P/ownerconsent` (manager to owner).
    pub owner_consent: String,
    /// `P/ownerconsentfeedback` (owner to manager).
    pub owner_consent_feedback: String,
}

impl Topics {
    /// The topics of `domain`.
    pub fn for_domain(domain: &str) -> Self {
        let p = prefix(domain);
        Self {
            desired_state: format!("{p}/desiredstate"),
            command: format!("{p}/desiredstate/command"),
            feedback: format!("{p}/desiredstatefeedback"),
            current_state: format!("{p}/currentstate"),
            current_state_get: format!("{p}/currentstate/get"),
            owner_consent: format!("{p}/ownerconsent"),
            owner_consent_feedback: format!("{p}/ownerconsentfeedback"),
        }
    }

    /// What an agent subscribes to: desired state, command, current-state get.
    pub fn agent_subscriptions(&self) -> [&str; 3] {
        [&self.desired_state, &self.command, &self.current_state_get]
    }

    /// What the manager subscribes to per agent domain: current state and feedback.
    pub fn manager_subscriptions(&self) -> [&str; 2] {
        [&self.current_state, &self.feedback]
    }

    /// Which of this domain's topics `topic` is.
    pub fn classify(&self, topic: &str) -> Option<TopicKind> {
        Some(if topic == self.desired_state {
            TopicKind::DesiredState
        } else if topic == self.command {
            TopicKind::Command
        } else if topic == self.feedback {
            TopicKind::Feedback
        } else if topic == self.current_state {
            TopicKind::CurrentState
        } else if topic == self.current_state_get {
            TopicKind::CurrentStateGet
        } else if topic == self.owner_consent {
            TopicKind::OwnerConsent
        } else if topic == self.owner_consent_feedback {
            TopicKind::OwnerConsentFeedback
        } else {
            return None;
        })
    }
}

/// The kind of an Update Agent API topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TopicKind {
    /// `P/desiredstate`.
    DesiredState,
    /// `P/desiredstate/command`.
    Command,
    /// `P/desiredstatefeedback`.
    Feedback,
    /// `P/currentstate`.
    CurrentState,
    /// `P/currentstate/get`.
    CurrentStateGet,
    /// `P/ownerconsent`.
    OwnerConsent,
    /// `P/ownerconsentfeedback`.
    OwnerConsentFeedback,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_rule_matches_kanto() {
        for (d, p) in [
            ("containers", "containersupdate"),
            ("self-update", "selfupdate"),
            ("device", "deviceupdate"),
            ("custom-domain", "customdomainupdate"),
            ("vehicle", "vehicleupdate"),
            ("update", "update"),
            ("my-update", "myupdate"),
            ("Update", "Updateupdate"),
            ("", "update"),
        ] {
            assert_eq!(prefix(d), p, "domain {d}");
        }
    }

    #[test]
    fn topics_and_classification() {
        let t = Topics::for_domain("containers");
        assert_eq!(t.command, "containersupdate/desiredstate/command");
        assert_eq!(t.current_state_get, "containersupdate/currentstate/get");
        assert_eq!(
            t.classify("containersupdate/desiredstatefeedback"),
            Some(TopicKind::Feedback)
        );
        assert_eq!(t.classify("containersupdate/other"), None);
        assert_eq!(
            Topics::for_domain("device").owner_consent_feedback,
            "deviceupdate/ownerconsentfeedback"
        );
    }
}
