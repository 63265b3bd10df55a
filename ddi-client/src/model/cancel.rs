//! `GET …/cancelAction/{actionId}`.

use serde::{Deserialize, Serialize};

use super::id::ActionId;

/// A cancellation request. Answer it with [`ActionFeedback`](super::ActionFeedback)
/// on the cancel action: `closed` + success accepts, `rejected` refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelAction {
    /// The cancel action's id.
    pub id: ActionId,
    /// What to stop.
    #[serde(rename = "cancelAction")]
    pub cancel_action: CancelActionStop,
}

/// `cancelAction` inside [`CancelAction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelActionStop {
    /// The id of the action to stop (in practice the same as the cancel id).
    #[serde(rename = "stopId")]
    pub stop_id: ActionId,
}
