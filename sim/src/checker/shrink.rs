//! Shrinking a non-linearizable partition to a small sub-history that is still
//! not linearizable, so that a person reads five operations instead of five
//! thousand.
//!
//! Plain removal would lie: drop the `SET k v` and its `GET k -> v` becomes
//! "a read of a value never written", a violation the real history does not
//! have. So shrinking only uses steps that keep the evidence honest, each of
//! which can only make a history *more* linearizable:
//!
//! - cutting the history at the point where the search got stuck: operations
//!   invoked later go, operations still running then become "maybe";
//! - removing a read-only operation (it changes nothing);
//! - relaxing a write to "maybe": its reply is no longer checked, and it may
//!   take effect at one instant within its interval, or never.
//!
//! If the result is still not linearizable, neither was the original. What
//! remains as recorded is the core a person reads; the relaxed writes are
//! operations that "did not matter, whatever they did". The order of attempts
//! is delta debugging's ([`super::ddmin`]): halves, quarters, ... then single
//! operations until no single step keeps the violation (the core is then
//! 1-minimal). Each attempt
//! is checked by the search itself, under a step budget.

use super::ddmin::ddmin;
use super::search::{search, Entry, SearchOutcome};
use super::spec::Specification;

/// The outcome of shrinking, as indices into the entries in their order.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// Operations that must stay as recorded for the violation to remain.
    pub core: Vec<usize>,
    /// Operations kept only as "maybe" (relaxed writes, indeterminate ones).
    pub relaxed: Vec<usize>,
    /// True when no single further step keeps the violation; false when the
    /// budget ran out (or a check was inconclusive) first.
    pub one_minimal: bool,
    pub steps: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Kept as recorded.
    Core,
    /// Kept as a maybe operation.
    Maybe,
    Gone,
}

/// Shrinks `entries`, known not to be linearizable; `horizon` is the
/// completion time at which their search got stuck.
pub fn shrink<S: Specification>(
    spec: &S,
    entries: &[Entry<'_, S::Input>],
    horizon: u64,
    check_budget: u64,
    total_budget: u64,
) -> Shrunk {
    let mut steps = 0u64;
    let mut inconclusive = false;
    let mut still_violation = |roles: &[Role]| -> bool {
        let remaining = total_budget.saturating_sub(steps);
        if remaining == 0 {
            inconclusive = true;
            return false;
        }
        let sub: Vec<Entry<'_, S::Input>> = (0..entries.len())
            .filter(|&i| roles[i] != Role::Gone)
            .map(|i| Entry { op: entries[i].op, input: entries[i].input, relaxed: roles[i] == Role::Maybe })
            .collect();
        let result = search(spec, &sub, check_budget.min(remaining));
        steps += result.steps;
        match result.outcome {
            SearchOutcome::Violation { .. } => true,
            SearchOutcome::Linearizable { .. } => false,
            SearchOutcome::Unknown { .. } => {
                inconclusive = true;
                false
            }
        }
    };
    // What taking an operation out of the core means for it.
    let out = |i: usize| if spec.is_read_only(entries[i].input) { Role::Gone } else { Role::Maybe };

    let mut roles: Vec<Role> = entries.iter().map(|e| if e.is_maybe() { Role::Maybe } else { Role::Core }).collect();

    let cut: Vec<Role> = (0..entries.len())
        .map(|i| {
            let op = entries[i].op;
            if op.invoke_time > horizon {
                Role::Gone
            } else if roles[i] == Role::Core && op.complete_time.is_none_or(|c| c > horizon) {
                out(i)
            } else {
                roles[i]
            }
        })
        .collect();
    if cut != roles && still_violation(&cut) {
        roles = cut;
    }

    // Reads first: dropping them adds no maybe operation, so those checks are
    // cheap, and the writes left to relax are fewer. A last pass over
    // everything left makes the core 1-minimal.
    let by_time = |mut v: Vec<usize>| {
        v.sort_by_key(|&i| (entries[i].op.invoke_time, i));
        v
    };
    let core_where = |roles: &[Role], reads: Option<bool>| -> Vec<usize> {
        (0..entries.len())
            .filter(|&i| roles[i] == Role::Core && reads.is_none_or(|r| spec.is_read_only(entries[i].input) == r))
            .collect()
    };
    for reads in [Some(true), Some(false), None] {
        let group = by_time(core_where(&roles, reads));
        let others = core_where(&roles, None).len() - group.len();
        let base = roles.clone();
        // The roles with only `kept` of the group left in the core.
        let with_kept = |kept: &[usize]| {
            let mut roles = base.clone();
            group.iter().for_each(|&i| roles[i] = out(i));
            kept.iter().for_each(|&i| roles[i] = Role::Core);
            roles
        };
        // A violation needs at least one operation that must take effect.
        let kept = ddmin(group.clone(), |kept| others + kept.len() > 0 && still_violation(&with_kept(kept)));
        roles = with_kept(&kept);
    }
    let core = by_time(core_where(&roles, None));
    let relaxed = (0..entries.len()).filter(|&i| roles[i] == Role::Maybe).collect();
    Shrunk { core, relaxed, one_minimal: !inconclusive, steps }
}
