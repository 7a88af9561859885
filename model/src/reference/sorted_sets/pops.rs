//! ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP.
//!
//! All of them pop from the first key (in argument order) that holds a
//! sorted set; a key of another type met before it is an error. Replicas and
//! the AOF see what Redis sends: ZPOPMIN/ZPOPMAX as typed, ZMPOP and BZMPOP
//! as `ZPOPMIN|ZPOPMAX key <number popped>`, BZPOPMIN/BZPOPMAX as
//! `ZPOPMIN|ZPOPMAX key`.

use bytes::Bytes;

use super::{nested_pairs, pick, score_pairs};
use crate::command::sorted_sets::{PopArgs, PopForm};
use crate::engine::{BlockOn, Context};
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::reference::Model;
use crate::resp::Frame;

impl Model {
    pub(super) fn zpop(&mut self, cx: &mut Context<'_>, p: &PopArgs) -> RedisResult<Frame> {
        let mut found = None;
        for key in &p.keys {
            if let Some(z) = self.lookup_typed(cx, cx.db, key, Access::Write, pick)? {
                if !z.is_empty() {
                    found = Some(key.clone());
                    break;
                }
            }
        }
        let Some(key) = found else {
            return Ok(match p.form {
                PopForm::Plain => Frame::Array(Vec::new()),
                PopForm::Multi => Frame::NullArray,
                PopForm::Blocking | PopForm::BlockingMulti => {
                    // Inside MULTI a blocking pop cannot wait: it times out at once.
                    if cx.may_block {
                        cx.block = Some(BlockOn {
                            keys: p.keys.clone(),
                            timeout_ms: p.timeout_ms,
                            on_timeout: Frame::NullArray,
                        });
                    }
                    Frame::NullArray
                }
            });
        };
        let wanted = p.count.unwrap_or(1);
        if wanted == 0 {
            return Ok(Frame::Array(Vec::new()));
        }
        let mut popped: Vec<(Bytes, f64)> = Vec::new();
        if let Some(z) = self.zset_mut(cx.db, &key) {
            while (popped.len() as u64) < wanted {
                match z.pop(p.max) {
                    Some(pair) => popped.push(pair),
                    None => break,
                }
            }
        }
        self.zdrop_if_empty(cx.db, &key);
        cx.dirty += popped.len() as u64;

        let verb = Bytes::from_static(if p.max { b"ZPOPMAX" } else { b"ZPOPMIN" });
        match p.form {
            PopForm::Plain => {}
            PopForm::Blocking => cx.rewrite(vec![verb, key.clone()]),
            PopForm::Multi | PopForm::BlockingMulti => {
                cx.rewrite(vec![verb, key.clone(), Bytes::from(popped.len().to_string())])
            }
        }
        Ok(match p.form {
            PopForm::Plain if p.count.is_none() => {
                Frame::Array(popped.into_iter().flat_map(|(m, s)| [Frame::Bulk(m), Frame::Double(s)]).collect())
            }
            PopForm::Plain => score_pairs(popped),
            PopForm::Blocking => {
                let mut reply = vec![Frame::Bulk(key)];
                reply.extend(popped.into_iter().flat_map(|(m, s)| [Frame::Bulk(m), Frame::Double(s)]));
                Frame::Array(reply)
            }
            PopForm::Multi | PopForm::BlockingMulti => Frame::Array(vec![Frame::Bulk(key), nested_pairs(popped)]),
        })
    }
}
