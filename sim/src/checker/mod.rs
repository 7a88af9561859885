//! The linearizability checker: does some order of the history's operations,
//! each taking effect at one instant between its invocation and completion,
//! explain every reply according to the reference `Model`?
//!
//! - [`spec`]: the sequential specification the search is generic over, and
//!   [`RedisSpec`], which runs commands on the reference `Model`.
//! - [`search`]: the depth-first search with just-in-time linearization and
//!   memoization, for one partition; [`widen`]: its stages, which first assume
//!   that timed-out operations took effect soon, if at all.
//! - Partitions: operations carry a key; each key's operations are checked on
//!   their own (P-compositionality: a history is linearizable iff every
//!   per-object sub-history is), which turns one exponential search into many
//!   small ones.
//! - [`explain`] and [`shrink`]: on a violation, the longest explainable
//!   prefix, the step no order could explain, and a small sub-history that
//!   still fails ([`ddmin`], which `crate::minimize` shares). [`render`]
//!   prints them.
//! - [`lost`]: the "acknowledged writes lost" count, per workload kind.
//! - [`generate`]: random linearizable histories for tests and benchmarks;
//!   [`import`]: histories from Jepsen and Porcupine logs.
//!
//! Everything is deterministic: budgets count model steps, not seconds, and
//! nothing depends on a clock or on process randomness.

mod compare;
pub mod ddmin;
mod explain;
pub mod generate;
pub mod import;
mod lost;
mod redis_spec;
mod render;
mod search;
mod shrink;
mod spec;
mod widen;

use std::collections::BTreeMap;

use bytes::Bytes;

pub use compare::{order_free, replies_match};
pub use explain::{Attempt, Explanation};
pub use lost::{LostCount, LostWrites, WorkloadKind};
pub use redis_spec::{model_identity, RedisSpec};
pub use render::timeline;
pub use search::{search, Entry, SearchOutcome, SearchResult};
pub use spec::Specification;

use crate::history::{History, Op, OpId, Outcome};

/// Limits of one check. Budgets are model steps, so a verdict never depends
/// on how fast the machine is.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    /// Steps one partition's search may take before its verdict is Unknown.
    pub max_steps_per_partition: u64,
    /// Steps spent shrinking each violated partition to a small sub-history.
    pub shrink_steps: u64,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig { max_steps_per_partition: 5_000_000, shrink_steps: 10_000_000 }
    }
}

/// The verdict on a whole history: a violation if any partition has one, else
/// unknown if any partition ran out of budget, else linearizable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Linearizable,
    Unknown,
    Violation,
}

/// What the checker found.
#[derive(Clone, Debug)]
pub struct CheckReport {
    pub verdict: Verdict,
    /// One per key, in key order.
    pub partitions: Vec<PartitionReport>,
    /// The acknowledged-writes-lost count summed over keys, when the history
    /// names a known workload kind.
    pub lost_writes: Option<(WorkloadKind, LostCount)>,
    /// Model steps taken by all searches (shrinking excluded).
    pub steps: u64,
}

impl CheckReport {
    /// The violated partitions' details.
    pub fn violations(&self) -> impl Iterator<Item = &Violation> {
        self.partitions.iter().filter_map(|p| match &p.result {
            PartitionResult::Violation(v) => Some(&**v),
            _ => None,
        })
    }

    pub fn partition(&self, key: &[u8]) -> Option<&PartitionReport> {
        self.partitions.iter().find(|p| p.key == key)
    }
}

/// One key's result.
#[derive(Clone, Debug)]
pub struct PartitionReport {
    pub key: Bytes,
    /// Operations on the key, all outcomes.
    pub ops: usize,
    /// Operations the search considered: definite failures and indeterminate
    /// reads are left out (neither can change anything).
    pub checked_ops: usize,
    pub steps: u64,
    pub result: PartitionResult,
    pub lost_writes: Option<LostCount>,
}

#[derive(Clone, Debug)]
pub enum PartitionResult {
    /// A witness: the operations in an order that explains every reply.
    Linearizable {
        order: Vec<OpId>,
    },
    /// The budget ran out; the longest prefix explained so far.
    Unknown {
        longest_prefix: Vec<OpId>,
    },
    Violation(Box<Violation>),
}

impl PartitionResult {
    pub fn verdict(&self) -> Verdict {
        match self {
            PartitionResult::Linearizable { .. } => Verdict::Linearizable,
            PartitionResult::Unknown { .. } => Verdict::Unknown,
            PartitionResult::Violation(_) => Verdict::Violation,
        }
    }
}

/// A key whose operations no order explains.
#[derive(Clone, Debug)]
pub struct Violation {
    pub key: Bytes,
    /// Where the search over the whole partition got stuck.
    pub explanation: Explanation,
    /// A sub-history that is still not linearizable, in invocation order:
    /// the operations that must be as recorded for the violation to remain.
    pub minimal: Vec<Op>,
    /// Writes (and indeterminate operations) of the key that still took part
    /// in the check, but only as "may have taken effect at any instant after
    /// invocation, or never": the violation remains whatever they did.
    /// Everything else on the key was removed.
    pub irrelevant: Vec<OpId>,
    /// True when no single further shrinking step (dropping one read, relaxing
    /// one write of `minimal`) keeps the violation (false when the shrink
    /// budget ran out before that was shown).
    pub minimal_is_one_minimal: bool,
    /// Where the search over `minimal` gets stuck: usually the clearest story.
    pub minimal_explanation: Explanation,
    pub shrink_steps: u64,
}

/// Checks a history against the reference model, in the history's protocol.
pub fn check(history: &History, config: &CheckConfig) -> CheckReport {
    check_with(&RedisSpec::new(history.protocol), history, config)
}

/// Checks a history against any specification.
pub fn check_with<S: Specification>(spec: &S, history: &History, config: &CheckConfig) -> CheckReport {
    let mut by_key: BTreeMap<&Bytes, Vec<&Op>> = BTreeMap::new();
    for op in &history.ops {
        by_key.entry(&op.key).or_default().push(op);
    }
    let kind = history.workload.as_deref().and_then(WorkloadKind::from_name);
    let mut partitions = Vec::with_capacity(by_key.len());
    let mut lost_total = LostCount::default();
    for (key, ops) in by_key {
        let mut report = check_partition(spec, key.clone(), &ops, config);
        if let Some(kind) = kind {
            let lost = kind.lost_writes().count(&ops);
            lost_total.add(lost.clone());
            report.lost_writes = Some(lost);
        }
        partitions.push(report);
    }
    let verdict = partitions.iter().map(|p| p.result.verdict()).max().unwrap_or(Verdict::Linearizable);
    let steps = partitions.iter().map(|p| p.steps).sum();
    CheckReport { verdict, partitions, lost_writes: kind.map(|k| (k, lost_total)), steps }
}

/// Checks one key's operations (in any order; all outcomes).
pub fn check_partition<S: Specification>(spec: &S, key: Bytes, ops: &[&Op], config: &CheckConfig) -> PartitionReport {
    let mut admitted: Vec<&Op> = Vec::with_capacity(ops.len());
    let mut inputs: Vec<S::Input> = Vec::with_capacity(ops.len());
    for &op in ops {
        if matches!(op.outcome, Outcome::Fail(_)) {
            continue;
        }
        let input = spec.prepare(op);
        if matches!(op.outcome, Outcome::Info(_)) && spec.is_read_only(&input) {
            continue;
        }
        admitted.push(op);
        inputs.push(input);
    }
    let entries: Vec<Entry<'_, S::Input>> =
        admitted.iter().zip(&inputs).map(|(&op, input)| Entry::new(op, input)).collect();
    let ids = |order: &[usize]| order.iter().map(|&i| entries[i].op.id).collect::<Vec<_>>();
    let found = search(spec, &entries, config.max_steps_per_partition);
    let result = match found.outcome {
        SearchOutcome::Linearizable { order } => PartitionResult::Linearizable { order: ids(&order) },
        SearchOutcome::Unknown { best } => PartitionResult::Unknown { longest_prefix: ids(&best) },
        SearchOutcome::Violation { best } => {
            // A shrinking check that takes far longer than the whole search did
            // is not worth its budget: give up on that removal instead.
            let check_budget = config.max_steps_per_partition.min(found.steps.saturating_mul(5).max(100_000));
            PartitionResult::Violation(Box::new(violation(spec, key.clone(), &entries, &best, check_budget, config)))
        }
    };
    PartitionReport { key, ops: ops.len(), checked_ops: entries.len(), steps: found.steps, result, lost_writes: None }
}

fn violation<S: Specification>(
    spec: &S,
    key: Bytes,
    entries: &[Entry<'_, S::Input>],
    best: &[usize],
    check_budget: u64,
    config: &CheckConfig,
) -> Violation {
    let explanation = explain::explain(spec, entries, best);
    let horizon = explanation.deadline.as_ref().and_then(|d| d.complete_time).unwrap_or(u64::MAX);
    let shrunk = shrink::shrink(spec, entries, horizon, check_budget, config.shrink_steps);
    let sub: Vec<Entry<'_, S::Input>> =
        shrunk.core.iter().map(|&i| Entry::new(entries[i].op, entries[i].input)).collect();
    // The core is not linearizable even with the relaxed operations around it,
    // so it is not linearizable alone either; its own search tells the short story.
    let minimal_explanation = match search(spec, &sub, config.max_steps_per_partition).outcome {
        SearchOutcome::Violation { best } | SearchOutcome::Unknown { best } => explain::explain(spec, &sub, &best),
        SearchOutcome::Linearizable { .. } => explanation.clone(),
    };
    Violation {
        key,
        explanation,
        minimal: sub.iter().map(|e| e.op.clone()).collect(),
        irrelevant: shrunk.relaxed.iter().map(|&i| entries[i].op.id).collect(),
        minimal_is_one_minimal: shrunk.one_minimal,
        minimal_explanation,
        shrink_steps: shrunk.steps,
    }
}
