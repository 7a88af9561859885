//! A full resynchronisation's snapshot made a piece at a time: written to
//! the replicas as it is made in the `$EOF:<mark>` form (Redis's diskless
//! sync, where a forked child writes the RDB to the replicas' sockets), or
//! sent after its `$<length>`: the file of a BGSAVE, read back once saved
//! (Redis's disk target), or on a node without a disk gathered in memory
//! from the snapshot. A step waits while a
//! replica's socket holds a window of it unwritten, as Redis waits for the
//! replicas' sockets: a slow replica paces the transfer.
//!
//! The transfer reads the engine's snapshot (`Engine::start_snapshot`) in
//! steps of [`STEP_BYTES`], one per timer turn: the node asks its driver
//! for a timer due at once while a transfer runs, so client requests are
//! served between the steps. Replicas whose sync falls due during a
//! transfer wait for the next one, as Redis's replicas wait for the next
//! child; so do those whose sync falls due during a background save or
//! rewrite, and a transfer counts as Redis's RDB child for them in turn
//! (see `child.rs`). What the master propagates meanwhile is held for
//! each replica until the snapshot is out (EOF form: until the replica
//! acknowledges it).

use super::super::persistence::SaveSource;
use super::super::{ClientId, LogLevel, Node};
use super::master::PeerState;

/// Bytes of snapshot produced per step: about a quarter of a millisecond of
/// work, so a request arriving meanwhile waits little.
const STEP_BYTES: usize = 128 * 1024;

/// Snapshot bytes a replica's connection may hold unwritten before the
/// next step waits: the driver's reports ([`Node::client_output_pending`])
/// pace the transfer to the slowest replica, as Redis's pipe waits for
/// every replica's socket. Drivers that do not report are not waited for.
const WINDOW_BYTES: u64 = 4 * STEP_BYTES as u64;

/// The snapshot being sent to replicas.
pub(super) struct Transfer {
    /// The replicas it goes to (those gone since are skipped).
    peers: Vec<ClientId>,
    /// The snapshot read out of the engine; None when a BGSAVE to disk
    /// makes the payload ([`Transfer::on_disk`]).
    source: Option<SaveSource>,
    form: Form,
    /// The payload is the file of a BGSAVE (`repl-diskless-sync no` on a
    /// node with a disk, as Redis's disk target): the save is the child,
    /// the transfer waits for its file, then sends it.
    on_disk: bool,
    /// `+FULLRESYNC <replid> <offset>`: the point the snapshot stands for.
    fullresync: String,
    /// When it started, for INFO's `rdb_current_bgsave_time_sec`.
    start_ms: i64,
}

/// How the payload is framed.
enum Form {
    /// `$EOF:<mark>`, the payload, the same 40 characters.
    Eof { mark: String },
    /// `$<length>` and the payload, gathered here until it is complete
    /// (`sent: None`), then sent a step at a time like the EOF form.
    Length { payload: Vec<u8>, sent: Option<usize> },
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer").field("peers", &self.peers).finish_non_exhaustive()
    }
}

impl Node {
    /// Starts sending the snapshot of this moment to `peers`, in the EOF
    /// form when `eof`: `+FULLRESYNC`, `$EOF:<mark>`, then steps. With
    /// `exclude_data` (always in the EOF form) it holds no keys.
    pub(super) fn start_transfer(&mut self, peers: Vec<ClientId>, eof: bool, exclude_data: bool) {
        let (offset, opts) = self.sync_point();
        let on_disk = !eof && self.persist.is_started();
        let source =
            (!on_disk).then(|| if exclude_data { self.rdb_source_without_data(&opts) } else { self.rdb_source(&opts) });
        let form = if eof {
            Form::Eof { mark: super::super::hex40(&mut self.rng) }
        } else {
            Form::Length { payload: Vec::new(), sent: None }
        };
        let now = self.now_ms;
        let fullresync = format!("+FULLRESYNC {} {offset}\r\n", self.replid);
        let mark = match &form {
            Form::Eof { mark } => Some(mark.as_str()),
            Form::Length { .. } => None,
        };
        for &id in &peers {
            self.begin_sending(id, &fullresync, mark);
        }
        let target = if eof { "replicas sockets" } else { "disk" };
        self.log(LogLevel::Notice, format!("Starting BGSAVE for SYNC with target: {target}"));
        if eof {
            let pid = self.process.process_id;
            self.log(LogLevel::Notice, format!("Background RDB transfer started by pid {pid}"));
        }
        self.repl.transfer = Some(Transfer { peers, source, form, on_disk, fullresync, start_ms: now });
        if on_disk {
            self.start_sync_save(&opts);
        } else {
            self.transfer_step();
        }
    }

    /// The sync's BGSAVE ended: its file goes to the replicas waiting for
    /// it, a step at a time; or each of them is told why not and dropped
    /// (Redis's `updateSlavesWaitingBgsave`), to come back for another.
    pub(in crate::node) fn sync_save_done(&mut self, file: Result<Vec<u8>, String>) {
        let Some(mut t) = self.repl.transfer.take().filter(|t| t.on_disk) else { return };
        match file {
            Ok(bytes) => {
                self.send_length_head(&t.peers, bytes.len());
                t.form = Form::Length { payload: bytes, sent: Some(0) };
                self.repl.transfer = Some(t);
                self.transfer_step();
            }
            Err(why) => {
                for id in &t.peers {
                    if self.repl.peers.get(id).is_some_and(|p| p.state == PeerState::Sending) {
                        self.log(LogLevel::Warning, why.clone());
                        if let Some(c) = self.clients.get_mut(id) {
                            c.close_after_reply = true;
                        }
                    }
                }
                let now = self.now_ms;
                self.start_due_full_syncs(now);
            }
        }
    }

    /// Replica `id` is sent what goes before its payload: `+FULLRESYNC`
    /// (not after SYNC) and, in the EOF form, `$EOF:<mark>`.
    fn begin_sending(&mut self, id: ClientId, fullresync: &str, mark: Option<&str>) {
        let now = self.now_ms;
        let Some(p) = self.repl.peers.get_mut(&id) else { return };
        let mut head = String::new();
        if !p.pre_psync {
            head.push_str(fullresync);
        }
        if let Some(mark) = mark {
            head.push_str(&format!("$EOF:{mark}\r\n"));
        }
        p.state = PeerState::Sending;
        p.ack_ms = now;
        if let Some(c) = self.clients.get_mut(&id) {
            c.out.extend_from_slice(head.as_bytes());
        }
    }

    /// A replica asking for a full sync while a length-form snapshot is
    /// still being made joins it, with a copy of the stream held for a
    /// replica already on it: Redis attaches such a replica to the BGSAVE
    /// made for another ("Waiting for end of BGSAVE for SYNC"). False when
    /// it cannot: the EOF form (its payload is already going out), a
    /// payload complete and being sent, capabilities narrower than those
    /// of the replica it would copy, or a replica that wants no keys.
    pub(super) fn attach_to_transfer(&mut self, id: ClientId) -> bool {
        let Some(t) = &self.repl.transfer else { return false };
        if !matches!(t.form, Form::Length { sent: None, .. }) {
            return false;
        }
        let peers = &self.repl.peers;
        let Some(other) = t.peers.iter().filter_map(|p| peers.get(p)).find(|p| p.state == PeerState::Sending) else {
            return false;
        };
        let Some(new) = peers.get(&id) else { return false };
        if (other.capa_eof && !new.capa_eof) || (other.capa_psync2 && !new.capa_psync2) || new.exclude_data {
            return false;
        }
        let held = other.held.clone();
        let fullresync = t.fullresync.clone();
        self.begin_sending(id, &fullresync, None);
        if let Some(p) = self.repl.peers.get_mut(&id) {
            p.held = held;
        }
        if let Some(t) = self.repl.transfer.as_mut() {
            t.peers.push(id);
        }
        self.log(LogLevel::Notice, "Waiting for end of BGSAVE for SYNC".into());
        true
    }

    /// FLUSHALL kills Redis's RDB child, a transfer's too: its replicas'
    /// sync fails (their connection is closed), and they come back for a
    /// snapshot of the emptied dataset rather than get the old one.
    pub(in crate::node) fn kill_transfer(&mut self) {
        let Some(t) = self.end_transfer_child() else { return };
        let what = if matches!(t.form, Form::Eof { .. }) { "transfer" } else { "saving" };
        self.log(LogLevel::Warning, format!("Background {what} terminated by signal 10"));
        for id in &t.peers {
            if self.repl.peers.get(id).is_some_and(|p| p.state == PeerState::Sending) {
                self.log(LogLevel::Warning, "SYNC failed. BGSAVE child returned an error".into());
                if let Some(c) = self.clients.get_mut(id) {
                    c.close_after_reply = true;
                }
            }
        }
    }

    /// `$<length>` to the replicas of a payload complete and about to be
    /// sent (apart from it: a copy of a large payload would stall the node).
    fn send_length_head(&mut self, peers: &[ClientId], len: usize) {
        let head = format!("${len}\r\n");
        for id in peers {
            if self.repl.peers.get(id).is_some_and(|p| p.state == PeerState::Sending) {
                if let Some(c) = self.clients.get_mut(id) {
                    c.out.extend_from_slice(head.as_bytes());
                }
            }
        }
    }

    /// Ends a transfer making its snapshot, leaving its replicas as they
    /// are (SHUTDOWN: the process exits).
    pub(in crate::node) fn drop_transfer(&mut self) {
        self.end_transfer_child();
    }

    /// Ends a transfer making its snapshot: the transfer, if there was one.
    fn end_transfer_child(&mut self) -> Option<Transfer> {
        if !self.transfer_making_snapshot() {
            return None;
        }
        let t = self.repl.transfer.take()?;
        if let Some(source) = &t.source {
            source.cancel(self.engine.as_mut());
        }
        self.transfer_ended(&t);
        Some(t)
    }

    /// Whether a snapshot is going to replicas.
    pub(in crate::node) fn transfer_running(&self) -> bool {
        self.repl.transfer.is_some()
    }

    /// Whether the transfer is still making its snapshot: Redis's RDB
    /// child. A length-form payload already made is only being sent, as
    /// Redis's parent sends the file its child wrote, with no child.
    pub(in crate::node) fn transfer_making_snapshot(&self) -> bool {
        self.repl.transfer.as_ref().is_some_and(|t| !t.on_disk && !matches!(t.form, Form::Length { sent: Some(_), .. }))
    }

    /// Whether the transfer under way is in the EOF form (Redis's socket target).
    pub(super) fn transfer_to_sockets(&self) -> bool {
        self.repl.transfer.as_ref().is_some_and(|t| matches!(t.form, Form::Eof { .. }))
    }

    /// When the transfer making its snapshot started (INFO's
    /// `rdb_current_bgsave_time_sec`).
    pub(in crate::node) fn transfer_start_ms(&self) -> Option<i64> {
        self.repl.transfer.as_ref().filter(|_| self.transfer_making_snapshot()).map(|t| t.start_ms)
    }

    /// The transfer ended, done or dropped: INFO's `rdb_last_bgsave_time_sec`
    /// counts it, as Redis's does its child's (a sync to disk's child is its
    /// BGSAVE, which counted itself).
    fn transfer_ended(&mut self, t: &Transfer) {
        if !t.on_disk {
            self.persist.set_last_bgsave_secs((self.now_ms - t.start_ms).max(0) / 1000);
        }
    }

    /// When the transfer wants its next step: at once while one runs, or
    /// in a millisecond while a replica's connection has a window unwritten.
    pub(in crate::node) fn transfer_timer(&self) -> Option<i64> {
        let t = self.repl.transfer.as_ref().filter(|t| !Self::waits_for_its_save(t))?;
        Some(if self.transfer_waits(t) { self.now_ms + 1 } else { self.now_ms })
    }

    /// A transfer to disk whose BGSAVE is still writing the file.
    fn waits_for_its_save(t: &Transfer) -> bool {
        t.on_disk && matches!(t.form, Form::Length { sent: None, .. })
    }

    /// Whether a replica's connection holds a window of snapshot unwritten.
    fn transfer_waits(&self, t: &Transfer) -> bool {
        t.peers.iter().any(|id| self.clients.get(id).is_some_and(|c| c.unsent >= WINDOW_BYTES))
    }

    /// Makes the next [`STEP_BYTES`] of the snapshot: written to the
    /// replicas in the EOF form (the mark after the last); in the length
    /// form kept until the end, then written a step at a time. At the end
    /// EOF replicas wait for their first ACK; length-form ones get the
    /// stream held meanwhile at once.
    pub(in crate::node) fn transfer_step(&mut self) {
        let Some(mut t) = self.repl.transfer.take() else { return };
        if Self::waits_for_its_save(&t) {
            self.repl.transfer = Some(t);
            return;
        }
        let peers = &self.repl.peers;
        t.peers.retain(|id| peers.get(id).is_some_and(|p| p.state == PeerState::Sending));
        if t.peers.is_empty() {
            if let Some(source) = &t.source {
                source.cancel(self.engine.as_mut());
            }
            self.transfer_ended(&t);
            if matches!(t.form, Form::Eof { .. }) {
                self.log(
                    LogLevel::Warning,
                    "Diskless rdb transfer, done reading from pipe, 0 replicas still up.".into(),
                );
            }
            return;
        }
        if self.transfer_waits(&t) {
            self.repl.transfer = Some(t);
            return;
        }
        let (out, finished) = match &mut t.form {
            // A gathered payload goes out as the EOF form's does, a step at
            // a time within the window: sent whole, a replica's socket would
            // hold all of it unwritten.
            Form::Length { payload, sent: Some(sent) } => {
                let end = (*sent + STEP_BYTES).min(payload.len());
                let out = payload[*sent..end].to_vec();
                *sent = end;
                (out, end == payload.len())
            }
            _ => {
                let mut piece = Vec::with_capacity(STEP_BYTES + STEP_BYTES / 2);
                let mut made = false;
                // Only a BGSAVE's payload has no source, and it never gets here.
                debug_assert!(t.source.is_some());
                while piece.len() < STEP_BYTES {
                    match t.source.as_mut().and_then(|s| s.next_piece(self.engine.as_mut())) {
                        Some(bytes) => piece.extend_from_slice(&bytes),
                        None => {
                            made = true;
                            break;
                        }
                    }
                }
                match &mut t.form {
                    Form::Eof { mark } => {
                        if made {
                            piece.extend_from_slice(mark.as_bytes());
                        }
                        (piece, made)
                    }
                    Form::Length { payload, sent } => {
                        payload.extend_from_slice(&piece);
                        if made {
                            *sent = Some(0);
                            let len = payload.len();
                            self.send_length_head(&t.peers, len);
                        }
                        (Vec::new(), false)
                    }
                }
            }
        };
        for id in &t.peers {
            if let Some(c) = self.clients.get_mut(id) {
                c.out.extend_from_slice(&out);
            }
        }
        if !finished {
            self.repl.transfer = Some(t);
            return;
        }
        let now = self.now_ms;
        let eof = matches!(t.form, Form::Eof { .. });
        self.transfer_ended(&t);
        if eof {
            let up = t.peers.len();
            self.log(
                LogLevel::Warning,
                format!("Diskless rdb transfer, done reading from pipe, {up} replicas still up."),
            );
            self.log(LogLevel::Notice, "Background RDB transfer terminated with success".into());
        }
        for id in &t.peers {
            if let Some(p) = self.repl.peers.get_mut(id) {
                p.state = PeerState::Online { streaming: !eof };
                p.ack_ms = now;
                // The length form's replica reads exactly the payload: what
                // was held follows at once.
                if !eof {
                    if let Some(c) = self.clients.get_mut(id) {
                        c.out.append(&mut p.held);
                    }
                }
            }
            let addr = self.peer_name(*id);
            if eof {
                self.log(
                    LogLevel::Notice,
                    format!(
                        "Streamed RDB transfer with replica {addr} succeeded (socket). Waiting for REPLCONF ACK from \
                         slave to enable streaming"
                    ),
                );
            }
            self.log(LogLevel::Notice, format!("Synchronization with replica {addr} succeeded"));
        }
        // Replicas that fell due meanwhile get the next snapshot at once
        // (a BGSAVE or rewrite scheduled meanwhile waits for that one too).
        self.start_due_full_syncs(now);
    }
}
