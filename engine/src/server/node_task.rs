//! The task that owns the node. Every connection event goes through one
//! channel into this task, so commands run one at a time in arrival order;
//! the node's actions are carried out here, in order: replies go to the
//! connections' outboxes, a DEBUG SLEEP stops this task (and so the whole
//! server), SHUTDOWN and signals end it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::connection::Outgoing;
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
        outbox: mpsc::UnboundedSender<Outgoing>,
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

/// Runs until SHUTDOWN or a termination signal; returns the exit status.
pub async fn run(
    mut node: Node,
    mut events: mpsc::UnboundedReceiver<Event>,
    events_tx: mpsc::UnboundedSender<Event>,
    mut listeners: Listeners,
    mut logger: Logger,
) -> i32 {
    let mut outboxes: HashMap<ClientId, mpsc::UnboundedSender<Outgoing>> = HashMap::new();
    let mut links = Links::default();
    let mut next_tick = Instant::now() + tick_period(node.hz());
    let mut signals = Signals::new();
    let mut disk = match Disk::start(events_tx.clone()) {
        Ok(d) => d,
        Err(e) => {
            logger.warning(&format!("Can't start the disk thread: {e}"));
            return 1;
        }
    };
    let mut ready = false;
    let mut shutdown_requested = false;
    node.start(now_ms());
    // The first actions are start()'s: the reads that load the dataset.
    let mut first: Vec<Action> = node.take_actions();
    loop {
        if first.is_empty() {
            // A blocked client's timeout or a pause's end may come before the tick.
            let timer = node.next_timer_ms().map(|at| {
                // Far deadlines are looked at again later rather than overflowing Instant.
                let wait = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0).min(MAX_WAIT_MS);
                Instant::now() + Duration::from_millis(wait)
            });
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(Event::Connected { info, outbox, reply }) => {
                        let id = node.client_connected(info, now_ms());
                        outboxes.insert(id, outbox);
                        let _ = reply.send(id);
                    }
                    Some(Event::Bytes { id, data }) => node.client_bytes(id, &data, now_ms()),
                    Some(Event::Closed { id }) => {
                        outboxes.remove(&id);
                        node.client_closed(id, now_ms());
                    }
                    Some(Event::Storage { id, result }) => node.storage_done(id, result, now_ms()),
                    Some(Event::Link { link, event }) => {
                        if !matches!(event, LinkEvent::Connected | LinkEvent::Bytes(_)) {
                            links.ended(link);
                        }
                        node.link_event(link, event, now_ms());
                    }
                    None => return 1,
                },
                _ = tokio::time::sleep_until(next_tick) => {
                    node.tick(now_ms());
                    next_tick += tick_period(node.hz());
                    if next_tick < Instant::now() {
                        next_tick = Instant::now() + tick_period(node.hz());
                    }
                }
                _ = async {
                    match timer {
                        Some(t) => tokio::time::sleep_until(t).await,
                        None => std::future::pending().await,
                    }
                } => node.timers(now_ms()),
                name = signals.next() => {
                    if shutdown_requested {
                        logger.warning(&format!("Received {name} again while shutting down: exiting now."));
                        return 1;
                    }
                    shutdown_requested = true;
                    logger.warning(&format!("Received {name} scheduling shutdown..."));
                    node.signal_shutdown(name, now_ms());
                }
            }
        }
        let mut actions: std::collections::VecDeque<Action> = std::mem::take(&mut first).into();
        actions.extend(node.take_actions());
        while let Some(action) = actions.pop_front() {
            match action {
                Action::Send { client, bytes } => {
                    if let Some(o) = outboxes.get(&client) {
                        let _ = o.send(Outgoing::Data(bytes));
                    }
                }
                Action::Close { client } => {
                    if let Some(o) = outboxes.remove(&client) {
                        let _ = o.send(Outgoing::Close);
                    }
                }
                Action::Sleep { micros } => {
                    tokio::time::sleep(Duration::from_micros(micros.min(MAX_WAIT_MS * 1000))).await;
                    node.resume(now_ms());
                    actions.extend(node.take_actions());
                }
                Action::Shutdown => {
                    disk.finish();
                    return exit(&logger);
                }
                Action::Exit { code } => {
                    disk.finish();
                    return code;
                }
                Action::Storage { id, op } => disk.submit(id, op),
                Action::Log { level, message } => {
                    logger.configure(node.config().get("loglevel"), node.config().get("logfile"));
                    logger.replica(node.is_replica());
                    logger.log(level, &message);
                }
                Action::Listen { port, bind } => match Listeners::bind(&bind, port, &events_tx).await {
                    Ok(new) => {
                        listeners.close();
                        listeners = new;
                        logger.notice(&format!("Listening again on port {port}"));
                    }
                    Err(e) => logger.log(LogLevel::Warning, &e),
                },
                Action::Connect { link, host, port } => links.connect(link, host, port, &events_tx),
                Action::LinkSend { link, bytes } => links.send(link, bytes),
                Action::LinkClose { link } => links.close(link),
                Action::RewriteConfig { path, text } => match std::fs::write(&path, text) {
                    Ok(()) => logger.notice("CONFIG REWRITE executed with success."),
                    Err(e) => logger.warning(&format!("CONFIG REWRITE failed: {e}")),
                },
            }
        }
        if !ready && !node.is_loading() {
            ready = true;
            logger.notice("Ready to accept connections");
        }
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
