//! Hashes, stored natively.
//!
//! - `listpack`: a small hash, pairs in insertion order in one buffer.
//! - `table`: a large hash, a hash table kept in the model's scan order
//!   (sets use it too, with empty values); `ranks` finds its i-th entry.
//! - `value`: the hash and its one-way listpack → table conversion, at the
//!   model's thresholds (`hash-max-listpack-entries`/`-value`).
//! - `write`, `read`: the commands, step for step as the model's
//!   `reference/hashes/` (same lookups in the same order, so the same lazy
//!   expiry, hit/miss counts and access data; same effects, touched keys
//!   and dirty counts; same draws from the generator).
//! - `reply`: strings copied out for a reply in one allocation.
//!
//! A hash that becomes empty is deleted at once, as in the model and Redis.

mod listpack;
mod ranks;
mod read;
pub mod table;
mod value;
mod write;

#[cfg(test)]
mod tests;

pub use value::HashObj;

use bytes::Bytes;
use redsim_model::command::HashCommand;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{new_lru, Access};
use redsim_model::{Context, Frame};

use super::object::Obj;
use super::Engine;

impl Engine {
    pub(super) fn run_hashes(&mut self, cx: &mut Context<'_>, cmd: &HashCommand) -> RedisResult<Frame> {
        use HashCommand::*;
        match cmd {
            HDel { key, fields } => self.hdel(cx, key, fields),
            HExists { key, field } => self.hexists(cx, key, field),
            HGet { key, field } => self.hget(cx, key, field),
            HGetAll { key, part } => self.hgetall(cx, key, *part),
            HIncrBy { key, field, by } => self.hincrby(cx, key, field, *by),
            HIncrByFloat { key, field, incr } => self.hincrbyfloat(cx, key, field, *incr),
            HLen { key } => self.hlen(cx, key),
            HMGet { key, fields } => self.hmget(cx, key, fields),
            HRandField { key, count } => self.hrandfield(cx, key, *count),
            HScan { key, cursor, options } => self.hscan(cx, key, *cursor, options),
            HSet { key, pairs, ok_reply } => self.hset(cx, key, pairs, *ok_reply),
            HSetNx { key, field, value } => self.hsetnx(cx, key, field, value),
            HStrLen { key, field } => self.hstrlen(cx, key, field),
        }
    }

    /// The hash at `key` in the current database: `None` if missing,
    /// WRONGTYPE for another type (the model's `read_hash`).
    fn lookup_hash(&mut self, cx: &mut Context<'_>, key: &Bytes, access: Access) -> RedisResult<Option<u32>> {
        let db = cx.db;
        match self.lookup(cx, db, key, access) {
            Some(link) if !matches!(self.dbs[db].node(link).obj, Obj::Hash(_)) => Err(errors::WRONGTYPE),
            found => Ok(found),
        }
    }

    /// The hash at `link`, to read.
    fn hash_at(&self, db: usize, link: u32) -> &HashObj {
        match &self.dbs[db].node(link).obj {
            Obj::Hash(h) => h,
            _ => unreachable!("checked to be a hash by lookup_hash"),
        }
    }

    /// Changes the hash at `link` in place; the key counts as touched (the
    /// model's `stored_hash_mut`), so callers come here only to change it.
    fn change_hash<R>(&mut self, db: usize, key: &Bytes, link: u32, f: impl FnOnce(&mut HashObj) -> R) -> R {
        self.dbs[db].change(key, link, |obj| match obj {
            Obj::Hash(h) => f(h),
            _ => unreachable!("checked to be a hash by lookup_hash"),
        })
    }

    /// Redis's `hashTypeLookupWriteOrCreate`: checks the type and adds an
    /// empty listpack hash if the key is missing (every caller stores a
    /// field right after, so no empty hash is left behind).
    fn hash_for_write(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<u32> {
        if let Some(link) = self.lookup_hash(cx, key, Access::Write)? {
            return Ok(link);
        }
        let obj = Obj::Hash(Box::default());
        Ok(self.dbs[cx.db].store(key, None, obj, None, new_lru(cx)).0)
    }
}
