//! Timed-out operations: first assume each took effect soon after it was sent.
//!
//! An indeterminate operation (the client gave up waiting) may take effect at
//! any later instant, or never: its completion is at infinity. That freedom is
//! what makes histories with timeouts expensive to check. An operation that
//! never took effect stays a candidate at every later step of the search, and
//! where order shows in the state (a list), each position it could take gives
//! a new state, so memoization cannot merge them: the search tries it, runs
//! on until the next read refutes it, and tries it again one step later. On a
//! generated 100k-operation list-append history (about 20 timeouts among each
//! key's 1,000 operations) half of all steps went to such attempts, and a key
//! took from 100,000 to well over 300,000 steps.
//!
//! A timed-out operation that took effect nearly always did so soon: it was in
//! flight when the client gave up. So the search runs in stages. First every
//! indeterminate operation may take effect only until a window after its
//! invocation closes (or never); if no order explains the history that way,
//! the window widens, and the last stage has none. A window only forbids
//! orders, so an order found under one is a true witness, and a linearizable
//! history is usually settled by the first, cheap stage; only the last,
//! unbounded stage can show a violation, so verdicts do not change. On the
//! history above, the first window settles 73 of the 100 keys and the second
//! the rest, at about one step per operation.
//!
//! Showing that a bounded stage has no witness can cost more than the
//! unbounded search would, so a bounded stage gets only a quarter of the steps
//! left (see [`super::search`]): the last stage keeps over half the budget.

use super::search::Entry;
use crate::history::Outcome;

/// How much each stage's window is wider than the previous one's.
const GROWTH: u64 = 4;
/// Bounded stages before the unbounded one.
const BOUNDED_STAGES: u32 = 2;

/// The windows to search with, narrowest first; the last is `None`
/// (unbounded). Only `[None]` when no operation is indeterminate.
///
/// The first window is the longest time any operation of the partition was
/// observed to take (a timed-out one counts until the client gave up): about
/// the longest an operation stays in flight.
pub fn windows<I>(entries: &[Entry<'_, I>]) -> Vec<Option<u64>> {
    let indeterminate = entries.iter().any(|e| !e.relaxed && matches!(e.op.outcome, Outcome::Info(_)));
    if !indeterminate {
        return vec![None];
    }
    let longest = entries
        .iter()
        .filter_map(|e| e.op.complete_time.map(|c| c.saturating_sub(e.op.invoke_time)))
        .max()
        .unwrap_or(0)
        .max(1);
    // A window as long as the whole partition closes on nothing: that stage
    // would be the unbounded one.
    let first = entries.iter().map(|e| e.op.invoke_time).min().unwrap_or(0);
    let span = entries.iter().map(|e| e.op.invoke_time).max().unwrap_or(0) - first;
    let mut windows: Vec<Option<u64>> = (0..BOUNDED_STAGES)
        .map(|s| longest.saturating_mul(GROWTH.saturating_pow(s)))
        .take_while(|&w| w < span)
        .map(Some)
        .collect();
    windows.push(None);
    windows
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::history::{Op, Reply, Request};

    fn op(id: u64, (invoke, complete): (u64, u64), outcome: Outcome) -> Op {
        Op {
            id,
            client: id,
            key: Bytes::from_static(b"k"),
            request: Request::command(&["SET", "k", "v"]),
            invoke_time: invoke,
            complete_time: Some(complete),
            outcome,
        }
    }

    fn windows_of(ops: &[Op], relaxed: bool) -> Vec<Option<u64>> {
        let entries: Vec<Entry<'_, ()>> = ops.iter().map(|o| Entry { op: o, input: &(), relaxed }).collect();
        windows(&entries)
    }

    const OK: Outcome = Outcome::Ok(Reply::Unrecorded);

    fn timeout() -> Outcome {
        Outcome::Info("timeout".into())
    }

    #[test]
    fn without_indeterminate_operations_one_unbounded_stage() {
        let ops = [op(0, (0, 10), OK), op(1, (500, 530), OK)];
        assert_eq!(windows_of(&ops, false), vec![None]);
        // Relaxed operations expire at their completion already.
        let ops = [op(0, (0, 10), timeout()), op(1, (500, 530), OK)];
        assert_eq!(windows_of(&ops, true), vec![None]);
    }

    #[test]
    fn windows_start_at_the_longest_operation_and_grow() {
        // The longest operation took 30 ticks (the timed-out one 20).
        let ops = [op(0, (0, 10), OK), op(1, (100, 120), timeout()), op(2, (500, 530), OK)];
        assert_eq!(windows_of(&ops, false), vec![Some(30), Some(120), None]);
    }

    #[test]
    fn windows_as_long_as_the_partition_are_left_out() {
        // Invocations span 100 ticks: a window of 120 would bound nothing.
        let ops = [op(0, (0, 10), OK), op(1, (60, 90), timeout()), op(2, (100, 110), OK)];
        assert_eq!(windows_of(&ops, false), vec![Some(30), None]);
        let ops = [op(0, (0, 10), timeout()), op(1, (5, 40), OK)];
        assert_eq!(windows_of(&ops, false), vec![None]);
    }
}
