//! A rewrite's new base file, produced a piece at a time as its writes
//! complete, from the engine's snapshot of the moment the rewrite started
//! (see `store/snapshot.rs`): an RDB preamble (`aof-use-rdb-preamble yes`)
//! or the commands that rebuild each key, closed by a checkpoint line.

use redsim_model::rdb::crc64::crc64;
use redsim_model::Engine;

use super::aof_checkpoint::checkpoint_line;
use super::aof_format::{record_commands, select_command};
use super::rdb_save::{SaveSource, CHUNK};
use super::snapshot_records::SnapshotRecords;

/// Records asked of the engine's snapshot at a time.
const RECORDS_PER_READ: usize = 64;

/// Where a base file's bytes come from.
pub(super) enum BaseSource {
    /// An RDB preamble.
    Rdb(SaveSource),
    /// Commands, skipping keys whose time had passed when the rewrite
    /// started, as Redis's rewrite does.
    Commands { records: SnapshotRecords, now_ms: i64, db: Option<usize>, crc: u64, len: u64, finished: bool },
}

impl std::fmt::Debug for BaseSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaseSource::Rdb(_) => f.write_str("BaseSource::Rdb"),
            BaseSource::Commands { len, finished, .. } => {
                f.debug_struct("BaseSource::Commands").field("len", len).field("finished", finished).finish()
            }
        }
    }
}

impl BaseSource {
    /// The next piece of the file, `None` once it is all written.
    pub(super) fn next_piece(&mut self, engine: &mut dyn Engine) -> Option<Vec<u8>> {
        let (records, now_ms, db, crc, len, finished) = match self {
            BaseSource::Rdb(source) => return source.next_piece(engine),
            BaseSource::Commands { records, now_ms, db, crc, len, finished } => {
                (records, *now_ms, db, crc, len, finished)
            }
        };
        if *finished {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 4);
        let mut batch = Vec::with_capacity(RECORDS_PER_READ);
        while out.len() < CHUNK && !*finished {
            batch.clear();
            *finished = records.read(engine, RECORDS_PER_READ, &mut batch);
            for (d, r) in &batch {
                if r.expire_at.is_some_and(|at| at <= now_ms) {
                    continue;
                }
                if *db != Some(*d) {
                    *db = Some(*d);
                    select_command(*d, &mut out);
                }
                record_commands(r, &mut out);
            }
        }
        *crc = crc64(*crc, &out);
        *len += out.len() as u64;
        if *finished && *len > 0 {
            // Covers the whole file: (crc, len) of what came before, nothing after.
            out.extend(checkpoint_line((*crc, *len), &[]));
        }
        // Empty only at the end, when the last records had all expired.
        (!out.is_empty()).then_some(out)
    }

    /// Gives the engine's snapshot back if this source holds it unfinished.
    pub(super) fn cancel(&self, engine: &mut dyn Engine) {
        match self {
            BaseSource::Rdb(source) => source.cancel(engine),
            BaseSource::Commands { records, .. } => records.cancel(engine),
        }
    }
}
