//! ZRANDMEMBER and ZSCAN.

use bytes::Bytes;
use rand::Rng;

use super::super::sampling::random_indexes;
use super::{pick, score_pairs};
use crate::command::ScanOptions;
use crate::engine::Context;
use crate::errors::RedisResult;
use crate::glob::glob_match;
use crate::reference::access::Access;
use crate::reference::Model;
use crate::resp::Frame;

impl Model {
    /// Without a count: one random member, or nil. With a count: that many
    /// distinct members (all of them if the count is at least the size), or
    /// for a negative count that many independent draws, repeats allowed.
    /// Draws come from the node's seeded generator; the replies grow as they
    /// are drawn, never reserved from the client's count.
    pub(super) fn zrandmember(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        count: Option<i64>,
        withscores: bool,
    ) -> RedisResult<Frame> {
        let Some(z) = self.lookup_typed(cx, cx.db, key, Access::Read, pick)? else {
            return Ok(if count.is_none() { Frame::Null } else { Frame::Array(Vec::new()) });
        };
        let all: Vec<(&[u8], f64)> = z.entries().collect();
        // Empty sets are deleted, but a draw from nothing must not panic.
        if all.is_empty() {
            return Ok(if count.is_none() { Frame::Null } else { Frame::Array(Vec::new()) });
        }
        let own = |(m, s): (&[u8], f64)| (Bytes::copy_from_slice(m), s);
        let Some(count) = count else {
            let i = cx.rng.gen_range(0..all.len());
            return Ok(Frame::Bulk(Bytes::copy_from_slice(all[i].0)));
        };
        let picked: Vec<(Bytes, f64)> =
            random_indexes(cx.rng, all.len(), count).into_iter().map(|i| own(all[i])).collect();
        Ok(if withscores {
            score_pairs(picked)
        } else {
            Frame::Array(picked.into_iter().map(|(m, _)| Frame::Bulk(m)).collect())
        })
    }

    /// ZSCAN: the options are read after the key (a missing key answers an
    /// empty scan whatever they say). Scores are sent as bulk strings in
    /// both protocols.
    pub(super) fn zscan(
        &mut self,
        cx: &mut Context<'_>,
        key: &[u8],
        cursor: u64,
        options: &[Bytes],
    ) -> RedisResult<Frame> {
        let Some(z) = self.lookup_typed(cx, cx.db, key, Access::Read, pick)? else {
            return Ok(Frame::Array(vec![Frame::bulk("0"), Frame::Array(Vec::new())]));
        };
        let opts = ScanOptions::parse(options, false)?;
        let count = usize::try_from(opts.count).unwrap_or(usize::MAX);
        let (next, pairs) = z.scan(cursor, count);
        let mut items = Vec::new();
        for (m, s) in pairs {
            if opts.pattern.as_ref().is_some_and(|p| !glob_match(p, &m, false)) {
                continue;
            }
            items.push(Frame::Bulk(m));
            items.push(Frame::bulk(s));
        }
        Ok(Frame::Array(vec![Frame::bulk(next.to_string()), Frame::Array(items)]))
    }
}
