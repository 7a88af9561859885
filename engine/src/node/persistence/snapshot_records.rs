//! The records of a save, a rewrite's base or a full sync: the engine's
//! copy-on-write snapshot (`Engine::start_snapshot`) read a few at a time,
//! or, when another job already reads the engine's one snapshot, a copy of
//! the dataset taken at once (a stall as long as the copy). Background
//! jobs take turns as Redis's children do (`child.rs`), so only the saves
//! Redis makes in the foreground (SAVE, FLUSHALL's, SHUTDOWN's, DEBUG
//! RELOAD's) can meet a snapshot in use.

use std::collections::VecDeque;

use redsim_model::dataset::{Dataset, Record};
use redsim_model::Engine;

/// A snapshot's records not read yet.
pub(in crate::node) struct SnapshotRecords {
    /// The copy when the engine's snapshot was taken; `None`: read the engine's.
    copy: Option<VecDeque<(usize, Record)>>,
    /// Every record has been read.
    done: bool,
}

impl SnapshotRecords {
    /// A snapshot of the dataset as it is now, with each database's key
    /// count and count of keys with an expire time (RDB's RESIZEDB).
    pub(in crate::node) fn start(engine: &mut dyn Engine) -> (SnapshotRecords, Vec<(u64, u64)>) {
        if !engine.snapshot_running() {
            let shape = engine.start_snapshot();
            return (SnapshotRecords { copy: None, done: false }, shape);
        }
        let Dataset { dbs } = engine.snapshot();
        let shape = dbs
            .iter()
            .map(|records| (records.len() as u64, records.iter().filter(|r| r.expire_at.is_some()).count() as u64))
            .collect();
        let all = dbs.into_iter().enumerate().flat_map(|(db, records)| records.into_iter().map(move |r| (db, r)));
        (SnapshotRecords { copy: Some(all.collect()), done: false }, shape)
    }

    /// Up to `max` more records, with their database, into `out`; true once
    /// all are out.
    pub(in crate::node) fn read(
        &mut self,
        engine: &mut dyn Engine,
        max: usize,
        out: &mut Vec<(usize, Record)>,
    ) -> bool {
        if !self.done {
            self.done = match &mut self.copy {
                None => engine.read_snapshot(max, out),
                Some(queue) => {
                    let n = queue.len().min(max);
                    out.extend(queue.drain(..n));
                    queue.is_empty()
                }
            };
        }
        self.done
    }

    /// Gives the engine's snapshot back if these records come from it and
    /// are not all read.
    pub(in crate::node) fn cancel(&self, engine: &mut dyn Engine) {
        if self.copy.is_none() && !self.done {
            engine.cancel_snapshot();
        }
    }
}
