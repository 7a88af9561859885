//! The string group, step for step as the model's `reference/strings.rs`
//! (same lookups in the same order, same effects and logs), on the compact
//! representation: INCR adds to an inline integer, APPEND and SETRANGE grow
//! a buffer in place.

use bytes::Bytes;
use redsim_model::command::{
    parse_i64, Expiry, GetExOption, LcsArgs, LcsOptions, SetArgs, SetCondition, SetReply, TimeUnit,
};
use redsim_model::errors::{self, RedisResult};
use redsim_model::num::LongDouble;
use redsim_model::reference::shared::{byte_range, check_string_length, expire_deadline, lcs_reply, new_lru, Access};
use redsim_model::{Context, Frame};

use super::access::expire_verb;
use super::db::PREFETCH_KEYS;
use super::object::{int_text, Obj};
use super::Engine;

impl Engine {
    /// The string's bytes at `link` as a reply.
    fn bulk_at(&self, db: usize, link: u32) -> Frame {
        Frame::Bulk(self.dbs[db].node(link).obj.bulk().expect("checked to be a string"))
    }

    /// Redis's `setKey`: stores `obj` with fresh access data, keeping the old
    /// TTL only if asked.
    pub(super) fn set_key(&mut self, cx: &Context<'_>, db: usize, key: &Bytes, obj: Obj, keep_ttl: bool) -> u32 {
        let d = &mut self.dbs[db];
        let deadline = if keep_ttl { d.peek(key).and_then(|l| d.deadline(l)) } else { None };
        let (link, replaced) = d.insert(key, obj, deadline, new_lru(cx));
        self.free_replaced(cx, replaced);
        link
    }

    /// [`Engine::set_key`] right after a write lookup of `key` found `found`.
    fn set_key_found(&mut self, cx: &Context<'_>, key: &Bytes, found: Option<u32>, obj: Obj, keep_ttl: bool) {
        let d = &mut self.dbs[cx.db];
        let deadline = if keep_ttl { found.and_then(|l| d.deadline(l)) } else { None };
        let (_, replaced) = d.store(key, found, obj, deadline, new_lru(cx));
        self.free_replaced(cx, replaced);
    }

    /// Replaces the string at `link`, found by a write lookup, keeping its
    /// TTL (or creates `key` when `link` is None), as the model's `replace_value`.
    fn replace_string(&mut self, cx: &Context<'_>, key: &Bytes, link: Option<u32>, change: impl FnOnce(&mut Obj)) {
        match link {
            Some(link) => self.dbs[cx.db].edit(key, link, new_lru(cx), change),
            None => {
                let mut obj = Obj::raw(Vec::new());
                change(&mut obj);
                self.set_key_found(cx, key, None, obj, true);
            }
        }
    }

    pub(super) fn get(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        Ok(match self.lookup_string(cx, db, key, Access::Read)? {
            Some(link) => self.bulk_at(db, link),
            None => Frame::Null,
        })
    }

    pub(super) fn getdel(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_string(cx, db, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        let reply = self.bulk_at(db, link);
        self.dbs[db].remove(key);
        let verb: &'static [u8] = if cx.config.lazyfree_lazy_user_del { b"UNLINK" } else { b"DEL" };
        cx.rewrite(vec![Bytes::from_static(verb), key.clone()]);
        cx.dirty += 1;
        Ok(reply)
    }

    pub(super) fn getex(&mut self, cx: &mut Context<'_>, key: &Bytes, option: &GetExOption) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_string(cx, db, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        let reply = self.bulk_at(db, link);
        match option {
            GetExOption::None => {}
            GetExOption::At(arg) => {
                let at = expire_deadline(cx, arg)?;
                // Only an absolute time can already be past; replicas keep the key.
                if arg.absolute && at <= cx.now_ms && cx.config.is_master && !cx.config.replaying {
                    self.dbs[db].remove(key);
                    cx.rewrite(vec![expire_verb(cx), key.clone()]);
                } else {
                    self.dbs[db].set_expire(key, Some(at));
                    cx.rewrite(vec![Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(at.to_string())]);
                }
                cx.dirty += 1;
            }
            GetExOption::Persist => {
                if self.dbs[db].deadline(link).is_some() {
                    self.dbs[db].set_expire(key, None);
                    cx.rewrite(vec![Bytes::from_static(b"PERSIST"), key.clone()]);
                    cx.dirty += 1;
                }
            }
        }
        Ok(reply)
    }

    pub(super) fn getrange(&mut self, cx: &mut Context<'_>, key: &Bytes, start: i64, end: i64) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_string(cx, db, key, Access::Read)? else {
            return Ok(Frame::bulk(""));
        };
        let mut text = [0u8; 20];
        let s = self.dbs[db].node(link).obj.str_bytes(&mut text).expect("checked to be a string");
        Ok(Frame::Bulk(Bytes::copy_from_slice(byte_range(s, start, end))))
    }

    pub(super) fn getset(&mut self, cx: &mut Context<'_>, key: &Bytes, value: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let old = self.lookup_string(cx, db, key, Access::Read)?.map(|link| self.bulk_at(db, link));
        self.set_key(cx, db, key, Obj::encoded(value, cx.config.shares_integers()), false);
        cx.dirty += 1;
        // Replicas receive a plain SET.
        cx.rewrite(vec![Bytes::from_static(b"SET"), key.clone(), value.clone()]);
        Ok(old.unwrap_or(Frame::Null))
    }

    pub(super) fn mget(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let mut out = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            if i % PREFETCH_KEYS == 0 {
                self.dbs[db].prefetch(&keys[i..]);
            }
            // A key of another type reads as nil, not as an error.
            let v = match self.lookup(cx, db, key, Access::Read) {
                Some(link) => self.dbs[db].node(link).obj.bulk().map_or(Frame::Null, Frame::Bulk),
                None => Frame::Null,
            };
            out.push(v);
        }
        Ok(Frame::Array(out))
    }

    pub(super) fn mset(&mut self, cx: &mut Context<'_>, pairs: &[(Bytes, Bytes)], nx: bool) -> RedisResult<Frame> {
        let db = cx.db;
        if nx {
            for (key, _) in pairs {
                if self.exists(cx, db, key, Access::Write) {
                    return Ok(Frame::Integer(0));
                }
            }
        }
        for (key, value) in pairs {
            self.set_key(cx, db, key, Obj::encoded(value, cx.config.shares_integers()), false);
        }
        cx.dirty += pairs.len() as u64;
        Ok(if nx { Frame::Integer(1) } else { Frame::ok() })
    }

    pub(super) fn set(&mut self, cx: &mut Context<'_>, args: &SetArgs) -> RedisResult<Frame> {
        let db = cx.db;
        // The expire time is checked before the key is read.
        let deadline = match &args.expiry {
            Expiry::At(arg) => Some(expire_deadline(cx, arg)?),
            _ => None,
        };
        let old = if args.get {
            Some(self.lookup_string(cx, db, &args.key, Access::Read)?.map(|link| self.bulk_at(db, link)))
        } else {
            None
        };
        let found = self.lookup(cx, db, &args.key, Access::Write);
        let blocked = match args.condition {
            SetCondition::Always => false,
            SetCondition::IfMissing => found.is_some(),
            SetCondition::IfExists => found.is_none(),
        };
        let reply = |stored: bool, old: Option<Option<Frame>>| match (old, args.reply) {
            (Some(old), _) => old.unwrap_or(Frame::Null),
            (None, SetReply::OneOrZero) => Frame::Integer(stored as i64),
            (None, SetReply::OkOrNull) if stored => Frame::ok(),
            (None, SetReply::OkOrNull) => Frame::Null,
        };
        if blocked {
            return Ok(reply(false, old));
        }
        let obj = Obj::encoded(&args.value, cx.config.shares_integers());
        self.set_key_found(cx, &args.key, found, obj, args.expiry == Expiry::KeepTtl);
        cx.dirty += 1;
        if let (Some(at), Expiry::At(arg)) = (deadline, &args.expiry) {
            self.dbs[db].set_expire(&args.key, Some(at));
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
        Ok(reply(true, old))
    }

    pub(super) fn setrange(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        offset: i64,
        value: &[u8],
    ) -> RedisResult<Frame> {
        if offset < 0 {
            return Err(errors::OFFSET_OUT_OF_RANGE);
        }
        let db = cx.db;
        let link = self.lookup_string(cx, db, key, Access::Write)?;
        let current = link.map_or(0, |l| str_len(&self.dbs[db].node(l).obj));
        if value.is_empty() {
            return Ok(Frame::Integer(current as i64));
        }
        check_string_length(cx, offset as u64, value.len() as u64)?;
        let (offset, end) = (offset as usize, offset as usize + value.len());
        self.replace_string(cx, key, link, |obj| {
            with_raw(obj, |bytes| {
                if bytes.len() < end {
                    bytes.resize(end, 0);
                }
                bytes[offset..end].copy_from_slice(value);
            })
        });
        cx.dirty += 1;
        Ok(Frame::Integer(current.max(end) as i64))
    }

    pub(super) fn append(&mut self, cx: &mut Context<'_>, key: &Bytes, value: &[u8]) -> RedisResult<Frame> {
        let db = cx.db;
        let len = match self.lookup_string(cx, db, key, Access::Write)? {
            None => {
                self.set_key_found(cx, key, None, Obj::encoded(value, cx.config.shares_integers()), false);
                value.len()
            }
            Some(link) => {
                let current = str_len(&self.dbs[db].node(link).obj);
                check_string_length(cx, current as u64, value.len() as u64)?;
                self.replace_string(cx, key, Some(link), |obj| with_raw(obj, |bytes| bytes.extend_from_slice(value)));
                current + value.len()
            }
        };
        cx.dirty += 1;
        Ok(Frame::Integer(len as i64))
    }

    pub(super) fn strlen(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let len = self.lookup_string(cx, db, key, Access::Read)?.map_or(0, |l| str_len(&self.dbs[db].node(l).obj));
        Ok(Frame::Integer(len as i64))
    }

    pub(super) fn incr_by(&mut self, cx: &mut Context<'_>, key: &Bytes, by: i64) -> RedisResult<Frame> {
        let db = cx.db;
        let link = self.lookup_string(cx, db, key, Access::Write)?;
        let current = match link.map(|l| &self.dbs[db].node(l).obj) {
            None => 0,
            Some(Obj::Int { v, .. }) => *v,
            Some(obj) => parse_i64(obj.str_bytes(&mut [0u8; 20]).expect("checked to be a string"))?,
        };
        let value = current.checked_add(by).ok_or(errors::OVERFLOW)?;
        let stored = Obj::integer(value, cx.config.shares_integers());
        self.replace_string(cx, key, link, |obj| *obj = stored);
        cx.dirty += 1;
        Ok(Frame::Integer(value))
    }

    /// INCRBYFLOAT computes in 80-bit `long double` (the model's
    /// [`LongDouble`]); replicas get the resulting text in a SET.
    pub(super) fn incr_by_float(&mut self, cx: &mut Context<'_>, key: &Bytes, incr: &[u8]) -> RedisResult<Frame> {
        let db = cx.db;
        // Redis checks the key's type, then its value, then the increment.
        let link = self.lookup_string(cx, db, key, Access::Write)?;
        let current = match link {
            None => LongDouble::from_i64(0),
            Some(l) => {
                let mut text = [0u8; 20];
                let bytes = self.dbs[db].node(l).obj.str_bytes(&mut text).expect("checked to be a string");
                LongDouble::parse(bytes).ok_or(errors::NOT_FLOAT)?
            }
        };
        let incr = LongDouble::parse(incr).ok_or(errors::NOT_FLOAT)?;
        let sum = current.add(incr);
        if !sum.is_finite() {
            return Err(errors::INCR_NAN_OR_INF);
        }
        let text = Bytes::from(sum.to_human_string());
        let stored = Obj::plain(&text);
        self.replace_string(cx, key, link, |obj| *obj = stored);
        cx.dirty += 1;
        cx.rewrite(vec![Bytes::from_static(b"SET"), key.clone(), text.clone(), Bytes::from_static(b"KEEPTTL")]);
        Ok(Frame::Bulk(text))
    }

    pub(super) fn lcs(&mut self, cx: &mut Context<'_>, args: &LcsArgs) -> RedisResult<Frame> {
        let db = cx.db;
        // Both keys are looked up before either's type is checked.
        let mut text = |this: &mut Engine, key: &Bytes| -> Option<Vec<u8>> {
            match this.lookup(cx, db, key, Access::Read) {
                None => Some(Vec::new()),
                Some(link) => this.dbs[db].node(link).obj.bulk().map(|b| b.to_vec()),
            }
        };
        let a = text(self, &args.key1);
        let b = text(self, &args.key2);
        let (Some(a), Some(b)) = (a, b) else { return Err(errors::LCS_NOT_STRINGS) };
        let opts = LcsOptions::parse(&args.options)?;
        lcs_reply(&a, &b, &opts, cx.config.proto_max_bulk_len)
    }
}

/// A string's length in bytes (an integer's in digits).
fn str_len(obj: &Obj) -> usize {
    match obj {
        Obj::Int { v, .. } => int_text(*v, &mut [0u8; 20]).len(),
        other => other.str_bytes(&mut [0u8; 20]).map_or(0, <[u8]>::len),
    }
}

/// Edits a string in place as a growable "raw" buffer, converting it first
/// unless it already is one.
fn with_raw(obj: &mut Obj, edit: impl FnOnce(&mut Vec<u8>)) {
    if let Obj::Raw(bytes) = obj {
        edit(bytes);
        return;
    }
    let mut bytes = std::mem::replace(obj, Obj::Int { v: 0, shared: false }).into_bytes().expect("a string");
    edit(&mut bytes);
    *obj = Obj::raw(bytes);
}
