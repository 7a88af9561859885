//! The node core: one Redis server without any I/O.
//!
//! A [`Node`] owns the engine (the keyspace), the clients, the configuration,
//! the statistics, the slow log, the MONITOR clients, the seeded random
//! generator and the stream of propagated effects. A driver feeds it events —
//! [`Node::client_connected`], [`Node::client_bytes`], [`Node::client_closed`],
//! [`Node::tick`] (serverCron, `hz` times a second) and [`Node::resume`] (after
//! a [`Action::Sleep`]) — each with the current Unix time in milliseconds, and
//! after each event performs the [`Action`]s from [`Node::take_actions`] in order.
//!
//! Commands run one at a time in arrival order. All requests that arrived in
//! one read are run before the replies are handed out, batched per client.
//! Nothing here reads a clock, a socket or OS randomness: the same seed and the
//! same events give byte-identical actions.

mod blocking;
mod child;
mod client;
mod client_list;
mod client_table;
mod commands_connection;
mod commands_server;
pub mod config;
mod dispatch;
mod info;
pub mod links;
mod migrate;
mod monitor;
mod output_limits;
pub mod persistence;
mod propagation;
mod redact;
mod replication;
mod slowlog;
mod stats;
mod transactions;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::ParseEnv;
use redsim_model::{Effect, Engine, EngineConfig, Model};

pub use client::{ClientId, ConnInfo};
pub use config::Config;
pub use links::{LinkEvent, LinkId};
pub use propagation::Propagation;

use client::Client;
use client_table::ClientTable;
use slowlog::Slowlog;
use stats::Stats;

/// The most reply-buffer room a client keeps between batches (Redis's
/// per-client reply buffer is 16 KiB too).
const OUT_ROOM: usize = 16 * 1024;

/// Log levels, as Redis's `loglevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

/// What the driver must do, in order, after an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the client's connection.
    Send { client: ClientId, bytes: Vec<u8> },
    /// Close the connection once everything sent before has been written.
    /// The node has already forgotten the client.
    Close { client: ClientId },
    /// Close the connection now, dropping the output not yet written: the
    /// client passed `client-output-buffer-limit` (drivers tell the node of
    /// unwritten output with [`Node::client_output_pending`]). The node has
    /// already forgotten the client.
    Abort { client: ClientId },
    /// Block the whole server for this long (DEBUG SLEEP), then call
    /// [`Node::resume`]. Replies that follow it are sent after the sleep.
    Sleep { micros: u64 },
    /// Stop the server (SHUTDOWN): close every connection and exit.
    Shutdown,
    /// A line for the server log.
    Log { level: LogLevel, message: String },
    /// CONFIG SET changed `port` or `bind`: listen there instead.
    Listen { port: u16, bind: Vec<String> },
    /// CONFIG REWRITE: replace the config file at `path` with `text`.
    RewriteConfig { path: String, text: String },
    /// Perform a file operation and report its result with
    /// [`Node::storage_done`]. Operations on one path run in the order given.
    Storage { id: persistence::StorageId, op: persistence::StorageOp },
    /// Exit the process with this status, without the goodbye of
    /// [`Action::Shutdown`] (a fatal persistence error, as Redis exits).
    Exit { code: i32 },
    /// Open an outbound TCP connection and report the outcome with
    /// [`Node::link_event`] (`Connected` or `Failed`). The node runs its own
    /// timeouts on its timers; the driver need not time out the attempt.
    Connect { link: LinkId, host: String, port: u16 },
    /// Write these bytes on an established outbound connection.
    LinkSend { link: LinkId, bytes: Vec<u8> },
    /// Close an outbound connection; the node has already forgotten it, and
    /// no further events are expected for it.
    LinkClose { link: LinkId },
}

/// Facts about the process the node runs in, for INFO server.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    pub process_id: u32,
    pub executable: String,
    /// `uname -s -r -m`, as Redis prints it.
    pub os: String,
}

impl Default for ProcessInfo {
    fn default() -> Self {
        ProcessInfo { process_id: 0, executable: String::new(), os: "redsim".to_string() }
    }
}

/// Everything a node is built from.
pub struct NodeOptions {
    /// Seeds the node's generator (run id, RANDOMKEY, SPOP ...).
    pub seed: u64,
    /// Unix time in milliseconds at startup.
    pub now_ms: i64,
    pub config: Config,
    pub process: ProcessInfo,
}

/// A CLIENT PAUSE in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pause {
    until_ms: i64,
    /// ALL pauses every command, WRITE only those that may change data.
    all: bool,
}

/// One Redis server, without I/O.
pub struct Node {
    engine: Box<dyn Engine>,
    config: Config,
    engine_config: EngineConfig,
    parse_env: ParseEnv,
    clients: ClientTable,
    next_client_id: ClientId,
    stats: Stats,
    slowlog: Slowlog,
    monitors: BTreeSet<ClientId>,
    rng: ChaCha8Rng,
    propagation: Propagation,
    /// Clients blocked on each key, in the order they blocked.
    blocking: BTreeMap<(usize, Bytes), Vec<ClientId>>,
    /// Keys with blocked clients that changed during the current command.
    ready_keys: Vec<(usize, Bytes)>,
    /// WATCHed keys and who watches them.
    watchers: BTreeMap<(usize, Bytes), BTreeSet<ClientId>>,
    /// Effects of the transaction being executed, propagated together at its end.
    exec_effects: Option<Vec<Effect>>,
    /// The keys the last command touched, kept between commands so that
    /// a write does not allocate a fresh list.
    touched_scratch: Vec<(usize, Bytes)>,
    /// Changes since the last save (rdb_changes_since_last_save).
    dirty: u64,
    actions: Vec<Action>,
    /// Clients that may have complete requests buffered.
    pending: BTreeSet<ClientId>,
    /// DEBUG SLEEP time requested by the command just run.
    sleep_micros: u64,
    shutting_down: bool,
    pause: Option<Pause>,
    active_expire: bool,
    start_ms: i64,
    last_save_ms: i64,
    now_ms: i64,
    run_id: String,
    replid: String,
    process: ProcessInfo,
    peak_memory: u64,
    /// Files: loading, saves, the AOF (inactive until [`Node::start`]).
    persist: persistence::Persistence,
    /// Set by a fatal error: the process exits with this status.
    exit_code: Option<i32>,
    /// Outbound connections.
    links: links::Links,
    /// MIGRATE's cached connections and the migrations under way.
    migrate: migrate::Migrations,
    /// Replicas, the master link, the backlog (see `replication`).
    repl: replication::Replication,
}

impl Node {
    /// A node with the engine the configuration names (`engine engine`, the
    /// default, or `engine model`).
    pub fn new(opts: NodeOptions) -> Node {
        let databases = opts.config.databases();
        let engine: Box<dyn Engine> = match opts.config.get("engine") {
            "engine" => Box::new(crate::store::Engine::new(databases)),
            _ => Box::new(Model::new(databases)),
        };
        Node::with_engine(opts, engine)
    }

    /// A node around a given engine (the simulator and tests pick their own).
    pub fn with_engine(opts: NodeOptions, engine: Box<dyn Engine>) -> Node {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        let run_id = hex40(&mut rng);
        let replid = hex40(&mut rng);
        let config = opts.config;
        let mut node = Node {
            engine,
            engine_config: config.engine_config(),
            parse_env: ParseEnv { databases: config.databases(), cluster_enabled: config.get_bool("cluster-enabled") },
            config,
            clients: ClientTable::default(),
            // Redis gives ids 1 and 2 to its internal scripting clients, so
            // the first connection is id 3 there; clients see the same here.
            next_client_id: 3,
            stats: Stats::default(),
            slowlog: Slowlog::default(),
            monitors: BTreeSet::new(),
            rng,
            propagation: Propagation::default(),
            blocking: BTreeMap::new(),
            ready_keys: Vec::new(),
            watchers: BTreeMap::new(),
            exec_effects: None,
            touched_scratch: Vec::new(),
            dirty: 0,
            actions: Vec::new(),
            pending: BTreeSet::new(),
            sleep_micros: 0,
            shutting_down: false,
            pause: None,
            active_expire: true,
            start_ms: opts.now_ms,
            last_save_ms: opts.now_ms,
            now_ms: opts.now_ms,
            run_id,
            replid,
            process: opts.process,
            peak_memory: 0,
            persist: persistence::Persistence::default(),
            exit_code: None,
            links: links::Links::default(),
            migrate: migrate::Migrations::default(),
            repl: replication::Replication::default(),
        };
        node.replica_from_config();
        node
    }

    /// A new connection. Returns its id; when `maxclients` is reached the
    /// connection is refused with Redis's error (see [`Node::take_actions`]).
    pub fn client_connected(&mut self, conn: ConnInfo, now_ms: i64) -> ClientId {
        self.now_ms = now_ms;
        let id = self.next_client_id;
        self.next_client_id += 1;
        let maxclients = self.config.get_i64("maxclients").max(1) as usize;
        if self.clients.len() >= maxclients {
            self.stats.rejected_connections += 1;
            let mut bytes = b"-".to_vec();
            bytes.extend_from_slice(redsim_model::errors::MAX_CLIENTS.text().as_bytes());
            bytes.extend_from_slice(b"\r\n");
            self.stats.net_output_bytes += bytes.len() as u64;
            self.actions.push(Action::Send { client: id, bytes });
            self.actions.push(Action::Close { client: id });
            return id;
        }
        self.stats.total_connections_received += 1;
        let authenticated = self.config.requirepass().is_none();
        let max_bulk = self.config.get_u64("proto-max-bulk-len");
        self.clients.insert(id, Client::new(id, conn, now_ms, authenticated, max_bulk));
        id
    }

    /// Bytes read from a client's connection: runs every complete request.
    pub fn client_bytes(&mut self, id: ClientId, bytes: &[u8], now_ms: i64) {
        self.now_ms = now_ms;
        self.replica_newline(id, bytes);
        let limit = self.config.query_buffer_limit();
        if let Some(c) = self.clients.get_mut(&id) {
            if !c.close_after_reply {
                self.stats.net_input_bytes += bytes.len() as u64;
                self.stats.reads_processed += 1;
                c.parser.feed(bytes);
                c.last_interaction_ms = now_ms;
                let buffered = c.parser.buffered_len() as u64;
                self.stats.client_recent_max_input_buffer = self.stats.client_recent_max_input_buffer.max(buffered);
                if buffered > limit {
                    c.close_after_reply = true;
                    let message = format!(
                        "Closing client id={id} addr={}: its query buffer passed client-query-buffer-limit",
                        c.conn.addr
                    );
                    self.actions.push(Action::Log { level: LogLevel::Warning, message });
                } else {
                    self.pending.insert(id);
                }
            }
        }
        self.run_pending();
        self.finish();
    }

    /// The connection is gone (the peer closed it or the driver dropped it).
    pub fn client_closed(&mut self, id: ClientId, now_ms: i64) {
        self.now_ms = now_ms;
        self.forget_client(id);
        self.run_pending();
        self.finish();
    }

    /// serverCron, `hz` times a second: pause expiry, blocked-client and
    /// idle-client timeouts, active expiry, the engine's upkeep (table
    /// resizing, lazy freeing), ops/sec sampling.
    pub fn tick(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.stats.sample(now_ms);
        self.run_timers(now_ms);
        self.close_idle_clients(now_ms);
        self.migrate_cron(now_ms);
        self.replication_cron(now_ms);
        // No active expiry while loading: the AOF still to replay may use those keys.
        if self.active_expire && self.engine_config.is_master && self.pause.is_none() && !self.persist.is_loading() {
            self.active_expire_cycle(now_ms);
        }
        // Nor table resizing: a table sized for the file's keys (RESIZEDB)
        // would shrink back before they arrive, as Redis's cron never runs
        // during a load (a replica's of its master's snapshot too).
        if !self.persist.is_loading() && !self.snapshot_loading() {
            self.engine.upkeep();
        }
        self.peak_memory = self.peak_memory.max(self.used_memory());
        self.persistence_cron(now_ms);
        self.run_pending();
        self.finish();
    }

    /// Continues after an [`Action::Sleep`]: runs the requests that were
    /// waiting behind the sleeping command.
    pub fn resume(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.run_pending();
        self.finish();
    }

    /// Something happened on an outbound connection (see [`links`]).
    pub fn link_event(&mut self, link: LinkId, event: LinkEvent, now_ms: i64) {
        self.now_ms = now_ms;
        self.route_link_event(link, event);
        self.run_pending();
        self.finish();
    }

    /// The actions produced since the last call, in the order to perform them.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// The propagation stream (commands for replicas and the AOF).
    pub fn propagation(&self) -> &Propagation {
        &self.propagation
    }

    /// Takes the propagated effects accumulated so far (SELECTs included),
    /// once [`Node::capture_propagation`] turned capturing on.
    pub fn take_propagated(&mut self) -> Vec<Effect> {
        self.propagation.take()
    }

    /// Keeps the propagated effects for [`Node::take_propagated`] (off by
    /// default, so that a server with no consumer does not accumulate them).
    pub fn capture_propagation(&mut self, on: bool) {
        self.propagation.set_capture(on);
    }

    /// How often [`Node::tick`] should be called, per second.
    pub fn hz(&self) -> u32 {
        self.config.hz()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    /// True while the dataset is being loaded at startup.
    pub fn is_loading(&self) -> bool {
        self.persist.is_loading()
    }

    /// True once SHUTDOWN ran: the driver should stop feeding events.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    /// Ids of the connected clients, ascending.
    pub fn client_ids(&self) -> Vec<ClientId> {
        self.clients.keys().copied().collect()
    }

    /// The 40-hex-digit run id (INFO server), drawn from the seed.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Runs buffered requests of every pending client until they run dry, a
    /// DEBUG SLEEP needs the server to stop, or SHUTDOWN ran.
    fn run_pending(&mut self) {
        while self.sleep_micros == 0 && !self.shutting_down && !self.persist.is_shutting_down() {
            let Some(id) = self.pending.pop_first() else {
                break;
            };
            self.process_input(id);
        }
    }

    /// Hands buffered replies to the driver, then closes the clients that
    /// asked for it. A pending sleep goes first: Redis writes replies only
    /// once it is awake again.
    fn finish(&mut self) {
        if self.sleep_micros > 0 {
            self.actions.push(Action::Sleep { micros: std::mem::take(&mut self.sleep_micros) });
        }
        self.replication_before_sleep();
        self.persistence_before_sleep();
        self.take_storage_actions();
        self.release_replies();
        let mut closing = Vec::new();
        let mut outputs = Vec::new();
        let mut aborting = Vec::new();
        let in_sync = self.replicas_in_sync_touched();
        // Only a client borrowed mutably since the last finish can have output
        // or be closing.
        for id in self.clients.take_touched() {
            let Some(c) = self.clients.get_mut_unmarked(&id) else {
                continue;
            };
            if !c.abort {
                let limit = self.config.output_limit(output_limits::class_of(c));
                let held = in_sync.iter().find(|(r, _)| *r == id).map(|(_, n)| *n);
                let used = output_limits::output_used(c, held);
                if output_limits::passed(c, limit, used, self.now_ms) {
                    c.abort = true;
                    aborting.push((id, client_list::line(c, self.now_ms)));
                }
            }
            if c.abort {
                continue;
            }
            if !c.out.is_empty() {
                // The next batch likely needs as much room: one allocation
                // then, not a series of doublings from empty.
                let room = c.out.len().min(OUT_ROOM);
                let bytes = std::mem::replace(&mut c.out, Vec::with_capacity(room));
                self.stats.net_output_bytes += bytes.len() as u64;
                self.stats.writes_processed += 1;
                outputs.push((id, bytes));
            }
            if c.close_after_reply {
                closing.push(id);
            }
        }
        for (id, bytes) in outputs {
            if self.exit_code.is_none() {
                self.send_or_hold(id, bytes);
            }
        }
        for id in closing {
            self.forget_client(id);
            self.close_after_held(id);
        }
        for (id, line) in aborting {
            self.log_output_limit(line);
            self.forget_client(id);
            self.drop_held_output(id);
            self.actions.push(Action::Abort { client: id });
        }
        if self.shutting_down && !self.actions.iter().any(|a| matches!(a, Action::Shutdown | Action::Exit { .. })) {
            self.actions.push(match self.exit_code {
                Some(code) => Action::Exit { code },
                None => Action::Shutdown,
            });
        }
    }

    /// Drops every trace of a client.
    fn forget_client(&mut self, id: ClientId) {
        self.replication_client_gone(id);
        self.unblock_client(id);
        self.migrate_client_gone(id);
        if let Some(c) = self.clients.remove(&id) {
            for key in c.watched.keys() {
                if let Some(set) = self.watchers.get_mut(key) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.watchers.remove(key);
                    }
                }
            }
        }
        self.monitors.remove(&id);
        self.pending.remove(&id);
    }

    /// Closes clients idle for more than `timeout` seconds (replicas and
    /// MONITOR clients are exempt, as in Redis).
    fn close_idle_clients(&mut self, now_ms: i64) {
        let timeout = self.config.get_i64("timeout");
        if timeout <= 0 {
            return;
        }
        for c in self.clients.values_mut() {
            // Blocked clients wait for their own timeout, as in Redis.
            if !c.monitor
                && !c.replica
                && c.blocked.is_none()
                && !c.close_after_reply
                && (now_ms - c.last_interaction_ms) / 1000 > timeout
            {
                c.close_after_reply = true;
                self.actions.push(Action::Log {
                    level: LogLevel::Verbose,
                    message: format!("Closing client id={} idle for more than {timeout} seconds", c.id),
                });
            }
        }
    }

    /// Ends a CLIENT PAUSE and lets the held clients continue.
    fn unpause(&mut self) {
        self.pause = None;
        let held: Vec<ClientId> = self.clients.values().filter(|c| c.held.is_some()).map(|c| c.id).collect();
        self.pending.extend(held);
    }

    /// The engine's estimate plus a fixed overhead per client, like Redis's
    /// used_memory which counts client buffers too.
    fn used_memory(&self) -> u64 {
        const BASE: u64 = 870_000;
        // A `swapdb` load's second dataset counts too, as Redis's temporary databases do.
        BASE + self.engine.used_memory() + self.snapshot_load_memory() + PER_CLIENT_BYTES * self.clients.len() as u64
    }
}

/// What a client costs besides its output, in the memory estimates.
const PER_CLIENT_BYTES: u64 = 20_000;

/// 40 random hex digits, as Redis's run ids and replication ids.
fn hex40(rng: &mut ChaCha8Rng) -> String {
    let mut bytes = [0u8; 20];
    rng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
