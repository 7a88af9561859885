//! The hash commands that read: HGET and friends, HGETALL/HKEYS/HVALS,
//! HRANDFIELD and HSCAN, step for step as the model's
//! `reference/hashes/read.rs` (the same draws from the generator, so the
//! same fields come out for the same seed).

use bytes::Bytes;
use rand::Rng;
use redsim_model::command::hashes::{HashPart, RandCount};
use redsim_model::command::ScanOptions;
use redsim_model::errors::RedisResult;
use redsim_model::glob::glob_match;
use redsim_model::reference::shared::{random_indexes, Access};
use redsim_model::resp::BulkArray;
use redsim_model::{Context, Frame};

use super::super::Engine;
use super::HashObj;

impl Engine {
    /// The hash at `key` for a read command, `None` if missing.
    fn read_hash(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Option<&HashObj>> {
        let db = cx.db;
        Ok(self.lookup_hash(cx, key, Access::Read)?.map(|link| self.hash_at(db, link)))
    }

    pub(super) fn hget(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key)?;
        Ok(h.and_then(|h| h.get(field)).map_or(Frame::Null, |v| Frame::Bulk(Bytes::copy_from_slice(v))))
    }

    pub(super) fn hexists(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key)?;
        Ok(Frame::Integer(h.is_some_and(|h| h.contains(field)) as i64))
    }

    pub(super) fn hlen(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key)?;
        Ok(Frame::Integer(h.map_or(0, |h| h.len()) as i64))
    }

    /// HSTRLEN: the length of the value as stored text (0 if missing).
    pub(super) fn hstrlen(&mut self, cx: &mut Context<'_>, key: &Bytes, field: &[u8]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key)?;
        Ok(Frame::Integer(h.and_then(|h| h.get(field)).map_or(0, |v| v.len()) as i64))
    }

    /// HMGET: one value or nil per field; a missing key is all nils.
    pub(super) fn hmget(&mut self, cx: &mut Context<'_>, key: &Bytes, fields: &[Bytes]) -> RedisResult<Frame> {
        let h = self.read_hash(cx, key)?;
        let value =
            |f: &Bytes| h.and_then(|h| h.get(f)).map_or(Frame::Null, |v| Frame::Bulk(Bytes::copy_from_slice(v)));
        Ok(Frame::Array(fields.iter().map(value).collect()))
    }

    /// HGETALL (a map, empty for a missing key), HKEYS and HVALS (arrays),
    /// in the hash's order.
    pub(super) fn hgetall(&mut self, cx: &mut Context<'_>, key: &Bytes, part: HashPart) -> RedisResult<Frame> {
        let Some(h) = self.read_hash(cx, key)? else {
            return Ok(match part {
                HashPart::Both => Frame::Map(Vec::new()),
                HashPart::Fields | HashPart::Values => Frame::Array(Vec::new()),
            });
        };
        let per_pair = if part == HashPart::Both { 2 } else { 1 };
        let mut texts = BulkArray::with_capacity(h.len() * per_pair, h.len() * per_pair * 8);
        for (f, v) in h.iter() {
            match part {
                HashPart::Both => {
                    texts.push(f);
                    texts.push(v);
                }
                HashPart::Fields => texts.push(f),
                HashPart::Values => texts.push(v),
            }
        }
        Ok(match part {
            HashPart::Both => texts.into_map_frame(),
            HashPart::Fields | HashPart::Values => texts.into_frame(),
        })
    }

    /// HRANDFIELD. Without a count: one field or nil. With a count: an
    /// array (empty for a missing key or a zero count); a positive count
    /// asks for distinct fields (the whole hash, in order, when it is at
    /// least the size), a negative one for exactly |count| independent draws.
    pub(super) fn hrandfield(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        count: Option<RandCount>,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_hash(cx, key, Access::Read)? else {
            return Ok(if count.is_some() { Frame::Array(Vec::new()) } else { Frame::Null });
        };
        let size = self.hash_at(db, link).len();
        let Some(RandCount { count, with_values }) = count else {
            if size == 0 {
                return Ok(Frame::Null);
            }
            let i = cx.rng.gen_range(0..size);
            let field = self.hash_at(db, link).pick(&[i]).first().map(|(f, _)| Frame::Bulk(Bytes::copy_from_slice(f)));
            return Ok(field.unwrap_or(Frame::Null));
        };
        if count == 0 || size == 0 {
            return Ok(Frame::Array(Vec::new()));
        }
        let picks = random_indexes(cx.rng, size, count);
        let pairs = self.hash_at(db, link).pick(&picks);
        let mut texts = BulkArray::with_capacity(pairs.len() * if with_values { 2 } else { 1 }, pairs.len() * 16);
        for (f, v) in pairs {
            texts.push(f);
            if with_values {
                texts.push(v);
            }
        }
        // WITHVALUES: nested pairs for RESP3 clients, flat for RESP2 ones.
        Ok(if with_values { Frame::Pairs(texts.into_pairs()) } else { texts.into_frame() })
    }

    /// HSCAN: a missing key is an empty scan whatever the options; the
    /// options are read only once the key proved to be a hash.
    pub(super) fn hscan(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        cursor: u64,
        options: &[Bytes],
    ) -> RedisResult<Frame> {
        let Some(h) = self.read_hash(cx, key)? else {
            return Ok(super::super::scan_reply(0, Vec::new()));
        };
        let opts = ScanOptions::parse(options, false)?;
        let count = usize::try_from(opts.count).unwrap_or(usize::MAX);
        let (next, pairs) = h.scan(cursor, count);
        let mut texts = BulkArray::with_capacity(pairs.len() * 2, pairs.len() * 16);
        for (f, v) in pairs {
            if opts.pattern.as_ref().is_some_and(|p| !glob_match(p, f, false)) {
                continue;
            }
            texts.push(f);
            texts.push(v);
        }
        Ok(super::super::scan_reply(next, texts.into_bulks()))
    }
}
