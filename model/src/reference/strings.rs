//! The string group on the model.

use bytes::Bytes;

use super::access::{new_lru, Access};
use super::db::Entry;
use super::value::{StrValue, Value};
use super::Model;
use crate::command::{
    parse_i64, Expiry, ExpiryArg, GetExOption, LcsArgs, LcsOptions, SetArgs, SetCondition, SetReply, TimeUnit,
};
use crate::engine::Context;
use crate::errors::{self, RedisError, RedisResult};
use crate::num::LongDouble;
use crate::resp::Frame;

/// The command's name as Redis prints it in errors (`c->cmd->fullname`).
fn command_name(cx: &Context<'_>) -> String {
    cx.argv.first().map(|n| String::from_utf8_lossy(n).to_ascii_lowercase()).unwrap_or_default()
}

/// `ERR invalid expire time in 'set' command`.
pub fn invalid_expire(cx: &Context<'_>) -> RedisError {
    RedisError::owned(format!("ERR invalid expire time in '{}' command", command_name(cx)))
}

/// Turns an EX/PX/EXAT/PXAT argument into an absolute Unix time in ms, with
/// Redis's checks: an integer, positive, and no overflow on the way.
pub fn expire_deadline(cx: &Context<'_>, arg: &ExpiryArg) -> RedisResult<i64> {
    let mut ms = parse_i64(&arg.value)?;
    if ms <= 0 || (arg.unit == TimeUnit::Seconds && ms > i64::MAX / 1000) {
        return Err(invalid_expire(cx));
    }
    if arg.unit == TimeUnit::Seconds {
        ms *= 1000;
    }
    if !arg.absolute {
        ms = ms.wrapping_add(cx.now_ms);
    }
    if ms <= 0 {
        return Err(invalid_expire(cx));
    }
    Ok(ms)
}

/// Redis's `checkStringLength`: a string may not grow past `proto-max-bulk-len`.
pub fn check_string_length(cx: &Context<'_>, size: u64, append: u64) -> RedisResult<()> {
    match size.checked_add(append) {
        Some(total) if total <= cx.config.proto_max_bulk_len => Ok(()),
        _ => Err(errors::STRING_TOO_LONG),
    }
}

impl Model {
    /// The string at `key`, `None` if missing, WRONGTYPE if another type.
    pub(super) fn read_string(
        &mut self,
        cx: &mut Context<'_>,
        db: usize,
        key: &[u8],
        access: Access,
    ) -> RedisResult<Option<StrValue>> {
        match self.lookup(cx, db, key, access) {
            None => Ok(None),
            Some(Entry { value: Value::Str(s), .. }) => Ok(Some(s.clone())),
            #[allow(unreachable_patterns)]
            Some(_) => Err(errors::WRONGTYPE),
        }
    }

    /// Redis's `setKey`: stores `value`, keeping the old TTL only if asked.
    /// A new value is a new object, with fresh access data.
    pub(super) fn set_key(&mut self, cx: &mut Context<'_>, db: usize, key: &[u8], value: Value, keep_ttl: bool) {
        let expire_at = if keep_ttl { self.dbs[db].get(key).and_then(|e| e.expire_at) } else { None };
        let entry = Entry { value, expire_at, lru: new_lru(cx) };
        self.dbs[db].insert(Bytes::copy_from_slice(key), entry);
    }

    /// Replaces a key's value keeping its TTL (Redis's `dbReplaceValue`/`dbOverwrite` for INCR, APPEND...).
    fn replace_value(&mut self, cx: &mut Context<'_>, key: &[u8], value: Value) {
        self.set_key(cx, cx.db, key, value, true);
    }

    pub(super) fn get(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        Ok(match self.read_string(cx, cx.db, key, Access::Read)? {
            Some(s) => Frame::Bulk(s.bytes.into()),
            None => Frame::Null,
        })
    }

    pub(super) fn getdel(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let Some(s) = self.read_string(cx, cx.db, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        self.dbs[cx.db].remove(key);
        let verb: &'static [u8] = if cx.config.lazyfree_lazy_user_del { b"UNLINK" } else { b"DEL" };
        cx.rewrite(vec![Bytes::from_static(verb), key.clone()]);
        cx.dirty += 1;
        Ok(Frame::Bulk(s.bytes.into()))
    }

    pub(super) fn getex(&mut self, cx: &mut Context<'_>, key: &Bytes, option: &GetExOption) -> RedisResult<Frame> {
        let Some(s) = self.read_string(cx, cx.db, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        let reply = Frame::Bulk(s.bytes.into());
        match option {
            GetExOption::None => {}
            GetExOption::At(arg) => {
                let at = expire_deadline(cx, arg)?;
                // Only an absolute time can already be past; replicas keep the key.
                if arg.absolute && at <= cx.now_ms && cx.config.is_master && !cx.config.replaying {
                    self.dbs[cx.db].remove(key);
                    let verb: &'static [u8] = if cx.config.lazyfree_lazy_expire { b"UNLINK" } else { b"DEL" };
                    cx.rewrite(vec![Bytes::from_static(verb), key.clone()]);
                } else {
                    self.dbs[cx.db].set_expire(key, Some(at));
                    cx.rewrite(vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(at.to_string())]);
                }
                cx.dirty += 1;
            }
            GetExOption::Persist => {
                if self.dbs[cx.db].get(key).and_then(|e| e.expire_at).is_some() {
                    self.dbs[cx.db].set_expire(key, None);
                    cx.rewrite(vec![Bytes::from_static(b"PERSIST"), key.clone()]);
                    cx.dirty += 1;
                }
            }
        }
        Ok(reply)
    }

    pub(super) fn getrange(&mut self, cx: &mut Context<'_>, key: &[u8], start: i64, end: i64) -> RedisResult<Frame> {
        let Some(s) = self.read_string(cx, cx.db, key, Access::Read)? else {
            return Ok(Frame::bulk(""));
        };
        Ok(Frame::Bulk(Bytes::from(byte_range(&s.bytes, start, end).to_vec())))
    }

    pub(super) fn getset(&mut self, cx: &mut Context<'_>, key: &Bytes, value: &Bytes) -> RedisResult<Frame> {
        let old = self.read_string(cx, cx.db, key, Access::Read)?;
        let stored = StrValue::encoded(value.to_vec(), cx.config.shares_integers());
        self.set_key(cx, cx.db, key, Value::Str(stored), false);
        cx.dirty += 1;
        // Replicas receive a plain SET.
        cx.rewrite(vec![Bytes::from_static(b"SET"), key.clone(), value.clone()]);
        Ok(old.map_or(Frame::Null, |s| Frame::Bulk(s.bytes.into())))
    }

    pub(super) fn mget(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Frame> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            // A key of another type reads as nil, not as an error.
            let v = match self.lookup(cx, cx.db, key, Access::Read) {
                Some(Entry { value: Value::Str(s), .. }) => Frame::Bulk(Bytes::from(s.bytes.clone())),
                _ => Frame::Null,
            };
            out.push(v);
        }
        Ok(Frame::Array(out))
    }

    pub(super) fn mset(&mut self, cx: &mut Context<'_>, pairs: &[(Bytes, Bytes)], nx: bool) -> RedisResult<Frame> {
        if nx {
            for (key, _) in pairs {
                if self.exists(cx, cx.db, key, Access::Write) {
                    return Ok(Frame::Integer(0));
                }
            }
        }
        for (key, value) in pairs {
            let stored = StrValue::encoded(value.to_vec(), cx.config.shares_integers());
            self.set_key(cx, cx.db, key, Value::Str(stored), false);
        }
        cx.dirty += pairs.len() as u64;
        Ok(if nx { Frame::Integer(1) } else { Frame::ok() })
    }

    pub(super) fn set(&mut self, cx: &mut Context<'_>, args: &SetArgs) -> RedisResult<Frame> {
        // The expire time is checked before the key is read.
        let deadline = match &args.expiry {
            Expiry::At(arg) => Some(expire_deadline(cx, arg)?),
            _ => None,
        };
        let old = if args.get { Some(self.read_string(cx, cx.db, &args.key, Access::Read)?) } else { None };
        let found = self.exists(cx, cx.db, &args.key, Access::Write);
        let blocked = match args.condition {
            SetCondition::Always => false,
            SetCondition::IfMissing => found,
            SetCondition::IfExists => !found,
        };
        let old_reply = || match &old {
            Some(Some(s)) => Frame::Bulk(Bytes::from(s.bytes.clone())),
            _ => Frame::Null,
        };
        if blocked {
            return Ok(match (args.get, args.reply) {
                (true, _) => old_reply(),
                (false, SetReply::OneOrZero) => Frame::Integer(0),
                (false, SetReply::OkOrNull) => Frame::Null,
            });
        }
        let stored = StrValue::encoded(args.value.to_vec(), cx.config.shares_integers());
        let keep_ttl = args.expiry == Expiry::KeepTtl;
        self.set_key(cx, cx.db, &args.key, Value::Str(stored), keep_ttl);
        cx.dirty += 1;
        if let (Some(at), Expiry::At(arg)) = (deadline, &args.expiry) {
            self.dbs[cx.db].set_expire(&args.key, Some(at));
            // Replicas get an absolute time so that they expire the key when we do.
            if !(arg.absolute && arg.unit == TimeUnit::Millis) {
                cx.rewrite(vec![
                    Bytes::from_static(b"SET"),
                    args.key.clone(),
                    args.value.clone(),
                    Bytes::from_static(b"PXAT"),
                    Bytes::from(at.to_string()),
                ]);
            }
        }
        Ok(match (args.get, args.reply) {
            (true, _) => old_reply(),
            (false, SetReply::OneOrZero) => Frame::Integer(1),
            (false, SetReply::OkOrNull) => Frame::ok(),
        })
    }

    pub(super) fn setrange(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        offset: i64,
        value: &[u8],
    ) -> RedisResult<Frame> {
        if offset < 0 {
            return Err(errors::OFFSET_OUT_OF_RANGE);
        }
        let offset = offset as u64;
        let current = self.read_string(cx, cx.db, key, Access::Write)?;
        let mut bytes = match current {
            None => {
                if value.is_empty() {
                    return Ok(Frame::Integer(0));
                }
                check_string_length(cx, offset, value.len() as u64)?;
                Vec::new()
            }
            Some(s) => {
                if value.is_empty() {
                    return Ok(Frame::Integer(s.bytes.len() as i64));
                }
                check_string_length(cx, offset, value.len() as u64)?;
                s.bytes
            }
        };
        let end = offset as usize + value.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[offset as usize..end].copy_from_slice(value);
        let len = bytes.len() as i64;
        self.replace_value(cx, key, Value::Str(StrValue::raw(bytes)));
        cx.dirty += 1;
        Ok(Frame::Integer(len))
    }

    pub(super) fn append(&mut self, cx: &mut Context<'_>, key: &[u8], value: &[u8]) -> RedisResult<Frame> {
        let len = match self.read_string(cx, cx.db, key, Access::Write)? {
            None => {
                let stored = StrValue::encoded(value.to_vec(), cx.config.shares_integers());
                let len = stored.bytes.len();
                self.set_key(cx, cx.db, key, Value::Str(stored), false);
                len
            }
            Some(s) => {
                check_string_length(cx, s.bytes.len() as u64, value.len() as u64)?;
                let mut bytes = s.bytes;
                bytes.extend_from_slice(value);
                let len = bytes.len();
                self.replace_value(cx, key, Value::Str(StrValue::raw(bytes)));
                len
            }
        };
        cx.dirty += 1;
        Ok(Frame::Integer(len as i64))
    }

    pub(super) fn strlen(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        let len = self.read_string(cx, cx.db, key, Access::Read)?.map_or(0, |s| s.bytes.len());
        Ok(Frame::Integer(len as i64))
    }

    pub(super) fn incr_by(&mut self, cx: &mut Context<'_>, key: &[u8], by: i64) -> RedisResult<Frame> {
        let current = match self.read_string(cx, cx.db, key, Access::Write)? {
            None => 0,
            Some(s) => parse_i64(&s.bytes)?,
        };
        let value = current.checked_add(by).ok_or(errors::OVERFLOW)?;
        let stored = StrValue::from_integer(value, cx.config.shares_integers());
        self.replace_value(cx, key, Value::Str(stored));
        cx.dirty += 1;
        Ok(Frame::Integer(value))
    }

    /// INCRBYFLOAT computes in 80-bit `long double`, as Redis does on x86, and
    /// stores the result as text; replicas get that text in a SET so they
    /// never redo the float arithmetic.
    pub(super) fn incr_by_float(&mut self, cx: &mut Context<'_>, key: &Bytes, incr: &[u8]) -> RedisResult<Frame> {
        // Redis checks the key's type, then its value, then the increment.
        let current = match self.read_string(cx, cx.db, key, Access::Write)? {
            None => LongDouble::from_i64(0),
            Some(s) => LongDouble::parse(&s.bytes).ok_or(errors::NOT_FLOAT)?,
        };
        let incr = LongDouble::parse(incr).ok_or(errors::NOT_FLOAT)?;
        let sum = current.add(incr);
        if !sum.is_finite() {
            return Err(errors::INCR_NAN_OR_INF);
        }
        let text = Bytes::from(sum.to_human_string());
        self.replace_value(cx, key, Value::Str(StrValue::plain(text.to_vec())));
        cx.dirty += 1;
        cx.rewrite(vec![Bytes::from_static(b"SET"), key.clone(), text.clone(), Bytes::from_static(b"KEEPTTL")]);
        Ok(Frame::Bulk(text))
    }

    pub(super) fn lcs(&mut self, cx: &mut Context<'_>, args: &LcsArgs) -> RedisResult<Frame> {
        let a = self.lookup(cx, cx.db, &args.key1, Access::Read).map(|e| e.value.clone());
        let b = self.lookup(cx, cx.db, &args.key2, Access::Read).map(|e| e.value.clone());
        let text = |v: Option<Value>| -> RedisResult<Vec<u8>> {
            match v {
                None => Ok(Vec::new()),
                Some(Value::Str(s)) => Ok(s.bytes),
                #[allow(unreachable_patterns)]
                Some(_) => Err(errors::LCS_NOT_STRINGS),
            }
        };
        let (a, b) = (text(a)?, text(b)?);
        let opts = LcsOptions::parse(&args.options)?;
        super::lcs::reply(&a, &b, &opts, cx.config.proto_max_bulk_len)
    }
}

/// The bytes GETRANGE returns: inclusive `start..=end` with negative indexes
/// counting from the end, clamped to the string, as Redis computes it.
pub fn byte_range(s: &[u8], start: i64, end: i64) -> &[u8] {
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return &[];
    }
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return &[];
    }
    &s[start as usize..=end as usize]
}
