//! Loading the dataset at startup: the multi-part AOF when `appendonly` is
//! on (manifest, then the base, then each incremental file in order), else
//! the RDB file. Commands get `-LOADING` until it is done. An AOF file's
//! commands are checked whole, then run a step at a time on timer turns
//! (see [`Replay`]), so those replies go out while it loads; an RDB file
//! (or an AOF's RDB preamble) loads a batch of keys per step (`rdb_load.rs`).
//!
//! A file that ends inside a command is cut back to its last complete
//! command when `aof-load-truncated` allows it (only the last file may be
//! truncated); anything else that is not a well-formed AOF, a corrupt RDB, or
//! a file the manifest lists but the disk lacks stops the server with an
//! error naming the file (and the offset).
//!
//! What was read is fsynced before the first command runs. A file read back
//! from the page cache may hold bytes that never reached the disk (the
//! previous process died when their fsync failed); serving them and then
//! losing them at a power loss would show clients a write that un-happens.
//! A failing fsync here stops the server, as a failing read does.

use std::collections::VecDeque;

use bytes::Bytes;
use redsim_model::command::Command;
use redsim_model::rdb;
use redsim_model::table;
use redsim_model::Context;

use super::aof::{AofWriter, FsyncPolicy, OpenFile};
use super::aof_checkpoint::{verify, Integrity};
use super::aof_format::{parse_commands, AofCommand, ParseEnd, Parsed};
use super::aof_manifest::{manifest_name, AofFile, Manifest};
use super::rdb_load::{used_mem, RdbFile, RdbLoad};
use super::storage::{StorageError, StorageOp, StorageResult};
use super::{LoadProgress, LogLevel, Node, Owner};
use redsim_model::rdb::crc64::crc64;

/// The largest file loading reads in one piece (16 GiB): past it the
/// server refuses to start rather than allocate without bound.
pub const READ_LIMIT: u64 = 16 << 30;

#[derive(Debug)]
enum Stage {
    /// Reading `dir/dbfilename`.
    Rdb,
    /// Reading the AOF manifest.
    Manifest,
    /// Reading one of the AOF's files.
    File(AofFile),
    /// Running an AOF file's commands, a step per timer turn.
    Replay(Box<Replay>),
    /// Loading an RDB file (or an AOF's RDB base), a step per timer turn.
    RdbLoad(Box<RdbLoad>),
    /// Cutting the last file back to its last complete command.
    Truncate { name: String },
    /// Making the files read durable, one at a time, before serving them.
    Sync { then: AfterSync },
}

/// What finishes loading once the files read are durable.
#[derive(Debug)]
enum AfterSync {
    Rdb,
    Aof,
}

/// The loader's progress.
pub struct Loader {
    stage: Stage,
    inflight: Option<u64>,
    start_ms: i64,
    manifest: Manifest,
    /// Files still to read, in order.
    queue: VecDeque<AofFile>,
    /// Size of the last incremental file once loaded (where appends go on).
    last_size: u64,
    /// CRC64 and length of the bytes at the end of the last file loaded that
    /// no checkpoint covers (a torn write's complete commands, or Redis's).
    last_unsealed: (u64, u64),
    sizes: Vec<(String, u64)>,
    /// Paths read whose contents are served, still to fsync.
    to_sync: VecDeque<String>,
}

impl Loader {
    /// Where the startup load is: the file being loaded (Redis counts all
    /// of an AOF's files as one; here each file counts on its own while it
    /// loads, and nothing while files are read from the disk).
    pub(super) fn progress(&self) -> LoadProgress {
        let (total_bytes, loaded_bytes, rdb_used_mem) = match &self.stage {
            Stage::RdbLoad(load) => load.progress(),
            Stage::Replay(replay) => (replay.bytes.len() as u64, replay.valid as u64, 0),
            _ => (0, 0, 0),
        };
        LoadProgress { start_ms: self.start_ms, total_bytes, loaded_bytes, rdb_used_mem }
    }

    /// Goes on loading `load` at the next step.
    pub(super) fn stage_rdb_load(&mut self, load: Box<RdbLoad>) {
        self.stage = Stage::RdbLoad(load);
    }
}

/// What replaying one AOF file found.
pub(super) enum Replayed {
    /// Every byte is good; the checkpoints cover the first `sealed_to`.
    Complete { sealed_to: usize },
    /// Good up to `len` bytes.
    Truncated { len: usize, sealed_to: usize },
}

/// An AOF file whose commands are being run, [`REPLAY_STEP_BYTES`] of them
/// per timer turn, so that clients get their `-LOADING` replies meanwhile
/// (Redis processes events every `loading-process-events-interval-bytes`).
#[derive(Debug)]
struct Replay {
    file: AofFile,
    last: bool,
    bytes: Vec<u8>,
    commands: std::vec::IntoIter<AofCommand>,
    end: ParseEnd,
    annotations: Vec<(usize, usize)>,
    /// Where each verified checkpoint line ends.
    checkpoints: Vec<usize>,
    db: usize,
    multi: Option<Vec<Vec<Bytes>>>,
    /// The end of the last command run (or transaction committed).
    valid: usize,
    file_start: i64,
}

/// File bytes of commands run per replay step: about 10 ms of work.
const REPLAY_STEP_BYTES: usize = 256 * 1024;

pub(super) fn seconds(ms: i64) -> String {
    format!("{:.3}", ms.max(0) as f64 / 1000.0)
}

impl Node {
    /// Issues the first read of the loading process.
    pub(super) fn begin_loading(&mut self) {
        let aof = self.config.get_bool("appendonly");
        let (stage, op) = if aof {
            let path = self.aof_path(&manifest_name(self.config.get("appendfilename")));
            (Stage::Manifest, StorageOp::Read { path, limit: 1 << 20 })
        } else {
            let path = self.data_path(self.config.get("dbfilename"));
            (Stage::Rdb, StorageOp::Read { path, limit: READ_LIMIT })
        };
        self.persist.loading = true;
        let id = self.persist.io.issue(Owner::Load, op);
        self.persist.loader = Some(Loader {
            stage,
            inflight: Some(id),
            start_ms: self.now_ms,
            manifest: Manifest::default(),
            queue: VecDeque::new(),
            last_size: 0,
            last_unsealed: (0, 0),
            sizes: Vec::new(),
            to_sync: VecDeque::new(),
        });
    }

    /// The loader's next step after the result of operation `id`.
    pub(super) fn load_step(&mut self, id: u64, result: StorageResult) {
        let Some(mut loader) = self.persist.loader.take() else { return };
        if loader.inflight != Some(id) {
            self.persist.loader = Some(loader);
            return;
        }
        loader.inflight = None;
        match std::mem::replace(&mut loader.stage, Stage::Manifest) {
            Stage::Rdb => match result {
                StorageResult::Data(bytes) => match self.start_rdb_load(RdbFile::Dump, bytes) {
                    Ok(load) => {
                        loader.stage = Stage::RdbLoad(load);
                        self.persist.loader = Some(loader);
                    }
                    Err(e) => self.fatal(e),
                },
                StorageResult::Failed(StorageError::NotFound) => self.loading_done(),
                other => self.load_failed("the RDB file", other),
            },
            Stage::Manifest => match result {
                StorageResult::Data(text) => match Manifest::parse(&text) {
                    Ok(m) if m.base.is_none() && m.incrs.is_empty() => self.create_aof_on_start(),
                    Ok(m) => {
                        loader.queue = m.load_order().into_iter().cloned().collect();
                        loader.manifest = m;
                        self.load_next_file(loader);
                    }
                    Err(e) => self.fatal(format!("{e} in the AOF manifest file")),
                },
                StorageResult::Failed(StorageError::NotFound) => self.create_aof_on_start(),
                other => self.load_failed("the AOF manifest", other),
            },
            Stage::File(file) => match result {
                StorageResult::Data(bytes) => {
                    let last = loader.queue.is_empty();
                    loader.to_sync.push_back(self.aof_path(&file.name));
                    if bytes.starts_with(b"REDIS") {
                        match self.start_rdb_load(RdbFile::AofBase(file), bytes) {
                            Ok(load) => {
                                loader.stage = Stage::RdbLoad(load);
                                self.persist.loader = Some(loader);
                            }
                            Err(e) => self.fatal(e),
                        }
                    } else {
                        match self.start_replay(file, bytes, last) {
                            Ok(replay) => {
                                loader.stage = Stage::Replay(replay);
                                self.persist.loader = Some(loader);
                            }
                            Err(e) => self.fatal(e),
                        }
                    }
                }
                StorageResult::Failed(StorageError::NotFound) => {
                    self.fatal(format!("The AOF file {} doesn't exist", file.name));
                }
                other => self.load_failed(&file.name, other),
            },
            stage @ (Stage::Replay(_) | Stage::RdbLoad(_)) => {
                // No storage operation belongs to a step-by-step load.
                loader.stage = stage;
                self.persist.loader = Some(loader);
            }
            Stage::Truncate { name } => match result.error() {
                None => {
                    self.log(
                        LogLevel::Warning,
                        format!("AOF {name} loaded anyway because aof-load-truncated is enabled"),
                    );
                    self.load_next_file(loader);
                }
                Some(e) => self.fatal(format!("Error truncating the AOF file {name}: {}", e.text())),
            },
            Stage::Sync { then } => match result.error() {
                None => {
                    loader.to_sync.pop_front();
                    self.sync_next(loader, then);
                }
                Some(e) => {
                    let path = loader.to_sync.front().cloned().unwrap_or_default();
                    self.fatal(format!("Fatal error: can't fsync the loaded file {path}: {}. Exiting.", e.text()));
                }
            },
        }
    }

    /// An AOF file is loaded (or found bad): on to the next, or the cut of
    /// a truncated last file.
    pub(super) fn aof_file_loaded(
        &mut self,
        mut loader: Loader,
        file: AofFile,
        bytes: &[u8],
        outcome: Result<Replayed, String>,
    ) {
        let size = bytes.len() as u64;
        // What the last checkpoint does not cover yet: the writer's first
        // checkpoint will (see `AofWriter::unsealed`).
        if let Ok(Replayed::Complete { sealed_to } | Replayed::Truncated { sealed_to, .. }) = &outcome {
            let kept = match &outcome {
                Ok(Replayed::Truncated { len, .. }) => *len,
                _ => bytes.len(),
            };
            let tail = &bytes[*sealed_to..kept];
            loader.last_unsealed = (crc64(0, tail), tail.len() as u64);
        }
        match outcome {
            Ok(Replayed::Complete { .. }) => {
                loader.last_size = size;
                loader.sizes.push((file.name.clone(), size));
                self.load_next_file(loader);
            }
            Ok(Replayed::Truncated { len, .. }) => {
                let len = len as u64;
                loader.last_size = len;
                loader.sizes.push((file.name.clone(), len));
                let path = self.aof_path(&file.name);
                let id = self.persist.io.issue(Owner::Load, StorageOp::Truncate { path, len });
                loader.inflight = Some(id);
                loader.stage = Stage::Truncate { name: file.name };
                self.persist.loader = Some(loader);
            }
            Err(e) => self.fatal(e),
        }
    }

    /// `dir/dbfilename` is loaded: it is made durable, then loading is done.
    pub(super) fn rdb_file_loaded(&mut self, mut loader: Loader) {
        loader.to_sync.push_back(self.data_path(self.config.get("dbfilename")));
        self.sync_next(loader, AfterSync::Rdb);
    }

    /// When the loader wants its next step: at once while it loads a file
    /// step by step.
    pub(in crate::node) fn loading_timer(&self) -> Option<i64> {
        let stepping =
            self.persist.loader.as_ref().is_some_and(|l| matches!(l.stage, Stage::Replay(_) | Stage::RdbLoad(_)));
        stepping.then_some(self.now_ms)
    }

    /// The next step of the file being loaded step by step: an RDB file's
    /// next keys (`rdb_load.rs`), or the next [`REPLAY_STEP_BYTES`] of an
    /// AOF file's commands; at an AOF file's end, what it turned out to be
    /// decides what follows.
    pub(in crate::node) fn loading_step(&mut self) {
        if self.loading_timer().is_none() {
            return;
        }
        let Some(mut loader) = self.persist.loader.take() else { return };
        let mut replay = match std::mem::replace(&mut loader.stage, Stage::Manifest) {
            Stage::Replay(replay) => replay,
            Stage::RdbLoad(load) => return self.rdb_load_step(loader, load),
            _ => unreachable!("checked: the loader steps"),
        };
        let stop_at = replay.valid + REPLAY_STEP_BYTES;
        let name = replay.file.name.clone();
        let mut finished = true;
        while let Some(c) = replay.commands.next() {
            if let Err(e) = self.replay_one(&mut replay, c, &name) {
                self.fatal(e);
                return;
            }
            if replay.valid >= stop_at {
                finished = replay.commands.len() == 0;
                break;
            }
        }
        if !finished {
            loader.stage = Stage::Replay(replay);
            self.persist.loader = Some(loader);
            return;
        }
        let outcome = self.replay_finished(&replay);
        let took = seconds(self.now_ms - replay.file_start);
        let kind = if replay.file.kind == super::aof_manifest::FileKind::Base { "base" } else { "incr" };
        if outcome.is_ok() {
            self.log(LogLevel::Notice, format!("DB loaded from {kind} file {name}: {took} seconds"));
        }
        let bytes = std::mem::take(&mut replay.bytes);
        self.aof_file_loaded(loader, replay.file, &bytes, outcome);
    }

    /// Fsyncs the next file read, or finishes loading when all are durable.
    fn sync_next(&mut self, mut loader: Loader, then: AfterSync) {
        if let Some(path) = loader.to_sync.front().cloned() {
            loader.inflight = Some(self.persist.io.issue(Owner::Load, StorageOp::Fsync { path }));
            loader.stage = Stage::Sync { then };
            self.persist.loader = Some(loader);
            return;
        }
        match then {
            AfterSync::Rdb => self.loading_done(),
            AfterSync::Aof => self.finish_aof_load(loader),
        }
    }

    fn load_failed(&mut self, what: &str, result: StorageResult) {
        let why = match result {
            StorageResult::Failed(e) => e.text(),
            other => format!("unexpected result {other:?}"),
        };
        self.fatal(format!("Fatal error: can't read {what}: {why}. Exiting."));
    }

    /// Reads the next AOF file, or finishes the AOF load.
    fn load_next_file(&mut self, mut loader: Loader) {
        if let Some(file) = loader.queue.pop_front() {
            let path = self.aof_path(&file.name);
            loader.inflight = Some(self.persist.io.issue(Owner::Load, StorageOp::Read { path, limit: READ_LIMIT }));
            loader.stage = Stage::File(file);
            self.persist.loader = Some(loader);
            return;
        }
        self.sync_next(loader, AfterSync::Aof);
    }

    /// Every AOF file is loaded and durable: appends go on in the last one.
    fn finish_aof_load(&mut self, loader: Loader) {
        let took = seconds(self.now_ms - loader.start_ms);
        self.log(LogLevel::Notice, format!("DB loaded from append only file: {took} seconds"));
        let prefix = self.config.get("appendfilename").to_string();
        let mut w = AofWriter::new(FsyncPolicy::from_config(self.config.get("appendfsync")), self.now_ms);
        let size_of = |name: &str| loader.sizes.iter().find(|(n, _)| n == name).map_or(0, |(_, s)| *s);
        w.base_size = loader.manifest.base.as_ref().map_or(0, |b| size_of(&b.name));
        let incrs = loader.manifest.incrs.clone();
        w.manifest = loader.manifest;
        match incrs.last() {
            Some(last) => {
                self.log(LogLevel::Notice, format!("Opening AOF incr file {} on server start", last.name));
                w.older_incr_size = incrs[..incrs.len() - 1].iter().map(|f| size_of(&f.name)).sum();
                w.cur =
                    Some(OpenFile { name: last.name.clone(), path: self.aof_path(&last.name), size: loader.last_size });
                w.unsealed = loader.last_unsealed;
                w.rewrite_base_size = w.current_size();
                self.persist.aof = Some(w);
                self.propagation.set_aof_feed(true);
                self.loading_done();
                // An unsealed tail gets its checkpoint now, before anything
                // can damage it unnoticed.
                self.aof_flush();
            }
            None => {
                // A base without incremental files: open a new one, as Redis does.
                let name = super::aof_manifest::incr_name(&prefix, w.manifest.last_incr_seq() + 1);
                self.log(LogLevel::Notice, format!("Creating AOF incr file {name} on server start"));
                w.rewrite_base_size = w.current_size();
                self.persist.aof = Some(w);
                self.start_rewrite(super::aof_rewrite::RewriteKind::IncrOnStart);
            }
        }
    }

    /// Loading is over: commands run from now on.
    pub(super) fn loading_done(&mut self) {
        self.persist.loading = false;
        self.persist.loader = None;
        self.dirty = 0;
    }

    /// Redis's lines about the AUX fields of a file being loaded.
    pub(in crate::node) fn log_rdb_aux(&mut self, info: &rdb::RdbInfo) {
        if let Some(v) = info.aux_text("redis-ver") {
            self.log(LogLevel::Notice, format!("Loading RDB produced by version {v}"));
        }
        if let Some(t) = info.aux_text("ctime").and_then(|v| v.parse::<i64>().ok()) {
            let age = (self.now_ms.div_euclid(1000) - t).max(0);
            self.log(LogLevel::Notice, format!("RDB age {age} seconds"));
        }
        if let Some(m) = used_mem(info) {
            let mb = m as f64 / (1024.0 * 1024.0);
            self.log(LogLevel::Notice, format!("RDB memory usage when created {mb:.2} Mb"));
        }
        if info.aux_text("aof-base").is_some_and(|v| v == "1") {
            self.log(LogLevel::Notice, "RDB is base AOF".into());
        }
    }

    /// Replaces the dataset (statistics are kept).
    pub(in crate::node) fn load_dataset(&mut self, data: redsim_model::dataset::Dataset) {
        self.engine.load(data);
    }

    /// Reads an AOF file's commands and checks its checkpoints before any
    /// runs: a damaged file is refused whole.
    fn start_replay(&mut self, file: AofFile, bytes: Vec<u8>, last: bool) -> Result<Box<Replay>, String> {
        let name = &file.name;
        let parsed = parse_commands(&bytes);
        let stopped = parsed.stopped_at(bytes.len());
        let checkpoints = match verify(&bytes, &parsed.annotations, stopped) {
            Integrity::Damaged { offset, reason } => {
                self.log(LogLevel::Warning, format!("AOF {name} is damaged at offset {offset}: {reason}"));
                return Err(format!(
                    "The append only file {name} is damaged (its checksums do not match): refusing to load it. \
                     Restore it from a backup or a replica"
                ));
            }
            Integrity::Verified { ends, .. } => ends,
            Integrity::Unprotected => Vec::new(),
        };
        let Parsed { commands, end, annotations } = parsed;
        Ok(Box::new(Replay {
            file,
            last,
            bytes,
            commands: commands.into_iter(),
            end,
            annotations,
            checkpoints,
            db: 0,
            multi: None,
            valid: 0,
            file_start: self.now_ms,
        }))
    }

    /// Runs one command of a replay, as Redis's fake client does: SELECT
    /// switches databases, MULTI..EXEC runs as one, replies are ignored.
    fn replay_one(&mut self, replay: &mut Replay, c: AofCommand, name: &str) -> Result<(), String> {
        let word = c.argv[0].to_ascii_lowercase();
        match (word.as_slice(), replay.multi.is_some()) {
            (b"multi", false) => replay.multi = Some(Vec::new()),
            (b"exec", true) => {
                for argv in replay.multi.take().unwrap_or_default() {
                    self.replay_command(&mut replay.db, &argv, name)?;
                }
                replay.valid = c.end;
            }
            (_, true) => replay.multi.as_mut().expect("in multi").push(c.argv),
            _ => {
                self.replay_command(&mut replay.db, &c.argv, name)?;
                replay.valid = c.end;
            }
        }
        Ok(())
    }

    /// Every command of the file ran: whether it was whole, cut short
    /// (and where to truncate it) or bad.
    fn replay_finished(&mut self, replay: &Replay) -> Result<Replayed, String> {
        let name = replay.file.name.clone();
        let mut valid = replay.valid;
        // A cut keeps the annotations right after the last good command: its
        // checkpoint, without which the next write's checkpoint would not chain.
        while let Some(&(_, e)) = replay.annotations.iter().find(|(s, _)| *s == valid) {
            valid = e;
        }
        // The last checkpoint within what is kept: the writer's first one
        // covers what follows it.
        let complete = matches!(replay.end, ParseEnd::Complete);
        let kept = if complete && replay.multi.is_none() { replay.bytes.len() } else { valid };
        let sealed_to = replay.checkpoints.iter().copied().rfind(|&e| e <= kept).unwrap_or(0);
        let truncated = match &replay.end {
            ParseEnd::Complete if replay.multi.is_none() => return Ok(Replayed::Complete { sealed_to }),
            ParseEnd::Complete => {
                self.log(LogLevel::Warning, format!("Revert incomplete MULTI/EXEC transaction in AOF file {name}"));
                valid
            }
            ParseEnd::Truncated { .. } => valid,
            ParseEnd::Corrupt { offset, reason } => {
                self.log(LogLevel::Warning, format!("AOF {name} is not valid at offset {offset}: {reason}"));
                return Err(format!(
                    "Bad file format reading the append only file {name}: make a backup of your AOF file, then use \
                     ./redis-check-aof --fix <filename.manifest>"
                ));
            }
        };
        if !replay.last {
            return Err(format!("Fatal error: the truncated file {name} is not the last file"));
        }
        self.log(LogLevel::Warning, format!("!!! Warning: short read while loading the AOF file {name}!!!"));
        if !self.config.get_bool("aof-load-truncated") {
            return Err(format!(
                "Unexpected end of file reading the append only file {name}. You can: 1) Make a backup of your AOF \
                 file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the \
                 'aof-load-truncated' configuration option to yes and restart the server."
            ));
        }
        self.log(LogLevel::Warning, format!("!!! Truncating the AOF {name} at offset {truncated} !!!"));
        Ok(Replayed::Truncated { len: truncated, sealed_to })
    }

    /// One command from an AOF; an unknown command stops the load.
    fn replay_command(&mut self, db: &mut usize, argv: &[Bytes], file: &str) -> Result<(), String> {
        if argv[0].eq_ignore_ascii_case(b"select") {
            let n = argv.get(1).and_then(|v| std::str::from_utf8(v).ok()).and_then(|s| s.parse::<usize>().ok());
            match n {
                Some(n) if n < self.parse_env.databases => *db = n,
                _ => {}
            }
            return Ok(());
        }
        let spec = match table::resolve(argv) {
            Ok(spec) => spec,
            Err(_) if table::lookup_argv(argv).is_none() => {
                return Err(format!(
                    "Unknown command '{}' reading the append only file {file}",
                    String::from_utf8_lossy(&argv[0])
                ));
            }
            Err(_) => return Ok(()),
        };
        let cmd = match Command::parse(spec, argv, &self.parse_env) {
            Ok(Command::Server(_) | Command::Connection(_) | Command::Help { .. } | Command::NotImplemented { .. }) => {
                return Ok(())
            }
            Ok(cmd) => cmd,
            Err(_) => return Ok(()),
        };
        let mut cfg = self.engine_config.clone();
        cfg.replaying = true;
        let mut cx = Context::new(*db, self.now_ms, &mut self.rng, &cfg, argv);
        cx.may_block = false;
        // What a replayed command touched is dropped: nobody waits on keys
        // while the file loads, so a FLUSHALL in it need not list any.
        let nobody = |_| Vec::new();
        cx.interest = Some(&nobody);
        let _ = self.engine.execute(&mut cx, &cmd);
        Ok(())
    }

    /// DEBUG RELOAD's second half: the saved file replaces the dataset.
    pub(super) fn reload_from(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.replace_dataset_from_rdb(bytes).map(|_| ())
    }
}
