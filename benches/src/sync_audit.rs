//! The exactly-once verdict of the registry-sync throughput benchmarks
//! (`sync_throttled` against the in-memory peer, `sync_iothub` against the
//! IoT Hub simulator): the journal's audit, the replica's own log of writes,
//! and an empty re-plan must all agree that every master device was created
//! once and nothing else was written.

use std::collections::{HashMap, HashSet};

use registry_sync::journal::Audit;

/// What the replica's write log says about a sync that should create every
/// master device exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaWrites {
    /// Create writes in the log.
    pub creates: usize,
    /// Master devices the log never created.
    pub lost: usize,
    /// Creates beyond the first of a device.
    pub duplicated: usize,
    /// Writes that were not creates.
    pub other_writes: usize,
}

impl ReplicaWrites {
    /// Counts `log` (device id, whether the write was a create) against the
    /// master's device ids.
    pub fn count<'a>(
        master_ids: impl IntoIterator<Item = &'a str>,
        log: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> Self {
        let mut per_device: HashMap<&str, usize> = HashMap::new();
        let mut other_writes = 0;
        for (id, create) in log {
            if create {
                *per_device.entry(id).or_insert(0) += 1;
            } else {
                other_writes += 1;
            }
        }
        let master: HashSet<&str> = master_ids.into_iter().collect();
        Self {
            creates: per_device.values().sum(),
            lost: master
                .iter()
                .filter(|id| !per_device.contains_key(*id))
                .count(),
            duplicated: per_device.values().map(|c| c - 1).sum(),
            other_writes,
        }
    }
}

/// Prints the audits and both goals (at least 95 % of `rate`, zero lost or
/// duplicated operations); an error when operations were lost or duplicated.
pub fn report(
    journal: &Audit,
    devices: usize,
    replica: &str,
    writes: ReplicaWrites,
    replan_empty: bool,
    achieved: f64,
    rate: f64,
) -> Result<(), String> {
    println!(
        "journal audit: planned {}, applied {}, already applied {}, failed {}, duplicated {}, unfinished {}, orphaned {}",
        journal.planned,
        journal.applied,
        journal.already_applied,
        journal.failed,
        journal.duplicated.len(),
        journal.unfinished.len(),
        journal.orphaned.len()
    );
    println!(
        "{replica}: creates {}, lost {}, duplicated {}, other writes {}; re-plan is empty: {replan_empty}",
        writes.creates, writes.lost, writes.duplicated, writes.other_writes
    );
    let exact = journal.is_exactly_once()
        && journal.planned == devices
        && journal.applied == devices
        && journal.failed == 0
        && writes.lost == 0
        && writes.duplicated == 0
        && writes.other_writes == 0
        && replan_empty;
    let rate_ok = achieved >= 0.95 * rate;
    println!(
        "goal rate >= 95 %: {}; goal zero lost or duplicated: {}",
        if rate_ok { "met" } else { "NOT met" },
        if exact { "met" } else { "NOT met" }
    );
    if exact {
        Ok(())
    } else {
        Err("operations lost or duplicated".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lost_duplicated_and_other_writes() {
        let w = ReplicaWrites::count(
            ["a", "b", "c"],
            [("a", true), ("a", true), ("b", true), ("b", false)],
        );
        assert_eq!(
            w,
            ReplicaWrites {
                creates: 3,
                lost: 1,
                duplicated: 1,
                other_writes: 1
            }
        );
    }
}
