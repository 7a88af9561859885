//! The native sorted set commands, each following its model counterpart in
//! `model/src/reference/sorted_sets/` (members.rs, ranges.rs, pops.rs,
//! sampling.rs) step for step.

use std::collections::BTreeSet;

use bytes::Bytes;
use rand::Rng;
use redsim_model::command::sorted_sets::{PopArgs, PopForm, RangeArgs, RangeBy, ZAddFlags, SCORE_NAN};
use redsim_model::command::ScanOptions;
use redsim_model::errors::RedisResult;
use redsim_model::glob::glob_match;
use redsim_model::reference::shared::{random_indexes, Access};
use redsim_model::reference::ZAddOutcome;
use redsim_model::resp::BulkArray;
use redsim_model::{BlockOn, Context, Frame};

use super::range::{rank_bounds, span, walk, Bounds};
use super::value::{Limits, View, ZSetObj};
use crate::store::object::Obj;
use crate::store::Engine;

/// Redis's `zsetAdd` over every pair, in order (the model's `apply`), on
/// the set itself. It fails only when INCR makes a NaN, and INCR takes a
/// single pair, so a failure has changed nothing: the model's dry run is
/// not needed here, and [`Db::change_if`] logs the key only if a score
/// changed.
///
/// [`Db::change_if`]: crate::store::db::Db::change_if
fn apply(zset: &mut ZSetObj, limits: Limits, f: ZAddFlags, pairs: &[(f64, Bytes)]) -> RedisResult<ZAddOutcome> {
    let mut out = ZAddOutcome::default();
    for (score, member) in pairs {
        let mut score = *score;
        match zset.score(member) {
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
                if score != current {
                    zset.insert(member, score, limits);
                    out.updated += 1;
                }
            }
            None if f.xx => continue,
            None => {
                zset.insert(member, score, limits);
                out.added += 1;
            }
        }
        out.processed += 1;
        out.score = score;
    }
    Ok(out)
}

/// WITHSCORES pairs: nested for RESP3, flat for RESP2.
pub(super) fn score_pairs(pairs: impl IntoIterator<Item = (Bytes, f64)>) -> Frame {
    Frame::Pairs(pairs.into_iter().map(|(m, s)| (Frame::Bulk(m), Frame::Double(s))).collect())
}

fn owned(pairs: Vec<(&[u8], f64)>) -> Vec<(Bytes, f64)> {
    pairs.into_iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect()
}

/// The elements a ZRANGE-family command selects, in reply order.
fn select<'a>(v: &View<'a>, args: &RangeArgs) -> Vec<(&'a [u8], f64)> {
    match &args.by {
        RangeBy::Rank { start, end } => match rank_bounds(v.len(), *start, *end) {
            None => Vec::new(),
            Some((s, e)) if args.rev => v.walk_from(v.len() - 1 - s, true).take(e - s + 1).collect(),
            Some((s, e)) => v.walk_from(s, false).take(e - s + 1).collect(),
        },
        RangeBy::Score(r) => walk(v, r, args.rev, args.offset, args.count),
        RangeBy::Lex(r) => walk(v, r, args.rev, args.offset, args.count),
    }
}

impl Engine {
    pub(super) fn zadd(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        f: ZAddFlags,
        pairs: &[(f64, Bytes)],
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let link = self.lookup_zset(cx, key, Access::Write)?;
        let limits = Limits::from_config(cx.config);
        let out = match link {
            Some(l) => self.dbs[db].change_if(key, l, |obj| {
                let Obj::ZSet(zset) = obj else { unreachable!("checked to be a sorted set by lookup_zset") };
                let out = apply(zset, limits, f, pairs);
                let changed = out.as_ref().is_ok_and(|o| o.added + o.updated > 0);
                (out, changed)
            })?,
            None => {
                let mut zset = ZSetObj::default();
                let out = apply(&mut zset, limits, f, pairs)?;
                // No member added (XX on a missing key): no key either.
                if out.added > 0 {
                    self.create_zset(cx, key, zset);
                }
                out
            }
        };
        cx.dirty += out.added + out.updated;
        Ok(out.reply(f))
    }

    pub(super) fn zrem(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_zset(cx, key, Access::Write)? else { return Ok(Frame::Integer(0)) };
        let z = self.zset_at(db, link);
        let present: BTreeSet<&Bytes> = members.iter().filter(|m| z.score(m).is_some()).collect();
        if present.is_empty() {
            return Ok(Frame::Integer(0));
        }
        let n = present.len();
        let present: Vec<Bytes> = present.into_iter().cloned().collect();
        self.change_zset(db, key, link, |z| {
            present.iter().for_each(|m| {
                z.remove(m);
            })
        });
        self.zdrop_if_empty(db, key, link);
        cx.dirty += n as u64;
        Ok(Frame::Integer(n as i64))
    }

    /// ZRANGE and its older forms, without STORE.
    pub(super) fn zrange(&mut self, cx: &mut Context<'_>, args: &RangeArgs) -> RedisResult<Frame> {
        let db = cx.db;
        let link = self.lookup_zset(cx, &args.key, Access::Read)?;
        if let Some(dest) = &args.dest {
            let picked = link.map(|l| owned(select(&self.zset_at(db, l).view(), args))).unwrap_or_default();
            let n = self.zstore_result(cx, dest, picked);
            return Ok(Frame::Integer(n as i64));
        }
        let view = link.map(|l| self.zset_at(db, l).view());
        let picked = view.map(|v| select(&v, args)).unwrap_or_default();
        // The members go out as slices of one buffer: one allocation for
        // the reply's text rather than one per member.
        let mut texts = BulkArray::with_capacity(picked.len(), picked.iter().map(|(m, _)| m.len()).sum());
        picked.iter().for_each(|(m, _)| texts.push(m));
        Ok(if args.withscores {
            let scores = picked.iter().map(|&(_, s)| Frame::Double(s));
            Frame::Pairs(texts.into_bulks().into_iter().zip(scores).collect())
        } else {
            texts.into_frame()
        })
    }

    /// Stores a computed result at `dest` as the *STORE commands do (the
    /// model's `zstore_result`): a non-empty result replaces whatever was
    /// there, TTL included; an empty one deletes the destination.
    pub(super) fn zstore_result(&mut self, cx: &mut Context<'_>, dest: &Bytes, pairs: Vec<(Bytes, f64)>) -> usize {
        let (db, n) = (cx.db, pairs.len());
        if n > 0 {
            // Redis's setKey looks the destination up first (expiring it).
            self.lookup(cx, db, dest, Access::Write);
            let z = ZSetObj::from_pairs(pairs, Limits::from_config(cx.config));
            self.set_key(cx, db, dest, Obj::ZSet(Box::new(z)), false);
            cx.dirty += 1;
        } else if self.server_delete(cx, db, dest) {
            cx.dirty += 1;
        }
        n
    }

    /// ZCOUNT and ZLEXCOUNT.
    pub(super) fn zcount(&mut self, cx: &mut Context<'_>, key: &Bytes, range: &impl Bounds) -> RedisResult<Frame> {
        let db = cx.db;
        let link = self.lookup_zset(cx, key, Access::Read)?;
        let n = link.map_or(0, |l| {
            let (a, b) = span(&self.zset_at(db, l).view(), range);
            b - a
        });
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn zremrange(&mut self, cx: &mut Context<'_>, key: &Bytes, by: &RangeBy) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_zset(cx, key, Access::Write)? else { return Ok(Frame::Integer(0)) };
        let doomed: Vec<Bytes> = {
            let v = self.zset_at(db, link).view();
            let (a, b) = match by {
                RangeBy::Rank { start, end } => rank_bounds(v.len(), *start, *end).map_or((0, 0), |(s, e)| (s, e + 1)),
                RangeBy::Score(r) => span(&v, r),
                RangeBy::Lex(r) => span(&v, r),
            };
            (a..b).map(|i| Bytes::copy_from_slice(v.at(i).0)).collect()
        };
        if doomed.is_empty() {
            return Ok(Frame::Integer(0));
        }
        self.change_zset(db, key, link, |z| {
            doomed.iter().for_each(|m| {
                z.remove(m);
            })
        });
        self.zdrop_if_empty(db, key, link);
        cx.dirty += doomed.len() as u64;
        Ok(Frame::Integer(doomed.len() as i64))
    }

    /// ZPOPMIN/MAX, ZMPOP and the blocking forms (the model's `zpop`).
    pub(super) fn zpop(&mut self, cx: &mut Context<'_>, p: &PopArgs) -> RedisResult<Frame> {
        let db = cx.db;
        let mut found = None;
        for key in &p.keys {
            if let Some(link) = self.lookup_zset(cx, key, Access::Write)? {
                if !self.zset_at(db, link).is_empty() {
                    found = Some((key.clone(), link));
                    break;
                }
            }
        }
        let Some((key, link)) = found else {
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
        let popped: Vec<(Bytes, f64)> = self.change_zset(db, &key, link, |z| {
            let mut popped = Vec::new();
            while (popped.len() as u64) < wanted {
                match z.pop(p.max) {
                    Some(pair) => popped.push(pair),
                    None => break,
                }
            }
            popped
        });
        self.zdrop_if_empty(db, &key, link);
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
            PopForm::Multi | PopForm::BlockingMulti => Frame::Array(vec![
                Frame::Bulk(key),
                Frame::Array(
                    popped.into_iter().map(|(m, s)| Frame::Array(vec![Frame::Bulk(m), Frame::Double(s)])).collect(),
                ),
            ]),
        })
    }

    /// ZRANDMEMBER, drawing from the seeded generator as the model does.
    pub(super) fn zrandmember(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        count: Option<i64>,
        withscores: bool,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let empty = || if count.is_none() { Frame::Null } else { Frame::Array(Vec::new()) };
        let Some(link) = self.lookup_zset(cx, key, Access::Read)? else { return Ok(empty()) };
        let v = self.zset_at(db, link).view();
        if v.len() == 0 {
            return Ok(empty());
        }
        let Some(count) = count else {
            let i = cx.rng.gen_range(0..v.len());
            return Ok(Frame::Bulk(Bytes::copy_from_slice(v.at(i).0)));
        };
        let picked: Vec<(Bytes, f64)> = random_indexes(cx.rng, v.len(), count)
            .into_iter()
            .map(|i| {
                let (m, s) = v.at(i);
                (Bytes::copy_from_slice(m), s)
            })
            .collect();
        Ok(if withscores {
            score_pairs(picked)
        } else {
            Frame::Array(picked.into_iter().map(|(m, _)| Frame::Bulk(m)).collect())
        })
    }

    /// ZSCAN: options are read after the key; scores go out as bulk strings.
    pub(super) fn zscan(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        cursor: u64,
        options: &[Bytes],
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_zset(cx, key, Access::Read)? else {
            return Ok(super::super::scan_reply(0, Vec::new()));
        };
        let opts = ScanOptions::parse(options, false)?;
        let count = usize::try_from(opts.count).unwrap_or(usize::MAX);
        let (next, pairs) = self.zset_at(db, link).scan(cursor, count);
        let mut items = Vec::new();
        for (m, s) in pairs {
            if opts.pattern.as_ref().is_some_and(|p| !glob_match(p, &m, false)) {
                continue;
            }
            items.push(Frame::Bulk(m));
            items.push(Frame::bulk(s));
        }
        Ok(super::super::scan_reply(next, items))
    }
}
