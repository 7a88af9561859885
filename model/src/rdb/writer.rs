//! Writing an RDB file in pieces: [`RdbStream`] serializes records as they
//! are handed to it (a snapshot an engine reads out while it keeps
//! serving), and [`RdbWriter`] a whole dataset, handing out chunks of about
//! `chunk_size` bytes. Either way a node produces a BGSAVE file or a
//! full-sync payload across event-loop iterations without stalling; the
//! pieces concatenated are the whole file.

use std::borrow::Borrow;

use super::crc64::crc64;
use super::encode_value::ValueEncoder;
use super::format::*;
use super::key_access::{idle_seconds, lfu_counter, KeyAccess};
use super::RdbOptions;
use crate::dataset::{Dataset, Record};

/// Default chunk size: 64 KiB.
pub const DEFAULT_CHUNK: usize = 64 * 1024;

/// An RDB file written record by record, as records come: from a
/// [`Dataset`] ([`RdbWriter`]) or from a snapshot an engine reads out in
/// pieces while it keeps serving. It keeps the checksum running and
/// announces each database (SELECTDB, RESIZEDB) before its first record.
pub struct RdbStream {
    opts: RdbOptions,
    access: KeyAccess,
    functions: Vec<Vec<u8>>,
    encoder: ValueEncoder,
    /// (keys, keys with an expire time) of each database, for RESIZEDB.
    shape: Vec<(u64, u64)>,
    /// The database of the last record written.
    db: Option<usize>,
    crc: u64,
}

impl RdbStream {
    /// A stream of a dataset shaped `shape` (each database's key count and
    /// count of keys with an expire time) with `opts`, no access opcodes and
    /// the default `list-max-listpack-size` (-2).
    pub fn new(opts: &RdbOptions, shape: Vec<(u64, u64)>) -> RdbStream {
        RdbStream {
            opts: opts.clone(),
            access: KeyAccess::None,
            functions: Vec::new(),
            encoder: ValueEncoder::new(opts.compression, -2),
            shape,
            db: None,
            crc: 0,
        }
    }

    /// Writes IDLE or FREQ before every key, as Redis under an LRU/LFU policy.
    pub fn key_access(mut self, access: KeyAccess) -> Self {
        self.access = access;
        self
    }

    /// `list-max-listpack-size`, which decides how lists are cut into nodes.
    pub fn list_max_listpack_size(mut self, fill: i64) -> Self {
        self.encoder.list_fill = fill;
        self
    }

    /// Function libraries (their code) to store, each as a FUNCTION2 opcode.
    pub fn functions(mut self, libraries: Vec<Vec<u8>>) -> Self {
        self.functions = libraries;
        self
    }

    /// Magic, AUX fields in Redis's order, function libraries.
    pub fn header(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
        let aux = self.opts.aux.clone();
        let mut field = |out: &mut Vec<u8>, key: &str, value: &[u8]| {
            out.push(OP_AUX);
            self.encoder.string(out, key.as_bytes());
            self.encoder.string(out, value);
        };
        field(out, "redis-ver", aux.redis_ver.as_bytes());
        field(out, "redis-bits", b"64");
        field(out, "ctime", aux.ctime.to_string().as_bytes());
        field(out, "used-mem", aux.used_mem.to_string().as_bytes());
        if let Some((db, id, offset)) = &aux.repl {
            field(out, "repl-stream-db", db.to_string().as_bytes());
            field(out, "repl-id", id.as_bytes());
            field(out, "repl-offset", offset.to_string().as_bytes());
        }
        field(out, "aof-base", if aux.aof_base { b"1" } else { b"0" });
        for code in &self.functions {
            out.push(OP_FUNCTION2);
            self.encoder.string(out, code);
        }
        self.crc = crc64(self.crc, &out[start..]);
    }

    /// One key of database `db`; databases must come in order. Empty
    /// collections, which cannot exist in Redis, are left out rather than
    /// written as a key Redis would refuse.
    pub fn record(&mut self, out: &mut Vec<u8>, db: usize, record: &Record) {
        if is_empty(record) {
            return;
        }
        let start = out.len();
        if self.db != Some(db) {
            debug_assert!(self.db.is_none_or(|d| d < db), "databases out of order");
            self.db = Some(db);
            let (keys, expires) = self.shape.get(db).copied().unwrap_or_default();
            out.push(OP_SELECTDB);
            put_len(out, db as u64);
            out.push(OP_RESIZEDB);
            put_len(out, keys);
            put_len(out, expires);
        }
        write_record(out, record, self.access, &mut self.encoder);
        self.crc = crc64(self.crc, &out[start..]);
    }

    /// The EOF opcode and the checksum (eight zero bytes without `rdbchecksum`).
    pub fn footer(&mut self, out: &mut Vec<u8>) {
        out.push(OP_EOF);
        self.crc = crc64(self.crc, &out[out.len() - 1..]);
        let sum = if self.opts.checksum { self.crc } else { 0 };
        out.extend_from_slice(&sum.to_le_bytes());
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Header,
    /// The next record to write: database and index in it.
    Keys {
        db: usize,
        index: usize,
    },
    Footer,
    Done,
}

/// A whole dataset written as an RDB file, in chunks of about
/// `chunk_size` bytes.
pub struct RdbWriter<D: Borrow<Dataset>> {
    dataset: D,
    stream: RdbStream,
    chunk_size: usize,
    phase: Phase,
}

impl<D: Borrow<Dataset>> RdbWriter<D> {
    /// A writer of `dataset` with `opts`, no access opcodes, the default
    /// `list-max-listpack-size` (-2) and 64 KiB chunks.
    pub fn new(dataset: D, opts: &RdbOptions) -> RdbWriter<D> {
        let shape = dataset
            .borrow()
            .dbs
            .iter()
            .map(|records| {
                let live = records.iter().filter(|r| !is_empty(r));
                (live.clone().count() as u64, live.filter(|r| r.expire_at.is_some()).count() as u64)
            })
            .collect();
        RdbWriter { dataset, stream: RdbStream::new(opts, shape), chunk_size: DEFAULT_CHUNK, phase: Phase::Header }
    }

    /// Writes IDLE or FREQ before every key, as Redis under an LRU/LFU policy.
    pub fn key_access(mut self, access: KeyAccess) -> Self {
        self.stream = self.stream.key_access(access);
        self
    }

    /// `list-max-listpack-size`, which decides how lists are cut into nodes.
    pub fn list_max_listpack_size(mut self, fill: i64) -> Self {
        self.stream = self.stream.list_max_listpack_size(fill);
        self
    }

    /// Function libraries (their code) to store, each as a FUNCTION2 opcode.
    pub fn functions(mut self, libraries: Vec<Vec<u8>>) -> Self {
        self.stream = self.stream.functions(libraries);
        self
    }

    /// Target size of each chunk (a single large key may exceed it).
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The next piece of the file, or `None` once it has all been produced.
    pub fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if self.phase == Phase::Done {
            return None;
        }
        let mut out = Vec::new();
        while out.len() < self.chunk_size && self.phase != Phase::Done {
            self.step(&mut out);
        }
        Some(out)
    }

    /// Writes the rest of the file at once.
    pub fn finish(mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.phase != Phase::Done {
            self.step(&mut out);
        }
        out
    }

    /// Advances by one unit (the header, one key, or the footer).
    fn step(&mut self, out: &mut Vec<u8>) {
        match self.phase {
            Phase::Header => {
                self.stream.header(out);
                self.phase = self.next_key_from(0, 0);
            }
            Phase::Keys { db, index } => {
                let dataset: &Dataset = self.dataset.borrow();
                self.stream.record(out, db, &dataset.dbs[db][index]);
                self.phase = self.next_key_from(db, index + 1);
            }
            Phase::Footer => {
                self.stream.footer(out);
                self.phase = Phase::Done;
            }
            Phase::Done => {}
        }
    }

    /// The first non-empty record at or after (`db`, `index`), or the footer.
    fn next_key_from(&self, mut db: usize, mut index: usize) -> Phase {
        let dataset: &Dataset = self.dataset.borrow();
        while db < dataset.dbs.len() {
            let records = &dataset.dbs[db];
            if let Some(offset) = records[index.min(records.len())..].iter().position(|r| !is_empty(r)) {
                return Phase::Keys { db, index: index + offset };
            }
            db += 1;
            index = 0;
        }
        Phase::Footer
    }
}

impl<D: Borrow<Dataset>> Iterator for RdbWriter<D> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        self.next_chunk()
    }
}

/// Empty collections cannot exist in Redis; if one slips into a dataset it
/// is left out rather than written as a key Redis would refuse.
fn is_empty(r: &Record) -> bool {
    use crate::reference::Value;
    match &r.value {
        Value::Str(_) => false,
        Value::List(v) => v.is_empty(),
        Value::Hash(v) => v.is_empty(),
        Value::Set(v) => v.is_empty(),
        Value::ZSet(v) => v.is_empty(),
    }
}

/// One key: expire, access data, type, key, value.
fn write_record(out: &mut Vec<u8>, r: &Record, access: KeyAccess, enc: &mut ValueEncoder) {
    if let Some(at) = r.expire_at {
        out.push(OP_EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    match access {
        KeyAccess::None => {}
        KeyAccess::Idle { now_ms } => {
            out.push(OP_IDLE);
            put_len(out, idle_seconds(r.lru, now_ms));
        }
        KeyAccess::Freq { now_ms, lfu_decay_time } => {
            out.push(OP_FREQ);
            out.push(lfu_counter(r.lru, now_ms, lfu_decay_time));
        }
    }
    out.push(ValueEncoder::type_byte(&r.value));
    enc.string(out, &r.key);
    enc.value(out, &r.value);
}
