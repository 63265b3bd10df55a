//! Pure analysis of a journal: what is pending, and an exactly-once audit.

use super::record::{JournalRecord, OpOutcome};
use crate::plan::Operation;
use std::collections::{BTreeMap, BTreeSet};

/// A planned operation without an outcome.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingOp {
    /// Run id.
    pub run: u64,
    /// Operation id.
    pub op: u64,
    /// The operation.
    pub operation: Operation,
}

/// What a restarted engine must finish.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Operations planned but not finished, in journal order.
    pub pending: Vec<PendingOp>,
    /// Runs started but not completed.
    pub open_runs: Vec<u64>,
    /// The id to give the next run.
    pub next_run: u64,
}

/// Works out what is unfinished in `records`.
pub fn recover(records: &[JournalRecord]) -> Recovery {
    let mut planned: BTreeMap<(u64, u64), Operation> = BTreeMap::new();
    let mut order: Vec<(u64, u64)> = Vec::new();
    let mut done: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut started: BTreeSet<u64> = BTreeSet::new();
    let mut completed: BTreeSet<u64> = BTreeSet::new();
    let mut max_run: Option<u64> = None;
    for r in records {
        max_run = Some(max_run.map_or(r.run(), |m| m.max(r.run())));
        match r {
            JournalRecord::RunStarted { run, .. } => {
                started.insert(*run);
            }
            JournalRecord::Planned { run, op, operation } => {
                if planned.insert((*run, *op), operation.clone()).is_none() {
                    order.push((*run, *op));
                }
            }
            JournalRecord::Applied { run, op, .. } | JournalRecord::Failed { run, op, .. } => {
                done.insert((*run, *op));
            }
            JournalRecord::RunCompleted { run } => {
                completed.insert(*run);
            }
        }
    }
    let pending = order
        .into_iter()
        .filter(|k| !done.contains(k) && !completed.contains(&k.0))
        .filter_map(|k| {
            planned.remove(&k).map(|operation| PendingOp {
                run: k.0,
                op: k.1,
                operation,
            })
        })
        .collect();
    Recovery {
        pending,
        open_runs: started.difference(&completed).copied().collect(),
        next_run: max_run.map_or(1, |m| m.saturating_add(1)),
    }
}

/// Counts that show whether every planned operation ended exactly once.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audit {
    /// Planned operations.
    pub planned: usize,
    /// Outcomes `Applied`.
    pub applied: usize,
    /// Outcomes `AlreadyApplied`.
    pub already_applied: usize,
    /// Outcomes `Failed`.
    pub failed: usize,
    /// Operations with more than one outcome (must be empty).
    pub duplicated: Vec<(u64, u64)>,
    /// Planned operations without an outcome.
    pub unfinished: Vec<(u64, u64)>,
    /// Outcomes for operations never planned (must be empty).
    pub orphaned: Vec<(u64, u64)>,
}

impl Audit {
    /// Whether every planned operation has exactly one outcome and nothing else happened.
    pub fn is_exactly_once(&self) -> bool {
        self.duplicated.is_empty() && self.unfinished.is_empty() && self.orphaned.is_empty()
    }
}

/// Audits a journal.
pub fn audit(records: &[JournalRecord]) -> Audit {
    let mut a = Audit::default();
    let mut planned = BTreeSet::new();
    let mut outcomes: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for r in records {
        match r {
            JournalRecord::Planned { run, op, .. } => {
                if planned.insert((*run, *op)) {
                    a.planned += 1;
                }
            }
            JournalRecord::Applied { run, op, outcome } => {
                match outcome {
                    OpOutcome::Applied => a.applied += 1,
                    OpOutcome::AlreadyApplied => a.already_applied += 1,
                }
                *outcomes.entry((*run, *op)).or_default() += 1;
            }
            JournalRecord::Failed { run, op, .. } => {
                a.failed += 1;
                *outcomes.entry((*run, *op)).or_default() += 1;
            }
            JournalRecord::RunStarted { .. } | JournalRecord::RunCompleted { .. } => {}
        }
    }
    a.duplicated = outcomes
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| *k)
        .collect();
    a.orphaned = outcomes
        .keys()
        .filter(|k| !planned.contains(*k))
        .copied()
        .collect();
    a.unfinished = planned
        .iter()
        .filter(|k| !outcomes.contains_key(*k))
        .copied()
        .collect();
    a
}

/// `records` without those of completed runs.
pub(crate) fn without_completed_runs(records: &[JournalRecord]) -> Vec<JournalRecord> {
    let completed: BTreeSet<u64> = records
        .iter()
        .filter_map(|r| match r {
            JournalRecord::RunCompleted { run } => Some(*run),
            _ => None,
        })
        .collect();
    records
        .iter()
        .filter(|r| !completed.contains(&r.run()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeviceId;
    use crate::plan::Precondition;

    fn planned(run: u64, op: u64) -> JournalRecord {
        JournalRecord::Planned {
            run,
            op,
            operation: Operation::Delete {
                id: DeviceId::new(format!("d{op}")),
                precondition: Precondition::Any,
            },
        }
    }

    #[test]
    fn pending_is_planned_minus_outcomes() {
        let records = vec![
            JournalRecord::RunStarted {
                run: 3,
                operations: 3,
            },
            planned(3, 0),
            planned(3, 1),
            planned(3, 2),
            JournalRecord::Applied {
                run: 3,
                op: 1,
                outcome: OpOutcome::Applied,
            },
            JournalRecord::Failed {
                run: 3,
                op: 2,
                error: "Rejected".into(),
                attempts: 1,
            },
        ];
        let r = recover(&records);
        assert_eq!(r.pending.iter().map(|p| p.op).collect::<Vec<_>>(), [0]);
        assert_eq!(r.open_runs, [3]);
        assert_eq!(r.next_run, 4);
        let a = audit(&records);
        assert_eq!(a.unfinished, [(3, 0)]);
        assert!(!a.is_exactly_once());
    }

    #[test]
    fn completed_runs_have_nothing_pending_and_compact_away() {
        let records = vec![
            JournalRecord::RunStarted {
                run: 1,
                operations: 1,
            },
            planned(1, 0),
            JournalRecord::Applied {
                run: 1,
                op: 0,
                outcome: OpOutcome::Applied,
            },
            JournalRecord::RunCompleted { run: 1 },
            JournalRecord::RunStarted {
                run: 2,
                operations: 1,
            },
            planned(2, 0),
        ];
        let r = recover(&records);
        assert_eq!(r.pending.len(), 1);
        assert_eq!(without_completed_runs(&records).len(), 2);
        let a = audit(&records[..4]);
        assert!(a.is_exactly_once());
        assert_eq!(a.applied, 1);
    }

    #[test]
    fn duplicates_are_reported() {
        let records = vec![
            planned(1, 0),
            JournalRecord::Applied {
                run: 1,
                op: 0,
                outcome: OpOutcome::Applied,
            },
            JournalRecord::Applied {
                run: 1,
                op: 0,
                outcome: OpOutcome::AlreadyApplied,
            },
        ];
        assert_eq!(audit(&records).duplicated, [(1, 0)]);
    }
}
