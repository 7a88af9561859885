//! What a timeline marks for a violated key, from what the checker reports.
//!
//! The checker shrinks the key's operations to a minimal sub-history that is
//! still not linearizable, and searches it once more to tell its story
//! ([`Violation::minimal_explanation`]): the longest prefix some order
//! explains, then the operation that completed before anything could explain
//! it (the deadline), and the candidates for the next step with what the
//! model would have answered. The timeline draws:
//!
//! - the minimal sub-history's operations, outlined;
//! - the prefix as linearization points joined by a line, each at the
//!   earliest instant consistent with the order (the search reports an
//!   order, not instants; any order it accepts respects real time, so taking
//!   each point at the latest invocation so far always lies within the
//!   operation's interval);
//! - the illegal linearization point: the deadline operation, outlined in
//!   red, and its completion, the instant by which it had to take effect,
//!   as a red line where the search got stuck;
//! - the candidates whose recorded reply the model could not give there.
//!
//! [`linearization_path`] draws the points; the timelines draw the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::svg::px;

use crate::checker::Violation;
use crate::history::{Op, OpId};

/// Where the search got stuck: the operation that could not be placed and
/// the instant by which it had to take effect (its completion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    pub op: OpId,
    pub at: u64,
}

/// The marks of one key's timeline (all empty for a key without violation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// The minimal failing sub-history.
    pub core: BTreeSet<OpId>,
    /// The longest explainable prefix, in order, with each operation's
    /// linearization point.
    pub points: Vec<(OpId, u64)>,
    pub stuck: Option<Stuck>,
    /// Candidates for the step after the prefix whose reply the model could
    /// not explain there.
    pub refused: BTreeSet<OpId>,
    /// What the checker says about an operation, for its tooltip.
    pub notes: BTreeMap<OpId, Vec<String>>,
}

impl Marks {
    /// The marks of a violation, from the search over its minimal sub-history.
    pub fn of(v: &Violation) -> Marks {
        let story = &v.minimal_explanation;
        let mut marks = Marks { core: v.minimal.iter().map(|o| o.id).collect(), ..Marks::default() };
        marks.points = linearization_points(&story.prefix);
        let order: Vec<OpId> = marks.points.iter().map(|&(id, _)| id).collect();
        for (n, id) in order.into_iter().enumerate() {
            marks.note(id, format!("checker: took effect {} in the longest explainable order", ordinal(n + 1)));
        }
        if let Some(d) = &story.deadline {
            let at = d.complete_time.unwrap_or(d.invoke_time).max(d.invoke_time);
            marks.stuck = Some(Stuck { op: d.id, at });
            marks.note(
                d.id,
                "checker: completed before it (or anything before it) could take effect: the search is stuck here"
                    .into(),
            );
        }
        for a in &story.attempts {
            let verdict = if a.explained { "matches, but no order continuing with it works" } else { "MISMATCH" };
            marks.note(a.op.id, format!("checker: next after the prefix, the model says {}: {verdict}", a.expected));
            if !a.explained {
                marks.refused.insert(a.op.id);
            }
        }
        marks
    }

    fn note(&mut self, id: OpId, text: String) {
        self.notes.entry(id).or_default().push(text);
    }

    /// Whether an operation is drawn on top of the others.
    pub fn stands_out(&self, id: OpId) -> bool {
        self.core.contains(&id) || self.refused.contains(&id) || self.stuck.as_ref().is_some_and(|s| s.op == id)
    }

    /// The CSS classes an operation's bar adds: "min", "stuck", "refused".
    pub fn classes(&self, id: OpId) -> String {
        let mut c = String::new();
        if self.core.contains(&id) {
            c.push_str(" min");
        }
        if self.refused.contains(&id) {
            c.push_str(" refused");
        }
        if self.stuck.as_ref().is_some_and(|s| s.op == id) {
            c.push_str(" stuck");
        }
        c
    }

    pub fn notes_of(&self, id: OpId) -> &[String] {
        self.notes.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// A linearization point on the timeline, in tenths of a pixel.
pub struct Point {
    pub id: OpId,
    pub x: u64,
    pub y: u64,
}

/// The longest explainable order as points joined by a line, then a dashed
/// step to the illegal linearization point and a cross there.
pub fn linearization_path(out: &mut String, points: &[Point], stuck: Option<&Point>) {
    if points.len() > 1 {
        let path: Vec<String> = points.iter().map(|p| format!("{},{}", px(p.x), px(p.y))).collect();
        let _ = writeln!(out, r#"<polyline class="lin" points="{}"/>"#, path.join(" "));
    }
    if let (Some(a), Some(b)) = (points.last(), stuck) {
        let _ = writeln!(
            out,
            r#"<line class="lin next" x1="{}" y1="{}" x2="{}" y2="{}"/>"#,
            px(a.x),
            px(a.y),
            px(b.x),
            px(b.y)
        );
    }
    for (n, p) in points.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<circle class="lp" cx="{}" cy="{}" r="3.5"><title>linearization point {} of the longest explainable order: #{}</title></circle>"#,
            px(p.x),
            px(p.y),
            n + 1,
            p.id
        );
    }
    if let Some(&Point { x, y, .. }) = stuck {
        // Points lie within the lanes, so never this close to the origin.
        let d = 45;
        let _ = writeln!(
            out,
            r#"<path class="cross" d="M{} {}L{} {}M{} {}L{} {}"/>"#,
            px(x - d),
            px(y - d),
            px(x + d),
            px(y + d),
            px(x - d),
            px(y + d),
            px(x + d),
            px(y - d)
        );
    }
}

/// The earliest instants at which `order`'s operations can take effect in
/// that order: each at the latest invocation so far.
fn linearization_points(order: &[Op]) -> Vec<(OpId, u64)> {
    let mut at = 0;
    order
        .iter()
        .map(|op| {
            at = at.max(op.invoke_time);
            (op.id, at)
        })
        .collect()
}

/// "1st", "2nd", "3rd", "11th", "22nd".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Outcome, Reply, Request};

    fn op(id: OpId, invoke_time: u64, complete_time: u64) -> Op {
        Op {
            id,
            client: id,
            key: "k".into(),
            request: Request::command(&["GET", "k"]),
            invoke_time,
            complete_time: Some(complete_time),
            outcome: Outcome::Ok(Reply::Unrecorded),
        }
    }

    #[test]
    fn points_lie_within_each_interval_in_order() {
        // b was invoked before a but took effect after it.
        let order = [op(1, 10, 50), op(2, 5, 60), op(3, 40, 45)];
        assert_eq!(linearization_points(&order), [(1, 10), (2, 10), (3, 40)]);
    }

    #[test]
    fn ordinals() {
        let words: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 103].into_iter().map(ordinal).collect();
        assert_eq!(words, ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"]);
    }
}
