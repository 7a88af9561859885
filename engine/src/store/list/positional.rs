//! The commands that read or edit a list by position or by value: LINDEX,
//! LINSERT, LLEN, LPOS, LRANGE, LREM, LSET, LTRIM, as the model's
//! `reference/lists/positional.rs`, seeking by node counts.

use bytes::Bytes;
use redsim_model::command::lists::{End, PosArgs};
use redsim_model::command::parse_i64;
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::Access;
use redsim_model::{Context, Frame};

use redsim_model::reference::shared::{clamp_range, resolve_index};

use super::entry::Elem;
use crate::store::Engine;

impl Engine {
    /// LINDEX: the index is read only once the key is known to be a list.
    pub(super) fn lindex(&mut self, cx: &mut Context<'_>, key: &Bytes, index: &[u8]) -> RedisResult<Frame> {
        let Some(link) = self.lookup_list(cx, key, Access::Read)? else {
            return Ok(Frame::Null);
        };
        let index = parse_i64(index)?;
        let l = self.list_at(cx.db, link);
        Ok(resolve_index(l.len(), index).and_then(|i| l.get(i)).map_or(Frame::Null, Frame::Bulk))
    }

    /// LINSERT: next to the first occurrence of `pivot` from the head; the
    /// new length, -1 without a pivot, 0 without a list.
    pub(super) fn linsert(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        after: bool,
        pivot: &[u8],
        element: &Bytes,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_list(cx, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        let Some(i) = self.list_at(db, link).position(pivot) else {
            return Ok(Frame::Integer(-1));
        };
        let len = self.change_list(db, key, link, |l| {
            l.insert(if after { i + 1 } else { i }, element);
            l.len()
        });
        cx.dirty += 1;
        Ok(Frame::Integer(len as i64))
    }

    pub(super) fn llen(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let len = self.lookup_list(cx, key, Access::Read)?.map_or(0, |link| self.list_at(cx.db, link).len());
        Ok(Frame::Integer(len as i64))
    }

    /// LPOS, following Redis's loop step by step, its signed arithmetic
    /// included: RANK i64::MIN stays negative when negated, so every match
    /// counts as reached and a COUNT never stops the scan.
    pub(super) fn lpos(&mut self, cx: &mut Context<'_>, args: &PosArgs) -> RedisResult<Frame> {
        let Some(link) = self.lookup_list(cx, &args.key, Access::Read)? else {
            return Ok(if args.count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null });
        };
        let l = self.list_at(cx.db, link);
        let (rank, from_tail) = if args.rank < 0 { (args.rank.wrapping_neg(), true) } else { (args.rank, false) };
        let len = l.len();
        let needle = Elem::of(&args.element);
        let elements: &mut dyn Iterator<Item = Elem<'_>> = if from_tail { &mut l.iter().rev() } else { &mut l.iter() };
        let mut matches: i64 = 0;
        let mut found = Vec::new();
        let mut first = None;
        for (scanned, e) in elements.enumerate() {
            if args.maxlen != 0 && scanned as i64 >= args.maxlen {
                break;
            }
            if e != needle {
                continue;
            }
            let pos = if from_tail { len - scanned - 1 } else { scanned };
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
        Ok(match args.count {
            Some(_) => Frame::Array(found),
            None => first.map_or(Frame::Null, |p| Frame::Integer(p as i64)),
        })
    }

    pub(super) fn lrange(&mut self, cx: &mut Context<'_>, key: &Bytes, start: i64, stop: i64) -> RedisResult<Frame> {
        let Some(link) = self.lookup_list(cx, key, Access::Read)? else {
            return Ok(Frame::Array(Vec::new()));
        };
        let l = self.list_at(cx.db, link);
        Ok(match clamp_range(l.len(), start, stop) {
            None => Frame::Array(Vec::new()),
            Some((from, to)) => l.range(from, to).into_frame(),
        })
    }

    /// LREM: count > 0 removes from the head, < 0 from the tail, 0 all.
    pub(super) fn lrem(&mut self, cx: &mut Context<'_>, key: &Bytes, count: i64, element: &[u8]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_list(cx, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        if self.list_at(db, link).position(element).is_none() {
            return Ok(Frame::Integer(0));
        }
        let (from, limit) = match count {
            0 => (End::Head, None),
            c if c < 0 => (End::Tail, Some(c.unsigned_abs())),
            c => (End::Head, Some(c as u64)),
        };
        let removed = self.change_list(db, key, link, |l| l.remove_matching(element, from, limit));
        self.drop_if_empty(db, key, link);
        cx.dirty += removed;
        Ok(Frame::Integer(removed as i64))
    }

    /// LSET: "no such key" before the index is even read.
    pub(super) fn lset(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        index: &[u8],
        element: &Bytes,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_list(cx, key, Access::Write)? else {
            return Err(errors::NO_SUCH_KEY);
        };
        let index = parse_i64(index)?;
        let i = resolve_index(self.list_at(db, link).len(), index).ok_or(errors::OUT_OF_RANGE)?;
        self.change_list(db, key, link, |l| l.set(i, element));
        cx.dirty += 1;
        Ok(Frame::ok())
    }

    /// LTRIM: keeps `start..=stop`. Redis signals the key as modified even
    /// when nothing is cut, but counts (and propagates) only real changes.
    pub(super) fn ltrim(&mut self, cx: &mut Context<'_>, key: &Bytes, start: i64, stop: i64) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_list(cx, key, Access::Write)? else {
            return Ok(Frame::ok());
        };
        let len = self.list_at(db, link).len();
        let (head, tail) = match clamp_range(len, start, stop) {
            None => (len, 0),
            Some((from, to)) => (from, len - to - 1),
        };
        self.change_list(db, key, link, |l| l.trim(head, tail));
        self.drop_if_empty(db, key, link);
        cx.dirty += (head + tail) as u64;
        Ok(Frame::ok())
    }
}
