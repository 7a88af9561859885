//! Turning a failed search into something a person can act on.
//!
//! The search remembers the longest prefix of operations it could explain.
//! From there, one operation's reply has already arrived, so it had to take
//! effect before anything that started later. The explanation replays the
//! prefix on the model and shows, for every operation that could have come
//! next, what the model would have answered and what the client was told:
//! the step that no order could explain.

use super::search::Entry;
use super::spec::Specification;
use crate::history::{Op, Outcome, Reply};

/// Why a partition has no linearization, as far as the search got.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The longest prefix some order could explain, in that order.
    pub prefix: Vec<Op>,
    /// The model's state after the prefix.
    pub state: String,
    /// The operation that completed before it could take effect: nothing that
    /// started after its completion may precede it.
    pub deadline: Option<Op>,
    /// Every operation that could have taken effect next, with the model's
    /// reply from the state after the prefix.
    pub attempts: Vec<Attempt>,
}

/// One candidate for the next step after the prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct Attempt {
    pub op: Op,
    /// What the model answers if this operation comes next.
    pub expected: Reply,
    /// Whether that answer explains the recorded one. A candidate can be
    /// explained here and still lead only to dead ends later.
    pub explained: bool,
}

/// Explains why `entries` have no order beyond `best` (indices into entries).
pub fn explain<S: Specification>(spec: &S, entries: &[Entry<'_, S::Input>], best: &[usize]) -> Explanation {
    let mut state = spec.init();
    let mut taken = vec![false; entries.len()];
    for &i in best {
        spec.apply(&mut state, entries[i].input);
        taken[i] = true;
    }
    let rest: Vec<usize> = (0..entries.len()).filter(|&i| !taken[i]).collect();
    // The earliest completion among operations that must take effect.
    let deadline = rest
        .iter()
        .copied()
        .filter(|&i| !entries[i].is_maybe())
        .filter_map(|i| entries[i].op.complete_time.map(|t| (t.max(entries[i].op.invoke_time), i)))
        .min();
    let horizon = deadline.map_or(u64::MAX, |(t, _)| t);
    let attempts = rest
        .iter()
        .copied()
        .filter(|&i| entries[i].op.invoke_time <= horizon)
        .map(|i| {
            let mut s = state.clone();
            let expected = spec.apply(&mut s, entries[i].input);
            let explained = match &entries[i].op.outcome {
                _ if entries[i].is_maybe() => true,
                Outcome::Ok(recorded) => spec.accepts(entries[i].input, &expected, recorded),
                Outcome::Info(_) | Outcome::Fail(_) => false,
            };
            Attempt { op: entries[i].op.clone(), expected, explained }
        })
        .collect();
    Explanation {
        prefix: best.iter().map(|&i| entries[i].op.clone()).collect(),
        state: spec.describe(&state),
        deadline: deadline.map(|(_, i)| entries[i].op.clone()),
        attempts,
    }
}
