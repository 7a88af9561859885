//! The master's side: replicas are clients that sent REPLCONF and PSYNC (or
//! SYNC). A full resync sends a snapshot of the dataset (the fork of Redis),
//! with the stream offset it stands for, then the stream; a partial resync
//! sends the part of the backlog the replica lacks.
//!
//! The snapshot goes out as `$<length>` or, when `repl-diskless-sync` is on
//! and the replica understands it (`capa eof`), in the `$EOF:<mark>` form
//! after `repl-diskless-sync-delay` seconds, as Redis waits for more replicas
//! to share its fork; either way it is made a piece at a time while
//! commands are served (`transfer.rs`). In the EOF form the stream waits for the replica's
//! first REPLCONF ACK: a real Redis replica may read past the mark and would
//! lose what followed it.

use bytes::Bytes;
use redsim_model::rdb;
use redsim_model::resp::Frame;

use super::super::child::Child;
use super::super::{ClientId, LogLevel, Node};

/// Where a replica is in its synchronization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PeerState {
    /// It sent REPLCONF but not yet PSYNC: not counted as a replica.
    Handshake,
    /// Waiting for its snapshot, which starts at `start_at_ms`.
    WaitSync { start_at_ms: i64 },
    /// Its EOF-form snapshot is being sent (see `transfer.rs`).
    Sending,
    /// Snapshot sent; `streaming` once the stream flows to it.
    Online { streaming: bool },
}

/// A replica as its master sees it.
#[derive(Clone, Debug)]
pub(super) struct Peer {
    pub state: PeerState,
    /// REPLCONF listening-port (0 until told).
    pub port: i64,
    /// REPLCONF ip-address, else the connection's address.
    pub ip: Option<String>,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// The offset the replica acknowledged last, and when.
    pub ack_offset: u64,
    pub ack_ms: i64,
    /// Asked with SYNC: no `+FULLRESYNC` line before the snapshot.
    pub pre_psync: bool,
    /// `REPLCONF rdb-filter-only`: its snapshot leaves the keys out.
    pub exclude_data: bool,
    /// Stream bytes held while its snapshot is made, and in the EOF form
    /// until its first ACK.
    pub held: Vec<u8>,
}

impl Peer {
    fn new() -> Peer {
        Peer {
            state: PeerState::Handshake,
            port: 0,
            ip: None,
            capa_eof: false,
            capa_psync2: false,
            ack_offset: 0,
            ack_ms: 0,
            pre_psync: false,
            exclude_data: false,
            held: Vec::new(),
        }
    }

    /// Whether it counts as a replica (INFO's connected_slaves).
    pub fn counts(&self) -> bool {
        self.state != PeerState::Handshake
    }

    pub fn online(&self) -> bool {
        matches!(self.state, PeerState::Online { .. })
    }

    /// INFO's `state=` word.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            PeerState::Handshake | PeerState::WaitSync { .. } | PeerState::Sending => "wait_bgsave",
            PeerState::Online { .. } => "online",
        }
    }
}

impl Node {
    /// REPLCONF option value ...: what a replica tells its master about
    /// itself, and the ACKs. ACK and GETACK get no reply.
    pub(super) fn replconf(&mut self, id: ClientId, options: Vec<(String, Bytes)>) -> Option<Frame> {
        for (option, value) in options {
            let text = String::from_utf8_lossy(&value).into_owned();
            match option.as_str() {
                "listening-port" => match text.parse::<i64>() {
                    Ok(port) => self.peer_entry(id).port = port,
                    Err(_) => return Some(redsim_model::errors::NOT_INTEGER.into()),
                },
                "ip-address" => {
                    if text.len() >= 46 {
                        return Some(Frame::error(format!(
                            "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                            text.len()
                        )));
                    }
                    self.peer_entry(id).ip = Some(text);
                }
                "capa" => {
                    let p = self.peer_entry(id);
                    if text.eq_ignore_ascii_case("eof") {
                        p.capa_eof = true;
                    } else if text.eq_ignore_ascii_case("psync2") {
                        p.capa_psync2 = true;
                    }
                }
                "ack" => {
                    if let Ok(offset) = text.parse::<u64>() {
                        self.replica_acked(id, offset);
                    }
                    return None;
                }
                "getack" => {
                    if self.is_replica() {
                        self.send_ack_to_master();
                    }
                    return None;
                }
                "rdb-only" => match text.as_str() {
                    "0" | "1" => {}
                    _ => return Some(Frame::error("ERR rdb-only value must be 0 or 1")),
                },
                // The parts of the snapshot wanted ("" for none): Redis's only
                // filter is `functions`, which redsim has none of; the keys
                // are left out either way (`redis-cli --replica` asks for this).
                "rdb-filter-only" => {
                    if let Some(other) = text.split_whitespace().find(|f| !f.eq_ignore_ascii_case("functions")) {
                        return Some(Frame::error(format!("ERR Unsupported rdb-filter-only option: {other}")));
                    }
                    self.peer_entry(id).exclude_data = true;
                }
                other => return Some(Frame::error(format!("ERR Unrecognized REPLCONF option: {other}"))),
            }
        }
        Some(Frame::ok())
    }

    fn peer_entry(&mut self, id: ClientId) -> &mut Peer {
        self.repl.peers.entry(id).or_insert_with(Peer::new)
    }

    /// REPLCONF ACK from replica `id`.
    fn replica_acked(&mut self, id: ClientId, offset: u64) {
        let now = self.now_ms;
        let Some(p) = self.repl.peers.get_mut(&id).filter(|p| p.counts()) else { return };
        p.ack_offset = p.ack_offset.max(offset);
        p.ack_ms = now;
        if p.state == (PeerState::Online { streaming: false }) {
            p.state = PeerState::Online { streaming: true };
            let held = std::mem::take(&mut p.held);
            if let Some(c) = self.clients.get_mut(&id) {
                c.out.extend_from_slice(&held);
            }
        }
        self.serve_waiters();
        self.shutdown_wait_progress();
    }

    /// PSYNC replid offset (`psync`) or SYNC (`None`): a partial resync when
    /// the backlog has what the replica lacks, else a full one. The answer is
    /// raw protocol written to the replica, never a reply frame.
    pub(super) fn sync_request(&mut self, id: ClientId, psync: Option<(Bytes, i64)>) -> Option<Frame> {
        if self.repl.peers.get(&id).is_some_and(Peer::counts) {
            return None;
        }
        if self.repl.failover.is_some() {
            return Some(Frame::error("NOMASTERLINK Can't SYNC while failing over"));
        }
        if self.repl.master.as_ref().is_some_and(|m| !m.is_connected()) {
            return Some(Frame::error("NOMASTERLINK Can't SYNC while not connected with my master"));
        }
        // What the replica reads from here on is the snapshot and the stream:
        // Redis refuses while earlier replies are still unwritten.
        if self.clients.get(&id).is_some_and(|c| !c.out.is_empty() || c.unsent > 0) {
            return Some(Frame::error("ERR SYNC and PSYNC are invalid with pending output"));
        }
        // A filtered snapshot is always made for the sockets (a file of it
        // would replace the real one), which takes the EOF form.
        if self.repl.peers.get(&id).is_some_and(|p| p.exclude_data && !p.capa_eof) {
            return Some(Frame::error("ERR Filtered replica requires EOF capability"));
        }
        let addr = self.peer_name(id);
        self.log(LogLevel::Notice, format!("Replica {addr} asks for synchronization"));
        if let Some((replid, offset)) = &psync {
            if self.try_partial_resync(id, replid, *offset) {
                self.stats.sync_partial_ok += 1;
                return None;
            }
            if replid.as_ref() != b"?" {
                self.stats.sync_partial_err += 1;
            }
        }
        self.stats.sync_full += 1;
        if psync.as_ref().is_some_and(|(replid, _)| replid.as_ref() == b"?") {
            self.log(LogLevel::Notice, format!("Full resync requested by replica {addr}"));
        }
        if self.repl.backlog.is_none() {
            self.change_replid();
            self.ensure_backlog();
            let (id1, id2) = (self.replid.clone(), "0".repeat(40));
            self.log(
                LogLevel::Notice,
                format!("Replication backlog created, my new replication IDs are '{id1}' and '{id2}'"),
            );
        }
        if !self.is_replica() {
            self.propagation.set_repl_feed(true);
        }
        let diskless = self.config.get_bool("repl-diskless-sync");
        let p = self.peer_entry(id);
        p.pre_psync = psync.is_none();
        let delay = if diskless && p.capa_eof { self.config.get_i64("repl-diskless-sync-delay") * 1000 } else { 0 };
        let start_at_ms = self.now_ms + delay;
        self.peer_entry(id).state = PeerState::WaitSync { start_at_ms };
        self.mark_replica_client(id);
        if self.attach_to_transfer(id) {
            return None;
        }
        // What Redis's syncCommand logs, by the child running (see `child.rs`).
        let waiting = match self.child() {
            Some(Child::Transfer) if self.transfer_to_sockets() => {
                Some("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
            }
            Some(Child::Save | Child::Transfer) => {
                Some("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
            }
            _ if delay > 0 => Some("Delay next BGSAVE for diskless SYNC"),
            Some(Child::Rewrite) => {
                Some("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed")
            }
            None => None,
        };
        match waiting {
            Some(line) => self.log(LogLevel::Notice, line.into()),
            None => self.start_due_full_syncs(start_at_ms),
        }
        None
    }

    fn mark_replica_client(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.replica = true;
        }
    }

    /// The replica's address for log lines: `ip:listening-port`, as Redis
    /// names one that gave no port `ip:<unknown-replica-port>`.
    pub(super) fn peer_name(&self, id: ClientId) -> String {
        let conn_ip = self.clients.get(&id).map(|c| host_of(&c.conn.addr)).unwrap_or_default();
        let (ip, port) = match self.repl.peers.get(&id) {
            Some(p) => (p.ip.clone().unwrap_or(conn_ip), p.port),
            None => (conn_ip, 0),
        };
        match port {
            0 => format!("{ip}:<unknown-replica-port>"),
            port => format!("{ip}:{port}"),
        }
    }

    /// `+CONTINUE` and the backlog from `offset`, when the replica's history
    /// is ours (current id, or the previous one up to where it ended).
    fn try_partial_resync(&mut self, id: ClientId, replid: &[u8], offset: i64) -> bool {
        let asked = String::from_utf8_lossy(replid).into_owned();
        let ours = asked == self.replid;
        let previous = self.repl.replid2.as_ref().is_some_and(|(id2, upto)| *id2 == asked && offset <= *upto);
        if !ours && !previous {
            if asked != "?" {
                let id2 = self.repl.replid2.as_ref().map_or("0".repeat(40), |r| r.0.clone());
                let message = format!(
                    "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{asked}', \
                     my replication IDs are '{}' and '{id2}')",
                    self.replid
                );
                self.log(LogLevel::Notice, message);
            }
            return false;
        }
        // The backlog must be current before it is read.
        self.flush_repl_feed();
        let from = u64::try_from(offset).ok();
        let Some(bytes) = from.and_then(|from| self.repl.backlog.as_ref()?.since(from)) else {
            let addr = self.peer_name(id);
            self.log(
                LogLevel::Notice,
                format!(
                    "Unable to partial resync with replica {addr} for lack of backlog (Replica request was: {offset})."
                ),
            );
            return false;
        };
        self.mark_replica_client(id);
        let psync2 = self.peer_entry(id).capa_psync2;
        let line = if psync2 { format!("+CONTINUE {}\r\n", self.replid) } else { "+CONTINUE\r\n".to_string() };
        let now = self.now_ms;
        let p = self.peer_entry(id);
        p.state = PeerState::Online { streaming: true };
        p.ack_ms = now;
        if let Some(c) = self.clients.get_mut(&id) {
            c.out.extend_from_slice(line.as_bytes());
            c.out.extend_from_slice(&bytes);
        }
        if !self.is_replica() {
            self.propagation.set_repl_feed(true);
        }
        let addr = self.peer_name(id);
        let message = format!(
            "Partial resynchronization request from {addr} accepted. Sending {} bytes of backlog starting from \
             offset {offset}.",
            bytes.len()
        );
        self.log(LogLevel::Notice, message);
        true
    }

    /// Replicas whose diskless delay is over get their snapshot, unless a
    /// child, a save or a transfer is under way (they wait for the next):
    /// those taking the EOF form share one transfer, then those taking the
    /// length form.
    pub(super) fn start_due_full_syncs(&mut self, now_ms: i64) {
        if self.child().is_some() || self.persist.save_running() || self.transfer_running() {
            return;
        }
        let diskless = self.config.get_bool("repl-diskless-sync");
        let due: Vec<(ClientId, &Peer)> = self
            .repl
            .peers
            .iter()
            .filter(|(_, p)| matches!(p.state, PeerState::WaitSync { start_at_ms } if start_at_ms <= now_ms))
            .map(|(id, p)| (*id, p))
            .collect();
        // One snapshot serves the replicas that want the same parts of it,
        // as the first due wants (Redis's `slave_req`); the others wait for
        // the next. A filtered one always goes to the sockets.
        let Some(exclude_data) = due.first().map(|(_, p)| p.exclude_data) else { return };
        let (eof, length): (Vec<(ClientId, bool)>, Vec<_>) = due
            .iter()
            .filter(|(_, p)| p.exclude_data == exclude_data)
            .map(|(id, p)| (*id, (diskless || p.exclude_data) && p.capa_eof))
            .partition(|(_, eof)| *eof);
        if !eof.is_empty() {
            self.start_transfer(eof.into_iter().map(|(id, _)| id).collect(), true, exclude_data);
        } else if !length.is_empty() {
            self.start_transfer(length.into_iter().map(|(id, _)| id).collect(), false, false);
        }
    }

    /// The stream offset a snapshot taken now stands for, and the options
    /// of an RDB file that names it.
    pub(super) fn sync_point(&mut self) -> (u64, rdb::RdbOptions) {
        // What was propagated before the snapshot is in it: flush it to the
        // others first, so that the offset names exactly the snapshot.
        self.flush_repl_feed();
        // The stream after a snapshot must start with a SELECT.
        self.propagation.force_select();
        let offset = self.repl.offset;
        let mut opts = self.rdb_options(false);
        // A master's stream starts with a SELECT after a snapshot; a
        // replica passes its master's bytes on, which go on in its database.
        let stream_db = self.repl.master.as_ref().map_or(0, |m| m.stream_db() as u32);
        opts.aux.repl = Some((stream_db, self.replid.clone(), offset as i64));
        (offset, opts)
    }

    /// Stream bytes for replica `id`, if it is at the streaming stage.
    pub(super) fn peer_feed(&mut self, id: ClientId, bytes: &[u8]) {
        let Some(p) = self.repl.peers.get_mut(&id) else { return };
        match p.state {
            PeerState::Online { streaming: true } => {
                if let Some(c) = self.clients.get_mut(&id) {
                    c.out.extend_from_slice(bytes);
                }
            }
            PeerState::Sending | PeerState::Online { streaming: false } => p.held.extend_from_slice(bytes),
            _ => {}
        }
    }

    /// A blank line from a replica (Redis's replica sends one a second while
    /// it loads its snapshot) refreshes its ACK time as Redis's master does,
    /// so a long load is not taken for a silent replica.
    pub(in crate::node) fn replica_newline(&mut self, id: ClientId, bytes: &[u8]) {
        if bytes.is_empty() || !bytes.iter().all(|&b| b == b'\n' || b == b'\r') {
            return;
        }
        if let Some(p) = self.repl.peers.get_mut(&id) {
            p.ack_ms = self.now_ms;
        }
    }

    /// The master's once-a-second work: PING in the stream every
    /// `repl-ping-replica-period`, newlines to replicas waiting for their
    /// snapshot, dropping replicas silent for `repl-timeout`, and freeing the
    /// backlog after `repl-backlog-ttl` without replicas.
    pub(super) fn master_cron(&mut self, now_ms: i64) {
        let waiting =
            self.repl.peers.values().any(|p| matches!(p.state, PeerState::WaitSync { .. } | PeerState::Sending));
        self.remove_rdb_made_for_sync(waiting);
        let has_replicas = self.repl.peers.values().any(Peer::counts);
        if has_replicas && !self.is_replica() {
            let period = self.config.get_i64("repl-ping-replica-period").max(1) as u64;
            if self.repl.cron_loops.is_multiple_of(period) && self.pause.is_none() {
                self.propagation.feed_raw(&super::encode(&[b"PING"]));
            }
        }
        let timeout = self.config.get_i64("repl-timeout").max(1) * 1000;
        let ids: Vec<ClientId> = self.repl.peers.keys().copied().collect();
        for id in ids {
            let Some(p) = self.repl.peers.get(&id) else { continue };
            match p.state {
                PeerState::WaitSync { .. } => {
                    if let Some(c) = self.clients.get_mut(&id) {
                        c.out.push(b'\n');
                    }
                }
                PeerState::Online { .. } if now_ms - p.ack_ms > timeout => {
                    let addr = self.peer_name(id);
                    self.log(LogLevel::Warning, format!("Disconnecting timedout replica (streaming sync): {addr}"));
                    if let Some(c) = self.clients.get_mut(&id) {
                        c.close_after_reply = true;
                    }
                }
                _ => {}
            }
        }
        let ttl = self.config.get_i64("repl-backlog-ttl");
        if !has_replicas
            && !self.is_replica()
            && ttl > 0
            && self.repl.backlog.is_some()
            && now_ms - self.repl.no_replicas_since_ms > ttl * 1000
        {
            self.change_replid();
            self.repl.backlog = None;
            self.propagation.set_repl_feed(false);
            self.log(
                LogLevel::Notice,
                format!("Replication backlog freed after {ttl} seconds without connected replicas."),
            );
        }
    }

    /// Closes every replica's connection (their history changed: they must
    /// ask again).
    pub(super) fn disconnect_replicas(&mut self) {
        let ids: Vec<ClientId> = self.repl.peers.iter().filter(|(_, p)| p.counts()).map(|(id, _)| *id).collect();
        for id in ids {
            if let Some(c) = self.clients.get_mut(&id) {
                c.close_after_reply = true;
            }
        }
    }
}

/// The host part of `ip:port` (IPv6 addresses keep their colons).
pub(super) fn host_of(addr: &str) -> String {
    addr.rsplit_once(':').map_or(addr, |(h, _)| h).trim_start_matches('[').trim_end_matches(']').to_string()
}
