//! The pure planner: two snapshots and a policy in, a plan out.

use super::{
    AttributeMapping, Deferred, Field, FieldSet, Operation, Plan, PlanError, PlannedOp, Policy,
    Precondition, Reason, Removal, SkipReason, Skipped,
};
use crate::error::Result;
use crate::model::{DeviceRecord, DeviceStatus, Properties, Snapshot};
use std::cmp::Ordering;
use std::sync::Arc;

/// Computes plans. Cheap to clone; shareable across tasks.
#[derive(Clone, Debug)]
pub struct Planner {
    policy: Arc<Policy>,
    mapping: Arc<dyn AttributeMapping>,
}

impl Planner {
    /// A planner for `policy` and `mapping`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when the
    /// policy's mass-delete guard has a fraction outside 0 to 1.
    pub fn new(policy: &Policy, mapping: Arc<dyn AttributeMapping>) -> Result<Self> {
        policy.get_guard().validate()?;
        Ok(Self {
            policy: Arc::new(policy.clone()),
            mapping,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Plans the writes that make `replica` follow `master`.
    ///
    /// Runs a sorted merge over both snapshots (linear, no hashing, no copy of
    /// unchanged devices), so planning a million devices each side costs well
    /// under a second. Refuses with [`PlanError::MassDelete`] when the guard trips.
    pub fn plan(&self, master: &Snapshot, replica: &Snapshot) -> Result<Plan, PlanError> {
        let scope = self.policy.get_scope();
        let mut plan = Plan::default();
        let mut m = master.devices().iter().peekable();
        let mut r = replica
            .devices()
            .iter()
            .filter_map(|d| scope.master_key(d).map(|k| (k, d)))
            .peekable();
        loop {
            let order = match (m.peek(), r.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(md), Some((rk, _))) => md.id.as_str().cmp(rk),
            };
            match order {
                Ordering::Less => {
                    let md = m.next();
                    self.step(md, None, &mut plan);
                }
                Ordering::Greater => {
                    let rd = r.next().map(|(_, d)| d);
                    self.step(None, rd, &mut plan);
                }
                Ordering::Equal => {
                    let md = m.next();
                    let rd = r.next().map(|(_, d)| d);
                    self.step(md, rd, &mut plan);
                }
            }
        }
        let removals = plan.removals();
        let allowed = self.policy.get_guard().allowed(plan.owned);
        if removals > allowed {
            return Err(PlanError::MassDelete {
                removals,
                owned: plan.owned,
                allowed,
            });
        }
        Ok(plan)
    }

    /// Plans one device (the event path): `master` and `replica` are the
    /// current records of the same device, either possibly absent. The
    /// mass-delete guard does not apply to single devices.
    pub fn plan_device(
        &self,
        master: Option<&DeviceRecord>,
        replica: Option<&DeviceRecord>,
    ) -> Plan {
        let scope = self.policy.get_scope();
        let replica = replica.filter(|r| scope.master_key(r).is_some());
        let mut plan = Plan::default();
        self.step(master, replica, &mut plan);
        plan
    }

    fn step(&self, master: Option<&DeviceRecord>, replica: Option<&DeviceRecord>, plan: &mut Plan) {
        let policy = &*self.policy;
        let scope = policy.get_scope();
        let owned = replica.is_some_and(|r| scope.owns(r));
        if owned {
            plan.owned += 1;
        }
        match (master, replica) {
            (None, None) => {}
            (Some(m), r) => {
                if let Some(r) = r
                    && !owned
                {
                    plan.skipped.push(Skipped {
                        id: r.id.clone(),
                        why: SkipReason::ForeignOwner,
                    });
                    return;
                }
                let missing = policy.get_completeness().missing(m);
                if !missing.is_empty() {
                    plan.deferred.push(Deferred {
                        id: m.id.clone(),
                        missing,
                    });
                    return;
                }
                match r {
                    None => plan.ops.push(PlannedOp {
                        operation: Operation::Create {
                            device: self.desired(m, None),
                        },
                        reason: Reason::MissingInReplica,
                    }),
                    Some(r) => {
                        let changes = self.changes(m, r);
                        if !changes.is_empty() {
                            plan.ops.push(PlannedOp {
                                operation: Operation::Update {
                                    device: self.desired(m, Some(r)),
                                    precondition: Precondition::from_etag(r.etag.as_ref()),
                                },
                                reason: Reason::Differs(changes),
                            });
                        }
                    }
                }
            }
            (None, Some(r)) => {
                if !owned {
                    return;
                }
                let precondition = Precondition::from_etag(r.etag.as_ref());
                let operation = match policy.get_removal() {
                    Removal::Delete => Operation::Delete {
                        id: r.id.clone(),
                        precondition,
                    },
                    Removal::Disable { reason } => {
                        let done = matches!(&r.status, DeviceStatus::Disabled { reason: Some(have) } if have == reason);
                        if done {
                            return;
                        }
                        Operation::Disable {
                            id: r.id.clone(),
                            reason: reason.clone(),
                            precondition,
                        }
                    }
                };
                plan.ops.push(PlannedOp {
                    operation,
                    reason: Reason::GoneFromMaster,
                });
            }
        }
    }

    fn tags_equal(&self, mapped: &Properties, replica: &Properties) -> bool {
        match self.policy.get_scope().owner_tag() {
            Some((key, _)) => mapped.eq_ignoring(replica, key),
            None => mapped == replica,
        }
    }

    /// The synced fields that differ.
    fn changes(&self, m: &DeviceRecord, r: &DeviceRecord) -> FieldSet {
        self.policy
            .get_fields()
            .iter()
            .filter(|f| match f {
                Field::Status => m.status != r.status,
                Field::Credentials => m.credentials != r.credentials,
                Field::Tags => !self.tags_equal(&self.mapping.tags(m), &r.tags),
                Field::Attributes => *self.mapping.attributes(m) != r.attributes,
            })
            .collect()
    }

    /// The replica record for master `m`: a fresh one, or `r` with the synced
    /// fields overwritten.
    fn desired(&self, m: &DeviceRecord, r: Option<&DeviceRecord>) -> DeviceRecord {
        let f = self.policy.get_fields();
        let scope = self.policy.get_scope();
        let mut d = match r {
            Some(r) => r.clone(),
            None => DeviceRecord::new(scope.replica_id(&m.id)),
        };
        if f.contains(Field::Status) {
            d.status = m.status.clone();
        }
        if f.contains(Field::Credentials) {
            d.credentials = m.credentials.clone();
        }
        if f.contains(Field::Tags) {
            d.tags = self.mapping.tags(m).into_owned();
        } else if r.is_none() {
            d.tags = Properties::new();
        }
        if let Some((key, value)) = scope.owner_tag() {
            d.tags.insert(key, value);
        }
        if f.contains(Field::Attributes) {
            d.attributes = self.mapping.attributes(m).into_owned();
        }
        if r.is_none() {
            d.reported = Properties::new();
        }
        d.etag = None;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Completeness, DirectMapping, MassDeleteGuard, Scope};

    fn planner(policy: Policy) -> Planner {
        Planner::new(&policy, Arc::new(DirectMapping)).unwrap()
    }

    fn owned(id: &str) -> DeviceRecord {
        DeviceRecord::new(id).with_tag("managedBy", "hub1")
    }

    #[test]
    fn creates_updates_and_deletes_only_owned() {
        let p = planner(Policy::new(Scope::tag("managedBy", "hub1")));
        let master = Snapshot::from_records([
            DeviceRecord::new("new"),
            DeviceRecord::new("same"),
            DeviceRecord::new("changed").with_attribute("fw", "2"),
        ])
        .unwrap();
        let replica = Snapshot::from_records([
            owned("same"),
            owned("changed").with_attribute("fw", "1"),
            owned("gone"),
            DeviceRecord::new("someone-elses"),
        ])
        .unwrap();
        let plan = p.plan(&master, &replica).unwrap();
        let names: Vec<(&str, &str)> = plan
            .operations()
            .iter()
            .map(|o| (o.operation.name(), o.operation.device_id().as_str()))
            .collect();
        assert_eq!(
            names,
            [("update", "changed"), ("delete", "gone"), ("create", "new")]
        );
        assert_eq!(plan.owned_in_replica(), 3);
    }

    #[test]
    fn foreign_device_with_same_id_is_skipped() {
        let p = planner(Policy::new(Scope::tag("managedBy", "hub1")));
        let master = Snapshot::from_records([DeviceRecord::new("d")]).unwrap();
        let replica =
            Snapshot::from_records([DeviceRecord::new("d").with_tag("managedBy", "hub2")]).unwrap();
        let plan = p.plan(&master, &replica).unwrap();
        assert!(plan.is_empty());
        assert_eq!(plan.skipped().len(), 1);
    }

    #[test]
    fn two_hubs_by_prefix_stay_apart() {
        let p1 = planner(Policy::new(Scope::id_prefix("hub1.")));
        let hub1 = Snapshot::from_records([DeviceRecord::new("d")]).unwrap();
        let tenant =
            Snapshot::from_records([DeviceRecord::new("hub2.d"), DeviceRecord::new("hub2.x")])
                .unwrap();
        let plan = p1.plan(&hub1, &tenant).unwrap();
        let ids: Vec<&str> = plan
            .operations()
            .iter()
            .map(|o| o.operation.device_id().as_str())
            .collect();
        assert_eq!(ids, ["hub1.d"]);
        assert_eq!(plan.removals(), 0);
    }

    #[test]
    fn single_device_plans_follow_the_scope() {
        let p = planner(Policy::new(Scope::id_prefix("hub1.")));
        let m = DeviceRecord::new("d").with_attribute("fw", "2");
        let create = p.plan_device(Some(&m), None);
        let ids: Vec<&str> = create
            .operations()
            .iter()
            .map(|o| o.operation.device_id().as_str())
            .collect();
        assert_eq!(ids, ["hub1.d"]);
        let stale = DeviceRecord::new("hub1.d").with_attribute("fw", "1");
        let update = p.plan_device(Some(&m), Some(&stale));
        assert!(
            matches!(update.operations().first().map(|o| o.reason), Some(Reason::Differs(c)) if c.contains(Field::Attributes))
        );
        let delete = p.plan_device(None, Some(&stale));
        assert_eq!(delete.removals(), 1);
        // A replica record outside the scope is never touched.
        let foreign = DeviceRecord::new("hub2.d");
        assert!(p.plan_device(None, Some(&foreign)).is_empty());
    }

    #[test]
    fn incomplete_devices_are_deferred() {
        let mut policy = Policy::new(Scope::tag("managedBy", "hub1"));
        let mut c = Completeness::new();
        c.require_tags(["EUI"]);
        policy.completeness(&c);
        let p = planner(policy);
        let master = Snapshot::from_records([
            DeviceRecord::new("a"),
            DeviceRecord::new("b").with_tag("EUI", "1"),
        ])
        .unwrap();
        let plan = p.plan(&master, &Snapshot::empty()).unwrap();
        assert_eq!(plan.operations().len(), 1);
        assert_eq!(plan.deferred().first().map(|d| d.id.as_str()), Some("a"));
    }

    #[test]
    fn mass_delete_guard_refuses_unless_forced() {
        let mut policy = Policy::new(Scope::tag("managedBy", "hub1"));
        let mut guard = MassDeleteGuard::new();
        guard.max_fraction(0.1).min_count(2);
        policy.guard(&guard);
        let replica = Snapshot::from_records((0..20).map(|i| owned(&format!("d{i}")))).unwrap();
        let err = planner(policy.clone())
            .plan(&Snapshot::empty(), &replica)
            .unwrap_err();
        assert_eq!(
            err,
            PlanError::MassDelete {
                removals: 20,
                owned: 20,
                allowed: 2
            }
        );
        guard.force(true);
        policy.guard(&guard);
        assert_eq!(
            planner(policy)
                .plan(&Snapshot::empty(), &replica)
                .unwrap()
                .removals(),
            20
        );
    }

    #[test]
    fn soft_delete_is_idempotent() {
        let mut policy = Policy::new(Scope::tag("managedBy", "hub1"));
        policy.removal(Removal::Disable {
            reason: "deleted in master".into(),
        });
        let p = planner(policy);
        let replica = Snapshot::from_records([owned("d")]).unwrap();
        let plan = p.plan(&Snapshot::empty(), &replica).unwrap();
        assert_eq!(
            plan.operations().first().map(|o| o.operation.name()),
            Some("disable")
        );
        let after = replica.apply(&plan);
        assert!(p.plan(&Snapshot::empty(), &after).unwrap().is_empty());
        // The device comes back in the master: it is re-enabled.
        let back = p
            .plan(
                &Snapshot::from_records([DeviceRecord::new("d")]).unwrap(),
                &after,
            )
            .unwrap();
        assert!(
            matches!(back.operations().first().map(|o| o.reason), Some(Reason::Differs(c)) if c.contains(Field::Status))
        );
    }
}
