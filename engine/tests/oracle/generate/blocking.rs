//! Blocking scenarios: clients blocked on their own connections ("slots"),
//! then served, timed out, unblocked or disconnected. Replies arrive
//! asynchronously, so each scenario is a fixed script: block, wait until
//! both servers report the client blocked, act, then read. The script
//! predicts who is served; a wrong prediction only costs time, because
//! every blocked command either has a finite timeout or is unblocked.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::{b, num, LIST_KEYS, ZSET_KEYS};
use super::Check;
use super::{cmd, Action, Cmd, Gen, DBS, STREAM_CONNS};

/// Connections of the harness beyond the stream's.
pub const CHECK_CONN: usize = STREAM_CONNS;
pub const RESYNC_CONN: usize = STREAM_CONNS + 1;
/// Acts on the keys blocked clients wait for.
pub const PUSHER_CONN: usize = STREAM_CONNS + 2;
/// Blocked clients' connections.
pub const BLOCK_SLOTS: [usize; 3] = [STREAM_CONNS + 3, STREAM_CONNS + 4, STREAM_CONNS + 5];
pub const CONNS: usize = STREAM_CONNS + 6;

/// How long a client predicted to be served may wait, in seconds.
const SERVED_TIMEOUT: &str = "2";
/// Timeouts of clients meant to time out.
const SHORT: &[&str] = &["0.05", "0.02", ".03", "0.1", "5e-2"];

pub enum Step {
    /// A command whose reply comes at once, compared as usual.
    Run(Cmd),
    /// A blocking command sent without reading its reply.
    Block(Cmd),
    /// Wait until both servers report this many blocked clients.
    Blocked(usize),
    /// Read and compare the reply of the pending command on this connection,
    /// waiting at most `ms`.
    Expect { conn: usize, ms: u64 },
    /// `CLIENT UNBLOCK <id> [mode]` from the pusher, with each server's own
    /// id of the connection.
    Unblock { conn: usize, mode: Option<&'static str> },
    /// Close the connection (a blocked client goes away) and open another.
    Disconnect(usize),
}

pub struct Scenario {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

/// A script under construction; `db` is where its keys live.
struct Script {
    db: usize,
    steps: Vec<Step>,
    blocked: usize,
}

impl Script {
    fn cmd(&self, conn: usize, label: &str, args: Vec<Vec<u8>>, keys: &[&[u8]]) -> Cmd {
        let mut c = cmd(conn, &format!("(blocking) {label}"), args);
        c.touches = keys.iter().map(|k| (self.db, k.to_vec())).collect();
        c
    }

    fn run(&mut self, conn: usize, words: &[&[u8]], keys: &[&[u8]]) {
        let label = String::from_utf8_lossy(words[0]).to_uppercase();
        let c = self.cmd(conn, &label, words.iter().map(|w| w.to_vec()).collect(), keys);
        self.steps.push(Step::Run(c));
    }

    /// Sends a blocking command and waits until it is blocked everywhere.
    fn block(&mut self, conn: usize, args: Vec<Vec<u8>>, keys: &[&[u8]]) {
        let label = String::from_utf8_lossy(&args[0]).to_uppercase();
        self.steps.push(Step::Block(self.cmd(conn, &label, args, keys)));
        self.blocked += 1;
        self.steps.push(Step::Blocked(self.blocked));
    }

    fn expect(&mut self, conn: usize, ms: u64) {
        self.steps.push(Step::Expect { conn, ms });
        self.blocked = self.blocked.saturating_sub(1);
    }

    /// Reads everything a pusher may have left in `keys`.
    fn inspect(&mut self, keys: &[&[u8]], zset: bool) {
        for k in keys {
            if zset {
                self.run(PUSHER_CONN, &[b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"], &[k]);
            } else {
                self.run(PUSHER_CONN, &[b"LRANGE", k, b"0", b"-1"], &[k]);
            }
        }
    }
}

impl Gen {
    /// A blocking pop of one element (so the number served is known) on
    /// `keys`, with `timeout`; BLMOVE and BRPOPLPUSH (which wait on the
    /// first key only) move it to `dst`.
    fn one_pop(&mut self, keys: &[Vec<u8>], dst: &[u8], timeout: &str, zset: bool) -> Vec<Vec<u8>> {
        let dir = |g: &mut Gen| b(g.pick(&["LEFT", "RIGHT"]));
        let mut args = if zset {
            match self.rng.gen_range(0..3) {
                0 => vec![b("BZPOPMIN")],
                1 => vec![b("BZPOPMAX")],
                _ => {
                    let mut a = vec![b("BZMPOP"), b(timeout), num(keys.len() as i64)];
                    a.extend(keys.iter().cloned());
                    a.push(b(self.pick(&["MIN", "MAX"])));
                    return a;
                }
            }
        } else {
            let kinds = if keys.len() > 1 { [0, 1, 4] } else { [0, 2, self.rng.gen_range(0..5)] };
            match *kinds.choose(&mut self.rng).unwrap() {
                0 => vec![b("BLPOP")],
                1 => vec![b("BRPOP")],
                2 => return vec![b("BLMOVE"), keys[0].clone(), dst.to_vec(), dir(self), dir(self), b(timeout)],
                3 => return vec![b("BRPOPLPUSH"), keys[0].clone(), dst.to_vec(), b(timeout)],
                _ => {
                    let mut a = vec![b("BLMPOP"), b(timeout), num(keys.len() as i64)];
                    a.extend(keys.iter().cloned());
                    a.push(dir(self));
                    return a;
                }
            }
        };
        args.extend(keys.iter().cloned());
        args.push(b(timeout));
        args
    }

    /// Data arriving at `k` by one of the ways that serve blocked clients:
    /// a push (alone or in MULTI), a move from `src`, RENAME, COPY, a store.
    fn feed(&mut self, s: &mut Script, k: &[u8], src: &[u8], n: usize, zset: bool) {
        let elems: Vec<Vec<u8>> = (0..n).map(|i| format!("e{i}").into_bytes()).collect();
        let mut push =
            if zset { vec![b("ZADD"), k.to_vec()] } else { vec![b(self.pick(&["RPUSH", "LPUSH"])), k.to_vec()] };
        for (i, e) in elems.iter().enumerate() {
            if zset {
                push.push(num(self.rng.gen_range(-3..3) + i as i64));
            }
            push.push(e.clone());
        }
        let way = if n == 1 { self.rng.gen_range(0..7) } else { self.rng.gen_range(0..4) };
        match way {
            0 | 1 => s.steps.push(Step::Run(s.cmd(PUSHER_CONN, "PUSH", push, &[k]))),
            2 => {
                s.run(PUSHER_CONN, &[b"MULTI"], &[]);
                s.steps.push(Step::Run(s.cmd(PUSHER_CONN, "PUSH", push, &[k])));
                s.run(PUSHER_CONN, &[b"EXEC"], &[k]);
            }
            // The whole source moves over.
            3 => {
                let mut fill = push.clone();
                fill[1] = src.to_vec();
                s.steps.push(Step::Run(s.cmd(PUSHER_CONN, "PUSH", fill, &[src])));
                match self.rng.gen_range(0..3) {
                    0 => s.run(PUSHER_CONN, &[b"RENAME", src, k], &[src, k]),
                    1 => s.run(PUSHER_CONN, &[b"COPY", src, k], &[src, k]),
                    _ if zset => s.run(PUSHER_CONN, &[b"ZUNIONSTORE", k, b"1", src], &[src, k]),
                    _ => s.run(PUSHER_CONN, &[b"SORT", src, b"ALPHA", b"STORE", k], &[src, k]),
                }
            }
            // One element moves over.
            _ => {
                let mut fill = push.clone();
                fill[1] = src.to_vec();
                s.steps.push(Step::Run(s.cmd(PUSHER_CONN, "PUSH", fill, &[src])));
                if zset {
                    s.run(PUSHER_CONN, &[b"ZRANGESTORE", k, src, b"0", b"0"], &[src, k]);
                } else {
                    s.run(PUSHER_CONN, &[b"LMOVE", src, k, b"LEFT", b"RIGHT"], &[src, k]);
                }
            }
        }
    }

    pub(super) fn scenario(&mut self, _: usize, _: i64) -> Action {
        let zset = self.chance(0.3);
        let home = if zset { ZSET_KEYS } else { LIST_KEYS };
        let mut names: Vec<&str> = home.to_vec();
        names.shuffle(&mut self.rng);
        let keys: Vec<Vec<u8>> = names.iter().map(|k| b(k)).collect();
        let mut s = Script { db: *DBS.choose(&mut self.rng).unwrap(), steps: Vec::new(), blocked: 0 };
        let db = num(s.db as i64);
        // Fresh keys, and each connection in the scenario's database and
        // in RESP2 or RESP3 (the null replies differ).
        s.run(PUSHER_CONN, &[b"SELECT", &db], &[]);
        let all: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let mut del = s.cmd(PUSHER_CONN, "DEL", [vec![b("DEL")], keys.clone()].concat(), &all);
        del.clears = del.touches.clone();
        s.steps.push(Step::Run(del));
        for conn in BLOCK_SLOTS {
            s.run(conn, &[b"SELECT", &db], &[]);
            let proto: &[u8] = if self.chance(0.3) { b"3" } else { b"2" };
            let mut hello = s.cmd(conn, "HELLO", vec![b("HELLO"), proto.to_vec()], &[]);
            hello.check = Check::Shape;
            s.steps.push(Step::Run(hello));
        }
        let (k, k2, src) = (&keys[0], &keys[1], &keys[2]);
        let wait = |t: &str| (t.parse::<f64>().unwrap_or(2.0) * 1000.0) as u64 + 3000;
        let name = match self.rng.gen_range(0..8) {
            0 | 1 => {
                // Served in the order they blocked.
                let n = self.rng.gen_range(1..=3);
                for conn in &BLOCK_SLOTS[..n] {
                    let args = self.one_pop(std::slice::from_ref(k), k2, SERVED_TIMEOUT, zset);
                    s.block(*conn, args, &[k, k2]);
                }
                let fed = self.rng.gen_range(1..=n);
                self.feed(&mut s, k, src, fed, zset);
                for conn in &BLOCK_SLOTS[..fed] {
                    s.expect(*conn, wait(SERVED_TIMEOUT));
                }
                for conn in &BLOCK_SLOTS[fed..n] {
                    s.steps.push(Step::Unblock { conn: *conn, mode: Some("TIMEOUT") });
                    s.expect(*conn, wait(SERVED_TIMEOUT));
                }
                s.inspect(&[k, k2, src], zset);
                "served in order"
            }
            2 => {
                // Several keys; data comes to the second one.
                let args = self.one_pop(&[k.clone(), k2.clone()], src, SERVED_TIMEOUT, zset);
                s.block(BLOCK_SLOTS[0], args, &[k, k2, src]);
                if self.chance(0.5) {
                    // A key of another type does not serve (7.0 keeps waiting).
                    s.run(PUSHER_CONN, &[b"SET", k, b"text"], &[k]);
                }
                self.feed(&mut s, k2, src, 1, zset);
                s.expect(BLOCK_SLOTS[0], wait(SERVED_TIMEOUT));
                s.inspect(&[k2, src], zset);
                "served on another key"
            }
            3 => {
                let t = self.pick(SHORT);
                let args = self.one_pop(std::slice::from_ref(k), k2, t, zset);
                s.block(BLOCK_SLOTS[0], args, &[k, k2]);
                s.expect(BLOCK_SLOTS[0], wait(t));
                "timed out"
            }
            4 => {
                let t = if self.chance(0.5) { "0" } else { SERVED_TIMEOUT };
                let args = self.one_pop(std::slice::from_ref(k), k2, t, zset);
                s.block(BLOCK_SLOTS[0], args, &[k, k2]);
                let mode = *[None, Some("TIMEOUT"), Some("ERROR"), Some("error")].choose(&mut self.rng).unwrap();
                if self.chance(0.2) {
                    // Not blocked: answers 0.
                    s.steps.push(Step::Unblock { conn: BLOCK_SLOTS[1], mode: Some("TIMEOUT") });
                }
                if self.chance(0.1) {
                    s.steps.push(Step::Unblock { conn: BLOCK_SLOTS[0], mode: Some("FOO") });
                }
                s.steps.push(Step::Unblock { conn: BLOCK_SLOTS[0], mode });
                s.expect(BLOCK_SLOTS[0], wait(SERVED_TIMEOUT));
                "CLIENT UNBLOCK"
            }
            5 => {
                let args = self.one_pop(std::slice::from_ref(k), k2, "0", zset);
                s.block(BLOCK_SLOTS[0], args, &[k, k2]);
                s.steps.push(Step::Disconnect(BLOCK_SLOTS[0]));
                s.blocked -= 1;
                s.steps.push(Step::Blocked(0));
                self.feed(&mut s, k, src, 1, zset);
                s.inspect(&[k, k2], zset);
                "disconnected while blocked"
            }
            6 => {
                // Blocked in another database: a push here does not serve it.
                let other = **DBS.iter().filter(|d| **d != s.db).collect::<Vec<_>>().choose(&mut self.rng).unwrap();
                s.run(BLOCK_SLOTS[0], &[b"SELECT", &num(other as i64)], &[]);
                let mut del = cmd(BLOCK_SLOTS[0], "(blocking) DEL", vec![b("DEL"), k.clone()]);
                del.touches.push((other, k.clone()));
                del.clears = del.touches.clone();
                s.steps.push(Step::Run(del));
                let t = self.pick(SHORT);
                let args = self.one_pop(std::slice::from_ref(k), k2, t, zset);
                let mut c = s.cmd(BLOCK_SLOTS[0], "BLOCK", args, &[]);
                c.label = format!("(blocking) {}", String::from_utf8_lossy(&c.args[0]).to_uppercase());
                s.steps.push(Step::Block(c));
                s.blocked += 1;
                s.steps.push(Step::Blocked(1));
                self.feed(&mut s, k, src, 1, zset);
                s.expect(BLOCK_SLOTS[0], wait(t));
                s.inspect(&[k], zset);
                "blocked in another database"
            }
            _ if zset => {
                // BZMPOP with COUNT takes several at once.
                let count = num(self.rng.gen_range(1..=3));
                let dir = b(self.pick(&["MIN", "MAX"]));
                let args = vec![b("BZMPOP"), b(SERVED_TIMEOUT), b("1"), k.clone(), dir, b("COUNT"), count];
                s.block(BLOCK_SLOTS[0], args, &[k]);
                let n = self.rng.gen_range(1..=4);
                self.feed(&mut s, k, src, n, zset);
                s.expect(BLOCK_SLOTS[0], wait(SERVED_TIMEOUT));
                s.inspect(&[k], zset);
                "BZMPOP with COUNT"
            }
            _ => {
                // A chain: the first client moves the element to a key the
                // second one waits on.
                let (d1, d2) = (b(self.pick(&["LEFT", "RIGHT"])), b(self.pick(&["LEFT", "RIGHT"])));
                let t = b(SERVED_TIMEOUT);
                s.block(BLOCK_SLOTS[0], vec![b("BLMOVE"), k.clone(), k2.clone(), d1, d2, t.clone()], &[k, k2]);
                s.block(BLOCK_SLOTS[1], vec![b("BLPOP"), k2.clone(), t], &[k2]);
                self.feed(&mut s, k, src, 1, false);
                s.expect(BLOCK_SLOTS[0], wait(SERVED_TIMEOUT));
                s.expect(BLOCK_SLOTS[1], wait(SERVED_TIMEOUT));
                s.inspect(&[k, k2], false);
                "a chain of BLMOVE"
            }
        };
        Action::Scenario(Scenario { name, steps: s.steps })
    }
}
