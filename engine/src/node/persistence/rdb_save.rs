//! RDB snapshots: SAVE, BGSAVE, save points, and the saves FLUSHALL,
//! SHUTDOWN and DEBUG RELOAD make.
//!
//! A save starts a snapshot of the engine (`Engine::start_snapshot`, where
//! Redis forks), reads it out as the writes of `temp-<pid>.rdb` complete,
//! 64 KiB at a time with one write in flight, while commands keep being
//! served; then fsync, rename over `dbfilename`, fsync the directory. SAVE
//! is the same job with its reply held until the end. A BGSAVE never runs
//! beside another background job: it is refused or scheduled while a
//! child runs (see `child.rs`); should a foreground save find the engine's
//! one snapshot in use, it copies the dataset at once instead (see
//! `snapshot_records.rs`).

use redsim_model::rdb::{KeyAccess, LoadOptions, RdbAux, RdbOptions, RdbStream};
use redsim_model::Engine;

use super::snapshot_records::SnapshotRecords;
use super::storage::{StorageOp, StorageResult};
use super::{LogLevel, Node, Owner};
use crate::node::ClientId;

/// Bytes per write while saving.
pub const CHUNK: usize = 64 * 1024;
/// Records asked of the engine's snapshot at a time while filling a chunk.
const RECORDS_PER_READ: usize = 64;
/// What Redis logs for each replica waiting for a sync's BGSAVE that failed.
const SYNC_SAVE_FAILED: &str = "SYNC failed. BGSAVE child returned an error";
/// After a failed background save, save points wait this long before trying again.
const RETRY_DELAY_MS: i64 = 5000;

/// Why a save runs, which says what happens when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavePurpose {
    /// SAVE: the client gets OK or `-ERR` at the end.
    Save(ClientId),
    /// BGSAVE or a save point.
    Background,
    /// The BGSAVE of a full sync to disk (`repl-diskless-sync no`): the
    /// file written is then read back and sent to the replicas.
    Sync,
    /// FLUSHALL with save points: its OK waits for the save.
    Flushall(Option<ClientId>),
    /// The final save of SHUTDOWN.
    Shutdown,
    /// DEBUG RELOAD: save, then load the file back.
    Reload(ClientId),
}

#[derive(Debug, PartialEq, Eq)]
enum Stage {
    Create,
    Write,
    Fsync,
    Rename,
    SyncDir,
    ReadBack,
}

/// A save in progress.
pub struct SaveJob {
    gen: u64,
    pub purpose: SavePurpose,
    stage: Stage,
    temp: String,
    target: String,
    /// Serializes the snapshot a chunk at a time, as the writes complete.
    source: SaveSource,
    offset: u64,
    dirty_at_start: u64,
    pub start_ms: i64,
    inflight: Option<u64>,
    /// Why a sync's file could not be read back once saved.
    read_error: Option<String>,
}

impl SaveJob {
    /// Redis would make it in a child: a BGSAVE, a save point's, a sync's.
    pub fn background(&self) -> bool {
        matches!(self.purpose, SavePurpose::Background | SavePurpose::Sync)
    }
}

/// RDB bookkeeping for INFO and the save points.
pub struct RdbState {
    pub job: Option<SaveJob>,
    gen: u64,
    pub last_bgsave_ok: bool,
    pub last_bgsave_secs: i64,
    pub bgsave_scheduled: bool,
    pub saves: u64,
    last_try_ms: i64,
    /// `dbfilename` was last written by a sync's BGSAVE (Redis's
    /// `RDBGeneratedByReplication`): `rdb-del-sync-files` may remove it.
    made_for_sync: bool,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            job: None,
            gen: 0,
            last_bgsave_ok: true,
            last_bgsave_secs: -1,
            bgsave_scheduled: false,
            saves: 0,
            last_try_ms: 0,
            made_for_sync: false,
        }
    }
}

/// A save's bytes: the snapshot's records as an RDB file, made a chunk at
/// a time.
pub(in crate::node) struct SaveSource {
    /// `None`: a file of no keys (a replica's `rdb-filter-only`).
    records: Option<SnapshotRecords>,
    stream: RdbStream,
    started: bool,
    finished: bool,
}

impl SaveSource {
    /// The next piece of the file, `None` once it is all written.
    pub(in crate::node) fn next_piece(&mut self, engine: &mut dyn Engine) -> Option<Vec<u8>> {
        if self.finished {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 4);
        if !self.started {
            self.stream.header(&mut out);
            self.started = true;
        }
        let mut records = Vec::with_capacity(RECORDS_PER_READ);
        while out.len() < CHUNK {
            records.clear();
            let done = match &mut self.records {
                Some(r) => r.read(engine, RECORDS_PER_READ, &mut records),
                None => true,
            };
            for (db, record) in &records {
                self.stream.record(&mut out, *db, record);
            }
            if done {
                self.stream.footer(&mut out);
                self.finished = true;
                break;
            }
        }
        Some(out)
    }

    /// Gives the engine's snapshot back if this source holds it unfinished.
    pub(in crate::node) fn cancel(&self, engine: &mut dyn Engine) {
        if let Some(r) = &self.records {
            r.cancel(engine);
        }
    }
}

/// The save points of `save`: (seconds, changes).
fn save_points(text: &str) -> Vec<(i64, u64)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.chunks(2).filter_map(|p| Some((p.first()?.parse().ok()?, p.get(1)?.parse().ok()?))).collect()
}

impl Node {
    /// The options RDB files are written with.
    pub(in crate::node) fn rdb_options(&self, aof_base: bool) -> RdbOptions {
        RdbOptions {
            compression: self.config.get_bool("rdbcompression"),
            checksum: self.config.get_bool("rdbchecksum"),
            aux: RdbAux {
                redis_ver: "7.0.15".into(),
                ctime: self.now_ms.div_euclid(1000),
                used_mem: self.used_memory(),
                aof_base,
                repl: if aof_base { None } else { self.repl_save_info() },
            },
        }
    }

    /// How this node reads RDB files now. The records go straight into the
    /// engine, which refuses a key twice as it inserts (`Engine::load_records`): the reader's own set of every
    /// key would cost a lookup and a copy more.
    pub(in crate::node) fn rdb_load_options(&self) -> LoadOptions {
        LoadOptions {
            check_duplicates: false,
            ..LoadOptions::from_config(&self.engine_config, self.config.databases(), self.now_ms)
        }
    }

    /// An RDB file of the dataset as it is now, made as it is written, as
    /// this node writes RDB files (access opcodes under LRU/LFU policies,
    /// lists cut by `list-max-listpack-size`).
    pub(in crate::node) fn rdb_source(&mut self, opts: &RdbOptions) -> SaveSource {
        let (records, shape) = SnapshotRecords::start(self.engine.as_mut());
        let stream = RdbStream::new(opts, shape)
            .key_access(KeyAccess::from_config(&self.engine_config, self.now_ms))
            .list_max_listpack_size(self.engine_config.list_max_listpack_size);
        SaveSource { records: Some(records), stream, started: false, finished: false }
    }

    /// An RDB file of no keys, only the header's fields: what a replica
    /// asking `REPLCONF rdb-filter-only ""` gets (Redis leaves the data
    /// out, and keeps functions only when asked for them; redsim has none).
    pub(in crate::node) fn rdb_source_without_data(&self, opts: &RdbOptions) -> SaveSource {
        SaveSource { records: None, stream: RdbStream::new(opts, Vec::new()), started: false, finished: false }
    }

    /// Starts a save of the current dataset. The caller has checked that no
    /// other save runs.
    pub(super) fn start_save(&mut self, purpose: SavePurpose) {
        let opts = self.rdb_options(false);
        self.start_save_with(purpose, &opts);
    }

    /// The BGSAVE of a full sync to disk, of the sync's point (`opts` name
    /// its history and offset); [`Node::sync_save_done`] gets the file.
    pub(in crate::node) fn start_sync_save(&mut self, opts: &RdbOptions) {
        self.persist.rdb.saves += 1;
        self.start_save_with(SavePurpose::Sync, opts);
    }

    fn start_save_with(&mut self, purpose: SavePurpose, opts: &RdbOptions) {
        let pid = self.process.process_id;
        let temp = self.data_path(&format!("temp-{pid}.rdb"));
        let target = self.data_path(self.config.get("dbfilename"));
        let source = self.rdb_source(opts);
        self.persist.rdb.gen += 1;
        let gen = self.persist.rdb.gen;
        if matches!(purpose, SavePurpose::Background | SavePurpose::Sync) {
            self.log(LogLevel::Notice, format!("Background saving started by pid {pid}"));
        }
        let id = self.persist.io.issue(Owner::Save(gen), StorageOp::Create { path: temp.clone() });
        self.persist.rdb.last_try_ms = self.now_ms;
        self.persist.rdb.job = Some(SaveJob {
            gen,
            purpose,
            stage: Stage::Create,
            temp,
            target,
            source,
            offset: 0,
            dirty_at_start: self.dirty,
            start_ms: self.now_ms,
            inflight: Some(id),
            read_error: None,
        });
    }

    /// Kills a background save (FLUSHALL, a replica's snapshot load): its
    /// file is removed, and the end logged as Redis logs its child's.
    pub(super) fn kill_background_save(&mut self) {
        if let Some(purpose) = self.drop_background_save() {
            self.log(LogLevel::Warning, "Background saving terminated by signal 10".into());
            if purpose == SavePurpose::Sync {
                self.sync_save_done(Err(SYNC_SAVE_FAILED.into()));
            }
        }
    }

    /// Drops a background save and removes its file: its purpose, if one ran.
    pub(super) fn drop_background_save(&mut self) -> Option<SavePurpose> {
        if !self.persist.rdb.job.as_ref().is_some_and(SaveJob::background) {
            return None;
        }
        let job = self.persist.rdb.job.take().expect("checked");
        job.source.cancel(self.engine.as_mut());
        self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path: job.temp });
        Some(job.purpose)
    }

    /// The next step of save `gen` after the result of operation `id`.
    pub(super) fn save_step(&mut self, gen: u64, id: u64, result: StorageResult) {
        let Some(job) = self.persist.rdb.job.as_mut().filter(|j| j.gen == gen && j.inflight == Some(id)) else {
            return;
        };
        job.inflight = None;
        if let Some(e) = result.error() {
            let text = e.text();
            if job.stage == Stage::ReadBack && job.purpose == SavePurpose::Sync {
                // The save is done; the file cannot be read for the replicas.
                job.read_error = Some(text);
                self.save_finished(true, None);
                return;
            }
            let dir = self.config.get("dir").to_string();
            let message = match job.stage {
                Stage::Create => format!(
                    "Failed opening the temp RDB file {} (in server root dir {dir}) for saving: {text}",
                    job.temp.rsplit('/').next().unwrap_or_default()
                ),
                Stage::Rename => format!(
                    "Error moving temp DB file {} on the final destination {} (in server root dir {dir}): {text}",
                    job.temp.rsplit('/').next().unwrap_or_default(),
                    job.target.rsplit('/').next().unwrap_or_default()
                ),
                Stage::ReadBack => format!("Error trying to load the RDB dump: {text}"),
                _ => format!("Write error saving DB on disk: {text}"),
            };
            self.log(LogLevel::Warning, message);
            self.save_finished(false, None);
            return;
        }
        let op = match job.stage {
            Stage::Create | Stage::Write => match job.source.next_piece(self.engine.as_mut()) {
                Some(data) => {
                    let offset = job.offset;
                    job.offset += data.len() as u64;
                    job.stage = Stage::Write;
                    StorageOp::Write { path: job.temp.clone(), offset, data }
                }
                None => {
                    job.stage = Stage::Fsync;
                    StorageOp::Fsync { path: job.temp.clone() }
                }
            },
            Stage::Fsync => {
                job.stage = Stage::Rename;
                StorageOp::Rename { from: job.temp.clone(), to: job.target.clone() }
            }
            Stage::Rename => {
                job.stage = Stage::SyncDir;
                let dir = self.config.get("dir");
                StorageOp::Fsync { path: if dir.is_empty() { ".".into() } else { dir.to_string() } }
            }
            Stage::SyncDir => match job.purpose {
                SavePurpose::Reload(_) | SavePurpose::Sync => {
                    job.stage = Stage::ReadBack;
                    StorageOp::Read { path: job.target.clone(), limit: super::loading::READ_LIMIT }
                }
                _ => {
                    self.save_finished(true, None);
                    return;
                }
            },
            Stage::ReadBack => {
                let StorageResult::Data(bytes) = result else {
                    self.save_finished(false, None);
                    return;
                };
                self.save_finished(true, Some(bytes));
                return;
            }
        };
        let id = self.persist.io.issue(Owner::Save(gen), op);
        if let Some(job) = self.persist.rdb.job.as_mut() {
            job.inflight = Some(id);
        }
    }

    /// A save ended: bookkeeping, then what its purpose asks for.
    fn save_finished(&mut self, ok: bool, read_back: Option<Vec<u8>>) {
        let Some(job) = self.persist.rdb.job.take() else { return };
        job.source.cancel(self.engine.as_mut());
        let now = self.now_ms;
        let background = job.background();
        if ok {
            self.log(LogLevel::Notice, "DB saved on disk".into());
            self.dirty = self.dirty.saturating_sub(job.dirty_at_start);
            self.last_save_ms = now;
            self.persist.rdb.last_bgsave_ok = true;
            self.persist.rdb.made_for_sync = job.purpose == SavePurpose::Sync;
        } else {
            self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path: job.temp.clone() });
        }
        if background {
            self.persist.rdb.last_bgsave_ok = ok;
            self.persist.rdb.last_bgsave_secs = (now - job.start_ms).max(0) / 1000;
            if ok {
                self.log(LogLevel::Notice, "Background saving terminated with success".into());
            } else {
                self.log(LogLevel::Warning, "Background saving error".into());
            }
        }
        match job.purpose {
            SavePurpose::Save(id) => {
                let reply = if ok { Frame::ok() } else { redsim_model::errors::SAVE_FAILED.into() };
                self.reply_later(id, &reply);
            }
            SavePurpose::Background => {}
            SavePurpose::Sync => {
                let outcome = match (read_back, job.read_error) {
                    (Some(bytes), _) => Ok(bytes),
                    (None, Some(e)) => Err(format!("SYNC failed. Can't open/stat DB after BGSAVE: {e}")),
                    (None, None) => Err(SYNC_SAVE_FAILED.into()),
                };
                self.sync_save_done(outcome);
            }
            SavePurpose::Flushall(id) => {
                if let Some(id) = id {
                    self.reply_later(id, &Frame::ok());
                }
            }
            SavePurpose::Shutdown => self.shutdown_saved(ok),
            SavePurpose::Reload(id) => {
                let reply = match read_back.map(|b| self.reload_from(b)) {
                    Some(Ok(())) => {
                        self.log(LogLevel::Warning, "DB reloaded by DEBUG RELOAD".into());
                        Frame::ok()
                    }
                    Some(Err(e)) => {
                        self.log(LogLevel::Warning, format!("Error trying to load the RDB dump: {e}"));
                        Frame::Error("ERR Error trying to load the RDB dump, check server logs.".into())
                    }
                    None => redsim_model::errors::SAVE_FAILED.into(),
                };
                self.reply_later(id, &reply);
            }
        }
    }

    /// `rdb-del-sync-files yes` on a master with no persistence of its own
    /// (no save points, no AOF): once no replica waits for a snapshot, the
    /// file a sync's BGSAVE wrote is removed, as Redis's replication cron
    /// does (`replicas_waiting`: one is waiting or being sent one).
    pub(in crate::node) fn remove_rdb_made_for_sync(&mut self, replicas_waiting: bool) {
        if !self.config.get_bool("rdb-del-sync-files") {
            self.persist.rdb.made_for_sync = false;
            return;
        }
        if !self.all_persistence_disabled()
            || !self.persist.rdb.made_for_sync
            || replicas_waiting
            || self.persist.rdb.job.is_some()
        {
            return;
        }
        self.persist.rdb.made_for_sync = false;
        self.log(LogLevel::Notice, "Removing the RDB file used to feed replicas in a persistence-less instance".into());
        let path = self.data_path(self.config.get("dbfilename"));
        self.persist.io.issue(Owner::Cleanup, StorageOp::Remove { path });
    }

    /// Save points, and a BGSAVE scheduled behind an AOF rewrite: both wait
    /// while any save or child runs.
    pub(super) fn rdb_cron(&mut self, now_ms: i64) {
        if self.persist.rdb.job.is_some() || self.child().is_some() {
            return;
        }
        if self.persist.rdb.bgsave_scheduled {
            self.persist.rdb.bgsave_scheduled = false;
            self.persist.rdb.saves += 1;
            self.start_save(SavePurpose::Background);
            return;
        }
        let retry_ok = self.persist.rdb.last_bgsave_ok || now_ms - self.persist.rdb.last_try_ms >= RETRY_DELAY_MS;
        for (secs, changes) in save_points(self.config.get("save")) {
            if self.dirty >= changes && now_ms - self.last_save_ms > secs * 1000 && retry_ok {
                self.log(LogLevel::Notice, format!("{changes} changes in {secs} seconds. Saving..."));
                self.persist.rdb.saves += 1;
                self.start_save(SavePurpose::Background);
                return;
            }
        }
    }
}

use redsim_model::resp::Frame;

#[cfg(test)]
mod tests {
    #[test]
    fn save_points_parse() {
        assert_eq!(super::save_points("3600 1 300 100"), vec![(3600, 1), (300, 100)]);
        assert!(super::save_points("").is_empty());
    }
}
