//! Shrinking a failing run to a small scenario that still fails.
//!
//! The checker already cuts a violating history down to its core; this cuts
//! down what *produced* it. The seed's fault plan is written out as a
//! scripted timeline (so it no longer depends on the swarm draw), then, while
//! the run still shows the problem: faults are taken out (delta debugging:
//! halves, quarters, ... single faults), the operation count is halved, and
//! clients are removed. Every attempt is a full, deterministic run of the
//! same seed, so the result replays exactly. Workload and faults draw from
//! separate streams of the seed, so removing a fault does not reshuffle what
//! the clients do.

use crate::checker::ddmin::ddmin;
use crate::checker::Verdict;
use crate::faults::{Fault, FaultPlan, TimedFault};
use crate::run::{run_seed, RunOptions, RunOutcome};
use crate::scenario::Scenario;

/// What shrinking produced.
pub struct Minimized {
    /// The shrunk scenario file (scripted faults), ready to save.
    pub toml: String,
    pub scenario: Scenario,
    /// Its run with the same seed: it shows the problem.
    pub outcome: RunOutcome,
    pub runs: usize,
    pub faults_before: usize,
    pub faults_after: usize,
    pub ops_before: u64,
    pub ops_after: u64,
    pub clients_before: usize,
    pub clients_after: usize,
}

/// Whether a run shows a problem worth keeping: a violation, an
/// acknowledged write lost, replicas that did not converge, or the
/// simulator failing.
pub fn shows_problem(o: &RunOutcome) -> bool {
    o.crash.is_some()
        || o.report.verdict == Verdict::Violation
        || o.stats.lost_writes > 0
        || o.replication.as_ref().is_some_and(|r| !r.passed())
}

/// One fault as an entry of a scripted timeline.
fn script_entry(f: &TimedFault) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert("at_ms".into(), toml::Value::Integer(f.at_ms as i64));
    t.insert("fault".into(), toml::Value::String(f.fault.kind().name().into()));
    let names = |v: &[String]| toml::Value::Array(v.iter().map(|s| toml::Value::String(s.clone())).collect());
    match &f.fault {
        Fault::Partition { a, b } => {
            t.insert("node".into(), toml::Value::String(a.first().cloned().unwrap_or_default()));
            t.insert("peers".into(), names(b));
        }
        Fault::OneWay { from, to } => {
            t.insert("from".into(), names(from));
            t.insert("to".into(), names(to));
        }
        Fault::PacketLoss { rate } => {
            t.insert("rate".into(), toml::Value::Float(*rate));
        }
        Fault::Latency { min_ms, max_ms } => {
            t.insert("min_ms".into(), toml::Value::Integer(*min_ms as i64));
            t.insert("max_ms".into(), toml::Value::Integer(*max_ms as i64));
        }
        Fault::ClockSkew { node, skew_ms, drift_ppm } => {
            t.insert("node".into(), toml::Value::String(node.clone()));
            t.insert("skew_ms".into(), toml::Value::Integer(*skew_ms));
            t.insert("drift_ppm".into(), toml::Value::Integer(*drift_ppm));
        }
        Fault::DiskFaults { node, faults } => {
            t.insert("node".into(), toml::Value::String(node.clone()));
            t.insert("write_error_per_mille".into(), toml::Value::Integer(faults.write_error_per_mille.into()));
            t.insert("fsync_error_per_mille".into(), toml::Value::Integer(faults.fsync_error_per_mille.into()));
            t.insert("read_error_per_mille".into(), toml::Value::Integer(faults.read_error_per_mille.into()));
            if let Some(c) = faults.capacity {
                t.insert("capacity".into(), toml::Value::Integer(c as i64));
            }
        }
        Fault::BacklogOverflow { node, bytes } => {
            t.insert("node".into(), toml::Value::String(node.clone()));
            t.insert("bytes".into(), toml::Value::Integer(*bytes as i64));
        }
        Fault::Failover { promote, down_ms, .. } => {
            // A random promotion draws again from the seed in a script.
            if let Some(node) = promote {
                t.insert("node".into(), toml::Value::String(node.clone()));
            }
            t.insert("down_ms".into(), toml::Value::Integer(*down_ms as i64));
        }
        other => {
            if let Some(node) = other.node() {
                t.insert("node".into(), toml::Value::String(node.to_string()));
            }
        }
    }
    t
}

/// `original` (the scenario file's text) with the given faults as a script,
/// operation and client counts, under a new name.
fn rewrite(original: &toml::Table, name: &str, faults: &[TimedFault], ops: u64, clients: usize) -> String {
    let mut t = original.clone();
    t.insert("name".into(), toml::Value::String(name.into()));
    let mut f = toml::Table::new();
    // How the operator promotes is not part of the plan: keep it.
    if let Some(toml::Value::Table(old)) = original.get("faults") {
        for key in ["promote", "promote_after_ms"] {
            if let Some(v) = old.get(key) {
                f.insert(key.into(), v.clone());
            }
        }
    }
    f.insert("mode".into(), toml::Value::String(if faults.is_empty() { "none" } else { "scripted" }.into()));
    if !faults.is_empty() {
        f.insert(
            "script".into(),
            toml::Value::Array(faults.iter().map(|x| toml::Value::Table(script_entry(x))).collect()),
        );
    }
    t.insert("faults".into(), toml::Value::Table(f));
    if let Some(toml::Value::Table(w)) = t.get_mut("workload") {
        w.insert("ops".into(), toml::Value::Integer(ops as i64));
        w.insert("clients".into(), toml::Value::Integer(clients as i64));
        w.remove("duration_ms");
    }
    toml::to_string(&t).expect("a TOML table serializes")
}

/// Shrinks the run of `scenario` (parsed from `text`) with `seed`.
/// `progress` hears about every attempt. Fails when the seed does not show a
/// problem to begin with, or when its plan does not reproduce as a script.
pub fn minimize(
    text: &str,
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions,
    max_runs: usize,
    progress: &dyn Fn(&str),
) -> Result<Minimized, String> {
    let mut original: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    // The run may be on another engine than the file names (`--engine`):
    // the shrunk scenario names the one that failed.
    if let Some(topology) =
        original.entry("topology").or_insert_with(|| toml::Value::Table(toml::Table::new())).as_table_mut()
    {
        topology.insert("engine".into(), toml::Value::String(scenario.topology.engine.name().into()));
    }
    let name = format!("{}-seed-{seed}-min", scenario.name);
    let first = run_seed(scenario, seed, opts);
    if !shows_problem(&first) {
        return Err(format!("{}: nothing to shrink: no violation, no lost write, no crash", first.summary()));
    }
    let mut faults = FaultPlan::from_scenario(scenario, seed).faults;
    let ops_before = scenario.workload.ops.unwrap_or(first.stats.ops as u64);
    let clients_before = scenario.workload.clients;
    let (mut ops, mut clients) = (ops_before, clients_before);
    let faults_before = faults.len();
    let mut runs = 1;

    // One attempt: the candidate's run, if it still shows the problem.
    let attempt = |faults: &[TimedFault], ops: u64, clients: usize, runs: &mut usize| {
        if *runs >= max_runs {
            return None;
        }
        *runs += 1;
        let toml = rewrite(&original, &name, faults, ops, clients);
        let candidate = Scenario::parse(&toml).ok()?;
        let o = run_seed(&candidate, seed, opts);
        let keep = shows_problem(&o);
        progress(&format!(
            "run {runs:>3}: {} faults, {ops} ops, {clients} clients -> {}",
            faults.len(),
            if keep { "still fails (kept)" } else { "passes (dropped)" }
        ));
        keep.then_some((candidate, toml, o))
    };

    let mut best = match attempt(&faults, ops, clients, &mut runs) {
        Some(found) => found,
        None => return Err("the seed's fault plan, written as a script, no longer shows the problem".into()),
    };

    // Faults: delta debugging down to single faults.
    faults = ddmin(faults, |candidate| match attempt(candidate, ops, clients, &mut runs) {
        Some(found) => {
            best = found;
            true
        }
        None => false,
    });
    // Fewer operations, then fewer clients.
    while ops > 1 && runs < max_runs {
        match attempt(&faults, ops / 2, clients, &mut runs) {
            Some(found) => {
                ops /= 2;
                best = found;
            }
            None => break,
        }
    }
    while clients > 1 && runs < max_runs {
        match attempt(&faults, ops, clients - 1, &mut runs) {
            Some(found) => {
                clients -= 1;
                best = found;
            }
            None => break,
        }
    }
    let (scenario, toml, outcome) = best;
    Ok(Minimized {
        toml,
        scenario,
        outcome,
        runs,
        faults_before,
        faults_after: faults.len(),
        ops_before,
        ops_after: ops,
        clients_before,
        clients_after: clients,
    })
}
