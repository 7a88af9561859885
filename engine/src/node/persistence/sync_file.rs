//! A replica's copy of its master's snapshot on disk, as Redis keeps it with
//! `repl-diskless-load disabled` (the default): the transfer is written to
//! `temp-<unixtime>.<pid>.rdb` as it arrives, then fsynced, renamed over
//! `dbfilename` and the directory fsynced, and only then loaded. The file is
//! the replica's persistence from then on: restarted (even after `kill -9`,
//! with no save of its own) it loads it and continues its master's history
//! with a partial resync.
//!
//! The replication code drives it ([`Node::sync_file_open`], `_write`,
//! `_close`, `_abort`) and hears back through
//! [`Node::snapshot_stored`] or [`Node::snapshot_store_failed`]. Writes are
//! issued as the bytes arrive (the disk performs them in order); the fsync,
//! rename and directory fsync each wait for the one before.

use super::storage::{StorageId, StorageOp, StorageResult};
use super::{LogLevel, Node, Owner};

/// Where the file is: the stage names what is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Created and written as the transfer arrives.
    Writing,
    /// The transfer is complete; the last writes are in flight.
    Closing,
    Fsync,
    Rename,
    SyncDir,
}

/// The file being written.
pub(in crate::node) struct SyncFile {
    gen: u64,
    temp: String,
    stage: Stage,
    /// The Create's operation (its failure is "Opening the temp file").
    create: StorageId,
    /// Bytes handed to the disk so far (the next write's offset).
    written: u64,
    /// Operations whose results have not arrived.
    inflight: usize,
}

impl Node {
    /// Whether a full sync starting now is loaded from disk (Redis's
    /// `useDisklessLoad` negated): `repl-diskless-load disabled`, or
    /// `on-empty-db` with keys in the dataset. A node without a disk (never
    /// started) loads from memory.
    pub(in crate::node) fn sync_load_uses_disk(&self) -> bool {
        if !self.persist.is_started() {
            return false;
        }
        match self.config.get("repl-diskless-load") {
            "disabled" => true,
            "on-empty-db" => (0..self.config.databases()).any(|db| self.engine.dbsize(db) > 0),
            _ => false,
        }
    }

    /// Creates the temp file a transfer is written to (at `+FULLRESYNC`, as
    /// Redis opens it before the payload arrives).
    pub(in crate::node) fn sync_file_open(&mut self) {
        self.sync_file_abort();
        let temp = self.data_path(&format!("temp-{}.{}.rdb", self.now_ms.div_euclid(1000), self.process.process_id));
        self.persist.sync_file_gen += 1;
        let gen = self.persist.sync_file_gen;
        let create = self.persist.io.issue(Owner::SyncFile(gen), StorageOp::Create { path: temp.clone() });
        self.persist.sync_file = Some(SyncFile { gen, temp, stage: Stage::Writing, create, written: 0, inflight: 1 });
    }

    /// Whether a transfer is being written to disk.
    pub(in crate::node) fn sync_file_open_now(&self) -> bool {
        self.persist.sync_file.is_some()
    }

    /// Bytes of the snapshot handed to the disk so far.
    pub(in crate::node) fn sync_file_written(&self) -> usize {
        self.persist.sync_file.as_ref().map_or(0, |f| f.written as usize)
    }

    /// Appends the next bytes of the snapshot.
    pub(in crate::node) fn sync_file_write(&mut self, data: Vec<u8>) {
        let Some(f) = self.persist.sync_file.as_mut().filter(|f| f.stage == Stage::Writing) else { return };
        if data.is_empty() {
            return;
        }
        let offset = f.written;
        f.written += data.len() as u64;
        f.inflight += 1;
        let op = StorageOp::Write { path: f.temp.clone(), offset, data };
        let gen = f.gen;
        self.persist.io.issue(Owner::SyncFile(gen), op);
    }

    /// The snapshot is all written: fsync, rename, fsync the directory,
    /// then [`Node::snapshot_stored`].
    pub(in crate::node) fn sync_file_close(&mut self) {
        if let Some(f) = self.persist.sync_file.as_mut().filter(|f| f.stage == Stage::Writing) {
            f.stage = Stage::Closing;
            if f.inflight == 0 {
                self.sync_file_next();
            }
        }
    }

    /// Gives the file up (the link dropped, the sync was cancelled): the
    /// temp file is removed, as Redis's `replicationAbortSyncTransfer`
    /// unlinks it (also after a failed rename). Once renamed, it is
    /// `dbfilename` and stays.
    pub(in crate::node) fn sync_file_abort(&mut self) {
        if let Some(f) = self.persist.sync_file.take() {
            if f.stage != Stage::SyncDir {
                self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path: f.temp });
            }
        }
    }

    /// The result of operation `id` of the file of generation `gen`.
    pub(super) fn sync_file_step(&mut self, gen: u64, id: StorageId, result: StorageResult) {
        let Some(f) = self.persist.sync_file.as_mut().filter(|f| f.gen == gen) else { return };
        f.inflight -= 1;
        if let Some(e) = result.error() {
            let text = e.text();
            let target = self.config.get("dbfilename");
            let message = match f.stage {
                _ if id == f.create => {
                    format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {text}")
                }
                Stage::Writing | Stage::Closing => format!(
                    "Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA \
                     synchronization: {text}"
                ),
                Stage::Fsync => {
                    format!("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: {text}")
                }
                Stage::Rename => format!(
                    "Failed trying to rename the temp DB into {target} in MASTER <-> REPLICA synchronization: {text}"
                ),
                Stage::SyncDir => {
                    format!("Failed trying to sync DB directory {target} in MASTER <-> REPLICA synchronization: {text}")
                }
            };
            let retry_now = id != f.create;
            self.log(LogLevel::Warning, message);
            self.sync_file_abort();
            self.snapshot_store_failed(retry_now);
            return;
        }
        if f.inflight == 0 && f.stage != Stage::Writing {
            self.sync_file_next();
        }
    }

    /// The operation after the one whose result just arrived, or the
    /// report that the file is stored.
    fn sync_file_next(&mut self) {
        let target = self.data_path(self.config.get("dbfilename"));
        let dir = match self.config.get("dir") {
            "" => ".".to_string(),
            d => d.to_string(),
        };
        let Some(f) = self.persist.sync_file.as_mut() else { return };
        let (stage, op) = match f.stage {
            Stage::Writing => return,
            Stage::Closing => (Stage::Fsync, StorageOp::Fsync { path: f.temp.clone() }),
            Stage::Fsync => (Stage::Rename, StorageOp::Rename { from: f.temp.clone(), to: target }),
            Stage::Rename => (Stage::SyncDir, StorageOp::Fsync { path: dir }),
            Stage::SyncDir => {
                self.persist.sync_file = None;
                self.snapshot_stored();
                return;
            }
        };
        f.stage = stage;
        f.inflight += 1;
        let gen = f.gen;
        self.persist.io.issue(Owner::SyncFile(gen), op);
    }

    /// A save running when the snapshot's load begins is killed, as Redis
    /// kills its RDB child there (logging it when the load is from disk,
    /// whose file the save would overwrite).
    pub(in crate::node) fn kill_save_for_sync_load(&mut self, from_disk: bool) {
        if !self.persist.background_save_running() {
            return;
        }
        if from_disk {
            self.log(
                LogLevel::Notice,
                format!(
                    "Replica is about to load the RDB file received from the master, but there is a pending RDB \
                     child running. Killing process {} and removing its temp file to avoid any race",
                    self.process.process_id
                ),
            );
        }
        self.kill_background_save();
    }

    /// `rdb-del-sync-files yes` on a replica with no persistence of its
    /// own (no save points, no AOF): the file loaded is removed.
    pub(in crate::node) fn remove_sync_file_if_unwanted(&mut self) {
        if self.config.get_bool("rdb-del-sync-files") && self.all_persistence_disabled() {
            self.log(
                LogLevel::Notice,
                "Removing the RDB file obtained from the master. This replica has persistence disabled".into(),
            );
            let path = self.data_path(self.config.get("dbfilename"));
            self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path });
        }
    }
}
