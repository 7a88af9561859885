//! Reading a key's type, encoding and contents on both servers through the
//! side connection (RESP2, never part of the stream), and rebuilding a key
//! on both servers from what Redis holds, after a command whose effect is
//! legitimately different on each (SPOP, an unordered SORT ... STORE).

use super::client::Reply;
use super::compare::{show_args, show_bytes};
use super::generate::{DbKey, RESYNC_CONN};
use super::seed::{now_ms, Abort, SeedRun};

/// What one server holds at a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contents {
    /// TYPE's answer: none, string, list, hash, set, zset.
    pub kind: Vec<u8>,
    pub encoding: Vec<u8>,
    /// Elements in the server's order, with the value (hash) or score
    /// (zset, as text) of each; a string is one element.
    pub items: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Contents {
    pub fn is(&self, kind: &str) -> bool {
        self.kind == kind.as_bytes()
    }

    /// The same key: type, encoding and items (in order where the type has one).
    pub fn same_as(&self, other: &Contents) -> bool {
        self.kind == other.kind && self.encoding == other.encoding && self.sorted() == other.sorted()
    }

    /// The items in a canonical order, for types that have none.
    pub fn sorted(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let mut v = self.items.clone();
        if !self.is("list") {
            v.sort();
        }
        v
    }

    pub fn show(&self) -> String {
        let items: Vec<String> = self
            .items
            .iter()
            .take(16)
            .map(|(e, v)| match v {
                Some(v) => format!("{}={}", show_bytes(e), show_bytes(v)),
                None => show_bytes(e),
            })
            .collect();
        let more = if self.items.len() > 16 { format!(", …({} items)", self.items.len()) } else { String::new() };
        format!(
            "{} ({}) [{}{more}]",
            String::from_utf8_lossy(&self.kind),
            String::from_utf8_lossy(&self.encoding),
            items.join(", ")
        )
    }
}

fn words(w: &[&[u8]]) -> Vec<Vec<u8>> {
    w.iter().map(|x| x.to_vec()).collect()
}

fn text(r: &Reply) -> Vec<u8> {
    match r {
        Reply::Simple(s) | Reply::Bulk(s) | Reply::Error(s) => s.clone(),
        _ => Vec::new(),
    }
}

/// The elements of an array reply, or nothing.
fn elements(r: &Reply) -> Vec<Vec<u8>> {
    match r {
        Reply::Array(v) => v.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

impl SeedRun<'_> {
    /// One side-channel command on both servers.
    fn side(&mut self, args: &[Vec<u8>]) -> Result<(Reply, Reply), Abort> {
        let (a, b, _, _) = self.exchange(RESYNC_CONN, args, "(contents)")?;
        Ok((a, b))
    }

    /// The key's contents on (Redis, subject).
    pub fn contents(&mut self, dk: &DbKey) -> Result<(Contents, Contents), Abort> {
        let (db, k) = dk;
        self.side_select(*db)?;
        let (ta, tb) = self.side(&words(&[b"TYPE", k]))?;
        let (ea, eb) = self.side(&words(&[b"OBJECT", b"ENCODING", k]))?;
        let read = |kind: &[u8]| -> Option<Vec<Vec<u8>>> {
            Some(match kind {
                b"string" => words(&[b"GET", k]),
                b"list" => words(&[b"LRANGE", k, b"0", b"-1"]),
                b"hash" => words(&[b"HGETALL", k]),
                b"set" => words(&[b"SMEMBERS", k]),
                b"zset" => words(&[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]),
                _ => return None,
            })
        };
        let (ta, tb, ea, eb) = (text(&ta), text(&tb), text(&ea), text(&eb));
        // Each side is read by the command for its own type.
        let args_a = read(&ta).unwrap_or_else(|| words(&[b"TYPE", k]));
        let args_b = read(&tb).unwrap_or_else(|| words(&[b"TYPE", k]));
        let (ra, rb, _, _) = self.exchange_split(RESYNC_CONN, &args_a, &args_b, "(contents)")?;
        let items = |kind: &[u8], reply: &Reply| -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
            match kind {
                b"string" => vec![(text(reply), None)],
                b"hash" | b"zset" => elements(reply).chunks(2).map(|p| (p[0].clone(), p.get(1).cloned())).collect(),
                b"list" | b"set" => elements(reply).into_iter().map(|e| (e, None)).collect(),
                _ => Vec::new(),
            }
        };
        let a = Contents { items: items(&ta, &ra), kind: ta, encoding: ea };
        let b = Contents { items: items(&tb, &rb), kind: tb, encoding: eb };
        Ok((a, b))
    }

    /// Makes both servers hold what Redis holds at the key (in a fresh
    /// value, so both pick the encoding such a value gets), expiry included.
    pub fn rebuild(&mut self, dk: &DbKey, redis: &Contents) -> Result<(), Abort> {
        self.report.rebuilds += 1;
        let (db, k) = dk;
        self.side_select(*db)?;
        let (pa, _) = self.side(&words(&[b"PEXPIRETIME", k]))?;
        let mut cmds = vec![words(&[b"DEL", k])];
        let head: &[u8] = match &redis.kind[..] {
            b"list" => b"RPUSH",
            b"set" => b"SADD",
            b"hash" => b"HSET",
            b"zset" => b"ZADD",
            b"string" => b"SET",
            _ => b"",
        };
        if !head.is_empty() {
            let mut args = words(&[head, k]);
            for (e, v) in &redis.items {
                match (&redis.kind[..], v) {
                    (b"zset", Some(score)) => args.extend([score.clone(), e.clone()]),
                    (_, Some(v)) => args.extend([e.clone(), v.clone()]),
                    (_, None) => args.push(e.clone()),
                }
            }
            cmds.push(args);
            if let Reply::Int(t) = pa {
                if t > now_ms() {
                    cmds.push(vec![b"PEXPIREAT".to_vec(), k.clone(), t.to_string().into_bytes()]);
                    // Keep the deadline known (the old ones stay too).
                    let mut c = super::generate::cmd(RESYNC_CONN, "(rebuild)", Vec::new());
                    c.ttl_sets.push((dk.clone(), super::generate::Deadline::At(t)));
                    self.expiries.apply(&c, t, t);
                }
            }
        }
        for (i, args) in cmds.iter().enumerate() {
            let (ra, rb, _, _) = self.exchange(RESYNC_CONN, args, "(rebuild)")?;
            // DEL answers what each server held, which may differ.
            let differ = i > 0 && ra != rb;
            if differ || matches!(ra, Reply::Error(_)) || matches!(rb, Reply::Error(_)) {
                let why = "rebuilding a key on both servers gave different replies".to_string();
                let (a, b) = (super::compare::show_reply(&ra), super::compare::show_reply(&rb));
                self.note("(rebuild)", RESYNC_CONN, show_args(args), a, b, why);
            }
        }
        Ok(())
    }
}
