//! Key lookups with Redis's side effects: lazy expiry, hit/miss counters and
//! the LRU/LFU access data behind OBJECT IDLETIME and OBJECT FREQ.

use bytes::Bytes;
use rand::Rng;

use super::db::Entry;
use super::value::Value;
use super::Model;
use crate::engine::Context;
use crate::errors::{self, RedisResult};

/// How a command looks a key up (Redis's lookupKeyRead / lookupKeyWrite / LOOKUP_NOTOUCH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Counts a hit or miss and records the access.
    Read,
    /// Counts a hit or miss without recording an access (TTL, TYPE, EXISTS, OBJECT).
    ReadNoTouch,
    /// Records the access; no hit/miss counting. On a writable replica an
    /// expired key is deleted before a write, as Redis does.
    Write,
}

/// Redis's LRU clock: seconds, 24 bits.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// LFU counter of a new object.
pub const LFU_INIT_VAL: u32 = 5;

pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u64 & LRU_CLOCK_MAX as u64) as u32
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 1000 / 60) as u64 & 0xffff) as u32
}

/// The `lru` field of a new object.
pub fn new_lru(cx: &Context<'_>) -> u32 {
    if cx.config.maxmemory_policy.is_lfu() {
        (lfu_minutes(cx.now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(cx.now_ms)
    }
}

/// Milliseconds since the last access, from an LRU `lru` field.
pub fn idle_ms(lru: u32, now_ms: i64) -> u64 {
    let now = lru_clock(now_ms);
    let ticks = if now >= lru { now - lru } else { now + (LRU_CLOCK_MAX - lru) };
    ticks as u64 * 1000
}

/// The LFU counter after decay, as OBJECT FREQ reports it.
pub fn lfu_counter(lru: u32, now_ms: i64, decay_minutes: u32) -> u32 {
    let last = lru >> 8;
    let counter = lru & 255;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= last { now - last } else { 65535 - last + now };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

impl Model {
    /// Looks `key` up in `db`: deletes it if its time has passed (propagating
    /// a DEL), counts the hit or miss, records the access.
    pub(super) fn lookup(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8], access: Access) -> Option<&Entry> {
        let expired = self.expire_if_needed(cx, db, key, access == Access::Write);
        let exists = !expired && self.dbs[db].get(key).is_some();
        if access != Access::Write {
            if exists {
                self.stats.keyspace_hits += 1;
            } else {
                self.stats.keyspace_misses += 1;
            }
        }
        if !exists {
            return None;
        }
        if access != Access::ReadNoTouch {
            self.touch_key(cx, db, key);
        }
        self.dbs[db].get(key)
    }

    /// The value at `key` if `pick` accepts its type: `Ok(None)` for a missing
    /// key, WRONGTYPE for a key of another type. Each type's commands use it
    /// with a `pick` such as `|v| match v { Value::List(l) => Some(l), _ => None }`.
    pub(super) fn lookup_typed<T>(
        &mut self,
        cx: &mut Context<'_>,
        db: usize,
        key: &[u8],
        access: Access,
        pick: impl for<'v> Fn(&'v Value) -> Option<&'v T>,
    ) -> RedisResult<Option<&T>> {
        match self.lookup(cx, db, key, access) {
            None => Ok(None),
            Some(entry) => pick(&entry.value).map(Some).ok_or(errors::WRONGTYPE),
        }
    }

    /// True if the key exists and is not expired (with the lookup's effects).
    pub(super) fn exists(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8], access: Access) -> bool {
        self.lookup(cx, db, key, access).is_some()
    }

    fn touch_key(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8]) {
        let Some(entry) = self.dbs[db].get(key) else { return };
        let lru = accessed_lru(entry.lru, cx);
        self.dbs[db].set_lru(key, lru);
    }

    /// If `key` has expired, deletes it (unless this node is a replica and the
    /// access is not a write) and returns true.
    pub(super) fn expire_if_needed(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8], write: bool) -> bool {
        let due = match self.dbs[db].get(key).and_then(|e| e.expire_at) {
            Some(at) => cx.now_ms > at && !cx.config.replaying,
            None => false,
        };
        if !due {
            return false;
        }
        // A replica waits for its master's DEL; it only pretends the key is gone.
        if !cx.config.is_master && !write {
            return true;
        }
        self.delete_expired(cx, db, key);
        true
    }

    /// Removes an expired key and propagates its deletion.
    pub(super) fn delete_expired(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8]) {
        self.dbs[db].remove(key);
        self.stats.expired_keys += 1;
        let verb: &'static [u8] = if cx.config.lazyfree_lazy_expire { b"UNLINK" } else { b"DEL" };
        cx.also_propagate(db, vec![Bytes::from_static(verb), Bytes::copy_from_slice(key)]);
    }
}

/// The `lru` field after an access (Redis's `updateLFU` / LRU clock): under
/// an LFU policy the decayed counter, maybe incremented (one draw from the
/// node's generator unless the counter is saturated), with the current minute.
pub fn accessed_lru(lru: u32, cx: &mut Context<'_>) -> u32 {
    if cx.config.maxmemory_policy.is_lfu() {
        let counter = lfu_counter(lru, cx.now_ms, cx.config.lfu_decay_time);
        let counter = lfu_log_incr(counter, cx);
        (lfu_minutes(cx.now_ms) << 8) | counter
    } else {
        lru_clock(cx.now_ms)
    }
}

/// Redis's logarithmic LFU counter increment: the higher the counter, the less
/// likely an access bumps it.
fn lfu_log_incr(counter: u32, cx: &mut Context<'_>) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let r: f64 = cx.rng.gen();
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * cx.config.lfu_log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}
