//! The data a sync compares and exchanges: device records and their parts,
//! snapshots of whole registries, and change events.
//!
//! Everything here is plain data without I/O. Records are `#[non_exhaustive]`
//! structs with public fields, built with `new` and `with_*` methods.

mod change;
mod credentials;
mod device_id;
mod etag;
mod properties;
mod record;
mod snapshot;
mod status;

pub(crate) use change::system_time;
pub use change::{ChangeEvent, ChangeKind, EventOrder};
pub use credentials::Credentials;
pub use device_id::DeviceId;
pub use etag::Etag;
pub use properties::Properties;
pub use record::DeviceRecord;
pub use snapshot::Snapshot;
pub use status::DeviceStatus;
/// A secret value (a symmetric key, a security token, a password): `twin-model`'s
/// type, re-exported; its `Debug` never shows the value.
pub use twin_model::iothub::secret::Secret;
