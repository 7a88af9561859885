//! SORT, run by the model's own command code.
//!
//! For SORT the engine lends the keys the command can touch to a scratch
//! [`Model`](redsim_model::Model), runs the command there with the caller's
//! context, and takes every key left in the scratch database back. Replies,
//! effects, touched keys, dirty counts and statistics are then the model's by
//! construction. The keys are known from the typed command: the sorted key,
//! STORE's destination, and the keys its BY and GET patterns name for each
//! element (the model's [`pattern_target`]). Every value type is native
//! (`list/`, `hash/`, `set/`, `zset/`): a lent key is converted to and from
//! the model's value on the way (O(n), as SORT itself).

use std::collections::BTreeSet;

use bytes::Bytes;
use redsim_model::command::SortArgs;
use redsim_model::engine::Engine as _;
use redsim_model::reference::shared::{pattern_target, PatternTarget};
use redsim_model::reference::Entry;
use redsim_model::{Context, Frame};

use super::object::Obj;
use super::Engine;

impl Engine {
    /// Runs a collection command (or SORT) on the scratch model.
    pub(super) fn delegate(
        &mut self,
        cx: &mut Context<'_>,
        cmd: &redsim_model::command::Command,
        keys: Vec<Bytes>,
    ) -> Frame {
        let db = cx.db;
        let scratch = &mut self.scratch.dbs_mut()[db];
        debug_assert!(scratch.is_empty());
        for key in keys {
            if let Some(e) = self.dbs[db].remove_quietly(&key) {
                scratch.insert(key, Entry { value: e.obj.into_value(), expire_at: e.deadline, lru: e.lru });
            }
        }
        // Lending is not a change.
        scratch.take_touched();

        let reply = self.scratch.execute(cx, cmd);

        let scratch = &mut self.scratch.dbs_mut()[db];
        let back: Vec<Bytes> = scratch.keys().cloned().collect();
        for key in back {
            let e = scratch.remove(&key).expect("listed above");
            self.dbs[db].insert_quietly(&key, Obj::from_value(e.value), e.expire_at, e.lru);
        }
        scratch.take_touched();
        let s = self.scratch.stats();
        self.stats.keyspace_hits += s.keyspace_hits;
        self.stats.keyspace_misses += s.keyspace_misses;
        self.stats.expired_keys += s.expired_keys;
        self.scratch.reset_stats();
        reply
    }

    /// Every key SORT may read or write: the sorted key, STORE's
    /// destination, and each key a BY or GET pattern names for an element.
    pub(super) fn sort_keys(&self, db: usize, args: &SortArgs) -> Vec<Bytes> {
        let mut keys = BTreeSet::new();
        keys.insert(args.key.clone());
        if let Some(dst) = &args.store {
            keys.insert(dst.clone());
        }
        let patterns: Vec<&Bytes> = args.by.iter().chain(args.get.iter()).collect();
        let d = &self.dbs[db];
        if let (false, Some(link)) = (patterns.is_empty(), d.peek(&args.key)) {
            let mut add = |element: &[u8]| {
                for p in &patterns {
                    if let PatternTarget::Key { key, .. } = pattern_target(p, element) {
                        keys.insert(Bytes::from(key));
                    }
                }
            };
            let mut text = [0u8; 20];
            match &d.node(link).obj {
                Obj::List(l) => l.iter().for_each(|e| add(e.text(&mut text))),
                Obj::Set(s) => s.iter().for_each(|m| add(m.text(&mut text))),
                Obj::ZSet(z) => z.iter().for_each(|(m, _)| add(m)),
                _ => {}
            }
        }
        keys.into_iter().collect()
    }
}
