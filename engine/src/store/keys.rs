//! The generic group: commands on keys of any type, step for step as the
//! model's `reference/keys.rs` and `reference/dump.rs`, except SCAN, which
//! walks the table with Redis's own cursor (see `dict.rs`).

use bytes::Bytes;
use redsim_model::command::{parse_i64, ExpireArgs, ObjectSub, RestoreArgs, ScanArgs};
use redsim_model::errors::{self, RedisResult};
use redsim_model::glob::glob_match;
use redsim_model::rdb;
use redsim_model::reference::shared::{
    decode_payload, idle_ms, invalid_expire, lfu_counter, new_lru, restored_lru, Access,
};
use redsim_model::resp::BulkArray;
use redsim_model::{Context, Frame};

use super::access::expire_verb;
use super::object::Obj;
use super::Engine;

impl Engine {
    /// DEL and UNLINK; `lazy` (UNLINK, or DEL under lazyfree-lazy-user-del)
    /// queues large values for freeing later.
    pub(super) fn del(&mut self, cx: &mut Context<'_>, keys: &[Bytes], lazy: bool) -> RedisResult<Frame> {
        let db = cx.db;
        let mut deleted = 0;
        for key in keys {
            self.expire_if_needed(cx, db, key, false);
            if let Some(e) = self.dbs[db].remove(key) {
                if lazy {
                    self.lazyfree.free_value(e.obj);
                }
                cx.dirty += 1;
                deleted += 1;
            }
        }
        Ok(Frame::Integer(deleted))
    }

    pub(super) fn exists_count(&mut self, cx: &mut Context<'_>, keys: &[Bytes], access: Access) -> RedisResult<Frame> {
        let db = cx.db;
        let n = keys.iter().filter(|key| self.exists(cx, db, key, access)).count();
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn type_of(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let name =
            self.lookup(cx, db, key, Access::ReadNoTouch).map_or("none", |l| self.dbs[db].node(l).obj.type_name());
        Ok(Frame::simple(name))
    }

    pub(super) fn expire(&mut self, cx: &mut Context<'_>, args: &ExpireArgs) -> RedisResult<Frame> {
        let db = cx.db;
        let invalid = || invalid_expire(cx);
        let mut when = args.when;
        if !args.millis {
            when = when.checked_mul(1000).ok_or_else(invalid)?;
        }
        if !args.absolute {
            when = when.checked_add(cx.now_ms).ok_or_else(invalid)?;
        }
        let Some(link) = self.lookup(cx, db, &args.key, Access::Write) else {
            return Ok(Frame::Integer(0));
        };
        let current = self.dbs[db].deadline(link);
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
            self.remove_expiring(cx, db, &args.key);
            cx.rewrite(vec![expire_verb(cx), args.key.clone()]);
            return Ok(Frame::Integer(1));
        }
        self.dbs[db].set_expire(&args.key, Some(when));
        // Replicas get PEXPIREAT with the absolute time and the same options.
        let mut argv = cx.argv.to_vec();
        if argv.len() >= 3 && !(args.millis && args.absolute) {
            argv[0] = Bytes::from_static(b"PEXPIREAT");
            argv[2] = Bytes::from(when.to_string());
            cx.rewrite(argv);
        }
        Ok(Frame::Integer(1))
    }

    /// TTL/PTTL (`expire_time` false) and EXPIRETIME/PEXPIRETIME (true).
    pub(super) fn ttl(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        millis: bool,
        expire_time: bool,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup(cx, db, key, Access::ReadNoTouch) else {
            return Ok(Frame::Integer(-2));
        };
        let Some(at) = self.dbs[db].deadline(link) else { return Ok(Frame::Integer(-1)) };
        let v = if expire_time { at.max(0) } else { (at - cx.now_ms).max(0) };
        Ok(Frame::Integer(if millis { v } else { (v + 500) / 1000 }))
    }

    pub(super) fn persist(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup(cx, db, key, Access::Write) else {
            return Ok(Frame::Integer(0));
        };
        if self.dbs[db].deadline(link).is_none() {
            return Ok(Frame::Integer(0));
        }
        self.dbs[db].set_expire(key, None);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    pub(super) fn keys(&mut self, cx: &mut Context<'_>, pattern: &[u8]) -> RedisResult<Frame> {
        let all = pattern == b"*";
        let now = cx.now_ms;
        let d = &self.dbs[cx.db];
        // KEYS skips expired keys but, unlike SCAN, does not delete them.
        let mut keys = BulkArray::with_capacity(if all { d.len() } else { 0 }, 0);
        let live = d.links().filter(|&l| d.deadline(l).is_none_or(|t| now <= t));
        for key in live.map(|l| d.node(l).key.as_bytes()).filter(|k| all || glob_match(pattern, k, false)) {
            keys.push(key);
        }
        Ok(keys.into_frame())
    }

    /// SCAN as Redis's `scanGenericCommand`: table steps until COUNT keys or
    /// 10×COUNT steps, then the MATCH, TYPE and expiry filters per key, in
    /// the model's order.
    pub(super) fn scan(&mut self, cx: &mut Context<'_>, args: &ScanArgs) -> RedisResult<Frame> {
        let db = cx.db;
        let opts = &args.options;
        let count = opts.count.max(1) as usize;
        let mut links = Vec::new();
        let mut cursor = args.cursor;
        // Redis: `do { scan } while (cursor && maxiterations-- && len < count)`.
        let mut max_iterations = count.saturating_mul(10);
        loop {
            cursor = self.dbs[db].scan(cursor, &mut links);
            if cursor == 0 || max_iterations == 0 || links.len() >= count {
                break;
            }
            max_iterations -= 1;
        }
        let d = &self.dbs[db];
        let candidates: Vec<(Bytes, Option<i64>)> =
            links.iter().map(|&l| (d.node(l).key.to_bytes(), d.deadline(l))).collect();
        let mut out = Vec::with_capacity(candidates.len());
        for (key, deadline) in candidates {
            if let Some(p) = &opts.pattern {
                if !glob_match(p, &key, false) {
                    continue;
                }
            }
            if let Some(t) = &opts.type_name {
                let found = self
                    .lookup(cx, db, &key, Access::ReadNoTouch)
                    .map_or("none", |l| self.dbs[db].node(l).obj.type_name());
                if !t.eq_ignore_ascii_case(found.as_bytes()) {
                    continue;
                }
            }
            // Only a key that was due when the walk met it can need expiring
            // (unless TYPE's lookup already removed it: then the full check).
            let maybe_due = opts.type_name.is_some() || deadline.is_some_and(|at| cx.now_ms > at);
            if maybe_due && self.expire_if_needed(cx, db, &key, false) {
                continue;
            }
            out.push(Frame::Bulk(key));
        }
        Ok(super::scan_reply(cursor, out))
    }

    pub(super) fn randomkey(&mut self, cx: &mut Context<'_>) -> RedisResult<Frame> {
        let db = cx.db;
        // Redis gives up on expired keys after 100 tries when every key is
        // volatile on a replica (which cannot delete them); a master deletes
        // each expired key it draws, so the loop ends.
        let mut tries = 100;
        loop {
            let Some(link) = self.dbs[db].random_link(cx.rng) else {
                return Ok(Frame::Null);
            };
            let d = &self.dbs[db];
            let key = d.node(link).key.to_bytes();
            if d.deadline(link).is_some() {
                let all_volatile = d.expires_len() == d.len();
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
        if src == dst {
            return Ok(if nx { Frame::Integer(0) } else { Frame::ok() });
        }
        if self.exists(cx, db, dst, Access::Write) && nx {
            return Ok(Frame::Integer(0));
        }
        let e = self.dbs[db].remove(src).expect("looked up above");
        let (_, replaced) = self.dbs[db].insert(dst, e.obj, e.deadline, e.lru);
        self.free_replaced(cx, replaced);
        cx.dirty += 1;
        Ok(if nx { Frame::Integer(1) } else { Frame::ok() })
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
        let e = self.dbs[src].remove(key).expect("looked up above");
        self.dbs[dst].insert(key, e.obj, e.deadline, e.lru);
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
        let Some(link) = self.lookup(cx, from, src, Access::Read) else {
            return Ok(Frame::Integer(0));
        };
        // A copy is a new object: never one of the shared integers.
        let obj = self.dbs[from].node(link).obj.duplicate();
        let deadline = self.dbs[from].deadline(link);
        if self.exists(cx, to, dst, Access::Write) && !replace {
            return Ok(Frame::Integer(0));
        }
        let (_, replaced) = self.dbs[to].insert(dst, obj, deadline, new_lru(cx));
        self.free_replaced(cx, replaced);
        cx.dirty += 1;
        Ok(Frame::Integer(1))
    }

    pub(super) fn object(&mut self, cx: &mut Context<'_>, sub: ObjectSub, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup(cx, db, key, Access::ReadNoTouch) else {
            return Ok(Frame::Null);
        };
        let node = self.dbs[db].node(link);
        let lfu = cx.config.maxmemory_policy.is_lfu();
        Ok(match sub {
            ObjectSub::Encoding => Frame::bulk(node.obj.encoding_name()),
            ObjectSub::RefCount => Frame::Integer(node.obj.refcount()),
            ObjectSub::IdleTime if lfu => return Err(errors::OBJECT_IDLETIME_UNDER_LFU),
            ObjectSub::IdleTime => Frame::Integer((idle_ms(node.lru(), cx.now_ms) / 1000) as i64),
            ObjectSub::Freq if !lfu => return Err(errors::OBJECT_FREQ_WITHOUT_LFU),
            ObjectSub::Freq => Frame::Integer(lfu_counter(node.lru(), cx.now_ms, cx.config.lfu_decay_time) as i64),
        })
    }

    pub(super) fn dump(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        Ok(match self.lookup(cx, db, key, Access::Read) {
            None => Frame::Null,
            Some(link) => {
                let compression = cx.config.rdb_compression;
                let payload = rdb::dump_payload_with(&self.dbs[db].node(link).obj.to_value(), compression);
                Frame::Bulk(Bytes::from(payload))
            }
        })
    }

    /// RESTORE, with the model's order of checks: an existing key (BUSYKEY),
    /// the TTL, the payload, then the store.
    pub(super) fn restore(&mut self, cx: &mut Context<'_>, r: &RestoreArgs) -> RedisResult<Frame> {
        let db = cx.db;
        if !r.replace && self.exists(cx, db, &r.key, Access::Write) {
            return Err(errors::BUSYKEY);
        }
        let mut ttl = parse_i64(&r.ttl)?;
        if ttl < 0 {
            return Err(errors::INVALID_TTL);
        }
        let value = decode_payload(cx, &r.payload)?;
        let deleted = r.replace && self.server_delete(cx, db, &r.key);
        if ttl != 0 && !r.absttl {
            ttl = ttl.saturating_add(cx.now_ms);
        }
        if ttl != 0 && ttl <= cx.now_ms && cx.config.is_master && !cx.config.replaying {
            // Restored already expired: only the deletion of the old key remains.
            if deleted {
                cx.rewrite(vec![Bytes::from_static(b"DEL"), r.key.clone()]);
                cx.dirty += 1;
            }
            return Ok(Frame::ok());
        }
        let lru = restored_lru(cx, r);
        self.dbs[db].insert(&r.key, Obj::from_value(value), (ttl != 0).then_some(ttl), lru);
        if ttl != 0 && !r.absttl {
            // Replicas get the absolute time.
            let mut argv = cx.argv.to_vec();
            if argv.len() >= 3 {
                argv[2] = Bytes::from(ttl.to_string());
                argv.push(Bytes::from_static(b"ABSTTL"));
                cx.rewrite(argv);
            }
        }
        cx.dirty += 1;
        Ok(Frame::ok())
    }
}
