//! What one key's timeline shows when the key has too many operations to
//! draw them all: a time window of about `aim` operations around what
//! matters (the marked operations, else the first fault, else the start),
//! stretched to cover every marked operation, and at most [`MAX_LANES`]
//! client lanes (the marked operations' clients first, then the busiest).
//!
//! A key that fits is drawn over the whole run, so that every key's timeline
//! shares one time axis and the faults line up from key to key. A caller
//! can also name the range itself, to zoom in on a violation.

use std::collections::{BTreeMap, BTreeSet};

use super::svg::bar_end;
use crate::history::{ClientId, History, OpId};

/// Client lanes drawn at most.
pub const MAX_LANES: usize = 40;

/// The part of a key's operations a timeline shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The time range drawn (history time unit).
    pub start: u64,
    pub end: u64,
    /// Indices into the history's operations, of those drawn, in invocation
    /// order.
    pub ops: Vec<usize>,
    /// The clients with a lane, in lane order.
    pub lanes: Vec<ClientId>,
    /// Clients with operations in the range but no lane.
    pub hidden_lanes: usize,
    /// Operations of the key not drawn.
    pub hidden_ops: usize,
}

/// What to choose a window from.
pub struct Choice<'a> {
    pub history: &'a History,
    /// The key's operations (indices into the history's operations).
    pub ops: &'a [usize],
    /// The whole run's time range.
    pub run: (u64, u64),
    /// Operations that must be drawn.
    pub marked: &'a BTreeSet<OpId>,
    /// Where to look when nothing is marked (the first fault, say).
    pub fallback_anchor: Option<u64>,
    /// A time range to show instead of choosing one (to zoom in).
    pub range: Option<(u64, u64)>,
    /// Operations to aim at; the window draws up to a quarter more (marked
    /// ones, and those already running when it opens).
    pub aim: usize,
}

impl Choice<'_> {
    pub fn choose(&self) -> Window {
        let history = self.history;
        let (run_start, run_end) = self.run;
        let aim = self.aim.max(1);
        let mut sorted: Vec<usize> = self.ops.to_vec();
        sorted.sort_by_key(|&i| (history.ops[i].invoke_time, history.ops[i].id));
        let n = sorted.len();
        let is_marked = |i: usize| self.marked.contains(&history.ops[i].id);

        let (start, end) = if let Some((start, end)) = self.range {
            (start, end.max(start + 1))
        } else if n <= aim {
            (run_start, run_end)
        } else {
            let anchor_time = sorted
                .iter()
                .filter(|&&i| is_marked(i))
                .map(|&i| history.ops[i].invoke_time)
                .min()
                .or(self.fallback_anchor)
                .unwrap_or(run_start);
            let anchor = sorted.partition_point(|&i| history.ops[i].invoke_time < anchor_time);
            let hi = (anchor.saturating_sub(aim / 3) + aim).min(n);
            let lo = hi.saturating_sub(aim);
            let mut start = if lo == 0 { run_start } else { history.ops[sorted[lo]].invoke_time };
            let mut end = if hi == n { run_end } else { history.ops[sorted[hi]].invoke_time };
            for &i in sorted.iter().filter(|&&i| is_marked(i)) {
                start = start.min(history.ops[i].invoke_time);
                end = end.max(bar_end(&history.ops[i], run_end));
            }
            (start, end.max(start + 1))
        };

        // Operations overlapping the range.
        let overlapping: Vec<usize> = sorted
            .iter()
            .copied()
            .filter(|&i| {
                let op = &history.ops[i];
                op.invoke_time <= end && bar_end(op, run_end) >= start
            })
            .collect();
        // Lanes: clients of marked operations, then the busiest others.
        let mut per_client: BTreeMap<ClientId, usize> = BTreeMap::new();
        for &i in &overlapping {
            *per_client.entry(history.ops[i].client).or_default() += 1;
        }
        let mut lanes: BTreeSet<ClientId> =
            overlapping.iter().filter(|&&i| is_marked(i)).map(|&i| history.ops[i].client).collect();
        let mut others: Vec<(usize, ClientId)> =
            per_client.iter().filter(|(c, _)| !lanes.contains(c)).map(|(c, n)| (*n, *c)).collect();
        others.sort_by_key(|&(n, c)| (std::cmp::Reverse(n), c));
        for (_, c) in others {
            if lanes.len() >= MAX_LANES {
                break;
            }
            lanes.insert(c);
        }
        let hidden_lanes = per_client.len() - lanes.len();

        let cap = aim + aim / 4;
        let mut drawn: Vec<usize> = overlapping.iter().copied().filter(|&i| is_marked(i)).collect();
        for &i in &overlapping {
            if drawn.len() >= cap {
                break;
            }
            if !is_marked(i) && lanes.contains(&history.ops[i].client) {
                drawn.push(i);
            }
        }
        drawn.sort_by_key(|&i| (history.ops[i].invoke_time, history.ops[i].id));
        Window { start, end, hidden_ops: n - drawn.len(), ops: drawn, lanes: lanes.into_iter().collect(), hidden_lanes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Op, Outcome, Reply, Request};

    fn history(n: u64) -> History {
        History::new(
            (0..n)
                .map(|i| Op {
                    id: i,
                    client: i % 3,
                    key: "k".into(),
                    request: Request::command(&["GET", "k"]),
                    invoke_time: i * 10,
                    complete_time: Some(i * 10 + 5),
                    outcome: Outcome::Ok(Reply::Unrecorded),
                })
                .collect(),
        )
    }

    #[test]
    fn a_key_that_fits_is_drawn_over_the_whole_run() {
        let h = history(10);
        let ops: Vec<usize> = (0..10).collect();
        let w = Choice {
            history: &h,
            ops: &ops,
            run: (0, 1000),
            marked: &BTreeSet::new(),
            fallback_anchor: None,
            range: None,
            aim: 10,
        }
        .choose();
        assert_eq!((w.start, w.end, w.ops.len(), w.hidden_ops), (0, 1000, 10, 0));
        assert_eq!(w.lanes, [0, 1, 2]);
    }

    #[test]
    fn a_long_key_is_drawn_around_its_marked_operations() {
        let h = history(1000);
        let ops: Vec<usize> = (0..1000).collect();
        let marked = BTreeSet::from([500, 990]);
        let w = Choice {
            history: &h,
            ops: &ops,
            run: (0, 10_000),
            marked: &marked,
            fallback_anchor: None,
            range: None,
            aim: 100,
        }
        .choose();
        assert!(w.ops.contains(&500) && w.ops.contains(&990), "marked operations are drawn");
        assert!(w.ops.len() <= 125, "{} drawn", w.ops.len());
        assert_eq!(w.hidden_ops, 1000 - w.ops.len());
        assert!(w.start <= 5000 && w.end >= 9905);
    }
}
