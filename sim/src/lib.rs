//! redsim's deterministic simulator.
//!
//! Everything here runs inside madsim's simulated runtime: time, task
//! scheduling, the network and the disks are simulated, and every
//! source of randomness derives from one seed, so a run replays exactly.
//! This crate only makes sense when compiled with `--cfg madsim`, which the
//! workspace's `.cargo/config.toml` turns on; without it the crate refuses to
//! compile, so a misconfigured run fails instead of silently simulating nothing.
//!
//! A run ([`run::run_seed`]) takes a [`scenario::Scenario`] and a seed,
//! runs redsim's node core ([`node_host`]) on simulated TCP with a faulty
//! simulated disk ([`disk`]), drives it with recording clients ([`client`],
//! [`workloads`]) under a fault plan ([`faults`]), and checks the recorded
//! [`history`] for linearizability ([`checker`]); in a replicated group an
//! operator ([`replication`]) promotes replicas and checks, at the end, that
//! they converged on the master's data. [`report`], [`sweep`] and
//! [`minimize`] turn runs into reports, sweeps and shrunk scenarios for the
//! `sim` command line.

#[cfg(not(madsim))]
compile_error!(
    "redsim-sim must be compiled with `--cfg madsim` (set by the workspace's .cargo/config.toml). \
     RUSTFLAGS overrides it: add `--cfg madsim` to your RUSTFLAGS, or unset them."
);

pub mod checker;
pub mod client;
pub mod disk;
pub mod faults;
pub mod history;
pub mod minimize;
pub mod node_host;
pub mod replication;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod workload;
pub mod workloads;
