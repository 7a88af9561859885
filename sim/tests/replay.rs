//! A seed is a replay: the same seed gives a byte-identical trace, with
//! faults, crashes and disk latencies in it, and another seed a different
//! one. And the crate refuses to build without `--cfg madsim`.

use std::path::Path;

use redsim_sim::run::{run_seed, RunOptions, TraceLevel};
use redsim_sim::scenario::Scenario;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../scenarios/{name}.toml"));
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn full() -> RunOptions {
    RunOptions { trace: TraceLevel::Full, ..RunOptions::default() }
}

#[test]
fn same_seed_same_trace_with_faults() {
    let s = scenario("crash-restart-always");
    let a = run_seed(&s, 7, &full());
    let b = run_seed(&s, 7, &full());
    assert!(a.stats.faults_applied > 0, "the run had faults: {}", a.summary());
    assert!(a.trace.contains("EVENT kill") || a.trace.contains("EVENT power-loss"), "{}", a.plan);
    assert!(a.trace.contains("disk #"), "a full trace shows storage operations");
    if a.trace != b.trace {
        let line = a.trace.lines().zip(b.trace.lines()).position(|(x, y)| x != y).unwrap_or(0);
        panic!(
            "seed 7 did not replay identically; first difference at trace line {line}:\n  {}\n  {}",
            a.trace.lines().nth(line).unwrap_or(""),
            b.trace.lines().nth(line).unwrap_or("")
        );
    }
    assert_eq!(a.history, b.history);
    assert_eq!(a.events, b.events);
    assert_eq!(a.stats, b.stats);

    let c = run_seed(&s, 8, &full());
    assert_ne!(a.trace, c.trace, "another seed gave the same trace: the seed does not reach the run");
    assert_ne!(a.plan, c.plan, "another seed drew the same fault plan");
}

#[test]
fn network_faults_replay_too() {
    let s = scenario("pipelined-partitions");
    let a = run_seed(&s, 3, &full());
    let b = run_seed(&s, 3, &full());
    assert!(a.stats.faults_applied > 0, "{}", a.summary());
    assert!(a.trace == b.trace, "seed 3 of pipelined-partitions did not replay identically");
}

/// `lib.rs` has a `compile_error!` for builds without `--cfg madsim`: a plain
/// `rustc` of the crate root must stop with that message.
#[test]
fn the_crate_refuses_to_build_without_cfg_madsim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let out_dir = std::env::temp_dir().join(format!("redsim-no-madsim-{}", std::process::id()));
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = std::process::Command::new(rustc)
        .args(["--edition", "2021", "--crate-type", "lib", "--emit", "metadata", "--crate-name", "redsim_sim"])
        .arg("--out-dir")
        .arg(&out_dir)
        .arg(&root)
        .output()
        .expect("running rustc");
    let _ = std::fs::remove_dir_all(&out_dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the crate built without --cfg madsim");
    assert!(
        stderr.contains("redsim-sim must be compiled with `--cfg madsim`"),
        "the build failed, but not loudly with the reason:\n{stderr}"
    );
}

/// A run never hangs: past its simulated-time bound it stops and says so.
#[test]
fn a_run_past_its_time_bound_is_reported() {
    let s = scenario("crash-restart-always");
    let o = run_seed(&s, 1, &RunOptions { max_sim_ms: 1500, ..RunOptions::default() });
    assert!(!o.passed);
    let crash = o.crash.as_deref().unwrap_or("");
    assert!(crash.contains("simulated time limit of 1500 ms exceeded"), "{crash}");
    assert!(!o.history.ops.is_empty(), "what happened before the bound is kept");
}

/// Every scenario file, not just the two above: one seed twice, full trace,
/// byte for byte. And the canonical seed's summary (plan, timeline, verdict)
/// is snapshotted, so any change in what a seed does shows up in review.
#[test]
fn every_scenario_replays_and_its_canonical_seed_is_snapshotted() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenarios = redsim_sim::sweep::load_scenarios(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(scenarios.len() >= 6, "the first set of scenarios is there");
    for (_, s) in &scenarios {
        let a = run_seed(s, 1, &full());
        let b = run_seed(s, 1, &full());
        assert!(a.trace == b.trace, "{} seed 1 did not replay identically", s.name);
        assert_eq!(a.history, b.history, "{}", s.name);
        let canonical = format!(
            "{}\n\nplan:\n{}\ntimeline:\n{}\nverdict: {:?}, {} of {} acknowledged writes lost, passed: {}\n",
            a.summary(),
            a.plan,
            a.timeline_text(),
            a.report.verdict,
            a.stats.lost_writes,
            a.stats.acknowledged_writes,
            a.passed
        );
        insta::assert_snapshot!(format!("canonical-seed-{}", s.name), canonical);
    }
}
