//! IoT Hub events delivered by Event Grid, in the Event Grid schema and in
//! the CloudEvents 1.0 schema, decoded with `twin-model`'s typed envelopes
//! ([`decode_event_grid`]), and a queue from a webhook to the engine
//! ([`event_grid_inbox`]).
//!
//! A body is one event object or an array of them. Each element is decoded on
//! its own, so one bad element does not hide the good ones. Unknown fields are
//! ignored and unknown event types are kept as
//! [`ChangeKind::Other`](crate::model::ChangeKind::Other). Nothing here needs a
//! feature: the decoding is pure.

mod decode;
mod inbox;

pub use decode::{EventGridMessage, decode_event_grid, validation_response};
pub(crate) use decode::{order_at, twin_record};
pub use inbox::{EventGridInbox, EventGridSource, InboxReply, event_grid_inbox};
