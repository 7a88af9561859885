//! The `sim` command line, as a person runs it: replaying a seed (twice, to
//! prove determinism), a small sweep writing its reports, shrinking a
//! failing seed, and checking a history file it wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sim(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("running sim");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redsim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn run_replays_a_seed_deterministically_and_writes_its_report() {
    let dir = scratch("run");
    let d = dir.to_str().unwrap();
    let (ok, out) =
        sim(&["run", "scenarios/everysec-power-loss.toml", "--seed", "1", "--check-determinism", "--report", d]);
    assert!(ok, "{out}");
    assert!(out.contains("byte-identical trace"), "{out}");
    assert!(out.contains("-> pass"), "{out}");
    let html = dir.join("everysec-power-loss/seed-1.html");
    assert!(std::fs::read_to_string(&html).unwrap().contains("<svg"), "the report has its timeline");
    // The history it wrote goes back through the checker.
    let history = dir.join("everysec-power-loss/seed-1.history.json");
    let (linearizable, out) = sim(&["check", history.to_str().unwrap()]);
    assert!(!linearizable, "a must-find run's history is not linearizable:\n{out}");
    assert!(out.contains("NOT LINEARIZABLE"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_writes_a_table_and_an_example_per_scenario() {
    let dir = scratch("sweep");
    let (ok, out) = sim(&["sweep", "scenarios", "--seeds", "1", "--report", dir.to_str().unwrap()]);
    assert!(ok, "{out}");
    let table = std::fs::read_to_string(dir.join("sweep.md")).unwrap();
    for name in ["no-faults", "crash-restart-always", "everysec-power-loss", "rdb-only-crash"] {
        assert!(table.contains(&format!("| {name} | model | 1 | 1 | 0 |")), "{name} row:\n{table}");
        assert!(dir.join(name).join("seed-0.html").exists());
    }
    assert!(table.contains("## Regressions"), "{table}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_runs_scenarios_on_the_engine_asked_for() {
    let dir = scratch("sweep-engines");
    let d = dir.to_str().unwrap();
    let (ok, out) =
        sim(&["sweep", "scenarios/crash-restart-always.toml", "--seeds", "2", "--engine", "both", "--report", d]);
    assert!(ok, "{out}");
    let table = std::fs::read_to_string(dir.join("sweep.md")).unwrap();
    for engine in ["model", "engine"] {
        assert!(table.contains(&format!("| crash-restart-always | {engine} | 2 | 2 | 0 |")), "{engine} row:\n{table}");
    }
    assert!(out.contains("crash-restart-always seed 1 on engine:"), "{out}");
    // Each engine's example report, side by side, each replaying on its engine.
    let example = |stem: &str| std::fs::read_to_string(dir.join("crash-restart-always").join(format!("{stem}.md")));
    assert!(example("seed-0").unwrap().contains("--seed 0 --engine model"));
    assert!(example("seed-0-engine").unwrap().contains("--seed 0 --engine engine"));

    let (ok, out) = sim(&["sweep", "scenarios/no-faults.toml", "--seeds", "1", "--engine", "fast", "--report", d]);
    assert!(!ok && out.contains("--engine: model, engine or both, not fast"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shrink_cuts_a_failing_seed_down_and_refuses_a_passing_one() {
    let dir = scratch("shrink");
    let out_file = dir.join("min.toml");
    let (ok, out) = sim(&[
        "shrink",
        "scenarios/rdb-only-crash.toml",
        "--seed",
        "2",
        "--max-runs",
        "12",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let line = out.lines().find(|l| l.starts_with("shrunk in")).expect("a summary line");
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.contains("mode = \"scripted\"") || text.contains("mode = \"none\""), "{text}");
    assert!(text.contains("engine = \"model\""), "the shrunk file names the engine it failed on:\n{text}");
    // The shrunk scenario replays and still shows the problem.
    let (_, replay) = sim(&["run", out_file.to_str().unwrap(), "--seed", "2"]);
    assert!(replay.contains("Violation"), "{line}\n{replay}");

    let (ok, out) = sim(&["shrink", "scenarios/no-faults.toml", "--seed", "0", "--out", out_file.to_str().unwrap()]);
    assert!(!ok && out.contains("nothing to shrink"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_is_a_clear_error() {
    let (ok, out) = sim(&["run", "scenarios/no-such.toml"]);
    assert!(!ok && out.contains("no-such.toml"), "{out}");
    let (ok, out) = sim(&["frobnicate"]);
    assert!(!ok && out.contains("usage:"), "{out}");
}
