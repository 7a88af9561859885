//! `sim`: the simulator's command line.
//!
//! ```text
//! sim run SCENARIO.toml [--seed N] [--engine model|engine] [--trace faults|ops|full] [--report DIR] [--check-determinism]
//! sim sweep [SCENARIO.toml|DIR ...] [--seeds N | --seeds A..B] [--first-seed N] [--engine model|engine|both] [--jobs N] [--report DIR]
//! sim shrink SCENARIO.toml --seed N [--engine model|engine] [--max-runs N] [--out FILE]
//! sim check HISTORY.json [--max-steps N] [--shrink-steps N]
//! ```
//!
//! `run` replays one seed exactly and prints its verdict, timeline and (with
//! `--trace`) everything that happened; `sweep` runs every scenario for many
//! seeds and writes `reports/`; `--engine` overrides the engine the scenario
//! file names (`both`: every scenario on each); `shrink` cuts a failing seed down to a small
//! scripted scenario; `check` runs the linearizability checker on a history
//! file (ours, or Porcupine-style events).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use redsim_sim::checker::{self, CheckConfig, Verdict};
use redsim_sim::history::History;
use redsim_sim::minimize::{minimize, shows_problem};
use redsim_sim::report;
use redsim_sim::run::{run_seed, RunOptions, TraceLevel};
use redsim_sim::scenario::{EngineKind, Regressions, Scenario};
use redsim_sim::sweep::{self, SweepPlan};

const USAGE: &str = "usage:
  sim run SCENARIO.toml [--seed N] [--engine model|engine] [--trace faults|ops|full] [--report DIR] [--check-determinism]
  sim sweep [SCENARIO.toml|DIR ...] [--seeds N | --seeds A..B] [--first-seed N] [--engine model|engine|both] [--jobs N] [--report DIR]
  sim shrink SCENARIO.toml --seed N [--engine model|engine] [--max-runs N] [--out FILE]
  sim check HISTORY.json [--max-steps N] [--shrink-steps N]";

/// Parsed command-line words: positional arguments and `--flag [value]`s.
struct Args {
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(words: &[String], valueless: &[&str]) -> Result<Args, String> {
        let mut a = Args { positional: Vec::new(), flags: Vec::new() };
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if let Some(name) = w.strip_prefix("--") {
                if valueless.contains(&name) {
                    a.flags.push((name.to_string(), None));
                } else {
                    let v = words.get(i + 1).ok_or(format!("--{name} needs a value"))?;
                    a.flags.push((name.to_string(), Some(v.clone())));
                    i += 1;
                }
            } else {
                a.positional.push(w.clone());
            }
            i += 1;
        }
        Ok(a)
    }

    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    fn number(&self, name: &str) -> Result<Option<u64>, String> {
        self.value(name).map(|v| v.parse::<u64>().map_err(|_| format!("--{name}: not a number: {v}"))).transpose()
    }

    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.flags.iter().find(|(n, _)| !allowed.contains(&n.as_str())) {
            Some((n, _)) => Err(format!("unknown option --{n}")),
            None => Ok(()),
        }
    }
}

fn main() -> ExitCode {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let result = match words.first().map(String::as_str) {
        Some("run") => cmd_run(&words[1..]),
        Some("sweep") => cmd_sweep(&words[1..]),
        Some("shrink") => cmd_shrink(&words[1..]),
        Some("check") => cmd_check(&words[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(true)
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn trace_level(a: &Args) -> Result<TraceLevel, String> {
    Ok(match a.value("trace") {
        None | Some("ops") => TraceLevel::Ops,
        Some("faults") => TraceLevel::Faults,
        Some("full") => TraceLevel::Full,
        Some(other) => return Err(format!("--trace: faults, ops or full, not {other}")),
    })
}

fn load(path: &str) -> Result<Scenario, String> {
    Scenario::load(Path::new(path)).map_err(|e| e.to_string())
}

/// `sim run`: one seed, replayed exactly.
fn cmd_run(words: &[String]) -> Result<bool, String> {
    let a = Args::parse(words, &["check-determinism"])?;
    a.only(&["seed", "trace", "report", "check-determinism", "engine"])?;
    let [path] = a.positional.as_slice() else { return Err(USAGE.into()) };
    let mut scenario = load(path)?;
    if let Some(engine) = engine_choice(&a, false)?.first() {
        scenario.topology.engine = *engine;
    }
    let seed = a.number("seed")?.unwrap_or(0);
    let opts = RunOptions { trace: trace_level(&a)?, ..RunOptions::default() };
    let o = run_seed(&scenario, seed, &opts);
    if a.has("trace") {
        println!("{}", o.plan);
        print!("{}", o.trace);
    } else {
        print!("{}", o.timeline_text());
    }
    println!("{}", o.report);
    if let Some(f) = &o.failure {
        println!("FAILED: {f}");
    }
    println!("{}", o.summary());
    println!("replay: {}", report::replay_command(path, seed, scenario.topology.engine.name()));
    if let Some(dir) = a.value("report") {
        let html = sweep::write_run_report(Path::new(dir), &scenario, &o, true).map_err(|e| e.to_string())?;
        println!("report: {}", html.display());
    }
    let mut ok = o.passed;
    if a.has("check-determinism") {
        let again = run_seed(&scenario, seed, &opts);
        if again.trace == o.trace && again.history == o.history {
            println!("determinism: a second run of seed {seed} gave a byte-identical trace ({} bytes)", o.trace.len());
        } else {
            let line = o.trace.lines().zip(again.trace.lines()).position(|(x, y)| x != y);
            println!("determinism: BROKEN: the traces of two runs of seed {seed} differ (first at line {line:?})");
            ok = false;
        }
    }
    println!(
        "verdict: {} ({} of {} acknowledged writes lost) expected: {} -> {}",
        match (&o.crash, o.report.verdict) {
            (Some(_), _) => "simulator-failure",
            (None, Verdict::Linearizable) => "linearizable",
            (None, Verdict::Violation) => "violation",
            (None, Verdict::Unknown) => "unknown",
        },
        o.stats.lost_writes,
        o.stats.acknowledged_writes,
        o.expected.name(),
        if ok { "pass" } else { "FAIL" }
    );
    Ok(ok)
}

/// `--engine`: none (as the scenario files say), one, or with `both_ok`
/// `both` (the model, then the engine).
fn engine_choice(a: &Args, both_ok: bool) -> Result<Vec<EngineKind>, String> {
    Ok(match a.value("engine") {
        None => Vec::new(),
        Some("both") if both_ok => EngineKind::ALL.to_vec(),
        Some(name) => match EngineKind::from_name(name) {
            Some(e) => vec![e],
            None if both_ok => return Err(format!("--engine: model, engine or both, not {name}")),
            None => return Err(format!("--engine: model or engine, not {name}")),
        },
    })
}

/// `--seeds N` (seeds first..first+N) or `--seeds A..B` (A to B-1).
fn seed_range(a: &Args) -> Result<(Option<u64>, u64), String> {
    let first = a.number("first-seed")?;
    match a.value("seeds") {
        None => Ok((None, first.unwrap_or(0))),
        Some(v) => match v.split_once("..") {
            Some((x, y)) => {
                let x: u64 = x.parse().map_err(|_| format!("--seeds: bad range {v}"))?;
                let y: u64 = y.parse().map_err(|_| format!("--seeds: bad range {v}"))?;
                if y <= x || first.is_some() {
                    return Err(format!("--seeds {v}: an empty range, or given with --first-seed"));
                }
                Ok((Some(y - x), x))
            }
            None => {
                Ok((Some(v.parse().map_err(|_| format!("--seeds: not a number or A..B: {v}"))?), first.unwrap_or(0)))
            }
        },
    }
}

/// `sim sweep`: every scenario, many seeds, reports in `--report` (default `reports/`).
fn cmd_sweep(words: &[String]) -> Result<bool, String> {
    let a = Args::parse(words, &[])?;
    a.only(&["seeds", "first-seed", "jobs", "report", "engine"])?;
    let engines = engine_choice(&a, true)?;
    let paths: Vec<PathBuf> = if a.positional.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        a.positional.iter().map(PathBuf::from).collect()
    };
    let mut scenarios = Vec::new();
    for p in &paths {
        scenarios.extend(sweep::load_scenarios(p)?.into_iter().map(|(_, s)| s));
    }
    let scenarios = sweep::on_engines(scenarios, &engines);
    let jobs = match a.number("jobs")? {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (seeds, first_seed) = seed_range(&a)?;
    let plan = SweepPlan {
        scenarios,
        seeds,
        first_seed,
        jobs,
        options: RunOptions { trace: TraceLevel::Faults, ..RunOptions::default() },
    };
    let dir = PathBuf::from(a.value("report").unwrap_or("reports"));
    let started = std::time::Instant::now(); // determinism-ok: wall time for people
    let total: u64 = plan.scenarios.iter().map(|s| plan.seeds.unwrap_or(s.expect.seeds)).sum();
    let finished = std::sync::atomic::AtomicU64::new(0);
    let result = sweep::sweep(&plan, &|o, wall_ms| {
        let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        println!("[{n:>5}/{total}] {}  [{wall_ms} ms]", o.summary());
        if !o.passed {
            println!("        replay: {}", report::replay_command(&o.scenario, o.seed, o.engine.name()));
        }
    });
    let wall = started.elapsed();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut text = format!(
        "# Scenario sweep\n\n`sim sweep {}` — seeds {}.. of every scenario; each row replays exactly \
         from its seed (`sim run SCENARIO --seed N`).\n\n",
        words.join(" "),
        plan.first_seed
    );
    text.push_str(&report::sweep_markdown(&result.rows));
    let total_runs: u64 = result.rows.iter().map(|r| r.seeds_run).sum();
    let total_ops: u64 = result.rows.iter().map(|r| r.ops).sum();
    text.push_str(&format!(
        "\n{total_runs} runs, {total_ops} operations in {:.1} s of wall time with {jobs} jobs \
         ({:.0} seeds/minute, {:.0} simulated ops/s).\n",
        wall.as_secs_f64(),
        total_runs as f64 * 60.0 / wall.as_secs_f64().max(1e-9),
        total_ops as f64 / wall.as_secs_f64().max(1e-9),
    ));
    if !result.failures.is_empty() {
        text.push_str("\n## Runs that did not meet their expectation\n\n");
    }
    for o in &result.failures {
        let scenario = plan
            .scenarios
            .iter()
            .find(|s| s.name == o.scenario && s.topology.engine == o.engine)
            .expect("a swept scenario");
        let html = sweep::write_run_report(&dir, scenario, o, true).map_err(|e| e.to_string())?;
        text.push_str(&format!(
            "- `{}` seed {} ({}): {} — [report]({}) — replay: `{}`\n",
            o.scenario,
            o.seed,
            o.engine.name(),
            o.failure.as_deref().unwrap_or("?").lines().next().unwrap_or(""),
            html.strip_prefix(&dir).unwrap_or(&html).display(),
            report::replay_command(&o.scenario, o.seed, o.engine.name())
        ));
    }
    // One example report per scenario, the first seed, so people can look
    // at a run even when everything passed.
    text.push_str("\n## Example runs\n\n");
    for s in &plan.scenarios {
        let o = run_seed(s, plan.first_seed, &plan.options);
        let html = sweep::write_run_report(&dir, s, &o, false).map_err(|e| e.to_string())?;
        text.push_str(&format!(
            "- `{}` seed {} ({}): {} — [report]({})\n",
            s.name,
            o.seed,
            o.engine.name(),
            sweep::verdict_words(&o),
            html.strip_prefix(&dir).unwrap_or(&html).display()
        ));
    }
    // Every remembered failure, replayed.
    let mut regressions_ok = true;
    for p in &paths {
        let file = if p.is_dir() { p.join("regressions.toml") } else { continue };
        if !file.exists() {
            continue;
        }
        let list = Regressions::load(&file).map_err(|e| e.to_string())?;
        text.push_str(&format!("\n## Regressions ({})\n\n", file.display()));
        for r in &list.regression {
            let mut s = Scenario::load(&p.join(format!("{}.toml", r.scenario))).map_err(|e| e.to_string())?;
            if let Some(v) = r.expect {
                s.expect.verdict = v;
            }
            for s in sweep::on_engines(vec![s], &engines) {
                let o = run_seed(&s, r.seed, &plan.options);
                println!("regression {}", o.summary());
                regressions_ok &= o.passed;
                text.push_str(&format!(
                    "- `{}` seed {} ({}): {} — {} ({})\n",
                    r.scenario,
                    r.seed,
                    o.engine.name(),
                    sweep::verdict_words(&o),
                    if o.passed { "as expected" } else { "FAILED" },
                    r.note
                ));
            }
        }
    }
    let out = dir.join("sweep.md");
    std::fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    print!("{text}");
    println!("wrote {}", out.display());
    Ok(result.failures.is_empty() && regressions_ok)
}

/// `sim shrink`: a failing seed cut down to a small scripted scenario.
fn cmd_shrink(words: &[String]) -> Result<bool, String> {
    let a = Args::parse(words, &[])?;
    a.only(&["seed", "max-runs", "out", "engine"])?;
    let [path] = a.positional.as_slice() else { return Err(USAGE.into()) };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut scenario = load(path)?;
    if let Some(engine) = engine_choice(&a, false)?.first() {
        scenario.topology.engine = *engine;
    }
    let seed = a.number("seed")?.ok_or("--seed is required")?;
    let max_runs = a.number("max-runs")?.unwrap_or(200) as usize;
    let opts = RunOptions { trace: TraceLevel::Ops, ..RunOptions::default() };
    let m = minimize(&text, &scenario, seed, &opts, max_runs, &|line| println!("{line}"))?;
    assert!(shows_problem(&m.outcome));
    println!(
        "shrunk in {} runs: faults {} -> {}, ops {} -> {}, clients {} -> {}",
        m.runs, m.faults_before, m.faults_after, m.ops_before, m.ops_after, m.clients_before, m.clients_after
    );
    print!("{}", m.outcome.timeline_text());
    println!("{}", m.outcome.report);
    let out = match a.value("out") {
        Some(o) => PathBuf::from(o),
        None => Path::new("scenarios/shrunk").join(format!("{}.toml", m.scenario.name)),
    };
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let engine = m.scenario.topology.engine.name();
    let header = format!(
        "# Shrunk by `sim shrink {path} --seed {seed} --engine {engine}` ({} runs): replay with\n# {}\n",
        m.runs,
        report::replay_command(&out.display().to_string(), seed, engine)
    );
    std::fs::write(&out, format!("{header}{}", m.toml)).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(true)
}

/// `sim check`: the checker on a history file.
fn cmd_check(words: &[String]) -> Result<bool, String> {
    let a = Args::parse(words, &[])?;
    a.only(&["max-steps", "shrink-steps"])?;
    let [path] = a.positional.as_slice() else { return Err(USAGE.into()) };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    // The simulator's budgets unless told otherwise: shrinking a set or list
    // violation to a 1-minimal core can take far longer than finding it.
    let defaults = RunOptions::default().check;
    let config = CheckConfig {
        max_steps_per_partition: a.number("max-steps")?.unwrap_or(defaults.max_steps_per_partition),
        shrink_steps: a.number("shrink-steps")?.unwrap_or(defaults.shrink_steps),
    };
    let history = match History::from_json(&text) {
        Ok(h) => h,
        Err(first) => checker::import::import_events(&text)
            .map_err(|second| format!("{path}: not a redsim history ({first:?}) nor an event list ({second:?})"))?,
    };
    let report = checker::check(&history, &config);
    println!("{report}");
    Ok(report.verdict == checker::Verdict::Linearizable)
}
