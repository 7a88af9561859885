//! Every scenario in `scenarios/`, for its `seeds` seeds, must reach the
//! verdict it expects; so must every seed in `scenarios/regressions.toml`.
//!
//! `REDSIM_SIM_SEEDS=n` runs n seeds per scenario instead (a longer sweep);
//! `REDSIM_SCENARIO=name REDSIM_SEED=s cargo test -p redsim-sim --test
//! scenarios replay_one -- --nocapture` runs one seed and prints its plan,
//! timeline, trace and the checker's verdict (`REDSIM_ENGINE=engine` on the
//! optimized engine).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use redsim_sim::run::{run_seed, RunOptions, RunOutcome, TraceLevel};
use redsim_sim::scenario::{scenario_files, EngineKind, Regressions, Scenario};

/// The scenario files this suite runs, one test each.
const SCENARIOS: [&str; 14] = [
    "no-faults",
    "crash-restart-always",
    "everysec-power-loss",
    "rdb-only-crash",
    "disk-corruption",
    "pipelined-partitions",
    "sharded-faults",
    "replication-partitions",
    "replication-failover",
    "replication-failover-min-replicas",
    "replication-wait",
    "replication-swarm",
    "replication-saves",
    "replication-sync-files",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn load(name: &str) -> Scenario {
    Scenario::load(&dir().join(format!("{name}.toml"))).unwrap_or_else(|e| panic!("{e}"))
}

fn seeds_for(scenario: &Scenario) -> u64 {
    std::env::var("REDSIM_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(scenario.expect.seeds)
}

/// A failed run, told so it can be replayed and understood.
fn explain(o: &RunOutcome) -> String {
    format!(
        "{}\n  why: {}\n  replay: {}\n  plan:\n{}  timeline:\n{}",
        o.summary(),
        o.failure.as_deref().unwrap_or("?"),
        o.replay_command(),
        indent(&o.plan),
        indent(&o.timeline_text())
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

fn run_scenario(name: &str) {
    let scenario = load(name);
    assert_eq!(scenario.name, name, "a scenario's file is named after it");
    let opts = RunOptions::default();
    let mut verdicts: BTreeMap<String, u64> = BTreeMap::new();
    let (mut passed, mut with_lost, mut lost_total) = (0, 0, 0);
    let mut failures = Vec::new();
    let seeds = seeds_for(&scenario);
    for seed in 1..=seeds {
        let started = std::time::Instant::now();
        let o = run_seed(&scenario, seed, &opts);
        println!("{} [{} ms wall]", o.summary(), started.elapsed().as_millis());
        let v = match &o.crash {
            Some(_) => "crash".to_string(),
            None => format!("{:?}", o.report.verdict),
        };
        *verdicts.entry(v).or_default() += 1;
        if o.stats.lost_writes > 0 {
            with_lost += 1;
            lost_total += o.stats.lost_writes;
        }
        if o.passed {
            passed += 1;
        } else {
            failures.push(explain(&o));
        }
    }
    let verdicts: Vec<String> = verdicts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    println!(
        "scenario {name} ({}): {passed}/{seeds} seeds passed; verdicts: {}; {with_lost} seeds lost acknowledged \
         writes ({lost_total} in all)",
        scenario.expect.verdict.name(),
        verdicts.join(", ")
    );
    assert!(failures.is_empty(), "{name}: {} of {seeds} seeds failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn no_faults() {
    run_scenario("no-faults");
}

#[test]
fn crash_restart_always() {
    run_scenario("crash-restart-always");
}

#[test]
fn everysec_power_loss() {
    run_scenario("everysec-power-loss");
}

#[test]
fn rdb_only_crash() {
    run_scenario("rdb-only-crash");
}

#[test]
fn disk_corruption() {
    run_scenario("disk-corruption");
}

#[test]
fn pipelined_partitions() {
    run_scenario("pipelined-partitions");
}

#[test]
fn sharded_faults() {
    run_scenario("sharded-faults");
}

#[test]
fn replication_partitions() {
    run_scenario("replication-partitions");
}

#[test]
fn replication_failover() {
    run_scenario("replication-failover");
}

#[test]
fn replication_failover_min_replicas() {
    run_scenario("replication-failover-min-replicas");
}

#[test]
fn replication_wait() {
    run_scenario("replication-wait");
}

#[test]
fn replication_swarm() {
    run_scenario("replication-swarm");
}

#[test]
fn replication_saves() {
    run_scenario("replication-saves");
}

#[test]
fn replication_sync_files() {
    run_scenario("replication-sync-files");
}

/// Every replicated run ends with the replicas in sync with the master
/// (same offset, link up, equal DEBUG DIGEST), and the failover scenarios
/// really promote a replica and lose writes to it.
#[test]
fn replicated_runs_check_their_replicas() {
    for name in ["replication-failover", "replication-wait"] {
        let o = run_seed(&load(name), 1, &RunOptions::default());
        let check = o.replication.as_ref().unwrap_or_else(|| panic!("{name}: no replication check"));
        assert!(check.passed(), "{name}: {}", check.describe());
        assert_eq!(check.nodes.len(), 3, "{name}: {}", check.describe());
        let digests: std::collections::BTreeSet<_> = check.nodes.iter().map(|n| n.digest.clone()).collect();
        assert_eq!(digests.len(), 1, "{name}: {}", check.describe());
        assert!(o.events.iter().any(|e| e.2 == "promote"), "{name}: nothing promoted:\n{}", o.timeline_text());
        assert!(o.events.iter().any(|e| e.2 == "clients-switch"), "{name}:\n{}", o.timeline_text());
        assert_ne!(check.master, "n1", "{name}: the master after the failover");
        assert!(o.stats.lost_writes > 0, "{name}: {}", o.summary());
    }
    // The partitions scenario's seeds make replicas continue from the
    // backlog after a cut, and fail to when a burst overflowed it.
    let partitions = load("replication-partitions");
    let (mut partial, mut refused) = (0, 0);
    for seed in 1..=partitions.expect.seeds {
        let check = run_seed(&partitions, seed, &RunOptions::default()).replication.expect("a replicated run");
        partial += check.sync_partial_ok;
        refused += check.sync_partial_err;
    }
    assert!(partial > 0, "no partial resync in replication-partitions' seeds");
    assert!(refused > 0, "no backlog overflow forced a full resync in replication-partitions' seeds");
    // Replicas that never sync (the master delays every full sync by 100 s)
    // fail the run, whatever the checker says.
    let mut stuck = load("replication-partitions");
    stuck.topology.config.insert("repl-diskless-sync-delay".into(), toml::Value::Integer(100));
    stuck.faults = Default::default();
    stuck.workload.ops = Some(100);
    let o = run_seed(&stuck, 1, &RunOptions::default());
    assert!(!o.passed, "{}", o.summary());
    let why = o.failure.as_deref().unwrap_or("");
    assert!(why.contains("replication check failed: the replicas did not converge"), "{why}");
    assert!(why.contains("n2: master_link_status down"), "{why}");
    assert!(o.summary().contains("REPLICAS DIVERGE"), "{}", o.summary());
    // Non-replicated runs have no such check.
    assert!(run_seed(&load("no-faults"), 1, &RunOptions::default()).replication.is_none());
}

#[test]
fn every_scenario_file_is_run() {
    let files = scenario_files(&dir()).unwrap();
    let names: Vec<String> = files.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    for name in &names {
        assert!(SCENARIOS.contains(&name.as_str()), "scenarios/{name}.toml has no test in sim/tests/scenarios.rs");
        load(name);
    }
    assert_eq!(names.len(), SCENARIOS.len(), "a scenario listed here has no file: {names:?}");
}

#[test]
fn regressions() {
    let regressions = Regressions::load(&dir().join("regressions.toml")).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for r in &regressions.regression {
        let mut scenario = load(&r.scenario);
        if let Some(expect) = r.expect {
            scenario.expect.verdict = expect;
        }
        let o = run_seed(&scenario, r.seed, &RunOptions::default());
        println!("regression {}", o.summary());
        if !o.passed {
            failures.push(explain(&o));
        }
    }
    println!("{} regression seeds replayed", regressions.regression.len());
    assert!(failures.is_empty(), "regressions failed:\n{}", failures.join("\n"));
}

/// Every scenario also runs on the optimized engine, for the same seeds,
/// and meets the same expectation.
#[test]
fn every_scenario_on_the_optimized_engine() {
    let mut failures = Vec::new();
    for (_, mut s) in redsim_sim::sweep::load_scenarios(&dir()).unwrap_or_else(|e| panic!("{e}")) {
        s.topology.engine = EngineKind::Engine;
        assert!(s.config_text().starts_with("engine engine\n"));
        for seed in 1..=seeds_for(&s) {
            let o = run_seed(&s, seed, &RunOptions::default());
            println!("{}", o.summary());
            if !o.passed {
                failures.push(explain(&o));
            }
        }
    }
    assert!(failures.is_empty(), "on the optimized engine:\n{}", failures.join("\n"));
}

/// A must-find scenario finds its violation for the right reason: every
/// lost write the checker names was acknowledged before a power loss, and
/// no fsync of the AOF completed between its acknowledgement and that power
/// loss (the full trace shows both).
#[test]
fn lost_writes_follow_a_power_loss_before_their_fsync() {
    let scenario = load("everysec-power-loss");
    for seed in 1..=3 {
        let o = run_seed(&scenario, seed, &RunOptions { trace: TraceLevel::Full, ..RunOptions::default() });
        let lost = &o.report.lost_writes.as_ref().expect("a workload kind").1;
        assert!(lost.lost > 0, "{}", o.summary());
        let at = |line: &str| -> u64 {
            let t = line.split_whitespace().next().unwrap_or("0");
            let (ms, frac) = t.split_once('.').unwrap_or((t, "0"));
            ms.parse::<u64>().unwrap() * 1_000_000 + frac.parse::<u64>().unwrap()
        };
        let power_losses: Vec<u64> = o.trace.lines().filter(|l| l.contains("EVENT power-loss")).map(at).collect();
        // Fsyncs of AOF files: issued as "disk #id Fsync(appendonlydir/...)",
        // completed as "disk #id done after ... Done".
        let mut issued = std::collections::BTreeSet::new();
        let mut synced_at = Vec::new();
        for line in o.trace.lines() {
            if line.contains(" starts") && line.contains("process ") {
                issued.clear(); // storage ids start again with each process
            }
            let Some(rest) = line.split("disk #").nth(1) else { continue };
            let id = rest.split_whitespace().next().unwrap_or("");
            if rest.contains("Fsync(appendonlydir/") {
                issued.insert(id.to_string());
            } else if rest.contains("done after") && rest.ends_with("Done") && issued.remove(id) {
                synced_at.push(at(line));
            }
        }
        for example in &lost.examples {
            let id: u64 = example.split("(op #").nth(1).and_then(|r| r.split(')').next()).unwrap().parse().unwrap();
            let op = o.history.ops.iter().find(|op| op.id == id).unwrap();
            let acked = op.complete_time.unwrap();
            let crash = power_losses.iter().copied().find(|&p| p > acked);
            let crash = crash.unwrap_or_else(|| panic!("seed {seed}: {example}, but no power loss after it"));
            let fsync = synced_at.iter().find(|&&f| f > acked && f < crash);
            assert!(
                fsync.is_none(),
                "seed {seed}: {example}, yet an AOF fsync completed at {fsync:?} ns between its ack at {acked} ns and \
                 the power loss at {crash} ns"
            );
        }
    }
}

/// Runs one seed of one scenario and prints everything about it.
#[test]
fn replay_one() {
    let (Ok(name), Ok(seed)) = (std::env::var("REDSIM_SCENARIO"), std::env::var("REDSIM_SEED")) else {
        return;
    };
    let seed: u64 = seed.parse().expect("REDSIM_SEED is a number");
    let level = match std::env::var("REDSIM_TRACE").as_deref() {
        Ok("faults") => TraceLevel::Faults,
        Ok("full") => TraceLevel::Full,
        _ => TraceLevel::Ops,
    };
    let mut opts = RunOptions { trace: level, ..RunOptions::default() };
    if let Some(n) = std::env::var("REDSIM_SHRINK_STEPS").ok().and_then(|s| s.parse().ok()) {
        opts.check.shrink_steps = n;
    }
    let mut scenario = load(&name);
    if let Ok(engine) = std::env::var("REDSIM_ENGINE") {
        scenario.topology.engine = EngineKind::from_name(&engine).expect("REDSIM_ENGINE is model or engine");
    }
    let started = std::time::Instant::now();
    let o = run_seed(&scenario, seed, &opts);
    println!("wall time: {} ms", started.elapsed().as_millis());
    println!("plan:\n{}", o.plan);
    println!("trace:\n{}", o.trace);
    println!("timeline:\n{}", o.timeline_text());
    println!("checker:\n{}", o.report);
    println!("stats: {:?}", o.stats);
    println!("{}", o.summary());
    if let Some(f) = &o.failure {
        println!("why: {f}");
    }
}
