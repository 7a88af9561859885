//! SINTER, SUNION, SDIFF, their STORE forms, and SINTERCARD, as the
//! model's `reference/sets/combine.rs`: the same lookups, the same result
//! order (SINTER follows the smallest set), and results built the way Redis
//! builds them, member by member into a new set, so that a stored result
//! gets Redis's encoding (SDIFF's choice of algorithm included).

use bytes::Bytes;
use redsim_model::command::sets::SetOp;
use redsim_model::errors::RedisResult;
use redsim_model::reference::shared::Access;
use redsim_model::{Context, Frame};

use super::super::Engine;
use super::{bulks, max_intset, Member, SetObj};

impl Engine {
    /// Looks every key up (Redis reads them all, checking each type, before
    /// it looks at any content: a missing first key does not spare a later
    /// key's WRONGTYPE); the links of the sets, `None` for missing keys.
    fn lookup_sets(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Vec<Option<u32>>> {
        let db = cx.db;
        keys.iter().map(|k| self.lookup_set(cx, db, k, Access::Read)).collect()
    }

    /// The sets found by [`Engine::lookup_sets`].
    fn sets_at(&self, db: usize, links: &[Option<u32>]) -> Vec<Option<&SetObj>> {
        links.iter().map(|l| l.map(|l| self.set_at(db, l))).collect()
    }

    pub(super) fn scombine(
        &mut self,
        cx: &mut Context<'_>,
        op: SetOp,
        keys: &[Bytes],
        store: Option<&Bytes>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let links = self.lookup_sets(cx, keys)?;
        let max = max_intset(cx);
        let result = {
            let sets = self.sets_at(db, &links);
            match op {
                SetOp::Inter => {
                    let members = intersection(&sets, None);
                    if store.is_none() {
                        // Sent in the order of the smallest set, as Redis iterates it.
                        return Ok(bulks(members).into_set_frame());
                    }
                    SetObj::from_members(members, max)
                }
                SetOp::Union => SetObj::from_members(sets.iter().flatten().flat_map(|s| s.iter()), max),
                SetOp::Diff => difference(keys, &sets, max),
            }
        };
        let Some(dst) = store else {
            return Ok(bulks(result.iter()).into_set_frame());
        };
        if result.is_empty() {
            // An empty result deletes the destination (a change only if it existed).
            if self.server_delete(cx, db, dst) {
                cx.dirty += 1;
            }
            return Ok(Frame::Integer(0));
        }
        let n = result.len();
        // Redis's setKey looks the destination up for writing first, which
        // may expire it (propagating its DEL), then replaces it and its TTL.
        self.lookup(cx, db, dst, Access::Write);
        self.set_key(cx, db, dst, super::super::object::Obj::Set(Box::new(result)), false);
        cx.dirty += 1;
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn sintercard(&mut self, cx: &mut Context<'_>, keys: &[Bytes], limit: u64) -> RedisResult<Frame> {
        let links = self.lookup_sets(cx, keys)?;
        let sets = self.sets_at(cx.db, &links);
        let limit = if limit == 0 { None } else { Some(limit as usize) };
        Ok(Frame::Integer(intersection(&sets, limit).len() as i64))
    }
}

/// The members common to all `sets` (empty if one is missing), in the order
/// of the smallest set (the first of the smallest), stopping after `limit`.
fn intersection<'a>(sets: &[Option<&'a SetObj>], limit: Option<usize>) -> Vec<Member<'a>> {
    let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&SetObj>>>() else {
        return Vec::new();
    };
    // A stable sort, as the model's: ties keep the keys' order.
    present.sort_by_key(|s| s.len());
    let Some((smallest, others)) = present.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in smallest.iter() {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        if others.iter().all(|s| s.contains_member(m)) {
            out.push(m);
        }
    }
    out
}

/// The members of the first set that no other set has, built as Redis's
/// SDIFF builds it. Redis estimates the work of two algorithms: checking
/// each member of the first set against the others (1), or copying the
/// first set and removing the others' members (2); the second leaves the
/// encoding the copy had.
fn difference(keys: &[Bytes], sets: &[Option<&SetObj>], max: u64) -> SetObj {
    let Some(Some(first)) = sets.first() else {
        return SetObj::default();
    };
    // A later key naming the first set again empties the result.
    if keys[1..].iter().zip(&sets[1..]).any(|(k, s)| s.is_some() && *k == keys[0]) {
        return SetObj::default();
    }
    let others: Vec<&SetObj> = sets[1..].iter().flatten().copied().collect();
    let existing = 1 + others.len() as u64;
    // Algorithm 1 gets an advantage: its estimate is halved.
    let algo_one_work = first.len() as u64 * existing / 2;
    let algo_two_work = first.len() as u64 + others.iter().map(|s| s.len() as u64).sum::<u64>();
    if algo_one_work <= algo_two_work {
        SetObj::from_members(first.iter().filter(|m| !others.iter().any(|s| s.contains_member(*m))), max)
    } else {
        let mut out = SetObj::from_members(first.iter(), max);
        let mut text = [0u8; 20];
        for s in others {
            if out.is_empty() {
                break;
            }
            for m in s.iter() {
                out.remove(m.text(&mut text));
            }
        }
        out
    }
}
