//! Deciding what to write: the pure [`Planner`] turns two [`Snapshot`]s and a
//! [`Policy`] into a [`Plan`] of [`Operation`]s, each with its [`Reason`].
//!
//! The policy says which replica devices the sync owns ([`Scope`]), how
//! devices gone from the master are removed ([`Removal`]), which master data
//! must be present first ([`Completeness`]), which fields are written
//! ([`FieldSet`]) and how much one plan may remove ([`MassDeleteGuard`]). An
//! [`AttributeMapping`] turns a master device's data into the replica's tags
//! and attributes. Nothing here does I/O.
//!
//! [`Snapshot`]: crate::model::Snapshot

mod completeness;
mod error;
mod fields;
mod guard;
mod mapping;
mod operation;
mod planned;
mod planner;
mod policy;
mod reason;
mod scope;
mod twin_mapping;

pub use completeness::Completeness;
pub use error::PlanError;
pub use fields::{Field, FieldSet};
pub use guard::MassDeleteGuard;
pub use mapping::{AttributeMapping, DirectMapping, FnMapping, ReportedAsAttributes};
pub use operation::{Operation, Precondition};
pub use planned::{Deferred, Plan, PlannedOp, SkipReason, Skipped};
pub use planner::Planner;
pub use policy::{Policy, Removal};
pub use reason::Reason;
pub use scope::Scope;
pub use twin_mapping::{TwinAttributes, TwinMappingReport};
