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
#[derive(Default)]
struct Pending {
    expire_at: Option<i64>,
    idle: Option<u64>,
    freq: Option<u8>,
}

pub fn read_with(bytes: &[u8], opts: &LoadOptions) -> Result<(Dataset, RdbInfo), RdbError> {
    let mut cur = Cursor::new(bytes);
    let version = read_header(&mut cur)?;
    let mut info = RdbInfo { version, ..RdbInfo::default() };
    let databases = opts.databases.max(1);
    let mut dataset = Dataset::empty(databases);
    // Only asked whether a key came before, never iterated: a hash set with
    // fixed keys (a B-tree's comparisons of random keys cost ~1 µs a key).
    let mut keys: Vec<HashSet<Bytes, BuildHasherDefault<DefaultHasher>>> = vec![HashSet::default(); databases];
    let mut db = 0usize;
    let mut pending = Pending::default();
    loop {
        let at = cur.pos();
        let op = cur.u8("opcode")?;
        match op {
            OP_EXPIRETIME => pending.expire_at = Some(i32::from_le_bytes(cur.array("expire time")?) as i64 * 1000),
            OP_EXPIRETIME_MS => pending.expire_at = Some(i64::from_le_bytes(cur.array("expire time")?)),
            OP_FREQ => pending.freq = Some(cur.u8("LFU frequency")?),
            OP_IDLE => pending.idle = Some(cur.plain_len("LRU idle time")?),
            OP_EOF => break,
            OP_SELECTDB => {
                let id = cur.plain_len("database index")?;
                if id >= databases as u64 {
                    return Err(cur.error_at(
                        at,
                        format!("database index {id} out of range: the file needs more than {databases} databases"),
                    ));
                }
                db = id as usize;
            }
            OP_RESIZEDB => {
                cur.plain_len("database size hint")?;
                cur.plain_len("expires size hint")?;
            }
            OP_AUX => {
                let key = cur.string("AUX field name")?;
                let value = cur.string("AUX field value")?;
                info.aux.push((key, value));
            }
            OP_MODULE_AUX => return Err(cur.error_at(at, "module auxiliary data (opcode 247) is not supported")),
            OP_FUNCTION2 => info.functions.push(cur.string("function library")?),
            OP_FUNCTION_PRE_GA => info.functions.push(read_pre_ga_function(&mut cur)?),
            type_byte => {
                let key = Bytes::from(cur.string("key")?);
                let value = read_value(&mut cur, type_byte, at, opts)?;
                let p = std::mem::take(&mut pending);
                // Redis skips empty collections rather than failing.
                let Some(value) = value else { continue };
                if !keys[db].insert(key.clone()) {
                    return Err(cur.error_at(at, format!("duplicated key {:?} in database {db}", show(&key))));
                }
                let lru = loaded_lru(opts.lfu, opts.now_ms, p.idle, p.freq);
                dataset.dbs[db].push(Record { key, value, expire_at: p.expire_at, lru });
            }
        }
    }
    if version >= 5 {
        let body_end = cur.pos();
        let stored = u64::from_le_bytes(cur.array("checksum")?);
        if stored != 0 && opts.verify_checksum {
            let computed = crc64(0, &bytes[..body_end]);
            if computed != stored {
                return Err(cur.error_at(
                    body_end,
                    format!("Wrong RDB checksum: computed {computed:016x}, file has {stored:016x}"),
                ));
            }
        }
    }
    info.bytes_read = cur.pos();
    Ok((dataset, info))
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

fn show(key: &[u8]) -> String {
    let s = String::from_utf8_lossy(key);
    if s.len() > 64 {
        format!("{}...", &s[..s.char_indices().nth(61).map_or(s.len(), |(i, _)| i)])
    } else {
        s.into_owned()
    }
}
