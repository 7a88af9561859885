//! The sorted sets group on the model.
//!
//! Each command follows Redis 7.0's t_zset.c where a step is observable:
//! which lookups happen (read or write, so which keys expire and which count
//! as hits), the order of type checks and option errors, when a key counts as
//! modified (only on a real change, so WATCH is not broken by a no-op), what
//! counts as dirty, and the effect form propagated.
//!
//! - `members.rs`: ZADD/ZINCRBY and ZREM (the one-line reads ZCARD, ZSCORE,
//!   ZMSCORE, ZRANK, ZREVRANK are in the dispatch below);
//! - `ranges.rs`: the ZRANGE family, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY*;
//! - `algebra.rs`: ZUNION, ZINTER, ZDIFF (and STORE forms), ZINTERCARD;
//! - `pops.rs`: ZPOPMIN/MAX, ZMPOP and the blocking pops;
//! - `sampling.rs`: ZRANDMEMBER and ZSCAN;
//! - `value.rs`: the value and its encodings; `tests.rs`: edge cases.

mod algebra;
mod members;
mod pops;
mod ranges;
mod sampling;
#[cfg(test)]
mod tests;
mod value;
pub use members::ZAddOutcome;
use value::Limits;
pub use value::ZSetValue;

use bytes::Bytes;

use super::access::Access;
use super::value::Value;
use super::Model;
use crate::command::ZSetCommand;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::resp::Frame;

/// `lookup_typed`'s pick for sorted sets.
fn pick(v: &Value) -> Option<&ZSetValue> {
    match v {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// The listpack limits in force.
fn limits(cx: &Context<'_>) -> Limits {
    Limits::from_config(cx.config)
}

/// Member-score pairs as WITHSCORES replies send them: nested pairs for
/// RESP3 clients, one flat array for RESP2 clients.
fn score_pairs(pairs: impl IntoIterator<Item = (Bytes, f64)>) -> Frame {
    Frame::Pairs(pairs.into_iter().map(|(m, s)| (Frame::Bulk(m), Frame::Double(s))).collect())
}

/// Pairs that are nested in both protocols (ZMPOP's reply).
fn nested_pairs(pairs: impl IntoIterator<Item = (Bytes, f64)>) -> Frame {
    Frame::Array(pairs.into_iter().map(|(m, s)| Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)])).collect())
}

impl Model {
    pub(super) fn run_sorted_sets(&mut self, cx: &mut Context<'_>, cmd: &ZSetCommand) -> RedisResult<Frame> {
        use ZSetCommand::*;
        match cmd {
            Add { key, flags, pairs } => self.zadd(cx, key, *flags, pairs),
            Card { key } => {
                let n = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?.map_or(0, |z| z.len());
                Ok(Frame::Integer(n as i64))
            }
            Count { key, range } => self.zcount(cx, key, range),
            LexCount { key, range } => self.zlexcount(cx, key, range),
            Score { key, member } => {
                let z = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
                Ok(z.and_then(|z| z.score(member)).map_or(Frame::Null, Frame::Double))
            }
            MScore { key, members } => {
                let z = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
                let scores = members.iter().map(|m| z.and_then(|z| z.score(m)).map_or(Frame::Null, Frame::Double));
                Ok(Frame::Array(scores.collect()))
            }
            Rank { key, member, rev } => {
                let z = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
                let rank = z.and_then(|z| z.rank(member).map(|r| if *rev { z.len() - 1 - r } else { r }));
                Ok(rank.map_or(Frame::Null, |r| Frame::Integer(r as i64)))
            }
            Rem { key, members } => self.zrem(cx, key, members),
            RemRange { key, by } => self.zremrange(cx, key, by),
            Range(args) => self.zrange(cx, args),
            SetOp(args) => self.zsetop(cx, args),
            Pop(args) => self.zpop(cx, args),
            RandMember { key, count, withscores } => self.zrandmember(cx, key, *count, *withscores),
            Scan { key, cursor, options } => self.zscan(cx, key, *cursor, options),
        }
    }

    /// The sorted set at `key` to change in place (the key counts as
    /// touched). Callers have already checked that it exists with this type.
    fn zset_mut(&mut self, db: usize, key: &[u8]) -> Option<&mut ZSetValue> {
        match self.dbs[db].get_mut_value(key) {
            Some(Value::ZSet(z)) => Some(z),
            _ => None,
        }
    }

    /// Deletes `key` if its set became empty (Redis deletes empty collections).
    fn zdrop_if_empty(&mut self, db: usize, key: &[u8]) {
        if self.dbs[db].get(key).is_some_and(|e| matches!(&e.value, Value::ZSet(z) if z.is_empty())) {
            self.dbs[db].remove(key);
        }
    }

    /// Stores a computed result at `dest` as the *STORE commands do: a
    /// non-empty result replaces whatever was there (TTL included); an empty
    /// one deletes the destination. Returns the stored length.
    fn zstore_result(&mut self, cx: &mut Context<'_>, dest: &[u8], pairs: Vec<(Bytes, f64)>) -> usize {
        let n = pairs.len();
        if n > 0 {
            // Redis's setKey looks the destination up first (expiring it).
            self.lookup(cx, cx.db, dest, Access::Write);
            let value = ZSetValue::from_pairs(pairs, limits(cx));
            self.set_key(cx, cx.db, dest, Value::ZSet(value), false);
            cx.dirty += 1;
        } else if self.dbs[cx.db].remove(dest).is_some() {
            cx.dirty += 1;
        }
        n
    }
}
