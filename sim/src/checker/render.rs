//! Reports for people: a violation is shown, not just reported.
//!
//! The minimal sub-history is drawn as a timeline (one row per operation,
//! its interval as a bar, indeterminate ones running off to the right), then
//! the story of the search: the prefix it could explain, the state after it,
//! and, for each operation that could have come next, what the model would
//! have answered against what the client was told.

use std::fmt::{self, Write};

use super::explain::Explanation;
use super::{CheckReport, PartitionResult, Verdict, Violation};
use crate::history::{Op, Outcome};

const WIDTH: u64 = 48;

/// Operations as a text timeline, rows in invocation order.
pub fn timeline(ops: &[Op]) -> String {
    let mut ops: Vec<&Op> = ops.iter().collect();
    ops.sort_by_key(|o| (o.invoke_time, o.id));
    let Some(t0) = ops.iter().map(|o| o.invoke_time).min() else { return String::new() };
    let t1 = ops.iter().flat_map(|o| [Some(o.invoke_time), o.complete_time]).flatten().max().unwrap_or(t0).max(t0 + 1);
    let col = |t: u64| ((t.saturating_sub(t0)) * (WIDTH - 1) / (t1 - t0)) as usize;
    let mut out = String::new();
    let _ = writeln!(out, "      time {t0} .. {t1}");
    for op in ops {
        let start = col(op.invoke_time);
        let mut bar = vec![' '; WIDTH as usize];
        let (end, open) = match (&op.outcome, op.complete_time) {
            (Outcome::Info(_), _) | (_, None) => (WIDTH as usize - 1, true),
            (_, Some(c)) => (col(c.max(op.invoke_time)), false),
        };
        for cell in bar.iter_mut().take(end + 1).skip(start) {
            *cell = '=';
        }
        bar[start] = '[';
        bar[end] = if open { '>' } else { ']' };
        if start == end && !open {
            bar[start] = '|';
        }
        let bar: String = bar.into_iter().collect();
        let _ = writeln!(out, "  c{:<3} {bar} {op}", op.client);
    }
    out
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            writeln!(f, "  no operation can take effect first")?;
        } else {
            writeln!(
                f,
                "  longest explainable prefix ({} operations), in the order they took effect:",
                self.prefix.len()
            )?;
            for (n, op) in self.prefix.iter().enumerate() {
                writeln!(f, "    {:>3}. {op}", n + 1)?;
            }
        }
        writeln!(f, "  state then: {}", self.state)?;
        if let Some(d) = &self.deadline {
            let end = d.complete_time.map_or("?".into(), |t| t.to_string());
            writeln!(
                f,
                "  op #{} completed at {end} but no order lets it (or anything before it) take effect next:",
                d.id
            )?;
        }
        for a in &self.attempts {
            let verdict = match (&a.op.outcome, a.explained) {
                (Outcome::Info(_), _) => "indeterminate: may take effect here, but no order continuing with it works",
                (_, true) => "matches, but no order continuing with it works",
                (_, false) => "MISMATCH: this step cannot be explained",
            };
            let recorded = match &a.op.outcome {
                Outcome::Ok(r) => r.to_string(),
                Outcome::Info(e) => format!("unknown ({e})"),
                Outcome::Fail(e) => format!("failed ({e})"),
            };
            writeln!(f, "    #{} c{} {}", a.op.id, a.op.client, a.op.request)?;
            writeln!(f, "        model says {}, client was told {recorded}: {verdict}", a.expected)?;
        }
        Ok(())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "key {:?}: NOT LINEARIZABLE", String::from_utf8_lossy(&self.key))?;
        let minimality = if self.minimal_is_one_minimal { "1-minimal" } else { "shrink budget ran out" };
        writeln!(f, "  smallest failing sub-history found ({} operations, {minimality}):", self.minimal.len())?;
        f.write_str(&timeline(&self.minimal))?;
        if !self.irrelevant.is_empty() {
            let ids: Vec<String> = self.irrelevant.iter().take(12).map(|id| format!("#{id}")).collect();
            let more = if self.irrelevant.len() > 12 { ", ..." } else { "" };
            writeln!(
                f,
                "  (still not linearizable whatever these {} other operations did or did not do: {}{more})",
                self.irrelevant.len(),
                ids.join(", ")
            )?;
        }
        write!(f, "{}", self.minimal_explanation)?;
        writeln!(f, "  in the whole history of the key the search got this far:")?;
        writeln!(
            f,
            "    {} operations explained; state then: {}",
            self.explanation.prefix.len(),
            self.explanation.state
        )?;
        for a in self.explanation.attempts.iter().filter(|a| !a.explained) {
            writeln!(f, "    op {} could not come next: model says {}", a.op, a.expected)?;
        }
        Ok(())
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |v: Verdict| self.partitions.iter().filter(|p| p.result.verdict() == v).count();
        let verdict = match self.verdict {
            Verdict::Linearizable => "LINEARIZABLE",
            Verdict::Unknown => "UNKNOWN (step budget exhausted)",
            Verdict::Violation => "NOT LINEARIZABLE",
        };
        writeln!(
            f,
            "verdict: {verdict} ({} keys: {} linearizable, {} unknown, {} violated; {} model steps)",
            self.partitions.len(),
            count(Verdict::Linearizable),
            count(Verdict::Unknown),
            count(Verdict::Violation),
            self.steps
        )?;
        if let Some((kind, lost)) = &self.lost_writes {
            writeln!(f, "acknowledged writes lost ({}): {} of {}", kind.name(), lost.lost, lost.acknowledged)?;
            for e in &lost.examples {
                writeln!(f, "  - {e}")?;
            }
        }
        for p in &self.partitions {
            match &p.result {
                PartitionResult::Violation(v) => write!(f, "{v}")?,
                PartitionResult::Unknown { longest_prefix } => writeln!(
                    f,
                    "key {:?}: unknown after {} steps ({} of {} operations explained)",
                    String::from_utf8_lossy(&p.key),
                    p.steps,
                    longest_prefix.len(),
                    p.checked_ops
                )?,
                PartitionResult::Linearizable { .. } => {}
            }
        }
        Ok(())
    }
}
