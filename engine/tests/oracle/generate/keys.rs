//! Generic keyspace commands.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::{b, PATTERNS};
use super::{cmd, Action, Check, Cmd, Gen, Scope, TimeUnit};

impl Gen {
    pub(super) fn key_list(&mut self, c: &mut Cmd, conn: usize, max: usize) {
        let n = self.rng.gen_range(1..=max);
        for _ in 0..n {
            let k = self.key();
            c.touches.push(self.dk(conn, &k));
            c.args.push(k);
        }
    }

    pub(super) fn del(&mut self, conn: usize, _: i64) -> Action {
        let name = if self.chance(0.7) { "DEL" } else { "UNLINK" };
        let mut c = cmd(conn, name, vec![self.word(name)]);
        self.key_list(&mut c, conn, 4);
        for dk in c.touches.clone() {
            self.set_len(dk, 0);
        }
        c.clears = c.touches.clone();
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn exists(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "EXISTS", vec![self.word("EXISTS")]);
        self.key_list(&mut c, conn, 4);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn type_(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "TYPE", vec![self.word("TYPE"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn rename(&mut self, conn: usize, _: i64) -> Action {
        let name = if self.chance(0.6) { "RENAME" } else { "RENAMENX" };
        let a = self.key();
        let bk = if self.chance(0.1) { a.clone() } else { self.key() };
        let (da, db) = (self.dk(conn, &a), self.dk(conn, &bk));
        let n = self.len(&da).max(self.len(&db));
        self.grow(db.clone(), n);
        let mut c = cmd(conn, name, vec![self.word(name), a, bk]);
        c.touches = vec![da.clone(), db.clone()];
        c.ttl_copies.push((da, db));
        Action::Cmd(c)
    }

    pub(super) fn copy(&mut self, conn: usize, _: i64) -> Action {
        let a = self.key();
        let bk = if self.chance(0.1) { a.clone() } else { self.key() };
        let mut c = cmd(conn, "COPY", vec![self.word("COPY"), a.clone(), bk.clone()]);
        let mut dst_db = self.db[conn];
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        if self.chance(0.4) {
            let (arg, d) = self.db_arg();
            if let Some(d) = d {
                dst_db = d;
            }
            opts.push(vec![self.word("DB"), arg]);
        }
        if self.chance(0.4) {
            opts.push(vec![self.word("REPLACE")]);
        }
        if self.chance(0.05) {
            opts.push(vec![b(self.pick(&["DB", "FOO"]))]);
        }
        opts.shuffle(&mut self.rng);
        c.args.extend(opts.into_iter().flatten());
        let (da, db) = (self.dk(conn, &a), (dst_db, bk));
        let n = self.len(&da).max(self.len(&db));
        self.grow(db.clone(), n);
        c.touches = vec![da.clone(), db.clone()];
        c.ttl_copies.push((da, db));
        Action::Cmd(c)
    }

    pub(super) fn move_(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let (arg, d) = self.db_arg();
        let mut c = cmd(conn, "MOVE", vec![self.word("MOVE"), k.clone(), arg]);
        let src = self.dk(conn, &k);
        c.touches.push(src.clone());
        if let Some(d) = d {
            let dst = (d, k);
            let n = self.len(&src).max(self.len(&dst));
            self.grow(dst.clone(), n);
            c.touches.push(dst.clone());
            c.ttl_copies.push((src, dst));
        }
        Action::Cmd(c)
    }

    pub(super) fn keys(&mut self, conn: usize, _: i64) -> Action {
        let p = b(self.pick(PATTERNS));
        let mut c = cmd(conn, "KEYS", vec![self.word("KEYS"), p]);
        c.check = Check::Multiset;
        c.scope = Scope::Keys(self.db[conn]);
        Action::Cmd(c)
    }

    pub(super) fn scan(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "SCAN", vec![self.word("SCAN")]);
        c.scope = Scope::Keys(self.db[conn]);
        if self.chance(0.08) {
            // Invalid cursors are compared as single commands.
            c.args.push(b(self.pick(&["abc", " 1", "1x", "18446744073709551616", "1.5", "-"])));
            return Action::Cmd(c);
        }
        c.args.push(b("0"));
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        if self.chance(0.5) {
            let p = b(self.pick(PATTERNS));
            opts.push(vec![self.word("MATCH"), p]);
        }
        if self.chance(0.5) {
            let n = b(self.pick(&["1", "2", "5", "10", "100", "1", "3", "0", "-1", "abc"]));
            opts.push(vec![self.word("COUNT"), n]);
        }
        if self.chance(0.3) {
            let t = b(self.pick(&["string", "STRING", "list", "hash", "set", "zset", "stream", "none", "nosuch"]));
            opts.push(vec![self.word("TYPE"), t]);
        }
        if self.chance(0.04) {
            opts.push(vec![b(self.pick(&["MATCH", "FOO", "COUNT"]))]);
        }
        opts.shuffle(&mut self.rng);
        c.args.extend(opts.into_iter().flatten());
        Action::Scan(c)
    }

    pub(super) fn randomkey(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "RANDOMKEY", vec![self.word("RANDOMKEY")]);
        c.check = Check::RandomKey;
        c.scope = Scope::Keys(self.db[conn]);
        Action::Cmd(c)
    }

    pub(super) fn touch(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "TOUCH", vec![self.word("TOUCH")]);
        self.key_list(&mut c, conn, 4);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn object(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let sub = *["ENCODING", "ENCODING", "REFCOUNT", "IDLETIME", "FREQ", "FOO"].choose(&mut self.rng).unwrap();
        let label = if sub == "FOO" { "OBJECT (unknown)".to_string() } else { format!("OBJECT {sub}") };
        let mut c = cmd(conn, &label, vec![self.word("OBJECT"), self.word(sub), k.clone()]);
        if sub == "IDLETIME" {
            c.check = Check::IdleTime;
        }
        c.touches.push(self.dk(conn, &k));
        Action::Cmd(c)
    }

    pub(super) fn expire(&mut self, conn: usize, now: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        let (name, (arg, d)) = match self.rng.gen_range(0..4) {
            0 => ("EXPIRE", self.secs_arg()),
            1 => ("PEXPIRE", self.ms_arg()),
            2 => ("EXPIREAT", self.unix_s_arg(now)),
            _ => ("PEXPIREAT", self.unix_ms_arg(now)),
        };
        let mut c = cmd(conn, name, vec![self.word(name), k, arg]);
        match self.rng.gen_range(0..100) {
            0..=59 => {}
            60..=89 => {
                let f = self.pick(&["NX", "XX", "GT", "LT"]);
                c.args.push(self.word(f));
            }
            90..=96 => {
                let f1 = self.pick(&["NX", "XX", "GT", "LT"]);
                let f2 = self.pick(&["NX", "XX", "GT", "LT"]);
                c.args.push(b(f1));
                c.args.push(b(f2));
            }
            _ => c.args.push(b(self.pick(&["FOO", "", "NXX"]))),
        }
        c.touches.push(dk.clone());
        if let Some(d) = d {
            c.ttl_sets.push((dk, d));
        }
        Action::Cmd(c)
    }

    pub(super) fn ttl(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let (name, unit) = *[
            ("TTL", TimeUnit::Seconds),
            ("PTTL", TimeUnit::Millis),
            ("EXPIRETIME", TimeUnit::Seconds),
            ("PEXPIRETIME", TimeUnit::Millis),
        ]
        .choose(&mut self.rng)
        .unwrap();
        let mut c = cmd(conn, name, vec![self.word(name), k.clone()]);
        c.check = Check::Time(unit);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn persist(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        let mut c = cmd(conn, "PERSIST", vec![self.word("PERSIST"), k]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    /// DEBUG DIGEST-VALUE: a key's type, contents (in order where the type
    /// has one) and whether it has an expiry, in one hash. It reads keys
    /// without expiring them (see `Scope::Raw`).
    pub(super) fn digest_value(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "DEBUG DIGEST-VALUE", vec![self.word("DEBUG"), self.word("DIGEST-VALUE")]);
        let n = if self.chance(0.05) { 0 } else { self.rng.gen_range(1..=3) };
        for _ in 0..n {
            let k = self.key();
            c.touches.push(self.dk(conn, &k));
            c.args.push(k);
        }
        c.scope = Scope::Raw;
        Action::Cmd(c)
    }

    pub(super) fn dbsize(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "DBSIZE", vec![self.word("DBSIZE")]);
        c.scope = Scope::DbSize(self.db[conn]);
        Action::Cmd(c)
    }

    pub(super) fn flushdb(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "FLUSHDB", vec![self.word("FLUSHDB")]);
        match self.rng.gen_range(0..10) {
            0..=5 => {}
            6..=7 => c.args.push(self.word("ASYNC")),
            8 => c.args.push(self.word("SYNC")),
            _ => c.args.push(b("FOO")),
        }
        if c.args.len() == 1 || c.args[1].eq_ignore_ascii_case(b"ASYNC") || c.args[1].eq_ignore_ascii_case(b"SYNC") {
            let db = self.db[conn];
            self.lens.retain(|(d, _), _| *d != db);
            c.flush = Some(db);
        }
        Action::Cmd(c)
    }

    pub(super) fn select(&mut self, conn: usize, _: i64) -> Action {
        let (arg, d) = self.db_arg();
        if let Some(d) = d {
            self.db[conn] = d;
        }
        Action::Cmd(cmd(conn, "SELECT", vec![self.word("SELECT"), arg]))
    }

    pub(super) fn swapdb(&mut self, conn: usize, _: i64) -> Action {
        let (a, da) = self.db_arg();
        let (b_, db) = self.db_arg();
        let mut c = cmd(conn, "SWAPDB", vec![self.word("SWAPDB"), a, b_]);
        if let (Some(x), Some(y)) = (da, db) {
            let lens = std::mem::take(&mut self.lens);
            self.lens = lens
                .into_iter()
                .map(|((d, k), n)| {
                    (
                        (
                            if d == x {
                                y
                            } else if d == y {
                                x
                            } else {
                                d
                            },
                            k,
                        ),
                        n,
                    )
                })
                .collect();
            c.swap = Some((x, y));
        }
        Action::Cmd(c)
    }
}
