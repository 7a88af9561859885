//! Locating score, lex and rank ranges, as the model's `ranges.rs` walks
//! them: the first element in range is the first at or above the minimum,
//! and the walk goes on while elements stay below the maximum (mirrored for
//! reversed walks). When the test is monotone over the order (every score
//! range; a lex range over equal scores) the ends are found by one descent
//! of the order ([`View::first_where`], O(log n)); a lex range over mixed
//! scores is walked linearly, which gives the model's (listpack's) answer.

use redsim_model::command::sorted_sets::{LexRange, ScoreRange};

use super::value::View;

/// A range test over the ordered elements: score or lex.
pub trait Bounds {
    fn is_empty(&self) -> bool;
    fn above_min(&self, member: &[u8], score: f64) -> bool;
    fn below_max(&self, member: &[u8], score: f64) -> bool;
    /// Whether `above_min` and `below_max` each change at most once along `v`.
    fn monotone(&self, v: &View<'_>) -> bool;
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
    fn monotone(&self, _: &View<'_>) -> bool {
        true
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
    fn monotone(&self, v: &View<'_>) -> bool {
        // Sorted by score, so equal ends mean all scores are equal.
        v.len() == 0 || v.at(0).1 == v.at(v.len() - 1).1
    }
}

/// The first index in `lo..hi` where `pred` turns true, assuming it is
/// false then true along the range.
pub(super) fn partition(lo: usize, hi: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Whether any element can be in range.
fn in_range(v: &View<'_>, r: &impl Bounds) -> bool {
    let n = v.len();
    if n == 0 || r.is_empty() {
        return false;
    }
    let ((fm, fs), (lm, ls)) = (v.at(0), v.at(n - 1));
    r.above_min(lm, ls) && r.below_max(fm, fs)
}

/// Index of the first element in range, walking up.
fn first_in_range(v: &View<'_>, r: &impl Bounds) -> Option<usize> {
    if !in_range(v, r) {
        return None;
    }
    let n = v.len();
    let above = |i: usize| {
        let (m, s) = v.at(i);
        r.above_min(m, s)
    };
    let i =
        if r.monotone(v) { v.first_where(|m, s| r.above_min(m, s)) } else { (0..n).find(|&i| above(i)).unwrap_or(n) };
    if i == n {
        return None;
    }
    let (m, s) = v.at(i);
    r.below_max(m, s).then_some(i)
}

/// Index of the last element in range, walking down.
fn last_in_range(v: &View<'_>, r: &impl Bounds) -> Option<usize> {
    if !in_range(v, r) {
        return None;
    }
    let n = v.len();
    let below = |i: usize| {
        let (m, s) = v.at(i);
        r.below_max(m, s)
    };
    let end = if r.monotone(v) {
        v.first_where(|m, s| !r.below_max(m, s))
    } else {
        (0..n).rev().find(|&i| below(i)).map_or(0, |i| i + 1)
    };
    let i = end.checked_sub(1)?;
    let (m, s) = v.at(i);
    r.above_min(m, s).then_some(i)
}

/// The elements of a score or lex range in walk order, after skipping
/// `offset` (a negative offset skips everything, as Redis's `while
/// (offset--)`) and taking at most `count` (negative: no limit).
pub fn walk<'a>(v: &View<'a>, r: &impl Bounds, rev: bool, offset: i64, count: i64) -> Vec<(&'a [u8], f64)> {
    let skip = usize::try_from(offset).unwrap_or(usize::MAX);
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    if rev {
        let Some(start) = last_in_range(v, r) else { return out };
        let Some(i) = start.checked_sub(skip) else { return out };
        out.extend(v.walk_from(i, true).take(take).take_while(|&(m, s)| r.above_min(m, s)));
    } else {
        let Some(start) = first_in_range(v, r) else { return out };
        let i = start.saturating_add(skip);
        if i < v.len() {
            out.extend(v.walk_from(i, false).take(take).take_while(|&(m, s)| r.below_max(m, s)));
        }
    }
    out
}

/// The ranks `start..end` of an upward walk with no limit (ZCOUNT,
/// ZLEXCOUNT, ZREMRANGEBYSCORE/LEX), without copying the elements.
pub fn span(v: &View<'_>, r: &impl Bounds) -> (usize, usize) {
    let Some(start) = first_in_range(v, r) else { return (0, 0) };
    let n = v.len();
    let below = |i: usize| {
        let (m, s) = v.at(i);
        r.below_max(m, s)
    };
    // Everything before `start` is below the minimum, so below the maximum
    // too: the turn of the whole order is the end.
    let end = if r.monotone(v) {
        v.first_where(|m, s| !r.below_max(m, s))
    } else {
        (start..n).find(|&i| !below(i)).unwrap_or(n)
    };
    (start, end)
}

/// Redis's index sanitizing for rank ranges: `None` when empty, else the
/// inclusive 0-based bounds.
pub fn rank_bounds(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len.saturating_add(start) } else { start }.max(0);
    let end = if end < 0 { len.saturating_add(end) } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}
