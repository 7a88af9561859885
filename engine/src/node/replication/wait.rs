//! WAIT, and the checks replication adds before a command runs.
//!
//! WAIT blocks its client until `numreplicas` replicas acknowledged the
//! stream offset of the client's last write, or the timeout passes; either
//! way the reply is the number reached. It asks the replicas for their
//! offsets with a GETACK in the stream, as Redis does. WAIT says how many
//! replicas *received* a write, not that the write survives a failover.

use redsim_model::errors::RedisError;
use redsim_model::resp::Frame;
use redsim_model::table::{CommandSpec, Flag};

use super::super::{ClientId, Node};

/// What a client blocked in WAIT waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::node) struct WaitTarget {
    offset: u64,
    replicas: i64,
    /// None waits for ever (timeout 0).
    deadline_ms: Option<i64>,
}

const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
                               4.0 if a replica is configured to be writable (which is not the default) writes to \
                               replicas are just local and are not propagated.";

impl Node {
    /// WAIT numreplicas timeout.
    pub(super) fn wait(&mut self, id: ClientId, replicas: i64, timeout_ms: i64) -> Option<Frame> {
        if self.is_replica() {
            return Some(Frame::error(WAIT_ON_REPLICA));
        }
        let offset = self.clients.get(&id).map_or(0, |c| c.woff);
        let acked = self.replicas_acked(offset);
        // Inside a transaction nothing may block: the count as it stands.
        if acked >= replicas || self.exec_effects.is_some() {
            return Some(Frame::Integer(acked));
        }
        let deadline_ms = (timeout_ms > 0).then(|| self.now_ms + timeout_ms);
        if let Some(c) = self.clients.get_mut(&id) {
            c.waiting_repl = Some(WaitTarget { offset, replicas, deadline_ms });
        }
        self.repl.waiters.insert(id);
        self.repl.getack = true;
        None
    }

    /// Replicas online whose acknowledged offset reached `offset`.
    fn replicas_acked(&self, offset: u64) -> i64 {
        self.repl.peers.values().filter(|p| p.online() && p.ack_offset >= offset).count() as i64
    }

    /// Answers the WAITs whose replicas have acknowledged enough.
    pub(super) fn serve_waiters(&mut self) {
        let ids: Vec<ClientId> = self.repl.waiters.iter().copied().collect();
        for id in ids {
            let Some(t) = self.clients.get(&id).and_then(|c| c.waiting_repl) else {
                self.repl.waiters.remove(&id);
                continue;
            };
            let acked = self.replicas_acked(t.offset);
            if acked >= t.replicas {
                self.end_wait(id, acked);
            }
        }
    }

    /// Answers the WAITs whose time is up with the count they reached.
    pub(super) fn wait_timeouts(&mut self, now_ms: i64) {
        let ids: Vec<ClientId> = self.repl.waiters.iter().copied().collect();
        for id in ids {
            let Some(t) = self.clients.get(&id).and_then(|c| c.waiting_repl) else {
                self.repl.waiters.remove(&id);
                continue;
            };
            if t.deadline_ms.is_some_and(|d| now_ms >= d) {
                let acked = self.replicas_acked(t.offset);
                self.end_wait(id, acked);
            }
        }
    }

    fn end_wait(&mut self, id: ClientId, acked: i64) {
        self.repl.waiters.remove(&id);
        if let Some(c) = self.clients.get_mut(&id) {
            c.waiting_repl = None;
        }
        self.emit(id, &Frame::Integer(acked));
        self.pending.insert(id);
    }

    /// Replicas online that acknowledged within `min-replicas-max-lag` seconds.
    pub(super) fn good_replicas(&self) -> i64 {
        let lag = self.config.get_i64("min-replicas-max-lag");
        let now = self.now_ms;
        self.repl.peers.values().filter(|p| p.online() && (now - p.ack_ms) / 1000 <= lag).count() as i64
    }

    /// Refusals replication adds, in processCommand's order: too few good
    /// replicas for a write, a write on a read-only replica, any command
    /// that cannot serve stale data while the master link is down.
    pub(in crate::node) fn replication_denies(&self, spec: &CommandSpec, queued_write: bool) -> Option<RedisError> {
        let write = spec.has(Flag::Write) || queued_write;
        if write && !self.is_replica() {
            let (min, lag) = self.config.min_replicas();
            if min > 0 && lag > 0 && self.good_replicas() < min {
                return Some(RedisError::fixed("NOREPLICAS Not enough good replicas to write."));
            }
        }
        let Some(m) = &self.repl.master else { return None };
        if write && self.config.get_bool("replica-read-only") {
            return Some(RedisError::fixed("READONLY You can't write against a read only replica."));
        }
        if !m.is_connected() && !self.config.get_bool("replica-serve-stale-data") && !spec.has(Flag::Stale) {
            return Some(RedisError::fixed(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        // After READONLY and MASTERDOWN, as Redis checks them. Loading
        // beside the dataset served, only what would disturb the load waits.
        if self.snapshot_loading() {
            let refused = if self.async_loading() { spec.has(Flag::NoAsyncLoading) } else { !spec.has(Flag::Loading) };
            if refused {
                return Some(redsim_model::errors::LOADING);
            }
        }
        None
    }
}
