//! The replica's side: an outbound link to the master, the handshake
//! (PING, AUTH, REPLCONF listening-port and capa, PSYNC), the snapshot
//! transfer in either form, then the stream, applied command by command as
//! Redis's master client does: no replies, no expiry (keys die when the
//! master says DEL), transactions whole. Every applied command's bytes go on
//! to our own backlog and replicas unchanged, so a chain of replicas shares
//! one history and one offset.
//!
//! A broken link keeps the replication id and offset reached: the next
//! PSYNC asks to continue from there.

use bytes::Bytes;
use redsim_model::command::Command;
use redsim_model::rdb;
use redsim_model::resp::RequestParser;
use redsim_model::table;
use redsim_model::Context;

use super::super::links::{LinkEvent, LinkId, LinkOwner};
use super::super::persistence::rdb_replace::{LoadTarget, RdbReplace};
use super::super::persistence::LoadProgress;
use super::super::{LogLevel, Node};

/// The replies the handshake waits for after PONG, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Auth,
    Port,
    Capa,
}

/// How the snapshot's end is found.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Payload {
    /// `$<length>`: that many bytes.
    Length(usize),
    /// `$EOF:<mark>`: up to the 40-byte mark. `scanned` bytes of the
    /// buffer have been searched already: each read searches only what it
    /// added (and the mark's length before it), so that a snapshot of many
    /// megabytes, arriving in many reads, costs one pass and not one per read.
    Mark { mark: Vec<u8>, scanned: usize },
}

impl Payload {
    /// The size the master announced, as INFO shows it: 0 for an EOF mark.
    fn announced(&self) -> i64 {
        match self {
            Payload::Length(n) => *n as i64,
            Payload::Mark { .. } => 0,
        }
    }
}

/// When a dropped link is tried again. Redis reconnects at once after an
/// established link ends (`Reconnecting to MASTER`, so that its backlog
/// position is not lost waiting) or a sync fails (`... after failure`), and
/// leaves a failed connect or handshake to its once-a-second cron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retry {
    Cron,
    Lost,
    AfterFailure,
}

/// Where the link to the master is (Redis's `repl_state`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// Not connected: the cron connects.
    Connect,
    Connecting,
    ReceivePong,
    Handshake(Vec<Step>),
    ReceivePsync,
    /// Receiving the snapshot of history `replid` at `offset`.
    Transfer {
        replid: String,
        offset: i64,
        payload: Option<Payload>,
    },
    /// The snapshot is being loaded ([`SnapshotLoad`]); what the master
    /// sends meanwhile waits in `inbuf`.
    Loading,
    Connected,
}

/// The master's snapshot on its way into the dataset, a step per timer
/// turn (clients get `-LOADING` meanwhile, as Redis answers between chunks
/// of its load), and the history it stands for.
///
/// With `repl-diskless-load swapdb` it goes into a second engine, swapped
/// in at the end; the old dataset stays until then and is kept if the load
/// fails. When the snapshot continues the history the replica already
/// holds (same replication ID: the old dataset is an earlier point of the
/// same data), clients are served from the old dataset meanwhile (Redis's
/// async loading: INFO `async_loading:1`, only the commands flagged
/// `no-async-loading` get `-LOADING`).
#[derive(Debug)]
pub(in crate::node) struct SnapshotLoad {
    job: RdbReplace,
    replid: String,
    offset: i64,
    /// Loaded from `dbfilename`: the file is written first (`storing`
    /// until it is fsynced and renamed, the load waits meanwhile).
    from_disk: bool,
    storing: bool,
    /// Whether the file's AUX lines were logged.
    aux_logged: bool,
    /// The second a newline last went to the master (see `snapshot_load_step`).
    newline_sent_secs: Option<i64>,
    /// Loaded beside the live dataset (`swapdb`), and served from it meanwhile.
    swapdb: bool,
    async_loading: bool,
    /// INFO's `master_sync_read_bytes` and `master_sync_total_bytes` while
    /// it loads (see [`Node::sync_progress`]).
    sync_bytes: (i64, i64),
}

/// The master this node follows, and the link to it.
#[derive(Debug)]
pub(in crate::node) struct MasterLink {
    pub host: String,
    pub port: i64,
    state: State,
    link: Option<LinkId>,
    /// Bytes read and not yet used (handshake replies, the snapshot).
    inbuf: Vec<u8>,
    /// The stream, once connected, and the same bytes raw (to pass on exactly).
    stream: RequestParser,
    raw: Vec<u8>,
    /// Bytes at the front of `raw` already passed on: taken by moving this
    /// mark, not by shifting the buffer once per command (a burst of
    /// thousands of commands in one read would move it thousands of times).
    raw_taken: usize,
    /// The stream's current database, and the transaction being received
    /// (each command with the database it was sent in: a SELECT may come
    /// between MULTI and EXEC).
    db: usize,
    multi: Option<Vec<(usize, Vec<Bytes>)>>,
    pub last_io_ms: i64,
    /// When the link went down (None while up or never up).
    pub down_since_ms: Option<i64>,
    /// Offset applied plus bytes read but not yet applied.
    pub read_offset: u64,
    /// Whether our id and offset are a history worth continuing (we were a
    /// master, or synced before); a replica started fresh asks `PSYNC ? -1`.
    has_history: bool,
    /// The link ended while the snapshot, complete, was being loaded: Redis
    /// does not read the link meanwhile, so it finishes the load and then
    /// finds the link gone.
    lost_while_loading: bool,
    /// When the snapshot's `$` line came (a load from the socket starts then).
    payload_since_ms: i64,
}

impl MasterLink {
    fn new(host: String, port: i64, now_ms: i64) -> MasterLink {
        MasterLink {
            host,
            port,
            state: State::Connect,
            link: None,
            inbuf: Vec::new(),
            stream: RequestParser::new(),
            raw: Vec::new(),
            raw_taken: 0,
            db: 0,
            multi: None,
            last_io_ms: now_ms,
            down_since_ms: Some(now_ms),
            read_offset: 0,
            has_history: true,
            lost_while_loading: false,
            payload_since_ms: now_ms,
        }
    }

    /// Whether PSYNC can ask to continue a history (see `has_history`).
    pub fn has_history(&self) -> bool {
        self.has_history
    }

    /// A history loaded from an RDB file is worth continuing.
    pub fn restore_history(&mut self) {
        self.has_history = true;
    }

    /// The database the stream is in (RDB's `repl-stream-db`).
    pub fn stream_db(&self) -> usize {
        self.db
    }

    /// A history loaded from an RDB file: the stream goes on in `db`.
    pub fn restore_stream_db(&mut self, db: usize) {
        self.db = db;
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// Whether a full sync is under way (INFO's `master_sync_in_progress`):
    /// the snapshot is being received or loaded.
    pub fn in_transfer(&self) -> bool {
        matches!(self.state, State::Transfer { .. } | State::Loading)
    }

    /// ROLE's state word.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Connect => "connect",
            State::Connecting => "connecting",
            State::ReceivePong | State::Handshake(_) | State::ReceivePsync => "handshake",
            State::Transfer { .. } | State::Loading => "sync",
            State::Connected => "connected",
        }
    }

    /// Stream bytes read: parsed as commands, kept raw to pass on exactly.
    fn take_stream(&mut self, bytes: &[u8]) {
        self.stream.feed(bytes);
        // Once per read, and only when the bytes passed on are at least
        // as many as those kept: amortized O(1) per byte.
        if self.raw_taken * 2 >= self.raw.len() {
            self.raw.drain(..self.raw_taken);
            self.raw_taken = 0;
        }
        self.raw.extend_from_slice(bytes);
        self.read_offset += bytes.len() as u64;
    }

    /// The next `n` raw bytes of the stream (fewer if fewer are held).
    fn take_raw(&mut self, n: usize) -> Vec<u8> {
        let end = (self.raw_taken + n).min(self.raw.len());
        let taken = self.raw[self.raw_taken..end].to_vec();
        self.raw_taken = end;
        taken
    }

    fn clear_raw(&mut self) {
        self.raw.clear();
        self.raw_taken = 0;
    }

    /// One line (without CR LF) from the front of `inbuf`.
    fn take_line(&mut self) -> Option<String> {
        let end = self.inbuf.iter().position(|&b| b == b'\n')?;
        let line: Vec<u8> = self.inbuf.drain(..=end).collect();
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(String::from_utf8_lossy(line).into_owned())
    }
}

/// PING replies that still let replication go on: the master wants AUTH,
/// which comes next.
fn ping_reply_acceptable(line: &str) -> bool {
    !line.starts_with('-')
        || line.starts_with("-NOAUTH")
        || line.starts_with("-NOPERM")
        || line.starts_with("-ERR operation not permitted")
}

impl Node {
    /// REPLICAOF host port | NO ONE.
    pub(super) fn replicaof_command(
        &mut self,
        id: crate::node::ClientId,
        master: Option<(String, i64)>,
    ) -> redsim_model::resp::Frame {
        use redsim_model::resp::Frame;
        if self.config.get_bool("cluster-enabled") {
            return Frame::error("ERR REPLICAOF not allowed in cluster mode.");
        }
        if self.repl.failover.is_some() {
            return Frame::error("ERR REPLICAOF not allowed while failing over.");
        }
        // Redis describes the client as CLIENT INFO does.
        let who = self.clients.get(&id).map(|c| super::super::client_list::line(c, self.now_ms)).unwrap_or_default();
        match master {
            None => {
                if self.is_replica() {
                    self.unset_master();
                    self.log(LogLevel::Notice, format!("MASTER MODE enabled (user request from '{who}')"));
                }
            }
            Some((host, port)) => {
                if self.repl.peers.get(&id).is_some_and(|p| p.counts()) {
                    return Frame::error("ERR Command is not valid when client is a replica.");
                }
                if self.repl.master.as_ref().is_some_and(|m| m.host.eq_ignore_ascii_case(&host) && m.port == port) {
                    self.log(
                        LogLevel::Notice,
                        "REPLICAOF would result into synchronization with the master we are already connected \
                         with. No operation performed."
                            .into(),
                    );
                    return Frame::simple("OK Already connected to specified master");
                }
                self.set_master(host.clone(), port);
                self.log(LogLevel::Notice, format!("REPLICAOF {host}:{port} enabled (user request from '{who}')"));
            }
        }
        Frame::ok()
    }

    /// Follows `host:port` from now on (REPLICAOF, or `replicaof` at start).
    pub(in crate::node) fn set_master(&mut self, host: String, port: i64) {
        self.cancel_snapshot();
        match self.repl.master.take() {
            Some(old) => {
                if let Some(link) = old.link {
                    self.link_close(link);
                }
            }
            None => self.log_synthesized_cached_master(),
        }
        self.unblock_all_for_role_change();
        // What this event propagated so far still reaches our replicas.
        self.flush_repl_feed();
        let _ = self.config.set_startup(b"replicaof", &[Bytes::from(host.clone()), Bytes::from(port.to_string())]);
        self.engine_config.is_master = false;
        self.propagation.set_repl_feed(false);
        self.repl.master = Some(MasterLink::new(host, port, self.now_ms));
        if !self.persist.is_loading() && self.persist.is_started() {
            self.connect_to_master();
        }
    }

    /// REPLICAOF NO ONE: a master again, with a new history that remembers
    /// the old one (replicas of the old master can continue with us).
    pub(super) fn unset_master(&mut self) {
        self.cancel_snapshot();
        if let Some(m) = self.repl.master.take() {
            if m.is_connected() {
                self.log_master_lost();
            }
            if m.has_history {
                self.log_cached_master_discarded();
            }
            if let Some(link) = m.link {
                self.link_close(link);
            }
        }
        let _ = self.config.set_startup(b"replicaof", &[Bytes::new()]);
        self.engine_config.is_master = true;
        self.shift_replid();
        self.disconnect_replicas();
        self.repl.no_replicas_since_ms = self.now_ms;
        if self.repl.backlog.is_some() {
            self.propagation.set_repl_feed(true);
        }
        self.propagation.force_select();
    }

    /// Redis's line when a node's own history becomes the one it offers its
    /// new master (a master turning replica, or a replica restarted from a
    /// file that recorded its history): PSYNC may continue it.
    pub(in crate::node) fn log_synthesized_cached_master(&mut self) {
        self.log(
            LogLevel::Notice,
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be \
             able to synchronize with the new master with just a partial transfer."
                .into(),
        );
    }

    /// Redis's line when the master state it kept to continue with PSYNC
    /// (a history we had: `has_history`) is given up: a full sync replaces
    /// it, or REPLICAOF NO ONE.
    fn log_cached_master_discarded(&mut self) {
        self.log(LogLevel::Notice, "Discarding previously cached master state.".into());
    }

    /// Drops the snapshot being written to disk or loaded.
    fn cancel_snapshot(&mut self) {
        if let Some(load) = self.repl.snapshot_load.take() {
            self.discard_temp_db(load);
        }
        self.sync_file_abort();
    }

    /// A `swapdb` load given up: what it loaded is freed in the background.
    fn discard_temp_db(&mut self, mut load: SnapshotLoad) {
        if let Some(temp) = load.job.take_temp() {
            self.engine.discard(temp);
        }
    }

    /// Opens the link to the master (REPLICAOF, or the cron while
    /// disconnected), with Redis's line naming it.
    fn connect_to_master(&mut self) {
        let Some(m) = &self.repl.master else { return };
        let (host, port) = (m.host.clone(), m.port);
        self.log(LogLevel::Notice, format!("Connecting to MASTER {host}:{port}"));
        self.open_master_link();
    }

    /// Drops the link as [`Node::drop_master_link`] does, then opens it again
    /// at once when Redis would (see [`Retry`]).
    fn drop_master_link_then(&mut self, retry: Retry) {
        self.drop_master_link();
        let Some(m) = &self.repl.master else { return };
        if retry == Retry::Cron || self.persist.is_loading() {
            return;
        }
        let (host, port) = (m.host.clone(), m.port);
        let tail = if retry == Retry::AfterFailure { " after failure" } else { "" };
        self.log(LogLevel::Notice, format!("Reconnecting to MASTER {host}:{port}{tail}"));
        self.open_master_link();
    }

    /// Starts connecting to the master.
    fn open_master_link(&mut self) {
        let Some(m) = &self.repl.master else { return };
        let (host, port) = (m.host.clone(), m.port);
        let Ok(port16) = u16::try_from(port) else {
            self.log(LogLevel::Warning, "Unable to connect to MASTER: Invalid argument".into());
            return;
        };
        let link = self.link_open(LinkOwner::Master, &host, port16);
        let now = self.now_ms;
        if let Some(m) = &mut self.repl.master {
            m.link = Some(link);
            m.state = State::Connecting;
            m.last_io_ms = now;
            m.inbuf.clear();
        }
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync started".into());
    }

    /// Redis's lines when the established link to the master ends (it keeps
    /// the master's state to continue from with PSYNC).
    fn log_master_lost(&mut self) {
        self.log(LogLevel::Warning, "Connection with master lost.".into());
        self.log(LogLevel::Notice, "Caching the disconnected master state.".into());
    }

    /// The connection to the master could not be made: logged, retried by the cron.
    fn master_connect_failed(&mut self, message: String) {
        self.log(LogLevel::Warning, message);
        if let Some(m) = &mut self.repl.master {
            m.link = None;
        }
        self.drop_master_link();
    }

    /// The link failed or must be dropped: back to `Connect`, retried by the cron.
    fn drop_master_link(&mut self) {
        // A snapshot still loading is dropped with the link (see `snapshot_load_step`
        // for the history it leaves).
        self.cancel_snapshot();
        let now = self.now_ms;
        let Some(m) = &mut self.repl.master else { return };
        let was_connected = m.state == State::Connected;
        let link = m.link.take();
        m.state = State::Connect;
        m.lost_while_loading = false;
        m.inbuf.clear();
        m.clear_raw();
        m.stream = RequestParser::new();
        m.multi = None;
        if was_connected || m.down_since_ms.is_none() {
            m.down_since_ms = Some(now);
        }
        if let Some(link) = link {
            self.link_close(link);
        }
        if self.failing_over() {
            self.abort_failover("Failover target rejected psync request");
        }
    }

    /// CLIENT KILL TYPE master: drops an established link to the master
    /// (the cron reconnects); false when there is none.
    pub(in crate::node) fn drop_master_for_kill(&mut self) -> bool {
        if !self.repl.master.as_ref().is_some_and(MasterLink::is_connected) {
            return false;
        }
        self.log_master_lost();
        self.drop_master_link_then(Retry::Lost);
        true
    }

    /// An event on the link to the master.
    pub(in crate::node) fn master_link_event(&mut self, link: LinkId, event: LinkEvent) {
        if self.repl.master.as_ref().and_then(|m| m.link) != Some(link) {
            self.link_close(link);
            return;
        }
        let now = self.now_ms;
        match event {
            LinkEvent::Connected => {
                self.log(LogLevel::Notice, "Non blocking connect for SYNC fired the event.".into());
                if let Some(m) = &mut self.repl.master {
                    m.state = State::ReceivePong;
                    m.last_io_ms = now;
                }
                self.master_send(&[b"PING"]);
            }
            // An address that does not resolve fails Redis's connect() at
            // once; a refused connection shows on the socket later.
            LinkEvent::Unresolved(why) => self.master_connect_failed(format!("Unable to connect to MASTER: {why}")),
            LinkEvent::Failed(why) => self.master_connect_failed(format!("Error condition on socket for SYNC: {why}")),
            LinkEvent::Closed => {
                if let Some(m) = &mut self.repl.master {
                    m.link = None;
                }
                // What Redis says depends on where the link was: its
                // handshake reads the reply synchronously ("Success" is
                // errno 0: no error, just the end of the stream).
                let state = self.repl.master.as_ref().map(|m| m.state.clone());
                let (lines, retry): (&[&str], Retry) = match state {
                    Some(State::Loading) => {
                        // Noticed once the load is done (see `lost_while_loading`).
                        if let Some(m) = &mut self.repl.master {
                            m.lost_while_loading = true;
                        }
                        return;
                    }
                    Some(State::Connected) => {
                        self.log_master_lost();
                        (&[], Retry::Lost)
                    }
                    Some(State::ReceivePsync) => (
                        &[
                            "Failed to read response from the server: Success",
                            "Master did not reply to PSYNC, will try later",
                        ],
                        Retry::Cron,
                    ),
                    Some(State::Transfer { .. }) => {
                        (&["I/O error trying to sync with MASTER: connection lost"], Retry::AfterFailure)
                    }
                    _ => (
                        &[
                            "Failed to read response from the server: Success",
                            "Master did not respond to command during SYNC handshake",
                        ],
                        Retry::Cron,
                    ),
                };
                for line in lines {
                    self.log(LogLevel::Warning, line.to_string());
                }
                self.drop_master_link_then(retry);
            }
            LinkEvent::Bytes(bytes) => {
                if let Some(m) = &mut self.repl.master {
                    m.last_io_ms = now;
                    if m.state == State::Connected {
                        m.take_stream(&bytes);
                    } else {
                        m.inbuf.extend_from_slice(&bytes);
                    }
                }
                self.master_progress();
            }
        }
    }

    fn master_send(&mut self, argv: &[&[u8]]) {
        if let Some(link) = self.repl.master.as_ref().and_then(|m| m.link) {
            self.link_send(link, super::encode(argv));
        }
    }

    /// Moves the handshake, the transfer or the stream on as far as the
    /// bytes read allow.
    fn master_progress(&mut self) {
        loop {
            let Some(m) = &mut self.repl.master else { return };
            match m.state.clone() {
                State::Connect | State::Connecting | State::Loading => return,
                State::Connected => {
                    self.apply_stream();
                    return;
                }
                State::ReceivePong => {
                    let Some(line) = m.take_line() else { return };
                    if !ping_reply_acceptable(&line) {
                        self.log(LogLevel::Warning, format!("Error reply to PING from master: '{line}'"));
                        self.drop_master_link();
                        return;
                    }
                    self.log(LogLevel::Notice, "Master replied to PING, replication can continue...".into());
                    self.send_handshake();
                }
                State::Handshake(mut steps) => {
                    let Some(line) = m.take_line() else { return };
                    let step = steps.remove(0);
                    m.state = State::Handshake(steps.clone());
                    if line.starts_with('-') {
                        match step {
                            Step::Auth => {
                                self.log(LogLevel::Warning, format!("Unable to AUTH to MASTER: {line}"));
                                self.drop_master_link();
                                return;
                            }
                            Step::Port => self.log(
                                LogLevel::Notice,
                                format!("(Non critical) Master does not understand REPLCONF listening-port: {line}"),
                            ),
                            Step::Capa => self.log(
                                LogLevel::Notice,
                                format!("(Non critical) Master does not understand REPLCONF capa: {line}"),
                            ),
                        }
                    }
                    if steps.is_empty() {
                        self.send_psync();
                    }
                }
                State::ReceivePsync => {
                    let Some(line) = m.take_line() else { return };
                    if line.is_empty() {
                        // Keepalive newlines until the master's snapshot starts.
                        continue;
                    }
                    if !self.psync_reply(&line) {
                        return;
                    }
                }
                State::Transfer { replid, offset, payload: None } => {
                    if m.inbuf.first() == Some(&b'\n') {
                        // The master's keepalive while it prepares the snapshot.
                        m.inbuf.remove(0);
                        continue;
                    }
                    let Some(line) = m.take_line() else { return };
                    let payload = if let Some(mark) = line.strip_prefix("$EOF:").filter(|m| m.len() == 40) {
                        Payload::Mark { mark: mark.as_bytes().to_vec(), scanned: 0 }
                    } else if let Some(n) = line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                        Payload::Length(n)
                    } else if line.starts_with('-') {
                        self.log(LogLevel::Warning, format!("MASTER aborted replication with an error: {line}"));
                        self.drop_master_link_then(Retry::AfterFailure);
                        return;
                    } else {
                        self.log(
                            LogLevel::Warning,
                            format!(
                                "Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you \
                                 sure the host and port are right?"
                            ),
                        );
                        self.drop_master_link_then(Retry::AfterFailure);
                        return;
                    };
                    m.state = State::Transfer { replid, offset, payload: Some(payload.clone()) };
                    m.payload_since_ms = self.now_ms;
                    let to = if self.sync_file_open_now() { "to disk" } else { "to parser" };
                    let message = match &payload {
                        Payload::Length(n) => format!("MASTER <-> REPLICA sync: receiving {n} bytes from master {to}"),
                        Payload::Mark { .. } => {
                            format!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {to}")
                        }
                    };
                    self.log(LogLevel::Notice, message);
                }
                State::Transfer { replid, offset, payload: Some(payload) } => {
                    let (end, skip) = match &payload {
                        Payload::Length(n) if m.inbuf.len() >= *n => (*n, 0),
                        Payload::Mark { mark, scanned } => {
                            // A mark may straddle the last search's end.
                            let from = scanned.saturating_sub(mark.len().saturating_sub(1));
                            match find(&m.inbuf[from..], mark) {
                                Some(at) => (from + at, mark.len()),
                                None => {
                                    let scanned = m.inbuf.len();
                                    // What cannot be part of the mark goes to disk now.
                                    let safe = scanned.saturating_sub(mark.len());
                                    let payload = Some(Payload::Mark { mark: mark.clone(), scanned });
                                    m.state = State::Transfer { replid, offset, payload };
                                    self.store_snapshot_prefix(safe);
                                    return;
                                }
                            }
                        }
                        Payload::Length(_) => {
                            let have = m.inbuf.len();
                            self.store_snapshot_prefix(have);
                            return;
                        }
                    };
                    self.store_snapshot_prefix(end);
                    let Some(m) = &mut self.repl.master else { return };
                    // What follows the snapshot (the stream) stays in `inbuf`;
                    // the snapshot is cut off without a copy (it may be large).
                    let rest = m.inbuf.split_off(end + skip);
                    let mut snapshot = std::mem::replace(&mut m.inbuf, rest);
                    snapshot.truncate(end);
                    // Redis's count of what went to the file includes the mark.
                    let read = if self.sync_file_open_now() { (end + skip) as i64 } else { 0 };
                    self.start_snapshot_load(snapshot, replid, offset, (read, payload.announced()));
                    return;
                }
            }
        }
    }

    /// AUTH (with `masterauth`), REPLCONF listening-port and capa, pipelined.
    fn send_handshake(&mut self) {
        let mut steps = Vec::new();
        let auth = self.config.get("masterauth").to_string();
        if !auth.is_empty() {
            let user = self.config.get("masteruser").to_string();
            if user.is_empty() {
                self.master_send(&[b"AUTH", auth.as_bytes()]);
            } else {
                self.master_send(&[b"AUTH", user.as_bytes(), auth.as_bytes()]);
            }
            steps.push(Step::Auth);
        }
        let announced = self.config.get_i64("replica-announce-port");
        let port = if announced != 0 { announced } else { self.config.get_i64("port") };
        self.master_send(&[b"REPLCONF", b"listening-port", port.to_string().as_bytes()]);
        steps.push(Step::Port);
        let ip = self.config.get("replica-announce-ip").to_string();
        if !ip.is_empty() {
            self.master_send(&[b"REPLCONF", b"ip-address", ip.as_bytes()]);
            steps.push(Step::Port);
        }
        self.master_send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
        steps.push(Step::Capa);
        if let Some(m) = &mut self.repl.master {
            m.state = State::Handshake(steps);
        }
    }

    /// PSYNC with our history (the id and the next offset we lack), or
    /// `PSYNC ? -1` when there is none to continue.
    fn send_psync(&mut self) {
        let history = self.repl.master.as_ref().is_some_and(|m| m.has_history);
        let (replid, next) = if history {
            let (replid, next) = (self.replid.clone(), (self.repl.offset + 1).to_string());
            self.log(LogLevel::Notice, format!("Trying a partial resynchronization (request {replid}:{next})."));
            (replid, next)
        } else {
            self.log(LogLevel::Notice, "Partial resynchronization not possible (no cached master)".into());
            ("?".to_string(), "-1".to_string())
        };
        if self.failing_over() {
            self.master_send(&[b"PSYNC", replid.as_bytes(), next.as_bytes(), b"FAILOVER"]);
        } else {
            self.master_send(&[b"PSYNC", replid.as_bytes(), next.as_bytes()]);
        }
        if let Some(m) = &mut self.repl.master {
            m.state = State::ReceivePsync;
        }
    }

    /// The master's answer to PSYNC; false when the link was dropped.
    fn psync_reply(&mut self, line: &str) -> bool {
        if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
            let mut words = rest.split_whitespace();
            let replid = words.next().unwrap_or("?").to_string();
            let offset = words.next().and_then(|o| o.parse::<i64>().ok()).unwrap_or(-1);
            self.log(LogLevel::Notice, format!("Full resync from master: {replid}:{offset}"));
            self.failover_done();
            // Our replicas follow a history that is about to be replaced.
            self.disconnect_replicas();
            if let Some(m) = &mut self.repl.master {
                m.state = State::Transfer { replid, offset, payload: None };
            }
            self.prepare_snapshot_file();
            return true;
        }
        if let Some(rest) = line.strip_prefix("+CONTINUE") {
            self.log(LogLevel::Notice, "Successful partial resynchronization with master.".into());
            self.failover_done();
            let new_id = rest.trim();
            if !new_id.is_empty() && new_id != self.replid {
                let old = std::mem::replace(&mut self.replid, new_id.to_string());
                self.repl.replid2 = Some((old, self.repl.offset as i64 + 1));
                self.log(LogLevel::Notice, format!("Master replication ID changed to {new_id}"));
                self.disconnect_replicas();
            }
            self.ensure_backlog();
            self.master_link_up(None);
            self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.".into());
            let rest = self.repl.master.as_mut().map(|m| std::mem::take(&mut m.inbuf)).unwrap_or_default();
            if let Some(m) = &mut self.repl.master {
                m.take_stream(&rest);
            }
            return true;
        }
        if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
            self.log(
                LogLevel::Notice,
                format!("Master is currently unable to PSYNC but should be in the future: {line}"),
            );
            self.drop_master_link();
            return false;
        }
        if line.starts_with("-ERR") {
            // A master from before PSYNC: the old full synchronization.
            self.log(LogLevel::Notice, format!("Master does not support PSYNC or is in error state (reply: {line})"));
            self.log(LogLevel::Notice, "Retrying with SYNC...".into());
            self.master_send(&[b"SYNC"]);
            if let Some(m) = &mut self.repl.master {
                m.state = State::Transfer { replid: "?".into(), offset: -1, payload: None };
            }
            self.prepare_snapshot_file();
            return true;
        }
        self.log(LogLevel::Warning, format!("Unexpected reply to PSYNC from master: {line}"));
        self.drop_master_link();
        false
    }

    /// The link is up and streaming. The stream's database is the one the
    /// snapshot names (`stream_db`), or after a partial resync the one the
    /// stream was in when the link broke: the master sends no SELECT then.
    fn master_link_up(&mut self, stream_db: Option<usize>) {
        let offset = self.repl.offset;
        if let Some(m) = &mut self.repl.master {
            m.state = State::Connected;
            m.down_since_ms = None;
            if let Some(db) = stream_db {
                m.db = db;
            }
            m.multi = None;
            m.stream = RequestParser::new();
            m.stream.set_authenticated(true);
            m.clear_raw();
            m.read_offset = offset;
            m.has_history = true;
        }
    }

    /// A full sync begins: its snapshot is written to disk as it arrives
    /// when the load is from disk (see `persistence/sync_file.rs`).
    fn prepare_snapshot_file(&mut self) {
        if self.sync_load_uses_disk() {
            self.sync_file_open();
        }
    }

    /// Hands the snapshot's first `end` bytes (those not written yet) to
    /// the file, when there is one.
    fn store_snapshot_prefix(&mut self, end: usize) {
        if !self.sync_file_open_now() {
            return;
        }
        let from = self.sync_file_written();
        let Some(m) = &self.repl.master else { return };
        let end = end.min(m.inbuf.len());
        if end > from {
            let data = m.inbuf[from..end].to_vec();
            self.sync_file_write(data);
        }
    }

    /// Starts loading the master's snapshot in steps (see [`SnapshotLoad`]),
    /// once its file is stored when it goes to disk.
    /// `sync_bytes`: INFO's figures of the transfer (see [`Node::sync_progress`]).
    fn start_snapshot_load(&mut self, bytes: Vec<u8>, replid: String, offset: i64, sync_bytes: (i64, i64)) {
        let from_disk = self.sync_file_open_now();
        // A save under way would write the old dataset over the new file
        // (and copy every page Redis's load touches): Redis kills its child.
        self.kill_save_for_sync_load(from_disk);
        let swap = if from_disk { None } else { self.swapdb_load(&replid) };
        let (swapdb, async_loading) = (swap.is_some(), swap == Some(true));
        if !swapdb {
            if self.repl.master.as_ref().is_some_and(|m| m.has_history) {
                self.log_cached_master_discarded();
            }
            self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Flushing old data".into());
        }
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Loading DB in memory".into());
        let target = if swapdb { LoadTarget::Beside } else { LoadTarget::Replace { lazy: self.lazy_flush() } };
        match self.start_rdb_replace(bytes, target) {
            Ok(job) => {
                if let Some(m) = &mut self.repl.master {
                    m.state = State::Loading;
                }
                self.repl.snapshot_load = Some(SnapshotLoad {
                    job,
                    replid,
                    offset,
                    from_disk,
                    storing: from_disk,
                    aux_logged: false,
                    newline_sent_secs: None,
                    swapdb,
                    async_loading,
                    sync_bytes,
                });
                if from_disk {
                    self.sync_file_close();
                }
            }
            Err(e) => {
                self.sync_file_abort();
                self.snapshot_load_failed(e, from_disk, swapdb);
            }
        }
    }

    /// The snapshot's file is on disk under `dbfilename`: the load goes on.
    pub(in crate::node) fn snapshot_stored(&mut self) {
        if let Some(load) = &mut self.repl.snapshot_load {
            load.storing = false;
        }
    }

    /// The snapshot's file could not be written: the sync is cancelled,
    /// and the dataset left empty, as Redis flushed it before the fsync.
    /// `retry_now`: whether Redis reconnects at once (not when it could not
    /// even create the file: that is part of its handshake).
    pub(in crate::node) fn snapshot_store_failed(&mut self, retry_now: bool) {
        if self.repl.snapshot_load.take().is_some() {
            self.empty_after_failed_sync();
        }
        self.drop_master_link_then(if retry_now { Retry::AfterFailure } else { Retry::Cron });
    }

    /// A sync that failed once Redis had flushed the old data: the dataset
    /// is empty and stands for no history (the next sync is a full one).
    fn empty_after_failed_sync(&mut self) {
        self.empty_dataset(self.lazy_flush());
        if let Some(m) = &mut self.repl.master {
            m.has_history = false;
        }
    }

    /// `replica-lazy-flush`: a full sync frees the old dataset in the
    /// background, as Redis's replica empties it with EMPTYDB_ASYNC.
    fn lazy_flush(&self) -> bool {
        self.config.get_bool("replica-lazy-flush")
    }

    /// When the snapshot load wants its next step: at once while one runs
    /// (not while its file is still being stored).
    pub(in crate::node) fn snapshot_load_timer(&self) -> Option<i64> {
        self.repl.snapshot_load.as_ref().filter(|l| !l.storing).map(|_| self.now_ms)
    }

    /// Whether the master's snapshot is being loaded (`-LOADING`, INFO
    /// `loading`, no cron jobs): from the socket, as soon as it arrives.
    pub(in crate::node) fn snapshot_loading(&self) -> bool {
        self.repl.snapshot_load.is_some() || self.socket_load_arriving().is_some()
    }

    /// Whether clients are served from the old dataset while the snapshot
    /// loads beside it (INFO `async_loading`, see [`SnapshotLoad`]).
    pub(in crate::node) fn async_loading(&self) -> bool {
        match &self.repl.snapshot_load {
            Some(l) => l.async_loading,
            None => self.socket_load_arriving() == Some(true),
        }
    }

    /// A snapshot arriving that will load from the socket (no sync file):
    /// Redis's parser reads the socket itself, so its load starts with the
    /// first byte, where redsim gathers the bytes first; meanwhile it
    /// answers as Redis's loading replica does. Whether the load will be
    /// asynchronous, while so (see [`SnapshotLoad`]).
    fn socket_load_arriving(&self) -> Option<bool> {
        let m = self.repl.master.as_ref()?;
        let State::Transfer { replid, payload: Some(_), .. } = &m.state else { return None };
        if self.sync_file_open_now() {
            return None;
        }
        Some(self.swapdb_load(replid) == Some(true))
    }

    /// For a load from the socket of the snapshot of history `replid`:
    /// `Some` under `repl-diskless-load swapdb` (beside the dataset), with
    /// whether it is asynchronous: the old dataset is an earlier point of
    /// the snapshot's own history, so it may be served until the new one
    /// is in.
    fn swapdb_load(&self, replid: &str) -> Option<bool> {
        (self.config.get("repl-diskless-load") == "swapdb").then(|| replid == self.replid)
    }

    /// INFO's `master_sync_read_bytes` and `master_sync_total_bytes` while
    /// a full sync is under way (transfer or load), as Redis counts them:
    /// the bytes written to the sync file (none for a load from the socket,
    /// whose parser reads it directly), and the size the master announced
    /// (0 for an EOF-marked snapshot, so that a file's `left` goes negative;
    /// -1 until the master said which).
    pub(in crate::node) fn sync_progress(&self) -> Option<(i64, i64)> {
        let m = self.repl.master.as_ref()?;
        match &m.state {
            State::Transfer { payload, .. } => {
                let read = if self.sync_file_open_now() { m.inbuf.len() as i64 } else { 0 };
                Some((read, payload.as_ref().map_or(-1, Payload::announced)))
            }
            State::Loading => self.repl.snapshot_load.as_ref().map(|l| l.sync_bytes),
            _ => None,
        }
    }

    /// Memory held by a `swapdb` load's second engine.
    pub(in crate::node) fn snapshot_load_memory(&self) -> u64 {
        self.repl.snapshot_load.as_ref().map_or(0, |l| l.job.temp_memory())
    }

    /// How far the snapshot load is (arriving from the socket: the bytes in).
    pub(in crate::node) fn snapshot_load_progress(&self) -> Option<LoadProgress> {
        if let Some(l) = &self.repl.snapshot_load {
            return Some(l.job.progress());
        }
        self.socket_load_arriving()?;
        let m = self.repl.master.as_ref()?;
        let total_bytes = match &m.state {
            State::Transfer { payload: Some(p), .. } => p.announced() as u64,
            _ => 0,
        };
        let loaded_bytes = m.inbuf.len() as u64;
        Some(LoadProgress { start_ms: m.payload_since_ms, total_bytes, loaded_bytes, rdb_used_mem: 0 })
    }

    /// One step of the snapshot load; at its end the link is up and the
    /// stream that arrived meanwhile is applied.
    pub(in crate::node) fn snapshot_load_step(&mut self) {
        let Some(mut load) = self.repl.snapshot_load.take() else { return };
        if load.storing {
            self.repl.snapshot_load = Some(load);
            return;
        }
        let outcome = self.rdb_replace_step(&mut load.job);
        // A newline to the master once a second while loading, as Redis's
        // replica sends: the master takes it for an ACK's sign of life and
        // does not drop a replica whose load outlasts `repl-timeout`.
        let secs = self.now_ms.div_euclid(1000);
        if load.newline_sent_secs != Some(secs) {
            load.newline_sent_secs = Some(secs);
            if let Some(link) = self.repl.master.as_ref().and_then(|m| m.link) {
                self.link_send(link, b"\n".to_vec());
            }
        }
        if !load.aux_logged {
            // The AUX fields come first: one step has read them, and Redis
            // logs them as it meets them.
            load.aux_logged = true;
            self.log_rdb_aux(load.job.info());
        }
        if let Some(m) = &mut self.repl.master {
            // Busy loading, not a silent master (Redis runs no cron meanwhile).
            m.last_io_ms = self.now_ms;
            // Once the old dataset is gone, its history is no longer ours to continue.
            if load.job.replacing() {
                m.has_history = false;
            }
        }
        match outcome {
            None => self.repl.snapshot_load = Some(load),
            Some(Err(e)) => {
                let (from_disk, swapdb) = (load.from_disk, load.swapdb);
                self.discard_temp_db(load);
                self.snapshot_load_failed(e, from_disk, swapdb)
            }
            Some(Ok(info)) => {
                let keys = load.job.records();
                self.log(LogLevel::Notice, format!("Done loading RDB, keys loaded: {keys}, keys expired: 0."));
                if load.from_disk {
                    self.remove_sync_file_if_unwanted();
                }
                if let Some(temp) = load.job.take_temp() {
                    self.swap_in_loaded_db(temp);
                }
                self.snapshot_loaded(&info, load.replid, load.offset)
            }
        }
    }

    /// A snapshot that does not load: the dataset is left empty, as Redis
    /// leaves it, and the link is retried. A `swapdb` load leaves the old
    /// dataset and its history (Redis keeps its cached master then).
    fn snapshot_load_failed(&mut self, e: String, from_disk: bool, swapdb: bool) {
        let source = if from_disk { "disk" } else { "socket" };
        self.log(LogLevel::Warning, format!("Failed trying to load the MASTER synchronization DB from {source}: {e}"));
        if swapdb {
            self.drop_master_link_then(Retry::AfterFailure);
            self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Discarding temporary DB in background".into());
            return;
        }
        // Redis flushed the old data before loading: the half-loaded data goes too.
        self.empty_after_failed_sync();
        self.drop_master_link_then(Retry::AfterFailure);
    }

    /// The end of a `swapdb` load: the loaded engine's databases replace
    /// the live ones, which are freed in the background, with Redis's lines.
    fn swap_in_loaded_db(&mut self, temp: Box<dyn redsim_model::Engine>) {
        // Only now is the history the replica held given up.
        if self.repl.master.as_ref().is_some_and(|m| m.has_history) {
            self.log_cached_master_discarded();
        }
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Swapping active DB with loaded DB".into());
        self.engine.swap_in(temp);
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Discarding old DB in background".into());
    }

    /// The snapshot is in: we continue the master's history from its offset.
    fn snapshot_loaded(&mut self, info: &rdb::RdbInfo, replid: String, offset: i64) {
        self.touch_all_watched_keys();
        self.dirty += 1;
        self.replid = replid;
        self.repl.offset = offset.max(0) as u64;
        self.repl.replid2 = None;
        self.repl.backlog = None;
        self.ensure_backlog();
        let rest = self.repl.master.as_mut().map(|m| std::mem::take(&mut m.inbuf)).unwrap_or_default();
        self.master_link_up(Some(stream_db_of(info)));
        self.log(LogLevel::Notice, "MASTER <-> REPLICA sync: Finished with success".into());
        self.restart_aof_after_sync();
        if let Some(m) = &mut self.repl.master {
            m.take_stream(&rest);
        }
        // The first ACK at once: an EOF-form master waits for it.
        self.send_ack_to_master();
        self.master_progress();
        if self.repl.master.as_mut().is_some_and(|m| std::mem::take(&mut m.lost_while_loading)) {
            self.log_master_lost();
            self.drop_master_link_then(Retry::Lost);
        }
    }

    /// REPLCONF ACK with the offset applied so far.
    pub(super) fn send_ack_to_master(&mut self) {
        if self.repl.master.as_ref().is_some_and(MasterLink::is_connected) {
            let offset = self.repl.offset.to_string();
            self.master_send(&[b"REPLCONF", b"ACK", offset.as_bytes()]);
        }
    }

    /// Applies every complete command of the stream, passing each one's
    /// bytes on to our backlog and replicas after it ran.
    fn apply_stream(&mut self) {
        loop {
            let Some(m) = &mut self.repl.master else { return };
            if m.state != State::Connected {
                return;
            }
            let argv = match m.stream.next_request() {
                Ok(Some(argv)) => argv,
                Ok(None) => return,
                Err(e) => {
                    self.log(LogLevel::Warning, format!("Protocol error from MASTER: {}", e.0));
                    self.log_master_lost();
                    self.drop_master_link_then(Retry::Lost);
                    return;
                }
            };
            // What this command took of the stream: everything read, less
            // what is still unparsed, less what was applied before.
            let applied = m.read_offset - m.stream.unparsed_len() as u64;
            let used = applied.saturating_sub(self.repl.offset) as usize;
            let raw = m.take_raw(used);
            self.apply_master_command(argv);
            self.feed_stream(&raw);
        }
    }

    /// One command from the master.
    fn apply_master_command(&mut self, argv: Vec<Bytes>) {
        let Some(first) = argv.first() else { return };
        let name = first.to_ascii_lowercase();
        let Some(m) = &mut self.repl.master else { return };
        match name.as_slice() {
            b"select" => {
                let n = argv.get(1).and_then(|v| std::str::from_utf8(v).ok()).and_then(|s| s.parse::<usize>().ok());
                if let Some(n) = n.filter(|&n| n < self.parse_env.databases) {
                    m.db = n;
                }
            }
            b"ping" => {}
            b"replconf" => {
                if argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"getack")) {
                    self.send_ack_to_master();
                }
            }
            b"multi" => m.multi = Some(Vec::new()),
            b"exec" => {
                let queued = m.multi.take().unwrap_or_default();
                self.exec_effects = Some(Vec::new());
                for (db, argv) in queued {
                    self.run_from_master(db, &argv);
                }
                let effects = self.exec_effects.take().unwrap_or_default();
                if !effects.is_empty() {
                    self.propagation.append(super::super::propagation::wrap_multi(effects));
                }
            }
            _ if m.multi.is_some() => {
                let db = m.db;
                m.multi.as_mut().expect("checked").push((db, argv));
            }
            _ => {
                let db = m.db;
                self.run_from_master(db, &argv);
            }
        }
    }

    /// Runs a write of the master's as it came: no key counts as expired
    /// (the master's DELs expire them), nothing blocks, no reply. Its effects
    /// go to the AOF; our replicas get the master's bytes instead.
    fn run_from_master(&mut self, db: usize, argv: &[Bytes]) {
        let Ok(spec) = table::resolve(argv) else {
            let name = String::from_utf8_lossy(&argv[0]).into_owned();
            self.log(LogLevel::Warning, format!("Unknown command '{name}' in the replication stream: skipped"));
            return;
        };
        let cmd = match Command::parse(spec, argv, &self.parse_env) {
            Ok(Command::Server(_) | Command::Connection(_) | Command::Help { .. } | Command::NotImplemented { .. }) => {
                return
            }
            Ok(cmd) => cmd,
            Err(_) => return,
        };
        let mut cfg = self.engine_config.clone();
        cfg.replaying = true;
        let interest = |db| super::super::dispatch::waited_on(&self.watchers, &self.blocking, db);
        let mut cx = Context::new(db, self.now_ms, &mut self.rng, &cfg, argv);
        cx.may_block = false;
        cx.interest = Some(&interest);
        let _ = self.engine.execute(&mut cx, &cmd);
        let touched = std::mem::take(&mut cx.touched);
        let dirty = cx.dirty;
        let effects = cx.into_effects();
        self.dirty += dirty;
        self.stats.command(spec).calls += 1;
        self.keys_touched(&touched);
        self.propagate(effects);
        if matches!(cmd, Command::Flush { all: true, .. }) {
            // The replica runs FLUSHALL as a client's: its own child is
            // killed (our replicas' sync fails) and save points save.
            self.flushall_save(None);
        }
    }

    /// The replica's once-a-second work: connect when disconnected, give up
    /// on a silent master after `repl-timeout`, ACK when connected.
    pub(super) fn replica_cron(&mut self, now_ms: i64) {
        let Some(m) = &self.repl.master else { return };
        let timeout = self.config.get_i64("repl-timeout").max(1) * 1000;
        let silent = now_ms - m.last_io_ms > timeout;
        match &m.state {
            State::Connect if !self.persist.is_loading() => self.connect_to_master(),
            State::Connecting | State::ReceivePong | State::Handshake(_) | State::ReceivePsync if silent => {
                self.log(LogLevel::Warning, "Timeout connecting to the MASTER...".into());
                self.drop_master_link_then(Retry::AfterFailure);
            }
            State::Transfer { .. } if silent => {
                self.log(
                    LogLevel::Warning,
                    "Timeout receiving bulk data from MASTER... If the problem persists try to set the \
                     'repl-timeout' parameter in redis.conf to a larger value."
                        .into(),
                );
                self.drop_master_link_then(Retry::AfterFailure);
            }
            State::Connected if silent => {
                self.log(LogLevel::Warning, "MASTER timeout: no data nor PING received...".into());
                self.log_master_lost();
                self.drop_master_link_then(Retry::Lost);
            }
            State::Connected => self.send_ack_to_master(),
            _ => {}
        }
    }

    /// `replicaof` in the configuration: follow that master once loaded.
    pub(in crate::node) fn replica_from_config(&mut self) {
        let value = self.config.get("replicaof").to_string();
        if let Some((host, port)) = value.rsplit_once(' ').and_then(|(h, p)| Some((h.to_string(), p.parse().ok()?))) {
            let mut link = MasterLink::new(host, port, self.now_ms);
            link.has_history = false;
            self.repl.master = Some(link);
            self.engine_config.is_master = false;
        }
    }
}

/// An RDB file's `repl-stream-db`: the database the replication stream was
/// in at the snapshot (it sends no SELECT until it changes).
pub(super) fn stream_db_of(info: &rdb::RdbInfo) -> usize {
    info.aux_text("repl-stream-db").and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The first position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
