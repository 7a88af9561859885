//! String commands.

use rand::seq::SliceRandom;
use rand::Rng;

use super::values::{b, num, strict_int, FLOAT_ARGS, WEIRD_INT};
use super::{cmd, Action, Cmd, Gen};

/// LCS builds an (n+1)*(m+1) table: only run it on strings known to be short.
pub(super) const LCS_MAX_LEN: usize = 2000;

impl Gen {
    pub(super) fn set(&mut self, conn: usize, now: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut c = cmd(conn, "SET", vec![]);
        if self.chance(0.3) {
            let w = if self.chance(0.5) { "NX" } else { "XX" };
            opts.push(vec![self.word(w)]);
        }
        if self.chance(0.2) {
            opts.push(vec![self.word("GET")]);
        }
        if self.chance(0.45) {
            let (w, (arg, d)) = match self.rng.gen_range(0..5) {
                0 => ("EX", self.secs_arg()),
                1 => ("PX", self.ms_arg()),
                2 => ("EXAT", self.unix_s_arg(now)),
                3 => ("PXAT", self.unix_ms_arg(now)),
                _ => ("KEEPTTL", (Vec::new(), None)),
            };
            if w == "KEEPTTL" {
                opts.push(vec![self.word(w)]);
            } else {
                opts.push(vec![self.word(w), arg]);
            }
            if let Some(d) = d {
                c.ttl_sets.push((dk.clone(), d));
            }
        }
        if self.chance(0.06) {
            let bad: Vec<Vec<u8>> = match self.rng.gen_range(0..7) {
                0 => vec![b("NX"), b("XX")],
                1 => vec![b("EX"), b("10"), b("PX"), b("100")],
                2 => vec![b("KEEPTTL"), b("EX"), b("10")],
                3 => vec![b("FOO")],
                4 => vec![b("EX"), b("0")],
                5 => vec![b("PXAT"), b("-5")],
                _ => vec![b("EX")],
            };
            opts.push(bad);
        }
        opts.shuffle(&mut self.rng);
        // Only a plain SET certainly replaces the value and drops any expiry;
        // with options it may fail (NX, syntax, bad expiry) or keep the TTL.
        let plain = opts.is_empty();
        c.args = vec![self.word("SET"), k.clone(), v.clone()];
        c.args.extend(opts.into_iter().flatten());
        c.touches.push(dk.clone());
        if plain {
            self.set_len(dk.clone(), v.len());
            c.clears.push(dk);
            c.lookups = true;
        } else {
            self.grow(dk, v.len());
        }
        Action::Cmd(c)
    }

    pub(super) fn get(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "GET", vec![self.word("GET"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn append(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        let n = self.len(&dk) + v.len();
        self.set_len(dk.clone(), n);
        let mut c = cmd(conn, "APPEND", vec![self.word("APPEND"), k, v]);
        c.touches.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn incr_family(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        self.grow(dk.clone(), 21);
        let name = *["INCR", "DECR", "INCRBY", "DECRBY"].choose(&mut self.rng).unwrap();
        let mut args = vec![self.word(name), k];
        // An invalid increment may be rejected before the key is looked up.
        let mut valid = true;
        if name.ends_with("BY") {
            let n = self.int_arg();
            valid = strict_int(&n).is_some_and(|n| n != i64::MIN);
            args.push(n);
        }
        let mut c = cmd(conn, name, args);
        c.touches.push(dk);
        c.lookups = valid;
        Action::Cmd(c)
    }

    pub(super) fn incrbyfloat(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        // Results print as plain decimals: 1e308 has 309 digits.
        self.grow(dk.clone(), 400);
        let f = if self.chance(0.7) {
            b(self.pick(FLOAT_ARGS))
        } else {
            format!("{:.3}", self.rng.gen_range(-1000.0..1000.0f64)).into_bytes()
        };
        let mut c = cmd(conn, "INCRBYFLOAT", vec![self.word("INCRBYFLOAT"), k, f]);
        c.touches.push(dk);
        Action::Cmd(c)
    }

    pub(super) fn getdel(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        self.set_len(dk.clone(), 0);
        let mut c = cmd(conn, "GETDEL", vec![self.word("GETDEL"), k]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn getex(&mut self, conn: usize, now: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        let mut c = cmd(conn, "GETEX", vec![self.word("GETEX"), k]);
        c.touches.push(dk.clone());
        match self.rng.gen_range(0..100) {
            0..=19 => c.lookups = true,
            20..=69 => {
                let (w, (arg, d)) = match self.rng.gen_range(0..4) {
                    0 => ("EX", self.secs_arg()),
                    1 => ("PX", self.ms_arg()),
                    2 => ("EXAT", self.unix_s_arg(now)),
                    _ => ("PXAT", self.unix_ms_arg(now)),
                };
                c.args.push(self.word(w));
                c.args.push(arg);
                if let Some(d) = d {
                    c.ttl_sets.push((dk, d));
                }
            }
            70..=84 => {
                c.args.push(self.word("PERSIST"));
                c.clears.push(dk);
                c.lookups = true;
            }
            _ => {
                let bad = match self.rng.gen_range(0..6) {
                    0 => vec![b("EX"), b("10"), b("PX"), b("10")],
                    1 => vec![b("PERSIST"), b("EX"), b("10")],
                    2 => vec![b("EX")],
                    3 => vec![b("EX"), b("0")],
                    4 => vec![b("FOO")],
                    _ => vec![b("PX"), b("-1")],
                };
                c.args.extend(bad);
            }
        }
        Action::Cmd(c)
    }

    pub(super) fn getrange(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let name = if self.chance(0.7) { "GETRANGE" } else { "SUBSTR" };
        let (s, e) = (self.offset_arg(), self.offset_arg());
        let mut c = cmd(conn, name, vec![self.word(name), k.clone(), s, e]);
        c.touches.push(self.dk(conn, &k));
        Action::Cmd(c)
    }

    pub(super) fn getset(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        self.set_len(dk.clone(), v.len());
        let mut c = cmd(conn, "GETSET", vec![self.word("GETSET"), k, v]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn lcs(&mut self, conn: usize, now: i64) -> Action {
        // Pick two keys known to hold short strings; fall back to STRLEN.
        let mut pair = None;
        for _ in 0..6 {
            let (a, b_) = (self.key(), self.key());
            if self.len(&self.dk(conn, &a)) <= LCS_MAX_LEN && self.len(&self.dk(conn, &b_)) <= LCS_MAX_LEN {
                pair = Some((a, b_));
                break;
            }
        }
        let Some((k1, k2)) = pair else {
            return self.strlen(conn, now);
        };
        let mut c = cmd(conn, "LCS", vec![self.word("LCS"), k1.clone(), k2.clone()]);
        c.touches = vec![self.dk(conn, &k1), self.dk(conn, &k2)];
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        match self.rng.gen_range(0..100) {
            0..=34 => {}
            35..=54 => opts.push(vec![self.word("LEN")]),
            55..=89 => {
                opts.push(vec![self.word("IDX")]);
                if self.chance(0.5) {
                    let n = b(self.pick(&["0", "1", "2", "3", "5", "-1"]));
                    opts.push(vec![self.word("MINMATCHLEN"), n]);
                }
                if self.chance(0.5) {
                    opts.push(vec![self.word("WITHMATCHLEN")]);
                }
                if self.chance(0.1) {
                    opts.push(vec![b("LEN")]);
                }
            }
            _ => opts.push(match self.rng.gen_range(0..4) {
                0 => vec![b("LEN"), b("IDX")],
                1 => vec![b("MINMATCHLEN")],
                2 => vec![b("MINMATCHLEN"), b("abc")],
                _ => vec![b("FOO")],
            }),
        }
        opts.shuffle(&mut self.rng);
        c.args.extend(opts.into_iter().flatten());
        Action::Cmd(c)
    }

    pub(super) fn mget(&mut self, conn: usize, _: i64) -> Action {
        let n = if self.chance(0.05) { 0 } else { self.rng.gen_range(1..=6) };
        let mut c = cmd(conn, "MGET", vec![self.word("MGET")]);
        for _ in 0..n {
            let k = self.key();
            c.touches.push(self.dk(conn, &k));
            c.args.push(k);
        }
        c.lookups = n > 0;
        Action::Cmd(c)
    }

    pub(super) fn mset_like(&mut self, conn: usize, name: &str) -> Cmd {
        let pairs = self.rng.gen_range(1..=4);
        let odd = self.chance(0.05);
        let mut c = cmd(conn, name, vec![self.word(name)]);
        for i in 0..pairs {
            let k = self.key();
            c.args.push(k.clone());
            if odd && i == pairs - 1 {
                break;
            }
            let v = self.value();
            let dk = self.dk(conn, &k);
            // A key repeated within one MSET keeps the last value: grow, do
            // not reset, so the bound stays safe.
            self.grow(dk.clone(), v.len());
            c.touches.push(dk);
            c.args.push(v);
        }
        c
    }

    pub(super) fn mset(&mut self, conn: usize, _: i64) -> Action {
        let mut c = self.mset_like(conn, "MSET");
        if c.args.len() % 2 == 1 {
            c.clears = c.touches.clone();
        }
        Action::Cmd(c)
    }

    pub(super) fn msetnx(&mut self, conn: usize, _: i64) -> Action {
        Action::Cmd(self.mset_like(conn, "MSETNX"))
    }

    pub(super) fn setex(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        let (name, (t, d)) = if self.chance(0.5) { ("SETEX", self.secs_arg()) } else { ("PSETEX", self.ms_arg()) };
        self.grow(dk.clone(), v.len());
        let mut c = cmd(conn, name, vec![self.word(name), k, t, v]);
        c.touches.push(dk.clone());
        if let Some(d) = d {
            c.ttl_sets.push((dk, d));
        }
        Action::Cmd(c)
    }

    pub(super) fn setnx(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        self.grow(dk.clone(), v.len());
        let mut c = cmd(conn, "SETNX", vec![self.word("SETNX"), k, v]);
        c.touches.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    pub(super) fn setrange(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        let (off, v): (Vec<u8>, Vec<u8>) = match self.rng.gen_range(0..100) {
            0..=69 => (num(self.rng.gen_range(0..=20)), self.value()),
            70..=81 => (num(self.rng.gen_range(20..=200)), self.value()),
            82..=84 => (num(self.rng.gen_range(1000..=100_000)), self.value()),
            85..=89 => (num(self.rng.gen_range(-10..=-1)), self.value()),
            // Past the 512 MB limit: an error, never an allocation.
            90..=91 => (b(self.pick(&["536870911", "9223372036854775807"])), Vec::new()),
            92..=93 => (b(self.pick(&["536870912", "9223372036854775807", "4294967296"])), b("x")),
            _ => (b(self.pick(WEIRD_INT)), self.value()),
        };
        if let Some(o) = strict_int(&off).filter(|o| (0..=100_000).contains(o)) {
            self.grow(dk.clone(), o as usize + v.len());
        }
        let mut c = cmd(conn, "SETRANGE", vec![self.word("SETRANGE"), k, off, v]);
        c.touches.push(dk);
        Action::Cmd(c)
    }

    pub(super) fn strlen(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "STRLEN", vec![self.word("STRLEN"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }
}
