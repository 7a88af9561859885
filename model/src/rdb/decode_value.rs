//! One value read from RDB, in the encoding Redis 7.0 gives it after
//! loading: compact encodings are kept unless past the configured limits,
//! old ones (zipmap, ziplist, quicklist of ziplists) become their 7.0
//! equivalents, and plain hashes and small sorted sets are packed again the
//! way `rdbLoadObject` does. Every count from the file is trusted only as far
//! as the bytes that follow can back it: nothing is preallocated from it.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::format::*;
use super::listpack::LpValue;
use super::{intset, listpack, ziplist, zipmap, BlobError, LoadOptions, RdbError};
use crate::num;
use crate::reference::{HashValue, ListValue, SetValue, StrValue, Value, ZSetValue};

/// Redis refuses to grow a listpack past 1 GiB (`lpSafeToAdd`).
const LISTPACK_MAX_SAFETY_SIZE: u64 = 1 << 30;
/// Redis never lets an intset hold more than 2^30 entries.
const INTSET_HARD_LIMIT: u64 = 1 << 30;

/// Reads the value of type `type_byte` (found at `type_at`); `Ok(None)` for
/// an empty collection, which Redis skips on load (and RESTORE refuses).
pub fn read_value(
    cur: &mut Cursor<'_>,
    type_byte: u8,
    type_at: usize,
    opts: &LoadOptions,
) -> Result<Option<Value>, RdbError> {
    let at = cur.pos();
    let value = match type_byte {
        TYPE_STRING => Some(Value::Str(StrValue::encoded(cur.string("string value")?, opts.share_integers))),
        TYPE_LIST => {
            let n = cur.plain_len("list length")?;
            let mut items = Vec::new();
            for _ in 0..n {
                items.push(cur.string("list element")?);
            }
            list(items)
        }
        TYPE_SET => read_set(cur, opts)?,
        TYPE_ZSET | TYPE_ZSET_2 => read_zset(cur, type_byte == TYPE_ZSET_2, opts)?,
        TYPE_HASH => read_hash(cur, opts)?,
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => read_quicklist(cur, type_byte == TYPE_LIST_QUICKLIST_2)?,
        TYPE_HASH_ZIPMAP => {
            let blob = cur.string("zipmap")?;
            let pairs = zipmap::decode(&blob).map_err(|e| blob_error(cur, at, "zipmap", e))?;
            let longest = pairs.iter().map(|(f, v)| f.len().max(v.len())).max().unwrap_or(0);
            let listpack =
                pairs.len() as u64 <= opts.hash_max_listpack_entries && longest as u64 <= opts.hash_max_listpack_value;
            hash(cur, at, pairs, listpack)?
        }
        TYPE_LIST_ZIPLIST => {
            let blob = cur.string("list ziplist")?;
            let items = ziplist::decode(&blob).map_err(|e| blob_error(cur, at, "ziplist", e))?;
            list(items.into_iter().map(LpValue::into_bytes).collect())
        }
        TYPE_SET_INTSET => {
            let blob = cur.string("intset")?;
            let ints = intset::decode(&blob).map_err(|e| blob_error(cur, at, "intset", e))?;
            let texts: Vec<Vec<u8>> = ints.iter().map(|v| v.to_string().into_bytes()).collect();
            let max = opts.set_max_intset_entries.min(INTSET_HARD_LIMIT);
            Some(Value::Set(SetValue::from_members(texts.iter().map(|t| &t[..]), max)))
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let what = match type_byte {
                TYPE_ZSET_ZIPLIST => "sorted set ziplist",
                TYPE_ZSET_LISTPACK => "sorted set listpack",
                TYPE_HASH_ZIPLIST => "hash ziplist",
                _ => "hash listpack",
            };
            let blob = cur.string(what)?;
            let decoded = if matches!(type_byte, TYPE_ZSET_ZIPLIST | TYPE_HASH_ZIPLIST) {
                ziplist::decode(&blob)
            } else {
                listpack::decode(&blob)
            };
            let items = decoded.map_err(|e| blob_error(cur, at, what, e))?;
            if items.len() % 2 != 0 {
                return Err(cur.error_at(at, format!("{what} has an odd number of entries")));
            }
            let mut pairs = Vec::new();
            let mut it = items.into_iter();
            while let (Some(a), Some(b)) = (it.next(), it.next()) {
                pairs.push((a.into_bytes(), b));
            }
            if matches!(type_byte, TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK) {
                let listpack = pairs.len() as u64 <= opts.hash_max_listpack_entries;
                let pairs = pairs.into_iter().map(|(f, v)| (f, v.into_bytes())).collect();
                hash(cur, at, pairs, listpack)?
            } else {
                let mut scored = Vec::new();
                for (member, score) in pairs {
                    let score = match score {
                        LpValue::Int(v) => v as f64,
                        LpValue::Str(s) => num::parse_f64(&s)
                            .ok_or_else(|| cur.error_at(at, format!("{what} has an invalid score")))?,
                    };
                    scored.push((member, score));
                }
                let listpack = scored.len() as u64 <= opts.zset_max_listpack_entries;
                zset(cur, at, scored, listpack)?
            }
        }
        TYPE_MODULE | TYPE_MODULE_2 => {
            return Err(cur.error_at(type_at, format!("unsupported type {type_byte} (module value)")));
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            return Err(cur.error_at(type_at, format!("unsupported type {type_byte} (stream)")));
        }
        other => return Err(cur.error_at(type_at, format!("unknown value type {other}"))),
    };
    Ok(value)
}

/// An error inside a decoded blob, reported at the blob's string.
fn blob_error(cur: &Cursor<'_>, at: usize, what: &str, e: BlobError) -> RdbError {
    cur.error_at(at, format!("{what} integrity check failed at byte {}: {}", e.offset, e.message))
}

fn list(items: Vec<Vec<u8>>) -> Option<Value> {
    (!items.is_empty()).then(|| Value::List(ListValue::from_elements(items)))
}

/// A plain set: an intset while every member is an integer and the count
/// allows it, a hashtable otherwise (Redis's RDB_TYPE_SET loading).
fn read_set(cur: &mut Cursor<'_>, opts: &LoadOptions) -> Result<Option<Value>, RdbError> {
    let n = cur.plain_len("set length")?;
    let max = opts.set_max_intset_entries.min(INTSET_HARD_LIMIT);
    let mut set = SetValue::new();
    for _ in 0..n {
        let at = cur.pos();
        let member = cur.string("set member")?;
        if !set.add(&member, max) {
            return Err(cur.error_at(at, "duplicate set member"));
        }
    }
    Ok((!set.is_empty()).then_some(Value::Set(set)))
}

/// ZSET (string scores) and ZSET_2 (binary doubles): loaded as a skiplist,
/// then packed into a listpack if small enough, as Redis does.
fn read_zset(cur: &mut Cursor<'_>, binary: bool, opts: &LoadOptions) -> Result<Option<Value>, RdbError> {
    let at = cur.pos();
    let n = cur.plain_len("sorted set length")?;
    let mut pairs = Vec::new();
    let (mut longest, mut total) = (0u64, 0u64);
    for _ in 0..n {
        let member = cur.string("sorted set member")?;
        let score_at = cur.pos();
        let score = if binary { f64::from_le_bytes(cur.array("score")?) } else { text_score(cur)? };
        if score.is_nan() {
            return Err(cur.error_at(score_at, "sorted set score is NaN"));
        }
        longest = longest.max(member.len() as u64);
        total = total.saturating_add(member.len() as u64);
        pairs.push((member, score));
    }
    let listpack = (pairs.len() as u64) <= opts.zset_max_listpack_entries
        && longest <= opts.zset_max_listpack_value
        && total <= LISTPACK_MAX_SAFETY_SIZE;
    zset(cur, at, pairs, listpack)
}

/// A score of the old ZSET type: a length byte (253 NaN, 254 +inf, 255 -inf)
/// and that many bytes of text.
fn text_score(cur: &mut Cursor<'_>) -> Result<f64, RdbError> {
    let at = cur.pos();
    match cur.u8("score")? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => {
            let text = cur.take(n as u64, "score")?;
            num::parse_f64(text).ok_or_else(|| cur.error_at(at, "invalid sorted set score text"))
        }
    }
}

/// A plain hash: a listpack while the count and every string allow it,
/// switching to a hashtable at the first string that is too long.
fn read_hash(cur: &mut Cursor<'_>, opts: &LoadOptions) -> Result<Option<Value>, RdbError> {
    let at = cur.pos();
    let n = cur.plain_len("hash length")?;
    let mut listpack = n <= opts.hash_max_listpack_entries;
    let mut pairs = Vec::new();
    let mut total = 0u64;
    for _ in 0..n {
        let field = cur.string("hash field")?;
        let value = cur.string("hash value")?;
        total = total.saturating_add((field.len() + value.len()) as u64);
        if field.len() as u64 > opts.hash_max_listpack_value
            || value.len() as u64 > opts.hash_max_listpack_value
            || total > LISTPACK_MAX_SAFETY_SIZE
        {
            listpack = false;
        }
        pairs.push((field, value));
    }
    hash(cur, at, pairs, listpack)
}

fn hash(
    cur: &Cursor<'_>,
    at: usize,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    listpack: bool,
) -> Result<Option<Value>, RdbError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut seen = BTreeSet::new();
    for (f, _) in &pairs {
        if !seen.insert(&f[..]) {
            return Err(cur.error_at(at, "duplicate hash field"));
        }
    }
    let pairs = pairs.into_iter().map(|(f, v)| (Bytes::from(f), Bytes::from(v))).collect();
    Ok(Some(Value::Hash(HashValue::from_distinct_pairs(pairs, listpack))))
}

fn zset(cur: &Cursor<'_>, at: usize, pairs: Vec<(Vec<u8>, f64)>, listpack: bool) -> Result<Option<Value>, RdbError> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut seen = BTreeSet::new();
    for (m, _) in &pairs {
        if !seen.insert(&m[..]) {
            return Err(cur.error_at(at, "duplicate sorted set member"));
        }
    }
    let pairs = pairs.into_iter().map(|(m, s)| (Bytes::from(m), s));
    Ok(Some(Value::ZSet(ZSetValue::from_distinct_pairs(pairs, listpack))))
}

/// A quicklist: nodes of ziplists (type 14) or of listpacks and plain
/// elements (type 18). Empty nodes are skipped, as Redis does.
fn read_quicklist(cur: &mut Cursor<'_>, v2: bool) -> Result<Option<Value>, RdbError> {
    let n = cur.plain_len("quicklist node count")?;
    let mut items = Vec::new();
    for _ in 0..n {
        let container = if v2 {
            let at = cur.pos();
            let c = cur.plain_len("quicklist node container")?;
            if c != CONTAINER_PLAIN && c != CONTAINER_PACKED {
                return Err(cur.error_at(at, format!("invalid quicklist node container {c}")));
            }
            c
        } else {
            CONTAINER_PACKED
        };
        let at = cur.pos();
        let blob = cur.string("quicklist node")?;
        if blob.is_empty() {
            return Err(cur.error_at(at, "empty quicklist node"));
        }
        if container == CONTAINER_PLAIN {
            items.push(blob);
            continue;
        }
        let decoded = if v2 { listpack::decode(&blob) } else { ziplist::decode(&blob) };
        let what = if v2 { "quicklist listpack" } else { "quicklist ziplist" };
        let entries = decoded.map_err(|e| blob_error(cur, at, what, e))?;
        items.extend(entries.into_iter().map(LpValue::into_bytes));
    }
    Ok(list(items))
}
