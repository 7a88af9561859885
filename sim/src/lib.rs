//! redsim's deterministic simulator.
//!
//! Everything here runs inside madsim's simulated runtime: time, task
//! scheduling and (later) the network and disks are simulated, and every
//! source of randomness derives from one seed, so a run replays exactly.
//! This crate only makes sense when compiled with `--cfg madsim`, which the
//! workspace's `.cargo/config.toml` turns on; without it the crate refuses to
//! compile, so a misconfigured run fails instead of silently simulating nothing.
//!
//! For now the simulator drives the reference engine directly with a seeded
//! workload on simulated time ([`workload`]); nodes, faults and the
//! linearizability checker come with the simulator issue.

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
pub mod report;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod workload;
pub mod workloads;
