//! The comparison rules that need the servers' state (see `Special`): the
//! key's encoding or contents are read on both servers through the side
//! connection, before or after the command, and decide how strictly the
//! two replies must agree. The state Redis reports decides; the subject's
//! own state is compared elsewhere (OBJECT ENCODING, DEBUG DIGEST-VALUE).

use super::client::Reply;
use super::compare::{compare, same_multiset, show_reply, Check};
use super::generate::{Cmd, DbKey, RandomKind, Special, RESYNC_CONN};
use super::random::{count_arg, popped, violation};
use super::seed::{is_error, now_ms, Abort, SeedRun};
use super::state::Contents;

/// A scan page: `[cursor, [elements...]]`.
fn is_page(r: &Reply) -> bool {
    matches!(r, Reply::Array(v) if v.len() == 2
        && matches!(v[0], Reply::Bulk(_))
        && matches!(&v[1], Reply::Array(e) if e.iter().all(|x| matches!(x, Reply::Bulk(_)))))
}

fn len_of(r: &Reply) -> Option<usize> {
    match r {
        Reply::Array(v) | Reply::Set(v) => Some(v.len()),
        _ => None,
    }
}

impl SeedRun<'_> {
    pub fn run_special(&mut self, cmd: &Cmd) -> Result<bool, Abort> {
        match cmd.special.clone() {
            Special::None | Special::FullScan { .. } => unreachable!("plain commands and scans run elsewhere"),
            Special::Unordered { key, pairs } => self.run_unordered(cmd, &key, pairs),
            Special::ScanPage(key) => self.run_scan_page(cmd, &key),
            Special::Random { key, kind } => self.run_random(cmd, &key, kind),
            Special::LexRange(key) => self.run_lex_range(cmd, &key),
            Special::Sort { key, dont_sort, ties, store, limited } => {
                self.run_sort(cmd, &key, (dont_sort, ties), store.as_ref(), limited)
            }
        }
    }

    /// Sends the command as a plain one; its replies and window.
    fn send(&mut self, cmd: &Cmd) -> Result<(Reply, Reply, i64, i64), Abort> {
        self.exchange(cmd.conn, &cmd.args, &cmd.label)
    }

    fn finish(
        &mut self,
        cmd: &Cmd,
        t0: i64,
        t1: i64,
        verdict: Option<String>,
        a: &Reply,
        b: &Reply,
    ) -> Result<bool, Abort> {
        self.judge(cmd, t0, t1, verdict, show_reply(a), show_reply(b))
    }

    /// Redis's encoding of the key, as the side connection sees it now.
    fn redis_encoding(&mut self, key: &DbKey) -> Result<Contents, Abort> {
        Ok(self.contents(key)?.0)
    }

    fn run_unordered(&mut self, cmd: &Cmd, key: &DbKey, pairs: bool) -> Result<bool, Abort> {
        let (a, b, t0, t1) = self.send(cmd)?;
        let mut verdict = compare(Check::Exact, &a, &b, self.tolerance(), &self.pool);
        if verdict.is_some() && !is_error(&a) && !is_error(&b) {
            let held = self.redis_encoding(key)?;
            if held.encoding == b"hashtable" {
                self.report.cover("unordered reply of a hashtable");
                let check = if pairs { Check::Pairs } else { Check::Multiset };
                verdict = compare(check, &a, &b, self.tolerance(), &self.pool)
                    .map(|why| format!("{why} (a hashtable: order is free)"));
            }
        }
        self.finish(cmd, t0, t1, verdict, &a, &b)
    }

    fn run_scan_page(&mut self, cmd: &Cmd, key: &DbKey) -> Result<bool, Abort> {
        let (a, b, t0, t1) = self.send(cmd)?;
        let mut verdict = compare(Check::Exact, &a, &b, self.tolerance(), &self.pool);
        if verdict.is_some() && is_page(&a) && is_page(&b) {
            let held = self.redis_encoding(key)?;
            if held.encoding == b"hashtable" || held.encoding == b"skiplist" {
                self.report.cover("scan page of a hashtable or skiplist");
                verdict = None;
            }
        }
        self.finish(cmd, t0, t1, verdict, &a, &b)
    }

    /// Properties against each server's own contents (which must agree);
    /// an SPOP that popped different members is followed by a rebuild.
    fn run_random(&mut self, cmd: &Cmd, key: &DbKey, kind: RandomKind) -> Result<bool, Abort> {
        let t0 = now_ms();
        let (held_a, held_b) = self.contents(key)?;
        let (a, b, _, t1) = self.send(cmd)?;
        let verdict = if is_error(&a) || is_error(&b) {
            compare(Check::Exact, &a, &b, self.tolerance(), &self.pool)
        } else if (&held_a.kind, held_a.sorted()) != (&held_b.kind, held_b.sorted()) {
            Some(format!("the key differed before the command: redis {} / subject {}", held_a.show(), held_b.show()))
        } else if std::mem::discriminant(&a) != std::mem::discriminant(&b) {
            Some("different reply types".into())
        } else if !held_a.is("set") && !held_a.is("hash") && !held_a.is("zset") && !held_a.is("none") {
            compare(Check::Exact, &a, &b, self.tolerance(), &self.pool)
        } else if let Some(why) = violation(kind, &cmd.args, &a, &held_a) {
            Some(format!("redis's own reply breaks a property ({why}): a harness bug"))
        } else if let Some(why) = violation(kind, &cmd.args, &b, &held_b) {
            Some(format!("{why}; the key held {}", held_b.show()))
        } else if kind == RandomKind::HRandField && self.whole_listpack(&cmd.args, &held_a) && a != b {
            Some("a count covering a whole listpack returns it in order".into())
        } else {
            None
        };
        if !is_error(&a) {
            self.report.cover("random reply checked by properties");
        }
        let agreed = self.finish(cmd, t0, t1, verdict, &a, &b)?;
        if kind == RandomKind::SPop && !is_error(&a) && popped(&a) != popped(&b) {
            self.report.cover("SPOP rebuilt the key");
            let (now_a, _) = self.contents(key)?;
            self.rebuild(key, &now_a)?;
        }
        Ok(agreed)
    }

    fn whole_listpack(&self, args: &[Vec<u8>], held: &Contents) -> bool {
        let count = count_arg(args).flatten().unwrap_or(0);
        held.encoding == b"listpack" && count > 0 && count as usize >= held.items.len()
    }

    /// Not sent when Redis holds a skiplist whose scores differ: a lex range
    /// there depends on the skiplist's random levels.
    fn run_lex_range(&mut self, cmd: &Cmd, key: &DbKey) -> Result<bool, Abort> {
        let (held, _) = self.contents(key)?;
        let scores: std::collections::BTreeSet<&Option<Vec<u8>>> = held.items.iter().map(|(_, s)| s).collect();
        if held.is("zset") && held.encoding == b"skiplist" && scores.len() > 1 {
            self.report.cover("lex range skipped on a skiplist");
            self.report.stat(&cmd.label).skipped += 1;
            return Ok(true);
        }
        let (a, b, t0, t1) = self.send(cmd)?;
        let verdict = compare(Check::Exact, &a, &b, self.tolerance(), &self.pool);
        self.finish(cmd, t0, t1, verdict, &a, &b)
    }

    /// Redis's numeric SORT tests `errno == ERANGE` after strtod without
    /// clearing errno first, so a float parse that under- or overflowed in
    /// an earlier command (ZADD 1e-310...) makes it refuse valid scores.
    /// Parsing a valid double clears errno: GEORADIUS_RO of a missing key
    /// does that and nothing else (on both servers, so that Redis against
    /// Redis stays symmetric; the replies do not matter).
    fn clear_errno(&mut self) -> Result<(), Abort> {
        let args: Vec<Vec<u8>> =
            ["GEORADIUS_RO", "(oracle) errno", "0", "0", "1", "m"].iter().map(|w| w.as_bytes().to_vec()).collect();
        self.exchange(RESYNC_CONN, &args, "(errno)").map(|_| ())
    }

    /// SORT: exact, unless Redis reads the key in its dict order and that
    /// order shows (see `Special::Sort`); then a multiset (only the length
    /// with LIMIT), and a STORE destination compared as a multiset, then
    /// rebuilt from Redis's.
    fn run_sort(
        &mut self,
        cmd: &Cmd,
        key: &DbKey,
        (dont_sort, ties): (bool, bool),
        store: Option<&DbKey>,
        limited: bool,
    ) -> Result<bool, Abort> {
        let free = (ties || (dont_sort && store.is_none())) && {
            let held = self.redis_encoding(key)?;
            let set = held.is("set") && held.encoding == b"hashtable";
            // SORT first turns a listpack sorted set into a skiplist.
            let zset = held.is("zset");
            (set && (ties || dont_sort)) || (zset && ties)
        };
        self.clear_errno()?;
        let (a, b, t0, t1) = self.send(cmd)?;
        let mut exact = compare(Check::Exact, &a, &b, self.tolerance(), &self.pool);
        if free {
            self.report.cover("SORT in dict order");
        }
        if !free || is_error(&a) || is_error(&b) {
            if let Some(why) = exact.take() {
                // What was sorted, to tell a wrong order from wrong data.
                let (ha, hb) = self.contents(key)?;
                exact = Some(format!("{why}; the key held: redis {} / subject {}", ha.show(), hb.show()));
            }
            return self.finish(cmd, t0, t1, exact, &a, &b);
        }
        let Some(dst) = store else {
            let verdict = if limited {
                (len_of(&a).is_none() || len_of(&a) != len_of(&b)).then(|| "different lengths".to_string())
            } else {
                (!same_multiset(&a, &b)).then(|| "different multisets (an unordered set)".to_string())
            };
            return self.finish(cmd, t0, t1, verdict, &a, &b);
        };
        let agreed = self.finish(cmd, t0, t1, exact, &a, &b)?;
        let (held_a, held_b) = self.contents(dst)?;
        if held_a.sorted() != held_b.sorted() && !limited {
            let why = "the stored lists differ as multisets".to_string();
            let label = format!("{} (stored)", cmd.label);
            self.note(&label, cmd.conn, super::compare::show_args(&cmd.args), held_a.show(), held_b.show(), why);
        }
        if !held_a.same_as(&held_b) {
            self.rebuild(dst, &held_a)?;
        }
        Ok(agreed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_recognised() {
        let page = Reply::Array(vec![Reply::Bulk(b"7".to_vec()), Reply::Array(vec![Reply::Bulk(b"a".to_vec())])]);
        assert!(is_page(&page));
        assert!(!is_page(&Reply::Error(b"ERR".to_vec())));
    }
}
