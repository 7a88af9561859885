//! How long the linearizability checker takes on generated histories of 10k
//! and 100k operations (100 keys, 10 clients, a few timeouts and failures),
//! for every workload kind at 10k and for registers, sets and list-append at
//! 100k (whose per-key states grow to hundreds of elements).
//!
//! `cargo bench -p redsim-sim --bench checker`; each history's verdict and
//! model step count are printed first so the timing can be read per step.
//! Generating the 100k histories takes a few seconds each before that.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use redsim_sim::checker::generate::{generate, GenConfig};
use redsim_sim::checker::{check, CheckConfig, Verdict, WorkloadKind};
use redsim_sim::history::History;

fn history(kind: WorkloadKind, ops: usize) -> History {
    generate(&GenConfig { keys: 100, clients: 10, ..GenConfig::new(kind, 2024, ops) })
}

fn bench(c: &mut Criterion) {
    let config = CheckConfig::default();
    let cases = WorkloadKind::ALL
        .into_iter()
        .map(|k| (k, 10_000))
        .chain([WorkloadKind::Register, WorkloadKind::Set, WorkloadKind::ListAppend].map(|k| (k, 100_000)));
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for (kind, ops) in cases {
        let h = history(kind, ops);
        let report = check(&h, &config);
        assert_eq!(report.verdict, Verdict::Linearizable, "generated histories are linearizable");
        println!("{} {ops} ops: {} keys, {} model steps", kind.name(), report.partitions.len(), report.steps);
        group.bench_with_input(BenchmarkId::new(kind.name(), ops), &h, |b, h| b.iter(|| check(h, &config)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
