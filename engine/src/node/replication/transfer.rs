//! A full resynchronisation's snapshot written to replicas a piece at a
//! time, in the `$EOF:<mark>` form (Redis's diskless sync, where a forked
//! child writes the RDB to the replicas' sockets).
//!
//! The transfer reads the engine's snapshot (`Engine::start_snapshot`) in
//! steps of [`STEP_BYTES`], one per timer turn: the node asks its driver
//! for a timer due at once while a transfer runs, so client requests are
//! served between the steps. Replicas whose sync falls due during a
//! transfer wait for the next one, as Redis's replicas wait for the next
//! child. What the master propagates meanwhile is held for each replica
//! until it acknowledges the snapshot.

use super::super::persistence::SaveSource;
use super::super::{ClientId, LogLevel, Node};
use super::master::PeerState;

/// Bytes of snapshot produced per step: about a quarter of a millisecond of
/// work, so a request arriving meanwhile waits little.
const STEP_BYTES: usize = 128 * 1024;

/// The snapshot being sent to replicas.
pub(super) struct Transfer {
    /// The replicas it goes to (those gone since are skipped).
    peers: Vec<ClientId>,
    source: SaveSource,
    /// The 40 characters that end the payload.
    mark: String,
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer").field("peers", &self.peers).finish_non_exhaustive()
    }
}

impl Node {
    /// Starts sending the snapshot of this moment to `peers`, which asked
    /// for the EOF form: `+FULLRESYNC`, `$EOF:<mark>`, then steps.
    pub(super) fn start_transfer(&mut self, peers: Vec<ClientId>) {
        let (offset, opts) = self.sync_point();
        let source = self.rdb_source(&opts);
        let mark = super::super::hex40(&mut self.rng);
        let now = self.now_ms;
        for &id in &peers {
            let Some(p) = self.repl.peers.get_mut(&id) else { continue };
            let mut head = String::new();
            if !p.pre_psync {
                head.push_str(&format!("+FULLRESYNC {} {offset}\r\n", self.replid));
            }
            head.push_str(&format!("$EOF:{mark}\r\n"));
            p.state = PeerState::Sending;
            p.ack_ms = now;
            if let Some(c) = self.clients.get_mut(&id) {
                c.out.extend_from_slice(head.as_bytes());
            }
        }
        self.log(LogLevel::Notice, "Starting BGSAVE for SYNC with target: replicas sockets".into());
        self.repl.transfer = Some(Transfer { peers, source, mark });
        self.transfer_step();
    }

    /// When the transfer wants its next step: at once while one runs.
    pub(in crate::node) fn transfer_timer(&self) -> Option<i64> {
        self.repl.transfer.as_ref().map(|_| self.now_ms)
    }

    /// Writes the next [`STEP_BYTES`] of the snapshot to its replicas; at
    /// the end, the mark, and the replicas wait for their first ACK.
    pub(in crate::node) fn transfer_step(&mut self) {
        let Some(mut t) = self.repl.transfer.take() else { return };
        let peers = &self.repl.peers;
        t.peers.retain(|id| peers.get(id).is_some_and(|p| p.state == PeerState::Sending));
        if t.peers.is_empty() {
            t.source.cancel(self.engine.as_mut());
            self.log(LogLevel::Warning, "Diskless rdb transfer, done reading from pipe, 0 replicas still up.".into());
            return;
        }
        let mut piece = Vec::with_capacity(STEP_BYTES + STEP_BYTES / 2);
        let mut finished = false;
        while piece.len() < STEP_BYTES {
            match t.source.next_piece(self.engine.as_mut()) {
                Some(bytes) => piece.extend_from_slice(&bytes),
                None => {
                    finished = true;
                    piece.extend_from_slice(t.mark.as_bytes());
                    break;
                }
            }
        }
        for id in &t.peers {
            if let Some(c) = self.clients.get_mut(id) {
                c.out.extend_from_slice(&piece);
            }
        }
        if !finished {
            self.repl.transfer = Some(t);
            return;
        }
        let now = self.now_ms;
        for id in &t.peers {
            if let Some(p) = self.repl.peers.get_mut(id) {
                p.state = PeerState::Online { streaming: false };
                p.ack_ms = now;
            }
            let addr = self.peer_name(*id);
            self.log(LogLevel::Notice, format!("Synchronization with replica {addr} succeeded"));
        }
        // Replicas that fell due meanwhile get the next snapshot.
        self.start_due_full_syncs(now);
    }
}
