//! SPOP and SRANDMEMBER, drawing from the generator exactly as the model's
//! `reference/sets/random.rs` does, so the same members come out for the
//! same seed: SPOP is propagated as one SREM per popped member (as DEL when
//! a count takes the whole set), and a pop that leaves few members rebuilds
//! the set from them, which can change its encoding.

use std::collections::BTreeMap;

use bytes::Bytes;
use rand::Rng;
use redsim_model::errors::RedisResult;
use redsim_model::reference::shared::{random_indexes, Access};
use redsim_model::{Context, Frame};

use super::super::Engine;
use super::{bulks, max_intset, Member, SetObj};

/// Redis rebuilds the set from the survivors when they are at most one for
/// every this many members popped.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

/// The model's partial Fisher-Yates shuffle of the member positions
/// `0..size` (`count` < `size` steps, each swapping position i with a
/// random j in i..size), played on a sparse permutation: only the moved
/// positions are stored, so a small pop from a large set costs O(count).
struct Shuffle {
    moved: BTreeMap<usize, usize>,
}

impl Shuffle {
    fn run(cx: &mut Context<'_>, size: usize, count: usize) -> Shuffle {
        let mut s = Shuffle { moved: BTreeMap::new() };
        for i in 0..count {
            let j = cx.rng.gen_range(i..size);
            let (a, b) = (s.at(i), s.at(j));
            s.moved.insert(i, b);
            s.moved.insert(j, a);
        }
        s
    }

    /// The member position now at `i`.
    fn at(&self, i: usize) -> usize {
        self.moved.get(&i).copied().unwrap_or(i)
    }
}

impl Engine {
    pub(super) fn spop_one(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_set(cx, db, key, Access::Write)? else {
            return Ok(Frame::Null);
        };
        let Some(member) = self.set_at(db, link).random_member(cx.rng).map(Member::to_bytes) else {
            return Ok(Frame::Null);
        };
        let empty = self.change_set(db, key, link, |s| {
            s.remove(&member);
            s.is_empty()
        });
        if empty {
            self.dbs[db].remove(key);
        }
        cx.rewrite(vec![Bytes::from_static(b"SREM"), key.clone(), member.clone()]);
        cx.dirty += 1;
        Ok(Frame::Bulk(member))
    }

    pub(super) fn spop_count(&mut self, cx: &mut Context<'_>, key: &Bytes, count: u64) -> RedisResult<Frame> {
        let db = cx.db;
        let link = match self.lookup_set(cx, db, key, Access::Write)? {
            Some(link) if count > 0 => link,
            _ => return Ok(Frame::Set(Vec::new())),
        };
        let size = self.set_at(db, link).len() as u64;
        // One change per popped member.
        cx.dirty += count.min(size);
        if count >= size {
            // The whole set: Redis replies with its union (reading the key
            // once more, which counts a keyspace hit), in the order of a set
            // built anew from it, and deletes the key.
            let link = self.lookup(cx, db, key, Access::Read).unwrap_or(link);
            let all = SetObj::from_members(self.set_at(db, link).iter(), max_intset(cx));
            self.dbs[db].remove(key);
            cx.rewrite(vec![Bytes::from_static(b"DEL"), key.clone()]);
            return Ok(bulks(all.iter()).into_set_frame());
        }
        let (size, count) = (size as usize, count as usize);
        let shuffle = Shuffle::run(cx, size, count);
        let set = self.set_at(db, link);
        let popped_at: Vec<usize> = (0..count).map(|i| shuffle.at(i)).collect();
        let popped: Vec<Bytes> = set.pick(&popped_at).into_iter().map(Member::to_bytes).collect();
        let remaining = size - count;
        if remaining as u64 * SPOP_MOVE_STRATEGY_MUL > count as u64 {
            self.change_set(db, key, link, |s| {
                for m in &popped {
                    s.remove(m);
                }
            });
        } else {
            // Few survivors: a new set is built from them and replaces the
            // old one (keeping the key's TTL), so the encoding is decided anew.
            let kept_at: Vec<usize> = (count..size).map(|i| shuffle.at(i)).collect();
            let rebuilt = SetObj::from_members(set.pick(&kept_at), max_intset(cx));
            self.change_set(db, key, link, |s| *s = rebuilt);
        }
        // One SREM per member; the last one stands for the command itself,
        // which Redis does not propagate.
        let srem = |m: &Bytes| vec![Bytes::from_static(b"SREM"), key.clone(), m.clone()];
        if let Some((last, before)) = popped.split_last() {
            for m in before {
                cx.also_propagate(db, srem(m));
            }
            cx.rewrite(srem(last));
        }
        Ok(Frame::Set(popped.into_iter().map(Frame::Bulk).collect()))
    }

    pub(super) fn srandmember(&mut self, cx: &mut Context<'_>, key: &Bytes, count: Option<i64>) -> RedisResult<Frame> {
        let db = cx.db;
        let link = self.lookup_set(cx, db, key, Access::Read)?;
        let Some(count) = count else {
            let member = link.and_then(|l| self.set_at(db, l).random_member(cx.rng));
            return Ok(member.map_or(Frame::Null, |m| Frame::Bulk(m.to_bytes())));
        };
        let Some(link) = link else {
            return Ok(Frame::Array(Vec::new()));
        };
        if count == 0 {
            return Ok(Frame::Array(Vec::new()));
        }
        let set = self.set_at(db, link);
        let picks = random_indexes(cx.rng, set.len(), count);
        Ok(bulks(set.pick(&picks)).into_frame())
    }
}
