//! `client-output-buffer-limit`: a client whose output piles up (a replica
//! that stopped reading, a pipeline whose replies are too large) is dropped
//! with its unsent output once the output passes its class's hard limit, or
//! has stayed over the soft limit for more than the soft seconds, as Redis
//! does. Without it a stalled replica grows the master's memory without
//! bound.
//!
//! A client's output is what the node holds for it (this batch's replies,
//! the replication stream held during a full sync) plus what the driver has
//! not written to the socket yet, which only the driver knows: it reports
//! that with [`Node::client_output_pending`]. A driver that never reports is
//! taken to write everything at once.

use super::client::Client;
use super::config::{ClientClass, OutputLimit};
use super::{ClientId, LogLevel, Node};

impl Node {
    /// The driver holds `bytes` of output for client `id` not yet written to
    /// its socket. Reported when it changes noticeably (the tokio driver:
    /// while more than a little is pending); the limits are checked at once.
    pub fn client_output_pending(&mut self, id: ClientId, bytes: u64, now_ms: i64) {
        self.now_ms = now_ms;
        if let Some(c) = self.clients.get_mut(&id) {
            c.unsent = bytes;
        }
        self.finish();
    }

    /// The replicas in their snapshot phase, each marked as touched so
    /// that the end of the batch checks its limit with the clients whose
    /// output grew: the stream held for it grows without touching it.
    pub(super) fn replicas_in_sync_touched(&mut self) -> Vec<(ClientId, usize)> {
        let in_sync: Vec<(ClientId, usize)> = self.replicas_in_sync().collect();
        for (id, _) in &in_sync {
            self.clients.get_mut(id);
        }
        in_sync
    }

    /// Logs the drop of a client that passed its limit, as Redis words it.
    pub(super) fn log_output_limit(&mut self, line: String) {
        self.log(
            LogLevel::Warning,
            format!("Client {line} scheduled to be closed ASAP for overcoming of output buffer limits."),
        );
    }
}

/// The class whose limit applies. MONITOR clients count as normal ones, as
/// in Redis (which flags them as replicas too; here they never are).
pub(super) fn class_of(c: &Client) -> ClientClass {
    if c.replica {
        ClientClass::Replica
    } else {
        ClientClass::Normal
    }
}

/// What counts against the limit: the replies of this batch and what the
/// driver has not written, or for a replica in its snapshot phase only the
/// stream held for it (`in_sync`; the snapshot's own bytes do not count).
pub(super) fn output_used(c: &Client, in_sync: Option<usize>) -> u64 {
    match in_sync {
        Some(held) => held as u64,
        None => c.unsent + c.out.len() as u64,
    }
}

/// Whether `c`, with `used` bytes of output, has passed `limit` at
/// `now_ms`. The soft limit counts in whole seconds from when it was first
/// seen passed, as Redis's `checkClientOutputBufferLimits`.
pub(super) fn passed(c: &mut Client, limit: OutputLimit, used: u64, now_ms: i64) -> bool {
    let hard = limit.hard > 0 && used >= limit.hard;
    let soft = limit.soft > 0 && used >= limit.soft;
    if !soft {
        c.soft_limit_since_ms = None;
        return hard;
    }
    match c.soft_limit_since_ms {
        None => {
            c.soft_limit_since_ms = Some(now_ms);
            hard
        }
        Some(since) => hard || (now_ms - since) / 1000 > limit.soft_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::ConnInfo;

    fn client(out: usize) -> Client {
        let mut c = Client::new(1, ConnInfo::local("127.0.0.1:1", "127.0.0.1:2"), 0, true, 512 << 20);
        c.out = vec![b'x'; out];
        c
    }

    #[test]
    fn the_hard_limit_drops_at_once_and_the_soft_one_after_its_seconds() {
        let limit = OutputLimit { hard: 1000, soft: 100, soft_seconds: 2 };
        let mut c = client(0);
        assert!(passed(&mut c, limit, 1000, 0));
        assert!(!passed(&mut c, limit, 999, 0));
        let mut c = client(0);
        assert!(!passed(&mut c, limit, 100, 5_000), "first seen over the soft limit");
        assert!(!passed(&mut c, limit, 100, 7_999), "within the soft seconds");
        assert!(passed(&mut c, limit, 100, 8_000), "more than 2 whole seconds over it");
        // Going under the soft limit starts the count again.
        let mut c = client(0);
        assert!(!passed(&mut c, limit, 100, 0));
        assert!(!passed(&mut c, limit, 99, 1_000));
        assert!(!passed(&mut c, limit, 100, 9_000));
        assert!(passed(&mut c, limit, 100, 12_000));
        // Zero means no limit.
        assert!(!passed(&mut client(0), OutputLimit::default(), 1 << 40, 0));
    }

    #[test]
    fn a_replica_in_its_snapshot_phase_counts_only_the_stream_held_for_it() {
        let mut c = client(300);
        c.unsent = 4000;
        assert_eq!(output_used(&c, None), 4300);
        assert_eq!(output_used(&c, Some(70)), 70);
    }
}
