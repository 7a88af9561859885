//! The lists group on the model: dispatch and the helpers every list command
//! shares. Pushes, pops, moves and the blocking forms are in `push_pop.rs`;
//! the commands that read or edit by position or value in `positional.rs`.
//!
//! Keys are looked up the way Redis 7.0's t_list.c does (read commands with
//! lookupKeyRead, everything that may write with lookupKeyWrite), since that
//! decides lazy expiry and the keyspace hit/miss counters. A list that
//! becomes empty is deleted at once; replicas receive the command itself
//! (or its rewritten form), never a DEL.

mod positional;
mod push_pop;
mod value;
pub use positional::{clamp_range, resolve_index};
pub use push_pop::block_or_timeout;
pub use value::ListValue;

use bytes::Bytes;

use super::access::{new_lru, Access};
use super::db::Entry;
use super::value::Value;
use super::Model;
use crate::command::ListCommand;
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::resp::Frame;

/// The list inside a value, for `lookup_typed`.
fn pick(v: &Value) -> Option<&ListValue> {
    match v {
        Value::List(l) => Some(l),
        _ => None,
    }
}

impl Model {
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

    /// The list at `key` (`None` if missing, WRONGTYPE for another type).
    fn read_list(&mut self, cx: &mut Context<'_>, key: &[u8], access: Access) -> RedisResult<Option<&ListValue>> {
        let db = cx.db;
        self.lookup_typed(cx, db, key, access, pick)
    }

    /// The stored list, to change in place: the key counts as touched
    /// (Redis's signalModifiedKey), so callers take it only when they change
    /// something, or where Redis signals anyway.
    fn stored_list_mut(&mut self, db: usize, key: &[u8]) -> RedisResult<&mut ListValue> {
        match self.dbs[db].get_mut_value(key) {
            Some(Value::List(l)) => Ok(l),
            _ => Err(errors::WRONGTYPE),
        }
    }

    /// Adds an empty list at `key`; the caller pushes into it right away.
    fn create_list(&mut self, cx: &Context<'_>, db: usize, key: &[u8]) {
        let entry = Entry { value: Value::List(ListValue::new()), expire_at: None, lru: new_lru(cx) };
        self.dbs[db].insert(Bytes::copy_from_slice(key), entry);
    }

    /// Deletes the list at `key` if the command emptied it.
    fn drop_if_empty(&mut self, db: usize, key: &[u8]) {
        let empty = matches!(self.dbs[db].get(key), Some(Entry { value: Value::List(l), .. }) if l.is_empty());
        if empty {
            self.dbs[db].remove(key);
        }
    }
}

#[cfg(test)]
mod tests;
