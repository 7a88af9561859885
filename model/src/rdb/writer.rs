//! Writing an RDB file in pieces: [`RdbWriter`] serializes a dataset a few
//! keys at a time, handing out chunks of about `chunk_size` bytes, so a node
//! can produce a BGSAVE snapshot or a full-sync payload across event-loop
//! iterations without stalling. The chunks concatenated are the whole file.

use std::borrow::Borrow;

use super::crc64::crc64;
use super::encode_value::ValueEncoder;
use super::format::*;
use super::key_access::{idle_seconds, lfu_counter, KeyAccess};
use super::RdbOptions;
use crate::dataset::{Dataset, Record};

/// Default chunk size: 64 KiB.
pub const DEFAULT_CHUNK: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Header,
    /// Next key to write: database, index in it, and whether the database's
    /// SELECTDB/RESIZEDB were written already.
    Keys {
        db: usize,
        index: usize,
        announced: bool,
    },
    Footer,
    Done,
}

/// An RDB file being written; see the module docs.
pub struct RdbWriter<D: Borrow<Dataset>> {
    dataset: D,
    opts: RdbOptions,
    access: KeyAccess,
    functions: Vec<Vec<u8>>,
    chunk_size: usize,
    encoder: ValueEncoder,
    phase: Phase,
    crc: u64,
}

impl<D: Borrow<Dataset>> RdbWriter<D> {
    /// A writer of `dataset` with `opts`, no access opcodes, the default
    /// `list-max-listpack-size` (-2) and 64 KiB chunks.
    pub fn new(dataset: D, opts: &RdbOptions) -> RdbWriter<D> {
        RdbWriter {
            dataset,
            opts: opts.clone(),
            access: KeyAccess::None,
            functions: Vec::new(),
            chunk_size: DEFAULT_CHUNK,
            encoder: ValueEncoder::new(opts.compression, -2),
            phase: Phase::Header,
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

    /// Advances by one unit (the header, one key, or the footer). Bytes are
    /// checksummed as they are produced, so the CRC is ready at the end.
    fn step(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        match self.phase {
            Phase::Header => {
                self.header(out);
                self.phase = self.next_key_from(0, 0);
            }
            Phase::Keys { db, index, announced } => {
                let dataset: &Dataset = self.dataset.borrow();
                let records = &dataset.dbs[db];
                if !announced {
                    out.push(OP_SELECTDB);
                    put_len(out, db as u64);
                    let live = records.iter().filter(|r| !is_empty(r));
                    out.push(OP_RESIZEDB);
                    put_len(out, live.clone().count() as u64);
                    put_len(out, live.filter(|r| r.expire_at.is_some()).count() as u64);
                }
                let record = &records[index];
                write_record(out, record, self.access, &mut self.encoder);
                self.phase = self.next_key_from(db, index + 1);
            }
            Phase::Footer => {
                out.push(OP_EOF);
                self.crc = crc64(self.crc, &out[start..]);
                let sum = if self.opts.checksum { self.crc } else { 0 };
                out.extend_from_slice(&sum.to_le_bytes());
                self.phase = Phase::Done;
                return;
            }
            Phase::Done => return,
        }
        self.crc = crc64(self.crc, &out[start..]);
    }

    /// The first non-empty record at or after (`db`, `index`), or the footer.
    fn next_key_from(&self, mut db: usize, mut index: usize) -> Phase {
        let dataset: &Dataset = self.dataset.borrow();
        while db < dataset.dbs.len() {
            let records = &dataset.dbs[db];
            if let Some(offset) = records[index.min(records.len())..].iter().position(|r| !is_empty(r)) {
                return Phase::Keys { db, index: index + offset, announced: index > 0 };
            }
            db += 1;
            index = 0;
        }
        Phase::Footer
    }

    /// Magic, AUX fields in Redis's order, function libraries.
    fn header(&mut self, out: &mut Vec<u8>) {
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
