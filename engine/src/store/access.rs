//! Key lookups with Redis's side effects, exactly as the model's
//! `reference/access.rs` performs them: lazy expiry (a DEL propagated for a
//! key found expired), keyspace hit/miss counters, and the LRU/LFU access
//! data behind OBJECT IDLETIME and OBJECT FREQ (computed by the model's own
//! [`accessed_lru`], so both engines draw from the generator alike).

use bytes::Bytes;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{accessed_lru, Access};
use redsim_model::Context;

use super::Engine;

impl Engine {
    /// Looks `key` up in `db`: deletes it if its time has passed, counts the
    /// hit or miss, records the access. The link stays valid until the entry
    /// is removed or its expire time changes.
    #[inline]
    pub(super) fn lookup(&mut self, cx: &mut Context<'_>, db: usize, key: &Bytes, access: Access) -> Option<u32> {
        let d = &mut self.dbs[db];
        let mut link = d.find(key);
        if let Some(at) = link.and_then(|l| d.deadline(l)) {
            if cx.now_ms > at && !cx.config.replaying {
                // A replica waits for its master's DEL; it only pretends the key is gone.
                if cx.config.is_master || access == Access::Write {
                    self.delete_expired(cx, db, key);
                }
                link = None;
            }
        }
        if access != Access::Write {
            if link.is_some() {
                self.stats.keyspace_hits += 1;
            } else {
                self.stats.keyspace_misses += 1;
            }
        }
        let link = link?;
        if access != Access::ReadNoTouch {
            let d = &mut self.dbs[db];
            let lru = accessed_lru(d.node(link).lru(), cx);
            d.set_lru(link, lru);
        }
        Some(link)
    }

    /// The string at `key`: `None` if missing, WRONGTYPE for another type.
    #[inline]
    pub(super) fn lookup_string(
        &mut self,
        cx: &mut Context<'_>,
        db: usize,
        key: &Bytes,
        access: Access,
    ) -> RedisResult<Option<u32>> {
        match self.lookup(cx, db, key, access) {
            Some(link) if !self.dbs[db].node(link).obj.is_str() => Err(errors::WRONGTYPE),
            found => Ok(found),
        }
    }

    /// True if the key exists and is not expired (with the lookup's effects).
    pub(super) fn exists(&mut self, cx: &mut Context<'_>, db: usize, key: &Bytes, access: Access) -> bool {
        self.lookup(cx, db, key, access).is_some()
    }

    /// If `key` has expired, deletes it (unless this node is a replica and the
    /// access is not a write) and returns true.
    pub(super) fn expire_if_needed(&mut self, cx: &mut Context<'_>, db: usize, key: &Bytes, write: bool) -> bool {
        let d = &mut self.dbs[db];
        let due = match d.find(key).and_then(|l| d.deadline(l)) {
            Some(at) => cx.now_ms > at && !cx.config.replaying,
            None => false,
        };
        if !due {
            return false;
        }
        if !cx.config.is_master && !write {
            return true;
        }
        self.delete_expired(cx, db, key);
        true
    }

    /// Removes an expired key and propagates its deletion.
    pub(super) fn delete_expired(&mut self, cx: &mut Context<'_>, db: usize, key: &Bytes) {
        self.remove_expiring(cx, db, key);
        self.stats.expired_keys += 1;
        cx.also_propagate(db, vec![expire_verb(cx), key.clone()]);
    }

    /// Removes a key because its time has come (or was set in the past);
    /// under lazyfree-lazy-expire a large value is freed later (`lazyfree.rs`).
    pub(super) fn remove_expiring(&mut self, cx: &Context<'_>, db: usize, key: &Bytes) {
        if let Some(e) = self.dbs[db].remove(key) {
            if cx.config.lazyfree_lazy_expire {
                self.lazyfree.free_value(e.obj);
            }
        }
    }
}

/// How an expired or expiring key's deletion is propagated.
pub(super) fn expire_verb(cx: &Context<'_>) -> Bytes {
    Bytes::from_static(if cx.config.lazyfree_lazy_expire { b"UNLINK" } else { b"DEL" })
}
