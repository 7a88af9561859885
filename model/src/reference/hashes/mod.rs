//! The hashes group on the model: dispatch and the commands that write.
//! Reads, HRANDFIELD and HSCAN are in `read.rs`.

mod read;
mod value;
pub use value::{HashValue, Limits};

use bytes::Bytes;

use super::access::{new_lru, Access};
use super::db::Entry;
use super::value::Value;
use super::Model;
use crate::command::hashes::{HASH_NOT_FLOAT, HASH_NOT_INTEGER};
use crate::command::HashCommand;
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::num::{self, LongDouble};
use crate::resp::Frame;

/// The hash inside a value, for `lookup_typed`.
fn pick(v: &Value) -> Option<&HashValue> {
    match v {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

impl Model {
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

    /// The hash at `key` (`None` if missing, WRONGTYPE for another type).
    fn read_hash(&mut self, cx: &mut Context<'_>, key: &[u8], access: Access) -> RedisResult<Option<&HashValue>> {
        let db = cx.db;
        self.lookup_typed(cx, db, key, access, pick)
    }

    /// Redis's `hashTypeLookupWriteOrCreate`: checks the type and adds an
    /// empty listpack hash if the key is missing. Every caller stores a field
    /// right after creating, so no empty hash is left behind.
    fn hash_for_write(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<()> {
        if self.read_hash(cx, key, Access::Write)?.is_none() {
            let entry = Entry { value: Value::Hash(HashValue::default()), expire_at: None, lru: new_lru(cx) };
            self.dbs[cx.db].insert(key.clone(), entry);
        }
        Ok(())
    }

    /// The stored hash, to change in place: the key counts as touched, so
    /// callers take it only when they do change something.
    fn stored_hash_mut(&mut self, db: usize, key: &[u8]) -> RedisResult<&mut HashValue> {
        match self.dbs[db].get_mut_value(key) {
            Some(Value::Hash(h)) => Ok(h),
            _ => Err(errors::WRONGTYPE),
        }
    }

    /// The stored hash as it is, without lookup side effects.
    fn stored_hash(&self, db: usize, key: &[u8]) -> Option<&HashValue> {
        self.dbs[db].get(key).and_then(|e| pick(&e.value))
    }

    /// HSET and HMSET: every argument is checked against the listpack value
    /// limit first, then the pairs are stored in order (a repeated field
    /// takes its last value). Every pair counts as a change, new or not.
    fn hset(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        pairs: &[(Bytes, Bytes)],
        ok_reply: bool,
    ) -> RedisResult<Frame> {
        self.hash_for_write(cx, key)?;
        let limits = Limits::from_config(cx.config);
        let h = self.stored_hash_mut(cx.db, key)?;
        h.convert_for_args(pairs.iter().flat_map(|(f, v)| [&f[..], &v[..]]), limits);
        let created = pairs.iter().filter(|(f, v)| h.set(f, v, limits)).count();
        cx.dirty += pairs.len() as u64;
        Ok(if ok_reply { Frame::ok() } else { Frame::Integer(created as i64) })
    }

    /// HSETNX: an existing field leaves the hash untouched (and unconverted:
    /// the length check comes after the existence check).
    fn hsetnx(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8], value: &[u8]) -> RedisResult<Frame> {
        self.hash_for_write(cx, key)?;
        if self.stored_hash(cx.db, key).is_some_and(|h| h.contains(field)) {
            return Ok(Frame::Integer(0));
        }
        let limits = Limits::from_config(cx.config);
        let h = self.stored_hash_mut(cx.db, key)?;
        h.convert_for_args([field, value], limits);
        h.set(field, value, limits);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    /// HDEL: deletes the key with its last field (replicas still get the HDEL).
    fn hdel(&mut self, cx: &mut Context<'_>, key: &Bytes, fields: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(h) = self.lookup_typed(cx, db, key, Access::Write, pick)? else {
            return Ok(Frame::Integer(0));
        };
        if !fields.iter().any(|f| h.contains(f)) {
            return Ok(Frame::Integer(0));
        }
        let h = self.stored_hash_mut(db, key)?;
        let mut deleted = 0;
        for f in fields {
            if h.remove(f) {
                deleted += 1;
            }
        }
        if h.is_empty() {
            self.dbs[db].remove(key);
        }
        cx.dirty += deleted;
        Ok(Frame::Integer(deleted as i64))
    }

    /// HINCRBY: the stored value must be an integer (`string2ll` rules) and
    /// the sum must fit in 64 bits.
    fn hincrby(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8], by: i64) -> RedisResult<Frame> {
        self.hash_for_write(cx, key)?;
        let current = match self.stored_hash(cx.db, key).and_then(|h| h.get(field)) {
            Some(v) => num::parse_i64(v).ok_or(HASH_NOT_INTEGER)?,
            None => 0,
        };
        let sum = current.checked_add(by).ok_or(errors::OVERFLOW)?;
        let text = sum.to_string();
        let limits = Limits::from_config(cx.config);
        self.stored_hash_mut(cx.db, key)?.set(field, text.as_bytes(), limits);
        cx.dirty += 1;
        Ok(Frame::Integer(sum))
    }

    /// HINCRBYFLOAT: 80-bit arithmetic as INCRBYFLOAT; replicas get the
    /// result as `HSET key field value`, so they never redo the float math.
    fn hincrbyfloat(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        field: &Bytes,
        incr: LongDouble,
    ) -> RedisResult<Frame> {
        self.hash_for_write(cx, key)?;
        let current = match self.stored_hash(cx.db, key).and_then(|h| h.get(field)) {
            Some(v) => LongDouble::parse(v).ok_or(HASH_NOT_FLOAT)?,
            None => LongDouble::from_i64(0),
        };
        let sum = current.add(incr);
        if !sum.is_finite() {
            return Err(errors::INCR_NAN_OR_INF);
        }
        let text = Bytes::from(sum.to_human_string());
        let limits = Limits::from_config(cx.config);
        self.stored_hash_mut(cx.db, key)?.set(field, &text, limits);
        cx.dirty += 1;
        cx.rewrite(vec![Bytes::from_static(b"HSET"), key.clone(), field.clone(), text.clone()]);
        Ok(Frame::Bulk(text))
    }
}

#[cfg(test)]
mod tests;
