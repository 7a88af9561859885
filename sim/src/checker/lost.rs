//! "Acknowledged writes lost": a simpler, user-facing count next to the
//! linearizability verdict.
//!
//! A linearizability violation says "something is wrong with this key"; users
//! of a data store ask the blunter question "did it lose data it told me it
//! had stored?". The answer depends on what the workload writes, so each
//! workload kind defines it precisely ([`WorkloadKind::lost_writes`]). All of
//! them assume what the generated workloads guarantee: every written value or
//! element is unique, and nothing deletes.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use redsim_model::Frame;

use crate::history::{Op, Outcome, Reply};

/// The count for one key (or, summed, a whole history).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LostCount {
    /// Writes (or written elements, or increments) the store acknowledged.
    pub acknowledged: u64,
    /// Of those, how many a later read shows missing.
    pub lost: u64,
    /// A few of the lost ones, described for a person.
    pub examples: Vec<String>,
}

impl LostCount {
    pub fn add(&mut self, other: LostCount) {
        self.acknowledged += other.acknowledged;
        self.lost += other.lost;
        let room = MAX_EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }

    fn lose(&mut self, n: u64, example: String) {
        self.lost += n;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(example);
        }
    }
}

const MAX_EXAMPLES: usize = 5;

/// How a workload kind counts lost acknowledged writes on one key's operations
/// (all outcomes included; each definition says which it uses).
pub trait LostWrites {
    fn count(&self, ops: &[&Op]) -> LostCount;
}

/// The workload kinds the simulator runs; each knows its writes and reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    /// `SET k v` / `GET k`.
    Register,
    /// `INCR k` / `GET k`.
    Counter,
    /// `SADD k m` / `SMEMBERS k`.
    Set,
    /// `RPUSH k e...` (alone or inside MULTI/EXEC) / `LRANGE k 0 -1`.
    ListAppend,
    /// `LPUSH k e` / `RPOP k`.
    Queue,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 5] = [
        WorkloadKind::Register,
        WorkloadKind::Counter,
        WorkloadKind::Set,
        WorkloadKind::ListAppend,
        WorkloadKind::Queue,
    ];

    /// The name used in history files.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Register => "register",
            WorkloadKind::Counter => "counter",
            WorkloadKind::Set => "set",
            WorkloadKind::ListAppend => "list-append",
            WorkloadKind::Queue => "queue",
        }
    }

    pub fn from_name(name: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind's definition of a lost acknowledged write.
    pub fn lost_writes(self) -> &'static dyn LostWrites {
        match self {
            WorkloadKind::Register => &RegisterLoss,
            WorkloadKind::Counter => &CounterLoss,
            WorkloadKind::Set => &ElementLoss { add: "SADD", read: "SMEMBERS" },
            WorkloadKind::ListAppend => &ElementLoss { add: "RPUSH", read: "LRANGE" },
            WorkloadKind::Queue => &QueueLoss,
        }
    }
}

/// Each command of an operation with its reply (none when not `Ok` or unrecorded).
fn steps(op: &Op) -> Vec<(&[Bytes], Option<&Frame>)> {
    let cmds = op.request.commands();
    match &op.outcome {
        Outcome::Ok(Reply::Single(f)) if cmds.len() == 1 => vec![(&cmds[0][..], Some(f))],
        Outcome::Ok(Reply::Exec(fs)) if fs.len() == cmds.len() => {
            cmds.iter().map(|c| &c[..]).zip(fs.iter().map(Some)).collect()
        }
        _ => cmds.iter().map(|c| (&c[..], None)).collect(),
    }
}

fn is(argv: &[Bytes], name: &str) -> bool {
    argv.first().is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
}

fn items(f: &Frame) -> Option<Vec<Bytes>> {
    match f {
        Frame::Array(xs) | Frame::Set(xs) => {
            xs.iter().map(|x| if let Frame::Bulk(b) = x { Some(b.clone()) } else { None }).collect()
        }
        Frame::Null | Frame::NullArray => Some(Vec::new()),
        _ => None,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Registers: an acknowledged `SET k v` (op `w`) is lost when a `GET` that
/// started after `w` completed returned an older value: nil, or a value that
/// only writes finished before `w` started could have written. Such a read
/// cannot have followed `w`, so from its reader's point of view `w` vanished.
struct RegisterLoss;

impl LostWrites for RegisterLoss {
    fn count(&self, ops: &[&Op]) -> LostCount {
        let mut writers: BTreeMap<Bytes, Vec<&Op>> = BTreeMap::new();
        let mut acked = Vec::new();
        let mut reads = Vec::new();
        for op in ops.iter().filter(|o| !matches!(o.outcome, Outcome::Fail(_))) {
            for (argv, reply) in steps(op) {
                if is(argv, "SET") && argv.len() >= 3 {
                    writers.entry(argv[2].clone()).or_default().push(op);
                    if let (Some(t), true) = (op.complete_time, op.is_ok()) {
                        acked.push((op, argv[2].clone(), t));
                    }
                } else if is(argv, "GET") {
                    match reply {
                        Some(Frame::Bulk(v)) => reads.push((op, Some(v.clone()))),
                        Some(Frame::Null) => reads.push((op, None)),
                        _ => {}
                    }
                }
            }
        }
        // For each read, the latest completion among the writes of what it
        // saw (-1 for nil; infinity if an indeterminate write wrote it): the
        // value is older than `w` when that is before `w` was invoked.
        let mut reads: Vec<(u64, i128, &&Op, Option<Bytes>)> = reads
            .into_iter()
            .map(|(r, seen)| {
                let newest = match &seen {
                    None => -1,
                    Some(v) => writers.get(v).map_or(i128::MAX, |ws| {
                        ws.iter().map(|x| x.effective_complete().map_or(i128::MAX, i128::from)).max().unwrap_or(-1)
                    }),
                };
                (r.invoke_time, newest, r, seen)
            })
            .collect();
        reads.sort_by_key(|&(t, _, r, _)| (t, r.id));
        // The oldest value read from each position on, to answer "did any read
        // that started after t see something older than w" in O(log n).
        let mut oldest_from: Vec<usize> = vec![usize::MAX; reads.len() + 1];
        for k in (0..reads.len()).rev() {
            let later = oldest_from[k + 1];
            oldest_from[k] = if later == usize::MAX || reads[k].1 < reads[later].1 { k } else { later };
        }
        let mut count = LostCount { acknowledged: acked.len() as u64, ..LostCount::default() };
        for (w, value, acked_at) in acked {
            let first = reads.partition_point(|&(t, ..)| t <= acked_at);
            let Some(&(_, newest, r, ref seen)) = reads.get(oldest_from[first]) else { continue };
            if newest < i128::from(w.invoke_time) {
                let seen = seen.as_ref().map_or("nil".into(), |v| format!("{:?}", text(v)));
                let what = format!("SET {:?} (op #{}) acknowledged", text(&value), w.id);
                count.lose(1, format!("{what}, then GET (op #{}) read older {seen}", r.id));
            }
        }
        count
    }
}

/// Counters: with `INCR`/`INCRBY` by non-negative amounts from an absent key,
/// a `GET` must see at least the sum of increments acknowledged before it
/// started. The loss is the largest shortfall over all such reads (increments
/// missing at the worst moment); `acknowledged` counts acknowledged increments.
struct CounterLoss;

impl LostWrites for CounterLoss {
    fn count(&self, ops: &[&Op]) -> LostCount {
        let mut incs: Vec<(u64, i64)> = Vec::new();
        let mut reads: Vec<(&Op, i64)> = Vec::new();
        for op in ops {
            for (argv, reply) in steps(op) {
                let by = if is(argv, "INCR") {
                    Some(1)
                } else if is(argv, "INCRBY") {
                    argv.get(2).and_then(|b| std::str::from_utf8(b).ok()?.parse::<i64>().ok())
                } else {
                    None
                };
                if let (Some(by), Some(_), Some(t)) = (by, reply, op.complete_time) {
                    incs.push((t, by));
                } else if is(argv, "GET") {
                    match reply {
                        Some(Frame::Null) => reads.push((op, 0)),
                        Some(Frame::Bulk(v)) => {
                            if let Some(n) = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok()) {
                                reads.push((op, n));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let mut count = LostCount { acknowledged: incs.len() as u64, ..LostCount::default() };
        incs.sort_unstable();
        let mut due_before = vec![0i64; incs.len() + 1];
        for (k, (_, by)) in incs.iter().enumerate() {
            due_before[k + 1] = due_before[k] + by;
        }
        let worst = reads
            .iter()
            .map(|(r, seen)| {
                let due = due_before[incs.partition_point(|&(t, _)| t < r.invoke_time)];
                (due - seen, r, due, seen)
            })
            .max_by_key(|(short, r, ..)| (*short, std::cmp::Reverse(r.id)));
        if let Some((short, r, due, seen)) = worst.filter(|w| w.0 > 0) {
            count.lose(
                short as u64,
                format!("GET (op #{}) read {seen} after increments totalling {due} were acknowledged", r.id),
            );
        }
        count
    }
}

/// Whether a read sees the whole value (`LRANGE k 0 -1`, not a slice).
fn whole(argv: &[Bytes]) -> bool {
    !is(argv, "LRANGE") || (argv.len() == 4 && &argv[2][..] == b"0" && &argv[3][..] == b"-1")
}

/// Sets and appended lists: an element added by an acknowledged `add` command
/// is lost when the last successful read that started after the add completed
/// does not contain it. (An element missing from an earlier read but present
/// in the last one was late, not lost; an element no read started after is
/// not judged.)
struct ElementLoss {
    add: &'static str,
    read: &'static str,
}

impl LostWrites for ElementLoss {
    fn count(&self, ops: &[&Op]) -> LostCount {
        let mut added: Vec<(&Op, Bytes, u64)> = Vec::new();
        let mut reads: Vec<(&Op, Vec<Bytes>)> = Vec::new();
        for op in ops {
            for (argv, reply) in steps(op) {
                if is(argv, self.add) {
                    if let (Some(_), Some(t)) = (reply, op.complete_time) {
                        added.extend(argv.iter().skip(2).map(|e| (*op, e.clone(), t)));
                    }
                } else if is(argv, self.read) && whole(argv) {
                    if let Some(seen) = reply.and_then(items) {
                        reads.push((op, seen));
                    }
                }
            }
        }
        // Only the read that started last matters.
        let last = reads.into_iter().max_by_key(|(r, _)| (r.invoke_time, r.id));
        let last = last.map(|(r, seen)| (r, seen.into_iter().collect::<BTreeSet<Bytes>>()));
        let mut count = LostCount { acknowledged: added.len() as u64, ..LostCount::default() };
        for (w, element, acked_at) in added {
            if let Some((r, seen)) = last.as_ref().filter(|(r, _)| r.invoke_time > acked_at) {
                if !seen.contains(&element) {
                    let what = format!("{} {:?} (op #{}) acknowledged", self.add, text(&element), w.id);
                    count.lose(1, format!("{what}, missing from the last {} (op #{})", self.read, r.id));
                }
            }
        }
        count
    }
}

/// Queues: an element pushed by an acknowledged `LPUSH` is lost when no
/// successful pop ever returned it, a pop that started after the push was
/// acknowledged found the queue empty, and no indeterminate pop (one whose
/// reply never arrived) was invoked before that empty pop completed, so no
/// unseen consumer can have taken it.
struct QueueLoss;

impl LostWrites for QueueLoss {
    fn count(&self, ops: &[&Op]) -> LostCount {
        let mut pushed: Vec<(&Op, Bytes, u64)> = Vec::new();
        let mut popped: Vec<Bytes> = Vec::new();
        let mut empty_pops: Vec<&Op> = Vec::new();
        let mut unknown_pops: Vec<&Op> = Vec::new();
        for op in ops {
            for (argv, reply) in steps(op) {
                if is(argv, "LPUSH") || is(argv, "RPUSH") {
                    if let (Some(_), Some(t)) = (reply, op.complete_time) {
                        pushed.extend(argv.iter().skip(2).map(|e| (*op, e.clone(), t)));
                    }
                } else if is(argv, "RPOP") || is(argv, "LPOP") {
                    match (reply, &op.outcome) {
                        (Some(Frame::Bulk(e)), _) => popped.push(e.clone()),
                        (Some(Frame::Null), _) => empty_pops.push(op),
                        (None, Outcome::Info(_)) => unknown_pops.push(op),
                        _ => {}
                    }
                }
            }
        }
        let mut count = LostCount { acknowledged: pushed.len() as u64, ..LostCount::default() };
        let popped: BTreeSet<Bytes> = popped.into_iter().collect();
        // Empty pops no unseen consumer could have raced with; the one that
        // started last is the witness for every push acknowledged before it.
        let first_unknown = unknown_pops.iter().map(|u| u.invoke_time).min().unwrap_or(u64::MAX);
        let witness = empty_pops
            .into_iter()
            .filter(|p| p.complete_time.is_some_and(|c| c < first_unknown))
            .max_by_key(|p| (p.invoke_time, p.id));
        for (w, element, acked_at) in pushed {
            if popped.contains(&element) {
                continue;
            }
            if let Some(p) = witness.filter(|p| p.invoke_time > acked_at) {
                let what = format!("LPUSH {:?} (op #{}) acknowledged", text(&element), w.id);
                count.lose(1, format!("{what}, never popped, and RPOP (op #{}) found the queue empty", p.id));
            }
        }
        count
    }
}
