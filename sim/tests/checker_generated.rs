//! Property tests, seeded: histories generated linearizable by construction
//! must be accepted, and the same histories with one reply made impossible
//! must be rejected, with the changed operation in the shown failure.

mod checker_support;

use redsim_sim::checker::generate::{corrupt, generate, GenConfig};
use redsim_sim::checker::{self, CheckConfig, Verdict, WorkloadKind};

const SEEDS: u64 = 4;

fn config(kind: WorkloadKind, seed: u64) -> GenConfig {
    // Few keys, many clients: long, concurrent per-key histories.
    GenConfig { keys: 3, clients: 6, ..GenConfig::new(kind, seed, 240) }
}

#[test]
fn generated_histories_are_linearizable() {
    for kind in WorkloadKind::ALL {
        for seed in 0..SEEDS {
            let h = generate(&config(kind, seed));
            let report = checker::check(&h, &CheckConfig::default());
            assert_eq!(report.verdict, Verdict::Linearizable, "{} seed {seed}:\n{report}", kind.name());
            let (_, lost) = report.lost_writes.as_ref().expect("the generator names its workload");
            assert_eq!(lost.lost, 0, "{} seed {seed}: nothing was lost: {:?}", kind.name(), lost.examples);
            assert!(lost.acknowledged > 0);
        }
    }
}

#[test]
fn one_corrupted_reply_is_rejected_and_shown() {
    for kind in WorkloadKind::ALL {
        for seed in 0..SEEDS {
            let h = generate(&config(kind, seed));
            let (bad, changed) = corrupt(&h, seed).expect("some operation succeeded");
            // Registers and counters shrink cheaply; relaxing set, list and
            // queue writes multiplies states, so their shrinking is capped.
            let small = matches!(kind, WorkloadKind::Register | WorkloadKind::Counter);
            let shrink_steps = if small { 1_000_000 } else { 100_000 };
            let report = checker::check(&bad, &CheckConfig { shrink_steps, ..CheckConfig::default() });
            assert_eq!(report.verdict, Verdict::Violation, "{} seed {seed}: op #{changed} changed", kind.name());
            let v = report.violations().next().unwrap();
            let op = bad.ops.iter().find(|o| o.id == changed).unwrap();
            assert_eq!(v.key, op.key, "{} seed {seed}: the violation is on the changed key", kind.name());
            assert!(
                v.minimal.iter().any(|o| o.id == changed),
                "{} seed {seed}: the changed op #{changed} is in the shown failure:\n{report}",
                kind.name()
            );
            let on_key = bad.ops.iter().filter(|o| o.key == op.key).count();
            assert!(v.minimal.len() < on_key, "{} seed {seed}: shrinking removed something", kind.name());
            if small {
                assert!(v.minimal.len() <= 3, "{} seed {seed}: small failure:\n{report}", kind.name());
                assert!(v.minimal_is_one_minimal, "{} seed {seed}:\n{report}", kind.name());
            }
        }
    }
}

#[test]
fn generation_and_checking_are_deterministic() {
    let a = generate(&config(WorkloadKind::ListAppend, 42));
    let b = generate(&config(WorkloadKind::ListAppend, 42));
    assert_eq!(a, b);
    assert_ne!(a, generate(&config(WorkloadKind::ListAppend, 43)));
    let (bad, _) = corrupt(&a, 1).unwrap();
    // Capped shrinking as above: list states multiply, and the point here is
    // that two runs agree, not how far shrinking gets.
    let cfg = CheckConfig { shrink_steps: 100_000, ..CheckConfig::default() };
    let r1 = checker::check(&bad, &cfg);
    let r2 = checker::check(&bad, &cfg);
    assert_eq!(r1.to_string(), r2.to_string());
    assert_eq!(r1.steps, r2.steps);
}

#[test]
fn generated_histories_have_concurrency_and_uncertainty() {
    // The properties above mean little if the histories were sequential.
    let h = generate(&config(WorkloadKind::Register, 3));
    let overlapping = h.ops.windows(2).filter(|w| w[1].invoke_time < w[0].complete_time.unwrap_or(u64::MAX)).count();
    assert!(overlapping > h.ops.len() / 2, "only {overlapping} overlapping neighbours");
    let info = h.ops.iter().filter(|o| matches!(o.outcome, redsim_sim::history::Outcome::Info(_))).count();
    let fail = h.ops.iter().filter(|o| matches!(o.outcome, redsim_sim::history::Outcome::Fail(_))).count();
    assert!(info > 0 && fail > 0, "info {info}, fail {fail}");
}
