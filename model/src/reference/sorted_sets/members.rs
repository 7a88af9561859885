//! ZADD (and ZINCRBY, which is ZADD INCR) and ZREM.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::{limits, pick, Limits, ZSetValue};
use crate::command::sorted_sets::{ZAddFlags, SCORE_NAN};
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::reference::access::Access;
use crate::reference::value::Value;
use crate::reference::Model;
use crate::resp::Frame;

/// Where ZADD reads and writes scores: a dry run over an overlay (to learn
/// whether anything changes before the key is touched), or the set itself.
trait Scores {
    fn get(&self, member: &[u8]) -> Option<f64>;
    fn set(&mut self, member: &[u8], score: f64);
}

/// Changes recorded on top of the current set, which stays untouched.
struct DryRun<'a> {
    base: Option<&'a ZSetValue>,
    changes: BTreeMap<Bytes, f64>,
}

impl Scores for DryRun<'_> {
    fn get(&self, member: &[u8]) -> Option<f64> {
        self.changes.get(member).copied().or_else(|| self.base.and_then(|z| z.score(member)))
    }

    fn set(&mut self, member: &[u8], score: f64) {
        self.changes.insert(Bytes::copy_from_slice(member), score);
    }
}

struct Live<'a> {
    zset: &'a mut ZSetValue,
    limits: Limits,
}

impl Scores for Live<'_> {
    fn get(&self, member: &[u8]) -> Option<f64> {
        self.zset.score(member)
    }

    fn set(&mut self, member: &[u8], score: f64) {
        self.zset.insert(member, score, self.limits);
    }
}

/// What ZADD did: counts for the reply and for `dirty`, and the last score
/// (INCR's reply). Shared with the engine, which counts the same way.
#[derive(Default)]
pub struct ZAddOutcome {
    pub added: u64,
    pub updated: u64,
    pub processed: u64,
    pub score: f64,
}

impl ZAddOutcome {
    /// ZADD's reply: the new score under INCR, else how many were added
    /// (and updated, under CH).
    pub fn reply(&self, f: ZAddFlags) -> Frame {
        if f.incr {
            if self.processed > 0 {
                Frame::Double(self.score)
            } else {
                Frame::Null
            }
        } else {
            Frame::Integer((if f.ch { self.added + self.updated } else { self.added }) as i64)
        }
    }
}

/// Redis's `zsetAdd` over every pair, in order. Fails only when INCR makes
/// a NaN (inf + -inf); INCR has a single pair, so nothing changed then.
fn apply(target: &mut impl Scores, f: ZAddFlags, pairs: &[(f64, Bytes)]) -> RedisResult<ZAddOutcome> {
    let mut out = ZAddOutcome::default();
    for (score, member) in pairs {
        let mut score = *score;
        match target.get(member) {
            Some(current) => {
                if f.nx {
                    continue;
                }
                if f.incr {
                    score += current;
                    if score.is_nan() {
                        return Err(SCORE_NAN);
                    }
                }
                if (f.lt && score >= current) || (f.gt && score <= current) {
                    continue;
                }
                // Equal scores (0 and -0 included) leave the element as it is.
                if score != current {
                    target.set(member, score);
                    out.updated += 1;
                }
            }
            None if f.xx => continue,
            None => {
                target.set(member, score);
                out.added += 1;
            }
        }
        out.processed += 1;
        out.score = score;
    }
    Ok(out)
}

impl Model {
    pub(super) fn zadd(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        f: ZAddFlags,
        pairs: &[(f64, Bytes)],
    ) -> RedisResult<Frame> {
        let (exists, out) = {
            let base = self.lookup_typed(cx, cx.db, key, Access::Write, pick)?;
            let mut dry = DryRun { base, changes: BTreeMap::new() };
            // No key and XX: nothing to do, not even creating the key.
            let out = if base.is_none() && f.xx { ZAddOutcome::default() } else { apply(&mut dry, f, pairs)? };
            (base.is_some(), out)
        };
        if out.added + out.updated > 0 {
            let limits = limits(cx);
            if exists {
                if let Some(zset) = self.zset_mut(cx.db, key) {
                    apply(&mut Live { zset, limits }, f, pairs)?;
                }
            } else {
                let mut zset = ZSetValue::default();
                apply(&mut Live { zset: &mut zset, limits }, f, pairs)?;
                self.set_key(cx, cx.db, key, Value::ZSet(zset), false);
            }
            cx.dirty += out.added + out.updated;
        }
        Ok(out.reply(f))
    }

    pub(super) fn zrem(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let present: BTreeSet<&Bytes> = match self.lookup_typed(cx, cx.db, key, Access::Write, pick)? {
            None => return Ok(Frame::Integer(0)),
            Some(z) => members.iter().filter(|m| z.score(m).is_some()).collect(),
        };
        if present.is_empty() {
            return Ok(Frame::Integer(0));
        }
        if let Some(z) = self.zset_mut(cx.db, key) {
            for m in &present {
                z.remove(m);
            }
        }
        self.zdrop_if_empty(cx.db, key);
        cx.dirty += present.len() as u64;
        Ok(Frame::Integer(present.len() as i64))
    }
}
