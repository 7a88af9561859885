//! `Model`: the reference engine. Plain std collections, one straightforward
//! function per command, Redis's checks in Redis's order. The simulator's
//! linearizability checker uses it as the sequential specification, and the
//! optimized engine is tested against it, so clarity wins over speed here.

mod access;
mod db;
mod digest;
mod dump;
mod expire;
mod hashes;
mod keys;
mod lcs;
mod lists;
mod sampling;
pub mod scan_map;
mod sets;
mod sha1;
mod sort;
mod sorted_sets;
mod strings;
mod value;

use bytes::Bytes;

use crate::command::{help, Command};
use crate::dataset::{Dataset, Record};
use crate::engine::{Context, DbInfo, Engine, KeyState, KeyspaceStats};
use crate::errors::RedisResult;
use crate::resp::Frame;

pub use db::{Db, Entry};

/// The model's pure helpers, shared with the optimized engine so that the
/// two compute access data, expire times, string ranges, LCS replies,
/// digests and payloads with the same code and cannot drift apart.
pub mod shared {
    pub use super::access::{accessed_lru, idle_ms, lfu_counter, lru_clock, new_lru, Access, LFU_INIT_VAL};
    pub use super::digest::{hex, mix_digest, value_digest, xor_digest};
    pub use super::dump::{decode_payload, restored_lru};
    pub use super::expire::MAX_KEYS_PER_CYCLE;
    pub use super::lcs::reply as lcs_reply;
    pub use super::lists::{block_or_timeout, clamp_range, resolve_index};
    pub use super::sampling::random_indexes;
    pub use super::sort::{pattern_target, PatternTarget};
    pub use super::strings::{byte_range, check_string_length, expire_deadline, invalid_expire};
    pub use super::value::{EMBSTR_SIZE_LIMIT, SHARED_INTEGERS, SHARED_REFCOUNT};
}
pub use hashes::HashValue;
pub use lists::ListValue;
pub use sets::SetValue;
pub use sorted_sets::{ZAddOutcome, ZSetValue};
pub use value::{StrEncoding, StrValue, Value};

/// The reference engine: `databases` databases of keys.
#[derive(Clone, Debug)]
pub struct Model {
    dbs: Vec<Db>,
    stats: KeyspaceStats,
    /// The records of the snapshot under way not read out yet: a copy of
    /// everything taken when it started, the plainest point-in-time copy
    /// (the optimized engine copies on write instead).
    snapshot: Option<std::collections::VecDeque<(usize, Record)>>,
}

impl Model {
    /// An empty dataset with `databases` databases (Redis's `databases`, 16 by default).
    pub fn new(databases: usize) -> Model {
        Model { dbs: vec![Db::default(); databases.max(1)], stats: KeyspaceStats::default(), snapshot: None }
    }

    /// The databases, for tests and the simulator's checker to inspect.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// The databases, to move entries in and out without copying them: the
    /// optimized engine runs the commands it does not implement itself by
    /// lending the keys involved to a scratch `Model` (see its `store::bridge`).
    /// Changes made here are logged as touched; call `Db::take_touched` to drop them.
    pub fn dbs_mut(&mut self) -> &mut [Db] {
        &mut self.dbs
    }

    /// DEBUG DIGEST-VALUE of one key: equal for equal contents (and expire
    /// flag), whatever the encoding.
    pub fn value_digest(&self, db: usize, key: &[u8]) -> String {
        digest::value_hex(self.dbs[db].get(key))
    }

    fn run(&mut self, cx: &mut Context<'_>, cmd: &Command) -> RedisResult<Frame> {
        use Command::*;
        match cmd {
            Append { key, value } => self.append(cx, key, value),
            IncrBy { key, by } => self.incr_by(cx, key, *by),
            IncrByFloat { key, incr } => self.incr_by_float(cx, key, incr),
            Get { key } => self.get(cx, key),
            GetDel { key } => self.getdel(cx, key),
            GetEx { key, option } => self.getex(cx, key, option),
            GetRange { key, start, end } => self.getrange(cx, key, *start, *end),
            GetSet { key, value } => self.getset(cx, key, value),
            Lcs(args) => self.lcs(cx, args),
            MGet { keys } => self.mget(cx, keys),
            MSet { pairs, nx } => self.mset(cx, pairs, *nx),
            Set(args) => self.set(cx, args),
            SetRange { key, offset, value } => self.setrange(cx, key, *offset, value),
            Strlen { key } => self.strlen(cx, key),

            Lists(c) => self.run_lists(cx, c),
            Hashes(c) => self.run_hashes(cx, c),
            Sets(c) => self.run_sets(cx, c),
            SortedSets(c) => self.run_sorted_sets(cx, c),

            Copy { source, destination, db, replace } => self.copy(cx, source, destination, *db, *replace),
            Dump { key } => self.dump(cx, key),
            Restore(args) => self.restore(cx, args),
            Del { keys, unlink: _ } => self.del(cx, keys),
            Exists { keys } => self.exists_count(cx, keys),
            Expire(args) => self.expire(cx, args),
            ExpireTime { key, millis } => self.expiretime(cx, key, *millis),
            Keys { pattern } => self.keys(cx, pattern),
            Move { key, db } => self.move_key(cx, key, *db),
            Object { sub, key } => self.object(cx, *sub, key),
            Persist { key } => self.persist(cx, key),
            Ttl { key, millis } => self.ttl(cx, key, *millis),
            RandomKey => self.randomkey(cx),
            Rename { source, destination, nx } => self.rename(cx, source, destination, *nx),
            Scan(args) => self.scan(cx, args),
            Sort(args) => self.sort(cx, args),
            Touch { keys } => self.touch(cx, keys),
            Type { key } => self.type_of(cx, key),

            DbSize => Ok(Frame::Integer(self.dbs[cx.db].len() as i64)),
            Flush { all, sync: _ } => Ok(self.flush(cx, *all)),
            SwapDb { a, b } => Ok(self.swapdb(cx, *a, *b)),
            DebugDigest => Ok(Frame::Simple(digest::dataset_hex(&self.dbs))),
            DebugDigestValue { keys } => Ok(self.digest_values(cx, keys)),

            Help { command } => Ok(help::reply(command)),
            Connection(_) | Server(_) => Err(crate::errors::NOT_A_KEYSPACE_COMMAND),
            NotImplemented { name } => Err(crate::errors::not_implemented(name)),
        }
    }

    fn flush(&mut self, cx: &mut Context<'_>, all: bool) -> Frame {
        let flushed: Vec<usize> = if all { (0..self.dbs.len()).collect() } else { vec![cx.db] };
        for db in flushed {
            cx.dirty += self.dbs[db].len() as u64;
            let interest = cx.interest_in(db);
            self.dbs[db].clear(interest);
        }
        if all {
            // FLUSHALL counts one more change, for the RDB it resets.
            cx.dirty += 1;
        }
        // Even a flush of empty databases reaches replicas and the AOF.
        cx.force_propagation = true;
        Frame::ok()
    }

    /// A key is touched in both databases if either holds it (Redis's
    /// `touchAllWatchedKeysInDb` with `replaced_with`).
    fn swapdb(&mut self, cx: &mut Context<'_>, a: usize, b: usize) -> Frame {
        let holds = |dbs: &[Db], k: &Bytes| dbs[a].get(k).is_some() || dbs[b].get(k).is_some();
        for x in [a, b] {
            let candidates = cx.interest_in(x).unwrap_or_else(|| {
                let mut all: Vec<Bytes> = self.dbs[a].keys().cloned().collect();
                all.extend(self.dbs[b].keys().filter(|k| self.dbs[a].get(k).is_none()).cloned());
                all
            });
            for k in candidates {
                if holds(&self.dbs, &k) {
                    cx.touched.push((x, k));
                }
            }
        }
        self.dbs.swap(a, b);
        cx.dirty += 1;
        Frame::ok()
    }

    fn digest_values(&self, cx: &Context<'_>, keys: &[Bytes]) -> Frame {
        // Debugging looks at keys as stored, logically expired ones included.
        let db = &self.dbs[cx.db];
        Frame::Array(keys.iter().map(|k| Frame::Simple(digest::value_hex(db.get(k)))).collect())
    }
}

impl Model {
    /// Moves the databases' change logs into the context.
    fn report_touched(&mut self, cx: &mut Context<'_>) {
        for (i, db) in self.dbs.iter_mut().enumerate() {
            for key in db.take_touched() {
                cx.touched.push((i, key));
            }
        }
    }
}

impl Engine for Model {
    fn name(&self) -> &'static str {
        "model"
    }

    fn execute(&mut self, cx: &mut Context<'_>, cmd: &Command) -> Frame {
        let reply = self.run(cx, cmd).unwrap_or_else(Frame::from);
        self.report_touched(cx);
        reply
    }

    fn active_expire_cycle(&mut self, cx: &mut Context<'_>) {
        self.expire_due_keys(cx);
        self.report_touched(cx);
    }

    fn snapshot(&self) -> Dataset {
        Dataset {
            dbs: self
                .dbs
                .iter()
                .map(|db| {
                    db.iter()
                        .map(|(k, e)| Record {
                            key: k.clone(),
                            value: e.value.clone(),
                            expire_at: e.expire_at,
                            lru: e.lru,
                        })
                        .collect()
                })
                .collect(),
        }
    }

    fn start_snapshot(&mut self) -> Vec<(u64, u64)> {
        let data = self.snapshot();
        let shape = data
            .dbs
            .iter()
            .map(|records| (records.len() as u64, records.iter().filter(|r| r.expire_at.is_some()).count() as u64))
            .collect();
        let records =
            data.dbs.into_iter().enumerate().flat_map(|(db, records)| records.into_iter().map(move |r| (db, r)));
        self.snapshot = Some(records.collect());
        shape
    }

    fn read_snapshot(&mut self, max: usize, out: &mut Vec<(usize, Record)>) -> bool {
        let Some(queue) = self.snapshot.as_mut() else { return true };
        let take = queue.len().min(max);
        out.extend(queue.drain(..take));
        if queue.is_empty() {
            self.snapshot = None;
            return true;
        }
        false
    }

    fn cancel_snapshot(&mut self) {
        self.snapshot = None;
    }

    fn snapshot_running(&self) -> bool {
        self.snapshot.is_some()
    }

    fn load(&mut self, data: Dataset) {
        let databases = self.dbs.len();
        self.dbs = vec![Db::default(); databases];
        let records = data.dbs.into_iter().enumerate().flat_map(|(i, rs)| rs.into_iter().map(move |r| (i, r)));
        let loaded = self.load_records(records.collect());
        debug_assert!(loaded.is_ok(), "a dataset has each key once");
    }

    fn load_records(&mut self, records: Vec<(usize, Record)>) -> Result<(), (usize, Bytes)> {
        let mut result = Ok(());
        for (i, r) in records {
            if let Some(db) = self.dbs.get_mut(i) {
                if db.get(&r.key).is_some() {
                    result = Err((i, r.key));
                    break;
                }
                db.insert(r.key, Entry { value: r.value, expire_at: r.expire_at, lru: r.lru });
            }
        }
        // Loading is not a change clients can WATCH.
        for db in &mut self.dbs {
            db.take_touched();
        }
        result
    }

    fn empty_like(&self) -> Box<dyn Engine> {
        Box::new(Model::new(self.dbs.len()))
    }

    /// The old databases go at once: the model frees nothing later.
    fn swap_in(&mut self, loaded: Box<dyn Engine>) {
        self.dbs = own_kind(loaded).dbs;
    }

    fn discard(&mut self, other: Box<dyn Engine>) {
        drop(own_kind(other));
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }

    fn key_state(&self, db: usize, key: &[u8], now_ms: i64) -> KeyState {
        match self.dbs.get(db).and_then(|d| d.get(key)) {
            None => KeyState::Missing,
            Some(e) if e.expire_at.is_some_and(|t| now_ms > t) => KeyState::Expired,
            Some(_) => KeyState::Live,
        }
    }

    fn type_name(&self, db: usize, key: &[u8], now_ms: i64) -> Option<&'static str> {
        match self.key_state(db, key, now_ms) {
            KeyState::Live => self.dbs[db].get(key).map(|e| e.value.type_name()),
            _ => None,
        }
    }

    fn dbsize(&self, db: usize) -> u64 {
        self.dbs.get(db).map_or(0, |d| d.len() as u64)
    }

    fn db_info(&self, now_ms: i64) -> Vec<DbInfo> {
        self.dbs.iter().map(|d| expire::db_info(d, now_ms)).collect()
    }

    fn stats(&self) -> KeyspaceStats {
        self.stats
    }

    fn reset_stats(&mut self) {
        self.stats = KeyspaceStats::default();
    }

    fn used_memory(&self) -> u64 {
        self.dbs
            .iter()
            .flat_map(|d| d.iter())
            // Roughly what Redis spends per key: dict entry, key sds, object.
            .map(|(k, e)| (k.len() + e.value.approx_bytes() + 64) as u64)
            .sum()
    }
}

/// A model handed back to the one whose [`Engine::empty_like`] made it.
fn own_kind(engine: Box<dyn Engine>) -> Model {
    *engine.into_any().downcast::<Model>().expect("a model made by this one's empty_like")
}
