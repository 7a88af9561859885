//! Lists, stored natively.
//!
//! - `entry`: one element packed in a node (small integers in a byte or two).
//! - `node`: a node's buffer of entries, open at both ends.
//! - `quicklist`: the list, a deque of bounded nodes (`list-max-listpack-size`).
//! - `reply`: elements copied out for a reply in one allocation.
//! - `push_pop`, `positional`: the commands, step for step as the model's
//!   `reference/lists/` (same lookups in the same order, so the same lazy
//!   expiry, hit/miss counts and access data; same effects, touched keys
//!   and dirty counts; same blocking requests).
//!
//! A list that becomes empty is deleted at once, as in the model and Redis.

mod entry;
mod node;
mod positional;
mod push_pop;
mod quicklist;

#[cfg(test)]
mod tests;

pub use quicklist::QuickList;

use bytes::Bytes;
use redsim_model::command::ListCommand;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::{mix_digest, new_lru, value_digest, xor_digest, Access};
use redsim_model::reference::{ListValue, Value};
use redsim_model::{Context, Frame};

use super::object::Obj;
use super::Engine;

impl Engine {
    pub(super) fn run_lists(&mut self, cx: &mut Context<'_>, cmd: &ListCommand) -> RedisResult<Frame> {
        use ListCommand::*;
        match cmd {
            Push { key, end, elements, only_existing } => self.lpush(cx, key, *end, elements, *only_existing),
            Pop { key, end, count } => self.lpop(cx, key, *end, *count),
            BlockingPop { keys, end, block } => self.blpop(cx, keys, *end, *block),
            MPop { keys, end, count, block } => self.lmpop(cx, keys, *end, *count, *block),
            Move { source, destination, from, to, form, block } => {
                self.lmove(cx, source, destination, (*from, *to), *form, *block)
            }
            Index { key, index } => self.lindex(cx, key, index),
            Insert { key, after, pivot, element } => self.linsert(cx, key, *after, pivot, element),
            Len { key } => self.llen(cx, key),
            Pos(args) => self.lpos(cx, args),
            Range { key, start, stop } => self.lrange(cx, key, *start, *stop),
            Rem { key, count, element } => self.lrem(cx, key, *count, element),
            Set { key, index, element } => self.lset(cx, key, index, element),
            Trim { key, start, stop } => self.ltrim(cx, key, *start, *stop),
        }
    }

    /// The list at `key` in the current database: `None` if missing,
    /// WRONGTYPE for another type (the model's `read_list`).
    fn lookup_list(&mut self, cx: &mut Context<'_>, key: &Bytes, access: Access) -> RedisResult<Option<u32>> {
        let db = cx.db;
        match self.lookup(cx, db, key, access) {
            Some(link) if !matches!(self.dbs[db].node(link).obj, Obj::List(_)) => Err(errors::WRONGTYPE),
            found => Ok(found),
        }
    }

    /// The list at `link`, to read.
    fn list_at(&self, db: usize, link: u32) -> &QuickList {
        match &self.dbs[db].node(link).obj {
            Obj::List(l) => l,
            _ => unreachable!("checked to be a list by lookup_list"),
        }
    }

    /// Changes the list at `link` in place; the key counts as touched
    /// (Redis's signalModifiedKey), so callers come here only when they
    /// change something, or where Redis signals anyway.
    fn change_list<R>(&mut self, db: usize, key: &Bytes, link: u32, f: impl FnOnce(&mut QuickList) -> R) -> R {
        self.dbs[db].change(key, link, |obj| match obj {
            Obj::List(l) => f(l),
            _ => unreachable!("checked to be a list by lookup_list"),
        })
    }

    /// Adds an empty list at `key`, known to be absent after a write
    /// lookup; the caller pushes into it right away.
    fn create_list(&mut self, cx: &Context<'_>, key: &Bytes) -> u32 {
        let list = QuickList::new(cx.config.list_max_listpack_size);
        self.dbs[cx.db].store(key, None, Obj::List(Box::new(list)), None, new_lru(cx)).0
    }

    /// Deletes the list at `key` if the command emptied it.
    fn drop_if_empty(&mut self, db: usize, key: &Bytes, link: u32) {
        if self.list_at(db, link).is_empty() {
            self.dbs[db].remove(key);
        }
    }
}

/// DEBUG DIGEST-VALUE of a list, as the model computes it for its
/// `ListValue` (Redis's xorObjectDigest): the type, then every element head
/// first (so the order matters), then the expire flag.
pub fn digest_into(digest: &mut [u8; 20], list: &QuickList, has_expire: bool) {
    // The model's digest of an empty list is the type code alone.
    value_digest(digest, &Value::List(ListValue::new()), false);
    let mut text = [0u8; 20];
    for e in list.iter() {
        mix_digest(digest, e.text(&mut text));
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}
