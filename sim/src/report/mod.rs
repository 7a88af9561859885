//! Reports for people: what a run did, what the checker found, and how to
//! replay it.
//!
//! A run ends as a [`RunSummary`] (the scenario, the seed, the recorded
//! [`History`], the checker's [`CheckReport`], the faults as
//! [`TimelineEvent`]s and a few statistics). From it:
//!
//! - [`markdown`]: a page for a terminal, an issue or `reports/`;
//! - [`html`]: one self-contained file (inline CSS and SVG, no script):
//!   an overview of the whole run, then a timeline per key (the checker's
//!   unit), violated keys first, each with one lane per client, the faults
//!   across the lanes, and for a violated key its minimal sub-history and
//!   the illegal linearization point marked;
//! - [`sweep_markdown`]: one table for many seeds of many scenarios.
//!
//! The HTML is drawn by: `keys` (which keys, in which order),
//! `key_sections` (the index and one section per key), `window` (what part
//! of a long key is drawn), `key_timeline`, `overview` and `minimal_svg`
//! (the SVGs), `violation_marks` (what the checker's findings mark),
//! `faults_layer` (faults across a timeline) and `svg` (the primitives they
//! share).
//!
//! Every output is a pure function of its input: no clock, no hash order,
//! and bounded in size whatever the history's length or number of keys.
//!
//! Times: operations carry the history's time unit, which the simulator
//! records in simulated nanoseconds; events carry milliseconds. The timeline
//! puts both on one axis on that assumption.

mod faults_layer;
mod html;
mod key_sections;
mod key_timeline;
mod keys;
mod markdown;
mod minimal_svg;
mod overview;
mod svg;
mod violation_marks;
mod window;

use std::collections::BTreeSet;

use crate::checker::{CheckReport, Verdict};
use crate::history::{History, Outcome};

pub use html::html;
pub use markdown::{markdown, sweep_markdown};

/// One simulated run, as the runtime saw it, ready to be reported.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The scenario's name: `scenarios/<scenario>.toml` replays it.
    pub scenario: String,
    pub seed: u64,
    /// The engine the nodes ran (`model`, `engine`).
    pub engine: String,
    /// What the scenario expects (say `linearizable`, or `lost-writes` for a
    /// scenario built to show a known weakness).
    pub expected: String,
    /// What the run got, in the same words.
    pub verdict: String,
    /// Whether the verdict is what was expected.
    pub passed: bool,
    pub history: History,
    pub report: CheckReport,
    /// Faults and other things that happened to the nodes, in time order.
    pub events: Vec<TimelineEvent>,
    /// Name and value pairs shown as they are, in this order.
    pub stats: Vec<(String, String)>,
}

/// Something that happened during a run besides client operations: a fault
/// ("kill", "partition", "power loss", "heal", "restart", ...) or a
/// milestone. The timeline draws a band from a "partition" to the next
/// "heal", from a "kill" (or "power loss", "pause") of a node to its next
/// "restart" (or "resume"), and a marker for everything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEvent {
    /// Simulated milliseconds since the run began.
    pub at_ms: u64,
    /// The node it happened to, if one (`n1`).
    pub node: Option<String>,
    pub kind: String,
    pub detail: String,
}

/// One row of a sweep: many seeds of one scenario on one engine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepRow {
    pub scenario: String,
    pub engine: String,
    pub seeds_run: u64,
    pub passed: u64,
    pub failed: u64,
    /// How many runs got each verdict (any order; shown sorted by verdict).
    pub verdicts: Vec<(String, u64)>,
    /// The smallest seed that failed, to replay first.
    pub first_failing_seed: Option<u64>,
    /// Client operations simulated over all seeds.
    pub ops: u64,
    /// Acknowledged writes lost over all seeds (the checker's count).
    pub lost_writes: u64,
    /// Wall-clock time the sweep of this row took, in milliseconds.
    pub wall_ms: u64,
}

impl SweepRow {
    /// Acknowledged writes lost per thousand operations, one decimal
    /// ("0.0" when nothing was lost): comparable across scenarios of
    /// different sizes.
    pub fn lost_per_1k_ops(&self) -> Option<String> {
        (self.ops > 0).then(|| {
            let tenths = (self.lost_writes as u128 * 10_000 + self.ops as u128 / 2) / self.ops as u128;
            format!("{}.{}", tenths / 10, tenths % 10)
        })
    }

    /// Client operations simulated per second of wall-clock time.
    pub fn ops_per_sec(&self) -> Option<u64> {
        (self.wall_ms > 0).then(|| (self.ops as u128 * 1000 / self.wall_ms as u128) as u64)
    }
}

/// The command that replays a run.
pub fn replay_command(scenario: &str, seed: u64, engine: &str) -> String {
    let file = if scenario.ends_with(".toml") { scenario.to_string() } else { format!("scenarios/{scenario}.toml") };
    format!("cargo run -p redsim-sim --bin sim -- run {file} --seed {seed} --engine {engine}")
}

/// The checker's verdict in words.
pub fn checker_verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Linearizable => "LINEARIZABLE",
        Verdict::Unknown => "UNKNOWN (step budget exhausted)",
        Verdict::Violation => "NOT LINEARIZABLE",
    }
}

/// Counts of a history's operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    pub total: usize,
    pub ok: usize,
    pub fail: usize,
    pub info: usize,
    pub clients: usize,
    pub keys: usize,
}

impl OpCounts {
    pub fn of(history: &History) -> OpCounts {
        let mut c = OpCounts { total: history.ops.len(), ..OpCounts::default() };
        for op in &history.ops {
            match op.outcome {
                Outcome::Ok(_) => c.ok += 1,
                Outcome::Fail(_) => c.fail += 1,
                Outcome::Info(_) => c.info += 1,
            }
        }
        c.clients = history.ops.iter().map(|o| o.client).collect::<BTreeSet<_>>().len();
        c.keys = history.ops.iter().map(|o| &o.key).collect::<BTreeSet<_>>().len();
        c
    }

    /// "N operations by C clients on K keys: ...".
    pub fn sentence(&self) -> String {
        format!(
            "{} operations by {} clients on {} keys: {} ok, {} failed, {} indeterminate",
            self.total, self.clients, self.keys, self.ok, self.fail, self.info
        )
    }
}

/// A key as a person reads it: quoted, with escapes; bytes that are not
/// UTF-8 as `\xNN`.
fn show_key(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("\"{}\"", key.escape_ascii()),
    }
}

/// Per-verdict partition counts, as the checker's text report gives them.
fn partition_counts(report: &CheckReport) -> String {
    let count = |v: Verdict| report.partitions.iter().filter(|p| p.result.verdict() == v).count();
    format!(
        "{} keys: {} linearizable, {} unknown, {} violated; {} model steps",
        report.partitions.len(),
        count(Verdict::Linearizable),
        count(Verdict::Unknown),
        count(Verdict::Violation),
        report.steps
    )
}

/// At most `MAX_TEXT_LINES` lines of a long text (a violation's story can
/// list thousands of operations when shrinking ran out of budget), with a
/// line saying how many more there were.
fn clip_lines(text: &str) -> String {
    let total = text.lines().count();
    if total <= MAX_TEXT_LINES {
        return text.to_string();
    }
    let mut out: String = text.lines().take(MAX_TEXT_LINES).flat_map(|l| [l, "\n"]).collect();
    out.push_str(&format!("... {} more lines not shown\n", total - MAX_TEXT_LINES));
    out
}

/// "1 key", "3 keys".
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Violations shown in full; the rest are listed by key.
const MAX_VIOLATIONS: usize = 5;
/// Event rows listed; the rest are counted.
const MAX_EVENT_ROWS: usize = 200;
/// Lines of one violation's text shown.
const MAX_TEXT_LINES: usize = 150;
/// Unknown keys listed by name.
const MAX_UNKNOWN_KEYS: usize = 20;
