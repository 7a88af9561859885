//! The connected clients, by id.
//!
//! Every request looks its client up a dozen times (flags, parser, output,
//! transaction state), almost always the same client as the lookup before.
//! So the table is a vector sorted by id (ids only grow, so a new client is
//! appended) with the position of the last hit remembered: a repeat lookup
//! is one comparison, any other a binary search. Iteration is in id order,
//! as CLIENT LIST and INFO show clients.
//!
//! The table also remembers which clients were borrowed mutably since the
//! driver was last handed replies: only those can have new output or be
//! closing, so the end of an event looks at them and not at every client.

use std::cell::Cell;

use super::client::Client;
use super::ClientId;

#[derive(Debug, Default)]
pub(super) struct ClientTable {
    /// Sorted by id. Boxed so that the binary search walks small entries.
    entries: Vec<Entry>,
    /// Where the last lookup found its client (may be stale: it is checked).
    last: Cell<usize>,
    /// Clients borrowed mutably since [`ClientTable::take_touched`].
    touched: Vec<ClientId>,
}

#[derive(Debug)]
struct Entry {
    id: ClientId,
    /// Whether `id` is in `touched`.
    touched: bool,
    client: Box<Client>,
}

impl ClientTable {
    fn position(&self, id: ClientId) -> Option<usize> {
        let last = self.last.get();
        if self.entries.get(last).is_some_and(|e| e.id == id) {
            return Some(last);
        }
        let found = self.entries.binary_search_by_key(&id, |e| e.id).ok()?;
        self.last.set(found);
        Some(found)
    }

    pub fn get(&self, id: &ClientId) -> Option<&Client> {
        self.position(*id).map(|i| &*self.entries[i].client)
    }

    pub fn get_mut(&mut self, id: &ClientId) -> Option<&mut Client> {
        let i = self.position(*id)?;
        let e = &mut self.entries[i];
        if !e.touched {
            e.touched = true;
            self.touched.push(e.id);
        }
        Some(&mut *e.client)
    }

    /// The client, mutably but not remembered as changed: for the end of an
    /// event, which takes the replies of the clients [`ClientTable::take_touched`]
    /// listed and must not list them again.
    pub fn get_mut_unmarked(&mut self, id: &ClientId) -> Option<&mut Client> {
        let i = self.position(*id)?;
        Some(&mut *self.entries[i].client)
    }

    /// The clients borrowed mutably since the last call, by id (some may
    /// have gone since).
    pub fn take_touched(&mut self) -> Vec<ClientId> {
        let mut ids = std::mem::take(&mut self.touched);
        ids.sort_unstable();
        for id in &ids {
            if let Some(i) = self.position(*id) {
                self.entries[i].touched = false;
            }
        }
        ids
    }

    fn touch_all(&mut self) {
        for e in self.entries.iter_mut().filter(|e| !e.touched) {
            e.touched = true;
            self.touched.push(e.id);
        }
    }

    pub fn contains_key(&self, id: &ClientId) -> bool {
        self.position(*id).is_some()
    }

    /// Adds (or replaces) the client with this id.
    pub fn insert(&mut self, id: ClientId, client: Client) {
        let i = match self.entries.binary_search_by_key(&id, |e| e.id) {
            Ok(i) => {
                *self.entries[i].client = client;
                i
            }
            Err(i) => {
                self.entries.insert(i, Entry { id, touched: false, client: Box::new(client) });
                i
            }
        };
        self.last.set(i);
        let _ = self.get_mut(&id);
    }

    pub fn remove(&mut self, id: &ClientId) -> Option<Client> {
        let i = self.position(*id)?;
        let e = self.entries.remove(i);
        if e.touched {
            self.touched.retain(|t| t != id);
        }
        Some(*e.client)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn keys(&self) -> impl Iterator<Item = &ClientId> {
        self.entries.iter().map(|e| &e.id)
    }

    pub fn values(&self) -> impl Iterator<Item = &Client> {
        self.entries.iter().map(|e| &*e.client)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Client> {
        self.touch_all();
        self.entries.iter_mut().map(|e| &mut *e.client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::ConnInfo;

    fn client(id: ClientId) -> Client {
        let conn = ConnInfo { addr: format!("127.0.0.1:{id}"), laddr: "127.0.0.1:6379".into(), fd: 8, local: true };
        Client::new(id, conn, 0, true, 512 * 1024 * 1024)
    }

    #[test]
    fn lookups_after_inserts_and_removals() {
        let mut t = ClientTable::default();
        for id in [3, 4, 7, 5] {
            t.insert(id, client(id));
        }
        assert_eq!(t.keys().copied().collect::<Vec<_>>(), [3, 4, 5, 7]);
        assert_eq!(t.get(&7).map(|c| c.id), Some(7));
        // The remembered position goes stale when an earlier client leaves.
        assert_eq!(t.remove(&3).map(|c| c.id), Some(3));
        assert_eq!(t.get(&7).map(|c| c.id), Some(7));
        assert_eq!(t.get(&4).map(|c| c.id), Some(4));
        assert!(t.get(&3).is_none() && !t.contains_key(&6));
        assert_eq!(t.remove(&3).map(|c| c.id), None);
        t.get_mut(&5).expect("client 5").db = 9;
        assert_eq!(t.values().map(|c| c.db).collect::<Vec<_>>(), [0, 9, 0]);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn mutable_borrows_are_remembered_until_taken() {
        let mut t = ClientTable::default();
        for id in [3, 4, 5, 6] {
            t.insert(id, client(id));
        }
        assert_eq!(t.take_touched(), [3, 4, 5, 6]);
        assert_eq!(t.take_touched(), Vec::<ClientId>::new());
        let _ = t.get(&4);
        let _ = t.get_mut(&6);
        let _ = t.get_mut(&5);
        let _ = t.get_mut(&6);
        assert_eq!(t.take_touched(), [5, 6]);
        let _ = t.get_mut(&3);
        t.remove(&3);
        let _ = t.get_mut_unmarked(&4);
        assert_eq!(t.take_touched(), Vec::<ClientId>::new());
        t.values_mut().for_each(|c| c.db = 1);
        assert_eq!(t.take_touched(), [4, 5, 6]);
    }
}
