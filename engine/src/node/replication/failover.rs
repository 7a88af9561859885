//! FAILOVER: a master hands its role to one of its replicas without losing
//! a write, as Redis 7.0 does it. Writes are paused; once a replica has
//! acknowledged everything (or the timeout passes with FORCE), the master
//! becomes that replica's replica and asks `PSYNC <replid> <offset>
//! FAILOVER`, which makes the target promote itself before answering. The
//! old master continues as a replica of the new one with a partial resync.

use redsim_model::command::replication::FailoverArgs;
use redsim_model::resp::Frame;

use super::super::{ClientId, LogLevel, Node, Pause};

/// A failover under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Failover {
    /// TO host port, if one was named.
    target: Option<(String, i64)>,
    force: bool,
    deadline_ms: Option<i64>,
    /// Set once the master has become the target's replica.
    handed_to: Option<(String, i64)>,
}

impl Failover {
    /// INFO's `master_failover_state`.
    pub fn state_name(&self) -> &'static str {
        if self.handed_to.is_some() {
            "failover-in-progress"
        } else {
            "waiting-for-sync"
        }
    }

    /// The master is a replica of the target and waits for its PSYNC answer.
    pub fn in_progress(&self) -> bool {
        self.handed_to.is_some()
    }
}

impl Node {
    /// FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | ABORT.
    pub(super) fn failover_command(&mut self, args: FailoverArgs) -> Frame {
        if args.abort {
            if self.repl.failover.is_none() {
                return Frame::error("ERR No failover in progress.");
            }
            self.abort_failover("Failover manually aborted");
            return Frame::ok();
        }
        if self.repl.failover.is_some() {
            return Frame::error("ERR FAILOVER already in progress.");
        }
        if self.is_replica() {
            return Frame::error("ERR FAILOVER is not valid when server is a replica.");
        }
        if !self.repl.peers.values().any(|p| p.counts()) {
            return Frame::error("ERR FAILOVER requires connected replicas.");
        }
        if args.force && (args.timeout_ms.is_none() || args.to.is_none()) {
            return Frame::error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.");
        }
        if let Some((host, port)) = &args.to {
            match self.find_peer(host, *port) {
                None => return Frame::error("ERR FAILOVER target HOST and PORT is not a replica."),
                Some(id) if !self.repl.peers[&id].online() => {
                    return Frame::error("ERR FAILOVER target replica is not online.")
                }
                Some(_) => self.log(LogLevel::Notice, format!("FAILOVER requested to {host}:{port}.")),
            }
        } else {
            self.log(LogLevel::Notice, "FAILOVER requested to any replica.".into());
        }
        let deadline_ms = args.timeout_ms.map(|t| self.now_ms + t);
        self.repl.failover = Some(Failover { target: args.to, force: args.force, deadline_ms, handed_to: None });
        // Writes wait (reads go on) until the failover ends either way.
        self.pause = Some(Pause { until_ms: i64::MAX, all: false });
        self.repl.getack = true;
        Frame::ok()
    }

    /// The replica connected as `host:port` (its announced address).
    fn find_peer(&self, host: &str, port: i64) -> Option<ClientId> {
        self.repl
            .peers
            .iter()
            .find(|(id, p)| p.counts() && p.port == port && self.peer_host(**id) == host)
            .map(|(id, _)| *id)
    }

    /// Each tick while waiting: hand over to a replica that has everything,
    /// or give up (or force it) when the time is up.
    pub(super) fn failover_cron(&mut self, now_ms: i64) {
        let Some(f) = self.repl.failover.clone() else { return };
        if f.in_progress() {
            return;
        }
        let offset = self.repl_offset_now();
        let synced = self
            .repl
            .peers
            .iter()
            .filter(|(id, p)| {
                p.online()
                    && p.ack_offset >= offset
                    && f.target.as_ref().is_none_or(|(h, port)| p.port == *port && self.peer_host(**id) == *h)
            })
            .map(|(id, p)| (self.peer_host(*id), p.port))
            .next();
        if let Some((host, port)) = synced {
            self.log(LogLevel::Notice, format!("Failover target {host}:{port} is synced, failing over."));
            self.hand_over(host, port);
            return;
        }
        if f.deadline_ms.is_some_and(|d| now_ms >= d) {
            match (&f.target, f.force) {
                (Some((host, port)), true) => {
                    self.log(LogLevel::Notice, format!("FAILOVER to {host}:{port} time out exceeded, failing over."));
                    self.hand_over(host.clone(), *port);
                }
                _ => self.abort_failover("Replica never caught up before timeout"),
            }
        }
    }

    /// Becomes the target's replica; the PSYNC says FAILOVER.
    fn hand_over(&mut self, host: String, port: i64) {
        if let Some(f) = &mut self.repl.failover {
            f.handed_to = Some((host.clone(), port));
        }
        self.set_master(host, port);
    }

    /// Whether the PSYNC this replica sends must carry FAILOVER.
    pub(super) fn failing_over(&self) -> bool {
        self.repl.failover.as_ref().is_some_and(Failover::in_progress)
    }

    /// The new master answered our PSYNC: the failover is over.
    pub(super) fn failover_done(&mut self) {
        if self.repl.failover.take().is_some() {
            self.unpause();
        }
    }

    /// Gives up: writes resume, and a master that had handed over is a
    /// master again.
    pub(super) fn abort_failover(&mut self, why: &str) {
        let Some(f) = self.repl.failover.take() else { return };
        match &f.target {
            Some((host, port)) => self.log(LogLevel::Notice, format!("FAILOVER to {host}:{port} aborted: {why}")),
            None => self.log(LogLevel::Notice, format!("FAILOVER to any replica aborted: {why}")),
        }
        if f.in_progress() {
            self.unset_master();
        }
        self.unpause();
    }
}
