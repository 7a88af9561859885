//! A whole RDB file in memory replacing the dataset: a replica's snapshot
//! from its master, loaded [`KEYS_PER_STEP`] keys per timer turn so that
//! clients get `-LOADING` meanwhile (Redis answers them between chunks of
//! its load), and DEBUG RELOAD's file, all at once (Redis blocks for it).
//!
//! The file is read and checked to its end before the dataset is replaced,
//! so a bad one leaves the dataset as it was (DEBUG RELOAD keeps it; a
//! replica empties it then, as Redis has flushed its own). A replica with
//! `repl-diskless-load swapdb` loads into a second, empty engine instead
//! (Redis's temporary databases) while its own keeps serving, and swaps
//! the two once the load is complete. A key found
//! twice is caught by the engine as it inserts (the reader's set of every
//! key would cost more than the load) and leaves what was loaded so far.

use redsim_model::dataset::{Dataset, Record};
use redsim_model::rdb::{self, RdbInfo, RdbReader};
use redsim_model::Engine;

use super::rdb_load::{used_mem, KEYS_PER_STEP};
use super::{LoadProgress, Node};

/// Where a file's records go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::node) enum LoadTarget {
    /// In place of the dataset, emptied once the file was read; with
    /// `lazy` (a replica's `replica-lazy-flush`) the old keys are freed in
    /// the background, as FLUSHALL ASYNC frees them.
    Replace { lazy: bool },
    /// Into a second engine, swapped in by the caller (`swapdb`).
    Beside,
}

/// A file on its way into the dataset.
pub(in crate::node) struct RdbReplace {
    bytes: Vec<u8>,
    reader: RdbReader,
    /// What was read so far, while the file is still being checked.
    read: Vec<(usize, Record)>,
    /// Once the dataset was emptied: the records still to insert, of how many.
    insert: Option<std::vec::IntoIter<(usize, Record)>>,
    records: usize,
    start_ms: i64,
    target: LoadTarget,
    /// The second engine of [`LoadTarget::Beside`], once the file was read to its end.
    temp: Option<Box<dyn Engine>>,
}

impl std::fmt::Debug for RdbReplace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdbReplace").field("bytes", &self.bytes.len()).finish_non_exhaustive()
    }
}

impl RdbReplace {
    /// Whether the old dataset is gone (the file was good to its end, and
    /// is loaded in its place rather than beside it).
    pub(in crate::node) fn replacing(&self) -> bool {
        self.insert.is_some() && self.target != LoadTarget::Beside
    }

    /// The second engine the file went into (`swapdb`), if it got that far.
    pub(in crate::node) fn take_temp(&mut self) -> Option<Box<dyn Engine>> {
        self.temp.take()
    }

    /// Memory the second engine holds so far, for INFO memory.
    pub(in crate::node) fn temp_memory(&self) -> u64 {
        self.temp.as_ref().map_or(0, |t| t.used_memory())
    }

    /// What the file says of itself so far (its AUX fields come first).
    pub(in crate::node) fn info(&self) -> &RdbInfo {
        &self.reader.info
    }

    /// The keys the file holds, once it was read to its end.
    pub(in crate::node) fn records(&self) -> usize {
        self.records
    }

    /// Reading the file counts for the first half of its bytes, inserting
    /// its records for the second (Redis reads and inserts at once).
    pub(in crate::node) fn progress(&self) -> LoadProgress {
        let total = self.bytes.len() as u64;
        let loaded = match &self.insert {
            None => self.reader.position() as u64 / 2,
            Some(left) => {
                let inserted = (self.records - left.len()) as u128;
                let half = (total - total / 2) as u128 * inserted / self.records.max(1) as u128;
                total / 2 + half as u64
            }
        };
        let rdb_used_mem = used_mem(&self.reader.info).unwrap_or(0);
        LoadProgress { start_ms: self.start_ms, total_bytes: total, loaded_bytes: loaded, rdb_used_mem }
    }
}

fn bad(e: rdb::RdbError) -> String {
    format!("{} at offset {}", e.message, e.offset)
}

impl Node {
    /// Starts loading `bytes`, an RDB file, into `target`; an error if its
    /// header is not one.
    pub(in crate::node) fn start_rdb_replace(&self, bytes: Vec<u8>, target: LoadTarget) -> Result<RdbReplace, String> {
        let reader = RdbReader::new(&bytes, &self.rdb_load_options()).map_err(bad)?;
        Ok(RdbReplace {
            bytes,
            reader,
            read: Vec::new(),
            insert: None,
            records: 0,
            start_ms: self.now_ms,
            target,
            temp: None,
        })
    }

    /// One step: up to [`KEYS_PER_STEP`] records read, or inserted once
    /// the whole file was read (the dataset is emptied in between). The
    /// file's description when the last is in, an error if it is bad.
    pub(in crate::node) fn rdb_replace_step(&mut self, job: &mut RdbReplace) -> Option<Result<RdbInfo, String>> {
        let Some(insert) = &mut job.insert else {
            match job.reader.read(&job.bytes, KEYS_PER_STEP, &mut job.read) {
                Err(e) => return Some(Err(bad(e))),
                Ok(false) => return None,
                Ok(true) => {}
            }
            let target = match job.target {
                LoadTarget::Beside => job.temp.insert(self.engine.empty_like()),
                LoadTarget::Replace { lazy } => {
                    self.empty_dataset(lazy);
                    &mut self.engine
                }
            };
            for (db, keys) in job.reader.take_size_hints() {
                target.reserve(db, keys);
            }
            job.records = job.read.len();
            job.insert = Some(std::mem::take(&mut job.read).into_iter());
            return None;
        };
        let chunk: Vec<(usize, Record)> = insert.by_ref().take(KEYS_PER_STEP).collect();
        if chunk.is_empty() {
            return Some(Ok(std::mem::take(&mut job.reader.info)));
        }
        let target = job.temp.as_mut().unwrap_or(&mut self.engine);
        match target.load_records(chunk) {
            Ok(()) => None,
            Err((db, key)) => Some(Err(rdb::duplicated_key(db, &key))),
        }
    }

    /// Empties the dataset, at once or (`lazy`) handing the old keys to
    /// the engine's lazy free: an empty engine's databases swapped in.
    pub(in crate::node) fn empty_dataset(&mut self, lazy: bool) {
        if lazy {
            let empty = self.engine.empty_like();
            self.engine.swap_in(empty);
        } else {
            self.load_dataset(Dataset::empty(self.config.databases()));
        }
    }

    /// The whole replacement in one go (DEBUG RELOAD; tests).
    pub(in crate::node) fn replace_dataset_from_rdb(&mut self, bytes: Vec<u8>) -> Result<RdbInfo, String> {
        let mut job = self.start_rdb_replace(bytes, LoadTarget::Replace { lazy: false })?;
        loop {
            if let Some(outcome) = self.rdb_replace_step(&mut job) {
                return outcome;
            }
        }
    }
}
