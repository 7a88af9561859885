//! The set commands on members: SADD, SREM, SISMEMBER, SMISMEMBER, SCARD,
//! SMEMBERS, SMOVE and SSCAN, step for step as the model's
//! `reference/sets/mod.rs`.

use bytes::Bytes;
use redsim_model::command::ScanOptions;
use redsim_model::errors::{self, RedisResult};
use redsim_model::glob::glob_match;
use redsim_model::reference::shared::Access;
use redsim_model::{Context, Frame};

use super::super::object::Obj;
use super::super::scan_reply;
use super::super::Engine;
use super::{bulks, max_intset, Member, SetObj};

impl Engine {
    /// SADD: a set whose members are all there already is not touched.
    pub(super) fn sadd(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let max = max_intset(cx);
        let added = match self.lookup_set(cx, db, key, Access::Write)? {
            Some(link) => {
                // Adding a member already there changes nothing (not even the encoding).
                self.change_set_counted(db, key, link, |s| members.iter().filter(|m| s.add(m, max)).count())
            }
            None => {
                let mut set = SetObj::default();
                for m in members {
                    set.add(m, max);
                }
                let n = set.len();
                self.create_set(cx, key, set);
                n
            }
        };
        cx.dirty += added as u64;
        Ok(Frame::Integer(added as i64))
    }

    pub(super) fn srem(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_set(cx, db, key, Access::Write)? else {
            return Ok(Frame::Integer(0));
        };
        let removed = self.change_set_counted(db, key, link, |s| members.iter().filter(|m| s.remove(m)).count());
        if removed > 0 && self.set_at(db, link).is_empty() {
            self.dbs[db].remove(key);
        }
        cx.dirty += removed as u64;
        Ok(Frame::Integer(removed as i64))
    }

    pub(super) fn scard(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let n = self.lookup_set(cx, db, key, Access::Read)?.map_or(0, |l| self.set_at(db, l).len());
        Ok(Frame::Integer(n as i64))
    }

    pub(super) fn sismember(&mut self, cx: &mut Context<'_>, key: &Bytes, member: &[u8]) -> RedisResult<Frame> {
        let db = cx.db;
        let found = self.lookup_set(cx, db, key, Access::Read)?.is_some_and(|l| self.set_at(db, l).contains(member));
        Ok(Frame::Integer(found as i64))
    }

    pub(super) fn smismember(&mut self, cx: &mut Context<'_>, key: &Bytes, members: &[Bytes]) -> RedisResult<Frame> {
        let db = cx.db;
        let set = self.lookup_set(cx, db, key, Access::Read)?.map(|l| self.set_at(db, l));
        let flags = members.iter().map(|m| Frame::Integer(set.is_some_and(|s| s.contains(m)) as i64));
        Ok(Frame::Array(flags.collect()))
    }

    pub(super) fn smembers(&mut self, cx: &mut Context<'_>, key: &Bytes) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_set(cx, db, key, Access::Read)? else {
            return Ok(Frame::Set(Vec::new()));
        };
        Ok(bulks(self.set_at(db, link).iter()).into_set_frame())
    }

    /// SMOVE: both keys are looked up first; types are checked only if the
    /// source exists.
    pub(super) fn smove(
        &mut self,
        cx: &mut Context<'_>,
        src: &Bytes,
        dst: &Bytes,
        member: &Bytes,
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let is_set = |e: &Engine, link: u32| matches!(e.dbs[db].node(link).obj, Obj::Set(_));
        let src_link = self.lookup(cx, db, src, Access::Write);
        let dst_link = self.lookup(cx, db, dst, Access::Write);
        let Some(src_link) = src_link else {
            return Ok(Frame::Integer(0));
        };
        if !is_set(self, src_link) || dst_link.is_some_and(|l| !is_set(self, l)) {
            return Err(errors::WRONGTYPE);
        }
        if src == dst {
            return Ok(Frame::Integer(self.set_at(db, src_link).contains(member) as i64));
        }
        if !self.set_at(db, src_link).contains(member) {
            return Ok(Frame::Integer(0));
        }
        let empty = self.change_set(db, src, src_link, |s| {
            s.remove(member);
            s.is_empty()
        });
        if empty {
            self.dbs[db].remove(src);
        }
        cx.dirty += 1;
        let max = max_intset(cx);
        match dst_link {
            None => {
                self.create_set(cx, dst, SetObj::from_members([Member::Bytes(member)], max));
                cx.dirty += 1;
            }
            Some(link) if !self.set_at(db, link).contains(member) => {
                self.change_set(db, dst, link, |s| s.add(member, max));
                cx.dirty += 1;
            }
            Some(_) => {}
        }
        Ok(Frame::Integer(1))
    }

    /// SSCAN: a missing key is an empty scan whatever the options; the
    /// options are read only once the key proved to be a set.
    pub(super) fn sscan(
        &mut self,
        cx: &mut Context<'_>,
        key: &Bytes,
        cursor: u64,
        options: &[Bytes],
    ) -> RedisResult<Frame> {
        let db = cx.db;
        let Some(link) = self.lookup_set(cx, db, key, Access::Read)? else {
            return Ok(scan_reply(0, Vec::new()));
        };
        let ScanOptions { count, pattern, .. } = ScanOptions::parse(options, false)?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let (next, members) = self.set_at(db, link).scan(cursor, count);
        let mut text = [0u8; 20];
        let kept =
            members.into_iter().filter(|m| pattern.as_ref().is_none_or(|p| glob_match(p, m.text(&mut text), false)));
        Ok(scan_reply(next, bulks(kept).into_bulks()))
    }
}
