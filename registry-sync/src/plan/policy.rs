//! What the planner is allowed to do.

use super::{Completeness, FieldSet, MassDeleteGuard, Scope};

/// How a device gone from the master is removed from the replica.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Delete it.
    Delete,
    /// Soft delete: disable it with this status reason.
    Disable {
        /// The status reason written.
        reason: Box<str>,
    },
}

/// Everything the planner needs besides the two snapshots and the mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    scope: Scope,
    removal: Removal,
    completeness: Completeness,
    fields: FieldSet,
    guard: MassDeleteGuard,
}

impl Policy {
    /// Hard delete, nothing required, all fields synced, default guard.
    pub fn new(scope: Scope) -> Self {
        Self {
            scope,
            removal: Removal::Delete,
            completeness: Completeness::new(),
            fields: FieldSet::all(),
            guard: MassDeleteGuard::default(),
        }
    }

    /// Sets how removed devices are handled (default: delete).
    pub fn removal(&mut self, removal: Removal) -> &mut Self {
        self.removal = removal;
        self
    }

    /// Sets the completeness rule (default: nothing required).
    pub fn completeness(&mut self, completeness: &Completeness) -> &mut Self {
        self.completeness = completeness.clone();
        self
    }

    /// Sets the fields the master overwrites on the replica (default: all),
    /// e.g. `FieldSet::all().without(Field::Credentials)`.
    pub fn fields(&mut self, fields: FieldSet) -> &mut Self {
        self.fields = fields;
        self
    }

    /// Sets the mass-delete guard (default [`MassDeleteGuard::new`]).
    pub fn guard(&mut self, guard: &MassDeleteGuard) -> &mut Self {
        self.guard = *guard;
        self
    }

    /// The scope.
    pub fn get_scope(&self) -> &Scope {
        &self.scope
    }

    /// The removal style.
    pub fn get_removal(&self) -> &Removal {
        &self.removal
    }

    /// The completeness rule.
    pub fn get_completeness(&self) -> &Completeness {
        &self.completeness
    }

    /// The synced fields.
    pub fn get_fields(&self) -> FieldSet {
        self.fields
    }

    /// The guard.
    pub fn get_guard(&self) -> MassDeleteGuard {
        self.guard
    }
}
