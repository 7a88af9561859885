//! SPOP and SRANDMEMBER: random choices drawn from the node's generator.
//!
//! Which members come out is up to the generator; what must match Redis is
//! the shape of the reply, the distinctness rules, and the effects: SPOP is
//! propagated as one SREM per popped member (but as DEL when a count takes
//! the whole set), and a pop that leaves few members rebuilds the set from
//! them, which can change its encoding.

use bytes::Bytes;
use rand::Rng;

use super::super::sampling::random_indexes;
use super::{max_intset, pick, SetValue};
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::reference::Model;
use crate::resp::Frame;

/// Redis rebuilds the set from the survivors when they are at most one for
/// every this many members popped.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

/// Picks `count` distinct members (`count` < `members.len()`) in random order,
/// by a partial Fisher-Yates shuffle; returns (picked, the rest).
fn pick_distinct(cx: &mut Context<'_>, mut members: Vec<Bytes>, count: usize) -> (Vec<Bytes>, Vec<Bytes>) {
    for i in 0..count {
        let j = cx.rng.gen_range(i..members.len());
        members.swap(i, j);
    }
    let rest = members.split_off(count);
    (members, rest)
}

impl Model {
    pub(super) fn spop_one(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        if !self.set_exists(cx, db, key, Access::Write)? {
            return Ok(Frame::Null);
        }
        let member = self.set_ref(db, key).random_member(cx.rng).expect("sets are never empty");
        let set = self.set_mut(db, key);
        set.remove(&member);
        if set.is_empty() {
            self.dbs[db].remove(key);
        }
        cx.rewrite(vec![Bytes::from_static(b"SREM"), key.clone(), member.clone()]);
        cx.dirty += 1;
        Ok(Frame::Bulk(member))
    }

    pub(super) fn spop_count(&mut self, cx: &mut Context<'_>, key: &Bytes, count: u64) -> RedisResult<Frame> {
        let db = cx.db;
        if !self.set_exists(cx, db, key, Access::Write)? || count == 0 {
            return Ok(Frame::Set(Vec::new()));
        }
        let size = self.set_ref(db, key).len() as u64;
        // One change per popped member.
        cx.dirty += count.min(size);
        if count >= size {
            // The whole set: Redis replies with its union (reading the key
            // once more, which counts a keyspace hit) and deletes the key.
            self.lookup(cx, db, key, Access::Read);
            let all = SetValue::from_members(self.set_ref(db, key).iter(), max_intset(cx));
            self.dbs[db].remove(key);
            cx.rewrite(vec![Bytes::from_static(b"DEL"), key.clone()]);
            return Ok(Frame::Set(all.iter().map(Frame::bulk).collect()));
        }
        let members = self.set_ref(db, key).members();
        let (popped, kept) = pick_distinct(cx, members, count as usize);
        let remaining = size - count;
        if remaining * SPOP_MOVE_STRATEGY_MUL > count {
            let set = self.set_mut(db, key);
            for m in &popped {
                set.remove(m);
            }
        } else {
            // Few survivors: a new set is built from them and replaces the
            // old one (keeping the key's TTL), so the encoding is decided anew.
            let rebuilt = SetValue::from_members(kept.iter().map(|m| &m[..]), max_intset(cx));
            *self.set_mut(db, key) = rebuilt;
        }
        // One SREM per member; the last one stands for the command itself,
        // which Redis does not propagate.
        let srem = |m: &Bytes| vec![Bytes::from_static(b"SREM"), key.clone(), m.clone()];
        let (last, before) = popped.split_last().expect("count > 0");
        for m in before {
            cx.also_propagate(db, srem(m));
        }
        cx.rewrite(srem(last));
        Ok(Frame::Set(popped.into_iter().map(Frame::Bulk).collect()))
    }

    pub(super) fn srandmember(&mut self, cx: &mut Context<'_>, key: &Bytes, count: Option<i64>) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(count) = count else {
            let Some(set) = self.lookup_typed(cx, db, key, Access::Read, pick)? else {
                return Ok(Frame::Null);
            };
            return Ok(set.random_member(cx.rng).map_or(Frame::Null, Frame::Bulk));
        };
        let Some(set) = self.lookup_typed(cx, db, key, Access::Read, pick)? else {
            return Ok(Frame::Array(Vec::new()));
        };
        if count == 0 {
            return Ok(Frame::Array(Vec::new()));
        }
        let members = set.members();
        let picks = random_indexes(cx.rng, members.len(), count);
        Ok(Frame::Array(picks.into_iter().map(|i| Frame::Bulk(members[i].clone())).collect()))
    }
}
