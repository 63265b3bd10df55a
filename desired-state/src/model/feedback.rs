//! Desired-state feedback: overall status plus per-component actions.

use serde::{Deserialize, Serialize};

use super::nullable::{is_empty_str, is_zero, null_default};
use super::status::{ActionStatus, Status};

/// The payload of `…/desiredstatefeedback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The baseline the feedback is about; empty for the whole domain.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub baseline: String,
    /// The status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// A human-readable explanation.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub message: String,
    /// Every action of the operation (feedback always carries the full list).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub actions: Vec<Action>,
}

impl Feedback {
    /// A feedback with a status and nothing else.
    pub fn new(status: Status) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Builder-style message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Builder-style actions.
    #[must_use]
    pub fn with_actions(mut self, actions: Vec<Action>) -> Self {
        self.actions = actions;
        self
    }
}

/// A borrowed [`Feedback`] for encoding without copying the action list;
/// encodes byte-identically to the owned type.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FeedbackView<'a> {
    /// See [`Feedback::baseline`].
    #[serde(skip_serializing_if = "is_empty_str")]
    pub baseline: &'a str,
    /// See [`Feedback::status`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a Status>,
    /// See [`Feedback::message`].
    #[serde(skip_serializing_if = "is_empty_str")]
    pub message: &'a str,
    /// See [`Feedback::actions`].
    #[serde(skip_serializing_if = "<[Action]>::is_empty")]
    pub actions: &'a [Action],
}

impl FeedbackView<'_> {
    /// An owned copy.
    pub fn to_owned_feedback(&self) -> Feedback {
        Feedback {
            baseline: self.baseline.to_owned(),
            status: self.status.cloned(),
            message: self.message.to_owned(),
            actions: self.actions.to_vec(),
        }
    }
}

impl Feedback {
    /// A borrowed view of this feedback.
    pub fn view(&self) -> FeedbackView<'_> {
        FeedbackView {
            baseline: &self.baseline,
            status: self.status.as_ref(),
            message: &self.message,
            actions: &self.actions,
        }
    }
}

/// What happens to one component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// The component, with a domain-prefixed id (`containers:influxdb`).
    #[serde(default, deserialize_with = "null_default")]
    pub component: ComponentRef,
    /// The action's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActionStatus>,
    /// Percent done; Go's `uint8` with `omitempty`, so 0 is left out.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_zero"
    )]
    pub progress: u8,
    /// A human-readable explanation.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub message: String,
}

impl Action {
    /// An action for `component` in `status`.
    pub fn new(component: ComponentRef, status: ActionStatus) -> Self {
        Self {
            component,
            status: Some(status),
            progress: 0,
            message: String::new(),
        }
    }

    /// Builder-style message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

/// A component reference inside an action: id and version only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ComponentRef {
    /// Domain-prefixed id.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub id: String,
    /// Version.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_empty_str"
    )]
    pub version: String,
}

impl ComponentRef {
    /// A reference from id and version.
    pub fn new(id: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            version: version.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_encodes_like_the_owned_type() {
        let fb = Feedback::new(Status::Running)
            .with_message("m")
            .with_actions(vec![Action::new(
                ComponentRef::new("d:c", "1"),
                ActionStatus::Updating,
            )]);
        assert_eq!(
            serde_json::to_string(&fb.view()).unwrap(),
            serde_json::to_string(&fb).unwrap()
        );
        assert_eq!(fb.view().to_owned_feedback(), fb);
        let empty = Feedback::default();
        assert_eq!(serde_json::to_string(&empty.view()).unwrap(), "{}");
    }

    #[test]
    fn zero_progress_is_omitted_and_big_progress_rejected() {
        let a = Action::new(ComponentRef::new("d:c", "1"), ActionStatus::Downloading);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"component":{"id":"d:c","version":"1"},"status":"DOWNLOADING"}"#
        );
        assert!(serde_json::from_str::<Action>(r#"{"progress":256}"#).is_err());
        let a: Action = serde_json::from_str(r#"{"progress":null}"#).unwrap();
        assert_eq!(a.progress, 0);
    }
}
