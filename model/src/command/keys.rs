//! Parsing of the generic group (commands on keys of any type).

use bytes::Bytes;

use super::{parse_i64, syntax, Args, Command, ParseEnv, ScanOptions};
use crate::errors::{self, RedisError, RedisResult};
use crate::num;

/// Which condition EXPIRE's NX/XX/GT/LT options put on the current TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ExpireFlags {
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpireArgs {
    pub key: Bytes,
    /// The time as given: seconds or ms, relative or absolute.
    pub when: i64,
    pub millis: bool,
    pub absolute: bool,
    pub flags: ExpireFlags,
}

/// OBJECT's subcommands that look at a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectSub {
    Encoding,
    Freq,
    IdleTime,
    RefCount,
}

/// SCAN's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanArgs {
    pub cursor: u64,
    pub options: ScanOptions,
}

/// RESTORE and RESTORE-ASKING.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreArgs {
    pub key: Bytes,
    /// Read after the key was checked for BUSYKEY, as Redis does.
    pub ttl: Bytes,
    pub payload: Bytes,
    pub replace: bool,
    /// ABSTTL: the TTL is a Unix time in ms.
    pub absttl: bool,
    /// IDLETIME seconds, for LRU policies.
    pub idle_seconds: Option<i64>,
    /// FREQ 0..255, for LFU policies.
    pub freq: Option<i64>,
}

/// SORT and SORT_RO.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SortArgs {
    pub key: Bytes,
    /// BY pattern; a pattern without `*` means "don't sort" (`BY nosort`).
    pub by: Option<Bytes>,
    pub limit: Option<(i64, i64)>,
    pub get: Vec<Bytes>,
    pub desc: bool,
    pub alpha: bool,
    pub store: Option<Bytes>,
}

pub(super) fn parse(name: &str, a: &mut Args, env: &ParseEnv) -> RedisResult<Option<Command>> {
    let cmd = match name {
        "copy" => parse_copy(a, env)?,
        "dump" => Command::Dump { key: a.next()? },
        "restore" | "restore-asking" => parse_restore(a)?,
        "del" | "unlink" => Command::Del { keys: a.rest().to_vec(), unlink: name == "unlink" },
        "exists" => Command::Exists { keys: a.rest().to_vec() },
        "expire" | "pexpire" | "expireat" | "pexpireat" => parse_expire(name, a)?,
        "expiretime" => Command::ExpireTime { key: a.next()?, millis: false },
        "pexpiretime" => Command::ExpireTime { key: a.next()?, millis: true },
        "keys" => Command::Keys { pattern: a.next()? },
        "move" => {
            let key = a.next()?;
            if env.cluster_enabled {
                return Err(RedisError::fixed("ERR MOVE is not allowed in cluster mode"));
            }
            Command::Move { key, db: env.db_index(&a.next()?)? }
        }
        "object|encoding" => Command::Object { sub: ObjectSub::Encoding, key: a.next()? },
        "object|freq" => Command::Object { sub: ObjectSub::Freq, key: a.next()? },
        "object|idletime" => Command::Object { sub: ObjectSub::IdleTime, key: a.next()? },
        "object|refcount" => Command::Object { sub: ObjectSub::RefCount, key: a.next()? },
        "persist" => Command::Persist { key: a.next()? },
        "ttl" => Command::Ttl { key: a.next()?, millis: false },
        "pttl" => Command::Ttl { key: a.next()?, millis: true },
        "randomkey" => Command::RandomKey,
        "rename" | "renamenx" => Command::Rename { source: a.next()?, destination: a.next()?, nx: name == "renamenx" },
        "scan" => parse_scan(a)?,
        "sort" | "sort_ro" => parse_sort(a, name == "sort_ro", env)?,
        "touch" => Command::Touch { keys: a.rest().to_vec() },
        "type" => Command::Type { key: a.next()? },
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}

fn parse_copy(a: &mut Args, env: &ParseEnv) -> RedisResult<Command> {
    let source = a.next()?;
    let destination = a.next()?;
    let (mut db, mut replace) = (None, false);
    while let Some(opt) = a.next_opt() {
        if opt.eq_ignore_ascii_case(b"REPLACE") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"DB") && !a.is_empty() {
            db = Some(env.db_index(&a.next()?)?);
        } else {
            return syntax();
        }
    }
    // In cluster mode the client is always in database 0.
    if env.cluster_enabled && db.is_some_and(|d| d != 0) {
        return Err(RedisError::fixed("ERR Copying to another database is not allowed in cluster mode"));
    }
    Ok(Command::Copy { source, destination, db, replace })
}

fn parse_restore(a: &mut Args) -> RedisResult<Command> {
    let key = a.next()?;
    let ttl = a.next()?;
    let payload = a.next()?;
    let mut r = RestoreArgs { key, ttl, payload, replace: false, absttl: false, idle_seconds: None, freq: None };
    while let Some(opt) = a.next_opt() {
        let has_value = !a.is_empty();
        if opt.eq_ignore_ascii_case(b"REPLACE") {
            r.replace = true;
        } else if opt.eq_ignore_ascii_case(b"ABSTTL") {
            r.absttl = true;
        } else if opt.eq_ignore_ascii_case(b"IDLETIME") && has_value && r.freq.is_none() {
            let idle = parse_i64(&a.next()?)?;
            if idle < 0 {
                return Err(RedisError::fixed("ERR Invalid IDLETIME value, must be >= 0"));
            }
            r.idle_seconds = Some(idle);
        } else if opt.eq_ignore_ascii_case(b"FREQ") && has_value && r.idle_seconds.is_none() {
            let freq = parse_i64(&a.next()?)?;
            if !(0..=255).contains(&freq) {
                return Err(RedisError::fixed("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            r.freq = Some(freq);
        } else {
            return syntax();
        }
    }
    Ok(Command::Restore(r))
}

fn parse_expire(name: &str, a: &mut Args) -> RedisResult<Command> {
    let key = a.next()?;
    let when = a.next()?;
    let mut flags = ExpireFlags::default();
    while let Some(opt) = a.next_opt() {
        match &opt.to_ascii_uppercase()[..] {
            b"NX" => flags.nx = true,
            b"XX" => flags.xx = true,
            b"GT" => flags.gt = true,
            b"LT" => flags.lt = true,
            _ => return Err(RedisError::owned(format!("ERR Unsupported option {}", errors::printable(&opt)))),
        }
    }
    if flags.nx && (flags.xx || flags.gt || flags.lt) {
        return Err(RedisError::fixed("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if flags.gt && flags.lt {
        return Err(RedisError::fixed("ERR GT and LT options at the same time are not compatible"));
    }
    Ok(Command::Expire(ExpireArgs {
        key,
        when: parse_i64(&when)?,
        millis: name.starts_with('p'),
        absolute: name.ends_with("at"),
        flags,
    }))
}

fn parse_scan(a: &mut Args) -> RedisResult<Command> {
    let cursor = num::parse_scan_cursor(&a.next()?).ok_or(errors::INVALID_CURSOR)?;
    let options = ScanOptions::parse(a.rest(), true)?;
    Ok(Command::Scan(ScanArgs { cursor, options }))
}

fn parse_sort(a: &mut Args, readonly: bool, env: &ParseEnv) -> RedisResult<Command> {
    let mut s = SortArgs { key: a.next()?, ..SortArgs::default() };
    while let Some(opt) = a.next_opt() {
        let left = a.remaining();
        let opt = opt.to_ascii_uppercase();
        match &opt[..] {
            b"ASC" => s.desc = false,
            b"DESC" => s.desc = true,
            b"ALPHA" => s.alpha = true,
            b"LIMIT" if left >= 2 => {
                let start = parse_i64(&a.next()?)?;
                let count = parse_i64(&a.next()?)?;
                s.limit = Some((start, count));
            }
            b"STORE" if !readonly && left >= 1 => s.store = Some(a.next()?),
            b"BY" if left >= 1 => {
                let pattern = a.next()?;
                if pattern.contains(&b'*') && env.cluster_enabled {
                    return Err(RedisError::fixed("ERR BY option of SORT denied in Cluster mode."));
                }
                s.by = Some(pattern);
            }
            b"GET" if left >= 1 => {
                if env.cluster_enabled {
                    return Err(RedisError::fixed("ERR GET option of SORT denied in Cluster mode."));
                }
                s.get.push(a.next()?);
            }
            _ => return syntax(),
        }
    }
    Ok(Command::Sort(s))
}
