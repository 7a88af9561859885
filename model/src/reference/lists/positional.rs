//! The commands that read or edit a list by position or by value: LINDEX,
//! LINSERT, LLEN, LPOS, LRANGE, LREM, LSET, LTRIM.

use bytes::Bytes;

use super::Model;
use crate::command::lists::{End, PosArgs};
use crate::command::parse_i64;
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::reference::access::Access;
use crate::resp::Frame;

/// Redis's range rule shared by LRANGE and LTRIM: negative indexes count
/// from the tail, the start is clamped to 0 and the end to the last element.
/// `None` when the range holds nothing.
pub fn clamp_range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

/// Redis's index rule: negative counts from the tail (-1 is the last);
/// `None` when outside a list of `len` elements.
pub fn resolve_index(len: usize, index: i64) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { index + len } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

impl Model {
    /// LINDEX: the index is read only once the key is known to be a list.
    pub(super) fn lindex(&mut self, cx: &mut Context<'_>, key: &[u8], index: &[u8]) -> RedisResult<Frame> {
        let Some(l) = self.read_list(cx, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        let index = parse_i64(index)?;
        Ok(l.resolve_index(index).and_then(|i| l.get(i)).map_or(Frame::Null, |e| Frame::Bulk(e.clone())))
    }

    /// LINSERT: next to the first occurrence of `pivot` from the head; the
    /// new length, -1 without a pivot, 0 without a list.
    pub(super) fn linsert(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        after: bool,
        pivot: &[u8],
        element: &Bytes,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(l) = self.read_list(cx, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        let Some(i) = l.position(pivot) else {
            return Ok(Frame::Integer(-1));
        };
        let l = self.stored_list_mut(db, key)?;
        l.insert(if after { i + 1 } else { i }, element.clone());
        cx.dirty += 1;
        Ok(Frame::Integer(l.len() as i64))
    }

    pub(super) fn llen(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        let len = self.read_list(cx, key, Access::Read)?.map_or(0, |l| l.len());
        Ok(Frame::Integer(len as i64))
    }

    /// LPOS, following Redis's loop step by step, its signed arithmetic
    /// included: RANK i64::MIN stays negative when negated, so every match
    /// counts as reached and a COUNT never stops the scan.
    pub(super) fn lpos(&mut self, cx: &mut Context<'_>, args: &PosArgs) -> RedisResult<Frame> {
        let Some(l) = self.read_list(cx, &args.key, Access::Read)? else {
            return Ok(if args.count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null });
        };
        let (rank, from_tail) = if args.rank < 0 { (args.rank.wrapping_neg(), true) } else { (args.rank, false) };
        let len = l.len();
        let mut matches: i64 = 0;
        let mut found = Vec::new();
        let mut first = None;
        for scanned in 0..len {
            if args.maxlen != 0 && scanned as i64 >= args.maxlen {
                break;
            }
            let pos = if from_tail { len - scanned - 1 } else { scanned };
            if l.get(pos).is_some_and(|e| e[..] == args.element[..]) {
                matches += 1;
                if matches >= rank {
                    match args.count {
                        None => {
                            first = Some(pos);
                            break;
                        }
                        Some(count) => {
                            found.push(Frame::Integer(pos as i64));
                            if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                                break;
                            }
                        }
                    }
                }
            }
        }
        Ok(match args.count {
            Some(_) => Frame::Array(found),
            None => first.map_or(Frame::Null, |p| Frame::Integer(p as i64)),
        })
    }

    pub(super) fn lrange(&mut self, cx: &mut Context<'_>, key: &[u8], start: i64, stop: i64) -> RedisResult<Frame> {
        let Some(l) = self.read_list(cx, key, Access::Read)? else {
            return Ok(Frame::Array(Vec::new()));
        };
        Ok(match clamp_range(l.len(), start, stop) {
            None => Frame::Array(Vec::new()),
            Some((from, to)) => Frame::Array(l.range(from, to).cloned().map(Frame::Bulk).collect()),
        })
    }

    /// LREM: count > 0 removes from the head, < 0 from the tail, 0 all.
    pub(super) fn lrem(&mut self, cx: &mut Context<'_>, key: &[u8], count: i64, element: &[u8]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(l) = self.read_list(cx, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        if l.position(element).is_none() {
            return Ok(Frame::Integer(0));
        }
        let (from, limit) = match count {
            0 => (End::Head, None),
            c if c < 0 => (End::Tail, Some(c.unsigned_abs())),
            c => (End::Head, Some(c as u64)),
        };
        let removed = self.stored_list_mut(db, key)?.remove_matching(element, from, limit);
        self.drop_if_empty(db, key);
        cx.dirty += removed;
        Ok(Frame::Integer(removed as i64))
    }

    /// LSET: "no such key" before the index is even read.
    pub(super) fn lset(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        index: &[u8],
        element: &Bytes,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(l) = self.read_list(cx, key, Access::Write)? else {
            return Err(errors::NO_SUCH_KEY);
        };
        let index = parse_i64(index)?;
        let i = l.resolve_index(index).ok_or(errors::OUT_OF_RANGE)?;
        self.stored_list_mut(db, key)?.set(i, element.clone());
        cx.dirty += 1;
        Ok(Frame::ok())
    }

    /// LTRIM: keeps `start..=stop`. Redis signals the key as modified even
    /// when nothing is cut, but counts (and propagates) only real changes.
    pub(super) fn ltrim(&mut self, cx: &mut Context<'_>, key: &[u8], start: i64, stop: i64) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(l) = self.read_list(cx, key, Access::Write)? else {
            return Ok(Frame::ok());
        };
        let len = l.len();
        let (head, tail) = match clamp_range(len, start, stop) {
            None => (len, 0),
            Some((from, to)) => (from, len - to - 1),
        };
        self.stored_list_mut(db, key)?.trim(head, tail);
        self.drop_if_empty(db, key);
        cx.dirty += (head + tail) as u64;
        Ok(Frame::ok())
    }
}
