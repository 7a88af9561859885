//! DEBUG DIGEST and DEBUG DIGEST-VALUE, byte-compatible with Redis 7.0.
//!
//! Redis's digest is order-independent: each key contributes the SHA-1 based
//! digest of (key, type, value, has-expire), and those are XORed together per
//! database, with the database index mixed in. Equal datasets give equal
//! digests whatever the order of insertion, in redsim and in Redis.

use super::db::{Db, Entry};
use super::sha1::sha1;
use super::value::Value;

/// Redis's type codes, which the digest mixes in.
const OBJ_STRING: u32 = 0;
const OBJ_LIST: u32 = 1;
const OBJ_SET: u32 = 2;
const OBJ_ZSET: u32 = 3;
const OBJ_HASH: u32 = 4;

/// XORs the SHA-1 of `data` into `digest` (Redis's xorDigest).
pub fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    let h = sha1(data);
    for (d, x) in digest.iter_mut().zip(h) {
        *d ^= x;
    }
}

/// XORs in `data`, then replaces the digest by its own SHA-1, so the order of
/// mixed items matters (Redis's mixDigest).
pub fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(digest);
}

/// The digest of one value (without its key), as DEBUG DIGEST-VALUE computes it.
pub fn value_digest(digest: &mut [u8; 20], value: &Value, has_expire: bool) {
    let type_code = match value {
        Value::Str(_) => OBJ_STRING,
        Value::List(_) => OBJ_LIST,
        Value::Set(_) => OBJ_SET,
        Value::ZSet(_) => OBJ_ZSET,
        Value::Hash(_) => OBJ_HASH,
    };
    mix_digest(digest, &type_code.to_be_bytes());
    match value {
        Value::Str(s) => mix_digest(digest, &s.bytes),
        Value::List(v) => v.digest_into(digest),
        Value::Hash(v) => v.digest_into(digest),
        Value::Set(v) => v.digest_into(digest),
        Value::ZSet(v) => v.digest_into(digest),
    }
    if has_expire {
        xor_digest(digest, b"!!expire!!");
    }
}

/// A digest as DEBUG DIGEST prints it: forty lowercase hex digits.
pub fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// DEBUG DIGEST: forty zeros for an empty dataset. Like Redis, it sees keys
/// that expired but were not collected yet.
pub fn dataset_hex(dbs: &[Db]) -> String {
    let mut fin = [0u8; 20];
    for (id, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(id as u32).to_be_bytes());
        for (key, entry) in db.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, key);
            value_digest(&mut d, &entry.value, entry.expire_at.is_some());
            xor_digest(&mut fin, &d);
        }
    }
    hex(&fin)
}

/// DEBUG DIGEST-VALUE of one key; forty zeros for a missing key.
pub fn value_hex(entry: Option<&Entry>) -> String {
    let mut d = [0u8; 20];
    if let Some(e) = entry {
        value_digest(&mut d, &e.value, e.expire_at.is_some());
    }
    hex(&d)
}
