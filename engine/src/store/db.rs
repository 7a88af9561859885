//! One database: the table, the index of expire times, and the log of
//! touched keys.
//!
//! The changes a command makes are logged exactly as the model's `Db` logs
//! them (a replaced key twice, as a removal and an insertion), because the
//! node hands that log to WATCH and to blocked clients and both engines must
//! hand it the same keys.

use std::collections::BTreeSet;

use bytes::Bytes;
use rand_chacha::ChaCha8Rng;

use super::dict::{Dict, Node, Teardown, CRON_REHASH_BUCKETS, NIL};
use super::hasher::hash_key;
use super::key::Key;
use super::object::Obj;
use super::snapshot::Cut;

/// A removed entry.
pub struct Removed {
    pub obj: Obj,
    pub deadline: Option<i64>,
    pub lru: u32,
}

/// Keys whose loads [`Db::prefetch`] starts at once: enough to overlap
/// the misses, few enough that the first are still cached when read.
pub const PREFETCH_KEYS: usize = 16;

/// Room for touched keys kept between commands; a FLUSHDB's million keys
/// give theirs back.
pub const TOUCHED_KEPT: usize = 256;

#[derive(Default)]
pub struct Db {
    pub(super) dict: Dict,
    /// (deadline, link) of every key with an expire time, earliest first:
    /// the active expire cycle reads due keys from the front. Only keys with
    /// an expire time are in it.
    expires: BTreeSet<(i64, u32)>,
    /// Sum of the deadlines in `expires`, for INFO's avg_ttl.
    deadline_sum: i128,
    /// Keys changed since the engine last reported them.
    touched: Vec<Bytes>,
    /// Heap bytes owned by keys and values, for INFO memory.
    heap: usize,
    /// The mark of entries a snapshot under way must not copy (again): the
    /// ones it copied and the ones added since it started. Every entry has
    /// it while no snapshot runs (see `snapshot.rs`).
    pub(super) mark: bool,
    /// The snapshot under way, until it has read out this database.
    pub(super) cut: Option<Box<Cut>>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dict.len() == 0
    }

    /// Number of keys with an expire time.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The entry of `key`, without side effects (not even a rehash step).
    #[inline]
    pub fn peek(&self, key: &[u8]) -> Option<u32> {
        self.peek_hashed(hash_key(key), key)
    }

    /// [`Db::peek`] with the key's hash already at hand.
    #[inline]
    pub fn peek_hashed(&self, hash: u64, key: &[u8]) -> Option<u32> {
        let link = self.dict.find(hash, key);
        (link != NIL).then_some(link)
    }

    /// Starts loading the entries of `keys` (at most [`PREFETCH_KEYS`] of
    /// them), for a command about to look them all up: buckets first, then
    /// the entries they lead to.
    pub fn prefetch<K: AsRef<[u8]>>(&self, keys: &[K]) {
        let mut hashes = [0u64; PREFETCH_KEYS];
        let n = keys.len().min(PREFETCH_KEYS);
        for (h, key) in hashes.iter_mut().zip(&keys[..n]) {
            *h = hash_key(key.as_ref());
        }
        self.prefetch_hashed(&hashes[..n]);
    }

    /// [`Db::prefetch`] by the keys' hashes.
    pub fn prefetch_hashed(&self, hashes: &[u64]) {
        for &h in hashes {
            self.dict.prefetch_buckets(h);
        }
        for &h in hashes {
            self.dict.prefetch_heads(h);
        }
    }

    /// The entry of `key`, moving a bucket along if a rehash is under way.
    #[inline]
    pub fn find(&mut self, key: &[u8]) -> Option<u32> {
        self.dict.rehash_step();
        self.peek(key)
    }

    #[inline]
    pub fn node(&self, link: u32) -> &Node {
        self.dict.node(link)
    }

    #[inline]
    pub fn deadline(&self, link: u32) -> Option<i64> {
        self.dict.deadline(link)
    }

    pub fn set_lru(&mut self, link: u32, lru: u32) {
        // A snapshot holds the access data of its moment too (RDB's IDLE/FREQ).
        if self.cut.is_some() && self.dict.node(link).lru() != lru {
            self.preserve(link);
        }
        self.dict.node_mut(link).set_lru(lru);
    }

    pub fn has_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// Moves the keys changed since the last call, in order, into `out`,
    /// tagged with this database's index, keeping the list's allocation for
    /// the next command (this runs after every write) unless a mass change
    /// made it large.
    pub fn move_touched(&mut self, index: usize, out: &mut Vec<(usize, Bytes)>) {
        out.extend(self.touched.drain(..).map(|key| (index, key)));
        self.touched.shrink_to(TOUCHED_KEPT);
    }

    /// Stores `key`, replacing any previous entry and its expire time; the
    /// model's `Db::insert`, with its log: a replaced key is logged twice.
    /// Returns the entry and the value replaced, for the caller to free.
    pub fn insert(&mut self, key: &Bytes, obj: Obj, deadline: Option<i64>, lru: u32) -> (u32, Option<Obj>) {
        let hash = hash_key(key);
        self.dict.rehash_step();
        let link = self.dict.find(hash, key);
        self.store(key, (link != NIL).then_some(link), obj, deadline, lru)
    }

    /// [`Db::insert`] for a key the caller has just looked up with a write
    /// lookup (nothing changed since): `found` is its entry, or `None` when
    /// the key is known to be absent. Saves the second lookup.
    pub fn store(
        &mut self,
        key: &Bytes,
        found: Option<u32>,
        obj: Obj,
        deadline: Option<i64>,
        lru: u32,
    ) -> (u32, Option<Obj>) {
        debug_assert_eq!(found, self.peek(key));
        match found {
            Some(link) => {
                self.touched.push(key.clone());
                self.touched.push(key.clone());
                self.preserve(link);
                let node = self.dict.node_mut(link);
                let old = std::mem::replace(&mut node.obj, obj);
                node.set_lru(lru);
                self.heap = self.heap + node.obj.heap_bytes() - old.heap_bytes();
                (self.change_deadline(hash_key(key), link, deadline), Some(old))
            }
            None => {
                self.touched.push(key.clone());
                (self.insert_new(hash_key(key), Key::new(key), obj, deadline, lru), None)
            }
        }
    }

    /// Makes room for `n` keys in an empty database (loading).
    pub fn reserve(&mut self, n: usize) {
        self.dict.reserve(n);
    }

    /// Adds an entry for a key known to be absent, without logging it (loading).
    pub fn insert_quietly(&mut self, key: &[u8], obj: Obj, deadline: Option<i64>, lru: u32) {
        let hash = hash_key(key);
        debug_assert_eq!(self.dict.find(hash, key), NIL);
        self.insert_new(hash, Key::new(key), obj, deadline, lru);
    }

    /// Adds an entry for `key` unless it is there, without logging it
    /// (loading); false if it was there. One hash and one lookup: the
    /// lookup is the load's duplicate check.
    pub fn insert_if_absent_quietly(
        &mut self,
        key: &[u8],
        obj: impl FnOnce() -> Obj,
        deadline: Option<i64>,
        lru: u32,
    ) -> bool {
        let hash = hash_key(key);
        self.dict.rehash_step();
        if self.dict.find(hash, key) != NIL {
            return false;
        }
        self.insert_new(hash, Key::new(key), obj(), deadline, lru);
        true
    }

    fn insert_new(&mut self, hash: u64, key: Key, obj: Obj, deadline: Option<i64>, lru: u32) -> u32 {
        self.heap += key.heap_bytes() + obj.heap_bytes();
        let mut node = Node::new(key, obj, lru);
        node.set_mark(self.mark);
        let link = self.dict.insert(hash, node, deadline);
        if let Some(d) = deadline {
            self.index_deadline(d, link);
        }
        link
    }

    /// Replaces the value of an existing entry in place, keeping its expire
    /// time, with fresh access data: the model's `set_key(.., keep_ttl)` on an
    /// existing key (INCR, APPEND, SETRANGE ...), logged twice as there.
    pub fn edit(&mut self, key: &Bytes, link: u32, lru: u32, change: impl FnOnce(&mut Obj)) {
        self.touched.push(key.clone());
        self.touched.push(key.clone());
        self.preserve(link);
        let node = self.dict.node_mut(link);
        let before = node.obj.heap_bytes();
        change(&mut node.obj);
        node.set_lru(lru);
        self.heap = self.heap + node.obj.heap_bytes() - before;
    }

    /// Changes the value of an existing entry in place, logging the key
    /// once (Redis's signalModifiedKey, the model's `get_mut_value`); its
    /// access data and expire time stay.
    pub fn change<R>(&mut self, key: &Bytes, link: u32, f: impl FnOnce(&mut Obj) -> R) -> R {
        self.touched.push(key.clone());
        self.preserve(link);
        let node = self.dict.node_mut(link);
        let before = node.obj.heap_bytes();
        let r = f(&mut node.obj);
        self.heap = self.heap + node.obj.heap_bytes() - before;
        r
    }

    /// As [`Db::change`], for a change that may turn out to change nothing:
    /// `f` says whether it did, and only then is the key logged.
    pub fn change_if<R>(&mut self, key: &Bytes, link: u32, f: impl FnOnce(&mut Obj) -> (R, bool)) -> R {
        self.preserve(link);
        let node = self.dict.node_mut(link);
        let before = node.obj.heap_bytes();
        let (r, changed) = f(&mut node.obj);
        self.heap = self.heap + node.obj.heap_bytes() - before;
        if changed {
            self.touched.push(key.clone());
        }
        r
    }

    /// Removes `key`; logged if it was there.
    pub fn remove(&mut self, key: &Bytes) -> Option<Removed> {
        let removed = self.remove_quietly(key)?;
        self.touched.push(key.clone());
        Some(removed)
    }

    /// Removes `key` without logging (lending it to the model, see `bridge.rs`).
    pub fn remove_quietly(&mut self, key: &[u8]) -> Option<Removed> {
        let hash = hash_key(key);
        self.dict.rehash_step();
        let link = self.dict.find(hash, key);
        if link == NIL {
            return None;
        }
        self.preserve(link);
        if let Some(d) = self.dict.deadline(link) {
            self.unindex_deadline(d, link);
        }
        let (node, deadline) = self.dict.remove(hash, link);
        self.heap -= node.key.heap_bytes() + node.obj.heap_bytes();
        let lru = node.lru();
        Some(Removed { obj: node.obj, deadline, lru })
    }

    /// Sets or clears a key's expire time; false if the key does not exist.
    pub fn set_expire(&mut self, key: &Bytes, at: Option<i64>) -> bool {
        let hash = hash_key(key);
        self.dict.rehash_step();
        let link = self.dict.find(hash, key);
        if link == NIL {
            return false;
        }
        self.touched.push(key.clone());
        self.preserve(link);
        self.change_deadline(hash, link, at);
        true
    }

    fn change_deadline(&mut self, hash: u64, link: u32, at: Option<i64>) -> u32 {
        let old = self.dict.deadline(link);
        if old == at {
            return link;
        }
        if let Some(d) = old {
            self.unindex_deadline(d, link);
        }
        let link = self.dict.set_deadline(hash, link, at);
        if let Some(d) = at {
            self.index_deadline(d, link);
        }
        link
    }

    fn index_deadline(&mut self, deadline: i64, link: u32) {
        self.expires.insert((deadline, link));
        self.deadline_sum += deadline as i128;
    }

    fn unindex_deadline(&mut self, deadline: i64, link: u32) {
        let was = self.expires.remove(&(deadline, link));
        debug_assert!(was, "deadline index out of step");
        self.deadline_sum -= deadline as i128;
    }

    /// Logs the keys of `interest` this database holds, or every key without
    /// one (FLUSHDB replaces the whole database; see `Context::interest`).
    fn touch_all(&mut self, interest: Option<Vec<Bytes>>) {
        let keys: Vec<Bytes> = match interest {
            Some(keys) => keys.into_iter().filter(|k| self.peek(k).is_some()).collect(),
            None => self.keys().collect(),
        };
        self.touched.extend(keys);
    }

    /// Every key, in storage order.
    pub fn keys(&self) -> impl Iterator<Item = Bytes> + '_ {
        self.dict.links().map(|l| self.dict.node(l).key.to_bytes())
    }

    /// Empties the database, logging what [`Db::touch_all`] logs.
    pub fn clear(&mut self, interest: Option<Vec<Bytes>>) {
        self.take(interest);
    }

    /// Empties the database as [`Db::clear`] does, but hands the old
    /// contents back instead of freeing them (FLUSHALL ASYNC queues them,
    /// see `lazyfree.rs`).
    pub fn take(&mut self, interest: Option<Vec<Bytes>>) -> Db {
        self.touch_all(interest);
        self.swap_contents(Db::default())
    }

    /// Puts `loaded`'s contents in place of this database's (empty ones
    /// for [`Db::take`], a replica's `swapdb` load) and hands the old ones
    /// back; the log of touched keys stays. A snapshot under way may keep
    /// the old contents it has not read yet (see `snapshot.rs`).
    pub fn swap_contents(&mut self, mut loaded: Db) -> Db {
        loaded.touched = std::mem::take(&mut self.touched);
        self.empty_out(loaded)
    }

    /// A database given up for freeing in bounded steps: its entries, still
    /// in their slab chunks, and its expire index.
    pub fn into_teardown(self) -> (Teardown, BTreeSet<(i64, u32)>) {
        (self.dict.into_teardown(), self.expires)
    }

    /// Every entry, in storage order.
    pub fn links(&self) -> impl Iterator<Item = u32> + '_ {
        self.dict.links()
    }

    /// One `dictScan` step (see [`Dict::scan`]).
    pub fn scan(&self, cursor: u64, out: &mut Vec<u32>) -> u64 {
        self.dict.scan(cursor, out)
    }

    /// A random entry, `None` when empty.
    pub fn random_link(&self, rng: &mut ChaCha8Rng) -> Option<u32> {
        let link = self.dict.random_link(rng);
        (link != NIL).then_some(link)
    }

    /// Up to `max` keys whose expire time is before `now_ms` (a key expiring
    /// at `now_ms` is still alive), earliest first. Reads only the front of
    /// the index: the work is bounded by `max`, however many keys have TTLs.
    ///
    /// The keys come out ordered by (deadline, key), the model's order; which
    /// keys of one millisecond are taken when more than `max` are due may
    /// differ from the model (the index orders ties by entry, not by key,
    /// so that it never has to compare keys).
    pub fn due_keys(&self, now_ms: i64, max: usize) -> Vec<Bytes> {
        let mut due: Vec<(i64, Bytes)> = self
            .expires
            .iter()
            .take_while(|(d, _)| *d < now_ms)
            .take(max)
            .map(|&(d, link)| (d, self.dict.node(link).key.to_bytes()))
            .collect();
        due.sort_unstable();
        due.into_iter().map(|(_, k)| k).collect()
    }

    /// Mean TTL in ms of the keys not yet due (INFO keyspace's avg_ttl): the
    /// running sum minus the due keys at the front of the index.
    pub fn avg_ttl(&self, now_ms: i64) -> u64 {
        let (mut sum, mut n) = (self.deadline_sum, self.expires.len() as i128);
        for &(d, _) in self.expires.iter().take_while(|(d, _)| *d <= now_ms) {
            sum -= d as i128;
            n -= 1;
        }
        if n <= 0 {
            return 0;
        }
        ((sum - now_ms as i128 * n) / n) as u64
    }

    /// The cron's share of table maintenance: shrink a sparse table, move a
    /// bounded number of buckets of a rehash under way.
    pub fn cron(&mut self) {
        self.dict.shrink_if_needed();
        self.dict.rehash(CRON_REHASH_BUCKETS);
    }

    /// Bytes used, for INFO memory: tables, entries, the expire index, heap.
    pub fn used_bytes(&self) -> usize {
        self.dict.reserved_bytes() + self.expires.len() * 24 + self.heap
    }
}
