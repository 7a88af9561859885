//! The operator of a replicated group: what a person (or Sentinel) does to
//! it from outside, over the same simulated TCP the clients use, from its
//! own madsim node (`op`, which network faults between servers and clients
//! do not cut off).
//!
//! - [`failover`]: the master dies; `promote_after_ms` later a replica gets
//!   `REPLICAOF NO ONE`, every other node `REPLICAOF <new master>` (a node
//!   that is down gets it in the configuration it restarts with), and the
//!   clients switch to the new master; the old master restarts later, as a
//!   replica.
//! - [`backlog_burst`]: more writes than `repl-backlog-size` holds, on keys
//!   of their own (`burst:<n>:<i>`, which no client reads), while a replica
//!   is cut off: its partial resync must fail and a full one take over.
//! - [`final_check`]: at the end of the run, waits (bounded) until every
//!   replica's link is up at the master's offset, then compares every
//!   node's `DEBUG DIGEST` with the master's.
//!
//! Every step is an event on the run's timeline.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use madsim::time::Instant;
use redsim_model::resp::encode_request;
use redsim_model::Frame;

use crate::client::{Conn, ReadError};
use crate::faults::{self, Fault};
use crate::history::show_frame;
use crate::node_host::Status;
use crate::run::{lock, Phase, TraceLevel, World};
use crate::scenario::PromotePolicy;

/// How long the operator waits for one answer.
const ASK_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long the end of a run waits for the replicas to catch up.
pub const CONVERGE_WAIT_MS: u64 = 30_000;
/// How long the end of a run waits for operator tasks still under way.
pub const OPERATOR_WAIT_MS: u64 = 15_000;

/// What the end of a replicated run found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicationCheck {
    /// The master at the end.
    pub master: String,
    /// Every node: name, role word, `master_repl_offset`, link status (replicas), digest.
    pub nodes: Vec<NodeState>,
    /// Simulated ms the replicas took to converge after the wait began.
    pub converged_after_ms: Option<u64>,
    /// Resyncs the nodes served (INFO stats of their current processes,
    /// summed): full, partial accepted, partial refused.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// Why the check failed, when it did.
    pub failure: Option<String>,
}

/// One node's replication state as INFO replication and DEBUG DIGEST told it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeState {
    pub name: String,
    pub role: String,
    pub offset: Option<u64>,
    pub link_up: Option<bool>,
    pub master_host: Option<String>,
    pub digest: Option<String>,
}

impl ReplicationCheck {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// One line: "digests equal on 3 nodes (master n2, offset 1234)".
    pub fn short(&self) -> String {
        match &self.failure {
            None => format!(
                "replicas in sync: digests equal on {} nodes (master {}, offset {})",
                self.nodes.len(),
                self.master,
                self.nodes.iter().find(|n| n.name == self.master).and_then(|n| n.offset).unwrap_or(0)
            ),
            Some(_) => "REPLICAS DIVERGE".to_string(),
        }
    }

    /// Every node, one per line.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for n in &self.nodes {
            let _ = writeln!(
                out,
                "{} {}: offset {}, link {}, digest {}",
                n.name,
                n.role,
                n.offset.map_or("?".into(), |o| o.to_string()),
                match n.link_up {
                    Some(true) => "up",
                    Some(false) => "down",
                    None => "-",
                },
                n.digest.as_deref().unwrap_or("?")
            );
        }
        let _ = writeln!(
            out,
            "resyncs served: {} full, {} partial accepted, {} partial refused",
            self.sync_full, self.sync_partial_ok, self.sync_partial_err
        );
        if let Some(f) = &self.failure {
            let _ = writeln!(out, "FAILED: {f}");
        }
        out
    }
}

/// Counts an operator task as under way while it lives.
struct Busy(Arc<World>);

impl Busy {
    fn new(world: &Arc<World>) -> Busy {
        *lock(&world.operator_busy) += 1;
        Busy(world.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *lock(&self.0.operator_busy) -= 1;
    }
}

/// Runs `task` on the operator's node, counted as under way until it ends.
pub(crate) fn spawn_operator<F>(world: &Arc<World>, task: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(op) = lock(&world.operator).clone() else { return };
    let busy = Busy::new(world);
    drop(op.spawn(async move {
        task.await;
        drop(busy);
    }));
}

/// Waits until no operator task is under way, or `max_ms` passed.
pub(crate) async fn operator_idle(world: &World, max_ms: u64) {
    let until = world.now_ms() + max_ms;
    while *lock(&world.operator_busy) > 0 && world.now_ms() < until {
        madsim::time::sleep(Duration::from_millis(20)).await;
    }
}

fn addr(world: &World, node: usize) -> SocketAddr {
    let s = &world.servers[node];
    SocketAddr::new(s.ip, s.port)
}

fn read_error(e: ReadError) -> String {
    match e {
        ReadError::Timeout => "timed out".into(),
        ReadError::Closed => "connection closed".into(),
        ReadError::Protocol(p) => format!("protocol error: {p}"),
    }
}

/// Sends one command to node `node` on a fresh connection and returns the reply.
async fn ask(world: &World, node: usize, argv: &[&str]) -> Result<Frame, String> {
    let mut conn = Conn::open(addr(world, node), ASK_TIMEOUT).await?;
    let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
    let mut bytes = Vec::new();
    encode_request(&argv, &mut bytes);
    conn.send(&bytes).await.map_err(|e| e.to_string())?;
    conn.next_frame(Instant::now() + ASK_TIMEOUT).await.map_err(read_error) // determinism-ok: simulated clock
}

/// INFO replication of a node, as `field -> value` pairs.
async fn info_replication(world: &World, node: usize) -> Result<Vec<(String, String)>, String> {
    info(world, node, "replication").await
}

/// One section of INFO, as `field -> value` pairs.
async fn info(world: &World, node: usize, section: &str) -> Result<Vec<(String, String)>, String> {
    match ask(world, node, &["INFO", section]).await? {
        Frame::Bulk(b) => Ok(String::from_utf8_lossy(&b)
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()),
        other => Err(format!("INFO replied {}", show_frame(&other))),
    }
}

fn field<'a>(info: &'a [(String, String)], name: &str) -> Option<&'a str> {
    info.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `master_repl_offset` of a node, if it answers.
async fn offset_of(world: &World, node: usize) -> Option<u64> {
    let info = info_replication(world, node).await.ok()?;
    field(&info, "master_repl_offset")?.parse().ok()
}

/// `failover`: kills the master, promotes a replica `promote_after_ms`
/// later, and restarts the old master (as a replica) `down_ms` after its
/// death. Steps left when the workload ends are skipped (the run heals).
pub(crate) async fn failover(world: Arc<World>, promote: Option<String>, pick: u64, down_ms: u64) {
    if world.phase() != Phase::Workload {
        return;
    }
    let started = world.now_ms();
    let old = world.master_index();
    let old_name = world.servers[old].name.clone();
    let whom = promote.clone().unwrap_or_else(|| format!("a replica ({})", world.scenario.faults.promote.name()));
    let after = world.scenario.faults.promote_after_ms.min(down_ms);
    world.event(
        Some(&old_name),
        "failover",
        format!("{old_name}, the master, dies; the operator promotes {whom} {after} ms later"),
    );
    faults::apply(&world, &Fault::Kill { node: old_name.clone() });
    if !sleep_in_workload(&world, started + after).await {
        return;
    }
    promote_replica(&world, promote.as_deref(), pick).await;
    if !sleep_in_workload(&world, started + down_ms).await {
        return;
    }
    if world.servers[old].status() == Status::Down {
        faults::apply(&world, &Fault::Restart { node: old_name });
    }
}

/// Sleeps until `at_ms` of simulated time; false as soon as the workload is over.
async fn sleep_in_workload(world: &World, at_ms: u64) -> bool {
    while world.now_ms() < at_ms {
        if world.phase() != Phase::Workload {
            return false;
        }
        let step = (at_ms - world.now_ms()).min(20);
        madsim::time::sleep(Duration::from_millis(step)).await;
    }
    world.phase() == Phase::Workload
}

/// The operator's promotion: picks a replica that is up, `REPLICAOF NO ONE`
/// to it, `REPLICAOF <it>` to every other node, and the clients follow it.
/// Returns the new master's index, or `None` when nothing was promoted.
pub(crate) async fn promote_replica(world: &Arc<World>, wanted: Option<&str>, pick: u64) -> Option<usize> {
    let old = world.master_index();
    let candidates: Vec<usize> =
        (0..world.servers.len()).filter(|&i| i != old && world.servers[i].status() == Status::Ready).collect();
    let mut offsets: Vec<(usize, Option<u64>)> = Vec::new();
    for &i in &candidates {
        offsets.push((i, offset_of(world, i).await));
    }
    let shown: Vec<String> = offsets
        .iter()
        .map(|(i, o)| format!("{} at {}", world.servers[*i].name, o.map_or("?".into(), |o| o.to_string())))
        .collect();
    let policy = world.scenario.faults.promote;
    let chosen = match wanted {
        Some(name) => candidates.iter().copied().find(|&i| world.servers[i].name == name),
        None => match policy {
            PromotePolicy::Random if !candidates.is_empty() => {
                Some(candidates[(pick % candidates.len() as u64) as usize])
            }
            PromotePolicy::Random => None,
            // The highest offset; ties to the lowest node. Replicas that did not answer are not candidates.
            PromotePolicy::MostUpToDate => offsets
                .iter()
                .filter_map(|(i, o)| o.map(|o| (o, std::cmp::Reverse(*i))))
                .max()
                .map(|(_, std::cmp::Reverse(i))| i),
        },
    };
    let how = match wanted {
        Some(name) => format!("{name}, as the script says"),
        None => policy.name().to_string(),
    };
    let Some(new) = chosen else {
        world.event(
            None,
            "promote-skipped",
            format!(
                "no replica to promote ({how}; replicas up: {})",
                if shown.is_empty() { "none".into() } else { shown.join(", ") }
            ),
        );
        return None;
    };
    let new_name = world.servers[new].name.clone();
    match ask(world, new, &["REPLICAOF", "NO", "ONE"]).await {
        Ok(Frame::Simple(_)) => {}
        Ok(other) => {
            world.event(Some(&new_name), "promote-failed", format!("REPLICAOF NO ONE replied {}", show_frame(&other)));
            return None;
        }
        Err(e) => {
            world.event(Some(&new_name), "promote-failed", format!("REPLICAOF NO ONE: {e}"));
            return None;
        }
    }
    world.set_master(new);
    world.event(
        Some(&new_name),
        "promote",
        format!(
            "REPLICAOF NO ONE: {new_name} is the master (chosen: {how}; replication offsets: {})",
            shown.join(", ")
        ),
    );
    let (ip, port) = (world.servers[new].ip.to_string(), world.servers[new].port.to_string());
    for i in 0..world.servers.len() {
        if i == new {
            continue;
        }
        let name = world.servers[i].name.clone();
        if world.servers[i].status() != Status::Ready {
            world.event(Some(&name), "replicaof", format!("down: restarts as a replica of {new_name}"));
            continue;
        }
        let detail = match ask(world, i, &["REPLICAOF", &ip, &port]).await {
            Ok(reply) => format!("REPLICAOF {ip} {port} ({new_name}): {}", show_frame(&reply)),
            Err(e) => format!("REPLICAOF {ip} {port} ({new_name}) unanswered: {e}; its configuration names {new_name}"),
        };
        world.event(Some(&name), "replicaof", detail);
    }
    world.event(None, "clients-switch", format!("the clients send to {new_name} from now on"));
    Some(new)
}

/// Writes `bytes` bytes of values to the current master in one pipeline,
/// on keys no client reads (`burst:<n>:<i>`, 1000-byte values).
pub(crate) async fn backlog_burst(world: Arc<World>, cut_off: String, bytes: u64) {
    let n = {
        let mut b = lock(&world.bursts);
        *b += 1;
        *b
    };
    let master = world.master_index();
    let count = bytes.div_ceil(1000).max(1);
    let value = Bytes::from(vec![b'x'; 1000]);
    let mut out = Vec::new();
    for i in 0..count {
        let argv = [Bytes::from_static(b"SET"), Bytes::from(format!("burst:{n}:{i}")), value.clone()];
        encode_request(&argv, &mut out);
    }
    let mut ok = 0u64;
    let mut why = String::new();
    match Conn::open(addr(&world, master), ASK_TIMEOUT).await {
        Err(e) => why = e,
        Ok(mut conn) => {
            if let Err(e) = conn.send(&out).await {
                why = e.to_string();
            } else {
                let deadline = Instant::now() + ASK_TIMEOUT * 4; // determinism-ok: simulated clock
                for _ in 0..count {
                    match conn.next_frame(deadline).await {
                        Ok(Frame::Simple(_)) => ok += 1,
                        Ok(other) => {
                            if why.is_empty() {
                                why = show_frame(&other);
                            }
                        }
                        Err(e) => {
                            why = read_error(e);
                            break;
                        }
                    }
                }
            }
        }
    }
    let master_name = world.servers[master].name.clone();
    let backlog = world.servers[master].config.get_u64("repl-backlog-size").max(16 * 1024);
    let tail = if why.is_empty() { String::new() } else { format!(" ({why})") };
    world.event(
        Some(&master_name),
        "burst",
        format!(
            "{ok} of {count} writes of 1000 bytes acknowledged while {cut_off} is cut off (repl-backlog-size {backlog}){tail}"
        ),
    );
}

/// The end of a replicated run: waits until every replica follows the
/// master with its link up at the master's offset (at most
/// [`CONVERGE_WAIT_MS`]), then compares the DEBUG DIGEST of every node with
/// the master's.
pub(crate) async fn final_check(world: Arc<World>) -> ReplicationCheck {
    let master = world.master_index();
    let master_name = world.servers[master].name.clone();
    let master_ip = world.servers[master].ip.to_string();
    let began = world.now_ms();
    let mut check = ReplicationCheck { master: master_name.clone(), ..ReplicationCheck::default() };
    let mut lagging = String::new();
    loop {
        let mut nodes = Vec::new();
        let mut problems = Vec::new();
        let master_offset = match info_replication(&world, master).await {
            Ok(info) => {
                let role = field(&info, "role").unwrap_or("?").to_string();
                if role != "master" {
                    problems.push(format!("{master_name} is a {role}, not the master"));
                }
                let offset = field(&info, "master_repl_offset").and_then(|o| o.parse::<u64>().ok());
                nodes.push(NodeState {
                    name: master_name.clone(),
                    role,
                    offset,
                    link_up: None,
                    master_host: None,
                    digest: None,
                });
                offset
            }
            Err(e) => {
                problems.push(format!("{master_name} (master): {e}"));
                None
            }
        };
        for (i, s) in world.servers.iter().enumerate() {
            if i == master {
                continue;
            }
            match info_replication(&world, i).await {
                Ok(info) => {
                    let role = field(&info, "role").unwrap_or("?").to_string();
                    let offset = field(&info, "master_repl_offset").and_then(|o| o.parse::<u64>().ok());
                    let link_up = field(&info, "master_link_status").map(|l| l == "up");
                    let host = field(&info, "master_host").map(str::to_string);
                    if role != "slave" || host.as_deref() != Some(master_ip.as_str()) {
                        problems.push(format!(
                            "{} is a {role} following {}, not a replica of {master_name}",
                            s.name,
                            host.as_deref().unwrap_or("nobody")
                        ));
                    } else if link_up != Some(true) {
                        problems.push(format!("{}: master_link_status down", s.name));
                    } else if offset != master_offset {
                        problems.push(format!(
                            "{}: offset {} while the master is at {}",
                            s.name,
                            offset.map_or("?".into(), |o| o.to_string()),
                            master_offset.map_or("?".into(), |o| o.to_string())
                        ));
                    }
                    nodes.push(NodeState {
                        name: s.name.clone(),
                        role,
                        offset,
                        link_up,
                        master_host: host,
                        digest: None,
                    });
                }
                Err(e) => problems.push(format!("{}: {e}", s.name)),
            }
        }
        check.nodes = nodes;
        if problems.is_empty() {
            check.converged_after_ms = Some(world.now_ms() - began);
            break;
        }
        lagging = problems.join("; ");
        if world.now_ms() >= began + CONVERGE_WAIT_MS {
            break;
        }
        madsim::time::sleep(Duration::from_millis(100)).await;
    }
    if check.converged_after_ms.is_none() {
        check.failure = Some(format!("the replicas did not converge within {CONVERGE_WAIT_MS} ms: {lagging}"));
    }
    // Digests, even when the offsets never matched (they show how far apart the nodes are).
    let mut digests = Vec::new();
    for (i, s) in world.servers.iter().enumerate() {
        let digest = match ask(&world, i, &["DEBUG", "DIGEST"]).await {
            Ok(Frame::Simple(d)) => Ok(d),
            Ok(Frame::Bulk(d)) => Ok(String::from_utf8_lossy(&d).into_owned()),
            Ok(other) => Err(show_frame(&other)),
            Err(e) => Err(e),
        };
        digests.push((i, digest.clone()));
        if let Some(n) = check.nodes.iter_mut().find(|n| n.name == s.name) {
            n.digest = digest.ok();
        }
    }
    let master_digest = digests.iter().find(|(i, _)| *i == master).and_then(|(_, d)| d.clone().ok());
    let mut differ = Vec::new();
    for (i, d) in &digests {
        let name = &world.servers[*i].name;
        match (d, &master_digest) {
            (Err(e), _) => differ.push(format!("{name}: DEBUG DIGEST failed: {e}")),
            (Ok(d), Some(m)) if d != m && *i != master => {
                differ.push(format!("{name}'s digest {d} differs from the master {master_name}'s {m}"))
            }
            _ => {}
        }
    }
    if !differ.is_empty() {
        let text = differ.join("; ");
        check.failure = Some(match check.failure.take() {
            Some(f) => format!("{f}; {text}"),
            None => text,
        });
    }
    for i in 0..world.servers.len() {
        if let Ok(stats) = info(&world, i, "stats").await {
            let count = |name: &str| field(&stats, name).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            check.sync_full += count("sync_full");
            check.sync_partial_ok += count("sync_partial_ok");
            check.sync_partial_err += count("sync_partial_err");
        }
    }
    world.trace(TraceLevel::Faults, "-", || format!("replication check:\n{}", check.describe().trim_end()));
    let detail = match &check.failure {
        None => format!(
            "every replica follows {master_name} at its offset after {} ms; DEBUG DIGEST {} on {} nodes; \
             resyncs served: {} full, {} partial accepted, {} partial refused",
            check.converged_after_ms.unwrap_or(0),
            master_digest.as_deref().unwrap_or("?"),
            world.servers.len(),
            check.sync_full,
            check.sync_partial_ok,
            check.sync_partial_err
        ),
        Some(f) => format!("FAILED: {f}"),
    };
    world.event(None, "replication-check", detail);
    check
}
