//! SHUTDOWN on a master with replicas, as Redis 7.0: unless NOW is given or
//! `shutdown-timeout` is 0, writes are paused and the shutdown waits (up to
//! `shutdown-timeout` seconds) until every replica has acknowledged the
//! whole stream, so that a planned restart loses nothing a replica could
//! have had. SHUTDOWN ABORT cancels the wait.

use redsim_model::command::server::ShutdownArgs;
use redsim_model::resp::Frame;

use super::super::{ClientId, LogLevel, Node, Pause};

/// A shutdown waiting for its replicas.
#[derive(Clone, Debug)]
pub(super) struct ShutdownWait {
    client: Option<ClientId>,
    args: ShutdownArgs,
    deadline_ms: i64,
}

impl Node {
    /// SHUTDOWN (or a signal) asked to stop: wait for lagging replicas first
    /// when Redis would. True when the shutdown now waits.
    pub(in crate::node) fn shutdown_waits_for_replicas(
        &mut self,
        client: Option<ClientId>,
        args: ShutdownArgs,
    ) -> bool {
        self.log(LogLevel::Warning, "User requested shutdown...".into());
        let timeout = self.config.get_i64("shutdown-timeout");
        if args.now || timeout == 0 || self.replicas_caught_up() {
            return false;
        }
        if self.repl.shutdown.is_some() {
            return true;
        }
        self.repl.shutdown = Some(ShutdownWait { client, args, deadline_ms: self.now_ms + timeout * 1000 });
        self.repl.getack = true;
        self.pause = Some(Pause { until_ms: i64::MAX, all: false });
        if let Some(id) = client {
            if let Some(c) = self.clients.get_mut(&id) {
                c.waiting_disk = true;
            }
        }
        self.log(LogLevel::Notice, "Waiting for replicas before shutting down.".into());
        true
    }

    /// Every replica (one that asked to sync, whatever its state) has
    /// acknowledged the whole stream: Redis's `isReadyToShutdown`.
    fn replicas_caught_up(&self) -> bool {
        let offset = self.repl_offset_now();
        self.repl.peers.values().filter(|p| p.counts()).all(|p| p.ack_offset >= offset)
    }

    /// Redis's account of the replicas as the shutdown proceeds (its
    /// `finishShutdown`): each one behind the stream, then how many are not.
    pub(in crate::node) fn log_replicas_at_shutdown(&mut self) {
        let offset = self.repl_offset_now();
        let now_secs = self.now_ms.div_euclid(1000);
        let replicas: Vec<(ClientId, u64, i64, &'static str)> = self
            .repl
            .peers
            .iter()
            .filter(|(_, p)| p.counts())
            .map(|(id, p)| {
                let lag = if p.online() { now_secs - p.ack_ms.div_euclid(1000) } else { 0 };
                (*id, p.ack_offset, lag, p.state_name())
            })
            .collect();
        let mut lagging = 0;
        for &(id, ack, lag, state) in &replicas {
            if ack < offset {
                lagging += 1;
                let name = self.peer_name(id);
                let behind = offset - ack;
                self.log(
                    LogLevel::Warning,
                    format!("Lagging replica {name} reported offset {behind} behind master, lag={lag}, state={state}."),
                );
            }
        }
        if !replicas.is_empty() {
            let (n, in_sync) = (replicas.len(), replicas.len() - lagging);
            self.log(LogLevel::Notice, format!("{in_sync} of {n} replicas are in sync when shutting down."));
        }
    }

    /// Each tick and each ACK: go on with the shutdown once the replicas
    /// have caught up or the time is up.
    pub(super) fn shutdown_wait_progress(&mut self) {
        let Some(w) = self.repl.shutdown.clone() else { return };
        let ready = self.replicas_caught_up();
        if !ready && self.now_ms < w.deadline_ms {
            return;
        }
        self.repl.shutdown = None;
        self.unpause();
        if let Some(id) = w.client {
            if let Some(c) = self.clients.get_mut(&id) {
                c.waiting_disk = false;
            }
        }
        let mut args = w.args;
        args.now = true;
        self.begin_shutdown(w.client, args);
    }

    /// SHUTDOWN ABORT: cancels a shutdown waiting for replicas. None when
    /// there is none to cancel.
    pub(in crate::node) fn abort_shutdown_wait(&mut self) -> Option<Frame> {
        let w = self.repl.shutdown.take()?;
        self.unpause();
        self.log(LogLevel::Warning, "Shutdown manually aborted.".into());
        if let Some(id) = w.client {
            if let Some(c) = self.clients.get_mut(&id) {
                c.waiting_disk = false;
            }
            self.emit(id, &Frame::error("ERR Errors trying to SHUTDOWN. Check logs."));
            self.pending.insert(id);
        }
        Some(Frame::ok())
    }
}
