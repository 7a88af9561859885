//! Scenario files: what a simulation run sets up, does and expects.
//!
//! A scenario is a TOML file in `scenarios/`. It names the topology (how many
//! nodes — independent servers the clients shard the keys over, or one
//! master and its replicas — which engine, which redis.conf directives),
//! the workload the
//! clients run, the faults (none, a seeded "swarm" mix, or a scripted
//! timeline) and the verdict the runs must reach. A scenario is data: the
//! same file run with the same seed gives the same run, and every seed draws
//! its own fault plan from it ([`crate::faults::FaultPlan`]).
//!
//! ```toml
//! name = "crash-restart-always"
//! description = "appendfsync always survives kills and power losses"
//!
//! [topology]
//! nodes = 1
//! engine = "model"
//! config = { appendonly = "yes", appendfsync = "always", save = "" }
//!
//! [workload]
//! kind = "list-append"
//! clients = 4
//! ops = 300
//! keys = 4
//! timeout_ms = 1000
//! think_ms = [0, 20]
//!
//! [faults]
//! mode = "swarm"
//! kinds = ["kill", "power-loss"]
//!
//! [expect]
//! verdict = "linearizable"
//! seeds = 16
//! ```
//!
//! Unknown fields are errors, and every error names the field it is about,
//! so a typo never silently turns a fault off.
//!
//! # Replicated topologies
//!
//! `replication = true` in `[topology]` makes the `nodes` servers one
//! replicated group instead of independent shards: `n1` starts as the
//! master, `n2` .. `nN` start with `replicaof <n1's address> <port>` in
//! their configuration (the simulator adds it, with `enable-debug-command
//! yes` unless the scenario sets it). Clients send every command to the
//! current master; with `read_from_replicas = true` in `[workload]` their
//! reads go to a replica instead (client `cK` reads from replica number
//! `(K - 1) mod replicas`, in node order), so stale reads are possible.
//! `wait_replicas = n` (with `wait_timeout_ms`) makes clients follow every
//! write with `WAIT n timeout` in the same pipeline: a write counts as
//! acknowledged only when WAIT reports `n` replicas; otherwise its outcome
//! is unknown (it took effect on the master, it may not survive).
//!
//! ```toml
//! [topology]
//! nodes = 3            # n1 master, n2 and n3 its replicas
//! replication = true
//! config = { repl-diskless-sync-delay = 0, repl-timeout = 1, repl-backlog-size = "16kb" }
//!
//! [faults]
//! mode = "swarm"
//! kinds = ["replica-partition", "replica-kill", "backlog-overflow", "failover"]
//! promote = "most-up-to-date"   # or "random" (drawn from the seed)
//! promote_after_ms = 300
//! ```
//!
//! Faults aimed at replication ([`FaultKind`]): `replica-partition` cuts the
//! master off from one replica (or from all of them); `replica-kill` kills
//! a node other than `n1`; `backlog-overflow` cuts a replica off and writes
//! more than `repl-backlog-size` to the master meanwhile, so that the
//! replica needs a full resync when the link heals; `failover` kills the
//! master and, `promote_after_ms` later, acts as an operator would: sends
//! `REPLICAOF NO ONE` to a replica (the one with the highest
//! `master_repl_offset` in INFO replication, ties to the lowest node, or
//! with `promote = "random"` one drawn from the seed; a scripted entry may
//! name it), `REPLICAOF <new master>` to the other nodes (a node that is
//! down gets it in the configuration it restarts with, as Sentinel
//! rewrites redis.conf), and switches the clients to the new master; the
//! old master restarts `down_ms` after it was killed, as a replica.
//! Scripted `partition` entries may name the groups `master` and
//! `replicas`, resolved when the fault is applied.
//!
//! At the end of a replicated run, after every fault healed, the run waits
//! (bounded) until every replica reports `master_link_status:up` and the
//! master's `master_repl_offset`, then compares every node's `DEBUG DIGEST`
//! with the master's: a replica that did not converge, or holds other data,
//! fails the run whatever the checker says.
//!
//! `scenarios/regressions.toml` lists seeds that once failed, each with the
//! scenario it belongs to and the verdict it must reach now
//! ([`Regressions`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use redsim_engine::node::Config;
use serde::Deserialize;

use crate::checker::WorkloadKind;
use crate::disk::DiskFaults;

/// A parsed and validated scenario.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub topology: Topology,
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub faults: FaultsSpec,
    #[serde(default)]
    pub expect: Expect,
}

/// The most server nodes a run has (each a simulated host with its own disk).
pub const MAX_NODES: usize = 16;

/// The servers of a run.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Number of server nodes, named `n1`, `n2`, ... Without `replication`
    /// nodes are independent servers: clients shard the keys over them
    /// ([`crate::client::shard_of`]).
    #[serde(default = "one")]
    pub nodes: usize,
    /// One replicated group: `n1` starts as the master, the other nodes as
    /// its replicas; clients send to the current master (see the module's
    /// documentation).
    #[serde(default)]
    pub replication: bool,
    #[serde(default)]
    pub engine: EngineKind,
    /// redis.conf directives, applied to every node as config-file lines
    /// (`appendonly = "yes"`, `save = ""`, `hz = 10`; booleans become yes/no).
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
}

impl Default for Topology {
    fn default() -> Self {
        Topology { nodes: 1, replication: false, engine: EngineKind::Model, config: BTreeMap::new() }
    }
}

/// Which engine the nodes run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The reference engine, `Model`.
    #[default]
    Model,
    /// The optimized engine, `redsim_engine::Engine`.
    Engine,
}

impl EngineKind {
    pub const ALL: [EngineKind; 2] = [EngineKind::Model, EngineKind::Engine];

    /// The name scenario files, the `engine` directive and `--engine` use.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Model => "model",
            EngineKind::Engine => "engine",
        }
    }

    pub fn from_name(name: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// What the clients do.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// `register`, `counter`, `set`, `list-append` or `queue`.
    pub kind: String,
    #[serde(default = "default_clients")]
    pub clients: usize,
    /// Operations to send in all (clients share the budget); the run's
    /// final reads come on top.
    pub ops: Option<u64>,
    /// Simulated milliseconds the workload runs for; with `ops` too, the
    /// workload ends at whichever comes first.
    pub duration_ms: Option<u64>,
    #[serde(default = "default_keys")]
    pub keys: usize,
    /// Requests a client sends before reading their replies (1: no pipelining).
    #[serde(default = "one")]
    pub pipeline: usize,
    /// How long a client waits for a reply before giving up on the
    /// connection (the operation's outcome is then unknown).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// The pause between two requests (or pipelines) of a client, drawn
    /// uniformly from this range.
    #[serde(default = "default_think")]
    pub think_ms: [u64; 2],
    /// Replicated topologies: reads go to a replica (stale reads possible),
    /// writes to the master.
    #[serde(default)]
    pub read_from_replicas: bool,
    /// Replicated topologies: every write is followed by `WAIT
    /// wait_replicas wait_timeout_ms` (0: no WAIT). A write is acknowledged
    /// only when WAIT reports that many replicas.
    #[serde(default)]
    pub wait_replicas: u32,
    #[serde(default = "default_wait_timeout")]
    pub wait_timeout_ms: u64,
}

impl WorkloadSpec {
    /// The checker's workload kind (validated when the scenario is parsed).
    pub fn workload_kind(&self) -> WorkloadKind {
        WorkloadKind::from_name(&self.kind).expect("validated when the scenario was parsed")
    }
}

/// Where faults come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultMode {
    #[default]
    None,
    /// Each seed draws its own mix and rates from the enabled kinds.
    Swarm,
    /// The timeline in `script`, the same for every seed.
    Scripted,
}

/// The `[faults]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsSpec {
    #[serde(default)]
    pub mode: FaultMode,
    /// Swarm: the fault kinds a seed may draw from (each seed enables a
    /// random non-empty subset of them).
    #[serde(default)]
    pub kinds: Vec<FaultKind>,
    /// Swarm: faults start within `[start_ms, window_ms]` of simulated time
    /// (the window defaults to the workload's `duration_ms`, else 10 s); the
    /// workload's end cuts the plan short.
    #[serde(default = "default_start")]
    pub start_ms: u64,
    pub window_ms: Option<u64>,
    /// Swarm: each seed draws its mean gap between two faults from this range.
    #[serde(default = "default_interval")]
    pub interval_ms: [u64; 2],
    /// Swarm: how long a fault lasts (a node down, a partition, a pause)
    /// before its paired heal, drawn per fault from this range.
    #[serde(default = "default_fault_duration")]
    pub duration_ms: [u64; 2],
    /// Swarm: the highest packet-loss rate a seed may draw (0..1).
    #[serde(default = "default_packet_loss")]
    pub max_packet_loss: f64,
    /// Swarm: the highest one-way latency a seed may draw.
    #[serde(default = "default_latency")]
    pub max_latency_ms: u64,
    /// Swarm: the largest clock skew (either way) a seed may draw.
    #[serde(default = "default_skew")]
    pub max_clock_skew_ms: u64,
    /// Swarm: the largest clock drift (either way, parts per million) a seed may draw.
    #[serde(default = "default_drift")]
    pub max_clock_drift_ppm: u64,
    /// Swarm: the highest per-mille rate of failed writes, fsyncs and reads.
    #[serde(default = "default_disk_errors")]
    pub max_disk_error_per_mille: u32,
    /// `failover`: how the operator picks the replica to promote.
    #[serde(default)]
    pub promote: PromotePolicy,
    /// `failover`: how long after the master's death the operator promotes.
    #[serde(default = "default_promote_after")]
    pub promote_after_ms: u64,
    /// Scripted: the timeline.
    #[serde(default)]
    pub script: Vec<ScriptedFault>,
}

/// How the operator of a replicated group picks the replica to promote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PromotePolicy {
    /// The replica whose INFO replication shows the highest
    /// `master_repl_offset` (ties: the lowest node), as Sentinel would.
    #[default]
    MostUpToDate,
    /// A replica drawn from the seed's fault stream.
    Random,
}

impl PromotePolicy {
    pub fn name(self) -> &'static str {
        match self {
            PromotePolicy::MostUpToDate => "most-up-to-date",
            PromotePolicy::Random => "random",
        }
    }
}

impl Default for FaultsSpec {
    fn default() -> Self {
        FaultsSpec {
            mode: FaultMode::None,
            kinds: Vec::new(),
            start_ms: default_start(),
            window_ms: None,
            interval_ms: default_interval(),
            duration_ms: default_fault_duration(),
            max_packet_loss: default_packet_loss(),
            max_latency_ms: default_latency(),
            max_clock_skew_ms: default_skew(),
            max_clock_drift_ppm: default_drift(),
            max_disk_error_per_mille: default_disk_errors(),
            promote: PromotePolicy::default(),
            promote_after_ms: default_promote_after(),
            script: Vec::new(),
        }
    }
}

/// The kinds of fault, as scenario files name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The process dies (SIGKILL); the disk keeps everything written.
    Kill,
    /// The machine loses power: the process dies and the disk keeps only
    /// what was made durable (see [`crate::disk`]).
    PowerLoss,
    /// Start a node that is down, or kill and start a running one.
    Restart,
    /// Stop scheduling the node's process (SIGSTOP) ...
    Pause,
    /// ... and continue it.
    Resume,
    /// Symmetric: no traffic between `node` and `peers`.
    Partition,
    /// No traffic to or from `node`.
    Isolate,
    /// Traffic from `from` to `to` is held, the other way flows.
    OneWay,
    /// Every network fault ends.
    Heal,
    /// A share of packets is dropped (TCP retransmits them later).
    PacketLoss,
    /// One-way latency range for every packet.
    Latency,
    /// The node's clock is off by `skew_ms`.
    ClockSkew,
    /// The node's disk fails operations at the given rates.
    DiskFaults,
    /// One bit of a durable file flips on the medium.
    BitFlip,
    /// Replicated: the master and a replica (or all replicas) cannot reach
    /// each other; clients still reach every node.
    ReplicaPartition,
    /// Replicated: a node other than `n1` is killed (a replica, unless a
    /// failover promoted it).
    ReplicaKill,
    /// Replicated: a replica is cut off from the master while more than
    /// `repl-backlog-size` of writes go to the master.
    BacklogOverflow,
    /// Replicated: the master is killed and the operator promotes a replica.
    Failover,
}

impl FaultKind {
    /// The name used in scenario files and timelines.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Kill => "kill",
            FaultKind::PowerLoss => "power-loss",
            FaultKind::Restart => "restart",
            FaultKind::Pause => "pause",
            FaultKind::Resume => "resume",
            FaultKind::Partition => "partition",
            FaultKind::Isolate => "isolate",
            FaultKind::OneWay => "one-way",
            FaultKind::Heal => "heal",
            FaultKind::PacketLoss => "packet-loss",
            FaultKind::Latency => "latency",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::DiskFaults => "disk-faults",
            FaultKind::BitFlip => "bit-flip",
            FaultKind::ReplicaPartition => "replica-partition",
            FaultKind::ReplicaKill => "replica-kill",
            FaultKind::BacklogOverflow => "backlog-overflow",
            FaultKind::Failover => "failover",
        }
    }
}

impl FaultKind {
    /// Kinds that only make sense for a replicated group.
    pub fn needs_replication(self) -> bool {
        matches!(
            self,
            FaultKind::ReplicaPartition | FaultKind::ReplicaKill | FaultKind::BacklogOverflow | FaultKind::Failover
        )
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of a scripted timeline. Which of the optional fields apply
/// depends on the fault; the others must be absent.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    pub at_ms: u64,
    pub fault: FaultKind,
    /// The node the fault is about (default `n1`); for `partition`, one side.
    pub node: Option<String>,
    /// `partition`: the other side (names, or the groups `clients` and
    /// `servers`; default: every other node and every client).
    pub peers: Option<Vec<String>>,
    /// `one-way`: traffic from these ...
    pub from: Option<Vec<String>>,
    /// ... to these is held.
    pub to: Option<Vec<String>>,
    /// `packet-loss`: the rate, 0..1.
    pub rate: Option<f64>,
    /// `latency`: the range of one-way latency.
    pub min_ms: Option<u64>,
    pub max_ms: Option<u64>,
    /// `clock-skew`: the node's clock offset (negative: behind).
    pub skew_ms: Option<i64>,
    /// `clock-skew`: how fast the clock runs from then on, in parts per million.
    pub drift_ppm: Option<i64>,
    /// `disk-faults`: per-mille failure rates and an optional capacity.
    pub write_error_per_mille: Option<u32>,
    pub fsync_error_per_mille: Option<u32>,
    pub read_error_per_mille: Option<u32>,
    pub capacity: Option<u64>,
    /// `failover`: how long the old master stays down (default 1000 ms).
    pub down_ms: Option<u64>,
    /// `backlog-overflow`: bytes of writes sent to the master (default
    /// twice `repl-backlog-size`, and 4 KB more).
    pub bytes: Option<u64>,
}

impl ScriptedFault {
    /// The disk fault rates of a `disk-faults` entry.
    pub fn disk_faults(&self) -> DiskFaults {
        DiskFaults {
            write_error_per_mille: self.write_error_per_mille.unwrap_or(0),
            fsync_error_per_mille: self.fsync_error_per_mille.unwrap_or(0),
            read_error_per_mille: self.read_error_per_mille.unwrap_or(0),
            capacity: self.capacity,
        }
    }
}

/// The verdict a scenario's runs must reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedVerdict {
    /// Linearizable, and no acknowledged write lost.
    #[default]
    Linearizable,
    /// Anything, as long as the simulator itself neither crashes nor hangs.
    ViolationAllowed,
    /// The checker must find a violation or lost acknowledged writes.
    MustFindViolation,
}

impl ExpectedVerdict {
    pub fn name(self) -> &'static str {
        match self {
            ExpectedVerdict::Linearizable => "linearizable",
            ExpectedVerdict::ViolationAllowed => "violation-allowed",
            ExpectedVerdict::MustFindViolation => "must-find-violation",
        }
    }
}

/// The `[expect]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub verdict: ExpectedVerdict,
    /// How many seeds `cargo test` runs.
    #[serde(default = "default_seeds")]
    pub seeds: u64,
}

impl Default for Expect {
    fn default() -> Self {
        Expect { verdict: ExpectedVerdict::Linearizable, seeds: default_seeds() }
    }
}

fn one() -> usize {
    1
}
fn default_clients() -> usize {
    4
}
fn default_keys() -> usize {
    4
}
fn default_timeout() -> u64 {
    1000
}
fn default_think() -> [u64; 2] {
    [0, 20]
}
fn default_start() -> u64 {
    300
}
fn default_interval() -> [u64; 2] {
    [500, 2000]
}
fn default_fault_duration() -> [u64; 2] {
    [100, 1500]
}
fn default_packet_loss() -> f64 {
    0.2
}
fn default_latency() -> u64 {
    100
}
fn default_skew() -> u64 {
    5000
}
fn default_drift() -> u64 {
    // 2%: far beyond real quartz (tens of ppm), to make timers visibly early or late.
    20_000
}
fn default_disk_errors() -> u32 {
    20
}
fn default_seeds() -> u64 {
    16
}
fn default_wait_timeout() -> u64 {
    100
}
fn default_promote_after() -> u64 {
    300
}

/// Why a scenario file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

fn bad(s: impl Into<String>) -> ScenarioError {
    ScenarioError(s.into())
}

impl Scenario {
    /// Parses and validates a scenario's TOML text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads a scenario file; errors name the file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        Scenario::parse(&text).map_err(|e| bad(format!("{}: {e}", path.display())))
    }

    /// The node names, `n1` .. `nN`.
    pub fn node_names(&self) -> Vec<String> {
        (1..=self.topology.nodes).map(|i| format!("n{i}")).collect()
    }

    /// The client names, `c1` .. `cN`.
    pub fn client_names(&self) -> Vec<String> {
        (1..=self.workload.clients).map(|i| format!("c{i}")).collect()
    }

    /// Whether the nodes form one replicated group.
    pub fn replicated(&self) -> bool {
        self.topology.replication
    }

    /// The nodes' configuration as redis.conf text (one directive a line).
    /// A replicated topology also gets `enable-debug-command yes` (the end
    /// of the run compares DEBUG DIGESTs) unless the scenario sets it;
    /// `replicaof` is added per node when it starts.
    pub fn config_text(&self) -> String {
        // The engine is a directive like any other (`engine model|engine`).
        let mut text = format!("engine {}\n", self.topology.engine.name());
        if self.replicated() && !self.topology.config.contains_key("enable-debug-command") {
            text.push_str("enable-debug-command yes\n");
        }
        for (name, value) in &self.topology.config {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => (if *b { "yes" } else { "no" }).to_string(),
                other => other.to_string(),
            };
            text.push_str(name);
            text.push(' ');
            text.push_str(&quote(&value));
            text.push('\n');
        }
        text
    }

    /// The nodes' configuration, parsed the way redis-server reads its file.
    pub fn node_config(&self) -> Result<Config, ScenarioError> {
        let mut config = Config::new();
        config.load_text(&self.config_text()).map_err(|e| {
            let name = e.line.split_whitespace().next().unwrap_or("").to_string();
            bad(format!("topology.config.{name}: {} (as the line '{}')", e.reason, e.line))
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        if self.name.trim().is_empty() {
            return Err(bad("name: must not be empty"));
        }
        let t = &self.topology;
        if !(1..=MAX_NODES).contains(&t.nodes) {
            return Err(bad(format!("topology.nodes: {} nodes asked for; 1 to {MAX_NODES} are supported", t.nodes)));
        }
        for (name, value) in &t.config {
            if matches!(value, toml::Value::Array(_) | toml::Value::Table(_) | toml::Value::Datetime(_)) {
                return Err(bad(format!("topology.config.{name}: a directive's value is a string, number or boolean")));
            }
            if matches!(name.as_str(), "port" | "bind" | "dir" | "replicaof" | "slaveof") {
                return Err(bad(format!("topology.config.{name}: set by the simulator, not by scenarios")));
            }
        }
        if t.replication && t.nodes < 2 {
            return Err(bad(
                "topology.replication: a replicated group needs at least 2 nodes (a master and a replica)",
            ));
        }
        self.node_config()?;
        let w = &self.workload;
        if WorkloadKind::from_name(&w.kind).is_none() {
            let names: Vec<&str> = WorkloadKind::ALL.iter().map(|k| k.name()).collect();
            return Err(bad(format!("workload.kind: unknown kind {:?} (one of {})", w.kind, names.join(", "))));
        }
        if w.ops.is_none() && w.duration_ms.is_none() {
            return Err(bad("workload: give `ops` or `duration_ms` (or both)"));
        }
        if w.clients == 0 || w.clients > 64 {
            return Err(bad("workload.clients: between 1 and 64"));
        }
        if w.keys == 0 {
            return Err(bad("workload.keys: at least 1"));
        }
        if w.pipeline == 0 || w.pipeline > 64 {
            return Err(bad("workload.pipeline: between 1 and 64"));
        }
        if w.timeout_ms == 0 {
            return Err(bad("workload.timeout_ms: must be positive"));
        }
        if w.think_ms[0] > w.think_ms[1] {
            return Err(bad("workload.think_ms: [min, max] with min <= max"));
        }
        if !t.replication && (w.read_from_replicas || w.wait_replicas > 0) {
            return Err(bad("workload: read_from_replicas and wait_replicas need `replication = true` in [topology]"));
        }
        if w.wait_replicas > 0 && w.wait_timeout_ms >= w.timeout_ms {
            return Err(bad("workload.wait_timeout_ms: must be shorter than timeout_ms (the client waits for WAIT)"));
        }
        self.validate_faults()?;
        if self.expect.seeds == 0 {
            return Err(bad("expect.seeds: at least 1"));
        }
        Ok(())
    }

    fn validate_faults(&self) -> Result<(), ScenarioError> {
        let f = &self.faults;
        let replication_kinds = f.kinds.iter().copied().chain(f.script.iter().map(|s| s.fault));
        if let Some(k) = replication_kinds.filter(|k| k.needs_replication()).find(|_| !self.replicated()) {
            return Err(bad(format!("faults: {k} needs `replication = true` in [topology]")));
        }
        let range = |name: &str, r: [u64; 2]| {
            if r[0] > r[1] {
                Err(bad(format!("faults.{name}: [min, max] with min <= max")))
            } else {
                Ok(())
            }
        };
        match f.mode {
            FaultMode::None => {
                if !f.kinds.is_empty() || !f.script.is_empty() {
                    return Err(bad("faults: mode \"none\" takes neither `kinds` nor `script`"));
                }
            }
            FaultMode::Swarm => {
                if f.kinds.is_empty() {
                    return Err(bad("faults.kinds: swarm mode needs at least one fault kind"));
                }
                if !f.script.is_empty() {
                    return Err(bad("faults.script: only for mode \"scripted\""));
                }
                for k in &f.kinds {
                    if matches!(k, FaultKind::Resume | FaultKind::Heal) {
                        return Err(bad(format!(
                            "faults.kinds: {k:?} is not drawn by itself: every swarm fault comes with its own end"
                        )));
                    }
                }
                range("interval_ms", f.interval_ms)?;
                range("duration_ms", f.duration_ms)?;
                if f.interval_ms[0] == 0 {
                    return Err(bad("faults.interval_ms: the gap between faults must be positive"));
                }
                if !(0.0..1.0).contains(&f.max_packet_loss) {
                    return Err(bad("faults.max_packet_loss: in [0, 1)"));
                }
                if f.max_disk_error_per_mille > 1000 {
                    return Err(bad("faults.max_disk_error_per_mille: at most 1000"));
                }
            }
            FaultMode::Scripted => {
                if f.script.is_empty() {
                    return Err(bad("faults.script: scripted mode needs at least one entry"));
                }
                if !f.kinds.is_empty() {
                    return Err(bad("faults.kinds: only for mode \"swarm\""));
                }
                for (i, s) in f.script.iter().enumerate() {
                    self.validate_scripted(s).map_err(|e| bad(format!("faults.script[{i}] ({}): {}", s.fault, e.0)))?;
                }
            }
        }
        Ok(())
    }

    fn validate_scripted(&self, s: &ScriptedFault) -> Result<(), ScenarioError> {
        let nodes = self.node_names();
        let replicated = self.replicated();
        let known = |name: &str| {
            name == "clients"
                || name == "servers"
                || (replicated && (name == "master" || name == "replicas"))
                || nodes.iter().any(|n| n == name)
                || self.client_names().iter().any(|c| c == name)
        };
        if let Some(n) = &s.node {
            // A partition may name the master as one side (resolved when applied).
            let group = replicated && s.fault == FaultKind::Partition && n == "master";
            if !nodes.contains(n) && !group {
                return Err(bad(format!("node: no server node {n:?} (nodes are {})", nodes.join(", "))));
            }
            if s.fault.needs_replication() && s.fault != FaultKind::Failover && n == "n1" {
                return Err(bad("node: n1 starts as the master; name a replica"));
            }
        }
        for list in [&s.peers, &s.from, &s.to].into_iter().flatten() {
            if let Some(unknown) = list.iter().find(|n| !known(n)) {
                return Err(bad(format!("no node, client or group called {unknown:?}")));
            }
        }
        let mut allowed: Vec<&str> = vec!["at_ms", "fault"];
        match s.fault {
            FaultKind::Kill
            | FaultKind::PowerLoss
            | FaultKind::Restart
            | FaultKind::Pause
            | FaultKind::Resume
            | FaultKind::Isolate
            | FaultKind::BitFlip => allowed.push("node"),
            FaultKind::Partition => allowed.extend(["node", "peers"]),
            FaultKind::OneWay => {
                allowed.extend(["from", "to"]);
                if s.from.is_none() || s.to.is_none() {
                    return Err(bad("one-way needs `from` and `to`"));
                }
            }
            FaultKind::Heal => {}
            FaultKind::ReplicaPartition | FaultKind::ReplicaKill => allowed.push("node"),
            FaultKind::BacklogOverflow => allowed.extend(["node", "bytes"]),
            FaultKind::Failover => allowed.extend(["node", "down_ms"]),
            FaultKind::PacketLoss => {
                allowed.push("rate");
                match s.rate {
                    Some(r) if (0.0..1.0).contains(&r) => {}
                    _ => return Err(bad("rate: a packet-loss rate in [0, 1) is required")),
                }
            }
            FaultKind::Latency => {
                allowed.extend(["min_ms", "max_ms"]);
                match (s.min_ms, s.max_ms) {
                    (Some(a), Some(b)) if a <= b => {}
                    _ => return Err(bad("latency needs `min_ms` <= `max_ms`")),
                }
            }
            FaultKind::ClockSkew => {
                allowed.extend(["node", "skew_ms", "drift_ppm"]);
                if s.skew_ms.is_none() {
                    return Err(bad("skew_ms: required"));
                }
            }
            FaultKind::DiskFaults => {
                allowed.extend([
                    "node",
                    "write_error_per_mille",
                    "fsync_error_per_mille",
                    "read_error_per_mille",
                    "capacity",
                ]);
                let rates = [s.write_error_per_mille, s.fsync_error_per_mille, s.read_error_per_mille];
                if rates.iter().flatten().any(|&r| r > 1000) {
                    return Err(bad("per-mille rates are at most 1000"));
                }
            }
        }
        let present = [
            ("node", s.node.is_some()),
            ("peers", s.peers.is_some()),
            ("from", s.from.is_some()),
            ("to", s.to.is_some()),
            ("rate", s.rate.is_some()),
            ("min_ms", s.min_ms.is_some()),
            ("max_ms", s.max_ms.is_some()),
            ("skew_ms", s.skew_ms.is_some()),
            ("drift_ppm", s.drift_ppm.is_some()),
            ("write_error_per_mille", s.write_error_per_mille.is_some()),
            ("fsync_error_per_mille", s.fsync_error_per_mille.is_some()),
            ("read_error_per_mille", s.read_error_per_mille.is_some()),
            ("capacity", s.capacity.is_some()),
            ("down_ms", s.down_ms.is_some()),
            ("bytes", s.bytes.is_some()),
        ];
        if let Some((field, _)) = present.iter().find(|(f, p)| *p && !allowed.contains(f)) {
            return Err(bad(format!("{field}: does not apply to {}", s.fault)));
        }
        Ok(())
    }
}

/// A directive's value as config-file text: as written (so `save = "60 1 300
/// 10"` gives the several arguments redis.conf takes), and `""` when empty.
fn quote(value: &str) -> String {
    if value.trim().is_empty() {
        "\"\"".to_string()
    } else {
        value.to_string()
    }
}

/// `scenarios/regressions.toml`: seeds that once failed, replayed by the
/// tests forever after.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regressions {
    #[serde(default)]
    pub regression: Vec<Regression>,
}

/// One remembered failure.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regression {
    /// The scenario's `name` (its file is `scenarios/<name>.toml`).
    pub scenario: String,
    pub seed: u64,
    /// The verdict this seed must reach now (default: the scenario's own).
    pub expect: Option<ExpectedVerdict>,
    /// What went wrong, for people.
    #[serde(default)]
    pub note: String,
}

impl Regressions {
    pub fn parse(text: &str) -> Result<Regressions, ScenarioError> {
        toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))
    }

    pub fn load(path: &Path) -> Result<Regressions, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        Regressions::parse(&text).map_err(|e| bad(format!("{}: {e}", path.display())))
    }
}

/// The scenario files of a directory (`*.toml` except `regressions.toml`),
/// sorted by file name.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let entries = std::fs::read_dir(dir).map_err(|e| bad(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "regressions.toml"))
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"t\"\n[workload]\nkind = \"register\"\nops = 10\n";

    #[test]
    fn minimal_scenario_takes_defaults() {
        let s = Scenario::parse(MINIMAL).unwrap();
        assert_eq!(s.topology.nodes, 1);
        assert_eq!(s.faults.mode, FaultMode::None);
        assert_eq!(s.expect.verdict, ExpectedVerdict::Linearizable);
        assert_eq!(s.expect.seeds, 16);
    }

    #[test]
    fn errors_name_the_field() {
        let e = Scenario::parse(&format!("{MINIMAL}[topology]\nengine = \"fast\"\n")).unwrap_err();
        assert!(e.0.contains("fast"), "{e}");
        let e = Scenario::parse(&MINIMAL.replace("ops = 10", "ops = 10\nopz = 3")).unwrap_err();
        assert!(e.0.contains("opz"), "{e}");
        let e =
            Scenario::parse(&format!("{MINIMAL}[topology]\nconfig = {{ appendfsync = \"sometimes\" }}\n")).unwrap_err();
        assert!(e.0.contains("topology.config.appendfsync"), "{e}");
        let e = Scenario::parse(&format!(
            "{MINIMAL}[faults]\nmode = \"scripted\"\n[[faults.script]]\nat_ms = 1\nfault = \"kill\"\nrate = 0.5\n"
        ))
        .unwrap_err();
        assert!(e.0.contains("faults.script[0] (kill): rate"), "{e}");
        let e = Scenario::parse(&MINIMAL.replace("register", "registers")).unwrap_err();
        assert!(e.0.contains("workload.kind"), "{e}");
    }

    #[test]
    fn config_becomes_directives() {
        let s = Scenario::parse(&format!(
            "{MINIMAL}[topology]\nconfig = {{ appendonly = true, save = \"\", hz = 50, appendfsync = \"always\" }}\n"
        ))
        .unwrap();
        assert_eq!(s.config_text(), "engine model\nappendfsync always\nappendonly yes\nhz 50\nsave \"\"\n");
        let c = s.node_config().unwrap();
        assert_eq!(c.get("appendonly"), "yes");
        assert_eq!(c.get("save"), "");
        assert_eq!(c.hz(), 50);
        let s = Scenario::parse(&format!("{MINIMAL}[topology]\nconfig = {{ save = \"1 20 60 100\" }}\n")).unwrap();
        assert_eq!(s.node_config().unwrap().get("save"), "1 20 60 100");
    }

    #[test]
    fn replicated_topologies() {
        let replicated = format!("{MINIMAL}[topology]\nnodes = 3\nreplication = true\n");
        let s = Scenario::parse(&replicated).unwrap();
        assert!(s.replicated());
        assert!(s.config_text().contains("enable-debug-command yes\n"), "{}", s.config_text());
        let s = Scenario::parse(&format!("{replicated}config = {{ enable-debug-command = \"local\" }}\n")).unwrap();
        assert!(!s.config_text().contains("enable-debug-command yes"));
        let e = Scenario::parse(&format!("{MINIMAL}[topology]\nnodes = 1\nreplication = true\n")).unwrap_err();
        assert!(e.0.contains("topology.replication"), "{e}");
        let e = Scenario::parse(&format!("{replicated}config = {{ replicaof = \"x 1\" }}\n")).unwrap_err();
        assert!(e.0.contains("topology.config.replicaof"), "{e}");
        let e = Scenario::parse(&MINIMAL.replace("ops = 10", "ops = 10\nread_from_replicas = true")).unwrap_err();
        assert!(e.0.contains("read_from_replicas"), "{e}");
        let wait = MINIMAL.replace("ops = 10", "ops = 10\nwait_replicas = 1\nwait_timeout_ms = 2000");
        let e = Scenario::parse(&format!("{wait}[topology]\nnodes = 2\nreplication = true\n")).unwrap_err();
        assert!(e.0.contains("workload.wait_timeout_ms"), "{e}");
        let e = Scenario::parse(&format!("{MINIMAL}[faults]\nmode = \"swarm\"\nkinds = [\"failover\"]\n")).unwrap_err();
        assert!(e.0.contains("failover needs `replication = true`"), "{e}");
        let s = Scenario::parse(&format!(
            "{replicated}[faults]\nmode = \"scripted\"\npromote = \"random\"\n[[faults.script]]\nat_ms = 1\n\
             fault = \"partition\"\nnode = \"master\"\npeers = [\"replicas\"]\n[[faults.script]]\nat_ms = 2\n\
             fault = \"failover\"\ndown_ms = 500\n"
        ))
        .unwrap();
        assert_eq!(s.faults.promote, PromotePolicy::Random);
        let e = Scenario::parse(&format!(
            "{replicated}[faults]\nmode = \"scripted\"\n[[faults.script]]\nat_ms = 1\nfault = \"failover\"\nbytes = 5\n"
        ))
        .unwrap_err();
        assert!(e.0.contains("bytes: does not apply to failover"), "{e}");
    }

    #[test]
    fn regressions_parse() {
        let r = Regressions::parse("").unwrap();
        assert!(r.regression.is_empty());
        let r = Regressions::parse("[[regression]]\nscenario = \"x\"\nseed = 3\nexpect = \"linearizable\"\n").unwrap();
        assert_eq!(r.regression[0].seed, 3);
    }
}
