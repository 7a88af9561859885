//! Faults: the plan a scenario and a seed give, and how each fault is
//! applied to the simulated world.
//!
//! A plan is a list of [`TimedFault`]s made before anything runs, so it can
//! be printed, compared and replayed. In `scripted` mode it is the
//! scenario's timeline; in `swarm` mode each seed draws its own (as
//! TigerBeetle's VOPR and FoundationDB's simulation do): which of the
//! enabled kinds are on, the mean gap between faults, the highest rates,
//! and then a sequence of faults, each paired with its end (a node killed
//! comes back, a partition heals) so that runs keep making progress.
//!
//! How each kind maps onto the simulation:
//!
//! | fault        | madsim / disk                                                  |
//! |--------------|----------------------------------------------------------------|
//! | kill         | `Handle::kill` + [`SimDisk::process_crash`] (page cache kept) |
//! | power-loss   | `Handle::kill` + [`SimDisk::power_loss`] (unsynced data lost)  |
//! | restart      | kill (if running) and start the process again                  |
//! | pause/resume | `Handle::pause` / `Handle::resume`                             |
//! | partition    | `NetSim::clog_link` both ways between the two sides            |
//! | one-way      | `NetSim::clog_link` from one side to the other                 |
//! | isolate      | `NetSim::clog_node`                                            |
//! | packet-loss  | `NetSim::update_config(packet_loss_rate)`                      |
//! | latency      | `NetSim::update_config(send_latency)`                          |
//! | heal         | every clog lifted, loss 0, latency back to 1-10 ms             |
//! | clock-skew   | the node's clock offset                                        |
//! | disk-faults  | [`SimDisk::set_faults`]                                        |
//! | bit-flip     | [`SimDisk::flip_bit`]                                          |
//! | replica-partition | `partition` between the master and one replica, or all   |
//! | replica-kill | `kill` of a node other than `n1`, and its restart              |
//! | backlog-overflow | master and replica partitioned, the operator writes more than `repl-backlog-size` |
//! | failover     | the master killed, a replica promoted by the operator ([`crate::replication`]) |
//!
//! In a replicated group the names `master` and `replicas` in a partition
//! stand for the nodes that have those roles when the fault is applied.
//!
//! madsim's TCP is reliable: a packet that meets a clogged link or is "lost"
//! is retried with a growing back-off (up to 10 s) rather than dropped, as
//! TCP retransmits; a new connection that meets one is refused. So network
//! faults show as delays, refused connections and client timeouts.
//!
//! [`SimDisk::process_crash`]: crate::disk::SimDisk::process_crash
//! [`SimDisk::power_loss`]: crate::disk::SimDisk::power_loss
//! [`SimDisk::set_faults`]: crate::disk::SimDisk::set_faults
//! [`SimDisk::flip_bit`]: crate::disk::SimDisk::flip_bit

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use madsim::net::NetSim;
use madsim::runtime::Handle;
use madsim::task::NodeId;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::disk::DiskFaults;
use crate::node_host::{ServerNode, Status};
use crate::run::{lock, stream, Phase, Stream, World};
use crate::scenario::{FaultKind, FaultMode, Scenario, ScriptedFault};

/// One fault, with what it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    Kill {
        node: String,
    },
    PowerLoss {
        node: String,
    },
    Restart {
        node: String,
    },
    Pause {
        node: String,
    },
    Resume {
        node: String,
    },
    Partition {
        a: Vec<String>,
        b: Vec<String>,
    },
    Isolate {
        node: String,
    },
    OneWay {
        from: Vec<String>,
        to: Vec<String>,
    },
    Heal,
    PacketLoss {
        rate: f64,
    },
    Latency {
        min_ms: u64,
        max_ms: u64,
    },
    /// The node's clock jumps to `skew_ms` off the true time, then runs
    /// `drift_ppm` parts per million fast (or slow, when negative).
    ClockSkew {
        node: String,
        skew_ms: i64,
        drift_ppm: i64,
    },
    DiskFaults {
        node: String,
        faults: DiskFaults,
    },
    BitFlip {
        node: String,
    },
    /// `node` (a replica) and the master cannot reach each other, and the
    /// operator writes `bytes` bytes to the master meanwhile.
    BacklogOverflow {
        node: String,
        bytes: u64,
    },
    /// The master dies; the operator promotes `promote` (or a replica chosen
    /// by the scenario's policy, `pick` drawing a random one); the old master
    /// restarts `down_ms` after its death.
    Failover {
        promote: Option<String>,
        pick: u64,
        down_ms: u64,
    },
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Kill { .. } => FaultKind::Kill,
            Fault::PowerLoss { .. } => FaultKind::PowerLoss,
            Fault::Restart { .. } => FaultKind::Restart,
            Fault::Pause { .. } => FaultKind::Pause,
            Fault::Resume { .. } => FaultKind::Resume,
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::Isolate { .. } => FaultKind::Isolate,
            Fault::OneWay { .. } => FaultKind::OneWay,
            Fault::Heal => FaultKind::Heal,
            Fault::PacketLoss { .. } => FaultKind::PacketLoss,
            Fault::Latency { .. } => FaultKind::Latency,
            Fault::ClockSkew { .. } => FaultKind::ClockSkew,
            Fault::DiskFaults { .. } => FaultKind::DiskFaults,
            Fault::BitFlip { .. } => FaultKind::BitFlip,
            Fault::BacklogOverflow { .. } => FaultKind::BacklogOverflow,
            Fault::Failover { .. } => FaultKind::Failover,
        }
    }

    /// The server the fault is about, if it is about one.
    pub fn node(&self) -> Option<&str> {
        match self {
            Fault::Kill { node }
            | Fault::PowerLoss { node }
            | Fault::Restart { node }
            | Fault::Pause { node }
            | Fault::Resume { node }
            | Fault::Isolate { node }
            | Fault::ClockSkew { node, .. }
            | Fault::DiskFaults { node, .. }
            | Fault::BitFlip { node }
            | Fault::BacklogOverflow { node, .. } => Some(node),
            Fault::Partition { a, .. } if a.len() == 1 => Some(&a[0]),
            _ => None,
        }
    }

    /// The fault's parameters, for plans and timelines.
    pub fn describe(&self) -> String {
        match self {
            Fault::Kill { node } => format!("{node}: the process is killed"),
            Fault::PowerLoss { node } => format!("{node}: the machine loses power"),
            Fault::Restart { node } => format!("{node}: the process (re)starts"),
            Fault::Pause { node } => format!("{node}: the process is paused"),
            Fault::Resume { node } => format!("{node}: the process resumes"),
            Fault::Partition { a, b } => format!("{} | {}", a.join(","), b.join(",")),
            Fault::Isolate { node } => format!("{node} cut off from everyone"),
            Fault::OneWay { from, to } => format!("{} -> {} held", from.join(","), to.join(",")),
            Fault::Heal => "network healed".into(),
            Fault::PacketLoss { rate } => format!("packet loss {:.1}%", rate * 100.0),
            Fault::Latency { min_ms, max_ms } => format!("latency {min_ms}..{max_ms} ms"),
            Fault::ClockSkew { node, skew_ms, drift_ppm } => {
                format!("{node}: clock off by {skew_ms} ms, drifting {drift_ppm} ppm")
            }
            Fault::DiskFaults { node, faults } => format!(
                "{node}: disk fails {}‰ writes, {}‰ fsyncs, {}‰ reads{}",
                faults.write_error_per_mille,
                faults.fsync_error_per_mille,
                faults.read_error_per_mille,
                faults.capacity.map_or(String::new(), |c| format!(", capacity {c} bytes"))
            ),
            Fault::BitFlip { node } => format!("{node}: a bit of a durable file flips"),
            Fault::BacklogOverflow { node, bytes } => {
                format!("{node} cut off from the master while {bytes} bytes of writes go to the master")
            }
            Fault::Failover { promote, down_ms, .. } => format!(
                "the master is killed, {} is promoted, the old master restarts after {down_ms} ms",
                promote.as_deref().unwrap_or("a replica")
            ),
        }
    }
}

/// A fault at a simulated time (ms since the run started).
#[derive(Clone, Debug, PartialEq)]
pub struct TimedFault {
    pub at_ms: u64,
    pub fault: Fault,
}

/// What a seed drew from a swarm scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct SwarmDraw {
    pub kinds: Vec<FaultKind>,
    pub mean_gap_ms: u64,
    pub packet_loss: f64,
    pub latency_ms: u64,
    pub clock_skew_ms: u64,
    pub disk_error_per_mille: u32,
}

/// The faults of one run, in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    pub faults: Vec<TimedFault>,
    pub swarm: Option<SwarmDraw>,
}

impl FaultPlan {
    /// The plan of `scenario` for `seed` (from the seed's fault stream).
    pub fn from_scenario(scenario: &Scenario, seed: u64) -> FaultPlan {
        match scenario.faults.mode {
            FaultMode::None => FaultPlan::default(),
            FaultMode::Scripted => {
                // Random promotions draw from the seed, the rest is the script.
                let mut picks = stream(seed, Stream::Faults, 1);
                let mut faults: Vec<TimedFault> =
                    scenario.faults.script.iter().map(|s| scripted(scenario, s, &mut picks)).collect();
                faults.sort_by_key(|f| f.at_ms);
                FaultPlan { faults, swarm: None }
            }
            FaultMode::Swarm => swarm(scenario, seed),
        }
    }

    /// The plan as text, one fault a line.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(d) = &self.swarm {
            let kinds: Vec<&str> = d.kinds.iter().map(|k| k.name()).collect();
            let _ = writeln!(
                out,
                "swarm draw: kinds [{}], mean gap {} ms, packet loss up to {:.1}%, latency up to {} ms, \
                 clock skew up to {} ms, disk errors up to {}‰",
                kinds.join(", "),
                d.mean_gap_ms,
                d.packet_loss * 100.0,
                d.latency_ms,
                d.clock_skew_ms,
                d.disk_error_per_mille
            );
        }
        if self.faults.is_empty() {
            out.push_str("no faults\n");
        }
        for f in &self.faults {
            let _ = writeln!(out, "{:>7} ms {:<12} {}", f.at_ms, f.fault.kind().name(), f.fault.describe());
        }
        out
    }
}

/// The default size of a backlog burst: twice the backlog, and 4 KB more.
fn burst_bytes(scenario: &Scenario) -> u64 {
    let backlog = scenario.node_config().map_or(1 << 20, |c| c.get_u64("repl-backlog-size")).max(16 * 1024);
    2 * backlog + 4096
}

/// The shortest cut that makes a replica's link time out (`repl-timeout`
/// and a second more), so that the heal needs a resync.
fn link_timeout_ms(scenario: &Scenario) -> u64 {
    let timeout = scenario.node_config().map_or(60, |c| c.get_i64("repl-timeout")).max(1) as u64;
    timeout * 1000 + 1000
}

fn scripted(scenario: &Scenario, s: &ScriptedFault, picks: &mut impl Rng) -> TimedFault {
    let node = s.node.clone().unwrap_or_else(|| "n1".into());
    let everyone_else = |node: &str| -> Vec<String> {
        let mut v: Vec<String> = scenario.node_names().into_iter().filter(|n| n != node).collect();
        v.push("clients".into());
        v
    };
    let fault = match s.fault {
        FaultKind::Kill => Fault::Kill { node },
        FaultKind::PowerLoss => Fault::PowerLoss { node },
        FaultKind::Restart => Fault::Restart { node },
        FaultKind::Pause => Fault::Pause { node },
        FaultKind::Resume => Fault::Resume { node },
        FaultKind::Partition => {
            let b = s.peers.clone().unwrap_or_else(|| everyone_else(&node));
            Fault::Partition { a: vec![node], b }
        }
        FaultKind::Isolate => Fault::Isolate { node },
        FaultKind::OneWay => Fault::OneWay {
            from: s.from.clone().expect("validated: one-way has `from`"),
            to: s.to.clone().expect("validated: one-way has `to`"),
        },
        FaultKind::Heal => Fault::Heal,
        FaultKind::PacketLoss => Fault::PacketLoss { rate: s.rate.unwrap_or(0.0) },
        FaultKind::Latency => Fault::Latency { min_ms: s.min_ms.unwrap_or(1), max_ms: s.max_ms.unwrap_or(10) },
        FaultKind::ClockSkew => {
            Fault::ClockSkew { node, skew_ms: s.skew_ms.unwrap_or(0), drift_ppm: s.drift_ppm.unwrap_or(0) }
        }
        FaultKind::DiskFaults => Fault::DiskFaults { node, faults: s.disk_faults() },
        FaultKind::BitFlip => Fault::BitFlip { node },
        FaultKind::ReplicaPartition => {
            let b = match &s.node {
                Some(n) => vec![n.clone()],
                None => vec!["replicas".to_string()],
            };
            Fault::Partition { a: vec!["master".into()], b }
        }
        FaultKind::ReplicaKill => Fault::Kill { node: s.node.clone().unwrap_or_else(|| "n2".into()) },
        FaultKind::BacklogOverflow => Fault::BacklogOverflow {
            node: s.node.clone().unwrap_or_else(|| "n2".into()),
            bytes: s.bytes.unwrap_or_else(|| burst_bytes(scenario)),
        },
        FaultKind::Failover => {
            Fault::Failover { promote: s.node.clone(), pick: picks.gen(), down_ms: s.down_ms.unwrap_or(1000) }
        }
    };
    TimedFault { at_ms: s.at_ms, fault }
}

/// Draws a swarm plan: one fault at a time, each followed by its end.
fn swarm(scenario: &Scenario, seed: u64) -> FaultPlan {
    let spec = &scenario.faults;
    let mut rng = stream(seed, Stream::Faults, 0);
    let mut enabled = spec.kinds.clone();
    enabled.sort();
    enabled.dedup();
    let mut kinds: Vec<FaultKind> = enabled.iter().copied().filter(|_| rng.gen_bool(0.5)).collect();
    if kinds.is_empty() {
        kinds.push(*enabled.choose(&mut rng).expect("validated: swarm has kinds"));
    }
    let draw = SwarmDraw {
        kinds: kinds.clone(),
        mean_gap_ms: rng.gen_range(spec.interval_ms[0]..=spec.interval_ms[1]),
        packet_loss: rng.gen_range(0.0..=spec.max_packet_loss),
        latency_ms: rng.gen_range(10..=spec.max_latency_ms.max(10)),
        clock_skew_ms: rng.gen_range(0..=spec.max_clock_skew_ms),
        disk_error_per_mille: rng.gen_range(0..=spec.max_disk_error_per_mille),
    };
    let window = spec.window_ms.or(scenario.workload.duration_ms).unwrap_or(10_000);
    let nodes = scenario.node_names();
    let clients = scenario.client_names();
    let mut faults = Vec::new();
    let mut t = spec.start_ms + rng.gen_range(0..=draw.mean_gap_ms);
    while t < window {
        let kind = *kinds.choose(&mut rng).expect("at least one kind");
        let node = nodes.choose(&mut rng).expect("at least one node").clone();
        let lasts = rng.gen_range(spec.duration_ms[0]..=spec.duration_ms[1]).max(1);
        let end = t + lasts;
        let mut at = |at_ms: u64, fault: Fault| faults.push(TimedFault { at_ms, fault });
        match kind {
            FaultKind::Kill => {
                at(t, Fault::Kill { node: node.clone() });
                at(end, Fault::Restart { node });
            }
            FaultKind::PowerLoss => {
                at(t, Fault::PowerLoss { node: node.clone() });
                at(end, Fault::Restart { node });
            }
            FaultKind::Restart => at(t, Fault::Restart { node }),
            FaultKind::Pause => {
                at(t, Fault::Pause { node: node.clone() });
                at(end, Fault::Resume { node });
            }
            FaultKind::Partition => {
                // The node against a non-empty subset of the clients.
                let mut side: Vec<String> = clients.iter().filter(|_| rng.gen_bool(0.5)).cloned().collect();
                if side.is_empty() || side.len() == clients.len() {
                    side = vec!["clients".into()];
                }
                at(t, Fault::Partition { a: vec![node], b: side });
                at(end, Fault::Heal);
            }
            FaultKind::Isolate => {
                at(t, Fault::Isolate { node });
                at(end, Fault::Heal);
            }
            FaultKind::OneWay => {
                // Either the requests or the replies are held: held replies
                // leave operations that took effect without an answer.
                let (from, to) = if rng.gen_bool(0.5) {
                    (vec![node], vec!["clients".to_string()])
                } else {
                    (vec!["clients".to_string()], vec![node])
                };
                at(t, Fault::OneWay { from, to });
                at(end, Fault::Heal);
            }
            FaultKind::PacketLoss => {
                let rate = rng.gen_range(0.0..=draw.packet_loss);
                at(t, Fault::PacketLoss { rate });
                at(end, Fault::Heal);
            }
            FaultKind::Latency => {
                let max_ms = rng.gen_range(10..=draw.latency_ms.max(10));
                at(t, Fault::Latency { min_ms: 1, max_ms });
                at(end, Fault::Heal);
            }
            FaultKind::ClockSkew => {
                let skew = rng.gen_range(0..=draw.clock_skew_ms) as i64;
                let skew_ms = if rng.gen_bool(0.5) { skew } else { -skew };
                let max_drift = spec.max_clock_drift_ppm as i64;
                let drift_ppm = rng.gen_range(-max_drift..=max_drift);
                at(t, Fault::ClockSkew { node: node.clone(), skew_ms, drift_ppm });
                at(end, Fault::ClockSkew { node, skew_ms: 0, drift_ppm: 0 });
            }
            FaultKind::DiskFaults => {
                let max = draw.disk_error_per_mille;
                let faults = DiskFaults {
                    write_error_per_mille: rng.gen_range(0..=max),
                    fsync_error_per_mille: rng.gen_range(0..=max),
                    read_error_per_mille: rng.gen_range(0..=max),
                    capacity: None,
                };
                at(t, Fault::DiskFaults { node: node.clone(), faults });
                at(end, Fault::DiskFaults { node, faults: DiskFaults::default() });
            }
            FaultKind::BitFlip => {
                // The flip matters when the file is read: at the next start.
                at(t, Fault::BitFlip { node: node.clone() });
                at(t + rng.gen_range(20..=200), Fault::Restart { node });
            }
            FaultKind::ReplicaPartition => {
                // The master against one replica, or (a third of the time) all of them.
                let replicas = &nodes[1..];
                let b = if replicas.len() > 1 && rng.gen_ratio(1, 3) {
                    vec!["replicas".to_string()]
                } else {
                    vec![replicas.choose(&mut rng).expect("validated: a replica").clone()]
                };
                at(t, Fault::Partition { a: vec!["master".into()], b });
                at(end, Fault::Heal);
            }
            FaultKind::ReplicaKill => {
                let node = nodes[1..].choose(&mut rng).expect("validated: a replica").clone();
                at(t, Fault::Kill { node: node.clone() });
                at(end, Fault::Restart { node });
            }
            FaultKind::BacklogOverflow => {
                let node = nodes[1..].choose(&mut rng).expect("validated: a replica").clone();
                let until = t + lasts.max(link_timeout_ms(scenario));
                at(t, Fault::BacklogOverflow { node, bytes: burst_bytes(scenario) });
                at(until, Fault::Heal);
            }
            FaultKind::Failover => {
                let down_ms = lasts.max(spec.promote_after_ms + 100);
                at(t, Fault::Failover { promote: None, pick: rng.gen(), down_ms });
            }
            FaultKind::Resume | FaultKind::Heal => unreachable!("validated: not drawn by themselves"),
        }
        let gap = rng.gen_range(draw.mean_gap_ms / 2..=draw.mean_gap_ms * 3 / 2);
        t = faults.last().map_or(end, |f| f.at_ms.max(end)) + gap;
    }
    faults.sort_by_key(|f| f.at_ms);
    FaultPlan { faults, swarm: Some(draw) }
}

// ---- applying faults ----------------------------------------------------------

/// Applies the plan's faults at their times. The run stops this task when
/// the workload ends (the rest of the plan is skipped: everything heals).
pub(crate) async fn run_plan(world: Arc<World>, plan: FaultPlan) {
    for f in &plan.faults {
        madsim::time::sleep_until(world.at(f.at_ms)).await;
        if world.phase() != Phase::Workload {
            return;
        }
        apply(&world, &f.fault);
        *lock(&world.faults_applied) += 1;
    }
}

/// Applies one fault now and records it on the timeline.
pub(crate) fn apply(world: &Arc<World>, fault: &Fault) {
    let handle = Handle::current();
    let net = NetSim::current();
    let kind = fault.kind().name();
    match fault {
        Fault::Kill { node } => {
            let Some(s) = world.server(node) else { return };
            handle.kill(s.id());
            lock(&s.state).disk.process_crash();
            let was = stop(s);
            world.event(Some(node), kind, format!("process killed (was {was:?}); the page cache survives"));
        }
        Fault::PowerLoss { node } => {
            let Some(s) = world.server(node) else { return };
            handle.kill(s.id());
            let detail = lock(&s.state).disk.power_loss();
            let was = stop(s);
            world.event(Some(node), kind, format!("(was {was:?}) {detail}"));
        }
        Fault::Restart { node } => {
            let Some(s) = world.server(node) else { return };
            let detail = match s.status() {
                Status::Down | Status::Exited(_) => "the process starts".to_string(),
                running => {
                    lock(&s.state).disk.process_crash();
                    format!("the process is killed (was {running:?}) and starts again")
                }
            };
            start_node(world, s, kind, &detail);
        }
        Fault::Pause { node } => {
            let Some(s) = world.server(node) else { return };
            handle.pause(s.id());
            lock(&s.state).paused = true;
            world.event(Some(node), kind, "process paused");
        }
        Fault::Resume { node } => {
            let Some(s) = world.server(node) else { return };
            handle.resume(s.id());
            lock(&s.state).paused = false;
            world.event(Some(node), kind, "process resumed");
        }
        Fault::Partition { a, b } => {
            let (a_ids, b_ids) = (ids(world, a), ids(world, b));
            for &x in &a_ids {
                for &y in &b_ids {
                    net.clog_link(x, y);
                    net.clog_link(y, x);
                }
            }
            // Groups (`master`, `replicas`) named as they are now.
            let (a, b) = (resolve(world, a), resolve(world, b));
            let node = (a.len() == 1).then(|| a[0].as_str());
            world.event(node, kind, Fault::Partition { a: a.clone(), b }.describe());
        }
        Fault::BacklogOverflow { node, bytes } => {
            let Some(s) = world.server(node) else { return };
            let master = world.master_index();
            if s.index == master {
                world.event(Some(node), kind, format!("{node} is the master now: nothing to cut off"));
                return;
            }
            let (m, r) = (world.servers[master].id(), s.id());
            net.clog_link(m, r);
            net.clog_link(r, m);
            let master_name = world.servers[master].name.clone();
            world.event(Some(node), kind, format!("{node} | {master_name} (the master), then {bytes} bytes of writes"));
            let (w, cut, bytes) = (world.clone(), node.clone(), *bytes);
            crate::replication::spawn_operator(world, crate::replication::backlog_burst(w, cut, bytes));
        }
        Fault::Failover { promote, pick, down_ms } => {
            let (w, promote, pick, down_ms) = (world.clone(), promote.clone(), *pick, *down_ms);
            crate::replication::spawn_operator(world, crate::replication::failover(w, promote, pick, down_ms));
        }
        Fault::OneWay { from, to } => {
            let (f_ids, t_ids) = (ids(world, from), ids(world, to));
            for &x in &f_ids {
                for &y in &t_ids {
                    net.clog_link(x, y);
                }
            }
            world.event(fault.node(), kind, fault.describe());
        }
        Fault::Isolate { node } => {
            let Some(s) = world.server(node) else { return };
            net.clog_node(s.id());
            world.event(Some(node), kind, fault.describe());
        }
        Fault::Heal => {
            heal_network(world);
            world.event(None, kind, fault.describe());
        }
        Fault::PacketLoss { rate } => {
            net.update_config(|c| c.packet_loss_rate = *rate);
            world.event(None, kind, fault.describe());
        }
        Fault::Latency { min_ms, max_ms } => {
            let range = Duration::from_millis(*min_ms)..Duration::from_millis((*max_ms).max(*min_ms + 1));
            net.update_config(|c| c.send_latency = range);
            world.event(None, kind, fault.describe());
        }
        Fault::ClockSkew { node, skew_ms, drift_ppm } => {
            let Some(s) = world.server(node) else { return };
            let mut st = lock(&s.state);
            st.skew_ms = *skew_ms;
            st.drift_ppm = *drift_ppm;
            st.drift_from_ms = world.now_ms();
            drop(st);
            world.event(Some(node), kind, fault.describe());
        }
        Fault::DiskFaults { node, faults } => {
            let Some(s) = world.server(node) else { return };
            lock(&s.state).disk.set_faults(faults.clone());
            world.event(Some(node), kind, fault.describe());
        }
        Fault::BitFlip { node } => {
            let Some(s) = world.server(node) else { return };
            let flipped = lock(&s.state).disk.flip_bit();
            let detail = match flipped {
                Some((path, offset, bit)) => format!("bit {bit} of byte {offset} of {path} flipped"),
                None => "no durable data to flip".into(),
            };
            world.event(Some(node), kind, detail);
        }
    }
}

/// Marks a server down after its process was killed; returns what it was.
fn stop(s: &ServerNode) -> Status {
    let mut st = lock(&s.state);
    let was = st.status;
    st.status = Status::Down;
    st.paused = false;
    was
}

/// Starts a server's process afresh (killing what runs): madsim runs the
/// node's initial task, [`crate::node_host::serve`], again.
pub(crate) fn start_node(world: &World, s: &ServerNode, kind: &str, detail: &str) {
    let handle = Handle::current();
    // Killing first also unbinds the old process's sockets, which a process
    // that exited on its own leaves behind in madsim's network.
    handle.kill(s.id());
    {
        let mut st = lock(&s.state);
        st.status = Status::Down;
        st.paused = false;
    }
    handle.restart(s.id());
    world.event(Some(&s.name), kind, detail.to_string());
}

/// The madsim nodes a list of names stands for (`clients`, `servers`, or names).
fn ids(world: &World, names: &[String]) -> Vec<NodeId> {
    let clients = lock(&world.clients).clone();
    let mut out = Vec::new();
    for name in names {
        match name.as_str() {
            "clients" => out.extend(clients.iter().map(|(_, id)| *id)),
            "servers" => out.extend(world.servers.iter().map(|s| s.id())),
            "master" if world.replicated() => out.push(world.servers[world.master_index()].id()),
            "replicas" if world.replicated() => {
                let master = world.master_index();
                out.extend(world.servers.iter().filter(|s| s.index != master).map(|s| s.id()));
            }
            n => {
                if let Some(s) = world.server(n) {
                    out.push(s.id());
                } else if let Some((_, id)) = clients.iter().find(|(c, _)| c == n) {
                    out.push(*id);
                }
            }
        }
    }
    out
}

/// Names with the groups `master` and `replicas` replaced by the nodes
/// that have those roles now.
fn resolve(world: &World, names: &[String]) -> Vec<String> {
    let master = world.master_index();
    let mut out = Vec::new();
    for name in names {
        match name.as_str() {
            "master" if world.replicated() => out.push(world.servers[master].name.clone()),
            "replicas" if world.replicated() => {
                out.extend(world.servers.iter().filter(|s| s.index != master).map(|s| s.name.clone()))
            }
            _ => out.push(name.clone()),
        }
    }
    out
}

/// Lifts every network fault.
fn heal_network(world: &World) {
    let net = NetSim::current();
    let mut all: Vec<NodeId> = world.servers.iter().map(|s| s.id()).collect();
    all.extend(lock(&world.clients).iter().map(|(_, id)| *id));
    for &x in &all {
        net.unclog_node(x);
        for &y in &all {
            if x != y {
                net.unclog_link(x, y);
            }
        }
    }
    let default = madsim::net::Config::default();
    net.update_config(|c| *c = default);
}

/// The end of the faulty part of a run: the network heals, disks stop
/// failing, clocks are right again, paused processes continue and stopped
/// ones start.
pub(crate) fn heal_all(world: &World) {
    heal_network(world);
    let handle = Handle::current();
    for s in &world.servers {
        let status = {
            let mut st = lock(&s.state);
            st.disk.set_faults(DiskFaults::default());
            st.skew_ms = 0;
            st.drift_ppm = 0;
            if st.paused {
                st.paused = false;
                handle.resume(s.id());
            }
            st.status
        };
        if matches!(status, Status::Down | Status::Exited(_)) {
            start_node(world, s, "restart", "the process starts for the end of the run");
        }
    }
    world.event(None, "heal-all", "network, disks and clocks healed; every process runs");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(faults: &str) -> Scenario {
        Scenario::parse(&format!(
            "name = \"t\"\n[workload]\nkind = \"register\"\nops = 10\nduration_ms = 8000\n[faults]\n{faults}"
        ))
        .unwrap()
    }

    #[test]
    fn swarm_plans_are_drawn_from_the_seed() {
        let s = scenario("mode = \"swarm\"\nkinds = [\"kill\", \"partition\", \"packet-loss\", \"bit-flip\"]\n");
        let a = FaultPlan::from_scenario(&s, 1);
        assert_eq!(a, FaultPlan::from_scenario(&s, 1), "same seed, same plan");
        assert!(!a.faults.is_empty());
        let differs = (2..10).any(|seed| FaultPlan::from_scenario(&s, seed) != a);
        assert!(differs, "every seed drew the same plan");
        for w in a.faults.windows(2) {
            assert!(w[0].at_ms <= w[1].at_ms, "plan in time order");
        }
        // Every kill comes back.
        let kills = a.faults.iter().filter(|f| matches!(f.fault, Fault::Kill { .. })).count();
        let restarts = a.faults.iter().filter(|f| matches!(f.fault, Fault::Restart { .. })).count();
        assert!(restarts >= kills);
    }

    #[test]
    fn scripted_plans_follow_the_script() {
        let s = scenario(
            "mode = \"scripted\"\n[[faults.script]]\nat_ms = 900\nfault = \"restart\"\n\
             [[faults.script]]\nat_ms = 500\nfault = \"power-loss\"\n",
        );
        let p = FaultPlan::from_scenario(&s, 99);
        assert_eq!(p.faults[0], TimedFault { at_ms: 500, fault: Fault::PowerLoss { node: "n1".into() } });
        assert_eq!(p.faults[1].at_ms, 900);
        assert!(p.describe().contains("power-loss"));
    }
}
