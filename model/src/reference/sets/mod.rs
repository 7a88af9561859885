//! The sets group on the model.
//!
//! Each command follows Redis 7.0's t_set.c step by step where a step is
//! observable: which lookups happen (and so which keys expire lazily), in
//! which order types are checked, when a key is touched, what counts as a
//! change, and what is propagated.

mod combine;
mod random;
#[cfg(test)]
mod tests;
mod value;
pub use value::SetValue;

use bytes::Bytes;

use super::access::Access;
use super::value::Value;
use super::Model;
use crate::command::ScanOptions;
use crate::command::SetCommand;
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::glob::glob_match;
use crate::resp::Frame;

/// `lookup_typed`'s pick for sets.
fn pick(v: &Value) -> Option<&SetValue> {
    match v {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// The intset limit in force.
fn max_intset(cx: &Context<'_>) -> u64 {
    cx.config.set_max_intset_entries
}

impl Model {
    pub(super) fn run_sets(&mut self, cx: &mut Context<'_>, cmd: &SetCommand) -> RedisResult<Frame> {
        use SetCommand::*;
        match cmd {
            Add { key, members } => self.sadd(cx, key, members),
            Card { key } => {
                let n = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?.map_or(0, |s| s.len());
                Ok(Frame::Integer(n as i64))
            }
            Combine { op, keys, store } => self.scombine(cx, *op, keys, store.as_ref()),
            InterCard { keys, limit } => self.sintercard(cx, keys, *limit),
            IsMember { key, member } => {
                let s = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
                Ok(Frame::Integer(s.is_some_and(|s| s.contains(member)) as i64))
            }
            Members { key } => {
                let members = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?.map(|s| s.members());
                Ok(Frame::Set(members.unwrap_or_default().into_iter().map(Frame::Bulk).collect()))
            }
            MIsMember { key, members } => {
                let s = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
                let flags = members.iter().map(|m| Frame::Integer(s.is_some_and(|s| s.contains(m)) as i64));
                Ok(Frame::Array(flags.collect()))
            }
            Move { source, destination, member } => self.smove(cx, source, destination, member),
            Pop { key, count: None } => self.spop_one(cx, key),
            Pop { key, count: Some(n) } => self.spop_count(cx, key, *n),
            RandMember { key, count } => self.srandmember(cx, key, *count),
            Rem { key, members } => self.srem(cx, key, members),
            Scan { key, cursor, options } => self.sscan(cx, key, *cursor, options),
        }
    }

    /// Looks `key` up with `access` and checks it holds a set: Ok(false) when
    /// it is missing. Unlike `lookup_typed_mut` it does not touch the key, so
    /// a command that ends up changing nothing does not invalidate WATCH.
    fn set_exists(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8], access: Access) -> RedisResult<bool> {
        self.lookup_typed(cx, db, key, access, pick).map(|s| s.is_some())
    }

    /// The set at `key`, known to exist.
    fn set_ref(&self, db: usize, key: &[u8]) -> &SetValue {
        match self.dbs[db].get(key).map(|e| &e.value) {
            Some(Value::Set(s)) => s,
            _ => unreachable!("checked by set_exists"),
        }
    }

    /// The set at `key`, known to exist, for changing: the key counts as touched.
    fn set_mut(&mut self, db: usize, key: &[u8]) -> &mut SetValue {
        match self.dbs[db].get_mut_value(key) {
            Some(Value::Set(s)) => s,
            _ => unreachable!("checked by set_exists"),
        }
    }

    fn sadd(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let max = max_intset(cx);
        let added = if self.set_exists(cx, db, key, Access::Write)? {
            let set = self.set_ref(db, key);
            if members.iter().all(|m| set.contains(m)) {
                0
            } else {
                let set = self.set_mut(db, key);
                members.iter().filter(|m| set.add(m, max)).count()
            }
        } else {
            let set = SetValue::from_members(members.iter().map(|m| &m[..]), max);
            let n = set.len();
            self.set_key(cx, db, key, Value::Set(set), false);
            n
        };
        cx.dirty += added as u64;
        Ok(Frame::Integer(added as i64))
    }

    fn srem(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        if !self.set_exists(cx, db, key, Access::Write)? {
            return Ok(Frame::Integer(0));
        }
        if !members.iter().any(|m| self.set_ref(db, key).contains(m)) {
            return Ok(Frame::Integer(0));
        }
        let set = self.set_mut(db, key);
        let removed = members.iter().filter(|m| set.remove(m)).count();
        if set.is_empty() {
            self.dbs[db].remove(key);
        }
        cx.dirty += removed as u64;
        Ok(Frame::Integer(removed as i64))
    }

    fn smove(&mut self, cx: &mut Context<'_>, src: &Bytes, dst: &Bytes, member: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        // Both keys are looked up first; types are checked only if the source exists.
        let src_type = self.lookup(cx, db, src, Access::Write).map(|e| matches!(e.value, Value::Set(_)));
        let dst_type = self.lookup(cx, db, dst, Access::Write).map(|e| matches!(e.value, Value::Set(_)));
        match src_type {
            None => return Ok(Frame::Integer(0)),
            Some(false) => return Err(errors::WRONGTYPE),
            Some(true) => {}
        }
        if dst_type == Some(false) {
            return Err(errors::WRONGTYPE);
        }
        if src == dst {
            return Ok(Frame::Integer(self.set_ref(db, src).contains(member) as i64));
        }
        if !self.set_ref(db, src).contains(member) {
            return Ok(Frame::Integer(0));
        }
        let source = self.set_mut(db, src);
        source.remove(member);
        if source.is_empty() {
            self.dbs[db].remove(src);
        }
        cx.dirty += 1;
        let max = max_intset(cx);
        if dst_type.is_none() {
            let set = SetValue::from_members([&member[..]], max);
            self.set_key(cx, db, dst, Value::Set(set), false);
            cx.dirty += 1;
        } else if !self.set_ref(db, dst).contains(member) {
            self.set_mut(db, dst).add(member, max);
            cx.dirty += 1;
        }
        Ok(Frame::Integer(1))
    }

    fn sscan(&mut self, cx: &mut Context<'_>, key: &[u8], cursor: u64, options: &[Bytes]) -> RedisResult<Frame> {
        let Some(set) = self.lookup_typed(cx, cx.db, key, Access::Read, pick)? else {
            return Ok(scan_reply(0, Vec::new()));
        };
        let ScanOptions { count, pattern, .. } = ScanOptions::parse(options, false)?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let (next, mut members) = set.scan(cursor, count);
        if let Some(p) = &pattern {
            members.retain(|m| glob_match(p, m, false));
        }
        Ok(scan_reply(next, members))
    }
}

/// A SCAN-family reply: the next cursor as a bulk string, then the elements.
fn scan_reply(cursor: u64, items: Vec<Bytes>) -> Frame {
    Frame::Array(vec![Frame::bulk(cursor.to_string()), Frame::Array(items.into_iter().map(Frame::Bulk).collect())])
}
