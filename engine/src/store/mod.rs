//! `Engine`: the optimized keyspace, checked command by command against the
//! reference [`Model`] (`engine/tests/engine_equivalence.rs`).
//!
//! - `dict`: per database, a hash table rehashed incrementally (growth
//!   never stalls a command), entries in slabs with stable indexes, SCAN
//!   with Redis's reverse-binary cursor; `hasher` is its fixed-seed hash;
//!   `prefetch` lets multi-key lookups (MGET) overlap their cache misses.
//! - `key`, `object`: short keys and strings inline in the entry,
//!   integers as integers, with OBJECT ENCODING's names.
//! - `db`: one database: the table, the expire index (only keys with a TTL
//!   pay for it) and the log of touched keys.
//! - `access`, `strings`, `keys`, `expire`: lookups with lazy expiry,
//!   the string and generic groups, active expiry and INFO figures, each
//!   following the model's code step for step (and reusing the model's pure
//!   helpers: number formats, LCS, digests, payloads, access data).
//! - `list`: lists as quicklists of packed nodes, and the list commands.
//! - `hash`, `set`: hashes (listpack / scan-ordered table) and sets (intset
//!   / the same table), and their commands.
//! - `zset`: sorted sets (listpack / member map plus an order-statistic
//!   B+tree), and their commands.
//! - `bridge`: SORT, run by the model's own code on keys lent to a
//!   scratch model.
//! - `lazyfree`: large deleted values and flushed databases, freed a
//!   bounded amount at a time after commands and in the cron (UNLINK,
//!   FLUSHALL ASYNC and the `lazyfree-lazy-*` settings).

mod access;
mod bridge;
mod db;
mod dict;
mod expire;
mod hash;
mod hasher;
mod key;
mod keys;
mod lazyfree;
mod list;
mod lookahead;
mod object;
mod prefetch;
mod set;
mod slab;
mod snapshot;
mod strings;
mod zset;

use bytes::Bytes;
use redsim_model::command::{help, Command};
use redsim_model::dataset::{Dataset, Record};
use redsim_model::engine::{DbInfo, KeyState, KeyspaceStats};
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{hex, mix_digest, value_digest, xor_digest, Access};
use redsim_model::{Context, Frame, Model};

use db::Db;
pub use db::TOUCHED_KEPT;
use lazyfree::LazyFree;
use object::Obj;

/// The optimized engine: `databases` databases of keys.
pub struct Engine {
    dbs: Vec<Db>,
    stats: KeyspaceStats,
    /// Deleted values and databases waiting to be freed (see `lazyfree.rs`).
    lazyfree: LazyFree,
    /// Where collection commands run for now (see `bridge.rs`); empty between commands.
    scratch: Model,
}

impl Engine {
    /// An empty dataset with `databases` databases (Redis's `databases`, 16 by default).
    pub fn new(databases: usize) -> Engine {
        let databases = databases.max(1);
        Engine {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            stats: KeyspaceStats::default(),
            lazyfree: LazyFree::default(),
            scratch: Model::new(databases),
        }
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
            Sort(args) => {
                let keys = self.sort_keys(cx.db, args);
                Ok(self.delegate(cx, cmd, keys))
            }

            Copy { source, destination, db, replace } => self.copy(cx, source, destination, *db, *replace),
            Dump { key } => self.dump(cx, key),
            Restore(args) => self.restore(cx, args),
            Del { keys, unlink } => self.del(cx, keys, *unlink || cx.config.lazyfree_lazy_user_del),
            Exists { keys } => self.exists_count(cx, keys, Access::ReadNoTouch),
            Expire(args) => self.expire(cx, args),
            ExpireTime { key, millis } => self.ttl(cx, key, *millis, true),
            Keys { pattern } => self.keys(cx, pattern),
            Move { key, db } => self.move_key(cx, key, *db),
            Object { sub, key } => self.object(cx, *sub, key),
            Persist { key } => self.persist(cx, key),
            Ttl { key, millis } => self.ttl(cx, key, *millis, false),
            RandomKey => self.randomkey(cx),
            Rename { source, destination, nx } => self.rename(cx, source, destination, *nx),
            Scan(args) => self.scan(cx, args),
            Touch { keys } => self.exists_count(cx, keys, Access::Read),
            Type { key } => self.type_of(cx, key),

            DbSize => Ok(Frame::Integer(self.dbs[cx.db].len() as i64)),
            // Redis's getFlushCommandFlags: ASYNC, or no flag under lazyfree-lazy-user-flush.
            Flush { all, sync } => Ok(self.flush(cx, *all, sync.map_or(cx.config.lazyfree_lazy_user_flush, |s| !s))),
            SwapDb { a, b } => Ok(self.swapdb(cx, *a, *b)),
            DebugDigest => Ok(Frame::Simple(self.dataset_digest())),
            DebugDigestValue { keys } => Ok(self.digest_values(cx, keys)),

            Help { command } => Ok(help::reply(command)),
            Connection(_) | Server(_) => Err(errors::NOT_A_KEYSPACE_COMMAND),
            NotImplemented { name } => Err(errors::not_implemented(name)),
        }
    }

    /// FLUSHDB / FLUSHALL; with `lazy` (ASYNC) the old tables are swapped
    /// for empty ones and freed later, a few entries at a time.
    fn flush(&mut self, cx: &mut Context<'_>, all: bool, lazy: bool) -> Frame {
        let flushed: Vec<usize> = if all { (0..self.dbs.len()).collect() } else { vec![cx.db] };
        for db in flushed {
            cx.dirty += self.dbs[db].len() as u64;
            let interest = cx.interest_in(db);
            if lazy && !self.dbs[db].is_empty() {
                let old = self.dbs[db].take(interest);
                self.lazyfree.free_db(old);
            } else {
                self.dbs[db].clear(interest);
            }
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
    /// `touchAllWatchedKeysInDb` with `replaced_with`), as in the model.
    fn swapdb(&mut self, cx: &mut Context<'_>, a: usize, b: usize) -> Frame {
        let holds = |dbs: &[Db], k: &Bytes| dbs[a].peek(k).is_some() || dbs[b].peek(k).is_some();
        for x in [a, b] {
            let candidates = cx.interest_in(x).unwrap_or_else(|| {
                let mut all: Vec<Bytes> = self.dbs[a].keys().collect();
                all.extend(self.dbs[b].keys().filter(|k| self.dbs[a].peek(k).is_none()));
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

    /// DEBUG DIGEST: Redis's order-independent digest of the whole dataset,
    /// keys that expired but were not collected yet included (the model's
    /// `dataset_hex`, on the model's own digest functions).
    fn dataset_digest(&self) -> String {
        let mut fin = [0u8; 20];
        for (id, db) in self.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            mix_digest(&mut fin, &(id as u32).to_be_bytes());
            for link in db.links() {
                let mut d = [0u8; 20];
                mix_digest(&mut d, db.node(link).key.as_bytes());
                digest_value_into(&mut d, db, link);
                xor_digest(&mut fin, &d);
            }
        }
        hex(&fin)
    }

    fn digest_values(&self, cx: &Context<'_>, keys: &[Bytes]) -> Frame {
        // Debugging looks at keys as stored, logically expired ones included.
        let db = cx.db;
        Frame::Array(
            keys.iter()
                .map(|k| {
                    let mut digest = [0u8; 20];
                    if let Some(link) = self.dbs[db].peek(k) {
                        digest_value_into(&mut digest, &self.dbs[db], link);
                    }
                    Frame::Simple(hex(&digest))
                })
                .collect(),
        )
    }

    /// Moves the databases' change logs into the context.
    fn report_touched(&mut self, cx: &mut Context<'_>) {
        for (i, db) in self.dbs.iter_mut().enumerate() {
            if db.has_touched() {
                db.move_touched(i, &mut cx.touched);
            }
        }
    }
}

/// Mixes the value at `link` (type, contents, expire flag) into `digest`.
fn digest_value_into(digest: &mut [u8; 20], db: &Db, link: u32) {
    let has_expire = db.deadline(link).is_some();
    match &db.node(link).obj {
        Obj::List(l) => list::digest_into(digest, l, has_expire),
        Obj::Hash(h) => h.digest_into(digest, has_expire),
        Obj::Set(s) => s.digest_into(digest, has_expire),
        Obj::ZSet(z) => z.digest_into(digest, has_expire),
        s => value_digest(digest, &s.to_value(), has_expire),
    }
}

impl redsim_model::Engine for Engine {
    fn name(&self) -> &'static str {
        "engine"
    }

    fn execute(&mut self, cx: &mut Context<'_>, cmd: &Command) -> Frame {
        let reply = self.run(cx, cmd).unwrap_or_else(Frame::from);
        self.report_touched(cx);
        self.lazyfree.drain_after_command();
        reply
    }

    fn active_expire_cycle(&mut self, cx: &mut Context<'_>) {
        self.expire_due_keys(cx);
        self.report_touched(cx);
    }

    fn upkeep(&mut self) {
        for db in &mut self.dbs {
            db.cron();
        }
        self.lazyfree.drain_cron();
    }

    fn key_state(&self, db: usize, key: &[u8], now_ms: i64) -> KeyState {
        let Some(d) = self.dbs.get(db) else { return KeyState::Missing };
        match d.peek(key) {
            None => KeyState::Missing,
            Some(link) if d.deadline(link).is_some_and(|t| now_ms > t) => KeyState::Expired,
            Some(_) => KeyState::Live,
        }
    }

    fn type_name(&self, db: usize, key: &[u8], now_ms: i64) -> Option<&'static str> {
        match self.key_state(db, key, now_ms) {
            KeyState::Live => self.dbs[db].peek(key).map(|l| self.dbs[db].node(l).obj.type_name()),
            _ => None,
        }
    }

    fn prefetch(&self, db: usize, upcoming: &[redsim_model::Upcoming<'_>]) -> bool {
        self.dbs.get(db).is_some_and(|d| d.prefetch_upcoming(upcoming))
    }

    fn dbsize(&self, db: usize) -> u64 {
        self.dbs.get(db).map_or(0, |d| d.len() as u64)
    }

    fn db_info(&self, now_ms: i64) -> Vec<DbInfo> {
        self.dbs
            .iter()
            .map(|d| DbInfo { keys: d.len() as u64, expires: d.expires_len() as u64, avg_ttl: d.avg_ttl(now_ms) })
            .collect()
    }

    fn stats(&self) -> KeyspaceStats {
        KeyspaceStats {
            lazyfree_pending_objects: self.lazyfree.pending_objects(),
            lazyfreed_objects: self.lazyfree.freed_objects(),
            ..self.stats
        }
    }

    fn reset_stats(&mut self) {
        self.stats = KeyspaceStats::default();
        self.lazyfree.reset_stats();
    }

    fn used_memory(&self) -> u64 {
        self.dbs.iter().map(|d| d.used_bytes() as u64).sum()
    }

    fn snapshot(&self) -> Dataset {
        Dataset {
            dbs: self
                .dbs
                .iter()
                .map(|d| {
                    d.links()
                        .map(|l| {
                            let node = d.node(l);
                            Record {
                                key: node.key.to_bytes(),
                                value: node.obj.to_value(),
                                expire_at: d.deadline(l),
                                lru: node.lru(),
                            }
                        })
                        .collect()
                })
                .collect(),
        }
    }

    fn start_snapshot(&mut self) -> Vec<(u64, u64)> {
        self.cancel_snapshot();
        let mut shape = Vec::with_capacity(self.dbs.len());
        for (i, db) in self.dbs.iter_mut().enumerate() {
            shape.push((db.len() as u64, db.expires_len() as u64));
            if !db.is_empty() {
                db.start_cut(i);
            }
        }
        shape
    }

    fn read_snapshot(&mut self, max: usize, out: &mut Vec<(usize, Record)>) -> bool {
        let mut records = Vec::new();
        let mut room = max;
        // Databases in the order they had when the snapshot started.
        while let Some(db) = (0..self.dbs.len())
            .filter(|&i| self.dbs[i].cut.is_some())
            .min_by_key(|&i| self.dbs[i].cut.as_ref().map(|c| c.label))
        {
            let label = self.dbs[db].cut.as_ref().map_or(db, |c| c.label);
            if room == 0 {
                return false;
            }
            let mut spent = Vec::new();
            let done = self.dbs[db].read_cut(room, &mut records, &mut spent);
            for old in spent {
                self.lazyfree.free_db(old);
            }
            room -= records.len();
            out.extend(records.drain(..).map(|r| (label, r)));
            if !done {
                return false;
            }
        }
        true
    }

    fn cancel_snapshot(&mut self) {
        let mut spent = Vec::new();
        for db in &mut self.dbs {
            db.cancel_cut(&mut spent);
        }
        for old in spent {
            self.lazyfree.free_db(old);
        }
    }

    fn snapshot_running(&self) -> bool {
        self.dbs.iter().any(|db| db.cut.is_some())
    }

    fn load(&mut self, data: Dataset) {
        let databases = self.dbs.len();
        // Emptied as FLUSHALL does, logging nothing: a snapshot under way
        // keeps the dataset it started on.
        for db in &mut self.dbs {
            db.clear(Some(Vec::new()));
        }
        for (i, records) in data.dbs.into_iter().enumerate().take(databases) {
            self.dbs[i].reserve(records.len());
            let loaded = self.load_records(records.into_iter().map(|r| (i, r)).collect());
            debug_assert!(loaded.is_ok(), "a dataset has each key once");
        }
    }

    fn reserve(&mut self, db: usize, keys: usize) {
        if let Some(db) = self.dbs.get_mut(db) {
            db.reserve(keys);
        }
    }

    fn load_records(&mut self, records: Vec<(usize, Record)>) -> Result<(), (usize, Bytes)> {
        for (i, r) in records {
            let Some(db) = self.dbs.get_mut(i) else { continue };
            if !db.insert_if_absent_quietly(&r.key, || Obj::from_value(r.value), r.expire_at, r.lru) {
                return Err((i, r.key));
            }
        }
        Ok(())
    }

    fn empty_like(&self) -> Box<dyn redsim_model::Engine> {
        Box::new(Engine::new(self.dbs.len()))
    }

    fn swap_in(&mut self, loaded: Box<dyn redsim_model::Engine>) {
        let loaded = own_kind(loaded);
        for (db, contents) in self.dbs.iter_mut().zip(loaded.dbs) {
            let old = db.swap_contents(contents);
            if !old.is_empty() {
                self.lazyfree.free_db(old);
            }
        }
    }

    fn discard(&mut self, other: Box<dyn redsim_model::Engine>) {
        for db in own_kind(other).dbs.into_iter().filter(|db| !db.is_empty()) {
            self.lazyfree.free_db(db);
        }
    }

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// An engine handed back to the one whose [`redsim_model::Engine::empty_like`] made it.
fn own_kind(engine: Box<dyn redsim_model::Engine>) -> Engine {
    *engine.into_any().downcast::<Engine>().expect("an engine made by this one's empty_like")
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("keys", &self.dbs.iter().map(Db::len).collect::<Vec<_>>()).finish()
    }
}

/// A SCAN-family reply (SCAN, HSCAN, SSCAN, ZSCAN): the next cursor as a
/// bulk string, then the elements.
fn scan_reply(cursor: u64, items: Vec<Frame>) -> Frame {
    Frame::Array(vec![Frame::bulk(cursor.to_string()), Frame::Array(items)])
}
