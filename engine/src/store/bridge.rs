//! The collection groups (lists, hashes, sets, sorted sets) and SORT, run by
//! the model's own command code until the engine has its own encodings.
//!
//! The engine keeps those values in the model's types ([`Obj::Coll`]). For
//! each such command it lends the keys the command can touch to a scratch
//! [`Model`](redsim_model::Model) (moving the values, not copying them), runs the command there
//! with the caller's context, and takes every key left in the scratch
//! database back. Replies, effects, touched keys, dirty counts, blocking and
//! statistics are then the model's by construction. The keys are known from
//! the typed command: its key arguments, and for SORT also the keys its BY
//! and GET patterns name for each element (the model's [`pattern_target`]).
//!
//! This is a phase-1 boundary, not a destination: the values are not yet
//! compact, and a command pays for moving its keys in and out (a few hundred
//! nanoseconds), never for copying a collection.

use std::collections::BTreeSet;

use bytes::Bytes;
use redsim_model::command::{HashCommand, ListCommand, SetCommand, SortArgs, ZSetCommand};
use redsim_model::engine::Engine as _;
use redsim_model::reference::shared::{pattern_target, PatternTarget};
use redsim_model::reference::{Entry, Value};
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
            if let Obj::Coll(v) = &d.node(link).obj {
                match &**v {
                    Value::List(l) => l.iter().for_each(&mut add),
                    Value::Set(s) => s.iter().for_each(&mut add),
                    Value::ZSet(z) => z.iter().for_each(|(m, _)| add(m)),
                    Value::Hash(_) | Value::Str(_) => {}
                }
            }
        }
        keys.into_iter().collect()
    }
}

/// The keys of a list command.
pub(super) fn list_keys(cmd: &ListCommand) -> Vec<Bytes> {
    use ListCommand::*;
    match cmd {
        Push { key, .. }
        | Pop { key, .. }
        | Index { key, .. }
        | Insert { key, .. }
        | Len { key }
        | Range { key, .. }
        | Rem { key, .. }
        | Set { key, .. }
        | Trim { key, .. } => vec![key.clone()],
        Pos(args) => vec![args.key.clone()],
        BlockingPop { keys, .. } | MPop { keys, .. } => keys.clone(),
        Move { source, destination, .. } => vec![source.clone(), destination.clone()],
    }
}

/// The key of a hash command (each names exactly one).
pub(super) fn hash_keys(cmd: &HashCommand) -> Vec<Bytes> {
    use HashCommand::*;
    let key = match cmd {
        HDel { key, .. }
        | HExists { key, .. }
        | HGet { key, .. }
        | HGetAll { key, .. }
        | HIncrBy { key, .. }
        | HIncrByFloat { key, .. }
        | HLen { key }
        | HMGet { key, .. }
        | HRandField { key, .. }
        | HScan { key, .. }
        | HSet { key, .. }
        | HSetNx { key, .. }
        | HStrLen { key, .. } => key,
    };
    vec![key.clone()]
}

/// The keys of a set command.
pub(super) fn set_keys(cmd: &SetCommand) -> Vec<Bytes> {
    use SetCommand::*;
    match cmd {
        Add { key, .. }
        | Card { key }
        | IsMember { key, .. }
        | Members { key }
        | MIsMember { key, .. }
        | Pop { key, .. }
        | RandMember { key, .. }
        | Rem { key, .. }
        | Scan { key, .. } => vec![key.clone()],
        Combine { keys, store, .. } => keys.iter().chain(store.iter()).cloned().collect(),
        InterCard { keys, .. } => keys.clone(),
        Move { source, destination, .. } => vec![source.clone(), destination.clone()],
    }
}

/// The keys of a sorted set command.
pub(super) fn zset_keys(cmd: &ZSetCommand) -> Vec<Bytes> {
    use ZSetCommand::*;
    match cmd {
        Add { key, .. }
        | Card { key }
        | Count { key, .. }
        | LexCount { key, .. }
        | Score { key, .. }
        | MScore { key, .. }
        | Rank { key, .. }
        | Rem { key, .. }
        | RemRange { key, .. }
        | RandMember { key, .. }
        | Scan { key, .. } => vec![key.clone()],
        Range(args) => std::iter::once(&args.key).chain(args.dest.iter()).cloned().collect(),
        SetOp(args) => args.keys.iter().chain(args.dest.iter()).cloned().collect(),
        Pop(args) => args.keys.clone(),
    }
}

/// Distinct keys, so that a key named twice is lent once.
pub(super) fn distinct(mut keys: Vec<Bytes>) -> Vec<Bytes> {
    keys.sort_unstable();
    keys.dedup();
    keys
}
