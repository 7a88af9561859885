//! Master–replica replication, as Redis 7.0 does it (PSYNC2).
//!
//! A node is a master until REPLICAOF (or `replicaof` in the configuration)
//! makes it a replica. Either way it keeps a replication id and an offset:
//! the number of stream bytes it has produced (a master) or applied (a
//! replica), so that after a broken link, a restart of the link or a
//! promotion, `PSYNC replid offset` can continue from the backlog instead of
//! transferring a snapshot again.
//!
//! - `backlog`: the bounded tail of the stream that partial resyncs read.
//! - `master`: the master's side: replicas are ordinary clients that sent
//!   REPLCONF and PSYNC; they get a snapshot, then the stream.
//! - `replica`: the replica's side: an outbound link to the master, the
//!   handshake, the snapshot transfer, then the stream applied command by
//!   command (and passed on, byte for byte, to our own replicas).
//! - `wait`: WAIT, and the write checks that depend on replicas
//!   (`min-replicas-to-write`, `replica-read-only`, stale data).
//! - `report`: ROLE and INFO replication.
//!
//! Like the rest of the core, nothing here touches a socket or a clock: the
//! stream to a replica is that client's output, the link to the master is a
//! [`Link`](super::links) and time comes with each event.

mod backlog;
mod failover;
mod master;
mod replica;
mod report;
mod shutdown;
mod transfer;
mod wait;

use std::collections::{BTreeMap, BTreeSet};

use redsim_model::command::replication::ReplicationCommand;
use redsim_model::resp::Frame;

use super::{ClientId, Node};
use backlog::Backlog;
use master::PeerState;

pub(super) use wait::WaitTarget;

/// The replication state of a node, whichever its role.
#[derive(Debug, Default)]
pub(super) struct Replication {
    /// The previous replication id and the first offset it is not valid for
    /// (`master_replid2`, `second_repl_offset`, -1 when none): a promoted
    /// replica still accepts PSYNCs of its old master's replicas.
    replid2: Option<(String, i64)>,
    /// `master_repl_offset`: stream bytes produced (master) or applied (replica).
    offset: u64,
    backlog: Option<Backlog>,
    /// When the last replica went away (the backlog's time to live counts from it).
    no_replicas_since_ms: i64,
    /// Clients that are (or are becoming) our replicas.
    peers: BTreeMap<ClientId, master::Peer>,
    /// Our master, when we are a replica.
    master: Option<replica::MasterLink>,
    /// The last time the once-a-second part of the cron ran.
    last_cron_ms: Option<i64>,
    /// Runs of the once-a-second cron: PINGs go out when it is a multiple
    /// of `repl-ping-replica-period`, as Redis counts its cron loops.
    cron_loops: u64,
    /// A WAIT asked replicas for their offsets: GETACK goes out before sleeping.
    getack: bool,
    /// Clients blocked in WAIT.
    waiters: BTreeSet<ClientId>,
    /// A FAILOVER under way.
    failover: Option<failover::Failover>,
    /// A SHUTDOWN waiting for its replicas to catch up.
    shutdown: Option<shutdown::ShutdownWait>,
    /// The snapshot being sent to replicas.
    transfer: Option<transfer::Transfer>,
    /// Our master's snapshot being loaded (we are a replica).
    snapshot_load: Option<replica::SnapshotLoad>,
}

impl Node {
    /// REPLICAOF, REPLCONF, PSYNC, SYNC, WAIT, FAILOVER. `None` when the reply
    /// comes later (WAIT) or never (PSYNC answers with raw protocol).
    pub(super) fn replication_command(&mut self, id: ClientId, cmd: ReplicationCommand) -> Option<Frame> {
        match cmd {
            ReplicationCommand::ReplicaOf { master } => Some(self.replicaof_command(id, master)),
            ReplicationCommand::ReplConf { options } => self.replconf(id, options),
            ReplicationCommand::Psync { replid, offset, failover } => {
                if failover {
                    if let Err(e) = self.accept_failover(id, &replid) {
                        return Some(e);
                    }
                }
                self.sync_request(id, Some((replid, offset)))
            }
            ReplicationCommand::Sync => self.sync_request(id, None),
            ReplicationCommand::Wait { replicas, timeout_ms } => self.wait(id, replicas, timeout_ms),
            ReplicationCommand::Failover(args) => Some(self.failover_command(args)),
        }
    }

    /// Whether this node follows a master (REPLICAOF host port in force).
    pub fn is_replica(&self) -> bool {
        self.repl.master.is_some()
    }

    /// The stream offset a write made now would end at: what was fed, plus
    /// what the current event propagated and has not been flushed yet.
    pub(super) fn repl_offset_now(&self) -> u64 {
        self.repl.offset + self.propagation.repl_feed_len() as u64
    }

    /// Replication's part of serverCron: every tick for WAIT timeouts and
    /// delayed full syncs, once a second for the rest (Redis's replicationCron).
    pub(super) fn replication_cron(&mut self, now_ms: i64) {
        self.wait_timeouts(now_ms);
        self.start_due_full_syncs(now_ms);
        self.failover_cron(now_ms);
        self.shutdown_wait_progress();
        if self.repl.last_cron_ms.is_some_and(|t| now_ms - t < 1000) {
            return;
        }
        self.repl.last_cron_ms = Some(now_ms);
        self.replica_cron(now_ms);
        self.master_cron(now_ms);
        self.repl.cron_loops += 1;
    }

    /// Before replies go out: GETACKs asked by WAIT, then the stream
    /// produced by this event to the backlog and the replicas.
    pub(super) fn replication_before_sleep(&mut self) {
        if std::mem::take(&mut self.repl.getack) && !self.repl.peers.is_empty() {
            self.propagation.feed_raw(&encode(&[b"REPLCONF", b"GETACK", b"*"]));
        }
        self.flush_repl_feed();
    }

    /// Feeds what this event propagated so far to the backlog and the
    /// replicas: before reading the backlog, taking a snapshot or turning the
    /// feed off, so that offsets name exactly what was sent.
    fn flush_repl_feed(&mut self) {
        let bytes = self.propagation.take_repl_feed();
        if !bytes.is_empty() {
            self.feed_stream(&bytes);
        }
    }

    /// Appends stream bytes to the backlog and every replica's output.
    fn feed_stream(&mut self, bytes: &[u8]) {
        self.repl.offset += bytes.len() as u64;
        if let Some(b) = &mut self.repl.backlog {
            b.feed(bytes);
        }
        let ids: Vec<ClientId> = self.repl.peers.keys().copied().collect();
        for id in ids {
            self.peer_feed(id, bytes);
        }
    }

    /// A fresh replication history (a new master, or a backlog created for
    /// the first replica): a new id, no previous one.
    fn change_replid(&mut self) {
        self.replid = super::hex40(&mut self.rng);
        self.repl.replid2 = None;
    }

    /// The node stops following its history's master (promotion): the
    /// current id becomes the previous one, valid up to the current offset.
    fn shift_replid(&mut self) {
        let old = std::mem::replace(&mut self.replid, super::hex40(&mut self.rng));
        self.repl.replid2 = Some((old, self.repl.offset as i64 + 1));
        let (replid, offset) = (self.replid.clone(), self.repl.offset);
        self.log(
            super::LogLevel::Warning,
            format!(
                "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {replid}",
                self.repl.replid2.as_ref().map_or("", |r| r.0.as_str()),
                offset + 1
            ),
        );
    }

    /// `repl-backlog-size`, with Redis's floor of 16 KiB.
    fn backlog_capacity(&self) -> usize {
        self.config.get_u64("repl-backlog-size").max(16 * 1024) as usize
    }

    /// Makes sure a backlog exists (starting after the current offset).
    fn ensure_backlog(&mut self) {
        if self.repl.backlog.is_none() {
            self.repl.backlog = Some(Backlog::new(self.backlog_capacity(), self.repl.offset));
        }
    }

    /// CONFIG SET repl-backlog-size.
    pub(super) fn repl_backlog_resized(&mut self) {
        let size = self.backlog_capacity();
        if let Some(b) = &mut self.repl.backlog {
            b.resize(size);
        }
    }

    /// What an RDB file records of the replication history
    /// (`repl-stream-db`, `repl-id`, `repl-offset`): a replica's, so that
    /// after a restart it can continue with its master, or a master's with
    /// a backlog.
    pub(super) fn repl_save_info(&self) -> Option<(u32, String, i64)> {
        match &self.repl.master {
            Some(m) if m.has_history() => Some((m.stream_db() as u32, self.replid.clone(), self.repl.offset as i64)),
            Some(_) => None,
            None => self.repl.backlog.as_ref().map(|_| (0, self.replid.clone(), self.repl.offset as i64)),
        }
    }

    /// The replication history an RDB file loaded at startup recorded: a
    /// replica continues it (PSYNC with that id and offset); a master keeps
    /// it as its previous history, so its old replicas can continue.
    pub(super) fn restore_repl_info(&mut self, info: &redsim_model::rdb::RdbInfo) {
        let offset = info.aux_text("repl-offset").and_then(|o| o.parse::<i64>().ok());
        let (Some(id), Some(offset)) = (info.aux_text("repl-id"), offset) else {
            return;
        };
        if id.len() != 40 || offset < 0 {
            return;
        }
        let offset = offset as u64;
        match &mut self.repl.master {
            Some(m) => {
                m.restore_history();
                m.restore_stream_db(replica::stream_db_of(info));
                self.replid = id;
                self.repl.offset = offset;
                self.log_synthesized_cached_master();
            }
            None => {
                self.repl.replid2 = Some((id, offset as i64 + 1));
                self.repl.offset = offset;
                self.repl.backlog = None;
                self.ensure_backlog();
                self.propagation.set_repl_feed(true);
                self.repl.no_replicas_since_ms = self.now_ms;
            }
        }
    }

    /// `PSYNC ... FAILOVER` from our master: it hands its role to us, so we
    /// become a master before answering (its id must be ours: it is synced).
    fn accept_failover(&mut self, id: ClientId, replid: &[u8]) -> Result<(), Frame> {
        if replid != self.replid.as_bytes() {
            return Err(Frame::error("ERR PSYNC FAILOVER replid must match my replid."));
        }
        if self.is_replica() {
            self.unset_master();
            let who = self.clients.get(&id).map(|c| format!("id={id} addr={}", c.conn.addr)).unwrap_or_default();
            self.log(super::LogLevel::Notice, format!("MASTER MODE enabled (failover request from '{who}')"));
        }
        Ok(())
    }

    /// The replicas waiting for, or being sent, their snapshot, with the
    /// stream held for each meanwhile: all their output buffer holds for
    /// `client-output-buffer-limit`, as Redis writes the snapshot itself to
    /// the socket past the buffer.
    pub(super) fn replicas_in_sync(&self) -> impl Iterator<Item = (ClientId, usize)> + '_ {
        self.repl
            .peers
            .iter()
            .filter(|(_, p)| {
                matches!(
                    p.state,
                    PeerState::WaitSync { .. } | PeerState::Sending | PeerState::Online { streaming: false }
                )
            })
            .map(|(id, p)| (*id, p.held.len()))
    }

    /// A client went away: if it was a replica, forget it.
    pub(super) fn replication_client_gone(&mut self, id: ClientId) {
        let name = self.peer_name(id);
        if self.repl.peers.remove(&id).is_some_and(|p| p.counts()) {
            self.log(super::LogLevel::Warning, format!("Connection with replica {name} lost."));
        }
        if self.repl.peers.values().all(|p| !p.counts()) {
            self.repl.no_replicas_since_ms = self.now_ms;
        }
        self.repl.waiters.remove(&id);
    }
}

/// `argv` as a RESP request.
fn encode(argv: &[&[u8]]) -> Vec<u8> {
    let argv: Vec<bytes::Bytes> = argv.iter().map(|a| bytes::Bytes::copy_from_slice(a)).collect();
    let mut out = Vec::new();
    redsim_model::resp::encode_request(&argv, &mut out);
    out
}
