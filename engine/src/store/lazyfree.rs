//! Lazy freeing without a thread: Redis's lazyfree, made deterministic.
//!
//! Redis hands a large deleted value (UNLINK; DEL, expiry and FLUSHALL when
//! the `lazyfree-lazy-*` settings ask for it; FLUSHALL ASYNC) to a background
//! thread, so the command returns at once however large the value. The engine
//! may not use threads (a run must replay from its seed), so the value goes on
//! a queue instead, and the queue is freed a bounded amount of work at a time:
//! [`CRON_BUDGET`] per cron tick and [`COMMAND_BUDGET`] after every command,
//! so that a steady stream of UNLINKs cannot outrun the freeing.
//!
//! Work is counted in units, not time (a clock is not deterministic). A unit
//! is about 100 ns of freeing on a current machine: one entry of a flushed
//! database (its key and small value), 16 list elements, a twentieth of a
//! sorted set member (each a removal from the member map and the tree), 1 KiB
//! of a buffer given back. Lists, skiplists and flushed databases are freed
//! in parts. A value held in one buffer (a string, a listpack, an intset, a
//! hash or set table) cannot be split: it goes in one step, which the cron
//! takes whatever its size and the per-command drain leaves to the cron when
//! it costs more than a command may spend.
//!
//! Which values are queued is Redis's rule (`lazyfreeGetFreeEffort` above
//! [`LAZYFREE_THRESHOLD`]), so that INFO's `lazyfree_pending_objects` and
//! `lazyfreed_objects` count as Redis's do: a queued value is one object, a
//! flushed database as many objects as it had keys, freed when its last part is.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;
use redsim_model::Context;

use super::db::Db;
use super::dict::Teardown;
use super::hash::HashObj;
use super::object::Obj;
use super::set::SetObj;

/// Redis's LAZYFREE_THRESHOLD: a value whose free effort is above it is queued.
pub const LAZYFREE_THRESHOLD: usize = 64;
/// Units freed per cron tick (`Engine::upkeep`, `hz` times a second):
/// a few milliseconds, as Redis's own cron jobs take.
pub const CRON_BUDGET: usize = 32 * 1024;
/// Units freed after every command, and the largest step such a drain takes:
/// enough to keep up with a steady UNLINK load, little enough (about ten
/// microseconds) that no command pays much for another's garbage.
pub const COMMAND_BUDGET: usize = 128;
/// Commands without a cron tick after which the per-command drain takes
/// one step of any size: a large buffer must not wait forever on a driver
/// that never calls `Engine::upkeep` (the engine alone, as in benches), nor
/// behind thousands of commands between two ticks.
const STARVED_COMMANDS: u32 = 1024;
/// Units per sorted set member: each is a removal from the member map and
/// from the tree, a walk of two deep structures.
const ZSET_MEMBER_COST: usize = 20;
/// List elements per unit: a node's elements are only stepped over.
const LIST_ELEMENTS_PER_UNIT: usize = 16;
/// Vacant slab cells of a flushed database per unit.
const VACANT_CELLS_PER_UNIT: usize = 16;
/// Bytes per extra unit of a buffer: a large buffer's pages go back to the
/// system one by one.
const BYTES_PER_UNIT: usize = 1024;

/// Redis's `lazyfreeGetFreeEffort`: the allocations a value's free walks —
/// a list's nodes, the elements of a hash, set or sorted set in a table
/// encoding; 1 for everything held in one buffer.
pub fn free_effort(obj: &Obj) -> usize {
    match obj {
        Obj::List(l) => l.node_count(),
        Obj::Hash(h) if matches!(**h, HashObj::Table(_)) => h.len(),
        Obj::Set(s) if matches!(**s, SetObj::Table(_)) => s.len(),
        Obj::ZSet(z) if !z.is_listpack() => z.len(),
        _ => 1,
    }
}

/// True for a value freed over several steps: a list of more than one node,
/// a non-empty skiplist. Anything else goes in one step.
fn divisible(obj: &Obj) -> bool {
    match obj {
        Obj::List(l) => l.node_count() > 1,
        Obj::ZSet(z) => !z.is_listpack() && !z.is_empty(),
        _ => false,
    }
}

/// Units of dropping `obj` in one step.
fn drop_cost(obj: &Obj) -> usize {
    1 + obj.heap_bytes() / BYTES_PER_UNIT
}

/// Frees part of a [`divisible`] value for about `room` units (at least one
/// element); returns the units spent.
fn free_part(obj: &mut Obj, room: usize) -> usize {
    match obj {
        Obj::List(l) => {
            let n = room.saturating_mul(LIST_ELEMENTS_PER_UNIT).clamp(1, l.len());
            l.trim(n, 0);
            n.div_ceil(LIST_ELEMENTS_PER_UNIT)
        }
        Obj::ZSet(z) => {
            let n = (room / ZSET_MEMBER_COST).clamp(1, z.len());
            for _ in 0..n {
                z.pop(true);
            }
            n * ZSET_MEMBER_COST
        }
        _ => unreachable!("only lists and skiplists are freed in parts"),
    }
}

/// One queued deletion: a value, or a flushed database.
struct Job {
    /// Values still to free, the last first. A flushed database's large
    /// values join them as its entries are taken out.
    values: Vec<Obj>,
    /// A flushed database's entries not yet reached.
    entries: Option<Teardown>,
    /// A flushed database's expire index.
    expires: BTreeSet<(i64, u32)>,
    /// Objects Redis counts for the job: 1 for a value, a database's keys.
    objects: u64,
}

impl Job {
    fn is_done(&self) -> bool {
        self.values.is_empty() && self.entries.is_none() && self.expires.is_empty()
    }

    /// One step of at most about `room` units, or, when it cannot be split,
    /// of up to `max_step` units; `None` when the next step would cost more.
    fn step(&mut self, room: usize, max_step: usize) -> Option<usize> {
        if let Some(obj) = self.values.last_mut() {
            if divisible(obj) {
                return Some(free_part(obj, room));
            }
            let cost = drop_cost(obj);
            if cost > max_step {
                return None;
            }
            self.values.pop();
            return Some(cost);
        }
        if !self.expires.is_empty() {
            let n = room.clamp(1, self.expires.len());
            for _ in 0..n {
                self.expires.pop_last();
            }
            return Some(n);
        }
        let Some(entries) = self.entries.as_mut() else {
            debug_assert!(false, "a finished job is not stepped");
            return Some(1);
        };
        let values = &mut self.values;
        let (mut units, mut taken) = (0, 0);
        let cells = entries.pop_entries(room, |node| {
            taken += 1;
            units += 1 + node.key.heap_bytes() / BYTES_PER_UNIT;
            // Small values go with their entry; the rest are freed as values.
            if divisible(&node.obj) || drop_cost(&node.obj) > 1 {
                values.push(node.obj);
            }
        });
        if cells == 0 {
            self.entries = None;
        }
        Some((units + (cells - taken) / VACANT_CELLS_PER_UNIT).max(1))
    }
}

/// The queue of deleted values waiting to be freed, and Redis's counters.
#[derive(Default)]
pub struct LazyFree {
    jobs: VecDeque<Job>,
    /// Redis's `lazyfree_objects`: objects queued and not freed yet.
    pending: u64,
    /// Redis's `lazyfreed_objects`: objects freed from the queue since the
    /// last CONFIG RESETSTAT.
    freed: u64,
    /// Commands run with garbage queued since the last cron tick (or the
    /// last step taken for want of one).
    commands_since_cron: u32,
}

impl LazyFree {
    /// Frees a deleted value as Redis's `freeObjAsync`: queued when its
    /// effort is above [`LAZYFREE_THRESHOLD`], dropped at once otherwise.
    pub fn free_value(&mut self, obj: Obj) {
        if free_effort(&obj) > LAZYFREE_THRESHOLD {
            self.push(Job { values: vec![obj], entries: None, expires: BTreeSet::new(), objects: 1 });
        }
    }

    /// Queues a flushed database, however few its keys (Redis's `emptyDbAsync`),
    /// counted as its keys.
    pub fn free_db(&mut self, db: Db) {
        let objects = db.len() as u64;
        let (entries, expires) = db.into_teardown();
        self.push(Job { values: Vec::new(), entries: Some(entries), expires, objects });
    }

    fn push(&mut self, job: Job) {
        self.pending += job.objects;
        self.jobs.push_back(job);
    }

    /// The cron's share: [`CRON_BUDGET`] units, in steps of any size.
    pub fn drain_cron(&mut self) -> usize {
        self.commands_since_cron = 0;
        self.drain(CRON_BUDGET, usize::MAX)
    }

    /// The share after a command: [`COMMAND_BUDGET`] units, in steps no
    /// larger, unless no cron has come for [`STARVED_COMMANDS`] commands.
    pub fn drain_after_command(&mut self) -> usize {
        if self.jobs.is_empty() {
            return 0;
        }
        self.commands_since_cron += 1;
        let mut max_step = COMMAND_BUDGET;
        if self.commands_since_cron >= STARVED_COMMANDS {
            self.commands_since_cron = 0;
            max_step = usize::MAX;
        }
        self.drain(COMMAND_BUDGET, max_step)
    }

    /// Frees queued garbage, oldest first, until `budget` units are spent or
    /// the queue is empty; returns the units spent. A step that cannot be
    /// split is taken only within what is left of the budget, or as the
    /// call's first step when it costs at most `max_step` (else it waits
    /// for a call that allows it): a call passes its budget only by such a
    /// first step, or by less than a sorted set member.
    pub fn drain(&mut self, budget: usize, max_step: usize) -> usize {
        let mut spent = 0;
        while spent < budget {
            let Some(job) = self.jobs.front_mut() else { break };
            let room = budget - spent;
            let largest = if spent == 0 { max_step } else { room };
            let Some(units) = job.step(room, largest) else { break };
            spent += units;
            if job.is_done() {
                let objects = job.objects;
                self.jobs.pop_front();
                self.pending -= objects;
                self.freed += objects;
            }
        }
        spent
    }

    /// INFO's `lazyfree_pending_objects`.
    pub fn pending_objects(&self) -> u64 {
        self.pending
    }

    /// INFO's `lazyfreed_objects`.
    pub fn freed_objects(&self) -> u64 {
        self.freed
    }

    /// CONFIG RESETSTAT clears the freed count (Redis's `lazyfreeResetStats`).
    pub fn reset_stats(&mut self) {
        self.freed = 0;
    }

    /// Nothing queued.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

/// Server-side deletes (Redis's `dbDelete` and `dbOverwrite`, which follow
/// `lazyfree-lazy-server-del`): a value a command replaces or a
/// destination it deletes, as opposed to DEL, UNLINK, GETDEL and expiry,
/// which follow their own settings.
impl super::Engine {
    /// Frees a value a command replaced (SET, RENAME, COPY, the *STORE
    /// commands): queued under lazyfree-lazy-server-del if large, else now.
    pub(super) fn free_replaced(&mut self, cx: &Context<'_>, replaced: Option<Obj>) {
        if let Some(obj) = replaced {
            if cx.config.lazyfree_lazy_server_del {
                self.lazyfree.free_value(obj);
            }
        }
    }

    /// Deletes `key` as a command's side effect (an empty *STORE result,
    /// RESTORE REPLACE); true if it existed.
    pub(super) fn server_delete(&mut self, cx: &Context<'_>, db: usize, key: &Bytes) -> bool {
        let Some(removed) = self.dbs[db].remove(key) else { return false };
        self.free_replaced(cx, Some(removed.obj));
        true
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use redsim_model::command::Command;
    use redsim_model::reference::{Value, ZSetValue};
    use redsim_model::{Context, Engine as _, EngineConfig, Frame};

    use super::super::list::QuickList;
    use super::super::set::{Member, SetObj};
    use super::super::Engine;
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn exec(e: &mut Engine, config: &EngineConfig, cmd: Command) -> Frame {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut cx = Context::new(0, NOW, &mut rng, config, &[]);
        e.execute(&mut cx, &cmd)
    }

    fn unlink(e: &mut Engine, key: &str) -> Frame {
        exec(e, &EngineConfig::default(), Command::Del { keys: vec![Bytes::from(key.to_string())], unlink: true })
    }

    fn big_set(n: i64) -> Obj {
        // More members than set-max-intset-entries (0 here): a "hashtable".
        Obj::Set(Box::new(SetObj::from_members((0..n).map(Member::Int), 0)))
    }

    fn big_list(n: usize) -> Obj {
        let texts: Vec<String> = (0..n).map(|i| format!("element:{i}")).collect();
        Obj::List(Box::new(QuickList::from_elements(-2, texts.iter().map(|t| t.as_bytes()))))
    }

    fn big_zset(n: usize) -> Obj {
        let pairs = (0..n).map(|i| (Bytes::from(format!("member:{i}")), i as f64));
        Obj::from_value(Value::ZSet(ZSetValue::from_distinct_pairs(pairs, false)))
    }

    /// Units of a skiplist's last step, once its members are gone: what
    /// dropping the emptied structures (the member table keeps its slots)
    /// costs, measured on a set of the same size.
    fn emptied_zset_units(members: usize) -> usize {
        let mut z = big_zset(members);
        let Obj::ZSet(set) = &mut z else { unreachable!("a sorted set") };
        while set.pop(false).is_some() {}
        drop_cost(&z)
    }

    fn counters(e: &Engine) -> (u64, u64) {
        let s = e.stats();
        (s.lazyfree_pending_objects, s.lazyfreed_objects)
    }

    /// Drains with `drain` until the queue is empty; every call's units.
    fn until_empty(e: &mut Engine, mut drain: impl FnMut(&mut LazyFree) -> usize) -> Vec<usize> {
        let mut calls = Vec::new();
        while !e.lazyfree.is_empty() {
            calls.push(drain(&mut e.lazyfree));
            assert!(calls.len() < 1_000_000, "the queue never empties");
        }
        calls
    }

    #[test]
    fn unlink_of_a_million_member_set_queues_it_and_the_cron_frees_it() {
        let mut e = Engine::new(16);
        let set = big_set(1_000_000);
        assert_eq!(set.encoding_name(), "hashtable");
        assert_eq!(free_effort(&set), 1_000_000);
        let cost = drop_cost(&set);
        assert!(cost > COMMAND_BUDGET, "a 1M-member table is {cost} units");
        e.dbs[0].insert_quietly(b"big", set, None, 0);

        assert_eq!(unlink(&mut e, "big"), Frame::Integer(1));
        assert_eq!(e.dbsize(0), 0);
        assert!(!e.lazyfree.is_empty(), "freed with the command");
        assert_eq!(counters(&e), (1, 0));
        for _ in 0..10 {
            exec(&mut e, &EngineConfig::default(), Command::DbSize);
        }
        assert_eq!(counters(&e), (1, 0), "commands do not take a step that large");

        // One table buffer cannot be split: the cron frees it in one step.
        assert_eq!(until_empty(&mut e, LazyFree::drain_cron), vec![cost]);
        assert_eq!(counters(&e), (0, 1));
    }

    /// Every call stays within its budget (give or take a sorted set
    /// member), or is one step that cannot be split, of at most
    /// `indivisible` units.
    fn assert_bounded(calls: &[usize], budget: usize, indivisible: usize) {
        for (i, &units) in calls.iter().enumerate() {
            let ok = units < budget + ZSET_MEMBER_COST || units <= indivisible;
            assert!(ok, "call {i} of {} spent {units} units", calls.len());
        }
    }

    #[test]
    fn a_drain_call_does_bounded_work() {
        const BUDGET: usize = 1000;
        let mut e = Engine::new(16);
        let elements = 1_000_000;
        e.dbs[0].insert_quietly(b"list", big_list(elements), None, 0);
        unlink(&mut e, "list");
        assert_eq!(counters(&e), (1, 0));
        let calls = until_empty(&mut e, |q| q.drain(BUDGET, usize::MAX));
        let units = (elements - COMMAND_BUDGET * LIST_ELEMENTS_PER_UNIT) / LIST_ELEMENTS_PER_UNIT;
        assert!(calls.iter().sum::<usize>() >= units, "the drain after UNLINK took the first share");
        assert!(calls.len() >= units / BUDGET, "{} calls", calls.len());
        // The last node and the node array go in one step.
        assert_bounded(&calls, BUDGET, 64);
        assert_eq!(counters(&e), (0, 1));

        let members = 20_000;
        e.dbs[0].insert_quietly(b"zset", big_zset(members), None, 0);
        unlink(&mut e, "zset");
        let calls = until_empty(&mut e, |q| q.drain(BUDGET, usize::MAX));
        // The first share, taken by UNLINK itself, may pass its budget by
        // less than one member.
        assert!(calls.iter().sum::<usize>() >= members * ZSET_MEMBER_COST - COMMAND_BUDGET - ZSET_MEMBER_COST);
        assert!(calls.len() >= members * ZSET_MEMBER_COST / BUDGET - 1, "{} calls", calls.len());
        assert_bounded(&calls, BUDGET, emptied_zset_units(members));
        assert_eq!(counters(&e), (0, 2));
    }

    #[test]
    fn the_drain_after_a_command_is_small() {
        let mut e = Engine::new(16);
        e.dbs[0].insert_quietly(b"list", big_list(200_000), None, 0);
        unlink(&mut e, "list");
        let calls = until_empty(&mut e, LazyFree::drain_after_command);
        assert_bounded(&calls, COMMAND_BUDGET, 0);
        assert!(calls.len() >= 200_000 / LIST_ELEMENTS_PER_UNIT / COMMAND_BUDGET - 1, "{}", calls.len());
        assert_eq!(counters(&e), (0, 1));
    }

    #[test]
    fn flushall_async_empties_at_once_and_frees_in_parts() {
        let mut e = Engine::new(16);
        let keys = 100_000;
        for i in 0..keys {
            let key = format!("key:{i}");
            let deadline = (i % 3 == 0).then_some(NOW + 1_000_000);
            e.dbs[i % 2].insert_quietly(key.as_bytes(), Obj::integer(i as i64, false), deadline, 0);
        }
        // Values freed in parts of their own, inside the flushed databases.
        e.dbs[0].insert_quietly(b"list", big_list(50_000), None, 0);
        e.dbs[1].insert_quietly(b"zset", big_zset(10_000), Some(NOW + 5), 0);

        let reply = exec(&mut e, &EngineConfig::default(), Command::Flush { all: true, sync: Some(false) });
        assert_eq!(reply, Frame::ok());
        assert_eq!((e.dbsize(0), e.dbsize(1)), (0, 0));
        // Redis counts a flushed database as its keys.
        let objects = keys as u64 + 2;
        assert_eq!(counters(&e), (objects, 0));

        // Commands alone make progress, a little at a time.
        let mut after_commands = Vec::new();
        for _ in 0..100 {
            after_commands.push(e.lazyfree.drain_after_command());
        }
        assert_bounded(&after_commands, COMMAND_BUDGET, 0);
        assert!(after_commands.iter().all(|&u| u > 0));

        let calls = until_empty(&mut e, LazyFree::drain_cron);
        assert!(calls.len() > 1, "freed in one call: {calls:?}");
        assert_bounded(&calls, CRON_BUDGET, emptied_zset_units(10_000));
        let total = after_commands.iter().chain(&calls).sum::<usize>();
        assert!(total >= keys + 50_000 / LIST_ELEMENTS_PER_UNIT + 10_000 * ZSET_MEMBER_COST, "{total}");
        assert_eq!(counters(&e), (0, objects));
    }

    /// A flush or swap of a large database costs the keys somebody waits on,
    /// not every key: the touched log names the watched keys it changed.
    #[test]
    fn whole_database_commands_list_only_the_keys_somebody_waits_on() {
        let mut e = Engine::new(16);
        for i in 0..100_000 {
            e.dbs[i % 2].insert_quietly(format!("key:{i}").as_bytes(), Obj::integer(i as i64, false), None, 0);
        }
        let run = |e: &mut Engine, cmd: Command, interest: Option<&dyn Fn(usize) -> Vec<Bytes>>| {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let config = EngineConfig::default();
            let mut cx = Context::new(0, NOW, &mut rng, &config, &[]);
            cx.interest = interest;
            assert_eq!(e.execute(&mut cx, &cmd), Frame::ok());
            let mut touched: Vec<(usize, String)> =
                cx.touched.iter().map(|(db, k)| (*db, String::from_utf8_lossy(k).into_owned())).collect();
            touched.sort();
            touched
        };
        let watched = |db: usize| -> Vec<Bytes> {
            let keys: &[&'static str] = if db == 0 { &["key:2", "key:3", "nokey"] } else { &["key:3"] };
            keys.iter().map(|k| Bytes::from_static(k.as_bytes())).collect()
        };
        let k = |db: usize, key: &str| (db, key.to_string());
        // key:2 lives in db 0, key:3 in db 1: a watched key either side
        // holds is touched on its side; nokey is in neither.
        let swapped = vec![k(0, "key:2"), k(0, "key:3"), k(1, "key:3")];
        assert_eq!(run(&mut e, Command::SwapDb { a: 0, b: 1 }, Some(&watched)), swapped);
        assert_eq!(e.dbsize(0), 50_000);
        // Now key:3 is in db 0, key:2 in db 1.
        let flush_async = Command::Flush { all: true, sync: Some(false) };
        assert_eq!(run(&mut e, flush_async.clone(), Some(&watched)), vec![k(0, "key:3")]);
        assert_eq!((e.dbsize(0), e.dbsize(1)), (0, 0));
        // A driver that tracks nobody gets every key.
        e.dbs[3].insert_quietly(b"a", Obj::integer(1, false), None, 0);
        e.dbs[3].insert_quietly(b"b", Obj::integer(2, false), None, 0);
        assert_eq!(run(&mut e, flush_async, None), vec![k(3, "a"), k(3, "b")]);
    }

    #[test]
    fn which_flushes_are_lazy() {
        let lazy_flush = EngineConfig { lazyfree_lazy_user_flush: true, ..EngineConfig::default() };
        for (config, sync, lazy) in [
            (EngineConfig::default(), None, false),
            (EngineConfig::default(), Some(true), false),
            (EngineConfig::default(), Some(false), true),
            (lazy_flush.clone(), None, true),
            (lazy_flush.clone(), Some(true), false),
        ] {
            let mut e = Engine::new(16);
            e.dbs[0].insert_quietly(b"k", Obj::integer(1, false), None, 0);
            exec(&mut e, &config, Command::Flush { all: false, sync });
            assert_eq!(e.dbsize(0), 0);
            // A one-key database is within a command's share: freed before the reply.
            assert!(e.lazyfree.is_empty());
            assert_eq!(counters(&e), (0, lazy as u64), "sync {sync:?}");
        }
    }

    #[test]
    fn small_values_are_freed_at_once() {
        let mut e = Engine::new(16);
        let config = EngineConfig::default();
        e.dbs[0].insert_quietly(b"at-threshold", big_set(64), None, 0);
        let intset = SetObj::from_members((0..500).map(Member::Int), 512);
        e.dbs[0].insert_quietly(b"intset", Obj::Set(Box::new(intset)), None, 0);
        e.dbs[0].insert_quietly(b"one-node-list", big_list(50), None, 0);
        e.dbs[0].insert_quietly(b"string", Obj::plain(&[b'x'; 100_000]), None, 0);
        for key in ["at-threshold", "intset", "one-node-list", "string"] {
            assert_eq!(unlink(&mut e, key), Frame::Integer(1));
            assert!(e.lazyfree.is_empty(), "{key} was queued");
        }
        assert_eq!(counters(&e), (0, 0));

        // Past the threshold it is queued (and, this small, freed right after the command).
        e.dbs[0].insert_quietly(b"past-threshold", big_set(65), None, 0);
        unlink(&mut e, "past-threshold");
        assert_eq!(counters(&e), (0, 1));

        // DEL frees at once, unless lazyfree-lazy-user-del says otherwise.
        e.dbs[0].insert_quietly(b"k", big_set(1000), None, 0);
        exec(&mut e, &config, Command::Del { keys: vec![Bytes::from_static(b"k")], unlink: false });
        assert_eq!(counters(&e), (0, 1));
        let lazy_del = EngineConfig { lazyfree_lazy_user_del: true, ..EngineConfig::default() };
        e.dbs[0].insert_quietly(b"k", big_set(1000), None, 0);
        exec(&mut e, &lazy_del, Command::Del { keys: vec![Bytes::from_static(b"k")], unlink: false });
        assert_eq!(counters(&e), (0, 2));
    }

    #[test]
    fn expiry_frees_lazily_under_lazyfree_lazy_expire() {
        let lazy_expire = EngineConfig { lazyfree_lazy_expire: true, ..EngineConfig::default() };
        for (config, lazy) in [(EngineConfig::default(), false), (lazy_expire, true)] {
            let mut e = Engine::new(16);
            e.dbs[0].insert_quietly(b"list", big_list(100_000), Some(NOW - 1), 0);
            let reply = exec(&mut e, &config, Command::Exists { keys: vec![Bytes::from_static(b"list")] });
            assert_eq!(reply, Frame::Integer(0));
            assert_eq!(e.stats().expired_keys, 1);
            // 100,000 elements outlast the drain after one command.
            assert_eq!(!e.lazyfree.is_empty(), lazy);
            assert_eq!(counters(&e), (lazy as u64, 0));
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let mut cx = Context::new(0, NOW, &mut rng, &config, &[]);
            e.active_expire_cycle(&mut cx);
            assert_eq!(!e.lazyfree.is_empty(), lazy, "expiry alone frees nothing queued");
            e.upkeep();
            assert!(e.lazyfree.is_empty());
            assert_eq!(counters(&e), (0, lazy as u64));
        }
    }

    #[test]
    fn commands_alone_free_a_large_buffer_eventually() {
        // Driven without `upkeep` (the engine alone), the drain after
        // commands must get there.
        let mut e = Engine::new(16);
        e.dbs[0].insert_quietly(b"big", big_set(20_000), None, 0);
        assert!(drop_cost(&e.dbs[0].node(e.dbs[0].peek(b"big").unwrap()).obj) > COMMAND_BUDGET);
        unlink(&mut e, "big");
        let mut commands = 1;
        while !e.lazyfree.is_empty() {
            exec(&mut e, &EngineConfig::default(), Command::DbSize);
            commands += 1;
        }
        assert_eq!(commands, STARVED_COMMANDS);
        assert_eq!(counters(&e), (0, 1));
    }

    #[test]
    fn config_resetstat_clears_the_freed_count() {
        let mut e = Engine::new(16);
        e.dbs[0].insert_quietly(b"s", big_set(100), None, 0);
        unlink(&mut e, "s");
        assert_eq!(counters(&e), (0, 1));
        e.reset_stats();
        assert_eq!(counters(&e), (0, 0));
    }
}
