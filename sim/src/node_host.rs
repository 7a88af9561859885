//! One redsim node on a madsim node: the simulator's driver of the node core,
//! the counterpart of the tokio driver (`engine/src/server/node_task.rs`).
//!
//! [`serve`] is the madsim node's initial task, so madsim runs it again on
//! every restart. It builds a fresh [`Node`] from the scenario's config
//! (seeded from the run's seed, the node's index and its incarnation),
//! listens on the node's IP, and runs the node loop:
//!
//! - every connection is a task that forwards the bytes it reads as events
//!   into the one node task (commands run one at a time, in arrival order)
//!   and writes what the node sends it;
//! - `tick` runs `hz` times a second and the node's own timers (blocked
//!   clients, CLIENT PAUSE) when they are due;
//! - storage operations go, in the order the node emits them, to one disk
//!   task that waits the latency the [`SimDisk`] draws and then performs the
//!   operation on the disk: writes and fsyncs take simulated time, and a
//!   crash in the middle of one leaves it undone;
//! - outbound links (`Connect`, `LinkSend`, `LinkClose`) are madsim TCP
//!   streams, served by tasks like the inbound connections;
//! - `Exit` and `Shutdown` end the task, which ends the madsim node's
//!   process; the run's watchdog restarts it.
//!
//! The disk lives in [`ServerNode`], outside the process, so it survives
//! kills and restarts; so does the clock skew the fault plan sets. In a
//! replicated group each start reads `replicaof` from the run's current
//! roles ([`World::node_config`]): a node restarts following the master
//! the operator last named. The
//! node's clock reads [`EPOCH_MS`] plus the simulated time elapsed plus the
//! skew.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use madsim::net::{TcpListener, TcpStream};
use madsim::task::NodeId;
use madsim::time::Instant;
use redsim_engine::node::persistence::{StorageId, StorageOp, StorageResult};
use redsim_engine::node::{Action, ClientId, Config, ConnInfo, LinkEvent, LinkId, LogLevel, Node, NodeOptions};
use redsim_engine::ProcessInfo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::disk::{DiskStats, SimDisk};
use crate::run::{lock, stream, Stream, TraceLevel, World, EPOCH_MS};

/// Where a server's process is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not running: killed by a fault, or not started yet.
    Down,
    /// Started, loading its dataset (`-LOADING` to commands).
    Loading,
    /// Serving commands.
    Ready,
    /// The process exited on its own with this status.
    Exited(i32),
}

/// What outlives a server's process: its disk, its clock skew, and what the
/// run knows about it.
pub struct ServerState {
    pub disk: SimDisk,
    pub skew_ms: i64,
    /// Clock drift in parts per million, accumulating since `drift_from_ms`
    /// (simulated time of the last clock fault).
    pub drift_ppm: i64,
    pub drift_from_ms: u64,
    pub status: Status,
    pub paused: bool,
    /// Processes started so far (the next one's incarnation number).
    pub incarnations: u64,
    /// Exits on its own, in all and since the process was last ready.
    pub exits: u64,
    pub failed_starts: u32,
}

/// A server of the run: its address, configuration and lasting state.
pub struct ServerNode {
    pub name: String,
    pub index: usize,
    pub ip: IpAddr,
    pub port: u16,
    pub config: Config,
    pub state: Mutex<ServerState>,
    id: OnceLock<NodeId>,
}

impl ServerNode {
    pub fn new(name: String, index: usize, ip: IpAddr, port: u16, config: Config, disk: SimDisk) -> ServerNode {
        ServerNode {
            name,
            index,
            ip,
            port,
            config,
            state: Mutex::new(ServerState {
                disk,
                skew_ms: 0,
                drift_ppm: 0,
                drift_from_ms: 0,
                status: Status::Down,
                paused: false,
                incarnations: 0,
                exits: 0,
                failed_starts: 0,
            }),
            id: OnceLock::new(),
        }
    }

    /// The madsim node it runs on.
    pub fn id(&self) -> NodeId {
        *self.id.get().expect("the server's madsim node is built at boot")
    }

    pub(crate) fn set_id(&self, id: NodeId) {
        let _ = self.id.set(id);
    }

    pub fn status(&self) -> Status {
        lock(&self.state).status
    }

    /// Exits since the process was last ready (the watchdog's back-off).
    pub fn failed_starts(&self) -> u32 {
        lock(&self.state).failed_starts
    }

    /// Process starts and exits on its own, over the run.
    pub fn lifecycle_counts(&self) -> (u64, u64) {
        let s = lock(&self.state);
        (s.incarnations, s.exits)
    }

    pub fn disk_stats(&self) -> DiskStats {
        lock(&self.state).disk.stats().clone()
    }

    /// The node's clock: Unix milliseconds as its process reads them.
    pub(crate) fn clock_ms(&self, world: &World) -> i64 {
        let now = world.now_ms();
        let st = lock(&self.state);
        let drifted = (now.saturating_sub(st.drift_from_ms) as i64).saturating_mul(st.drift_ppm) / 1_000_000;
        EPOCH_MS + now as i64 + st.skew_ms + drifted
    }
}

/// What the tasks of a server tell its node task.
enum Event {
    Connected { info: ConnInfo, outbox: mpsc::UnboundedSender<Outgoing>, reply: oneshot::Sender<ClientId> },
    Bytes { id: ClientId, data: Vec<u8> },
    Closed { id: ClientId },
    Storage { id: StorageId, result: StorageResult },
    LinkUp { link: LinkId, outbox: mpsc::UnboundedSender<Outgoing> },
    Link { link: LinkId, event: LinkEvent },
}

/// What the node task tells a connection.
enum Outgoing {
    Data(Vec<u8>),
    Close,
}

const READ_CHUNK: usize = 16 * 1024;

fn tick_period(hz: u32) -> Duration {
    Duration::from_micros(1_000_000 / u64::from(hz.max(1)))
}

/// The server process: runs until `Exit` or `Shutdown` (or until madsim
/// kills the node).
pub(crate) async fn serve(world: Arc<World>, server: Arc<ServerNode>) {
    let incarnation = {
        let mut s = lock(&server.state);
        s.incarnations += 1;
        s.status = Status::Loading;
        s.incarnations
    };
    let who = server.name.as_str();
    let seed = {
        use rand::RngCore;
        stream(world.seed, Stream::NodeCore, ((server.index as u64) << 24) | incarnation).next_u64()
    };
    let now = server.clock_ms(&world);
    let process = ProcessInfo {
        process_id: 1000 + incarnation as u32,
        executable: "/usr/bin/redsim-server".into(),
        os: "madsim".into(),
    };
    // In a replicated group the configuration names the current master.
    let config = world.node_config(&server);
    let mut node = Node::new(NodeOptions { seed, now_ms: now, config, process });
    world.trace(TraceLevel::Faults, who, || format!("process {incarnation} starts"));

    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let addr = SocketAddr::new(server.ip, server.port);
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            exited(&world, &server, 1, format!("cannot listen on {addr}: {e}"));
            return;
        }
    };
    madsim::task::spawn_local(accept_loop(listener, tx.clone()));
    let (disk_tx, disk_rx) = mpsc::unbounded_channel();
    madsim::task::spawn_local(disk_worker(world.clone(), server.clone(), disk_rx, tx.clone()));

    let mut host = Host {
        world: &world,
        server: &server,
        outboxes: BTreeMap::new(),
        links: BTreeMap::new(),
        disk: disk_tx,
        events: tx,
        last_warning: String::new(),
    };
    node.start(now);
    let mut actions: VecDeque<Action> = node.take_actions().into();
    let mut next_tick = Instant::now() + tick_period(node.hz()); // determinism-ok: madsim's simulated clock
    loop {
        if let Some(code) = host.perform(&mut node, &mut actions).await {
            let why = if code == 0 { "shut down".to_string() } else { host.last_warning.clone() };
            exited(&world, &server, code, why);
            return;
        }
        host.check_ready(&node);
        let timer = node.next_timer_ms().map(|at| {
            let wait = at.saturating_sub(server.clock_ms(&world)).clamp(0, 24 * 3600 * 1000) as u64;
            Instant::now() + Duration::from_millis(wait) // determinism-ok: madsim's simulated clock
        });
        tokio::select! {
            biased;
            ev = rx.recv() => {
                let Some(ev) = ev else { return };
                host.event(&mut node, ev);
            }
            _ = madsim::time::sleep_until(next_tick) => {
                node.tick(server.clock_ms(&world));
                next_tick += tick_period(node.hz());
                let now = Instant::now(); // determinism-ok: madsim's simulated clock
                if next_tick < now {
                    next_tick = now + tick_period(node.hz());
                }
            }
            _ = async {
                match timer {
                    Some(t) => madsim::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => node.timers(server.clock_ms(&world)),
        }
        actions.extend(node.take_actions());
    }
}

/// The process ended on its own: records it for the watchdog.
fn exited(world: &World, server: &ServerNode, code: i32, why: String) {
    {
        let mut s = lock(&server.state);
        s.status = Status::Exited(code);
        s.exits += 1;
        s.failed_starts += 1;
    }
    let kind = if code == 0 { "shutdown" } else { "exit" };
    world.event(Some(&server.name), kind, format!("status {code}: {why}"));
}

/// The node task's side of the process: connections, links, the disk queue.
struct Host<'a> {
    world: &'a World,
    server: &'a ServerNode,
    outboxes: BTreeMap<ClientId, mpsc::UnboundedSender<Outgoing>>,
    links: BTreeMap<LinkId, mpsc::UnboundedSender<Outgoing>>,
    disk: mpsc::UnboundedSender<(StorageId, StorageOp)>,
    events: mpsc::UnboundedSender<Event>,
    /// The last warning the node logged, to explain an exit.
    last_warning: String,
}

impl Host<'_> {
    fn now(&self) -> i64 {
        self.server.clock_ms(self.world)
    }

    fn trace(&self, level: TraceLevel, text: impl FnOnce() -> String) {
        self.world.trace(level, &self.server.name, text);
    }

    /// Feeds one event to the node.
    fn event(&mut self, node: &mut Node, ev: Event) {
        let now = self.now();
        match ev {
            Event::Connected { info, outbox, reply } => {
                let addr = info.addr.clone();
                let id = node.client_connected(info, now);
                self.trace(TraceLevel::Full, || format!("accept client {id} from {addr}"));
                self.outboxes.insert(id, outbox);
                let _ = reply.send(id);
            }
            Event::Bytes { id, data } => {
                self.trace(TraceLevel::Full, || format!("recv client {id}: {} bytes", data.len()));
                node.client_bytes(id, &data, now);
            }
            Event::Closed { id } => {
                self.trace(TraceLevel::Full, || format!("closed client {id}"));
                self.outboxes.remove(&id);
                node.client_closed(id, now);
            }
            Event::Storage { id, result } => node.storage_done(id, result, now),
            Event::LinkUp { link, outbox } => {
                self.links.insert(link, outbox);
                node.link_event(link, LinkEvent::Connected, now);
            }
            Event::Link { link, event } => {
                if matches!(event, LinkEvent::Closed | LinkEvent::Failed(_)) {
                    self.links.remove(&link);
                }
                node.link_event(link, event, now);
            }
        }
    }

    /// Performs the node's actions in order; `Some(status)` when the
    /// process must end.
    async fn perform(&mut self, node: &mut Node, actions: &mut VecDeque<Action>) -> Option<i32> {
        while let Some(action) = actions.pop_front() {
            match action {
                Action::Send { client, bytes } => {
                    self.trace(TraceLevel::Full, || format!("send client {client}: {} bytes", bytes.len()));
                    if let Some(o) = self.outboxes.get(&client) {
                        let _ = o.send(Outgoing::Data(bytes));
                    }
                }
                Action::Close { client } => {
                    self.trace(TraceLevel::Full, || format!("close client {client}"));
                    if let Some(o) = self.outboxes.remove(&client) {
                        let _ = o.send(Outgoing::Close);
                    }
                }
                // This driver reports no unwritten output (the simulated
                // workloads stay far below the limits), so only what the node
                // itself held can have passed one; closing after what was
                // queued is close enough.
                Action::Abort { client } => {
                    self.trace(TraceLevel::Full, || format!("abort client {client}"));
                    if let Some(o) = self.outboxes.remove(&client) {
                        let _ = o.send(Outgoing::Close);
                    }
                }
                Action::Sleep { micros } => {
                    self.trace(TraceLevel::Ops, || format!("sleeps {micros} us"));
                    madsim::time::sleep(Duration::from_micros(micros.min(24 * 3600 * 1_000_000))).await;
                    node.resume(self.now());
                    actions.extend(node.take_actions());
                }
                Action::Shutdown => return Some(0),
                Action::Exit { code } => return Some(code),
                Action::Log { level, message } => {
                    let at = if level >= LogLevel::Warning { TraceLevel::Ops } else { TraceLevel::Full };
                    self.trace(at, || format!("log {level:?}: {message}"));
                    if level >= LogLevel::Warning {
                        self.last_warning = message;
                    }
                }
                Action::Listen { port, .. } => {
                    self.trace(TraceLevel::Ops, || format!("asked to listen on port {port}: not simulated"));
                }
                Action::RewriteConfig { path, .. } => {
                    self.trace(TraceLevel::Ops, || format!("CONFIG REWRITE of {path}: not simulated"));
                }
                Action::Storage { id, op } => {
                    self.trace(TraceLevel::Full, || format!("disk #{id} {op:?}"));
                    let _ = self.disk.send((id, op));
                }
                Action::Connect { link, host, port } => {
                    self.trace(TraceLevel::Full, || format!("link {link} connects to {host}:{port}"));
                    madsim::task::spawn_local(serve_link(link, host, port, self.events.clone()));
                }
                Action::LinkSend { link, bytes } => {
                    if let Some(o) = self.links.get(&link) {
                        let _ = o.send(Outgoing::Data(bytes));
                    }
                }
                Action::LinkClose { link } => {
                    if let Some(o) = self.links.remove(&link) {
                        let _ = o.send(Outgoing::Close);
                    }
                }
            }
        }
        None
    }

    /// Marks the server ready once loading is over.
    fn check_ready(&self, node: &Node) {
        if node.is_loading() {
            return;
        }
        let became_ready = {
            let mut s = lock(&self.server.state);
            if s.status == Status::Loading {
                s.status = Status::Ready;
                s.failed_starts = 0;
                true
            } else {
                false
            }
        };
        if became_ready {
            let keys = node.engine().dbsize(0);
            self.world.event(Some(&self.server.name), "ready", format!("loaded, {keys} keys in db 0"));
        }
    }
}

/// Accepts connections for as long as the process lives.
async fn accept_loop(listener: TcpListener, events: mpsc::UnboundedSender<Event>) {
    while let Ok((stream, peer)) = listener.accept().await {
        madsim::task::spawn_local(serve_connection(stream, peer, events.clone()));
    }
}

/// One inbound connection: registers with the node, forwards what it reads,
/// writes what the node sends; a Close ends it after what came before.
async fn serve_connection(mut stream: TcpStream, peer: SocketAddr, events: mpsc::UnboundedSender<Event>) {
    let laddr = stream.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let info = ConnInfo { addr: peer.to_string(), laddr, fd: -1, local: false };
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (id_tx, id_rx) = oneshot::channel();
    if events.send(Event::Connected { info, outbox: out_tx, reply: id_tx }).is_err() {
        return;
    }
    let Ok(id) = id_rx.await else { return };
    let sink = events.clone();
    pump(&mut stream, out_rx, move |data| sink.send(Event::Bytes { id, data }).is_ok()).await;
    let _ = events.send(Event::Closed { id });
}

/// Copies between a stream and the node until either side ends it.
async fn pump(
    stream: &mut TcpStream,
    mut outbox: mpsc::UnboundedReceiver<Outgoing>,
    mut deliver: impl FnMut(Vec<u8>) -> bool,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            // Outgoing data first: a Close must not lose replies queued before it.
            biased;
            msg = outbox.recv() => match msg {
                Some(Outgoing::Data(bytes)) => {
                    if stream.write_all(&bytes).await.is_err() || stream.flush().await.is_err() {
                        return;
                    }
                }
                Some(Outgoing::Close) | None => return,
            },
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if !deliver(buf[..n].to_vec()) {
                        return;
                    }
                }
            },
        }
    }
}

/// An outbound connection the node asked for.
async fn serve_link(link: LinkId, host: String, port: u16, events: mpsc::UnboundedSender<Event>) {
    let target = format!("{host}:{port}");
    let connected = madsim::time::timeout(Duration::from_secs(10), TcpStream::connect(target.as_str())).await;
    let mut stream = match connected {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let _ = events.send(Event::Link { link, event: LinkEvent::Failed(e.to_string()) });
            return;
        }
        Err(_) => {
            let _ = events.send(Event::Link { link, event: LinkEvent::Failed("Connection timed out".into()) });
            return;
        }
    };
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    if events.send(Event::LinkUp { link, outbox: out_tx }).is_err() {
        return;
    }
    let sink = events.clone();
    pump(&mut stream, out_rx, move |data| sink.send(Event::Link { link, event: LinkEvent::Bytes(data) }).is_ok()).await;
    let _ = events.send(Event::Link { link, event: LinkEvent::Closed });
}

/// The node's disk queue: one operation at a time, in the order the node
/// emitted them (so in order for every path, as the storage interface
/// requires). Each waits its drawn latency, then happens.
async fn disk_worker(
    world: Arc<World>,
    server: Arc<ServerNode>,
    mut ops: mpsc::UnboundedReceiver<(StorageId, StorageOp)>,
    events: mpsc::UnboundedSender<Event>,
) {
    while let Some((id, op)) = ops.recv().await {
        let latency = lock(&server.state).disk.latency_us(&op);
        madsim::time::sleep(Duration::from_micros(latency)).await;
        let result = lock(&server.state).disk.execute(&op);
        world.trace(TraceLevel::Full, &server.name, || format!("disk #{id} done after {latency} us: {result:?}"));
        if events.send(Event::Storage { id, result }).is_err() {
            return;
        }
    }
}
