//! ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD: the model's
//! `reference/sorted_sets/algebra.rs` on native values.
//!
//! Inputs may be sorted sets or plain sets (whose members score 1). Every
//! key is looked up before any option is read (a wrong type wins over a bad
//! option), and union and intersection visit the inputs from the smallest
//! to the largest (a stable sort): floating-point sums depend on that order,
//! and MIN/MAX keep the first of two equal scores (0 and -0).

use std::collections::BTreeMap;

use bytes::Bytes;
use redsim_model::command::sorted_sets::{Aggregate, SetOp, SetOpArgs, SetOpOptions};
use redsim_model::errors::{self, RedisResult};
use redsim_model::reference::shared::Access;
use redsim_model::{Context, Frame};

use super::commands::score_pairs;
use super::tree::cmp_entry;
use crate::store::object::Obj;
use crate::store::Engine;

/// One input, copied out of the keyspace: its elements and an index to find
/// a member's score.
#[derive(Default)]
struct Input {
    elements: Vec<(Bytes, f64)>,
    scores: BTreeMap<Bytes, f64>,
}

impl Input {
    fn from_pairs(elements: Vec<(Bytes, f64)>) -> Input {
        let scores = elements.iter().cloned().collect();
        Input { elements, scores }
    }

    fn len(&self) -> usize {
        self.elements.len()
    }
}

/// A weighted score; 0 * inf gives 0 rather than NaN.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// Redis's `zunionInterAggregate`: a NaN sum becomes 0; MIN and MAX keep
/// the current score unless the new one is strictly better.
fn aggregate(target: &mut f64, v: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if v < *target {
                *target = v;
            }
        }
        Aggregate::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

fn union(inputs: &[(&Input, f64)], how: Aggregate) -> Vec<(Bytes, f64)> {
    let mut acc: BTreeMap<Bytes, f64> = BTreeMap::new();
    for (input, weight) in inputs {
        for (m, s) in &input.elements {
            let v = weighted(*s, *weight);
            match acc.get_mut(m) {
                Some(t) => aggregate(t, v, how),
                None => {
                    acc.insert(m.clone(), v);
                }
            }
        }
    }
    acc.into_iter().collect()
}

/// The members of the first (smallest) input found in all others; stops
/// after `limit` members (0: no limit).
fn inter(inputs: &[(&Input, f64)], how: Aggregate, limit: u64) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    let Some(((first, w0), rest)) = inputs.split_first() else { return out };
    'elements: for (m, s) in &first.elements {
        let mut score = weighted(*s, *w0);
        for (other, w) in rest {
            match other.scores.get(m) {
                // Only the first input's product is cleaned of NaN.
                Some(v) => aggregate(&mut score, v * w, how),
                None => continue 'elements,
            }
        }
        out.push((m.clone(), score));
        if limit > 0 && out.len() as u64 >= limit {
            break;
        }
    }
    out
}

/// The members of the first input found in no other.
fn diff(inputs: &[Input]) -> Vec<(Bytes, f64)> {
    let Some((first, rest)) = inputs.split_first() else { return Vec::new() };
    first.elements.iter().filter(|(m, _)| !rest.iter().any(|i| i.scores.contains_key(m))).cloned().collect()
}

impl Engine {
    pub(super) fn zsetop(&mut self, cx: &mut Context<'_>, args: &SetOpArgs) -> RedisResult<Frame> {
        let db = cx.db;
        let mut inputs = Vec::with_capacity(args.keys.len());
        for key in &args.keys {
            let input = match self.lookup(cx, db, key, Access::Read).map(|l| &self.dbs[db].node(l).obj) {
                None => Input::default(),
                Some(Obj::ZSet(z)) => {
                    Input::from_pairs(z.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect())
                }
                Some(Obj::Set(s)) => {
                    let mut text = [0u8; 20];
                    Input::from_pairs(s.iter().map(|m| (Bytes::copy_from_slice(m.text(&mut text)), 1.0)).collect())
                }
                Some(_) => return Err(errors::WRONGTYPE),
            };
            inputs.push(input);
        }
        let opts = SetOpOptions::parse(args)?;

        let mut result = match args.op {
            SetOp::Diff => diff(&inputs),
            SetOp::Union | SetOp::Inter => {
                let mut weighted: Vec<(&Input, f64)> = inputs.iter().zip(opts.weights.iter().copied()).collect();
                weighted.sort_by_key(|(i, _)| i.len());
                if args.op == SetOp::Union {
                    union(&weighted, opts.aggregate)
                } else {
                    inter(&weighted, opts.aggregate, if args.card_only { opts.limit } else { 0 })
                }
            }
        };
        if args.card_only {
            return Ok(Frame::Integer(result.len() as i64));
        }
        result.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
        if let Some(dest) = &args.dest {
            let n = self.zstore_result(cx, dest, result);
            return Ok(Frame::Integer(n as i64));
        }
        Ok(if opts.withscores {
            score_pairs(result)
        } else {
            Frame::Array(result.into_iter().map(|(m, _)| Frame::Bulk(m)).collect())
        })
    }
}
