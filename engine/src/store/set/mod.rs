//! Sets, stored natively.
//!
//! - `intset`: a small set of integers, packed and sorted.
//! - `table`: a large set, the hashes' scan-ordered table with empty
//!   values (`hash/table.rs`), so members come out in the model's order.
//! - `value`: the set and its one-way intset → table conversion, at the
//!   model's threshold (`set-max-intset-entries`; Redis 7.0 has no
//!   listpack sets).
//! - `members`, `random`, `combine`: the commands, step for step as the
//!   model's `reference/sets/` (same lookups in the same order, so the same
//!   lazy expiry, hit/miss counts and access data; same effects, touched
//!   keys and dirty counts; same draws from the generator).
//!
//! A set that becomes empty is deleted at once, as in the model and Redis.

mod combine;
mod intset;
mod members;
mod random;
mod table;
mod value;

#[cfg(test)]
mod tests;

pub use value::{Member, SetObj};

use bytes::Bytes;
use redsim_model::command::SetCommand;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{new_lru, Access};
use redsim_model::resp::BulkArray;
use redsim_model::{Context, Frame};

use super::object::Obj;
use super::Engine;

impl Engine {
    pub(super) fn run_sets(&mut self, cx: &mut Context<'_>, cmd: &SetCommand) -> RedisResult<Frame> {
        use SetCommand::*;
        match cmd {
            Add { key, members } => self.sadd(cx, key, members),
            Card { key } => self.scard(cx, key),
            Combine { op, keys, store } => self.scombine(cx, *op, keys, store.as_ref()),
            InterCard { keys, limit } => self.sintercard(cx, keys, *limit),
            IsMember { key, member } => self.sismember(cx, key, member),
            Members { key } => self.smembers(cx, key),
            MIsMember { key, members } => self.smismember(cx, key, members),
            Move { source, destination, member } => self.smove(cx, source, destination, member),
            Pop { key, count: None } => self.spop_one(cx, key),
            Pop { key, count: Some(n) } => self.spop_count(cx, key, *n),
            RandMember { key, count } => self.srandmember(cx, key, *count),
            Rem { key, members } => self.srem(cx, key, members),
            Scan { key, cursor, options } => self.sscan(cx, key, *cursor, options),
        }
    }

    /// The set at `key` in `db`: `None` if missing, WRONGTYPE for another
    /// type (the model's `lookup_typed` with its set `pick`).
    fn lookup_set(&mut self, cx: &mut Context<'_>, db: usize, key: &Bytes, access: Access) -> RedisResult<Option<u32>> {
        match self.lookup(cx, db, key, access) {
            Some(link) if !matches!(self.dbs[db].node(link).obj, Obj::Set(_)) => Err(errors::WRONGTYPE),
            found => Ok(found),
        }
    }

    /// The set at `link`, to read.
    fn set_at(&self, db: usize, link: u32) -> &SetObj {
        match &self.dbs[db].node(link).obj {
            Obj::Set(s) => s,
            _ => unreachable!("checked to be a set by lookup_set"),
        }
    }

    /// Changes the set at `link` in place; the key counts as touched (the
    /// model's `set_mut`), so callers come here only to change it.
    fn change_set<R>(&mut self, db: usize, key: &Bytes, link: u32, f: impl FnOnce(&mut SetObj) -> R) -> R {
        self.dbs[db].change(key, link, |obj| match obj {
            Obj::Set(s) => f(s),
            _ => unreachable!("checked to be a set by lookup_set"),
        })
    }

    /// As [`Engine::change_set`] for a change that may change nothing: `f`
    /// returns how many members it added or removed, and the key is touched
    /// only if that is not zero. One lookup of each member where checking
    /// first and then changing would take two.
    fn change_set_counted(&mut self, db: usize, key: &Bytes, link: u32, f: impl FnOnce(&mut SetObj) -> usize) -> usize {
        self.dbs[db].change_if(key, link, |obj| match obj {
            Obj::Set(s) => {
                let n = f(s);
                (n, n > 0)
            }
            _ => unreachable!("checked to be a set by lookup_set"),
        })
    }

    /// Stores a new set at `key`, known to be absent after a write lookup
    /// (the model's `set_key` without TTL).
    fn create_set(&mut self, cx: &Context<'_>, key: &Bytes, set: SetObj) {
        self.dbs[cx.db].store(key, None, Obj::Set(Box::new(set)), None, new_lru(cx));
    }
}

/// The intset limit in force.
fn max_intset(cx: &Context<'_>) -> u64 {
    cx.config.set_max_intset_entries
}

/// Members as bulk strings, copied out into one buffer.
fn bulks<'a>(members: impl IntoIterator<Item = Member<'a>>) -> BulkArray {
    let members = members.into_iter();
    let mut texts = BulkArray::with_capacity(members.size_hint().0, members.size_hint().0 * 8);
    let mut text = [0u8; 20];
    for m in members {
        texts.push(m.text(&mut text));
    }
    texts
}
