//! The generic group on the model: commands on keys of any type.

use bytes::Bytes;

use super::access::{idle_ms, lfu_counter, Access};
use super::db::Entry;
use super::value::{StrEncoding, StrValue, Value};
use super::Model;
use crate::command::{ExpireArgs, ObjectSub, ScanArgs};
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::glob::glob_match;
use crate::resp::Frame;

impl Model {
    pub(super) fn del(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Frame> {
        let mut deleted = 0;
        for key in keys {
            self.expire_if_needed(cx, cx.db, key, false);
            if self.dbs[cx.db].remove(key).is_some() {
                cx.dirty += 1;
                deleted += 1;
            }
        }
        Ok(Frame::Integer(deleted))
    }

    pub(super) fn exists_count(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Frame> {
        let mut n = 0;
        for key in keys {
            if self.exists(cx, cx.db, key, Access::ReadNoTouch) {
                n += 1;
            }
        }
        Ok(Frame::Integer(n))
    }

    pub(super) fn touch(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Frame> {
        let mut n = 0;
        for key in keys {
            if self.exists(cx, cx.db, key, Access::Read) {
                n += 1;
            }
        }
        Ok(Frame::Integer(n))
    }

    pub(super) fn type_of(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        let name = self.lookup(cx, cx.db, key, Access::ReadNoTouch).map_or("none", |e| e.value.type_name());
        Ok(Frame::simple(name))
    }

    pub(super) fn expire(&mut self, cx: &mut Context<'_>, args: &ExpireArgs) -> RedisResult<Frame> {
        let invalid = || super::strings::invalid_expire(cx);
        let mut when = args.when;
        if !args.millis {
            when = when.checked_mul(1000).ok_or_else(invalid)?;
        }
        if !args.absolute {
            when = when.checked_add(cx.now_ms).ok_or_else(invalid)?;
        }
        if !self.exists(cx, cx.db, &args.key, Access::Write) {
            return Ok(Frame::Integer(0));
        }
        let current = self.dbs[cx.db].get(&args.key).and_then(|e| e.expire_at);
        let f = args.flags;
        // A key without TTL counts as an infinite TTL for GT and LT.
        let refused = (f.nx && current.is_some())
            || (f.xx && current.is_none())
            || (f.gt && current.is_none_or(|c| when <= c))
            || (f.lt && current.is_some_and(|c| when >= c));
        if refused {
            return Ok(Frame::Integer(0));
        }
        cx.dirty += 1;
        if when <= cx.now_ms && cx.config.is_master && !cx.config.replaying {
            // Already in the past: the key is deleted, and replicas are told so.
            self.dbs[cx.db].remove(&args.key);
            let verb: &'static [u8] = if cx.config.lazyfree_lazy_expire { b"UNLINK" } else { b"DEL" };
            cx.rewrite(vec![Bytes::from_static(verb), args.key.clone()]);
            return Ok(Frame::Integer(1));
        }
        self.dbs[cx.db].set_expire(&args.key, Some(when));
        // Replicas get PEXPIREAT with the absolute time and the same options.
        let mut argv = cx.argv.to_vec();
        if argv.len() >= 3 && !(args.millis && args.absolute) {
            argv[0] = Bytes::from_static(b"PEXPIREAT");
            argv[2] = Bytes::from(when.to_string());
            cx.rewrite(argv);
        }
        Ok(Frame::Integer(1))
    }

    pub(super) fn ttl(&mut self, cx: &mut Context<'_>, key: &[u8], millis: bool) -> RedisResult<Frame> {
        let Some(entry) = self.lookup(cx, cx.db, key, Access::ReadNoTouch) else {
            return Ok(Frame::Integer(-2));
        };
        let Some(at) = entry.expire_at else { return Ok(Frame::Integer(-1)) };
        let left = (at - cx.now_ms).max(0);
        Ok(Frame::Integer(if millis { left } else { (left + 500) / 1000 }))
    }

    pub(super) fn expiretime(&mut self, cx: &mut Context<'_>, key: &[u8], millis: bool) -> RedisResult<Frame> {
        let Some(entry) = self.lookup(cx, cx.db, key, Access::ReadNoTouch) else {
            return Ok(Frame::Integer(-2));
        };
        let Some(at) = entry.expire_at else { return Ok(Frame::Integer(-1)) };
        let at = at.max(0);
        Ok(Frame::Integer(if millis { at } else { (at + 500) / 1000 }))
    }

    pub(super) fn persist(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        if !self.exists(cx, cx.db, key, Access::Write) {
            return Ok(Frame::Integer(0));
        }
        if self.dbs[cx.db].get(key).and_then(|e| e.expire_at).is_none() {
            return Ok(Frame::Integer(0));
        }
        self.dbs[cx.db].set_expire(key, None);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    pub(super) fn keys(&mut self, cx: &mut Context<'_>, pattern: &[u8]) -> RedisResult<Frame> {
        let all = pattern == b"*";
        let now = cx.now_ms;
        // KEYS skips expired keys but, unlike SCAN, does not delete them.
        let keys = self.dbs[cx.db]
            .iter()
            .filter(|(k, e)| (all || glob_match(pattern, k, false)) && e.expire_at.is_none_or(|t| now <= t))
            .map(|(k, _)| Frame::Bulk(k.clone()))
            .collect();
        Ok(Frame::Array(keys))
    }

    pub(super) fn scan(&mut self, cx: &mut Context<'_>, args: &ScanArgs) -> RedisResult<Frame> {
        let opts = &args.options;
        let (next, candidates) = self.dbs[cx.db].entries().scan(args.cursor, opts.count as usize);
        let mut out = Vec::with_capacity(candidates.len());
        for key in candidates {
            if let Some(p) = &opts.pattern {
                if !glob_match(p, &key, false) {
                    continue;
                }
            }
            if let Some(t) = &opts.type_name {
                let found = self.lookup(cx, cx.db, &key, Access::ReadNoTouch).map_or("none", |e| e.value.type_name());
                if !t.eq_ignore_ascii_case(found.as_bytes()) {
                    continue;
                }
            }
            if self.expire_if_needed(cx, cx.db, &key, false) {
                continue;
            }
            out.push(Frame::Bulk(key));
        }
        Ok(Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(out)]))
    }

    pub(super) fn randomkey(&mut self, cx: &mut Context<'_>) -> RedisResult<Frame> {
        let db = cx.db;
        // Redis gives up on expired keys after 100 tries when every key is
        // volatile on a replica (which cannot delete them); a master deletes
        // each expired key it draws, so the loop ends.
        let mut tries = 100;
        loop {
            let Some(key) = self.dbs[db].entries().random_key(cx.rng).cloned() else {
                return Ok(Frame::Null);
            };
            let volatile = self.dbs[db].get(&key).is_some_and(|e| e.expire_at.is_some());
            if volatile {
                let all_volatile = self.dbs[db].expires_len() == self.dbs[db].len();
                if all_volatile && !cx.config.is_master {
                    tries -= 1;
                    if tries == 0 {
                        return Ok(Frame::Bulk(key));
                    }
                }
                if self.expire_if_needed(cx, db, &key, false) {
                    continue;
                }
            }
            return Ok(Frame::Bulk(key));
        }
    }

    pub(super) fn rename(&mut self, cx: &mut Context<'_>, src: &Bytes, dst: &Bytes, nx: bool) -> RedisResult<Frame> {
        let db = cx.db;
        if !self.exists(cx, db, src, Access::Write) {
            return Err(errors::NO_SUCH_KEY);
        }
        let done = || if nx { Frame::Integer(1) } else { Frame::ok() };
        if src == dst {
            return Ok(if nx { Frame::Integer(0) } else { Frame::ok() });
        }
        if self.exists(cx, db, dst, Access::Write) && nx {
            return Ok(Frame::Integer(0));
        }
        let entry = self.dbs[db].remove(src).expect("looked up above");
        self.dbs[db].insert(dst.clone(), entry);
        cx.dirty += 1;
        Ok(done())
    }

    pub(super) fn move_key(&mut self, cx: &mut Context<'_>, key: &Bytes, dst: usize) -> RedisResult<Frame> {
        let src = cx.db;
        if src == dst {
            return Err(errors::SAME_OBJECT);
        }
        if !self.exists(cx, src, key, Access::Write) {
            return Ok(Frame::Integer(0));
        }
        if self.exists(cx, dst, key, Access::Write) {
            return Ok(Frame::Integer(0));
        }
        let entry = self.dbs[src].remove(key).expect("looked up above");
        self.dbs[dst].insert(key.clone(), entry);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    pub(super) fn copy(
        &mut self,
        cx: &mut Context<'_>,
        src: &Bytes,
        dst: &Bytes,
        db: Option<usize>,
        replace: bool,
    ) -> RedisResult<Frame> {
        let from = cx.db;
        let to = db.unwrap_or(from);
        if from == to && src == dst {
            return Err(errors::SAME_OBJECT);
        }
        let Some(entry) = self.lookup(cx, from, src, Access::Read).cloned() else {
            return Ok(Frame::Integer(0));
        };
        if self.exists(cx, to, dst, Access::Write) && !replace {
            return Ok(Frame::Integer(0));
        }
        // A copy is a new object: never one of the shared integers.
        let value = match entry.value {
            Value::Str(StrValue { bytes, encoding: StrEncoding::Int { .. } }) => {
                Value::Str(StrValue { bytes, encoding: StrEncoding::Int { shared: false } })
            }
            other => other,
        };
        let copy = Entry { value, expire_at: entry.expire_at, lru: super::access::new_lru(cx) };
        self.dbs[to].insert(dst.clone(), copy);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    pub(super) fn object(&mut self, cx: &mut Context<'_>, sub: ObjectSub, key: &[u8]) -> RedisResult<Frame> {
        let Some(entry) = self.lookup(cx, cx.db, key, Access::ReadNoTouch) else {
            return Ok(Frame::Null);
        };
        let lfu = cx.config.maxmemory_policy.is_lfu();
        Ok(match sub {
            ObjectSub::Encoding => Frame::bulk(entry.value.encoding_name()),
            ObjectSub::RefCount => Frame::Integer(entry.value.refcount()),
            ObjectSub::IdleTime if lfu => return Err(errors::OBJECT_IDLETIME_UNDER_LFU),
            ObjectSub::IdleTime => Frame::Integer((idle_ms(entry.lru, cx.now_ms) / 1000) as i64),
            ObjectSub::Freq if !lfu => return Err(errors::OBJECT_FREQ_WITHOUT_LFU),
            ObjectSub::Freq => Frame::Integer(lfu_counter(entry.lru, cx.now_ms, cx.config.lfu_decay_time) as i64),
        })
    }
}
