//! The hash commands that write: HSET/HMSET, HSETNX, HDEL, HINCRBY,
//! HINCRBYFLOAT, step for step as the model's `reference/hashes/mod.rs`.

use bytes::Bytes;
use redsim_model::command::hashes::{HASH_NOT_FLOAT, HASH_NOT_INTEGER};
use redsim_model::errors::{self, RedisResult};
use redsim_model::num::{self, LongDouble};
use redsim_model::reference::shared::Access;
use redsim_model::{Context, Frame};

use super::super::Engine;
use super::value::Limits;

impl Engine {
    /// HSET and HMSET: every argument is checked against the listpack value
    /// limit first, then the pairs are stored in order (a repeated field
    /// takes its last value). Every pair counts as a change, new or not.
    pub(super) fn hset(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        pairs: &[(Bytes, Bytes)],
        ok_reply: bool,
    ) -> RedisResult<Frame> {
        let link = self.hash_for_write(cx, key)?;
        let limits = Limits::from_config(cx.config);
        let created = self.change_hash(cx.db, key, link, |h| {
            h.convert_for_args(pairs.iter().flat_map(|(f, v)| [&f[..], &v[..]]), limits);
            pairs.iter().filter(|(f, v)| h.set(f, v, limits)).count()
        });
        cx.dirty += pairs.len() as u64;
        Ok(if ok_reply { Frame::ok() } else { Frame::Integer(created as i64) })
    }

    /// HSETNX: an existing field leaves the hash untouched (and unconverted:
    /// the length check comes after the existence check).
    pub(super) fn hsetnx(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        field: &[u8],
        value: &[u8],
    ) -> RedisResult<Frame> {
        let link = self.hash_for_write(cx, key)?;
        if self.hash_at(cx.db, link).contains(field) {
            return Ok(Frame::Integer(0));
        }
        let limits = Limits::from_config(cx.config);
        self.change_hash(cx.db, key, link, |h| {
            h.convert_for_args([field, value], limits);
            h.set(field, value, limits);
        });
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    /// HDEL: deletes the key with its last field (replicas still get the HDEL).
    pub(super) fn hdel(&mut self, cx: &mut Context<'_>, key: &Bytes, fields: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_hash(cx, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        let h = self.hash_at(db, link);
        if !fields.iter().any(|f| h.contains(f)) {
            return Ok(Frame::Integer(0));
        }
        let (deleted, empty) = self.change_hash(db, key, link, |h| {
            let deleted = fields.iter().filter(|f| h.remove(f)).count();
            (deleted, h.is_empty())
        });
        if empty {
            self.dbs[db].remove(key);
        }
        cx.dirty += deleted as u64;
        Ok(Frame::Integer(deleted as i64))
    }

    /// HINCRBY: the stored value must be an integer (`string2ll` rules) and
    /// the sum must fit in 64 bits.
    pub(super) fn hincrby(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8], by: i64) -> RedisResult<Frame> {
        let link = self.hash_for_write(cx, key)?;
        let current = match self.hash_at(cx.db, link).get(field) {
            Some(v) => num::parse_i64(v).ok_or(HASH_NOT_INTEGER)?,
            None => 0,
        };
        let sum = current.checked_add(by).ok_or(errors::OVERFLOW)?;
        let mut text = [0u8; 20];
        let text = super::super::object::int_text(sum, &mut text);
        let limits = Limits::from_config(cx.config);
        self.change_hash(cx.db, key, link, |h| h.set(field, text, limits));
        cx.dirty += 1;
        Ok(Frame::Integer(sum))
    }

    /// HINCRBYFLOAT: 80-bit arithmetic as INCRBYFLOAT; replicas get the
    /// result as `HSET key field value`, so they never redo the float math.
    pub(super) fn hincrbyfloat(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        field: &Bytes,
        incr: LongDouble,
    ) -> RedisResult<Frame> {
        let link = self.hash_for_write(cx, key)?;
        let current = match self.hash_at(cx.db, link).get(field) {
            Some(v) => LongDouble::parse(v).ok_or(HASH_NOT_FLOAT)?,
            None => LongDouble::from_i64(0),
        };
        let sum = current.add(incr);
        if !sum.is_finite() {
            return Err(errors::INCR_NAN_OR_INF);
        }
        let text = Bytes::from(sum.to_human_string());
        let limits = Limits::from_config(cx.config);
        self.change_hash(cx.db, key, link, |h| h.set(field, &text, limits));
        cx.dirty += 1;
        cx.rewrite(vec![Bytes::from_static(b"HSET"), key.clone(), field.clone(), text.clone()]);
        Ok(Frame::Bulk(text))
    }
}
