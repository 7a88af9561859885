//! One simulation run: a scenario and a seed in, a verdict out.
//!
//! [`run_seed`] starts a fresh OS thread with a fresh madsim runtime seeded
//! from the seed (madsim seeds its hash maps per thread, so a thread per run
//! is what makes two runs of a seed identical), builds the world — the
//! server nodes ([`crate::node_host`]), one madsim node per client
//! ([`crate::client`]), each node's [`SimDisk`] — and runs it in phases:
//!
//! 1. **Boot**: the servers start and load what their disks hold.
//! 2. **Workload**: the clients run their operations while the fault plan
//!    ([`crate::faults`]) is applied at its simulated times; a watchdog
//!    restarts a server whose process exited on its own (as a supervisor
//!    such as systemd would).
//! 3. **Heal**: when the workload is over, every fault ends, crashed nodes
//!    restart, and the clients' last operations settle.
//! 4. **Final reads**: one client reads every key, so that lost writes show.
//! 5. **Replication check** (replicated topologies): every replica must
//!    reach the master's offset with its link up, and hold the same data
//!    (DEBUG DIGEST); see [`crate::replication`].
//!
//! The recorded history then goes through the checker, and the verdict is
//! compared with what the scenario expects. Every random choice comes from
//! a ChaCha stream split from the one seed ([`stream`]): the workload of
//! each client, the fault plan, each node core, each disk.
//!
//! The run also writes a trace: one line per thing that happened (faults,
//! node lifecycle, client operations, and at [`TraceLevel::Full`] every
//! storage operation and every read and write on the servers' sockets),
//! stamped with simulated time. Replaying a seed gives the same trace byte
//! for byte.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use madsim::runtime::{Handle, NodeHandle, Runtime};
use madsim::time::Instant;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::checker::{self, CheckConfig, CheckReport, Verdict};
use crate::client::{self, ClientCtx};
use crate::disk::SimDisk;
use crate::faults::{self, FaultPlan};
use crate::history::{History, Op, OpId, Outcome};
use crate::node_host::{self, ServerNode, Status};
use crate::replication::{self, ReplicationCheck};
use crate::scenario::{EngineKind, ExpectedVerdict, Scenario};

/// How much the trace says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum TraceLevel {
    /// Faults, node lifecycle and the run's phases.
    Faults,
    /// And every client operation with its outcome.
    #[default]
    Ops,
    /// And every storage operation, node log line, and the bytes each server
    /// connection received and sent.
    Full,
}

/// Knobs of a run that are not part of the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub trace: TraceLevel,
    /// The checker's budgets (model steps, so verdicts do not depend on the
    /// machine's speed).
    pub check: CheckConfig,
    /// Simulated time after which the run is declared hung.
    pub max_sim_ms: u64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            trace: TraceLevel::Ops,
            check: CheckConfig { max_steps_per_partition: 2_000_000, shrink_steps: 5_000 },
            max_sim_ms: 600_000,
        }
    }
}

/// A timeline event: `(at_ms, node, kind, detail)`.
pub type TimelineEntry = (u64, Option<String>, String, String);

/// Counts describing a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Operations in the history, by outcome (final reads included).
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub indeterminate: usize,
    pub final_reads: usize,
    /// Operations of the workload (final reads excluded) that got a reply.
    pub workload_ok: usize,
    /// Faults of the plan applied (the plan's tail is skipped when the
    /// workload ends first).
    pub faults_applied: usize,
    pub faults_planned: usize,
    /// Server process starts (the first boot included) and exits on their own.
    pub node_starts: u64,
    pub node_exits: u64,
    /// Simulated time the run took.
    pub sim_ms: u64,
    /// Packets the simulated network carried.
    pub net_messages: u64,
    /// Acknowledged writes and how many of them were lost.
    pub acknowledged_writes: u64,
    pub lost_writes: u64,
    pub checker_steps: u64,
    /// The first server's disk counters (name, value).
    pub disk: Vec<(String, String)>,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub scenario: String,
    pub seed: u64,
    /// The engine the nodes ran (a sweep may run a file's scenario on either).
    pub engine: EngineKind,
    pub expected: ExpectedVerdict,
    pub history: History,
    /// The checker's report on `history`.
    pub report: CheckReport,
    /// Faults and node lifecycle, in order.
    pub events: Vec<TimelineEntry>,
    /// Whether the run reached the scenario's expected verdict.
    pub passed: bool,
    /// Why it did not, for people.
    pub failure: Option<String>,
    /// Replicated topologies: whether the replicas converged on the
    /// master's data at the end (separate from the checker's verdict).
    pub replication: Option<ReplicationCheck>,
    /// The simulator itself failed: a panic (in the node core or the
    /// runtime) or the simulated-time limit.
    pub crash: Option<String>,
    /// The fault plan, printed.
    pub plan: String,
    pub trace: String,
    pub stats: RunStats,
}

impl RunOutcome {
    /// One line: scenario, seed (and the engine, unless the default model),
    /// verdict, lost writes, outcome.
    pub fn summary(&self) -> String {
        let on = match self.engine {
            EngineKind::Model => "",
            EngineKind::Engine => " on engine",
        };
        let lost = format!("{}/{} acked writes lost", self.stats.lost_writes, self.stats.acknowledged_writes);
        let verdict = match &self.crash {
            Some(c) => format!("CRASH ({c})"),
            None => format!("{:?}", self.report.verdict),
        };
        let replicas = match &self.replication {
            Some(r) => format!(", {}", r.short()),
            None => String::new(),
        };
        format!(
            "{} seed {}{on}: {verdict}, {lost}, ops {} ok / {} fail / {} info, {} faults, {} ms simulated{replicas} -> {}",
            self.scenario,
            self.seed,
            self.stats.ok,
            self.stats.failed,
            self.stats.indeterminate,
            self.stats.faults_applied,
            self.stats.sim_ms,
            if self.passed { "pass" } else { "FAIL" }
        )
    }

    /// How to run this seed again.
    pub fn replay_command(&self) -> String {
        format!(
            "REDSIM_SCENARIO={} REDSIM_SEED={} REDSIM_ENGINE={} cargo test -p redsim-sim --test scenarios replay_one -- --nocapture",
            self.scenario,
            self.seed,
            self.engine.name()
        )
    }

    /// The timeline as text, one event a line.
    pub fn timeline_text(&self) -> String {
        let mut out = String::new();
        for (at, node, kind, detail) in &self.events {
            let _ = writeln!(out, "{at:>8} ms  {:<4} {kind:<12} {detail}", node.as_deref().unwrap_or("-"));
        }
        out
    }
}

// ---- seeds ------------------------------------------------------------------

/// The concerns that draw random numbers, each from its own stream.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    Workload = 1,
    Faults = 2,
    NodeCore = 3,
    Disk = 4,
}

/// The ChaCha stream of `concern` number `index` (a client, a node, a
/// node's incarnation) of the run with `seed`. Streams never overlap, so
/// drawing more in one concern never shifts another.
pub(crate) fn stream(seed: u64, concern: Stream, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((concern as u64) << 48) | (index & ((1 << 48) - 1)));
    rng
}

// ---- the world ----------------------------------------------------------------

/// The run's phase, which clients and the fault schedule look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Boot,
    Workload,
    Settle,
}

/// The operation budget shared by the clients.
struct Budget {
    ops_left: Option<u64>,
    deadline_ms: u64,
}

/// Operations recorded so far.
#[derive(Default)]
struct Recorder {
    next_id: OpId,
    ops: Vec<Op>,
}

/// Everything the tasks of a run share. Lives in an `Arc`; each part is
/// behind its own lock (the run is single-threaded, the locks only satisfy
/// madsim's `Send + Sync` bounds and are never held across an await).
pub(crate) struct World {
    pub seed: u64,
    pub scenario: Scenario,
    start: Instant,
    level: TraceLevel,
    trace: Mutex<String>,
    events: Mutex<Vec<TimelineEntry>>,
    recorder: Mutex<Recorder>,
    budget: Mutex<Budget>,
    phase: Mutex<Phase>,
    pub servers: Vec<Arc<ServerNode>>,
    /// The clients' madsim nodes, by name (`c1` ...).
    pub clients: Mutex<Vec<(String, madsim::task::NodeId)>>,
    /// Faults applied so far.
    pub faults_applied: Mutex<usize>,
    /// Replicated topologies: the index of the current master (`n1` is 0)
    /// — where clients send, and what restarting nodes follow.
    master: Mutex<usize>,
    /// Replicated topologies: the operator's madsim node ([`crate::replication`]).
    pub operator: Mutex<Option<NodeHandle>>,
    /// Operator tasks under way (promotions, bursts).
    pub operator_busy: Mutex<u32>,
    /// Backlog bursts sent so far (their keys are numbered).
    pub bursts: Mutex<u64>,
    /// The replication check at the end of the run.
    replication: Mutex<Option<ReplicationCheck>>,
}

/// The Unix time (ms) at which simulated time starts: the nodes' clocks read
/// this plus the simulated time elapsed plus their skew.
pub const EPOCH_MS: i64 = 1_700_000_000_000;

/// How long a workload of only `ops` may run at most, in simulated time.
const DEFAULT_WORKLOAD_CAP_MS: u64 = 120_000;
/// How long the run waits for the servers to be ready, at boot and after healing.
const READY_WAIT_MS: u64 = 10_000;
/// Calm after healing before the final reads.
const QUIET_MS: u64 = 1_000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl World {
    /// Simulated nanoseconds since the run started.
    pub fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64 // determinism-ok: madsim's simulated clock
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ns() / 1_000_000
    }

    /// The instant `ms` simulated milliseconds after the start.
    pub fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    /// Adds a trace line at `level` (the text is built only when it is kept).
    pub fn trace(&self, level: TraceLevel, who: &str, text: impl FnOnce() -> String) {
        if self.level < level {
            return;
        }
        let ns = self.now_ns();
        let line = text();
        let mut t = lock(&self.trace);
        let _ = writeln!(t, "{:>7}.{:06} {who:<4} {line}", ns / 1_000_000, ns % 1_000_000);
    }

    /// Records a timeline event (and traces it).
    pub fn event(&self, node: Option<&str>, kind: &str, detail: impl Into<String>) {
        let detail = detail.into();
        let at = self.now_ms();
        self.trace(TraceLevel::Faults, node.unwrap_or("-"), || format!("EVENT {kind}: {detail}"));
        lock(&self.events).push((at, node.map(str::to_string), kind.to_string(), detail));
    }

    pub fn phase(&self) -> Phase {
        *lock(&self.phase)
    }

    fn set_phase(&self, phase: Phase) {
        *lock(&self.phase) = phase;
    }

    /// Takes up to `want` operations from the shared budget; 0 when the
    /// workload is over (budget spent or deadline passed).
    pub fn take_ops(&self, want: u64) -> u64 {
        let now = self.now_ms();
        let mut b = lock(&self.budget);
        if now >= b.deadline_ms || self.phase() != Phase::Workload {
            return 0;
        }
        match &mut b.ops_left {
            None => want,
            Some(left) => {
                let n = want.min(*left);
                *left -= n;
                n
            }
        }
    }

    /// Gives back operations that were never sent.
    pub fn return_ops(&self, n: u64) {
        if let Some(left) = &mut lock(&self.budget).ops_left {
            *left += n;
        }
    }

    /// Whether the workload may still run (budget and time left).
    pub fn workload_running(&self) -> bool {
        let b = lock(&self.budget);
        self.phase() == Phase::Workload && b.ops_left != Some(0) && self.now_ms() < b.deadline_ms
    }

    /// A fresh operation id, in invocation order.
    pub fn next_op_id(&self) -> OpId {
        let mut r = lock(&self.recorder);
        let id = r.next_id;
        r.next_id += 1;
        id
    }

    /// Adds a finished operation to the history.
    pub fn record(&self, op: Op) {
        lock(&self.recorder).ops.push(op);
    }

    pub fn server(&self, name: &str) -> Option<&Arc<ServerNode>> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// Whether the servers form one replicated group.
    pub fn replicated(&self) -> bool {
        self.scenario.replicated()
    }

    /// The current master's index (replicated topologies; 0 otherwise).
    pub fn master_index(&self) -> usize {
        *lock(&self.master)
    }

    pub(crate) fn set_master(&self, index: usize) {
        *lock(&self.master) = index;
    }

    /// The configuration a server's process starts with: the scenario's,
    /// and in a replicated group `replicaof <current master>` unless it is
    /// the master (the operator keeps every node's redis.conf up to date,
    /// as Sentinel rewrites it after a failover).
    pub fn node_config(&self, server: &ServerNode) -> redsim_engine::node::Config {
        let mut config = server.config.clone();
        if self.replicated() {
            let master = &self.servers[self.master_index()];
            if master.index != server.index {
                let args = [bytes::Bytes::from(master.ip.to_string()), bytes::Bytes::from(master.port.to_string())];
                config.set_startup(b"replicaof", &args).expect("replicaof host port is a valid directive");
            }
        }
        config
    }
}

// ---- the run --------------------------------------------------------------------

/// Runs `scenario` with `seed` on a fresh thread and madsim runtime.
pub fn run_seed(scenario: &Scenario, seed: u64, opts: &RunOptions) -> RunOutcome {
    let (scenario, opts) = (scenario.clone(), opts.clone());
    let name = scenario.name.clone();
    let thread = std::thread::Builder::new()
        .name(format!("sim-{name}-{seed}"))
        .stack_size(32 << 20)
        .spawn(move || simulate(scenario, seed, &opts))
        .expect("spawning a simulation thread");
    match thread.join() {
        Ok(outcome) => outcome,
        Err(panic) => panic!("the simulation thread of {name} seed {seed} died: {}", panic_text(&*panic)),
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

/// The body of the run's thread.
fn simulate(scenario: Scenario, seed: u64, opts: &RunOptions) -> RunOutcome {
    let plan = FaultPlan::from_scenario(&scenario, seed);
    let slot: Arc<Mutex<Option<Arc<World>>>> = Arc::new(Mutex::new(None));
    let rt = Runtime::with_seed_and_config(seed, madsim::Config::default());
    let result = {
        let (slot, plan, scenario) = (slot.clone(), plan.clone(), scenario.clone());
        let level = opts.trace;
        let max_sim_ms = opts.max_sim_ms;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let world = build_world(scenario, seed, level);
                *lock(&slot) = Some(world.clone());
                let limit = Duration::from_millis(max_sim_ms);
                match madsim::time::timeout(limit, orchestrate(world.clone(), plan)).await {
                    Ok(()) => None,
                    Err(_) => Some(format!("simulated time limit of {max_sim_ms} ms exceeded: the run hung")),
                }
            })
        }))
    };
    let crash = match result {
        Ok(hang) => hang,
        Err(panic) => Some(format!("panic: {}", panic_text(&*panic))),
    };
    let world = lock(&slot).take();
    // The clock and the network's counters are read inside the runtime.
    let (net_messages, end_ms) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            (madsim::net::NetSim::current().stat().msg_count, world.as_ref().map_or(0, |w| w.now_ms()))
        })
    }))
    .unwrap_or((0, 0));
    // The runtime and its tasks go first; the world may still be shared with them.
    drop(rt);
    let Some(world) = world else {
        panic!("{} seed {seed}: the run crashed before its world existed: {crash:?}", scenario.name);
    };
    finish(&scenario, seed, opts, &plan, &world, crash, (net_messages, end_ms))
}

/// Builds the servers and the shared state (inside the runtime).
fn build_world(scenario: Scenario, seed: u64, level: TraceLevel) -> Arc<World> {
    let config = scenario.node_config().expect("validated when the scenario was parsed");
    let servers: Vec<Arc<ServerNode>> = scenario
        .node_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let disk_seed = {
                use rand::RngCore;
                stream(seed, Stream::Disk, i as u64).next_u64()
            };
            Arc::new(ServerNode::new(
                name,
                i,
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, (i + 1) as u8)),
                config.get_i64("port") as u16,
                config.clone(),
                SimDisk::new(disk_seed),
            ))
        })
        .collect();
    let w = &scenario.workload;
    let budget = Budget { ops_left: w.ops, deadline_ms: u64::MAX };
    Arc::new(World {
        seed,
        start: Instant::now(), // determinism-ok: madsim's simulated clock
        level,
        trace: Mutex::new(String::new()),
        events: Mutex::new(Vec::new()),
        recorder: Mutex::new(Recorder::default()),
        budget: Mutex::new(budget),
        phase: Mutex::new(Phase::Boot),
        servers,
        clients: Mutex::new(Vec::new()),
        faults_applied: Mutex::new(0),
        master: Mutex::new(0),
        operator: Mutex::new(None),
        operator_busy: Mutex::new(0),
        bursts: Mutex::new(0),
        replication: Mutex::new(None),
        scenario,
    })
}

/// The run's phases, on the supervisor (madsim's main node).
async fn orchestrate(world: Arc<World>, plan: FaultPlan) {
    let handle = Handle::current();
    world.trace(TraceLevel::Faults, "-", || {
        format!("run {} seed {} ({} nodes, {} clients)", world.scenario.name, world.seed, world.servers.len(), {
            world.scenario.workload.clients
        })
    });
    for line in plan.describe().lines() {
        world.trace(TraceLevel::Faults, "-", || format!("plan: {line}"));
    }

    // Boot.
    for server in &world.servers {
        let (w, s) = (world.clone(), server.clone());
        let node = handle
            .create_node()
            .name(server.name.clone())
            .ip(server.ip)
            .init(move || node_host::serve(w.clone(), s.clone()))
            .build();
        server.set_id(node.id());
    }
    let client_nodes: Vec<NodeHandle> = world
        .scenario
        .client_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, (i + 1) as u8));
            let node = handle.create_node().name(name.clone()).ip(ip).build();
            lock(&world.clients).push((name, node.id()));
            node
        })
        .collect();
    if world.replicated() {
        // The operator: promotions, bursts and the final check come from here.
        let op = handle.create_node().name("op").ip(IpAddr::V4(Ipv4Addr::new(10, 0, 2, 1))).build();
        *lock(&world.operator) = Some(op);
    }
    wait_ready(&world, READY_WAIT_MS).await;

    // Workload, with the fault plan and the watchdog running beside it.
    {
        let w = &world.scenario.workload;
        let now = world.now_ms();
        let cap = w.duration_ms.unwrap_or(DEFAULT_WORKLOAD_CAP_MS);
        lock(&world.budget).deadline_ms = now + cap;
    }
    world.set_phase(Phase::Workload);
    world.event(None, "workload", "the clients start");
    let plan_len = plan.faults.len();
    let schedule = madsim::task::spawn_local(faults::run_plan(world.clone(), plan));
    let watchdog = madsim::task::spawn_local(watchdog(world.clone()));
    let servers: Vec<SocketAddr> = world.servers.iter().map(|s| SocketAddr::new(s.ip, s.port)).collect();
    let mut clients = Vec::new();
    for (i, node) in client_nodes.iter().enumerate() {
        let ctx = ClientCtx::new(&world.scenario, i + 1, servers.clone());
        let rng = stream(world.seed, Stream::Workload, i as u64 + 1);
        clients.push(node.spawn(client::run_client(world.clone(), ctx, rng)));
    }
    for c in clients {
        let _ = c.await;
    }

    // Heal and settle.
    world.set_phase(Phase::Settle);
    schedule.abort();
    let skipped = plan_len - *lock(&world.faults_applied);
    let tail = if skipped > 0 { format!(" ({skipped} planned faults skipped)") } else { String::new() };
    world.event(None, "workload-done", format!("the clients are done: every fault heals{tail}"));
    if world.replicated() {
        // A promotion under way finishes first: the master must not move under the final reads.
        replication::operator_idle(&world, replication::OPERATOR_WAIT_MS).await;
    }
    faults::heal_all(&world);
    wait_ready(&world, READY_WAIT_MS).await;
    madsim::time::sleep(Duration::from_millis(QUIET_MS)).await;

    // Final reads, from the first client.
    let ctx = ClientCtx::new(&world.scenario, 1, servers);
    let _ = client_nodes[0].spawn(client::final_reads(world.clone(), ctx)).await;
    let operator = lock(&world.operator).clone();
    if let Some(op) = operator {
        let check = op.spawn(replication::final_check(world.clone())).await.ok();
        *lock(&world.replication) = check;
    }
    watchdog.abort();
    world.event(None, "end", "final reads done");
}

/// Waits until every server is ready, or `max_ms` passed.
async fn wait_ready(world: &World, max_ms: u64) {
    let until = world.now_ms() + max_ms;
    while world.now_ms() < until {
        if world.servers.iter().all(|s| s.status() == Status::Ready) {
            return;
        }
        madsim::time::sleep(Duration::from_millis(20)).await;
    }
    world.event(None, "not-ready", format!("servers still not ready after {max_ms} ms"));
}

/// Restarts servers whose process exited on its own (a fatal persistence
/// error, SHUTDOWN), as a supervisor such as systemd would: at once it
/// takes the dead process's sockets down (so connections are refused, not
/// accepted by nobody), then starts it again after a back-off of 500 ms that
/// doubles with every exit that did not reach readiness in between, up to 8 s.
async fn watchdog(world: Arc<World>) {
    let handle = Handle::current();
    let mut due: Vec<Option<u64>> = vec![None; world.servers.len()];
    loop {
        madsim::time::sleep(Duration::from_millis(20)).await;
        let now = world.now_ms();
        for (i, server) in world.servers.iter().enumerate() {
            match (server.status(), due[i]) {
                (Status::Exited(_), None) => {
                    handle.kill(server.id());
                    let backoff = 500u64 << server.failed_starts().saturating_sub(1).min(4);
                    due[i] = Some(now + backoff);
                }
                (Status::Exited(_), Some(at)) if now >= at => {
                    due[i] = None;
                    faults::start_node(&world, server, "restart", "supervisor restart after the process exited");
                }
                (Status::Exited(_), Some(_)) => {}
                _ => due[i] = None,
            }
        }
    }
}

/// Checks the history and assembles the outcome.
fn finish(
    scenario: &Scenario,
    seed: u64,
    opts: &RunOptions,
    plan: &FaultPlan,
    world: &World,
    crash: Option<String>,
    (net_messages, end_ms): (u64, u64),
) -> RunOutcome {
    let mut ops = std::mem::take(&mut lock(&world.recorder).ops);
    ops.sort_by_key(|o| o.id);
    let mut history = History::new(ops);
    history.workload = Some(scenario.workload.workload_kind().name().to_string());
    let report = checker::check(&history, &opts.check);
    let (acked, lost) = report.lost_writes.as_ref().map_or((0, 0), |(_, c)| (c.acknowledged, c.lost));
    let count = |f: fn(&Outcome) -> bool| history.ops.iter().filter(|o| f(&o.outcome)).count();
    let final_from = history.ops.iter().position(|o| o.client == client::FINAL_READER).unwrap_or(history.ops.len());
    let (node_starts, node_exits) = world.servers.iter().fold((0, 0), |(s, e), n| {
        let (ns, ne) = n.lifecycle_counts();
        (s + ns, e + ne)
    });
    let stats = RunStats {
        ops: history.ops.len(),
        ok: count(|o| matches!(o, Outcome::Ok(_))),
        failed: count(|o| matches!(o, Outcome::Fail(_))),
        indeterminate: count(|o| matches!(o, Outcome::Info(_))),
        final_reads: history.ops.len() - final_from,
        workload_ok: workload_ops(&history).filter(|o| o.is_ok()).count(),
        faults_applied: *lock(&world.faults_applied),
        faults_planned: plan.faults.len(),
        node_starts,
        node_exits,
        sim_ms: end_ms,
        net_messages,
        acknowledged_writes: acked,
        lost_writes: lost,
        checker_steps: report.steps,
        disk: world
            .servers
            .iter()
            .fold(crate::disk::DiskStats::default(), |mut sum, s| {
                sum.add(&s.disk_stats());
                sum
            })
            .rows(),
    };
    let expected = scenario.expect.verdict;
    let replication = lock(&world.replication).take();
    let failure = match replication.as_ref().and_then(|r| r.failure.as_ref()) {
        Some(f) if crash.is_none() => Some(format!("replication check failed: {f}")),
        _ => judge(expected, &report, &stats, crash.as_deref()),
    };
    let failure = match (failure, &replication) {
        // A replicated run that crashed before its check ran says so too.
        (None, None) if scenario.replicated() && crash.is_none() => {
            Some("the replication check did not run".to_string())
        }
        (f, _) => f,
    };
    let events = std::mem::take(&mut *lock(&world.events));
    let mut trace = std::mem::take(&mut *lock(&world.trace));
    let _ = writeln!(
        trace,
        "verdict {:?}, {lost}/{acked} acknowledged writes lost, {} ops ({} ok, {} fail, {} info), {} checker steps",
        report.verdict, stats.ops, stats.ok, stats.failed, stats.indeterminate, report.steps
    );
    if let Some(c) = &crash {
        let _ = writeln!(trace, "CRASH: {c}");
    }
    if let Some(r) = &replication {
        let _ = writeln!(trace, "{}", r.short());
    }
    RunOutcome {
        scenario: scenario.name.clone(),
        seed,
        engine: scenario.topology.engine,
        expected,
        history,
        report,
        events,
        passed: failure.is_none(),
        failure,
        replication,
        crash,
        plan: plan.describe(),
        trace,
        stats,
    }
}

/// Why a run does not meet its expectation, or `None` when it does.
fn judge(expected: ExpectedVerdict, report: &CheckReport, stats: &RunStats, crash: Option<&str>) -> Option<String> {
    if let Some(c) = crash {
        return Some(format!("the simulator failed: {c}"));
    }
    let lost = report.lost_writes.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
    let lost_text = || {
        let mut s = format!("{} of {} acknowledged writes lost", lost.lost, lost.acknowledged);
        for e in &lost.examples {
            let _ = write!(s, "\n  - {e}");
        }
        s
    };
    let violation_text = || {
        let keys: Vec<String> =
            report.violations().map(|v| String::from_utf8_lossy(&v.key).into_owned()).take(5).collect();
        format!(
            "{:?} (violated keys: {})",
            report.verdict,
            if keys.is_empty() { "none".into() } else { keys.join(", ") }
        )
    };
    match expected {
        ExpectedVerdict::ViolationAllowed => None,
        _ if stats.workload_ok == 0 => Some("no operation of the workload succeeded: the run tested nothing".into()),
        ExpectedVerdict::Linearizable => {
            if report.verdict != Verdict::Linearizable {
                Some(format!("expected linearizable, the checker says {}; {}", violation_text(), lost_text()))
            } else if lost.lost > 0 {
                Some(format!("linearizable, but {}", lost_text()))
            } else {
                None
            }
        }
        ExpectedVerdict::MustFindViolation => {
            if report.verdict == Verdict::Violation || lost.lost > 0 {
                None
            } else {
                Some(format!(
                    "expected a violation or lost writes, found neither (verdict {:?}, {})",
                    report.verdict,
                    lost_text()
                ))
            }
        }
    }
}

/// The ops of `history` that are not final reads.
pub fn workload_ops(history: &History) -> impl Iterator<Item = &Op> {
    history.ops.iter().filter(|o| o.client != client::FINAL_READER)
}
