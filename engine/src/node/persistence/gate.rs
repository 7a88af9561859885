//! Replies held until the AOF has what they acknowledge.
//!
//! Each batch of output is tagged with the AOF offset appended so far; it is
//! released once the writer's acknowledged offset reaches the tag (written
//! for `everysec`/`no`, fsynced for `always`). A client's output stays in
//! order: once something of it is held, everything after it is held too. A
//! client closed meanwhile still gets what was held for it, then the close.

use std::collections::{BTreeMap, VecDeque};

use super::super::ClientId;

#[derive(Debug)]
struct Held {
    tag: u64,
    bytes: Vec<u8>,
    close: bool,
}

#[derive(Debug, Default)]
pub struct Gate {
    held: BTreeMap<ClientId, VecDeque<Held>>,
}

impl Gate {
    /// Whether output for `id` tagged `tag` must wait, given `ack`.
    pub fn must_hold(&self, id: ClientId, tag: u64, ack: u64) -> bool {
        tag > ack || self.held.contains_key(&id)
    }

    pub fn hold(&mut self, id: ClientId, tag: u64, bytes: Vec<u8>, close: bool) {
        self.held.entry(id).or_default().push_back(Held { tag, bytes, close });
    }

    /// Holds a close behind the client's held output (if any); false if nothing is held.
    pub fn hold_close(&mut self, id: ClientId) -> bool {
        match self.held.get_mut(&id) {
            Some(q) => {
                match q.back_mut() {
                    Some(h) => h.close = true,
                    None => q.push_back(Held { tag: 0, bytes: Vec::new(), close: true }),
                }
                true
            }
            None => false,
        }
    }

    /// Output that may go now: (client, bytes, close afterwards), in client order.
    pub fn release(&mut self, ack: u64) -> Vec<(ClientId, Vec<u8>, bool)> {
        let mut out = Vec::new();
        self.held.retain(|id, q| {
            while q.front().is_some_and(|h| h.tag <= ack) {
                let h = q.pop_front().expect("checked");
                out.push((*id, h.bytes, h.close));
            }
            !q.is_empty()
        });
        out
    }

    /// Drops what is held for `id` (a client dropped with its unsent output).
    pub fn forget(&mut self, id: ClientId) {
        self.held.remove(&id);
    }

    /// Whether nothing is held for anyone.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}
