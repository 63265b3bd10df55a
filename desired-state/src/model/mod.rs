//! Wire models: plain serde types, no transport types.
//!
//! Encoding follows Kanto's Go structs: field order as declared there, and
//! `omitempty` fields (empty strings, empty lists, zero numbers) left out.
//! Decoding is lenient: unknown keys are ignored, `null` and a missing key mean
//! the same, and unknown enum values are kept in an `Other` variant.

mod case_fold;
mod command;
mod config;
mod desired_state;
pub mod ditto;
mod envelope;
mod error;
mod feedback;
mod inventory;
mod nullable;
mod open_enum;
pub mod software_updatable;
mod status;
mod validate;

pub(crate) use case_fold::from_json_slice;
pub use command::{Command, OwnerConsent, OwnerConsentFeedback};
pub use config::{Config, KeyValue};
pub use desired_state::{Baseline, Component, DesiredState, Domain};
pub use envelope::{Envelope, NoPayload};
pub use error::{DecodeError, ValidationError};
pub use feedback::{Action, ComponentRef, Feedback, FeedbackView};
pub use inventory::{Association, HardwareNode, Inventory, SoftwareNode};
pub use status::{ActionStatus, CommandKind, ConsentStatus, SoftwareType, Status};

pub(crate) use envelope::decode;
