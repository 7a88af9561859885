//! The task that owns the node. Every connection event goes through one
//! channel into this task, so commands run one at a time in arrival order;
//! the node's actions are carried out here, in order: replies go to the
//! connections' outboxes, a DEBUG SLEEP stops this task (and so the whole
//! server), SHUTDOWN and signals end it.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::connection::Outbox;
use super::disk::Disk;
use super::links::Links;
use super::listener::Listeners;
use super::log::Logger;
use crate::node::persistence::{StorageId, StorageResult};
use crate::node::{Action, ClientId, ConnInfo, LinkEvent, LinkId, LogLevel, Node};

/// What connections tell the node task.
#[derive(Debug)]
pub enum Event {
    Connected {
        info: ConnInfo,
        outbox: Outbox,
        reply: oneshot::Sender<ClientId>,
    },
    Bytes {
        id: ClientId,
        data: Vec<u8>,
    },
    Closed {
        id: ClientId,
    },
    /// The disk thread finished a storage operation.
    Storage {
        id: StorageId,
        result: StorageResult,
    },
    /// Something happened on an outbound connection (see `links.rs`).
    Link {
        link: LinkId,
        event: LinkEvent,
    },
}

/// Wall-clock Unix time in milliseconds: the node's only clock.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The longest single wait (a day): DEBUG SLEEP and timers beyond it are
/// cut (sleeps) or re-armed (timers).
const MAX_WAIT_MS: u64 = 24 * 3600 * 1000;

fn tick_period(hz: u32) -> Duration {
    Duration::from_micros(1_000_000 / u64::from(hz.max(1)))
}

/// Events handled one after another without going back to `select!`: a
/// `select!` arms the tick and timer sleeps again, which a busy server would
/// pay for every request. The budget keeps ticks and signals on time.
const DRAIN_BUDGET: usize = 256;

/// Runs until SHUTDOWN or a termination signal; returns the exit status.
pub async fn run(
    mut node: Node,
    mut events: mpsc::UnboundedReceiver<Event>,
    events_tx: mpsc::UnboundedSender<Event>,
    listeners: Listeners,
    logger: Logger,
) -> i32 {
    let disk = match Disk::start(events_tx.clone()) {
        Ok(d) => d,
        Err(e) => {
            logger.warning(&format!("Can't start the disk thread: {e}"));
            return 1;
        }
    };
    node.start(now_ms());
    let mut driver = Driver {
        node,
        outboxes: HashMap::new(),
        reporting: BTreeSet::new(),
        links: Links::default(),
        disk,
        listeners,
        logger,
        events_tx,
        actions: VecDeque::new(),
        ready: false,
    };
    let mut next_tick = Instant::now() + tick_period(driver.node.hz());
    let mut signals = Signals::new();
    let mut shutdown_requested = false;
    // The first actions are start()'s: the reads that load the dataset.
    if let Some(code) = driver.perform().await {
        return code;
    }
    loop {
        // A blocked client's timeout or a pause's end may come before the
        // tick. Far deadlines are looked at again later rather than
        // overflowing Instant.
        let timer = driver.node.next_timer_ms().map(|at| u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0));
        let mut background = false;
        tokio::select! {
            ev = events.recv() => match ev {
                Some(ev) => background = driver.event(ev),
                None => return 1,
            },
            _ = tokio::time::sleep_until(next_tick) => {
                driver.refresh_unsent();
                driver.node.tick(now_ms());
                next_tick += tick_period(driver.node.hz());
                if next_tick < Instant::now() {
                    next_tick = Instant::now() + tick_period(driver.node.hz());
                }
            }
            _ = async {
                match timer {
                    // Due now (the next step of a transfer or a load): other
                    // tasks run first, then the step, without waiting for
                    // the timer wheel's next millisecond.
                    Some(0) => tokio::task::yield_now().await,
                    Some(wait) => tokio::time::sleep(Duration::from_millis(wait.min(MAX_WAIT_MS))).await,
                    None => std::future::pending().await,
                }
            } => {
                driver.refresh_unsent();
                driver.node.timers(now_ms())
            }
            name = signals.next() => {
                if shutdown_requested {
                    driver.logger.warning(&format!("Received {name} again while shutting down: exiting now."));
                    return 1;
                }
                shutdown_requested = true;
                driver.logger.warning(&format!("Received {name} scheduling shutdown..."));
                driver.node.signal_shutdown(name, now_ms());
            }
        }
        if let Some(code) = driver.perform().await {
            return code;
        }
        for _ in 0..DRAIN_BUDGET {
            if background {
                break;
            }
            let Ok(ev) = events.try_recv() else {
                break;
            };
            background = driver.event(ev);
            if let Some(code) = driver.perform().await {
                return code;
            }
        }
        if background {
            // The disk answers a save's writes as fast as the node makes
            // them, so its next result is usually queued already: without
            // a yield the connections' tasks would wait for a whole run of
            // chunks (up to tokio's budget of 128) before their requests
            // reach the node.
            tokio::task::yield_now().await;
        }
    }
}

/// What the node task owns besides the node: the connections' outboxes,
/// outbound links, the disk thread, the listeners and the log.
struct Driver {
    node: Node,
    outboxes: HashMap<ClientId, Conn>,
    /// The connections the node was told hold a backlog: told again how it
    /// drains before the node's timers run (a snapshot transfer waits on it).
    reporting: BTreeSet<ClientId>,
    links: Links,
    disk: Disk,
    listeners: Listeners,
    logger: Logger,
    events_tx: mpsc::UnboundedSender<Event>,
    /// The node's actions being carried out (kept to reuse its memory).
    actions: VecDeque<Action>,
    /// Whether "Ready to accept connections" was logged.
    ready: bool,
}

/// A connection as the node task sees it.
struct Conn {
    outbox: Outbox,
    /// The unwritten output the node was last told of (0: none to speak of).
    told: u64,
}

/// Unwritten output below this is not reported to the node: a reply on its
/// way out is no backlog, and the node counts each batch's replies itself.
const REPORT_UNSENT_FROM: u64 = 16 * 1024;

/// Tells the node how much output connection `id` holds unwritten
/// ([`Node::client_output_pending`]), when that is a backlog or the node
/// was told of one before; returns whether it was told. `reporting` holds
/// the connections the node believes backlogged.
fn tell_unsent(
    node: &mut Node,
    reporting: &mut BTreeSet<ClientId>,
    id: ClientId,
    conn: &mut Conn,
    unsent: u64,
) -> bool {
    if unsent < REPORT_UNSENT_FROM && conn.told == 0 || unsent == conn.told {
        return false;
    }
    conn.told = if unsent >= REPORT_UNSENT_FROM { unsent } else { 0 };
    if conn.told > 0 {
        reporting.insert(id);
    } else {
        reporting.remove(&id);
    }
    node.client_output_pending(id, unsent, now_ms());
    true
}

impl Driver {
    /// Hands one event to the node. True for a storage result, which
    /// moves background work (a save, a rewrite) along: the caller lets the
    /// connections in before the next.
    fn event(&mut self, ev: Event) -> bool {
        let node = &mut self.node;
        let storage = matches!(ev, Event::Storage { .. });
        match ev {
            Event::Connected { info, outbox, reply } => {
                let id = node.client_connected(info, now_ms());
                self.outboxes.insert(id, Conn { outbox, told: 0 });
                let _ = reply.send(id);
            }
            Event::Bytes { id, data } => {
                // What the node knows of the unwritten output must be
                // current before its limits are checked again.
                if let Some(conn) = self.outboxes.get_mut(&id).filter(|c| c.told > 0) {
                    let unsent = conn.outbox.unsent();
                    tell_unsent(node, &mut self.reporting, id, conn, unsent);
                }
                node.client_bytes(id, &data, now_ms())
            }
            Event::Closed { id } => {
                self.outboxes.remove(&id);
                self.reporting.remove(&id);
                node.client_closed(id, now_ms());
            }
            Event::Storage { id, result } => node.storage_done(id, result, now_ms()),
            Event::Link { link, event } => {
                if !matches!(event, LinkEvent::Connected | LinkEvent::Bytes(_)) {
                    self.links.ended(link);
                }
                node.link_event(link, event, now_ms());
            }
        }
        storage
    }

    /// Tells the node how the backlogs it knows of have drained.
    fn refresh_unsent(&mut self) {
        for id in self.reporting.clone() {
            if let Some(conn) = self.outboxes.get_mut(&id) {
                let unsent = conn.outbox.unsent();
                tell_unsent(&mut self.node, &mut self.reporting, id, conn, unsent);
            }
        }
    }

    /// Carries out the node's actions in order. Some(status) when the
    /// server must exit.
    async fn perform(&mut self) -> Option<i32> {
        self.actions.extend(self.node.take_actions());
        while let Some(action) = self.actions.pop_front() {
            match action {
                Action::Send { client, bytes } => {
                    if let Some(conn) = self.outboxes.get_mut(&client) {
                        let unsent = conn.outbox.send(bytes);
                        if tell_unsent(&mut self.node, &mut self.reporting, client, conn, unsent) {
                            self.actions.extend(self.node.take_actions());
                        }
                    }
                }
                Action::Close { client } => {
                    self.reporting.remove(&client);
                    if let Some(conn) = self.outboxes.remove(&client) {
                        conn.outbox.close();
                    }
                }
                Action::Abort { client } => {
                    self.reporting.remove(&client);
                    if let Some(conn) = self.outboxes.remove(&client) {
                        conn.outbox.abort();
                    }
                }
                Action::Sleep { micros } => {
                    tokio::time::sleep(Duration::from_micros(micros.min(MAX_WAIT_MS * 1000))).await;
                    self.node.resume(now_ms());
                    self.actions.extend(self.node.take_actions());
                }
                Action::Shutdown => {
                    self.disk.finish();
                    return Some(exit(&self.logger));
                }
                Action::Exit { code } => {
                    self.disk.finish();
                    return Some(code);
                }
                Action::Storage { id, op } => self.disk.submit(id, op),
                Action::Log { level, message } => {
                    self.logger.configure(self.node.config().get("loglevel"), self.node.config().get("logfile"));
                    self.logger.replica(self.node.is_replica());
                    self.logger.log(level, &message);
                }
                Action::Listen { port, bind } => match Listeners::bind(&bind, port, &self.events_tx).await {
                    Ok(new) => {
                        self.listeners.close();
                        self.listeners = new;
                        self.logger.notice(&format!("Listening again on port {port}"));
                    }
                    Err(e) => self.logger.log(LogLevel::Warning, &e),
                },
                Action::Connect { link, host, port } => self.links.connect(link, host, port, &self.events_tx),
                Action::LinkSend { link, bytes } => self.links.send(link, bytes),
                Action::LinkClose { link } => self.links.close(link),
                Action::RewriteConfig { path, text } => match std::fs::write(&path, text) {
                    Ok(()) => self.logger.notice("CONFIG REWRITE executed with success."),
                    Err(e) => self.logger.warning(&format!("CONFIG REWRITE failed: {e}")),
                },
            }
        }
        if !self.ready && !self.node.is_loading() {
            self.ready = true;
            self.logger.notice("Ready to accept connections");
        }
        None
    }
}

fn exit(logger: &Logger) -> i32 {
    logger.warning("Redis is now ready to exit, bye bye...");
    0
}

/// SIGTERM and SIGINT.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals { term: signal(SignalKind::terminate()).ok(), int: signal(SignalKind::interrupt()).ok() }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The name of the next signal received.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let term = async {
                match &mut self.term {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            let int = async {
                match &mut self.int {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = term => "SIGTERM",
                _ = int => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
