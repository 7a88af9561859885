//! Pushes, pops and moves, with their blocking forms: the model's
//! `reference/lists/push_pop.rs` on native lists. The effects (what replicas
//! and the AOF receive) are the model's, checked there against Redis 7.0:
//! LMPOP and BLMPOP go out as `LPOP|RPOP key n`, a served BLPOP/BRPOP as
//! `LPOP|RPOP key`, a served BLMOVE as LMOVE, BRPOPLPUSH as RPOPLPUSH.

use bytes::Bytes;
use redsim_model::command::lists::{Block, End, MoveForm};
use redsim_model::errors::RedisResult;
use redsim_model::reference::shared::Access;
use redsim_model::resp::BulkArray;
use redsim_model::{Context, Frame};

use crate::store::Engine;
use redsim_model::reference::shared::block_or_timeout;

impl Engine {
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
        let link = match self.lookup_list(cx, key, Access::Write)? {
            Some(link) => link,
            None if only_existing => return Ok(Frame::Integer(0)),
            None => self.create_list(cx, key),
        };
        let len = self.change_list(db, key, link, |l| {
            for e in elements {
                l.push(end, e);
            }
            l.len()
        });
        cx.dirty += elements.len() as u64;
        Ok(Frame::Integer(len as i64))
    }

    /// Pops one element of the list at `link`, deleting it when it runs out.
    fn pop_one(&mut self, db: usize, key: &Bytes, link: u32, end: End) -> Option<Bytes> {
        let popped = self.change_list(db, key, link, |l| l.pop(end));
        self.drop_if_empty(db, key, link);
        popped
    }

    /// Pops up to `n` elements of the list at `link`, deleting it when it
    /// runs out.
    fn pop_elements(&mut self, db: usize, key: &Bytes, link: u32, end: End, n: u64) -> BulkArray {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let popped = self.change_list(db, key, link, |l| l.pop_many(end, n));
        self.drop_if_empty(db, key, link);
        popped
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
        let Some(link) = self.lookup_list(cx, key, Access::Write)? else {
            return Ok(if count.is_some() { Frame::NullArray } else { Frame::Null });
        };
        if count == Some(0) {
            return Ok(Frame::Array(Vec::new()));
        }
        Ok(match count {
            None => {
                let popped = self.pop_one(db, key, link, end);
                cx.dirty += popped.is_some() as u64;
                popped.map_or(Frame::Null, Frame::Bulk)
            }
            Some(n) => {
                let popped = self.pop_elements(db, key, link, end, n);
                cx.dirty += popped.len() as u64;
                popped.into_frame()
            }
        })
    }

    /// BLPOP and BRPOP: the first key holding a list is served (a key of
    /// another type met before that is an error); `[key, element]`.
    pub(super) fn blpop(&mut self, cx: &mut Context<'_>, keys: &[Bytes], end: End, block: Block) -> RedisResult<Frame> {
        let db = cx.db;
        for key in keys {
            if let Some(link) = self.lookup_list(cx, key, Access::Write)? {
                let popped = self.pop_one(db, key, link, end);
                cx.dirty += 1;
                cx.rewrite(vec![Bytes::from_static(end.pop_name()), key.clone()]);
                let element = popped.map_or(Frame::Null, Frame::Bulk);
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
            if let Some(link) = self.lookup_list(cx, key, Access::Write)? {
                let popped = self.pop_elements(db, key, link, end, count);
                let n = popped.len();
                cx.dirty += n as u64;
                cx.rewrite(vec![Bytes::from_static(end.pop_name()), key.clone(), Bytes::from(n.to_string())]);
                return Ok(Frame::Array(vec![Frame::Bulk(key.clone()), popped.into_frame()]));
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
            if self.lookup_list(cx, source, Access::Write)?.is_none() {
                // A parked client times out with a null array, like every list
                // blocker in Redis 7.0; inside MULTI the answer is a null bulk.
                let timeout_reply = block_or_timeout(cx, std::slice::from_ref(source), b, Frame::NullArray);
                return Ok(if cx.block.is_some() { timeout_reply } else { Frame::Null });
            }
        }
        let Some(src) = self.lookup_list(cx, source, Access::Write)? else {
            return Ok(Frame::Null);
        };
        let dst = self.lookup_list(cx, destination, Access::Write)?;
        let Some(value) = self.change_list(db, source, src, |l| l.pop(from)) else {
            return Ok(Frame::Null);
        };
        let dst = match dst {
            Some(link) => link,
            None => self.create_list(cx, destination),
        };
        self.change_list(db, destination, dst, |l| l.push(to, &value));
        self.drop_if_empty(db, source, src);
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
