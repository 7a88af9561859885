//! DUMP and RESTORE: a value as an RDB payload (type, body, RDB version,
//! CRC64), exchangeable with real Redis in both directions.

use bytes::Bytes;

use super::access::{lru_clock, new_lru, Access};
use super::db::Entry;
use super::value::Value;
use super::Model;
use crate::command::{parse_i64, RestoreArgs};
use crate::engine::Context;
use crate::errors::{self, RedisError, RedisResult};
use crate::rdb::{self, LoadOptions, PAYLOAD_VERSION_OR_CHECKSUM};
use crate::resp::Frame;

/// Redis's LRU clock wraps at 24 bits.
const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;

impl Model {
    pub(super) fn dump(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        Ok(match self.lookup(cx, cx.db, key, Access::Read) {
            None => Frame::Null,
            Some(e) => Frame::Bulk(Bytes::from(rdb::dump_payload_with(&e.value, cx.config.rdb_compression))),
        })
    }

    /// RESTORE, with Redis's order of checks: options (at parse time), an
    /// existing key (BUSYKEY), the TTL, the payload's version and checksum,
    /// then its body.
    pub(super) fn restore(&mut self, cx: &mut Context<'_>, r: &RestoreArgs) -> RedisResult<Frame> {
        if !r.replace && self.exists(cx, cx.db, &r.key, Access::Write) {
            return Err(errors::BUSYKEY);
        }
        let mut ttl = parse_i64(&r.ttl)?;
        if ttl < 0 {
            return Err(errors::INVALID_TTL);
        }
        let value = decode_payload(cx, &r.payload)?;
        let deleted = r.replace && self.dbs[cx.db].remove(&r.key).is_some();
        if ttl != 0 && !r.absttl {
            ttl = ttl.saturating_add(cx.now_ms);
        }
        if ttl != 0 && ttl <= cx.now_ms && cx.config.is_master && !cx.config.replaying {
            // Restored already expired: only the deletion of the old key remains.
            if deleted {
                cx.rewrite(vec![Bytes::from_static(b"DEL"), r.key.clone()]);
                cx.dirty += 1;
            }
            return Ok(Frame::ok());
        }
        let lru = restored_lru(cx, r);
        let expire_at = (ttl != 0).then_some(ttl);
        self.dbs[cx.db].insert(r.key.clone(), Entry { value, expire_at, lru });
        if ttl != 0 && !r.absttl {
            // Replicas get the absolute time.
            let mut argv = cx.argv.to_vec();
            if argv.len() >= 3 {
                argv[2] = Bytes::from(ttl.to_string());
                argv.push(Bytes::from_static(b"ABSTTL"));
                cx.rewrite(argv);
            }
        }
        cx.dirty += 1;
        Ok(Frame::ok())
    }
}

/// RESTORE's payload as a value, with Redis's two error texts: a payload of
/// another RDB version or with a bad checksum, and anything else malformed.
pub fn decode_payload(cx: &Context<'_>, payload: &[u8]) -> RedisResult<Value> {
    let opts = LoadOptions::from_config(cx.config, cx.config.databases, cx.now_ms);
    rdb::restore_payload_with(payload, &opts).map_err(|e| {
        if e.message == PAYLOAD_VERSION_OR_CHECKSUM {
            RedisError::owned(format!("ERR {PAYLOAD_VERSION_OR_CHECKSUM}"))
        } else {
            errors::BAD_DATA_FORMAT
        }
    })
}

/// The access data of a restored key: FREQ under an LFU policy, IDLETIME
/// under the others, else that of a new object (Redis's objectSetLRUOrLFU).
pub fn restored_lru(cx: &Context<'_>, r: &RestoreArgs) -> u32 {
    let lfu = cx.config.maxmemory_policy.is_lfu();
    match (lfu, r.freq, r.idle_seconds) {
        (true, Some(freq), _) => (new_lru(cx) & !0xff) | freq as u32,
        (false, _, Some(idle)) => {
            let clock = lru_clock(cx.now_ms) as i64;
            let mut at = clock - idle;
            if at < 0 {
                at = (clock + LRU_CLOCK_MAX / 2) % LRU_CLOCK_MAX;
            }
            at as u32
        }
        _ => new_lru(cx),
    }
}
