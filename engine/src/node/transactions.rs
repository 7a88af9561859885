//! MULTI/EXEC/DISCARD and WATCH.
//!
//! Which keys a command modified comes from the engine (`Context::touched`,
//! Redis's `signalModifiedKey`), active expiry and flushes included.

use bytes::Bytes;
use redsim_model::errors;
use redsim_model::resp::Frame;
use redsim_model::KeyState;

use super::client::MultiState;
use super::propagation::wrap_multi;
use super::{ClientId, Node};

impl Node {
    /// WATCH key...: remembered per client and per key.
    pub(super) fn watch(&mut self, id: ClientId, keys: Vec<Bytes>) -> Frame {
        let Some(c) = self.clients.get_mut(&id) else {
            return Frame::ok();
        };
        if c.multi.is_some() {
            return errors::WATCH_IN_MULTI.into();
        }
        let db = c.db;
        for key in keys {
            let expired = self.engine.key_state(db, &key, self.now_ms) == KeyState::Expired;
            c.watched.entry((db, key.clone())).or_insert(expired);
            self.watchers.entry((db, key)).or_default().insert(id);
        }
        Frame::ok()
    }

    /// Forgets every key client `id` watches.
    pub(super) fn unwatch_all(&mut self, id: ClientId) {
        let Some(c) = self.clients.get_mut(&id) else {
            return;
        };
        c.watch_dirty = false;
        for key in std::mem::take(&mut c.watched).into_keys() {
            if let Some(set) = self.watchers.get_mut(&key) {
                set.remove(&id);
                if set.is_empty() {
                    self.watchers.remove(&key);
                }
            }
        }
    }

    /// `key` in `db` changed: transactions watching it will fail, except
    /// that deleting a key which was already expired when watched changes
    /// nothing logically (Redis 7.0's rule).
    pub(super) fn touch_key(&mut self, db: usize, key: &Bytes) {
        let wk = (db, key.clone());
        // Most writes touch keys nobody watches: ask the engine only when someone does.
        if let Some(ids) = self.watchers.get(&wk) {
            let gone = self.engine.key_state(db, key, self.now_ms) == KeyState::Missing;
            for id in ids {
                if let Some(c) = self.clients.get_mut(id) {
                    match c.watched.get_mut(&wk) {
                        Some(expired) if *expired && gone => *expired = false,
                        _ => c.watch_dirty = true,
                    }
                }
            }
        }
    }

    /// The whole dataset was replaced (a replica loaded its master's
    /// snapshot): every transaction watching anything fails.
    pub(super) fn touch_all_watched_keys(&mut self) {
        for c in self.clients.values_mut() {
            if !c.watched.is_empty() {
                c.watch_dirty = true;
            }
        }
    }

    /// A key watched alive that has expired since (even if nobody looked at
    /// it) fails the transaction.
    fn watched_key_expired(&self, id: ClientId) -> bool {
        let Some(c) = self.clients.get(&id) else { return false };
        c.watched.iter().any(|((db, key), expired_at_watch)| {
            !expired_at_watch && self.engine.key_state(*db, key, self.now_ms) == KeyState::Expired
        })
    }

    pub(super) fn multi(&mut self, id: ClientId) -> Frame {
        let Some(c) = self.clients.get_mut(&id) else {
            return Frame::ok();
        };
        if c.multi.is_some() {
            return errors::MULTI_NESTED.into();
        }
        c.multi = Some(MultiState::default());
        Frame::ok()
    }

    pub(super) fn discard(&mut self, id: ClientId) -> Frame {
        let Some(c) = self.clients.get_mut(&id) else {
            return Frame::ok();
        };
        if c.multi.take().is_none() {
            return errors::DISCARD_WITHOUT_MULTI.into();
        }
        self.unwatch_all(id);
        Frame::ok()
    }

    /// EXEC: EXECABORT if queueing failed, a null reply if a watched key
    /// changed, else an array of every queued command's reply. The array's
    /// header goes out first and each reply as its command runs, as in Redis
    /// (a CLIENT REPLY OFF inside the transaction silences what follows it).
    /// The effects are propagated together, in MULTI/EXEC when there are several.
    pub(super) fn exec(&mut self, id: ClientId) -> Option<Frame> {
        let expired = self.watched_key_expired(id);
        let c = self.clients.get_mut(&id)?;
        let Some(multi) = c.multi.take() else {
            return Some(errors::EXEC_WITHOUT_MULTI.into());
        };
        let watch_failed = c.watch_dirty || expired;
        self.unwatch_all(id);
        if multi.aborted {
            return Some(errors::EXECABORT.into());
        }
        if watch_failed {
            return Some(Frame::NullArray);
        }
        if let Some(c) = self.clients.get_mut(&id) {
            if !c.reply.suppressed() {
                c.out.extend_from_slice(format!("*{}\r\n", multi.queued.len()).as_bytes());
            }
        }
        self.exec_effects = Some(Vec::new());
        for (spec, argv) in multi.queued {
            if !self.clients.contains_key(&id) {
                break;
            }
            self.call(id, spec, &argv);
        }
        let effects = self.exec_effects.take().unwrap_or_default();
        if !effects.is_empty() {
            self.propagation.append(wrap_multi(effects));
        }
        None
    }
}
