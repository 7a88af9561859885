//! SINTER, SUNION, SDIFF, their STORE forms, and SINTERCARD.
//!
//! The results are plain set algebra, but a stored result's encoding depends
//! on how Redis builds it: the destination starts as an empty intset and
//! receives elements one by one, and SDIFF's second algorithm first adds the
//! whole first set and then removes the others' members, so the result can be
//! a hashtable of integers. The algorithm choice is reproduced for that reason.

use bytes::Bytes;

use super::{max_intset, pick, SetValue};
use crate::command::sets::SetOp;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::reference::value::Value;
use crate::reference::Model;
use crate::resp::Frame;

impl Model {
    /// Looks every key up (Redis reads them all, checking each type, before
    /// it looks at any content: a missing first key does not spare a later
    /// key's WRONGTYPE) and returns which ones hold a set.
    fn lookup_sets(&mut self, cx: &mut Context<'_>, keys: &[Bytes]) -> RedisResult<Vec<bool>> {
        let db = cx.db;
        keys.iter().map(|k| self.lookup_typed(cx, db, k, Access::Read, pick).map(|s| s.is_some())).collect()
    }

    /// The sets found by [`Model::lookup_sets`], `None` for missing keys.
    fn found_sets<'a>(&'a self, db: usize, keys: &'a [Bytes], found: &[bool]) -> Vec<Option<&'a SetValue>> {
        keys.iter().zip(found).map(|(k, &f)| if f { Some(self.set_ref(db, k)) } else { None }).collect()
    }

    pub(super) fn scombine(
        &mut self,
        cx: &mut Context<'_>,
        op: SetOp,
        keys: &[Bytes],
        store: Option<&Bytes>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let found = self.lookup_sets(cx, keys)?;
        let sets = self.found_sets(db, keys, &found);
        let max = max_intset(cx);
        let result = match op {
            SetOp::Inter => {
                let members = intersection(&sets, None);
                if store.is_none() {
                    // Sent in the order of the smallest set, as Redis iterates it.
                    return Ok(Frame::Set(members.into_iter().map(Frame::Bulk).collect()));
                }
                SetValue::from_members(members.iter().map(|m| &m[..]), max)
            }
            SetOp::Union => SetValue::from_members(sets.iter().flatten().flat_map(|s| s.iter()), max),
            SetOp::Diff => difference(keys, &sets, max),
        };
        let Some(dst) = store else {
            return Ok(Frame::Set(result.iter().map(Frame::bulk).collect()));
        };
        if result.is_empty() {
            // An empty result deletes the destination (a change only if it existed).
            if self.dbs[db].remove(dst).is_some() {
                cx.dirty += 1;
            }
            return Ok(Frame::Integer(0));
        }
        let n = result.len();
        // Redis's setKey looks the destination up for writing first, which
        // may expire it (propagating its DEL), then replaces it and its TTL.
        self.lookup(cx, db, dst, Access::Write);
        self.set_key(cx, db, dst, Value::Set(result), false);
        cx.dirty += 1;
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn sintercard(&mut self, cx: &mut Context<'_>, keys: &[Bytes], limit: u64) -> RedisResult<Frame> {
        let found = self.lookup_sets(cx, keys)?;
        let sets = self.found_sets(cx.db, keys, &found);
        let limit = if limit == 0 { None } else { Some(limit as usize) };
        Ok(Frame::Integer(intersection(&sets, limit).len() as i64))
    }
}

/// The members common to all `sets` (empty if one is missing), in the order
/// of the smallest set, stopping after `limit` of them.
fn intersection(sets: &[Option<&SetValue>], limit: Option<usize>) -> Vec<Bytes> {
    let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
        return Vec::new();
    };
    present.sort_by_key(|s| s.len());
    let (smallest, others) = present.split_first().expect("at least one key");
    let mut out = Vec::new();
    for m in smallest.iter() {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        if others.iter().all(|s| s.contains(m)) {
            out.push(Bytes::copy_from_slice(m));
        }
    }
    out
}

/// The members of the first set that no other set has, built as Redis's
/// SDIFF builds it. Redis estimates the work of two algorithms: checking each
/// member of the first set against the others (1), or copying the first set
/// and removing the others' members (2); the second leaves the encoding the
/// copy had.
fn difference(keys: &[Bytes], sets: &[Option<&SetValue>], max: u64) -> SetValue {
    let Some(first) = sets[0] else {
        return SetValue::new();
    };
    // A later key naming the first set again empties the result.
    if keys[1..].iter().zip(&sets[1..]).any(|(k, s)| s.is_some() && *k == keys[0]) {
        return SetValue::new();
    }
    let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
    let existing = 1 + others.len() as u64;
    // Algorithm 1 gets an advantage: its estimate is halved.
    let algo_one_work = first.len() as u64 * existing / 2;
    let algo_two_work = first.len() as u64 + others.iter().map(|s| s.len() as u64).sum::<u64>();
    if algo_one_work <= algo_two_work {
        SetValue::from_members(first.iter().filter(|m| !others.iter().any(|s| s.contains(m))), max)
    } else {
        let mut out = SetValue::from_members(first.iter(), max);
        for s in others {
            if out.is_empty() {
                break;
            }
            for m in s.iter() {
                out.remove(m);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(members: &[&str]) -> SetValue {
        SetValue::from_members(members.iter().map(|m| m.as_bytes()), 512)
    }

    fn keys(names: &[&str]) -> Vec<Bytes> {
        names.iter().map(|n| Bytes::copy_from_slice(n.as_bytes())).collect()
    }

    #[test]
    fn diff_by_removal_keeps_the_first_sets_encoding() {
        // |first| / 2 * 3 > |first| + 1 + 1: Redis copies the first set, which
        // holds a string, so the all-integer result is a hashtable.
        let first = set_of(&["1", "2", "3", "4", "5", "6", "7", "8", "9", "x"]);
        let (b, c) = (set_of(&["x"]), set_of(&["99"]));
        let d = difference(&keys(&["a", "b", "c"]), &[Some(&first), Some(&b), Some(&c)], 512);
        assert_eq!(d.len(), 9);
        assert_eq!(d.encoding_name(), "hashtable");
        // With two keys the first algorithm always wins: only results are added.
        let d = difference(&keys(&["a", "b"]), &[Some(&first), Some(&b)], 512);
        assert_eq!(d.encoding_name(), "intset");
    }

    #[test]
    fn diff_with_the_first_key_repeated_is_empty() {
        let a = set_of(&["1", "2"]);
        assert!(difference(&keys(&["a", "a"]), &[Some(&a), Some(&a)], 512).is_empty());
        assert!(difference(&keys(&["n", "a"]), &[None, Some(&a)], 512).is_empty());
        let d = difference(&keys(&["a", "n"]), &[Some(&a), None], 512);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn intersection_with_a_missing_set_is_empty_and_limit_stops_early() {
        let a = set_of(&["1", "2", "3"]);
        let b = set_of(&["3", "2", "x"]);
        assert!(intersection(&[Some(&a), None], None).is_empty());
        assert_eq!(intersection(&[Some(&a), Some(&b)], None).len(), 2);
        assert_eq!(intersection(&[Some(&a), Some(&b)], Some(1)).len(), 1);
    }
}
