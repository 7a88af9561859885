//! Outbound connections the node opens itself: MIGRATE's target today, a
//! replica's master and cluster peers later.
//!
//! Like everything else in the node core these are data: the node asks for a
//! connection with [`Action::Connect`](super::Action::Connect), writes with
//! [`Action::LinkSend`](super::Action::LinkSend), and learns what happened
//! through [`Node::link_event`](super::Node::link_event). The tokio server
//! performs them on real sockets, the simulator on simulated TCP, so the same
//! MIGRATE and replication code runs under both, and under network faults.

/// Names one outbound connection for its whole life.
pub type LinkId = u64;

/// What happened to an outbound connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// The connection is established; `LinkSend`s may follow.
    Connected,
    /// Bytes read from it.
    Bytes(Vec<u8>),
    /// It could not be established (refused, unreachable, unknown host):
    /// the text is what Redis would put after "IOERR error or timeout
    /// connecting to the client" style messages, e.g. "Connection refused".
    Failed(String),
    /// The peer closed it, or it broke. The driver forgets it.
    Closed,
}
