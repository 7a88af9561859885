//! Sorted sets, stored natively.
//!
//! - `packed`: the small form ("listpack"), one sorted buffer.
//! - `tree`: the large form's order, a B+tree counting the entries under
//!   each child (O(log n) rank and select), beside a member → score map
//!   (`value`).
//! - `value`: the set, its encodings and conversions (the model's rules).
//! - `range`: locating score, lex and rank ranges.
//! - `commands`: the commands, step for step as the model's
//!   `reference/sorted_sets/` (same lookups in the same order, so the same
//!   expiry, hit/miss counts and access data; same effects, touched keys,
//!   dirty counts and blocking requests).
//!
//! - `algebra`: ZUNION, ZINTER, ZDIFF (and STORE forms), ZINTERCARD.
//!
//! Only SORT still reaches sorted sets through `bridge.rs`, which converts
//! the keys it lends to the model's `ZSetValue` and back.

mod algebra;
mod commands;
mod packed;
mod range;
#[cfg(test)]
mod tests;
mod tree;
mod value;

pub use value::ZSetObj;

use bytes::Bytes;
use redsim_model::command::ZSetCommand;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{new_lru, Access};
use redsim_model::{Context, Frame};

use super::object::Obj;
use super::Engine;

impl Engine {
    pub(super) fn run_sorted_sets(&mut self, cx: &mut Context<'_>, cmd: &ZSetCommand) -> RedisResult<Frame> {
        use ZSetCommand::*;
        match cmd {
            Add { key, flags, pairs } => self.zadd(cx, key, *flags, pairs),
            Card { key } => {
                let n = self.lookup_zset(cx, key, Access::Read)?.map_or(0, |l| self.zset_at(cx.db, l).len());
                Ok(Frame::Integer(n as i64))
            }
            Score { key, member } => {
                let z = self.lookup_zset(cx, key, Access::Read)?.map(|l| self.zset_at(cx.db, l));
                Ok(z.and_then(|z| z.score(member)).map_or(Frame::Null, Frame::Double))
            }
            MScore { key, members } => {
                let z = self.lookup_zset(cx, key, Access::Read)?.map(|l| self.zset_at(cx.db, l));
                let scores = members.iter().map(|m| z.and_then(|z| z.score(m)).map_or(Frame::Null, Frame::Double));
                Ok(Frame::Array(scores.collect()))
            }
            Rank { key, member, rev } => {
                let z = self.lookup_zset(cx, key, Access::Read)?.map(|l| self.zset_at(cx.db, l));
                let rank = z.and_then(|z| z.rank(member).map(|r| if *rev { z.len() - 1 - r } else { r }));
                Ok(rank.map_or(Frame::Null, |r| Frame::Integer(r as i64)))
            }
            Count { key, range } => self.zcount(cx, key, range),
            LexCount { key, range } => self.zcount(cx, key, range),
            Rem { key, members } => self.zrem(cx, key, members),
            RemRange { key, by } => self.zremrange(cx, key, by),
            Range(args) => self.zrange(cx, args),
            Pop(args) => self.zpop(cx, args),
            RandMember { key, count, withscores } => self.zrandmember(cx, key, *count, *withscores),
            Scan { key, cursor, options } => self.zscan(cx, key, *cursor, options),
            SetOp(args) => self.zsetop(cx, args),
        }
    }

    /// The sorted set at `key` in the current database: `None` if missing,
    /// WRONGTYPE for another type (the model's `lookup_typed`).
    fn lookup_zset(&mut self, cx: &mut Context<'_>, key: &Bytes, access: Access) -> RedisResult<Option<u32>> {
        let db = cx.db;
        match self.lookup(cx, db, key, access) {
            Some(link) if !matches!(self.dbs[db].node(link).obj, Obj::ZSet(_)) => Err(errors::WRONGTYPE),
            found => Ok(found),
        }
    }

    /// The sorted set at `link`, to read.
    fn zset_at(&self, db: usize, link: u32) -> &ZSetObj {
        match &self.dbs[db].node(link).obj {
            Obj::ZSet(z) => z,
            _ => unreachable!("checked to be a sorted set by lookup_zset"),
        }
    }

    /// Changes the set at `link` in place; the key counts as touched.
    fn change_zset<R>(&mut self, db: usize, key: &Bytes, link: u32, f: impl FnOnce(&mut ZSetObj) -> R) -> R {
        self.dbs[db].change(key, link, |obj| match obj {
            Obj::ZSet(z) => f(z),
            _ => unreachable!("checked to be a sorted set by lookup_zset"),
        })
    }

    /// Stores a new set at `key`, known to be absent after a write lookup.
    fn create_zset(&mut self, cx: &Context<'_>, key: &Bytes, z: ZSetObj) {
        self.dbs[cx.db].store(key, None, Obj::ZSet(Box::new(z)), None, new_lru(cx));
    }

    /// Deletes the set at `key` if the command emptied it.
    fn zdrop_if_empty(&mut self, db: usize, key: &Bytes, link: u32) {
        if self.zset_at(db, link).is_empty() {
            self.dbs[db].remove(key);
        }
    }
}
