//! Running many seeds of many scenarios, and turning outcomes into reports.
//!
//! Each seed is an independent run on its own thread and runtime, so a sweep
//! may run several at once (`jobs`) without changing any run's result: the
//! rows are put back in scenario and seed order before anything is printed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::checker::Verdict;
use crate::report::{self, RunSummary, SweepRow, TimelineEvent};
use crate::run::{run_seed, RunOptions, RunOutcome};
use crate::scenario::{EngineKind, ExpectedVerdict, Scenario};

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepPlan {
    pub scenarios: Vec<Scenario>,
    /// Seeds per scenario; `None` takes each scenario's `expect.seeds`.
    pub seeds: Option<u64>,
    pub first_seed: u64,
    /// Runs at once.
    pub jobs: usize,
    pub options: RunOptions,
}

/// What a sweep found.
pub struct SweepResult {
    pub rows: Vec<SweepRow>,
    /// Every run that did not meet its scenario's expectation.
    pub failures: Vec<RunOutcome>,
}

/// Loads every `*.toml` scenario under `path` (or the file itself), sorted
/// by file name; `regressions.toml` is not a scenario and is skipped.
pub fn load_scenarios(path: &Path) -> Result<Vec<(PathBuf, Scenario)>, String> {
    let mut files = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for e in entries {
            let p = e.map_err(|e| e.to_string())?.path();
            if p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != "regressions.toml") {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    files.into_iter().map(|p| Scenario::load(&p).map(|s| (p, s)).map_err(|e| e.to_string())).collect()
}

/// Runs the plan; `progress` hears about each finished run (in completion
/// order, which depends on the machine; the result does not).
pub fn sweep(plan: &SweepPlan, progress: &(dyn Fn(&RunOutcome, u64) + Sync)) -> SweepResult {
    let mut work = Vec::new();
    for (i, s) in plan.scenarios.iter().enumerate() {
        let n = plan.seeds.unwrap_or(s.expect.seeds);
        for seed in plan.first_seed..plan.first_seed + n {
            work.push((i, seed));
        }
    }
    let next = Mutex::new(0usize);
    let done: Mutex<Vec<(usize, u64, u64, RunOutcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..plan.jobs.max(1) {
            scope.spawn(|| loop {
                let item = {
                    let mut n = next.lock().expect("sweep queue");
                    let item = work.get(*n).copied();
                    *n += 1;
                    item
                };
                let Some((i, seed)) = item else { return };
                let started = std::time::Instant::now(); // determinism-ok: wall time for the report only
                let outcome = run_seed(&plan.scenarios[i], seed, &plan.options);
                let wall_ms = started.elapsed().as_millis() as u64;
                progress(&outcome, wall_ms);
                done.lock().expect("sweep results").push((i, seed, wall_ms, outcome));
            });
        }
    });
    let mut done = done.into_inner().expect("sweep results");
    done.sort_by_key(|(i, seed, _, _)| (*i, *seed));
    let mut rows: Vec<SweepRow> = plan
        .scenarios
        .iter()
        .map(|s| SweepRow {
            scenario: s.name.clone(),
            engine: s.topology.engine.name().to_string(),
            seeds_run: 0,
            passed: 0,
            failed: 0,
            verdicts: Vec::new(),
            first_failing_seed: None,
            ops: 0,
            lost_writes: 0,
            wall_ms: 0,
        })
        .collect();
    let mut failures = Vec::new();
    for (i, seed, wall_ms, outcome) in done {
        let row = &mut rows[i];
        row.seeds_run += 1;
        row.ops += outcome.stats.ops as u64;
        row.lost_writes += outcome.stats.lost_writes;
        row.wall_ms += wall_ms;
        let verdict = verdict_words(&outcome);
        match row.verdicts.iter_mut().find(|(v, _)| *v == verdict) {
            Some((_, n)) => *n += 1,
            None => row.verdicts.push((verdict, 1)),
        }
        if outcome.passed {
            row.passed += 1;
        } else {
            row.failed += 1;
            row.first_failing_seed.get_or_insert(seed);
            failures.push(outcome);
        }
    }
    for row in &mut rows {
        row.verdicts.sort();
    }
    SweepResult { rows, failures }
}

/// The run's verdict in the words reports use.
pub fn verdict_words(o: &RunOutcome) -> String {
    if o.crash.is_some() {
        return "simulator-failure".into();
    }
    let v = report::checker_verdict(o.report.verdict).to_string();
    if o.stats.lost_writes > 0 && o.report.verdict != Verdict::Violation {
        format!("{v}, lost-writes")
    } else {
        v
    }
}

/// What the scenario expects, in the same words.
pub fn expected_words(e: ExpectedVerdict) -> String {
    e.name().to_string()
}

/// The outcome as the report generator takes it.
pub fn summary(scenario: &Scenario, o: &RunOutcome) -> RunSummary {
    let s = &o.stats;
    let mut stats: Vec<(String, String)> = vec![
        ("operations".into(), s.ops.to_string()),
        ("ok / fail / info".into(), format!("{} / {} / {}", s.ok, s.failed, s.indeterminate)),
        ("final reads".into(), s.final_reads.to_string()),
        ("acknowledged writes lost".into(), format!("{} of {}", s.lost_writes, s.acknowledged_writes)),
        ("faults applied / planned".into(), format!("{} / {}", s.faults_applied, s.faults_planned)),
        ("server starts / exits".into(), format!("{} / {}", s.node_starts, s.node_exits)),
        ("simulated time".into(), format!("{} ms", s.sim_ms)),
        ("network messages".into(), s.net_messages.to_string()),
        ("checker steps".into(), s.checker_steps.to_string()),
    ];
    stats.extend(s.disk.iter().map(|(k, v)| (format!("disk: {k}"), v.clone())));
    if let Some(r) = &o.replication {
        stats.push(("replication".into(), r.short()));
        for n in &r.nodes {
            let link = match n.link_up {
                Some(true) => ", link up",
                Some(false) => ", link down",
                None => "",
            };
            let detail = format!(
                "{}, offset {}{link}, digest {}",
                n.role,
                n.offset.map_or("?".into(), |o| o.to_string()),
                n.digest.as_deref().unwrap_or("?")
            );
            stats.push((format!("replication: {}", n.name), detail));
        }
    }
    if let Some(f) = &o.failure {
        stats.push(("why it failed".into(), f.clone()));
    }
    RunSummary {
        scenario: o.scenario.clone(),
        seed: o.seed,
        engine: scenario.topology.engine.name().to_string(),
        expected: expected_words(o.expected),
        verdict: verdict_words(o),
        passed: o.passed,
        history: o.history.clone(),
        report: o.report.clone(),
        events: o
            .events
            .iter()
            .map(|(at_ms, node, kind, detail)| TimelineEvent {
                at_ms: *at_ms,
                node: node.clone(),
                kind: kind.clone(),
                detail: detail.clone(),
            })
            .collect(),
        stats,
    }
}

/// Writes `<dir>/<scenario>/seed-<seed>[-engine].{md,html}`, and with `artifacts`
/// also the trace and the history (what `sim check` reads); returns the
/// HTML's path.
pub fn write_run_report(dir: &Path, scenario: &Scenario, o: &RunOutcome, artifacts: bool) -> std::io::Result<PathBuf> {
    let sub = dir.join(&o.scenario);
    std::fs::create_dir_all(&sub)?;
    let base = sub.join(run_file_stem(o));
    let summary = summary(scenario, o);
    std::fs::write(base.with_extension("md"), report::markdown(&summary))?;
    let html = base.with_extension("html");
    std::fs::write(&html, report::html(&summary))?;
    if artifacts {
        let stem = run_file_stem(o);
        std::fs::write(sub.join(format!("{stem}.trace.txt")), format!("{}\n{}", o.plan, o.trace))?;
        std::fs::write(sub.join(format!("{stem}.history.json")), o.history.to_json())?;
    }
    Ok(html)
}

/// `seed-N` for a run on the model, `seed-N-engine` on the optimized engine,
/// so a sweep of both keeps both.
fn run_file_stem(o: &RunOutcome) -> String {
    match o.engine {
        EngineKind::Model => format!("seed-{}", o.seed),
        EngineKind::Engine => format!("seed-{}-engine", o.seed),
    }
}

/// Each scenario on each of `engines` (in that order), or as its file says
/// when `engines` is empty.
pub fn on_engines(scenarios: Vec<Scenario>, engines: &[EngineKind]) -> Vec<Scenario> {
    if engines.is_empty() {
        return scenarios;
    }
    let mut out = Vec::new();
    for s in scenarios {
        for &engine in engines {
            let mut s = s.clone();
            s.topology.engine = engine;
            out.push(s);
        }
    }
    out
}
