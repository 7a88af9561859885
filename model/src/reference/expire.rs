//! Active expiry and the keyspace figures INFO reports.

use super::db::Db;
use super::Model;
use crate::engine::{Context, DbInfo};

/// Keys deleted per database per cycle at most, so that one cycle stays short
/// (Redis bounds its cycle by time; a bound on work is the deterministic analogue).
pub const MAX_KEYS_PER_CYCLE: usize = 1000;

impl Model {
    /// Deletes keys whose time has passed, earliest first, propagating a DEL
    /// for each. Unlike Redis, which samples keys at random, the model visits
    /// them in deadline order: the same keys disappear, only sooner.
    pub(super) fn expire_due_keys(&mut self, cx: &mut Context<'_>) {
        if !cx.config.is_master || cx.config.replaying {
            return;
        }
        for db in 0..self.dbs.len() {
            for key in self.dbs[db].due_keys(cx.now_ms, MAX_KEYS_PER_CYCLE) {
                self.delete_expired(cx, db, &key);
            }
        }
    }
}

/// Keys, volatile keys and their average TTL in ms for INFO keyspace. Redis
/// estimates avg_ttl from the keys its expire cycle samples; the model
/// computes the exact mean over keys not yet due, so the two agree only roughly.
pub fn db_info(db: &Db, now_ms: i64) -> DbInfo {
    let (mut sum, mut n) = (0u128, 0u128);
    for at in db.deadlines().filter(|&at| at > now_ms) {
        sum += (at - now_ms) as u128;
        n += 1;
    }
    let avg_ttl = sum.checked_div(n).unwrap_or(0) as u64;
    DbInfo { keys: db.len() as u64, expires: db.expires_len() as u64, avg_ttl }
}
