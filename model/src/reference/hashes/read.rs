//! The hashes group's reads: HGET and friends, HRANDFIELD, HSCAN.

use bytes::Bytes;
use rand::Rng;

use super::super::access::Access;
use super::super::sampling::random_indexes;
use super::super::Model;
use crate::command::hashes::{HashPart, RandCount};
use crate::command::ScanOptions;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::glob::glob_match;
use crate::resp::Frame;

/// HRANDFIELD WITHVALUES: field/value pairs, nested for RESP3 clients and
/// flat for RESP2 ones, as Redis sends them.
fn pairs_reply(pairs: Vec<(Bytes, Bytes)>) -> Frame {
    Frame::Pairs(pairs.into_iter().map(|(f, v)| (Frame::Bulk(f), Frame::Bulk(v))).collect())
}

fn owned((f, v): (&[u8], &[u8])) -> (Bytes, Bytes) {
    (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))
}

impl Model {
    pub(super) fn hget(&mut self, cx: &mut Context<'_>, key: &[u8], field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        Ok(h.and_then(|h| h.get(field)).map_or(Frame::Null, Frame::bulk))
    }

    pub(super) fn hexists(&mut self, cx: &mut Context<'_>, key: &[u8], field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        Ok(Frame::Integer(h.is_some_and(|h| h.contains(field)) as i64))
    }

    pub(super) fn hlen(&mut self, cx: &mut Context<'_>, key: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        Ok(Frame::Integer(h.map_or(0, |h| h.len()) as i64))
    }

    /// HSTRLEN: the length of the value as stored text (0 if missing).
    pub(super) fn hstrlen(&mut self, cx: &mut Context<'_>, key: &[u8], field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        Ok(Frame::Integer(h.and_then(|h| h.get(field)).map_or(0, |v| v.len()) as i64))
    }

    /// HMGET: one value or nil per field; a missing key is all nils.
    pub(super) fn hmget(&mut self, cx: &mut Context<'_>, key: &[u8], fields: &[Bytes]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        let value = |f: &Bytes| h.and_then(|h| h.get(f)).map_or(Frame::Null, Frame::bulk);
        Ok(Frame::Array(fields.iter().map(value).collect()))
    }

    /// HGETALL (a map, empty for a missing key), HKEYS and HVALS (arrays), in
    /// the hash's iteration order.
    pub(super) fn hgetall(&mut self, cx: &mut Context<'_>, key: &[u8], part: HashPart) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key, Access::Read)?;
        let pairs = h.into_iter().flat_map(|h| h.iter());
        Ok(match part {
            HashPart::Both => Frame::Map(pairs.map(|(f, v)| (Frame::bulk(f), Frame::bulk(v))).collect()),
            HashPart::Fields => Frame::Array(pairs.map(|(f, _)| Frame::bulk(f)).collect()),
            HashPart::Values => Frame::Array(pairs.map(|(_, v)| Frame::bulk(v)).collect()),
        })
    }

    /// HRANDFIELD. Without a count: one field or nil. With a count: an
    /// array (empty for a missing key or a zero count); a positive count asks
    /// for distinct fields (the whole hash, in order, when it is at least the
    /// size), a negative one for exactly |count| independent draws.
    pub(super) fn hrandfield(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        count: Option<RandCount>,
    ) -> RedisResult<Frame> {
        let Some(RandCount { count, with_values }) = count else {
            let size = match self.read_hash(cx, key, Access::Read)? {
                None => return Ok(Frame::Null),
                Some(h) => h.len(),
            };
            let i = cx.rng.gen_range(0..size);
            let h = self.stored_hash(cx.db, key);
            let field = h.and_then(|h| h.nth(i)).map(|(f, _)| Frame::bulk(f));
            return Ok(field.unwrap_or(Frame::Null));
        };
        let size = match self.read_hash(cx, key, Access::Read)? {
            None => return Ok(Frame::Array(Vec::new())),
            Some(h) => h.len(),
        };
        if count == 0 || size == 0 {
            return Ok(Frame::Array(Vec::new()));
        }
        let picks = random_indexes(cx.rng, size, count);
        let Some(h) = self.stored_hash(cx.db, key) else {
            return Ok(Frame::Array(Vec::new()));
        };
        let all: Vec<(&[u8], &[u8])> = h.iter().collect();
        let pairs: Vec<(Bytes, Bytes)> = picks.into_iter().filter_map(|i| all.get(i).copied().map(owned)).collect();
        Ok(if with_values {
            pairs_reply(pairs)
        } else {
            Frame::Array(pairs.into_iter().map(|(f, _)| Frame::Bulk(f)).collect())
        })
    }

    /// HSCAN: a missing key is an empty scan whatever the options; the
    /// options are read only once the key proved to be a hash.
    pub(super) fn hscan(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        cursor: u64,
        options: &[Bytes],
    ) -> RedisResult<Frame> {
        let Some(h) = self.read_hash(cx, key, Access::Read)? else {
            return Ok(Frame::Array(vec![Frame::bulk("0"), Frame::Array(Vec::new())]));
        };
        let opts = ScanOptions::parse(options, false)?;
        let count = usize::try_from(opts.count).unwrap_or(usize::MAX);
        let (next, pairs) = h.scan(cursor, count);
        let mut out = Vec::new();
        for (f, v) in pairs {
            if opts.pattern.as_ref().is_some_and(|p| !glob_match(p, &f, false)) {
                continue;
            }
            out.push(Frame::Bulk(f));
            out.push(Frame::Bulk(v));
        }
        Ok(Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(out)]))
    }
}
