//! Loading a whole RDB file: the magic and version, then opcodes and keys
//! until EOF, then the checksum, the way Redis 7.0's `rdbLoadRio` walks it.
//!
//! Differences from Redis, all on input Redis itself never writes: a file
//! that would make Redis exit or crash (a database index past `databases`,
//! a key present twice, module data, streams) is an error here.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use bytes::Bytes;

use super::crc64::crc64;
use super::decode_value::read_value;
use super::format::*;
use super::key_access::loaded_lru;
use super::{LoadOptions, RdbError, RdbInfo};
use crate::dataset::{Dataset, Record};

/// Per-key facts set by the opcodes that precede a key.
#[derive(Clone, Debug, Default)]
struct Pending {
    expire_at: Option<i64>,
    idle: Option<u64>,
    freq: Option<u8>,
}

pub fn read_with(bytes: &[u8], opts: &LoadOptions) -> Result<(Dataset, RdbInfo), RdbError> {
    let mut reader = RdbReader::new(bytes, opts)?;
    let mut dataset = Dataset::empty(opts.databases.max(1));
    let mut records = Vec::new();
    loop {
        let done = reader.read(bytes, usize::MAX, &mut records)?;
        for (db, r) in records.drain(..) {
            dataset.dbs[db].push(r);
        }
        if done {
            return Ok((dataset, reader.info));
        }
    }
}

/// A file read a batch of keys at a time (a server loading at startup
/// answers its clients between batches). It keeps only its place, not the
/// bytes: each call is handed the same file.
#[derive(Clone, Debug)]
pub struct RdbReader {
    opts: LoadOptions,
    pos: usize,
    /// What the file said so far: version, AUX fields, functions; complete
    /// once the read is done.
    pub info: RdbInfo,
    /// The keys of each database so far, to refuse a duplicate. Only asked
    /// whether a key came before, never iterated: a hash set with fixed
    /// keys (a B-tree's comparisons of random keys cost ~1 µs a key).
    keys: Vec<HashSet<Bytes, BuildHasherDefault<DefaultHasher>>>,
    db: usize,
    pending: Pending,
    /// RESIZEDB's key counts (database, keys) not yet taken.
    hints: Vec<(usize, usize)>,
    /// The checksum of the bytes before `crc_to`, computed a batch at a
    /// time: at the end of a large file it would be one long pause.
    crc: u64,
    crc_to: usize,
}

impl RdbReader {
    /// Checks the header of `bytes` and starts after it.
    pub fn new(bytes: &[u8], opts: &LoadOptions) -> Result<RdbReader, RdbError> {
        let mut cur = Cursor::new(bytes);
        let version = read_header(&mut cur)?;
        let databases = opts.databases.max(1);
        Ok(RdbReader {
            opts: opts.clone(),
            pos: cur.pos(),
            info: RdbInfo { version, ..RdbInfo::default() },
            keys: vec![HashSet::default(); databases],
            db: 0,
            pending: Pending::default(),
            hints: Vec::new(),
            crc: 0,
            crc_to: 0,
        })
    }

    /// Appends up to `max` more keys of `bytes` (the file given to
    /// [`RdbReader::new`]) to `out`, each with its database. True once the
    /// end is reached and the checksum verified.
    pub fn read(&mut self, bytes: &[u8], max: usize, out: &mut Vec<(usize, Record)>) -> Result<bool, RdbError> {
        let mut cur = Cursor::at(bytes, self.pos);
        let databases = self.keys.len();
        let mut n = 0;
        let done = loop {
            if n >= max {
                break false;
            }
            let at = cur.pos();
            let op = cur.u8("opcode")?;
            match op {
                OP_EXPIRETIME => {
                    self.pending.expire_at = Some(i32::from_le_bytes(cur.array("expire time")?) as i64 * 1000)
                }
                OP_EXPIRETIME_MS => self.pending.expire_at = Some(i64::from_le_bytes(cur.array("expire time")?)),
                OP_FREQ => self.pending.freq = Some(cur.u8("LFU frequency")?),
                OP_IDLE => self.pending.idle = Some(cur.plain_len("LRU idle time")?),
                OP_EOF => break true,
                OP_SELECTDB => {
                    let id = cur.plain_len("database index")?;
                    if id >= databases as u64 {
                        return Err(cur.error_at(
                            at,
                            format!("database index {id} out of range: the file needs more than {databases} databases"),
                        ));
                    }
                    self.db = id as usize;
                }
                OP_RESIZEDB => {
                    let keys = cur.plain_len("database size hint")?;
                    cur.plain_len("expires size hint")?;
                    // A key takes three bytes of file at least: a bigger
                    // hint is a damaged file's, not an allocation to make.
                    let keys = (keys as usize).min(bytes.len() / 3);
                    if self.opts.check_duplicates {
                        self.keys[self.db].reserve(keys);
                    }
                    self.hints.push((self.db, keys));
                }
                OP_AUX => {
                    let key = cur.string("AUX field name")?;
                    let value = cur.string("AUX field value")?;
                    self.info.aux.push((key, value));
                }
                OP_MODULE_AUX => return Err(cur.error_at(at, "module auxiliary data (opcode 247) is not supported")),
                OP_FUNCTION2 => self.info.functions.push(cur.string("function library")?),
                OP_FUNCTION_PRE_GA => self.info.functions.push(read_pre_ga_function(&mut cur)?),
                type_byte => {
                    let key = Bytes::from(cur.string("key")?);
                    let value = read_value(&mut cur, type_byte, at, &self.opts)?;
                    let p = std::mem::take(&mut self.pending);
                    // Redis skips empty collections rather than failing.
                    let Some(value) = value else { continue };
                    let db = self.db;
                    if self.opts.check_duplicates && !self.keys[db].insert(key.clone()) {
                        return Err(cur.error_at(at, duplicated_key(db, &key)));
                    }
                    let lru = loaded_lru(self.opts.lfu, self.opts.now_ms, p.idle, p.freq);
                    out.push((db, Record { key, value, expire_at: p.expire_at, lru }));
                    n += 1;
                }
            }
        };
        self.pos = cur.pos();
        let checked = self.info.version >= 5 && self.opts.verify_checksum;
        if !done {
            if checked {
                self.crc = crc64(self.crc, &bytes[self.crc_to..self.pos]);
                self.crc_to = self.pos;
            }
            return Ok(false);
        }
        if self.info.version >= 5 {
            let body_end = cur.pos();
            let stored = u64::from_le_bytes(cur.array("checksum")?);
            if stored != 0 && checked {
                let computed = crc64(self.crc, &bytes[self.crc_to..body_end]);
                if computed != stored {
                    return Err(cur.error_at(
                        body_end,
                        format!("Wrong RDB checksum: computed {computed:016x}, file has {stored:016x}"),
                    ));
                }
            }
        }
        self.info.bytes_read = cur.pos();
        self.pos = cur.pos();
        Ok(true)
    }

    /// How far into the file the reading is (INFO's `loading_loaded_bytes`).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The key counts RESIZEDB announced since the last call, each with
    /// its database: for sizing tables before the keys arrive.
    pub fn take_size_hints(&mut self) -> Vec<(usize, usize)> {
        std::mem::take(&mut self.hints)
    }
}

/// "REDIS" and four digits, 1 to 10.
fn read_header(cur: &mut Cursor<'_>) -> Result<u32, RdbError> {
    let magic = cur.take(9, "file signature")?;
    if &magic[..5] != b"REDIS" {
        return Err(cur.error_at(0, "wrong signature: not an RDB file"));
    }
    let digits = &magic[5..];
    let version = std::str::from_utf8(digits)
        .ok()
        .filter(|d| d.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|d| d.parse::<u32>().ok())
        .ok_or_else(|| cur.error_at(5, "RDB version is not a number"))?;
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(cur.error_at(5, format!("can't handle RDB format version {version}")));
    }
    Ok(version)
}

/// Redis 7.0 release candidates stored a library as name, engine, optional
/// description and code; 7.0 turns that into the later one-string form.
fn read_pre_ga_function(cur: &mut Cursor<'_>) -> Result<Vec<u8>, RdbError> {
    let name = cur.string("function library name")?;
    let engine = cur.string("function engine name")?;
    if cur.plain_len("function description flag")? != 0 {
        cur.string("function description")?;
    }
    let code = cur.string("function library code")?;
    let mut out = b"#!".to_vec();
    out.extend_from_slice(&engine);
    out.extend_from_slice(b" name=");
    out.extend_from_slice(&name);
    out.push(b'\n');
    out.extend_from_slice(&code);
    Ok(out)
}

/// What is said of a key found twice in database `db`, by the reader or by
/// an engine loading its records (`LoadOptions::check_duplicates`).
pub fn duplicated_key(db: usize, key: &[u8]) -> String {
    format!("duplicated key {:?} in database {db}", show(key))
}

fn show(key: &[u8]) -> String {
    let s = String::from_utf8_lossy(key);
    if s.len() > 64 {
        format!("{}...", &s[..s.char_indices().nth(61).map_or(s.len(), |(i, _)| i)])
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{StrValue, Value};

    fn record(key: &str) -> Record {
        let value = Value::Str(StrValue::plain(b"v".to_vec()));
        Record { key: Bytes::copy_from_slice(key.as_bytes()), value, expire_at: None, lru: 0 }
    }

    #[test]
    fn resizedb_hints_come_out_with_their_database_and_within_the_file() {
        let mut data = Dataset::empty(16);
        data.dbs[0] = vec![record("a"), record("b"), record("c")];
        data.dbs[2] = vec![record("d"), record("e")];
        let bytes = crate::rdb::write(
            &data,
            &crate::rdb::RdbOptions { compression: false, checksum: true, aux: Default::default() },
        );
        let mut reader = RdbReader::new(&bytes, &LoadOptions::default()).unwrap();
        let mut out = Vec::new();
        assert!(reader.read(&bytes, 100, &mut out).unwrap());
        assert_eq!(reader.take_size_hints(), vec![(0, 3), (2, 2)]);
        assert_eq!(reader.take_size_hints(), vec![]);
        // A hint of 2^40 keys in a file of a few dozen bytes is capped.
        let mut bad = b"REDIS0010".to_vec();
        bad.extend_from_slice(&[0xfe, 0, 0xfb, 0x81, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0xff]);
        bad.extend_from_slice(&crate::rdb::crc64::crc64(0, &bad).to_le_bytes());
        let mut reader = RdbReader::new(&bad, &LoadOptions::default()).unwrap();
        assert!(reader.read(&bad, 100, &mut out).unwrap());
        assert_eq!(reader.take_size_hints(), vec![(0, bad.len() / 3)]);
    }

    /// The checksum is computed a batch at a time: read a key per call, a
    /// good file passes and a byte changed anywhere in its body is caught.
    #[test]
    fn the_checksum_is_checked_across_batches() {
        let mut data = Dataset::empty(16);
        data.dbs[0] = (0..50).map(|i| record(&format!("key:{i}"))).collect();
        let bytes = crate::rdb::write(
            &data,
            &crate::rdb::RdbOptions { compression: false, checksum: true, aux: Default::default() },
        );
        let read_by_one = |bytes: &[u8]| -> Result<usize, RdbError> {
            let mut reader = RdbReader::new(bytes, &LoadOptions::default())?;
            let mut out = Vec::new();
            while !reader.read(bytes, 1, &mut out)? {}
            Ok(out.len())
        };
        assert_eq!(read_by_one(&bytes).unwrap(), 50);
        for at in [0, bytes.len() / 2, bytes.len() * 3 / 4] {
            let mut bad = bytes.clone();
            // A digit of a key made a letter: the file still parses, only its checksum differs.
            let key = bad[at..].windows(4).position(|w| w == b"key:").map(|p| at + p).unwrap();
            bad[key + 4] = b'x';
            let e = read_by_one(&bad).expect_err("a changed byte");
            assert!(e.message.starts_with("Wrong RDB checksum"), "at {at}: {}", e.message);
        }
    }
}
