//! The ZRANGE family (ZRANGE, ZREVRANGE, Z[REV]RANGEBYSCORE,
//! Z[REV]RANGEBYLEX, ZRANGESTORE), ZCOUNT, ZLEXCOUNT and ZREMRANGEBY*.
//!
//! Score and lex ranges are located the way Redis walks a listpack: the first
//! element in range is the first one at or above the minimum, and the walk
//! then goes on while elements stay below the maximum (mirrored for reversed
//! walks). For score ranges that is simply "the elements in range". Lex
//! ranges assume equal scores; with mixed scores a listpack gives exactly
//! this answer, while a skiplist's answer depends on its random node levels
//! (Redis leaves that case unspecified).

use bytes::Bytes;

use super::{pick, score_pairs, ZSetValue};
use crate::command::sorted_sets::{LexRange, RangeArgs, RangeBy, ScoreRange};
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::reference::Model;
use crate::resp::Frame;

/// A range test over the ordered elements: score or lex.
trait Bounds {
    fn is_empty(&self) -> bool;
    fn above_min(&self, member: &[u8], score: f64) -> bool;
    fn below_max(&self, member: &[u8], score: f64) -> bool;
}

impl Bounds for ScoreRange {
    fn is_empty(&self) -> bool {
        ScoreRange::is_empty(self)
    }
    fn above_min(&self, _: &[u8], score: f64) -> bool {
        ScoreRange::above_min(self, score)
    }
    fn below_max(&self, _: &[u8], score: f64) -> bool {
        ScoreRange::below_max(self, score)
    }
}

impl Bounds for LexRange {
    fn is_empty(&self) -> bool {
        LexRange::is_empty(self)
    }
    fn above_min(&self, member: &[u8], _: f64) -> bool {
        LexRange::above_min(self, member)
    }
    fn below_max(&self, member: &[u8], _: f64) -> bool {
        LexRange::below_max(self, member)
    }
}

/// Elements as (member, score) in ascending order.
type Elements<'a> = Vec<(&'a [u8], f64)>;

/// Whether any element can be in range: the range is not empty, the last
/// element reaches the minimum and the first one is below the maximum.
fn in_range(all: &Elements<'_>, r: &impl Bounds) -> bool {
    match (all.first(), all.last()) {
        (Some(&(fm, fs)), Some(&(lm, ls))) => !r.is_empty() && r.above_min(lm, ls) && r.below_max(fm, fs),
        _ => false,
    }
}

/// Index of the first element in range, walking up.
fn first_in_range(all: &Elements<'_>, r: &impl Bounds) -> Option<usize> {
    if !in_range(all, r) {
        return None;
    }
    let i = all.iter().position(|&(m, s)| r.above_min(m, s))?;
    r.below_max(all[i].0, all[i].1).then_some(i)
}

/// Index of the last element in range, walking down.
fn last_in_range(all: &Elements<'_>, r: &impl Bounds) -> Option<usize> {
    if !in_range(all, r) {
        return None;
    }
    let i = all.iter().rposition(|&(m, s)| r.below_max(m, s))?;
    r.above_min(all[i].0, all[i].1).then_some(i)
}

/// The elements of a score or lex range in walk order, after skipping
/// `offset` of them (a negative offset skips everything, as Redis's
/// `while (offset--)` does) and taking at most `count` (negative: no limit).
fn walk<'a>(all: &Elements<'a>, r: &impl Bounds, rev: bool, offset: i64, count: i64) -> Vec<(&'a [u8], f64)> {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    if rev {
        let Some(start) = last_in_range(all, r) else { return Vec::new() };
        all[..=start].iter().rev().skip(skip).take(take).take_while(|&&(m, s)| r.above_min(m, s)).copied().collect()
    } else {
        let Some(start) = first_in_range(all, r) else { return Vec::new() };
        all[start..].iter().skip(skip).take(take).take_while(|&&(m, s)| r.below_max(m, s)).copied().collect()
    }
}

/// Redis's index sanitizing for rank ranges: `None` when the range is empty,
/// else the inclusive 0-based bounds.
fn rank_bounds(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len.saturating_add(start) } else { start }.max(0);
    let end = if end < 0 { len.saturating_add(end) } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The elements a ZRANGE-family command selects, in reply order.
fn select<'a>(z: &'a ZSetValue, args: &RangeArgs) -> Vec<(&'a [u8], f64)> {
    let all: Elements<'a> = z.entries().collect();
    match &args.by {
        RangeBy::Rank { start, end } => match rank_bounds(all.len(), *start, *end) {
            None => Vec::new(),
            Some((s, e)) if args.rev => {
                let n = all.len() - 1;
                (s..=e).map(|i| all[n - i]).collect()
            }
            Some((s, e)) => all[s..=e].to_vec(),
        },
        RangeBy::Score(r) => walk(&all, r, args.rev, args.offset, args.count),
        RangeBy::Lex(r) => walk(&all, r, args.rev, args.offset, args.count),
    }
}

/// What ZREMRANGEBY* deletes.
fn select_for_removal<'a>(z: &'a ZSetValue, by: &RangeBy) -> Vec<&'a [u8]> {
    let all: Elements<'a> = z.entries().collect();
    let picked = match by {
        RangeBy::Rank { start, end } => match rank_bounds(all.len(), *start, *end) {
            None => Vec::new(),
            Some((s, e)) => all[s..=e].to_vec(),
        },
        RangeBy::Score(r) => walk(&all, r, false, 0, -1),
        RangeBy::Lex(r) => walk(&all, r, false, 0, -1),
    };
    picked.into_iter().map(|(m, _)| m).collect()
}

fn owned(pairs: Vec<(&[u8], f64)>) -> Vec<(Bytes, f64)> {
    pairs.into_iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect()
}

impl Model {
    pub(super) fn zrange(&mut self, cx: &mut Context<'_>, args: &RangeArgs) -> RedisResult<Frame> {
        let picked = self.lookup_typed(cx, cx.db, &args.key, Access::Read, pick)?.map(|z| owned(select(z, args)));
        let picked = picked.unwrap_or_default();
        if let Some(dest) = &args.dest {
            let n = self.zstore_result(cx, dest, picked);
            return Ok(Frame::Integer(n as i64));
        }
        Ok(if args.withscores {
            score_pairs(picked)
        } else {
            Frame::Array(picked.into_iter().map(|(m, _)| Frame::Bulk(m)).collect())
        })
    }

    pub(super) fn zcount(&mut self, cx: &mut Context<'_>, key: &[u8], range: &ScoreRange) -> RedisResult<Frame> {
        let z = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
        let n = z.map_or(0, |z| walk(&z.entries().collect(), range, false, 0, -1).len());
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn zlexcount(&mut self, cx: &mut Context<'_>, key: &[u8], range: &LexRange) -> RedisResult<Frame> {
        let z = self.lookup_typed(cx, cx.db, key, Access::Read, pick)?;
        let n = z.map_or(0, |z| walk(&z.entries().collect(), range, false, 0, -1).len());
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn zremrange(&mut self, cx: &mut Context<'_>, key: &[u8], by: &RangeBy) -> RedisResult<Frame> {
        let doomed: Vec<Bytes> = match self.lookup_typed(cx, cx.db, key, Access::Write, pick)? {
            None => return Ok(Frame::Integer(0)),
            Some(z) => select_for_removal(z, by).into_iter().map(Bytes::copy_from_slice).collect(),
        };
        if doomed.is_empty() {
            return Ok(Frame::Integer(0));
        }
        if let Some(z) = self.zset_mut(cx.db, key) {
            for m in &doomed {
                z.remove(m);
            }
        }
        self.zdrop_if_empty(cx.db, key);
        cx.dirty += doomed.len() as u64;
        Ok(Frame::Integer(doomed.len() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::sorted_sets::{parse_lex_range, parse_score_range};

    fn zset(pairs: &[(&str, f64)]) -> ZSetValue {
        let limits = super::super::Limits { max_entries: 128, max_value: 64 };
        let mut z = ZSetValue::default();
        for (m, s) in pairs {
            z.insert(m.as_bytes(), *s, limits);
        }
        z
    }

    fn members(v: Vec<(&[u8], f64)>) -> Vec<String> {
        v.into_iter().map(|(m, _)| String::from_utf8_lossy(m).into_owned()).collect()
    }

    fn args(by: RangeBy, rev: bool, offset: i64, count: i64) -> RangeArgs {
        RangeArgs { dest: None, key: Bytes::new(), by, rev, offset, count, withscores: false }
    }

    #[test]
    fn rank_ranges_sanitize_like_redis() {
        assert_eq!(rank_bounds(5, 0, -1), Some((0, 4)));
        assert_eq!(rank_bounds(5, -100, 1), Some((0, 1)));
        assert_eq!(rank_bounds(5, 3, 100), Some((3, 4)));
        assert_eq!(rank_bounds(5, 5, 10), None);
        assert_eq!(rank_bounds(5, 2, 1), None);
        assert_eq!(rank_bounds(0, 0, -1), None);
        assert_eq!(rank_bounds(5, i64::MIN, i64::MAX), Some((0, 4)));
        let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]);
        let rev = select(&z, &args(RangeBy::Rank { start: 0, end: 1 }, true, 0, -1));
        assert_eq!(members(rev), vec!["c", "b"]);
    }

    #[test]
    fn score_ranges_with_limits() {
        let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]);
        let r = RangeBy::Score(parse_score_range(b"(1", b"4").unwrap());
        assert_eq!(members(select(&z, &args(r.clone(), false, 1, 1))), vec!["c"]);
        assert_eq!(members(select(&z, &args(r.clone(), true, 0, -1))), vec!["d", "c", "b"]);
        assert!(select(&z, &args(r.clone(), false, -1, 5)).is_empty());
        assert!(select(&z, &args(r, false, 0, 0)).is_empty());
    }

    #[test]
    fn lex_ranges_walk_like_a_listpack() {
        let z = zset(&[("a", 0.0), ("b", 0.0), ("c", 0.0)]);
        let r = RangeBy::Lex(parse_lex_range(b"[b", b"+").unwrap());
        assert_eq!(members(select(&z, &args(r.clone(), false, 0, -1))), vec!["b", "c"]);
        assert_eq!(members(select(&z, &args(r, true, 0, -1))), vec!["c", "b"]);
        // Mixed scores: the walk starts at the first element >= min in score order.
        let mixed = zset(&[("c", 1.0), ("a", 2.0), ("d", 3.0)]);
        let r = RangeBy::Lex(parse_lex_range(b"[b", b"[z").unwrap());
        assert_eq!(members(select(&mixed, &args(r, false, 0, -1))), vec!["c", "a", "d"]);
    }
}
