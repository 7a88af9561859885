//! Loading an RDB file at startup (`dbfilename`, or an AOF's base with an
//! RDB preamble) [`KEYS_PER_STEP`] keys per timer turn, so that clients
//! get their `-LOADING` replies while it loads, as Redis answers them
//! between chunks of its load. A file found bad part of the way through
//! stops the server as one found bad before loading would.

use redsim_model::dataset::Record;
use redsim_model::rdb::{RdbError, RdbReader};

use super::aof_manifest::AofFile;
use super::loading::{Loader, Replayed};
use super::{LogLevel, Node};

/// Keys loaded per step: about 10 ms of work.
pub(super) const KEYS_PER_STEP: usize = 5000;

/// What the file being loaded is.
#[derive(Debug)]
pub(super) enum RdbFile {
    /// `dir/dbfilename`: a master drops the keys whose time has passed.
    Dump,
    /// An AOF's base: every key stays (the AOF after it may refer to them).
    AofBase(AofFile),
}

/// An RDB file being loaded.
#[derive(Debug)]
pub(super) struct RdbLoad {
    file: RdbFile,
    bytes: Vec<u8>,
    reader: RdbReader,
    loaded: u64,
    expired: u64,
    /// Whether the AUX fields (at the file's start) have been logged.
    told: bool,
    start_ms: i64,
}

impl RdbLoad {
    /// Bytes in the file, bytes read, and the `used-mem` it records.
    pub(super) fn progress(&self) -> (u64, u64, u64) {
        (self.bytes.len() as u64, self.reader.position() as u64, used_mem(&self.reader.info).unwrap_or(0))
    }
}

/// The `used-mem` AUX field of a file, if it has one (logged as the load
/// starts, INFO's `loading_rdb_used_mem`).
pub(super) fn used_mem(info: &redsim_model::rdb::RdbInfo) -> Option<u64> {
    info.aux_text("used-mem").and_then(|v| v.parse().ok())
}

impl Node {
    /// Checks the file's header and sets up its load.
    pub(super) fn start_rdb_load(&mut self, file: RdbFile, bytes: Vec<u8>) -> Result<Box<RdbLoad>, String> {
        if let RdbFile::AofBase(_) = file {
            self.log(LogLevel::Notice, "Reading RDB base file on AOF loading...".into());
        }
        let opts = match file {
            RdbFile::Dump => self.rdb_load_options(),
            RdbFile::AofBase(_) => {
                redsim_model::rdb::LoadOptions { check_duplicates: false, ..redsim_model::rdb::LoadOptions::default() }
            }
        };
        let reader = RdbReader::new(&bytes, &opts).map_err(|e| self.bad_rdb(&file, e))?;
        Ok(Box::new(RdbLoad { file, bytes, reader, loaded: 0, expired: 0, told: false, start_ms: self.now_ms }))
    }

    /// The fatal error for a bad file.
    fn bad_rdb(&self, file: &RdbFile, e: RdbError) -> String {
        match file {
            RdbFile::Dump => format!(
                "Bad RDB file {}: {} at offset {}. Fatal error loading the DB, exiting.",
                self.config.get("dbfilename"),
                e.message,
                e.offset
            ),
            RdbFile::AofBase(f) => {
                format!("Bad RDB preamble in the AOF file {}: {} at offset {}", f.name, e.message, e.offset)
            }
        }
    }

    /// Loads the next [`KEYS_PER_STEP`] keys. At the end: the totals, and
    /// the loader goes on.
    pub(super) fn rdb_load_step(&mut self, mut loader: Loader, mut load: Box<RdbLoad>) {
        let mut batch: Vec<(usize, Record)> = Vec::with_capacity(KEYS_PER_STEP);
        let done = match load.reader.read(&load.bytes, KEYS_PER_STEP, &mut batch) {
            Ok(done) => done,
            Err(e) => {
                let message = self.bad_rdb(&load.file, e);
                self.fatal(message);
                return;
            }
        };
        if !load.told {
            load.told = true;
            self.log_rdb_aux(&load.reader.info);
        }
        if matches!(load.file, RdbFile::Dump) && self.engine_config.is_master {
            let now = self.now_ms;
            let before = batch.len();
            batch.retain(|(_, r)| r.expire_at.is_none_or(|at| at > now));
            load.expired += (before - batch.len()) as u64;
        }
        load.loaded += batch.len() as u64;
        for (db, keys) in load.reader.take_size_hints() {
            self.engine.reserve(db, keys);
        }
        if let Err((db, key)) = self.engine.load_records(batch) {
            let what = redsim_model::rdb::duplicated_key(db, &key);
            let message = match &load.file {
                RdbFile::Dump => format!(
                    "Bad RDB file {}: {what}. Fatal error loading the DB, exiting.",
                    self.config.get("dbfilename")
                ),
                RdbFile::AofBase(f) => format!("Bad RDB preamble in the AOF file {}: {what}", f.name),
            };
            self.fatal(message);
            return;
        }
        if !done {
            loader.stage_rdb_load(load);
            self.persist.loader = Some(loader);
            return;
        }
        let (loaded, expired) = (load.loaded, load.expired);
        self.log(LogLevel::Notice, format!("Done loading RDB, keys loaded: {loaded}, keys expired: {expired}."));
        let took = super::loading::seconds(self.now_ms - load.start_ms);
        match load.file {
            RdbFile::Dump => {
                self.persist.last_load = (loaded, expired);
                self.log(LogLevel::Notice, format!("DB loaded from disk: {took} seconds"));
                self.restore_repl_info(&load.reader.info);
                self.rdb_file_loaded(loader);
            }
            RdbFile::AofBase(file) => {
                self.log(LogLevel::Notice, format!("DB loaded from base file {}: {took} seconds", file.name));
                let bytes = std::mem::take(&mut load.bytes);
                self.aof_file_loaded(loader, file, &bytes, Ok(Replayed::Complete { sealed_to: 0 }));
            }
        }
    }
}
