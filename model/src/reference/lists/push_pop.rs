//! Pushes, pops and moves, with their blocking forms.
//!
//! Effects checked against `redis-cli --replica` on Redis 7.0.15: pushes,
//! LPOP/RPOP, LMOVE and RPOPLPUSH go out as sent; LMPOP and BLMPOP become
//! `LPOP|RPOP key n` with the number actually popped; a served BLPOP/BRPOP
//! becomes `LPOP|RPOP key`; a served BLMOVE becomes LMOVE with the direction
//! arguments as the client typed them, BRPOPLPUSH becomes RPOPLPUSH. Redis
//! propagates the same forms when it serves a client that was blocked, so a
//! retry by the node gives the right effect too.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::Model;
use crate::command::lists::{Block, End, MoveForm};
use crate::engine::{BlockOn, Context};
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::resp::Frame;

fn bulks(items: Vec<Bytes>) -> Frame {
    Frame::Array(items.into_iter().map(Frame::Bulk).collect())
}

/// A blocking command that found nothing to serve: parks the client if it
/// may block (the reply is then ignored), else answers as a timeout would.
pub fn block_or_timeout(cx: &mut Context<'_>, keys: &[Bytes], block: Block, on_timeout: Frame) -> Frame {
    if cx.may_block {
        let mut seen = BTreeSet::new();
        let keys = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
        // Redis adds the timeout to the clock without an overflow check; a
        // deadline that wraps around never fires, so it waits forever.
        let room = i64::MAX.saturating_sub(cx.now_ms.max(0)) as u64;
        let timeout_ms = block.timeout_ms.filter(|&ms| ms <= room);
        cx.block = Some(BlockOn { keys, timeout_ms, on_timeout: on_timeout.clone() });
    }
    on_timeout
}

impl Model {
    /// LPUSH, RPUSH, LPUSHX, RPUSHX: the new length; the X forms leave a
    /// missing key alone and answer 0.
    pub(super) fn lpush(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        end: End,
        elements: &[Bytes],
        only_existing: bool,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        if self.read_list(cx, key, Access::Write)?.is_none() {
            if only_existing {
                return Ok(Frame::Integer(0));
            }
            self.create_list(cx, db, key);
        }
        let l = self.stored_list_mut(db, key)?;
        for e in elements {
            l.push(end, e.clone());
        }
        let len = l.len();
        cx.dirty += elements.len() as u64;
        Ok(Frame::Integer(len as i64))
    }

    /// Pops up to `n` elements of the (existing) list at `key`, deleting it
    /// when it runs out.
    fn pop_elements(&mut self, db: usize, key: &[u8], end: End, n: u64) -> RedisResult<Vec<Bytes>> {
        let l = self.stored_list_mut(db, key)?;
        let mut out = Vec::with_capacity(n.min(l.len() as u64) as usize);
        while (out.len() as u64) < n {
            match l.pop(end) {
                Some(e) => out.push(e),
                None => break,
            }
        }
        self.drop_if_empty(db, key);
        Ok(out)
    }

    /// LPOP and RPOP. With a count the reply is an array (a null array for a
    /// missing key, an empty one for a count of 0); without, one element.
    pub(super) fn lpop(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        end: End,
        count: Option<u64>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let missing = if count.is_some() { Frame::NullArray } else { Frame::Null };
        if self.read_list(cx, key, Access::Write)?.is_none() {
            return Ok(missing);
        }
        if count == Some(0) {
            return Ok(Frame::Array(Vec::new()));
        }
        let popped = self.pop_elements(db, key, end, count.unwrap_or(1))?;
        cx.dirty += popped.len() as u64;
        Ok(match count {
            None => popped.into_iter().next().map_or(Frame::Null, Frame::Bulk),
            Some(_) => bulks(popped),
        })
    }

    /// BLPOP and BRPOP: the first key holding a list is served (a key of
    /// another type met before that is an error); `[key, element]`.
    pub(super) fn blpop(&mut self, cx: &mut Context<'_>, keys: &[Bytes], end: End, block: Block) -> RedisResult<Frame> {
        let db = cx.db;
        for key in keys {
            if self.read_list(cx, key, Access::Write)?.is_some() {
                let popped = self.pop_elements(db, key, end, 1)?;
                cx.dirty += 1;
                cx.rewrite(vec![Bytes::from_static(end.pop_name()), key.clone()]);
                let element = popped.into_iter().next().map_or(Frame::Null, Frame::Bulk);
                return Ok(Frame::Array(vec![Frame::Bulk(key.clone()), element]));
            }
        }
        Ok(block_or_timeout(cx, keys, block, Frame::NullArray))
    }

    /// LMPOP and BLMPOP: up to `count` elements of the first non-empty list,
    /// as `[key, [elements]]`.
    pub(super) fn lmpop(
        &mut self,
        cx: &mut Context<'_>,
        keys: &[Bytes],
        end: End,
        count: u64,
        block: Option<Block>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        for key in keys {
            if self.read_list(cx, key, Access::Write)?.is_some() {
                let popped = self.pop_elements(db, key, end, count)?;
                let n = popped.len();
                cx.dirty += n as u64;
                cx.rewrite(vec![Bytes::from_static(end.pop_name()), key.clone(), Bytes::from(n.to_string())]);
                return Ok(Frame::Array(vec![Frame::Bulk(key.clone()), bulks(popped)]));
            }
        }
        Ok(match block {
            Some(b) => block_or_timeout(cx, keys, b, Frame::NullArray),
            None => Frame::NullArray,
        })
    }

    /// LMOVE, RPOPLPUSH and their blocking forms. The destination's type is
    /// checked before anything moves; the source is deleted only after the
    /// push, so a one-element list rotated onto itself survives.
    pub(super) fn lmove(
        &mut self,
        cx: &mut Context<'_>,
        source: &Bytes,
        destination: &Bytes,
        (from, to): (End, End),
        form: MoveForm,
        block: Option<Block>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        if let Some(b) = block {
            // The blocking form looks at the source on its own first; when it
            // has data, the plain move runs and looks it up again, as in Redis.
            if self.read_list(cx, source, Access::Write)?.is_none() {
                // A parked client times out with a null array, like every list
                // blocker in Redis 7.0; inside MULTI the answer is a null bulk.
                let timeout_reply = block_or_timeout(cx, std::slice::from_ref(source), b, Frame::NullArray);
                return Ok(if cx.block.is_some() { timeout_reply } else { Frame::Null });
            }
        }
        if self.read_list(cx, source, Access::Write)?.is_none() {
            return Ok(Frame::Null);
        }
        let destination_exists = self.read_list(cx, destination, Access::Write)?.is_some();
        let Some(value) = self.stored_list_mut(db, source)?.pop(from) else {
            return Ok(Frame::Null);
        };
        if !destination_exists {
            self.create_list(cx, db, destination);
        }
        self.stored_list_mut(db, destination)?.push(to, value.clone());
        self.drop_if_empty(db, source);
        cx.dirty += 1;
        if block.is_some() {
            let rewritten = match form {
                MoveForm::RpopLpush => vec![Bytes::from_static(b"RPOPLPUSH"), source.clone(), destination.clone()],
                MoveForm::Lmove => {
                    // The directions go out as the client spelled them.
                    let word = |i: usize, end: End| {
                        cx.argv
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| Bytes::from_static(if end == End::Head { b"LEFT" } else { b"RIGHT" }))
                    };
                    vec![Bytes::from_static(b"LMOVE"), source.clone(), destination.clone(), word(3, from), word(4, to)]
                }
            };
            cx.rewrite(rewritten);
        }
        Ok(Frame::Bulk(value))
    }
}
