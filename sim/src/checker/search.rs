//! The linearizability search for one partition: Wing & Gong's depth-first
//! search over orders, with Lowe's "just in time" linearization and
//! memoization of configurations already explored.
//!
//! The operations' invocations and completions are laid out as one list of
//! events in time order. The search walks that list from its head:
//!
//! - At an invocation, the operation is pending and may take effect now: the
//!   search runs it on the current state, and if the model's reply explains the
//!   recorded one and the resulting configuration (which operations have taken
//!   effect, and the state) was never reached before, it commits: the
//!   operation's two events leave the list, and the walk restarts from the head
//!   with the new state. Otherwise the walk moves on to the next event, to try
//!   the next pending operation.
//! - At a completion, the operation it belongs to has not taken effect yet, but
//!   its reply already arrived: nothing later can come first. This order is a
//!   dead end: the search undoes the last committed operation and resumes just
//!   after its invocation, trying the next candidate in its place.
//!
//! The history is linearizable when every operation with a known completion
//! has taken effect. Indeterminate operations complete "at infinity", so they
//! never block the walk: they are tried like any pending operation, and may
//! also never take effect.
//!
//! Memoization is what keeps this fast: the future of the search depends only
//! on the set of operations taken and the state, so a configuration is
//! explored at most once. Sets are identified by a Zobrist hash (each
//! operation has a random 128-bit tag and a set hashes to the XOR of its tags,
//! updated in O(1) per step), states by [`Specification::identity`], computed
//! once when a state is made and kept beside it. Maybe operations
//! (indeterminate ones) are tracked apart, see [`Memo`].
//!
//! A step costs what the state costs: an operation that may change it runs on
//! a clone, whose identity is then hashed. Read-only operations run on the
//! current state in place and keep its identity, so a read costs only its
//! reply.
//!
//! [`search`] runs this search in stages that first bound when indeterminate
//! operations may take effect, see [`super::widen`].

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::spec::Specification;
use super::widen;
use crate::history::{Op, Outcome};

/// One operation of the partition with its prepared input.
pub struct Entry<'a, I> {
    pub op: &'a Op,
    pub input: &'a I,
    /// Relax the operation: it may take effect at one instant within its
    /// interval, or never, and its reply is not checked. This only adds
    /// possible orders, so a history that is still not linearizable with some
    /// operations relaxed was not linearizable without (shrinking relies on
    /// it). Unlike an indeterminate operation, a relaxed one expires at its
    /// completion, which keeps the search small.
    pub relaxed: bool,
}

impl<'a, I> Entry<'a, I> {
    pub fn new(op: &'a Op, input: &'a I) -> Entry<'a, I> {
        Entry { op, input, relaxed: false }
    }

    /// Whether the operation may take effect or not ("maybe" operations:
    /// indeterminate outcomes and relaxed ones), rather than exactly once.
    pub fn is_maybe(&self) -> bool {
        self.relaxed || matches!(self.op.outcome, Outcome::Info(_))
    }

    /// Where the operation's completion event goes: its completion, or
    /// infinity for indeterminate ones.
    fn end(&self) -> Option<u64> {
        match self.op.outcome {
            Outcome::Info(_) => None,
            _ => self.op.complete_time,
        }
    }

    /// The time after which a maybe operation can no longer take effect: once
    /// an operation invoked later has taken effect, it is too late. A relaxed
    /// operation expires at its completion, an indeterminate one `window`
    /// after its invocation (never without a window).
    fn expiry(&self, window: Option<u64>) -> Option<u64> {
        if self.relaxed {
            self.end()
        } else if matches!(self.op.outcome, Outcome::Info(_)) {
            window.map(|w| self.op.invoke_time.saturating_add(w))
        } else {
            None
        }
    }
}

/// How one search ended. Orders are indices into the entries passed to
/// [`search`], in the order the operations took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchOutcome {
    /// A witness order: every operation that took effect, in order.
    /// Indeterminate operations that never took effect are absent.
    Linearizable { order: Vec<usize> },
    /// No order explains the history; `best` is the longest prefix of
    /// operations that some order could explain.
    Violation { best: Vec<usize> },
    /// The step budget ran out first.
    Unknown { best: Vec<usize> },
}

#[derive(Clone, Debug)]
pub struct SearchResult {
    pub outcome: SearchOutcome,
    /// Model steps taken (each attempt to apply one operation counts once).
    pub steps: u64,
}

const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

/// The events as a doubly linked list over an array, so that committing an
/// operation unlinks its two events in O(1) and undoing it relinks them
/// (undo happens in reverse order of commit, which restores the exact links).
struct Events {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// For node `i > 0`: the entry index and whether it is the completion.
    node: Vec<(u32, bool)>,
    call_node: Vec<u32>,
    return_node: Vec<u32>,
}

impl Events {
    fn new<I>(entries: &[Entry<'_, I>]) -> Events {
        let mut order: Vec<(u64, bool, u32)> = Vec::with_capacity(entries.len() * 2);
        for (i, e) in entries.iter().enumerate() {
            let invoke = e.op.invoke_time;
            // A completion recorded before its invocation is a clock glitch:
            // take the operation as instantaneous.
            let complete = e.end().map_or(u64::MAX, |t| t.max(invoke));
            order.push((invoke, false, i as u32));
            order.push((complete, true, i as u32));
        }
        // At equal times invocations come first: operations that touch in time
        // are treated as concurrent, since their real order is unknown.
        order.sort_unstable();
        let len = order.len() + 1;
        let mut ev = Events {
            next: (1..=len as u32).map(|i| if i as usize == len { NIL } else { i }).collect(),
            prev: (0..len as u32).map(|i| if i == 0 { NIL } else { i - 1 }).collect(),
            node: vec![(NIL, false); len],
            call_node: vec![NIL; entries.len()],
            return_node: vec![NIL; entries.len()],
        };
        for (pos, &(_, is_return, op)) in order.iter().enumerate() {
            let node = pos as u32 + 1;
            ev.node[node as usize] = (op, is_return);
            if is_return {
                ev.return_node[op as usize] = node;
            } else {
                ev.call_node[op as usize] = node;
            }
        }
        ev
    }

    fn unlink(&mut self, n: u32) {
        let (p, x) = (self.prev[n as usize], self.next[n as usize]);
        self.next[p as usize] = x;
        if x != NIL {
            self.prev[x as usize] = p;
        }
    }

    fn relink(&mut self, n: u32) {
        let (p, x) = (self.prev[n as usize], self.next[n as usize]);
        self.next[p as usize] = n;
        if x != NIL {
            self.prev[x as usize] = n;
        }
    }

    fn take(&mut self, op: u32) {
        self.unlink(self.call_node[op as usize]);
        self.unlink(self.return_node[op as usize]);
    }

    fn restore(&mut self, op: u32) {
        self.relink(self.return_node[op as usize]);
        self.relink(self.call_node[op as usize]);
    }
}

/// The Zobrist tag of entry `i`: two SplitMix64 outputs, fixed for every run.
fn tag(i: usize) -> u128 {
    let a = splitmix64((i as u64).wrapping_mul(2).wrapping_add(1));
    let b = splitmix64((i as u64).wrapping_mul(2).wrapping_add(2));
    ((a as u128) << 64) | b as u128
}

/// The frontier's part of a configuration's key (it decides which relaxed
/// operations have expired).
fn time_tag(t: u64) -> u128 {
    let a = splitmix64(t ^ 0x6a09_e667_f3bc_c908);
    let b = splitmix64(t ^ 0xbb67_ae85_84ca_a73b);
    ((a as u128) << 64) | b as u128
}

pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The memo's keys are already hashes: use their low bits as they are.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u128(&mut self, x: u128) {
        self.0 = (x as u64) ^ ((x >> 64) as u64);
    }
}

/// Configurations already reached. Operations that must take effect are
/// hashed into the key with the state; maybe operations are kept apart as a
/// bitset, because using fewer of them leaves more options: a configuration
/// is skipped when the same key was reached using a subset of the maybe
/// operations it used (subsumption), which keeps histories with many timeouts
/// tractable. With no maybe operation used, a key alone decides.
#[derive(Default)]
struct Memo {
    plain: HashSet<u128, BuildHasherDefault<Passthrough>>,
    with_maybe: HashMap<u128, Vec<Box<[u64]>>, BuildHasherDefault<Passthrough>>,
}

impl Memo {
    /// Records the configuration; false if it (or one with more options) was
    /// reached before.
    fn visit(&mut self, key: u128, used: &[u64]) -> bool {
        if self.plain.contains(&key) {
            return false;
        }
        if used.iter().all(|&w| w == 0) {
            self.plain.insert(key);
            return true;
        }
        let seen = self.with_maybe.entry(key).or_default();
        if seen.iter().any(|earlier| earlier.iter().zip(used).all(|(&e, &u)| e & !u == 0)) {
            return false;
        }
        seen.push(used.into());
        true
    }
}

/// Searches for an order of `entries` that the specification explains, taking
/// at most `budget` model steps. Indeterminate operations are first assumed
/// to have taken effect soon after their invocation, if at all, and the
/// assumption is widened step by step when it explains nothing (see
/// [`super::widen`]); only the unbounded last stage can find a violation.
pub fn search<S: Specification>(spec: &S, entries: &[Entry<'_, S::Input>], budget: u64) -> SearchResult {
    let mut steps = 0;
    let mut longest: Vec<usize> = Vec::new();
    let windows = widen::windows(entries);
    for (stage, &window) in windows.iter().enumerate() {
        let last = stage + 1 == windows.len();
        // A bounded stage is a bet on a quick witness, and proving that it
        // has none can cost more than the unbounded search: it gets a quarter
        // of what is left, so the last stage always keeps over half the budget.
        let remaining = budget - steps;
        let found = search_within(spec, entries, if last { remaining } else { remaining / 4 }, window);
        steps += found.steps;
        let outcome = match found.outcome {
            // A window only forbids orders: its witness is a witness, its
            // prefixes are prefixes, but its dead end proves nothing.
            SearchOutcome::Violation { best } | SearchOutcome::Unknown { best } if !last => {
                if best.len() > longest.len() {
                    longest = best;
                }
                continue;
            }
            SearchOutcome::Unknown { best } => {
                SearchOutcome::Unknown { best: if best.len() >= longest.len() { best } else { longest } }
            }
            other => other,
        };
        return SearchResult { outcome, steps };
    }
    unreachable!("the last window is unbounded, and it always decides")
}

/// One level of the search: an operation that took effect.
struct Level {
    op: u32,
    /// The event node to resume the walk from when the operation is undone.
    resume: u32,
    /// Whether the operation pushed a new state (read-only ones do not).
    pushed_state: bool,
}

/// The search proper, with indeterminate operations allowed to take effect
/// only until `window` after their invocation (`None`: any time).
fn search_within<S: Specification>(
    spec: &S,
    entries: &[Entry<'_, S::Input>],
    budget: u64,
    window: Option<u64>,
) -> SearchResult {
    let mut events = Events::new(entries);
    let init = spec.init();
    let init_identity = spec.identity(&init);
    // States with their identities, computed once when the state is made.
    let mut states: Vec<(S::State, u128)> = vec![(init, init_identity)];
    let mut stack: Vec<Level> = Vec::new();
    let mut best: Vec<usize> = Vec::new();
    let mut memo = Memo::default();
    let mut set_hash: u128 = 0;
    let mut steps: u64 = 0;
    let is_maybe = |i: usize| entries[i].is_maybe();
    let expiry: Vec<Option<u64>> = entries.iter().map(|e| e.expiry(window)).collect();
    // Read-only operations run on the current state in place: no clone, and
    // the state's identity is known.
    let read_only: Vec<bool> = entries.iter().map(|e| spec.is_read_only(e.input)).collect();
    // Maybe operations get a bit each in `used`.
    let mut slot = vec![usize::MAX; entries.len()];
    let maybe_ops: Vec<usize> = (0..entries.len()).filter(|&i| is_maybe(i)).collect();
    for (n, &i) in maybe_ops.iter().enumerate() {
        slot[i] = n;
    }
    let maybe_count = maybe_ops.len();
    // Whether a maybe operation used earlier has expired changes nothing
    // ahead: the memo sees only the maybe operations still live.
    let live = |used: &[u64], frontier: u64| -> Vec<u64> {
        let mut live = used.to_vec();
        for (w, word) in live.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if expiry[maybe_ops[w * 64 + b]].is_some_and(|t| t < frontier) {
                    *word &= !(1 << b);
                }
            }
        }
        live
    };
    let mut used = vec![0u64; maybe_count.div_ceil(64)];
    // The latest invocation among operations taken, per stack level: maybe
    // operations that expired before it can no longer take effect.
    let mut frontier: Vec<u64> = vec![0];
    // Operations that must take effect: all but the maybe ones.
    let mut must_remaining = (0..entries.len()).filter(|&i| !is_maybe(i)).count();
    let order = |stack: &[Level]| stack.iter().map(|l| l.op as usize).collect::<Vec<_>>();

    let mut cursor = events.next[HEAD as usize];
    loop {
        if must_remaining == 0 {
            return SearchResult { outcome: SearchOutcome::Linearizable { order: order(&stack) }, steps };
        }
        // Operations that must take effect have completions in the list, so the
        // walk meets one before running off the end; if it did not, that end
        // would be a dead end like a completion.
        let (op, is_return) = if cursor == NIL { (NIL, true) } else { events.node[cursor as usize] };
        let i = op as usize;
        if !is_return {
            let now = *frontier.last().expect("the base frontier is never popped");
            if expiry[i].is_some_and(|t| t < now) {
                cursor = events.next[cursor as usize];
                continue;
            }
            if steps >= budget {
                let prefix = if stack.len() > best.len() { order(&stack) } else { best };
                return SearchResult { outcome: SearchOutcome::Unknown { best: prefix }, steps };
            }
            steps += 1;
            let (current, current_identity) = states.last_mut().expect("the initial state is never popped");
            let mut next_state = None;
            let reply = if read_only[i] {
                spec.apply(current, entries[i].input)
            } else {
                let mut state = current.clone();
                let reply = spec.apply(&mut state, entries[i].input);
                next_state = Some(state);
                reply
            };
            let explained = match &entries[i].op.outcome {
                _ if is_maybe(i) => true,
                Outcome::Ok(recorded) => spec.accepts(entries[i].input, &reply, recorded),
                // Definite failures took no effect; callers leave them out.
                Outcome::Info(_) | Outcome::Fail(_) => false,
            };
            if explained {
                let identity = match &next_state {
                    Some(state) => spec.identity(state),
                    None => {
                        debug_assert_eq!(
                            spec.identity(current),
                            *current_identity,
                            "a read-only operation changed the state"
                        );
                        *current_identity
                    }
                };
                let maybe = is_maybe(i);
                let next_hash = if maybe { set_hash } else { set_hash ^ tag(i) };
                if maybe {
                    used[slot[i] / 64] |= 1 << (slot[i] % 64);
                }
                let reach = now.max(entries[i].op.invoke_time);
                let key = next_hash ^ identity ^ time_tag(reach);
                if memo.visit(key, &live(&used, reach)) {
                    set_hash = next_hash;
                    events.take(op);
                    let pushed_state = next_state.is_some();
                    if let Some(state) = next_state {
                        states.push((state, identity));
                    }
                    stack.push(Level { op, resume: cursor, pushed_state });
                    frontier.push(reach);
                    if !maybe {
                        must_remaining -= 1;
                    }
                    cursor = events.next[HEAD as usize];
                    continue;
                }
                if maybe {
                    used[slot[i] / 64] &= !(1 << (slot[i] % 64));
                }
            }
            cursor = events.next[cursor as usize];
        } else if op != NIL && is_maybe(i) {
            // A maybe operation's completion is no deadline: it may never happen.
            cursor = events.next[cursor as usize];
        } else {
            // A completion whose operation has not taken effect: dead end.
            if stack.len() > best.len() {
                best = order(&stack);
            }
            let Some(undone) = stack.pop() else {
                return SearchResult { outcome: SearchOutcome::Violation { best }, steps };
            };
            if undone.pushed_state {
                states.pop();
            }
            frontier.pop();
            events.restore(undone.op);
            let u = undone.op as usize;
            if is_maybe(u) {
                used[slot[u] / 64] &= !(1 << (slot[u] % 64));
            } else {
                set_hash ^= tag(u);
                must_remaining += 1;
            }
            cursor = events.next[undone.resume as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use bytes::Bytes;
    use redsim_model::Frame;

    use super::*;
    use crate::history::{Reply, Request};

    /// A register holding one number, whose clones are counted.
    #[derive(Debug)]
    struct Counted {
        value: i64,
        clones: Rc<Cell<usize>>,
    }

    impl Clone for Counted {
        fn clone(&self) -> Counted {
            self.clones.set(self.clones.get() + 1);
            Counted { value: self.value, clones: self.clones.clone() }
        }
    }

    #[derive(Clone, Copy)]
    enum Cmd {
        Write(i64),
        Read,
        /// Claims to be read-only but writes: a broken specification.
        SneakyWrite(i64),
    }

    struct Register {
        clones: Rc<Cell<usize>>,
    }

    impl Specification for Register {
        type State = Counted;
        type Input = Cmd;

        fn prepare(&self, _: &Op) -> Cmd {
            Cmd::Read
        }
        fn init(&self) -> Counted {
            Counted { value: 0, clones: self.clones.clone() }
        }
        fn apply(&self, state: &mut Counted, cmd: &Cmd) -> Reply {
            match *cmd {
                Cmd::Write(v) | Cmd::SneakyWrite(v) => {
                    state.value = v;
                    Reply::Single(Frame::ok())
                }
                Cmd::Read => Reply::Single(Frame::Integer(state.value)),
            }
        }
        fn accepts(&self, _: &Cmd, expected: &Reply, recorded: &Reply) -> bool {
            expected == recorded
        }
        fn is_read_only(&self, cmd: &Cmd) -> bool {
            matches!(cmd, Cmd::Read | Cmd::SneakyWrite(_))
        }
        fn identity(&self, state: &Counted) -> u128 {
            state.value as u128
        }
        fn describe(&self, state: &Counted) -> String {
            state.value.to_string()
        }
    }

    fn op(id: u64, (invoke, complete): (u64, u64), reply: Frame) -> Op {
        Op {
            id,
            client: id,
            key: Bytes::from_static(b"r"),
            request: Request::command(&["GET", "r"]),
            invoke_time: invoke,
            complete_time: Some(complete),
            outcome: Outcome::Ok(Reply::Single(reply)),
        }
    }

    /// One write, then `reads` sequential reads that see it.
    fn write_then_reads(reads: u64, write: Cmd) -> (Vec<Op>, Vec<Cmd>) {
        let mut ops = vec![op(0, (0, 10), Frame::ok())];
        let mut cmds = vec![write];
        for i in 1..=reads {
            ops.push(op(i, (20 * i, 20 * i + 10), Frame::Integer(7)));
            cmds.push(Cmd::Read);
        }
        (ops, cmds)
    }

    #[test]
    fn reads_run_on_the_state_in_place() {
        let spec = Register { clones: Rc::new(Cell::new(0)) };
        let (ops, cmds) = write_then_reads(50, Cmd::Write(7));
        let entries: Vec<Entry<'_, Cmd>> = ops.iter().zip(&cmds).map(|(o, c)| Entry::new(o, c)).collect();
        let found = search(&spec, &entries, 1_000);
        assert_eq!(found.outcome, SearchOutcome::Linearizable { order: (0..=50).collect() });
        assert_eq!(found.steps, 51);
        assert_eq!(spec.clones.get(), 1, "only the write needed a copy of the state");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "a read-only operation changed the state")]
    fn a_read_only_operation_that_changes_the_state_is_caught() {
        let spec = Register { clones: Rc::new(Cell::new(0)) };
        let (ops, cmds) = write_then_reads(1, Cmd::SneakyWrite(7));
        let entries: Vec<Entry<'_, Cmd>> = ops.iter().zip(&cmds).map(|(o, c)| Entry::new(o, c)).collect();
        search(&spec, &entries, 1_000);
    }
}
