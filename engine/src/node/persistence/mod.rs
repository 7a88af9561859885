//! Persistence: RDB snapshots, the multi-part AOF and loading at startup,
//! all through the storage interface of [`storage`].
//!
//! Nothing here touches a file. Every file operation leaves the node as an
//! `Action::Storage` and its outcome comes back through
//! [`Node::storage_done`]; each job (a save, a rewrite, the AOF writer, the
//! loader) waits for the result of its operation before taking the next step,
//! so a failed or slow disk is seen exactly where it happens. The simulator
//! can run these operations on a disk that fails, the tokio driver runs them
//! on real files.

mod aof;
pub mod aof_checkpoint;
pub mod aof_format;
pub mod aof_manifest;
mod aof_rewrite;
mod commands;
mod gate;
mod info;
mod loading;
pub mod mem_storage;
mod rdb_load;
pub(super) mod rdb_replace;
mod rdb_save;
mod rewrite_base;
mod snapshot_records;
pub mod storage;
mod sync_file;

use std::collections::{BTreeMap, VecDeque};

use super::{Action, LogLevel, Node};
pub use storage::{StorageError, StorageId, StorageOp, StorageResult};

pub(super) use aof::AofWriter;
use aof_rewrite::Rewrite;
use gate::Gate;
use loading::Loader;
use rdb_save::RdbState;
pub(super) use rdb_save::SaveSource;

/// Who is waiting for a storage operation's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// The RDB save job of this generation.
    Save(u64),
    /// The AOF writer: a write or an fsync.
    AofWrite,
    AofFsync,
    /// The AOF rewrite (or AOF creation) of this generation.
    Rewrite(u64),
    /// The startup loader.
    Load,
    /// A replica's copy of its master's snapshot, of this generation.
    SyncFile(u64),
    /// Nobody: best-effort clean-up whose outcome is only logged.
    Cleanup,
}

/// Storage operations waiting to be handed to the driver, and who waits
/// for each result.
#[derive(Default)]
struct Io {
    next_id: StorageId,
    owners: BTreeMap<StorageId, Owner>,
    out: Vec<Action>,
}

impl Io {
    fn issue(&mut self, owner: Owner, op: StorageOp) -> StorageId {
        self.next_id += 1;
        let id = self.next_id;
        self.owners.insert(id, owner);
        self.out.push(Action::Storage { id, op });
        id
    }
}

/// A sequence of operations run one after the other, stopping at the first
/// failure.
#[derive(Debug, Default)]
struct Script {
    ops: VecDeque<StorageOp>,
    inflight: Option<StorageId>,
}

impl Script {
    fn new(ops: Vec<StorageOp>) -> Script {
        Script { ops: ops.into(), inflight: None }
    }

    /// Issues the next operation; false when there is none left.
    fn advance(&mut self, io: &mut Io, owner: Owner) -> bool {
        match self.ops.pop_front() {
            Some(op) => {
                self.inflight = Some(io.issue(owner, op));
                true
            }
            None => {
                self.inflight = None;
                false
            }
        }
    }
}

/// How far a load is, for INFO's `loading_*` fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::node) struct LoadProgress {
    pub start_ms: i64,
    /// The size of what is being loaded, and how much of it is in.
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// The `used-mem` the file's producer recorded (RDB files), else 0.
    pub rdb_used_mem: u64,
}

/// The persistence state of a node.
#[derive(Default)]
pub(super) struct Persistence {
    /// Set by [`Node::start`]: before it the node has no disk at all.
    started: bool,
    io: Io,
    loader: Option<Loader>,
    /// The dataset is being loaded (INFO `loading`, `-LOADING` errors).
    loading: bool,
    rdb: RdbState,
    /// The AOF writer, while `appendonly` is on.
    aof: Option<AofWriter>,
    rewrite: Option<Rewrite>,
    rewrite_gen: u64,
    rewrite_scheduled: bool,
    rewrite_stats: aof_rewrite::RewriteStats,
    gate: Gate,
    /// A SHUTDOWN waiting for the AOF to be flushed and the final save.
    shutdown: Option<commands::ShutdownJob>,
    /// The signal that asked for the shutdown in progress, if one did.
    shutdown_signal: Option<String>,
    /// Keys loaded and dropped as expired by the last RDB load.
    last_load: (u64, u64),
    /// The master's snapshot being written by this replica (`sync_file.rs`).
    sync_file: Option<sync_file::SyncFile>,
    sync_file_gen: u64,
}

impl Persistence {
    pub(super) fn is_loading(&self) -> bool {
        self.loading
    }

    /// A save of any kind is under way (it holds the engine's snapshot).
    pub(super) fn save_running(&self) -> bool {
        self.rdb.job.is_some()
    }

    /// A BGSAVE's or a save point's save is under way (see `child.rs`).
    pub(super) fn background_save_running(&self) -> bool {
        self.rdb.job.as_ref().is_some_and(|j| j.background())
    }

    /// An AOF rewrite is under way, the user's or one made while loading.
    pub(super) fn rewrite_running(&self) -> bool {
        self.rewrite.is_some()
    }

    /// A full sync's transfer ended after `secs`: Redis counts its child in
    /// `rdb_last_bgsave_time_sec` as it does a save's.
    pub(super) fn set_last_bgsave_secs(&mut self, secs: i64) {
        self.rdb.last_bgsave_secs = secs;
    }

    /// Whether [`Node::start`] ran (the disk is in use).
    pub(super) fn is_started(&self) -> bool {
        self.started
    }

    /// True while a SHUTDOWN is finishing its persistence work: no command runs.
    pub(super) fn is_shutting_down(&self) -> bool {
        self.shutdown.is_some()
    }
}

impl Node {
    /// Starts the node's persistence: loads the dataset (the AOF when
    /// `appendonly` is on, else the RDB file) and opens the AOF. Until the
    /// loading is done, commands are refused with `-LOADING`. A node that is
    /// never started has no disk: it neither loads nor saves.
    pub fn start(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        if self.persist.started {
            return;
        }
        self.persist.started = true;
        self.begin_loading();
        self.finish();
    }

    /// The result of storage operation `id`.
    pub fn storage_done(&mut self, id: StorageId, result: StorageResult, now_ms: i64) {
        self.now_ms = now_ms;
        if self.exit_code.is_some() {
            // A fatal error: nothing more may reach the disk or the clients.
            return;
        }
        let Some(owner) = self.persist.io.owners.remove(&id) else {
            return;
        };
        match owner {
            Owner::Save(gen) => self.save_step(gen, id, result),
            Owner::AofWrite => self.aof_write_done(result),
            Owner::AofFsync => self.aof_fsync_done(result),
            Owner::Rewrite(gen) => self.rewrite_step(gen, id, result),
            Owner::Load => self.load_step(id, result),
            Owner::SyncFile(gen) => self.sync_file_step(gen, id, result),
            Owner::Cleanup => {
                if let Some(e) = result.error() {
                    self.log(LogLevel::Verbose, format!("Clean-up of a persistence file failed: {}", e.text()));
                }
            }
        }
        self.persistence_progress();
        self.run_pending();
        self.finish();
    }

    /// Number of storage operations whose results have not arrived yet.
    pub fn storage_in_flight(&self) -> usize {
        self.persist.io.owners.len()
    }

    /// Work that may proceed after any event: release held replies, go on
    /// with a pending shutdown, start scheduled jobs.
    fn persistence_progress(&mut self) {
        self.rewrite_progress();
        self.release_replies();
        self.shutdown_progress();
    }

    /// beforeSleep: the batch's effects go to the AOF, replies are handed
    /// out (or held until the AOF has them), storage operations are queued.
    pub(super) fn persistence_before_sleep(&mut self) {
        if self.exit_code.is_some() {
            return;
        }
        if let Some(feed) = self.propagation.take_aof_feed() {
            if let Some(w) = &mut self.persist.aof {
                w.append(&feed);
            }
        }
        self.aof_flush();
    }

    /// serverCron's persistence duties: AOF fsync every second and write
    /// retries, save points, automatic rewrites, scheduled jobs.
    pub(super) fn persistence_cron(&mut self, now_ms: i64) {
        if !self.persist.started || self.persist.loading {
            return;
        }
        self.aof_cron(now_ms);
        // No save or rewrite of a dataset half replaced by a replica's
        // snapshot load: its file would name a history it does not hold
        // (Redis runs no cron while it loads).
        if !self.snapshot_loading() {
            self.rdb_cron(now_ms);
            self.rewrite_cron();
        }
        self.persistence_progress();
    }

    /// Storage operations for the driver, appended to the actions in order.
    pub(super) fn take_storage_actions(&mut self) {
        self.actions.append(&mut self.persist.io.out);
    }

    pub(in crate::node) fn log(&mut self, level: LogLevel, message: String) {
        self.actions.push(Action::Log { level, message });
    }

    /// `dir/name`.
    fn data_path(&self, name: &str) -> String {
        storage::join(self.config.get("dir"), name)
    }

    /// The AOF directory, `dir/appenddirname`.
    fn aof_dir(&self) -> String {
        self.data_path(self.config.get("appenddirname"))
    }

    /// `dir/appenddirname/name`.
    fn aof_path(&self, name: &str) -> String {
        storage::join(&self.aof_dir(), name)
    }

    /// Whether `save` has at least one save point.
    fn has_save_points(&self) -> bool {
        !self.config.get("save").trim().is_empty()
    }

    /// No save points and no AOF (Redis's `allPersistenceDisabled`): what
    /// `rdb-del-sync-files` asks before removing a sync's file.
    fn all_persistence_disabled(&self) -> bool {
        !self.has_save_points() && !self.config.get_bool("appendonly")
    }

    /// A fatal persistence error: Redis logs it and exits with status 1.
    fn fatal(&mut self, message: String) {
        self.log(LogLevel::Warning, message);
        self.exit_code = Some(1);
        self.shutting_down = true;
    }
}
