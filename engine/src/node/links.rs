//! Outbound connections the node opens itself: MIGRATE's target today, a
//! replica's master and cluster peers later.
//!
//! Like everything else in the node core these are data: the node asks for a
//! connection with [`Action::Connect`](super::Action::Connect), writes with
//! [`Action::LinkSend`](super::Action::LinkSend), and learns what happened
//! through [`Node::link_event`](super::Node::link_event). The tokio server
//! performs them on real sockets, the simulator on simulated TCP, so the same
//! MIGRATE and replication code runs under both, and under network faults.
//!
//! [`Links`] is the node's table of the links it has open: it hands out ids,
//! remembers who owns each link and whether it is established yet, and routes
//! events to the owner. What a link is *for* (MIGRATE's cached sockets, a
//! master link) lives with its owner.

use std::collections::BTreeMap;

use super::{Action, Node};

/// Names one outbound connection for its whole life.
pub type LinkId = u64;

/// What happened to an outbound connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    /// The connection is established; `LinkSend`s may follow.
    Connected,
    /// Bytes read from it.
    Bytes(Vec<u8>),
    /// The host name did not resolve to an address (unknown host, empty or
    /// malformed name, negative port): no connection was attempted. Redis
    /// tells these apart from refused connections (MIGRATE answers
    /// "connecting" for the first, "writing" for the second).
    Unresolved(String),
    /// The connection could not be established (refused, unreachable, reset
    /// during the handshake); the text says why, e.g. "Connection refused".
    /// The driver forgets the link.
    Failed(String),
    /// The peer closed it, or it broke. The driver forgets it.
    Closed,
}

/// Who a link belongs to, so that its events reach the right code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkOwner {
    /// A socket of MIGRATE's cache (see `migrate.rs`).
    Migrate,
    /// The link of a replica to its master (see `replication`).
    Master,
}

/// Whether the connection is usable yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkState {
    Connecting,
    Connected,
}

/// One open link, as the node sees it.
#[derive(Clone, Debug)]
pub(super) struct Link {
    pub owner: LinkOwner,
    pub state: LinkState,
}

/// The node's open links. Ids count up from 1 and are never reused, so a late
/// event for a closed link can never be mistaken for one of a newer link.
#[derive(Debug, Default)]
pub(super) struct Links {
    last_id: LinkId,
    open: BTreeMap<LinkId, Link>,
}

impl Node {
    /// Opens a link to `host:port` for `owner`; its outcome comes back as a
    /// `Connected`, `Unresolved` or `Failed` event.
    pub(super) fn link_open(&mut self, owner: LinkOwner, host: &str, port: u16) -> LinkId {
        self.links.last_id += 1;
        let id = self.links.last_id;
        let link = Link { owner, state: LinkState::Connecting };
        self.links.open.insert(id, link);
        self.actions.push(Action::Connect { link: id, host: host.to_string(), port });
        id
    }

    /// Writes on an established link; a link the node no longer has is ignored.
    pub(super) fn link_send(&mut self, id: LinkId, bytes: Vec<u8>) {
        if self.links.open.get(&id).is_some_and(|l| l.state == LinkState::Connected) {
            self.actions.push(Action::LinkSend { link: id, bytes });
        }
    }

    /// Closes a link and forgets it: no further events are expected for it.
    pub(super) fn link_close(&mut self, id: LinkId) {
        if self.links.open.remove(&id).is_some() {
            self.actions.push(Action::LinkClose { link: id });
        }
    }

    /// Updates the table for an event and hands it to the link's owner.
    /// Events for links the node has closed are dropped.
    pub(super) fn route_link_event(&mut self, id: LinkId, event: LinkEvent) {
        let Some(link) = self.links.open.get_mut(&id) else {
            return;
        };
        let owner = link.owner;
        match &event {
            LinkEvent::Connected => link.state = LinkState::Connected,
            LinkEvent::Bytes(_) => {}
            LinkEvent::Unresolved(_) | LinkEvent::Failed(_) | LinkEvent::Closed => {
                // The driver has forgotten it already.
                self.links.open.remove(&id);
            }
        }
        match owner {
            LinkOwner::Migrate => self.migrate_link_event(id, event),
            LinkOwner::Master => self.master_link_event(id, event),
        }
    }
}
