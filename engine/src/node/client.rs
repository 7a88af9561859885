//! The state the node keeps for one connection.

use std::collections::BTreeMap;

use bytes::Bytes;
use redsim_model::resp::{Protocol, RequestParser};
use redsim_model::table::CommandSpec;

/// A connection's number: unique for the node's life, counting up from 3 as in Redis.
pub type ClientId = u64;

/// What the driver knows about a new connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// The peer, `ip:port` (CLIENT LIST `addr`).
    pub addr: String,
    /// Our side, `ip:port` (CLIENT LIST `laddr`).
    pub laddr: String,
    /// The socket's file descriptor, for CLIENT LIST (-1 when there is none).
    pub fd: i64,
    /// Whether the peer is on a loopback address: `enable-debug-command local`
    /// and `enable-protected-configs local` allow those.
    pub local: bool,
}

impl ConnInfo {
    /// A loopback connection from `addr` to `laddr` (tests and the simulator).
    pub fn local(addr: &str, laddr: &str) -> ConnInfo {
        ConnInfo { addr: addr.to_string(), laddr: laddr.to_string(), fd: -1, local: true }
    }
}

/// CLIENT REPLY state, as Redis's three flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyFlags {
    /// CLIENT REPLY OFF.
    pub off: bool,
    /// Replies of the current command are dropped (the one after SKIP).
    pub skip: bool,
    /// Set by CLIENT REPLY SKIP: the next command's replies are dropped.
    pub skip_next: bool,
}

impl ReplyFlags {
    pub fn suppressed(&self) -> bool {
        self.off || self.skip
    }

    /// After each command: SKIP covers exactly one command.
    pub fn command_done(&mut self) {
        self.skip = self.skip_next;
        self.skip_next = false;
    }
}

/// A transaction being queued (between MULTI and EXEC).
#[derive(Clone, Debug, Default)]
pub struct MultiState {
    pub queued: Vec<(&'static CommandSpec, Vec<Bytes>)>,
    /// A command was refused while queueing: EXEC will answer EXECABORT.
    pub aborted: bool,
}

/// One connection.
#[derive(Debug)]
pub struct Client {
    pub id: ClientId,
    pub conn: ConnInfo,
    pub parser: RequestParser,
    pub db: usize,
    pub protocol: Protocol,
    pub name: Option<Bytes>,
    pub authenticated: bool,
    pub reply: ReplyFlags,
    pub monitor: bool,
    /// It asked for SYNC/PSYNC: a replica of ours (flag `S`, type replica).
    pub replica: bool,
    pub no_evict: bool,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Full name of the last command looked up (CLIENT LIST `cmd`).
    pub last_cmd: Option<&'static str>,
    pub multi: Option<MultiState>,
    /// Keys this client WATCHes, as (db, key).
    /// Watched keys, each with whether it was already expired when watched
    /// (deleting such a key later is no change, as in Redis 7.0).
    pub watched: BTreeMap<(usize, Bytes), bool>,
    /// A watched key was modified: EXEC will fail.
    pub watch_dirty: bool,
    /// Bytes of replies not yet handed to the driver.
    pub out: Vec<u8>,
    /// Close once `out` has been handed over (QUIT, protocol errors, kills).
    pub close_after_reply: bool,
    /// The command this client is blocked in (BLPOP ...), if any.
    pub blocked: Option<super::blocking::Blocked>,
    /// A request held back by CLIENT PAUSE, run when the pause ends.
    pub held: Option<Vec<Bytes>>,
    /// Bytes of the arguments of the command being run (CLIENT LIST `argv-mem`).
    pub argv_mem: usize,
    /// The largest reply buffer this client has needed (CLIENT LIST `rbp`).
    pub reply_peak: usize,
    /// The reply to the last command waits for the disk (SAVE, FLUSHALL's
    /// save, SHUTDOWN, DEBUG RELOAD); the next request waits behind it.
    pub waiting_disk: bool,
    /// The replication offset right after this client's last write (WAIT's target).
    pub woff: u64,
    /// The client is blocked in WAIT.
    pub waiting_repl: Option<super::replication::WaitTarget>,
    /// Pipeline windows still to run without prefetch hints (see
    /// `dispatch::prefetch_upcoming`).
    pub hint_backoff: u8,
    /// Output handed to the driver and not yet written to the socket, as the
    /// driver last reported it ([`super::Node::client_output_pending`]; 0 for
    /// drivers that do not report).
    pub unsent: u64,
    /// Since when the output has been over the class's soft limit.
    pub soft_limit_since_ms: Option<i64>,
    /// Passed `client-output-buffer-limit`: dropped, with its unsent output,
    /// at the end of the batch.
    pub abort: bool,
}

impl Client {
    pub fn new(id: ClientId, conn: ConnInfo, now_ms: i64, authenticated: bool, max_bulk: u64) -> Client {
        let mut parser = RequestParser::new();
        parser.set_authenticated(authenticated);
        parser.set_max_bulk_len(max_bulk);
        Client {
            id,
            conn,
            parser,
            db: 0,
            protocol: Protocol::Resp2,
            name: None,
            authenticated,
            reply: ReplyFlags::default(),
            monitor: false,
            replica: false,
            no_evict: false,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: None,
            multi: None,
            watched: BTreeMap::new(),
            watch_dirty: false,
            out: Vec::new(),
            close_after_reply: false,
            blocked: None,
            held: None,
            argv_mem: 0,
            reply_peak: 0,
            waiting_disk: false,
            woff: 0,
            waiting_repl: None,
            hint_backoff: 0,
            unsent: 0,
            soft_limit_since_ms: None,
            abort: false,
        }
    }

    /// Marks the client (un)authenticated, which also changes the limits its
    /// request parser applies.
    pub fn set_authenticated(&mut self, yes: bool) {
        self.authenticated = yes;
        self.parser.set_authenticated(yes);
    }

    /// CLIENT LIST `flags`: one letter per state, `N` for none.
    pub fn flags(&self) -> String {
        let mut f = String::new();
        if self.monitor {
            f.push('O');
        } else if self.replica {
            f.push('S');
        }
        if self.multi.is_some() {
            f.push('x');
        }
        if self.blocked.is_some() {
            f.push('b');
        }
        if self.watch_dirty {
            f.push('d');
        }
        if self.close_after_reply {
            f.push('c');
        }
        if self.no_evict {
            f.push('e');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }
}
