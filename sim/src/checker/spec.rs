//! The sequential specification the search is generic over.
//!
//! This is the Porcupine shape of a model: an initial state, a step function
//! that runs one operation on a state, and a way to describe states. The
//! partition function is fixed by the history format (operations carry their
//! key). redsim's real specification is [`super::RedisSpec`], which runs
//! commands on the reference `Model`; keeping the search generic lets its unit
//! tests use tiny hand-written specifications.

use crate::history::{Op, Reply};

/// A sequential object: what a single, atomic, one-at-a-time server would do.
pub trait Specification {
    /// The object's state. Cloned at every step of the search that may change
    /// it, so it should be cheap to clone for the data one partition holds.
    type State: Clone;
    /// An operation prepared once per history (parsed commands), so the search
    /// does not parse the same argv again at every step.
    type Input;

    /// Prepares one operation of the history.
    fn prepare(&self, op: &Op) -> Self::Input;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Runs `input` on `state` and returns the reply the object gives.
    fn apply(&self, state: &mut Self::State, input: &Self::Input) -> Reply;

    /// Whether the recorded reply is one the object could have given, knowing
    /// it gave `expected` (equality, except where the object's output order is
    /// unspecified).
    fn accepts(&self, input: &Self::Input, expected: &Reply, recorded: &Reply) -> bool;

    /// True when the operation can never change the state, whatever it is
    /// (reads). An indeterminate read can then be left out of the search, and
    /// the search applies read-only operations to the current state in place,
    /// without cloning it: [`Self::apply`] may touch bookkeeping that
    /// [`Self::identity`] ignores, nothing else (debug builds check).
    fn is_read_only(&self, input: &Self::Input) -> bool;

    /// A canonical 128-bit identity of a state: equal states give equal
    /// identities. The search memoizes (linearized set, state identity), so two
    /// states with one identity are treated as the same state. Computed once
    /// per state the search makes.
    fn identity(&self, state: &Self::State) -> u128;

    /// A short human description of a state, for violation reports.
    fn describe(&self, state: &Self::State) -> String;
}
