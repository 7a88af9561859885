//! ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! Inputs may be sorted sets or plain sets (whose members score 1). As in
//! Redis, every key is looked up before any option is read (a wrong type
//! wins over a bad option), and union and intersection visit the inputs from
//! the smallest to the largest (a stable sort, as glibc's qsort is for these
//! sizes). That order is observable: floating-point sums depend on it, and
//! MIN/MAX keep the first of two equal scores (0 and -0).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{score_pairs, ZSetValue};
use crate::command::sorted_sets::{Aggregate, SetOp, SetOpArgs, SetOpOptions};
use crate::engine::Context;
use crate::errors::{self, RedisResult};
use crate::reference::access::Access;
use crate::reference::value::Value;
use crate::reference::Model;
use crate::resp::Frame;

/// One input, copied out of the keyspace: its elements in iteration order
/// and an index to find a member's score.
#[derive(Default)]
struct Input {
    elements: Vec<(Bytes, f64)>,
    scores: BTreeMap<Bytes, f64>,
}

impl Input {
    fn from_zset(z: &ZSetValue) -> Input {
        Input::from_pairs(z.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)).collect())
    }

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

/// Redis's `zunionInterAggregate`: a NaN sum (inf + -inf) becomes 0; MIN and
/// MAX keep the current score unless the new one is strictly better (so a
/// NaN contribution is ignored).
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

/// The result as a sorted set orders it: (score, member) ascending.
fn sorted(mut pairs: Vec<(Bytes, f64)>) -> Vec<(Bytes, f64)> {
    pairs.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.0.cmp(&b.0)));
    pairs
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

/// The members of the first (smallest) input found in all others, with
/// their combined scores; stops after `limit` members (0: no limit).
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

/// The members of the first input found in no other, with their own scores.
fn diff(inputs: &[Input]) -> Vec<(Bytes, f64)> {
    let Some((first, rest)) = inputs.split_first() else { return Vec::new() };
    first.elements.iter().filter(|(m, _)| !rest.iter().any(|i| i.scores.contains_key(m))).cloned().collect()
}

impl Model {
    pub(super) fn zsetop(&mut self, cx: &mut Context<'_>, args: &SetOpArgs) -> RedisResult<Frame> {
        let mut inputs = Vec::with_capacity(args.keys.len());
        for key in &args.keys {
            let input = match self.lookup(cx, cx.db, key, Access::Read).map(|e| &e.value) {
                None => Input::default(),
                Some(Value::ZSet(z)) => Input::from_zset(z),
                Some(Value::Set(s)) => Input::from_pairs(s.iter().map(|m| (Bytes::copy_from_slice(m), 1.0)).collect()),
                Some(_) => return Err(errors::WRONGTYPE),
            };
            inputs.push(input);
        }
        let opts = SetOpOptions::parse(args)?;

        let result = match args.op {
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
        let result = sorted(result);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, f64)]) -> Input {
        Input::from_pairs(pairs.iter().map(|(m, s)| (Bytes::copy_from_slice(m.as_bytes()), *s)).collect())
    }

    #[test]
    fn nan_rules() {
        let a = input(&[("x", f64::INFINITY)]);
        let b = input(&[("x", f64::NEG_INFINITY)]);
        // inf + -inf is 0.
        assert_eq!(union(&[(&a, 1.0), (&b, 1.0)], Aggregate::Sum), vec![(Bytes::from_static(b"x"), 0.0)]);
        // 0 * inf in the first input is 0; in a later one it is ignored by MIN/MAX.
        assert_eq!(inter(&[(&b, 0.0), (&a, 1.0)], Aggregate::Min, 0)[0].1, 0.0);
        assert_eq!(inter(&[(&b, 1.0), (&a, 0.0)], Aggregate::Max, 0)[0].1, f64::NEG_INFINITY);
        assert_eq!(inter(&[(&b, 1.0), (&a, 0.0)], Aggregate::Sum, 0)[0].1, 0.0);
    }

    #[test]
    fn min_keeps_the_first_of_equal_zeroes() {
        let a = input(&[("x", 0.0)]);
        let b = input(&[("x", 0.0)]);
        let r = union(&[(&a, -1.0), (&b, 1.0)], Aggregate::Min);
        assert!(r[0].1.is_sign_negative());
        let r = union(&[(&b, 1.0), (&a, -1.0)], Aggregate::Min);
        assert!(r[0].1.is_sign_positive());
    }

    #[test]
    fn diff_and_intercard_limit() {
        let a = input(&[("x", 1.0), ("y", 2.0), ("z", 3.0)]);
        let b = input(&[("y", 9.0)]);
        let d = diff(&[a, b]);
        assert_eq!(d.iter().map(|(m, _)| &m[..]).collect::<Vec<_>>(), vec![&b"x"[..], b"z"]);
        let a = input(&[("x", 1.0), ("y", 2.0), ("z", 3.0)]);
        assert_eq!(inter(&[(&a, 1.0), (&a, 1.0)], Aggregate::Sum, 2).len(), 2);
    }
}
