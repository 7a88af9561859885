//! Simulated clients: each is its own madsim node (so the network can cut it
//! off from the servers) speaking RESP2 over madsim TCP, and records every
//! operation in the run's history.
//!
//! How an operation ends decides what the checker may assume about it:
//!
//! - **ok**: a reply arrived. Error replies that are legitimate answers
//!   (WRONGTYPE ...) are ok too: the model must give the same one.
//! - **fail**: it definitely did not take effect: the server refused it
//!   before running it (`-LOADING`, `-MISCONF`, `-EXECABORT`, `-READONLY`,
//!   `-OOM`, `-NOREPLICAS`, `-BUSY`, max clients, a WATCH-aborted EXEC), or
//!   it was never sent (connection refused, or the connection was already
//!   gone when the request was handed to it).
//! - **info**: it was sent and no reply came (timeout, connection lost): it
//!   may have taken effect at any instant after it was sent, or never.
//!
//! After anything but a reply the client drops its connection and connects
//! again for the next operation, backing off while connections are refused.
//! With `pipeline = n` a client sends n requests in one write and then reads
//! the n replies; each request is its own operation, invoked together.
//! List-append writes are transactions: MULTI, RPUSH..., EXEC in one write.
//!
//! In a replicated group every operation goes to the current master (the
//! operator switches the clients after a promotion), reads to a replica with
//! `read_from_replicas`. With `wait_replicas = n` every write is followed,
//! in the same pipeline, by `WAIT n timeout`: the write is **ok** only when
//! WAIT reports n replicas, and **info** when it reports fewer (it took
//! effect on the master, and nothing says it survives a failover).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use madsim::net::TcpStream;
use madsim::time::Instant;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use redsim_model::resp::{encode_request, ReplyReader};
use redsim_model::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::checker::WorkloadKind;
use crate::history::{show_frame, Op, Outcome, Reply, Request};
use crate::run::{TraceLevel, World};
use crate::scenario::Scenario;
use crate::workloads::{OpGenerator, PlannedOp};

/// The client id the final reads are recorded under (the history's
/// clients are otherwise 1..=clients).
pub const FINAL_READER: u64 = 0;

/// How a failure that never reached the server starts.
const NOT_SENT: &str = "connection gone before sending";

/// What a client needs to know.
#[derive(Clone, Debug)]
pub struct ClientCtx {
    /// 1-based; [`FINAL_READER`] for the final reads.
    pub index: usize,
    pub name: String,
    /// Every server node, in order: a key lives on `servers[shard_of(key)]`.
    pub servers: Vec<SocketAddr>,
    pub kind: WorkloadKind,
    pub keys: usize,
    pub pipeline: usize,
    pub timeout: Duration,
    pub think_ms: [u64; 2],
    /// One replicated group: send to the master, not to a shard.
    pub replicated: bool,
    pub read_from_replicas: bool,
    /// `WAIT replicas timeout_ms` after every write.
    pub wait: Option<(u32, u64)>,
}

impl ClientCtx {
    pub fn new(scenario: &Scenario, index: usize, servers: Vec<SocketAddr>) -> ClientCtx {
        let w = &scenario.workload;
        ClientCtx {
            index,
            name: format!("c{index}"),
            servers,
            kind: w.workload_kind(),
            keys: w.keys,
            pipeline: w.pipeline,
            timeout: Duration::from_millis(w.timeout_ms),
            think_ms: w.think_ms,
            replicated: scenario.replicated(),
            read_from_replicas: w.read_from_replicas,
            wait: (w.wait_replicas > 0).then_some((w.wait_replicas, w.wait_timeout_ms)),
        }
    }
}

/// The node a key lives on: independent servers, sharded by the client
/// (FNV-1a of the key, modulo the number of nodes), as client-side sharding
/// does in front of standalone Redis servers.
pub fn shard_of(key: &[u8], nodes: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % nodes.max(1) as u64) as usize
}

/// The node an operation goes to: its shard, or in a replicated group the
/// current master (a replica for reads with `read_from_replicas`: client
/// `cK` reads from replica number `(K - 1) mod replicas`, in node order).
fn target(world: &World, ctx: &ClientCtx, op: &PlannedOp) -> usize {
    if !ctx.replicated {
        return shard_of(&op.key, ctx.servers.len());
    }
    let master = world.master_index();
    if ctx.read_from_replicas && !is_write(&op.request) && ctx.index != FINAL_READER as usize {
        let replicas: Vec<usize> = (0..ctx.servers.len()).filter(|&i| i != master).collect();
        if !replicas.is_empty() {
            return replicas[(ctx.index - 1) % replicas.len()];
        }
    }
    master
}

/// Whether a request writes (anything but the workloads' reads).
pub fn is_write(request: &Request) -> bool {
    match request {
        Request::Transaction(_) => true,
        Request::Command(argv) => {
            let name = argv.first().map(|n| n.to_ascii_uppercase()).unwrap_or_default();
            !matches!(name.as_slice(), b"GET" | b"SMEMBERS" | b"LRANGE")
        }
    }
}

/// Why no reply came.
pub(crate) enum ReadError {
    Timeout,
    Closed,
    Protocol(String),
}

/// A connection with its reply parser.
pub(crate) struct Conn {
    stream: TcpStream,
    replies: ReplyReader,
    buf: Vec<u8>,
}

impl Conn {
    pub(crate) async fn open(server: SocketAddr, timeout: Duration) -> Result<Conn, String> {
        match madsim::time::timeout(timeout, TcpStream::connect(server)).await {
            Ok(Ok(stream)) => Ok(Conn { stream, replies: ReplyReader::new(), buf: vec![0; 16 * 1024] }),
            Ok(Err(e)) => Err(format!("connect: {e}")),
            Err(_) => Err("connect: timed out".into()),
        }
    }

    pub(crate) async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// The next reply, waiting until `deadline` at most.
    pub(crate) async fn next_frame(&mut self, deadline: Instant) -> Result<Frame, ReadError> {
        loop {
            match self.replies.next_frame() {
                Ok(Some(f)) => return Ok(f),
                Ok(None) => {}
                Err(e) => return Err(ReadError::Protocol(e.0)),
            }
            let left = deadline.saturating_duration_since(Instant::now()); // determinism-ok: simulated clock
            let read = madsim::time::timeout(left, self.stream.read(&mut self.buf)).await;
            match read {
                Err(_) => return Err(ReadError::Timeout),
                Ok(Ok(0)) | Ok(Err(_)) => return Err(ReadError::Closed),
                Ok(Ok(n)) => self.replies.feed(&self.buf[..n]),
            }
        }
    }
}

/// A client's workload: operations until the shared budget or the deadline
/// runs out.
pub(crate) async fn run_client(world: Arc<World>, ctx: ClientCtx, mut rng: ChaCha8Rng) {
    let mut gen = OpGenerator::new(ctx.kind, ctx.keys, ctx.index);
    // One connection per node, opened when an operation needs it.
    let mut conns: Vec<Option<Conn>> = ctx.servers.iter().map(|_| None).collect();
    let mut refused_in_a_row = 0u32;
    // Clients do not all start at the same instant.
    think(&mut rng, [0, ctx.think_ms[1].max(10)]).await;
    while world.workload_running() {
        let n = world.take_ops(ctx.pipeline as u64);
        if n == 0 {
            break;
        }
        let batch: Vec<PlannedOp> = (0..n).map(|_| gen.next(&mut rng)).collect();
        let mut sent = false;
        for (node, ops) in by_node(batch, |op| target(&world, &ctx, op)) {
            sent |= run_on_node(&world, &ctx, &mut conns[node], node, ops).await;
        }
        if sent {
            refused_in_a_row = 0;
            think(&mut rng, ctx.think_ms).await;
        } else {
            // Nothing reached a server: the operations failed, and do not
            // count against the budget. Back off while the servers are away.
            world.return_ops(n);
            refused_in_a_row += 1;
            let backoff = 25u64 << refused_in_a_row.min(4);
            madsim::time::sleep(Duration::from_millis(backoff + rng.gen_range(0..25))).await;
        }
    }
    world.trace(TraceLevel::Ops, &ctx.name, || "workload done".into());
}

/// Splits a batch by the node each operation goes to, keeping each
/// node's operations in order (a pipeline per node).
fn by_node(batch: Vec<PlannedOp>, node_of: impl Fn(&PlannedOp) -> usize) -> Vec<(usize, Vec<PlannedOp>)> {
    let mut groups: Vec<(usize, Vec<PlannedOp>)> = Vec::new();
    for op in batch {
        let node = node_of(&op);
        match groups.iter_mut().find(|(n, _)| *n == node) {
            Some((_, ops)) => ops.push(op),
            None => groups.push((node, vec![op])),
        }
    }
    groups
}

/// Runs `ops` on `node`, connecting first if needed; returns whether any of
/// them reached the server.
async fn run_on_node(
    world: &World,
    ctx: &ClientCtx,
    conn: &mut Option<Conn>,
    node: usize,
    ops: Vec<PlannedOp>,
) -> bool {
    let c = match conn {
        Some(c) => c,
        None => match Conn::open(ctx.servers[node], ctx.timeout).await {
            Ok(c) => {
                world.trace(TraceLevel::Full, &ctx.name, || format!("connected to node {}", node + 1));
                conn.insert(c)
            }
            Err(e) => {
                let now = world.now_ns();
                for op in ops {
                    let id = world.next_op_id();
                    record(world, ctx, op, id, now, now, Outcome::Fail(e.clone()));
                }
                return false;
            }
        },
    };
    let (keep, outcomes) = run_batch(world, ctx, c, ops).await;
    if !keep {
        *conn = None;
    }
    !outcomes.iter().all(|o| matches!(o, Outcome::Fail(e) if e.starts_with(NOT_SENT)))
}

async fn think(rng: &mut ChaCha8Rng, range: [u64; 2]) {
    let ms = rng.gen_range(range[0]..=range[1]);
    if ms > 0 {
        madsim::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// Sends a batch on `conn`, reads the replies and records every operation.
/// Returns whether the connection is still good, and the outcomes.
async fn run_batch(world: &World, ctx: &ClientCtx, conn: &mut Conn, batch: Vec<PlannedOp>) -> (bool, Vec<Outcome>) {
    let mut outcomes = Vec::with_capacity(batch.len());
    let ids: Vec<u64> = batch.iter().map(|_| world.next_op_id()).collect();
    let mut bytes = Vec::new();
    for op in &batch {
        encode_op(&op.request, &mut bytes);
        if let Some((n, ms)) = wait_after(ctx, &op.request) {
            encode_request(
                &[Bytes::from_static(b"WAIT"), Bytes::from(n.to_string()), Bytes::from(ms.to_string())],
                &mut bytes,
            );
        }
    }
    let invoke = world.now_ns();
    if let Err(e) = conn.send(&bytes).await {
        // madsim hands the bytes to the network all at once or not at all:
        // a failed send never reached the server.
        let now = world.now_ns();
        for (op, id) in batch.into_iter().zip(ids) {
            let why = format!("{NOT_SENT}: {e}");
            outcomes.push(record(world, ctx, op, id, invoke, now, Outcome::Fail(why)));
        }
        return (false, outcomes);
    }
    let deadline = Instant::now() + ctx.timeout; // determinism-ok: madsim's simulated clock
    let mut broken: Option<String> = None;
    for (op, id) in batch.into_iter().zip(ids) {
        if let Some(why) = &broken {
            let now = world.now_ns();
            outcomes.push(record(world, ctx, op, id, invoke, now, Outcome::Info(why.clone())));
            continue;
        }
        let wait = wait_after(ctx, &op.request);
        let expect = match &op.request {
            Request::Command(_) => 1,
            Request::Transaction(cmds) => cmds.len() + 2,
        } + usize::from(wait.is_some());
        let mut frames = Vec::with_capacity(expect);
        while frames.len() < expect {
            match conn.next_frame(deadline).await {
                Ok(f) => frames.push(f),
                Err(e) => {
                    broken = Some(match e {
                        ReadError::Timeout => format!("timeout after {} ms", ctx.timeout.as_millis()),
                        ReadError::Closed => "connection closed".into(),
                        ReadError::Protocol(p) => format!("protocol error: {p}"),
                    });
                    break;
                }
            }
        }
        let now = world.now_ns();
        let outcome = match &broken {
            Some(why) => Outcome::Info(why.clone()),
            None => match wait {
                Some((n, _)) => {
                    let waited = frames.pop().expect("WAIT's reply");
                    after_wait(outcome(&op.request, frames), n, &waited)
                }
                None => outcome(&op.request, frames),
            },
        };
        outcomes.push(record(world, ctx, op, id, invoke, now, outcome));
    }
    (broken.is_none(), outcomes)
}

/// The WAIT that follows `request`, if any.
fn wait_after(ctx: &ClientCtx, request: &Request) -> Option<(u32, u64)> {
    ctx.wait.filter(|_| is_write(request))
}

/// A write's outcome once its WAIT answered: acknowledged only when WAIT
/// counted `wanted` replicas; fewer leave it unknown (it took effect on the
/// master, and may not survive it).
fn after_wait(outcome: Outcome, wanted: u32, waited: &Frame) -> Outcome {
    match (outcome, waited) {
        (Outcome::Ok(r), Frame::Integer(n)) if *n >= i64::from(wanted) => Outcome::Ok(r),
        (Outcome::Ok(_), Frame::Integer(n)) => Outcome::Info(format!("WAIT counted {n} of {wanted} replicas")),
        (Outcome::Ok(_), other) => Outcome::Info(format!("WAIT replied {}", show_frame(other))),
        (other, _) => other,
    }
}

/// Writes a request as the client sends it (a transaction with its MULTI and EXEC).
fn encode_op(request: &Request, out: &mut Vec<u8>) {
    match request {
        Request::Command(argv) => encode_request(argv, out),
        Request::Transaction(cmds) => {
            encode_request(&[Bytes::from_static(b"MULTI")], out);
            for argv in cmds {
                encode_request(argv, out);
            }
            encode_request(&[Bytes::from_static(b"EXEC")], out);
        }
    }
}

/// Error replies that mean the server refused the command without running it.
fn is_refusal(error: &str) -> bool {
    const REFUSALS: [&str; 11] = [
        "LOADING",
        "MISCONF",
        "EXECABORT",
        "READONLY",
        "OOM",
        "NOREPLICAS",
        "BUSY",
        "MASTERDOWN",
        "NOAUTH",
        "TRYAGAIN",
        "CLUSTERDOWN",
    ];
    let first = error.split_whitespace().next().unwrap_or("");
    REFUSALS.contains(&first) || error.starts_with("ERR max number of clients reached")
}

/// The outcome of an operation from its reply frames.
fn outcome(request: &Request, mut frames: Vec<Frame>) -> Outcome {
    match request {
        Request::Command(_) => {
            let f = frames.pop().expect("one frame per command");
            match &f {
                Frame::Error(e) if is_refusal(e) => Outcome::Fail(e.clone()),
                _ => Outcome::Ok(Reply::Single(f)),
            }
        }
        Request::Transaction(cmds) => {
            let exec = frames.pop().expect("EXEC's reply");
            let multi = &frames[0];
            let queued = &frames[1..];
            if let Frame::Error(e) = multi {
                // Without MULTI the commands ran (or not) one by one: only
                // when every one was refused is the outcome known.
                return if queued.iter().all(Frame::is_error) {
                    Outcome::Fail(format!("MULTI refused: {e}"))
                } else {
                    Outcome::Info(format!("MULTI refused ({e}) but commands ran on their own"))
                };
            }
            match exec {
                Frame::Array(items) if items.len() == cmds.len() => Outcome::Ok(Reply::Exec(items)),
                Frame::Error(e) => Outcome::Fail(e),
                Frame::Null | Frame::NullArray => Outcome::Fail("EXEC aborted".into()),
                other => Outcome::Info(format!("unexpected EXEC reply {}", show_frame(&other))),
            }
        }
    }
}

/// Adds the operation to the history; returns its outcome.
fn record(
    world: &World,
    ctx: &ClientCtx,
    op: PlannedOp,
    id: u64,
    invoke: u64,
    complete: u64,
    outcome: Outcome,
) -> Outcome {
    world.trace(TraceLevel::Ops, &ctx.name, || {
        let took = (complete - invoke) / 1000;
        let end = match &outcome {
            Outcome::Ok(r) => r.to_string(),
            Outcome::Fail(e) => format!("fail({e})"),
            Outcome::Info(e) => format!("info({e})"),
        };
        format!("op #{id} {} -> {end} ({took} us)", op.request)
    });
    world.record(Op {
        id,
        client: ctx.index as u64,
        key: op.key,
        request: op.request,
        invoke_time: invoke,
        complete_time: Some(complete),
        outcome: outcome.clone(),
    });
    outcome
}

/// After the run has healed: reads every key until a read succeeds (a
/// queue is popped until empty), so that lost writes show in the history.
pub(crate) async fn final_reads(world: Arc<World>, ctx: ClientCtx) {
    let reader = ClientCtx { index: FINAL_READER as usize, name: "fin".into(), pipeline: 1, ..ctx };
    let keys: Vec<String> = (0..reader.keys).map(|i| OpGenerator::key_name(reader.kind, i)).collect();
    let mut conns: Vec<Option<Conn>> = reader.servers.iter().map(|_| None).collect();
    for key in keys {
        let node = match reader.replicated {
            true => world.master_index(),
            false => shard_of(key.as_bytes(), reader.servers.len()),
        };
        let conn = &mut conns[node];
        let mut attempts = 0;
        let mut pops = 0;
        while attempts < 40 && pops < 100_000 {
            if conn.is_none() {
                match Conn::open(reader.servers[node], reader.timeout).await {
                    Ok(c) => *conn = Some(c),
                    Err(_) => {
                        attempts += 1;
                        madsim::time::sleep(Duration::from_millis(250)).await;
                        continue;
                    }
                }
            }
            let op = OpGenerator::final_read(reader.kind, &key);
            let c = conn.as_mut().expect("connected above");
            let (keep, outcomes) = run_batch(&world, &reader, c, vec![op]).await;
            if !keep {
                *conn = None;
            }
            match outcomes.into_iter().next() {
                // A pop that found something: pop again.
                Some(Outcome::Ok(Reply::Single(Frame::Bulk(_)))) if reader.kind == WorkloadKind::Queue => pops += 1,
                Some(Outcome::Ok(_)) => break,
                _ => {
                    attempts += 1;
                    madsim::time::sleep(Duration::from_millis(250)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_over_every_node_and_stay_put() {
        let keys: Vec<String> = (0..9).map(|i| OpGenerator::key_name(WorkloadKind::Register, i)).collect();
        let nodes: Vec<usize> = keys.iter().map(|k| shard_of(k.as_bytes(), 3)).collect();
        for n in 0..3 {
            assert!(nodes.contains(&n), "node {n} holds no key: {nodes:?}");
        }
        assert_eq!(nodes, keys.iter().map(|k| shard_of(k.as_bytes(), 3)).collect::<Vec<_>>());
        assert!(keys.iter().all(|k| shard_of(k.as_bytes(), 1) == 0));
    }

    #[test]
    fn a_write_is_acknowledged_only_when_wait_counts_enough_replicas() {
        let ok = || Outcome::Ok(Reply::Single(Frame::ok()));
        assert_eq!(after_wait(ok(), 1, &Frame::Integer(2)), ok());
        assert!(matches!(after_wait(ok(), 1, &Frame::Integer(0)), Outcome::Info(e) if e.contains("0 of 1")));
        assert!(matches!(after_wait(ok(), 1, &Frame::error("ERR x")), Outcome::Info(_)));
        let refused = Outcome::Fail("READONLY You can't write against a read only replica.".into());
        assert_eq!(after_wait(refused.clone(), 1, &Frame::error("ERR WAIT cannot be used")), refused);
        assert!(is_write(&Request::command(&["SADD", "k", "v"])));
        assert!(is_write(&Request::command(&["RPOP", "k"])));
        assert!(!is_write(&Request::command(&["LRANGE", "k", "0", "-1"])));
        assert!(is_write(&Request::transaction(&[&["RPUSH", "k", "a"][..]])));
    }

    #[test]
    fn refusals_fail_and_answers_are_ok() {
        let get = Request::command(&["GET", "k"]);
        let loading = Frame::error("LOADING Redis is loading the dataset in memory");
        assert!(matches!(outcome(&get, vec![loading]), Outcome::Fail(_)));
        let wrongtype = Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert!(matches!(outcome(&get, vec![wrongtype]), Outcome::Ok(_)));
        let tx = Request::transaction(&[&["RPUSH", "k", "a"][..]]);
        let ok = vec![Frame::ok(), Frame::simple("QUEUED"), Frame::Array(vec![Frame::Integer(1)])];
        assert_eq!(outcome(&tx, ok), Outcome::Ok(Reply::Exec(vec![Frame::Integer(1)])));
        let aborted = vec![Frame::ok(), Frame::error("MISCONF x"), Frame::error("EXECABORT y")];
        assert!(matches!(outcome(&tx, aborted), Outcome::Fail(_)));
    }
}
