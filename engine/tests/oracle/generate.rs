//! The seeded random command generator.
//!
//! The stream depends only on the seed: the generator never looks at replies
//! or at timing, so a seed reproduces the same commands (absolute expiry
//! times are the one exception: they are "now + offset", with now read once
//! per command). It keeps a small model of its own to choose safe arguments:
//! the selected database of each connection and an upper bound on each
//! string's length (so that LCS is never asked for a huge quadratic table).
//! The model errs on the side of "longer" when unsure.

use std::collections::HashMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::compare::{Check, TimeUnit};

/// Connections that take part in the stream; index 0 carries most commands,
/// 1 and 2 exist for connection state (names, protocol, selected db).
pub const STREAM_CONNS: usize = 3;

/// Databases the stream uses. Valid SELECT/MOVE/COPY/SWAPDB targets are
/// drawn from this set only, so the harness knows where keys can live.
pub const DBS: [usize; 4] = [0, 1, 2, 15];

/// LCS builds an (n+1)*(m+1) table: only run it on strings known to be short.
const LCS_MAX_LEN: usize = 2000;

/// A key as the harness tracks it: database index and name.
pub type DbKey = (usize, Vec<u8>);

/// When a command may make a key expire.
#[derive(Clone, Copy, Debug)]
pub enum Deadline {
    /// Relative, in milliseconds from when the server runs the command.
    In(i64),
    /// Absolute unix time in milliseconds.
    At(i64),
}

/// Keyspace-wide reads whose reply depends on every key of a database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    None,
    /// KEYS, SCAN, RANDOMKEY: see keys that have not expired.
    Keys(usize),
    /// DBSIZE also counts keys that have expired but were not yet evicted.
    DbSize(usize),
}

#[derive(Clone, Debug)]
pub struct Cmd {
    pub conn: usize,
    pub args: Vec<Vec<u8>>,
    pub check: Check,
    /// Statistics bucket, e.g. "SET" or "OBJECT ENCODING" or "(arity)".
    pub label: String,
    /// Keys the command may read or write.
    pub touches: Vec<DbKey>,
    pub scope: Scope,
    /// Well formed, so every touched key is certainly looked up (and thus
    /// lazily expired) by both servers.
    pub lookups: bool,
    /// Keys whose expiry is certainly gone afterwards (deleted, overwritten
    /// without KEEPTTL, persisted).
    pub clears: Vec<DbKey>,
    /// Expiries this command may set.
    pub ttl_sets: Vec<(DbKey, Deadline)>,
    /// Expiries this command may carry from one key to another.
    pub ttl_copies: Vec<(DbKey, DbKey)>,
    /// SWAPDB of two valid databases.
    pub swap: Option<(usize, usize)>,
    /// FLUSHDB of a database.
    pub flush: Option<usize>,
}

pub enum Action {
    Cmd(Cmd),
    /// SCAN iterated to completion on each server; `args[1]` is the cursor
    /// slot. Compared as the set of keys returned.
    Scan(Cmd),
    /// A real pause so that short expiries happen between commands.
    Sleep(u64),
}

/// The key pool: small so commands interact; includes hash tags, glob
/// metacharacters, an empty name, binary and non-ASCII bytes, a long name.
pub fn key_pool() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = (0..8).map(|i| format!("k{i}").into_bytes()).collect();
    for k in ["{t}a", "{t}b", "{t}c", "user:1", "user:2", "", "a b", "*", "k?"] {
        keys.push(k.as_bytes().to_vec());
    }
    keys.push(b"bin\x00\xff".to_vec());
    keys.push("\u{20ac}".as_bytes().to_vec());
    keys.push(vec![b'x'; 100]);
    keys
}

const PATTERNS: &[&str] = &[
    "*",
    "*",
    "k*",
    "k?",
    "k[0-3]",
    "k[^0-3]",
    "k[!13]",
    "{t}*",
    "\\*",
    "*a*",
    "[",
    "k[a-",
    "user:?",
    "*\\?",
    "",
    "?",
    "??",
    "*:*",
    "k[3-1]",
    "\\",
    "*b*",
    "bin*",
    "[\\]]",
    "x*",
    "*\u{20ac}*",
    "K*",
    "k[0-9]*",
    "*[",
];

const INT_LIKE: &[&str] = &[
    "0",
    "1",
    "-1",
    "10",
    "42",
    "9999",
    "10000",
    "-100",
    "-0",
    "007",
    " 1",
    "1 ",
    "+1",
    "1e3",
    "0x1A",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "123456789012345678901234567890",
];

const FLOAT_LIKE: &[&str] = &[
    "3.14",
    "-2.5",
    "1.0",
    "0.1",
    "1e308",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "1.5e-5",
    ".5",
    "5.",
    "1e3",
    "-0.0",
    "0.30000000000000004",
    "2.5e10",
    "1e-320",
];

const WEIRD_INT: &[&str] = &[
    "-0",
    "007",
    " 1",
    "1 ",
    "+1",
    "1e3",
    "1.5",
    "abc",
    "",
    "0x10",
    "inf",
    "nan",
    "99999999999999999999",
    "1-",
    "--1",
    "\u{0661}",
];

const FLOAT_ARGS: &[&str] = &[
    "1", "-1", "0.5", "-0.5", "1.5e2", "1e308", "-1e308", "1e-5", "3.0", "0", "-0", "inf", "-inf", "nan", "abc", "",
    " 1", "1 ", "0x10", "1e", "5.", ".5", "+1.5", "1e309", "10", "-10.25", "1e-400",
];

pub struct Gen {
    rng: ChaCha8Rng,
    pub keys: Vec<Vec<u8>>,
    db: [usize; STREAM_CONNS],
    /// Upper bound on the length of the string at each key.
    lens: HashMap<DbKey, usize>,
}

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn num(n: i64) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// Redis's strict integer syntax (string2ll): optional '-', no leading zeros,
/// no '+', no spaces, fits an i64.
pub fn strict_int(s: &[u8]) -> Option<i64> {
    let t = std::str::from_utf8(s).ok()?;
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') || t == "-0" {
        return None;
    }
    t.parse().ok()
}

/// A command with no model effects yet; the caller fills them in.
pub fn cmd(conn: usize, label: &str, args: Vec<Vec<u8>>) -> Cmd {
    Cmd {
        conn,
        args,
        check: Check::Exact,
        label: label.to_string(),
        touches: Vec::new(),
        scope: Scope::None,
        lookups: false,
        clears: Vec::new(),
        ttl_sets: Vec::new(),
        ttl_copies: Vec::new(),
        swap: None,
        flush: None,
    }
}

type Form = fn(&mut Gen, usize, i64) -> Action;

/// Relative weights of the command forms (per mille, roughly).
const FORMS: &[(u32, Form)] = &[
    // strings
    (45, Gen::set),
    (30, Gen::get),
    (25, Gen::append),
    (30, Gen::incr_family),
    (15, Gen::incrbyfloat),
    (10, Gen::getdel),
    (25, Gen::getex),
    (20, Gen::getrange),
    (10, Gen::getset),
    (20, Gen::lcs),
    (15, Gen::mget),
    (15, Gen::mset),
    (10, Gen::msetnx),
    (15, Gen::setex),
    (10, Gen::setnx),
    (20, Gen::setrange),
    (15, Gen::strlen),
    // generic
    (25, Gen::del),
    (15, Gen::exists),
    (10, Gen::type_),
    (20, Gen::rename),
    (15, Gen::copy),
    (10, Gen::move_),
    (12, Gen::keys),
    (12, Gen::scan),
    (6, Gen::randomkey),
    (6, Gen::touch),
    (20, Gen::object),
    (40, Gen::expire),
    (40, Gen::ttl),
    (10, Gen::persist),
    (10, Gen::sort),
    (8, Gen::dbsize),
    (1, Gen::flushdb),
    (10, Gen::select),
    (4, Gen::swapdb),
    // connection and server
    (12, Gen::ping_echo),
    (12, Gen::client),
    (6, Gen::hello),
    (4, Gen::time_info),
    (3, Gen::debug_sleep),
    (15, Gen::sleep),
    // errors
    (20, Gen::wrong_arity),
    (10, Gen::unknown),
    (0, Gen::wrong_type),
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen { rng: ChaCha8Rng::seed_from_u64(seed), keys: key_pool(), db: [0; STREAM_CONNS], lens: HashMap::new() }
    }

    /// The next command; `now_ms` is the wall clock, used only for absolute
    /// expiry arguments.
    pub fn next(&mut self, now_ms: i64) -> Action {
        let total: u32 = FORMS.iter().map(|f| f.0).sum();
        let mut pick = self.rng.gen_range(0..total);
        let conn = if self.rng.gen_bool(0.85) { 0 } else { self.rng.gen_range(1..STREAM_CONNS) };
        for (w, form) in FORMS {
            if pick < *w {
                return form(self, conn, now_ms);
            }
            pick -= w;
        }
        unreachable!()
    }

    // ----- argument helpers -----

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.rng.gen_range(0..xs.len())]
    }

    /// A command or option name, sometimes in mixed case: names are
    /// case-insensitive and servers must not care.
    fn word(&mut self, w: &str) -> Vec<u8> {
        if self.chance(0.2) {
            w.bytes().map(|c| if self.rng.gen_bool(0.5) { c.to_ascii_lowercase() } else { c }).collect()
        } else {
            b(w)
        }
    }

    fn key(&mut self) -> Vec<u8> {
        let i = self.rng.gen_range(0..self.keys.len());
        self.keys[i].clone()
    }

    fn alpha(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| b"abcxyz"[self.rng.gen_range(0..6)]).collect()
    }

    /// A value: integers and floats in many spellings, empty, short text for
    /// LCS, binary, lengths around the 44-byte embstr limit, long strings.
    fn value(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=24 => b(self.pick(INT_LIKE)),
            25..=34 => b(self.pick(FLOAT_LIKE)),
            35..=39 => Vec::new(),
            40..=64 => {
                let n = self.rng.gen_range(1..=12);
                self.alpha(n)
            }
            65..=71 => {
                let n = self.rng.gen_range(1..=10);
                (0..n).map(|_| self.rng.gen()).collect()
            }
            72..=84 => {
                let n = self.rng.gen_range(40..=48);
                self.alpha(n)
            }
            85..=91 => {
                let n = self.rng.gen_range(50..=300);
                self.alpha(n)
            }
            92..=98 => num(self.rng.gen_range(-1_000_000..=1_000_000)),
            _ => {
                let n = self.rng.gen_range(1000..=100_000);
                let start = self.rng.gen_range(0..26u8);
                (0..n).map(|i| b'a' + ((i as u8).wrapping_mul(7).wrapping_add(start)) % 26).collect()
            }
        }
    }

    /// An integer argument (increments, counts): mostly small, sometimes at
    /// the i64 edges or not an integer at all.
    fn int_arg(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=49 => num(self.rng.gen_range(-10..=10)),
            50..=64 => num(self.rng.gen_range(-1_000_000..=1_000_000)),
            65..=79 => b(self.pick(&[
                "9223372036854775807",
                "-9223372036854775808",
                "9223372036854775806",
                "-9223372036854775807",
                "9223372036854775808",
                "-9223372036854775809",
            ])),
            _ => b(self.pick(WEIRD_INT)),
        }
    }

    /// A string offset for GETRANGE and friends.
    fn offset_arg(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=64 => num(self.rng.gen_range(-12..=12)),
            65..=84 => b(self.pick(&[
                "100",
                "-100",
                "1000",
                "50000",
                "9223372036854775807",
                "-9223372036854775808",
                "2147483647",
                "-2147483648",
                "4294967296",
            ])),
            _ => b(self.pick(WEIRD_INT)),
        }
    }

    /// Seconds for EX / EXPIRE / SETEX. Returns the argument and, if it is a
    /// plausible positive integer, the relative deadline it sets.
    fn secs_arg(&mut self) -> (Vec<u8>, Option<Deadline>) {
        let s: i64 = match self.rng.gen_range(0..100) {
            0..=34 => self.rng.gen_range(1..=3),
            35..=69 => self.rng.gen_range(100..=100_000),
            70..=79 => *[0, -1, -100].choose(&mut self.rng).unwrap(),
            80..=89 => {
                let a = b(self.pick(&[
                    "9223372036854775807",
                    "9223372036854776",
                    "-9223372036854775808",
                    "4611686018427388",
                ]));
                return (a, None);
            }
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(s), (s > 0).then(|| Deadline::In(s * 1000)))
    }

    /// Milliseconds for PX / PEXPIRE / PSETEX; often tiny so that keys expire
    /// mid-stream.
    fn ms_arg(&mut self) -> (Vec<u8>, Option<Deadline>) {
        let ms: i64 = match self.rng.gen_range(0..100) {
            0..=39 => self.rng.gen_range(1..=50),
            40..=59 => self.rng.gen_range(100..=1500),
            60..=79 => self.rng.gen_range(100_000..=10_000_000),
            80..=89 => *[0, -1, -1000].choose(&mut self.rng).unwrap(),
            _ => {
                let a = b(self.pick(&["9223372036854775807", "-9223372036854775808", "abc", "1.5", "", " 5"]));
                return (a, None);
            }
        };
        (num(ms), (ms > 0).then_some(Deadline::In(ms)))
    }

    /// Absolute seconds (EXAT / EXPIREAT): now plus an offset, sometimes in
    /// the past, sometimes a tiny or invalid number.
    fn unix_s_arg(&mut self, now_ms: i64) -> (Vec<u8>, Option<Deadline>) {
        let s: i64 = match self.rng.gen_range(0..100) {
            0..=69 => now_ms / 1000 + *[-1000, -1, 0, 1, 2, 3, 1000, 100_000].choose(&mut self.rng).unwrap(),
            70..=79 => *[1, 0, -1].choose(&mut self.rng).unwrap(),
            80..=89 => {
                return (b(self.pick(&["9223372036854775807", "9223372036854776", "-9223372036854775808"])), None)
            }
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(s), Some(Deadline::At(s.saturating_mul(1000))))
    }

    /// Absolute milliseconds (PXAT / PEXPIREAT).
    fn unix_ms_arg(&mut self, now_ms: i64) -> (Vec<u8>, Option<Deadline>) {
        let ms: i64 = match self.rng.gen_range(0..100) {
            0..=19 => now_ms + self.rng.gen_range(1..=50),
            20..=39 => now_ms + self.rng.gen_range(100..=1500),
            40..=69 => now_ms + *[-1000, -5, 0, 1_000_000].choose(&mut self.rng).unwrap(),
            70..=79 => *[1, 0, -1].choose(&mut self.rng).unwrap(),
            80..=89 => return (b(self.pick(&["9223372036854775807", "-9223372036854775808"])), None),
            _ => return (b(self.pick(WEIRD_INT)), None),
        };
        (num(ms), Some(Deadline::At(ms)))
    }

    /// A database index argument and the database it selects, if valid.
    fn db_arg(&mut self) -> (Vec<u8>, Option<usize>) {
        if self.chance(0.8) {
            let d = *[0, 0, 1, 1, 2, 15].choose(&mut self.rng).unwrap();
            (num(d as i64), Some(d))
        } else {
            (b(self.pick(&["16", "-1", "abc", "1.5", "", "01", " 1", "9999999999999", "2147483648", "-0"])), None)
        }
    }

    // ----- model helpers -----

    fn len(&self, dk: &DbKey) -> usize {
        self.lens.get(dk).copied().unwrap_or(0)
    }

    /// The string may now be up to `n` bytes (bounds only grow here).
    fn grow(&mut self, dk: DbKey, n: usize) {
        let e = self.lens.entry(dk).or_insert(0);
        *e = (*e).max(n);
    }

    /// The string is certainly replaced by one of `n` bytes (or deleted).
    fn set_len(&mut self, dk: DbKey, n: usize) {
        self.lens.insert(dk, n);
    }

    fn dk(&self, conn: usize, key: &[u8]) -> DbKey {
        (self.db[conn], key.to_vec())
    }

    // ----- strings -----

    fn set(&mut self, conn: usize, now: i64) -> Action {
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

    fn get(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "GET", vec![self.word("GET"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    fn append(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        let n = self.len(&dk) + v.len();
        self.set_len(dk.clone(), n);
        let mut c = cmd(conn, "APPEND", vec![self.word("APPEND"), k, v]);
        c.touches.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn incr_family(&mut self, conn: usize, _: i64) -> Action {
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

    fn incrbyfloat(&mut self, conn: usize, _: i64) -> Action {
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

    fn getdel(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        self.set_len(dk.clone(), 0);
        let mut c = cmd(conn, "GETDEL", vec![self.word("GETDEL"), k]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn getex(&mut self, conn: usize, now: i64) -> Action {
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

    fn getrange(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let name = if self.chance(0.7) { "GETRANGE" } else { "SUBSTR" };
        let (s, e) = (self.offset_arg(), self.offset_arg());
        let mut c = cmd(conn, name, vec![self.word(name), k.clone(), s, e]);
        c.touches.push(self.dk(conn, &k));
        Action::Cmd(c)
    }

    fn getset(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        self.set_len(dk.clone(), v.len());
        let mut c = cmd(conn, "GETSET", vec![self.word("GETSET"), k, v]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn lcs(&mut self, conn: usize, now: i64) -> Action {
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

    fn mget(&mut self, conn: usize, _: i64) -> Action {
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

    fn mset_like(&mut self, conn: usize, name: &str) -> Cmd {
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

    fn mset(&mut self, conn: usize, _: i64) -> Action {
        let mut c = self.mset_like(conn, "MSET");
        if c.args.len() % 2 == 1 {
            c.clears = c.touches.clone();
        }
        Action::Cmd(c)
    }

    fn msetnx(&mut self, conn: usize, _: i64) -> Action {
        Action::Cmd(self.mset_like(conn, "MSETNX"))
    }

    fn setex(&mut self, conn: usize, _: i64) -> Action {
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

    fn setnx(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let dk = self.dk(conn, &k);
        self.grow(dk.clone(), v.len());
        let mut c = cmd(conn, "SETNX", vec![self.word("SETNX"), k, v]);
        c.touches.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn setrange(&mut self, conn: usize, _: i64) -> Action {
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

    fn strlen(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "STRLEN", vec![self.word("STRLEN"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    // ----- generic -----

    fn key_list(&mut self, c: &mut Cmd, conn: usize, max: usize) {
        let n = self.rng.gen_range(1..=max);
        for _ in 0..n {
            let k = self.key();
            c.touches.push(self.dk(conn, &k));
            c.args.push(k);
        }
    }

    fn del(&mut self, conn: usize, _: i64) -> Action {
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

    fn exists(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "EXISTS", vec![self.word("EXISTS")]);
        self.key_list(&mut c, conn, 4);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn type_(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let mut c = cmd(conn, "TYPE", vec![self.word("TYPE"), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        c.lookups = true;
        Action::Cmd(c)
    }

    fn rename(&mut self, conn: usize, _: i64) -> Action {
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

    fn copy(&mut self, conn: usize, _: i64) -> Action {
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

    fn move_(&mut self, conn: usize, _: i64) -> Action {
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

    fn keys(&mut self, conn: usize, _: i64) -> Action {
        let p = b(self.pick(PATTERNS));
        let mut c = cmd(conn, "KEYS", vec![self.word("KEYS"), p]);
        c.check = Check::Multiset;
        c.scope = Scope::Keys(self.db[conn]);
        Action::Cmd(c)
    }

    fn scan(&mut self, conn: usize, _: i64) -> Action {
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

    fn randomkey(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "RANDOMKEY", vec![self.word("RANDOMKEY")]);
        c.check = Check::RandomKey;
        c.scope = Scope::Keys(self.db[conn]);
        Action::Cmd(c)
    }

    fn touch(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "TOUCH", vec![self.word("TOUCH")]);
        self.key_list(&mut c, conn, 4);
        c.lookups = true;
        Action::Cmd(c)
    }

    fn object(&mut self, conn: usize, _: i64) -> Action {
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

    fn expire(&mut self, conn: usize, now: i64) -> Action {
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

    fn ttl(&mut self, conn: usize, _: i64) -> Action {
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

    fn persist(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let dk = self.dk(conn, &k);
        let mut c = cmd(conn, "PERSIST", vec![self.word("PERSIST"), k]);
        c.touches.push(dk.clone());
        c.clears.push(dk);
        c.lookups = true;
        Action::Cmd(c)
    }

    /// SORT on missing keys (empty result) and strings (WRONGTYPE): the only
    /// types that exist so far.
    fn sort(&mut self, conn: usize, _: i64) -> Action {
        let name = if self.chance(0.6) { "SORT" } else { "SORT_RO" };
        let k = self.key();
        let mut c = cmd(conn, name, vec![self.word(name), k.clone()]);
        c.touches.push(self.dk(conn, &k));
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        if self.chance(0.3) {
            let order = if self.chance(0.5) { "ASC" } else { "DESC" };
            opts.push(vec![self.word(order)]);
        }
        if self.chance(0.3) {
            opts.push(vec![self.word("ALPHA")]);
        }
        if self.chance(0.2) {
            let (o, n) = (self.offset_arg(), self.offset_arg());
            opts.push(vec![self.word("LIMIT"), o, n]);
        }
        if self.chance(0.15) {
            opts.push(vec![self.word("BY"), b(self.pick(&["nosort", "w_*", "*->f"]))]);
        }
        if self.chance(0.15) {
            opts.push(vec![self.word("GET"), b(self.pick(&["#", "o_*"]))]);
        }
        if self.chance(0.15) {
            let dst = self.key();
            c.touches.push(self.dk(conn, &dst));
            opts.push(vec![self.word("STORE"), dst]);
        }
        if self.chance(0.05) {
            opts.push(vec![b(self.pick(&["LIMIT", "FOO", "BY"]))]);
        }
        opts.shuffle(&mut self.rng);
        c.args.extend(opts.into_iter().flatten());
        Action::Cmd(c)
    }

    fn dbsize(&mut self, conn: usize, _: i64) -> Action {
        let mut c = cmd(conn, "DBSIZE", vec![self.word("DBSIZE")]);
        c.scope = Scope::DbSize(self.db[conn]);
        Action::Cmd(c)
    }

    fn flushdb(&mut self, conn: usize, _: i64) -> Action {
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

    fn select(&mut self, conn: usize, _: i64) -> Action {
        let (arg, d) = self.db_arg();
        if let Some(d) = d {
            self.db[conn] = d;
        }
        Action::Cmd(cmd(conn, "SELECT", vec![self.word("SELECT"), arg]))
    }

    fn swapdb(&mut self, conn: usize, _: i64) -> Action {
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

    // ----- connection and server -----

    fn ping_echo(&mut self, conn: usize, _: i64) -> Action {
        let v = self.value();
        let c = match self.rng.gen_range(0..3) {
            0 => cmd(conn, "PING", vec![self.word("PING")]),
            1 => cmd(conn, "PING", vec![self.word("PING"), v]),
            _ => cmd(conn, "ECHO", vec![self.word("ECHO"), v]),
        };
        Action::Cmd(c)
    }

    fn client(&mut self, conn: usize, _: i64) -> Action {
        let (sub, args, check): (&str, Vec<Vec<u8>>, Check) = match self.rng.gen_range(0..100) {
            0..=29 => {
                let n = b(self.pick(&["alpha", "conn-1", "", "x_y.z", "a b", "new\nline", "\u{20ac}", "~!@#"]));
                ("SETNAME", vec![n], Check::Exact)
            }
            30..=59 => ("GETNAME", vec![], Check::Exact),
            60..=74 => ("ID", vec![], Check::Shape),
            75..=82 => ("INFO", vec![], Check::Shape),
            83..=89 => ("LIST", vec![], Check::Shape),
            90..=94 => ("FOO", vec![], Check::Exact),
            _ => ("SETNAME", vec![], Check::Exact),
        };
        let label = if sub == "FOO" { "CLIENT (unknown)".to_string() } else { format!("CLIENT {sub}") };
        let mut c = cmd(conn, &label, vec![self.word("CLIENT"), self.word(sub)]);
        c.args.extend(args);
        c.check = check;
        Action::Cmd(c)
    }

    /// HELLO switches the connection's protocol; from then on its replies
    /// are parsed and compared as RESP3.
    fn hello(&mut self, conn: usize, _: i64) -> Action {
        let (args, check): (Vec<&str>, Check) = match self.rng.gen_range(0..100) {
            0..=34 => (vec!["3"], Check::Shape),
            35..=64 => (vec!["2"], Check::Shape),
            65..=74 => (vec![], Check::Shape),
            75..=82 => (vec![*["2", "3"].choose(&mut self.rng).unwrap(), "SETNAME", "via-hello"], Check::Shape),
            83..=88 => (vec![*["4", "1", "0", "-1"].choose(&mut self.rng).unwrap()], Check::Exact),
            89..=93 => (vec![*["abc", "3.0", ""].choose(&mut self.rng).unwrap()], Check::Exact),
            _ => (vec!["3", *["SETNAME", "FOO", "AUTH"].choose(&mut self.rng).unwrap()], Check::Exact),
        };
        let mut c = cmd(conn, "HELLO", vec![self.word("HELLO")]);
        c.args.extend(args.into_iter().map(b));
        c.check = check;
        Action::Cmd(c)
    }

    fn time_info(&mut self, conn: usize, _: i64) -> Action {
        let mut c = match self.rng.gen_range(0..4) {
            0 | 1 => cmd(conn, "TIME", vec![self.word("TIME")]),
            2 => cmd(conn, "INFO", vec![self.word("INFO")]),
            _ => cmd(conn, "INFO", vec![self.word("INFO"), b(self.pick(&["server", "keyspace", "clients"]))]),
        };
        c.check = Check::Shape;
        Action::Cmd(c)
    }

    fn debug_sleep(&mut self, conn: usize, _: i64) -> Action {
        Action::Cmd(cmd(conn, "DEBUG SLEEP", vec![self.word("DEBUG"), self.word("SLEEP"), b("0")]))
    }

    fn sleep(&mut self, _: usize, _: i64) -> Action {
        Action::Sleep(self.rng.gen_range(1..=60))
    }

    // ----- errors -----

    fn wrong_arity(&mut self, conn: usize, _: i64) -> Action {
        let (k, v) = (self.key(), self.value());
        let forms: Vec<Vec<Vec<u8>>> = vec![
            vec![b("GET")],
            vec![b("GET"), k.clone(), v.clone()],
            vec![b("SET"), k.clone()],
            vec![b("SET")],
            vec![b("APPEND"), k.clone()],
            vec![b("INCR")],
            vec![b("INCRBY"), k.clone()],
            vec![b("DECRBY"), k.clone(), b("1"), b("2")],
            vec![b("INCRBYFLOAT"), k.clone()],
            vec![b("GETRANGE"), k.clone(), b("0")],
            vec![b("SUBSTR"), k.clone()],
            vec![b("SETRANGE"), k.clone(), b("0")],
            vec![b("GETEX")],
            vec![b("GETDEL"), k.clone(), k.clone()],
            vec![b("GETSET"), k.clone()],
            vec![b("LCS"), k.clone()],
            vec![b("MGET")],
            vec![b("MSET")],
            vec![b("MSETNX"), k.clone()],
            vec![b("SETEX"), k.clone(), b("10")],
            vec![b("PSETEX"), k.clone()],
            vec![b("SETNX"), k.clone()],
            vec![b("STRLEN")],
            vec![b("DEL")],
            vec![b("UNLINK")],
            vec![b("EXISTS")],
            vec![b("TYPE")],
            vec![b("TYPE"), k.clone(), k.clone()],
            vec![b("RENAME"), k.clone()],
            vec![b("RENAMENX"), k.clone(), k.clone(), k.clone()],
            vec![b("COPY"), k.clone()],
            vec![b("MOVE"), k.clone()],
            vec![b("KEYS")],
            vec![b("KEYS"), b("*"), b("*")],
            vec![b("SCAN")],
            vec![b("RANDOMKEY"), k.clone()],
            vec![b("TOUCH")],
            vec![b("OBJECT")],
            vec![b("OBJECT"), b("ENCODING")],
            vec![b("OBJECT"), b("REFCOUNT"), k.clone(), k.clone()],
            vec![b("EXPIRE"), k.clone()],
            vec![b("PEXPIREAT")],
            vec![b("TTL")],
            vec![b("PTTL"), k.clone(), k.clone()],
            vec![b("EXPIRETIME")],
            vec![b("PERSIST")],
            vec![b("SORT")],
            vec![b("SORT_RO")],
            vec![b("DBSIZE"), k.clone()],
            vec![b("SELECT")],
            vec![b("SELECT"), b("0"), b("1")],
            vec![b("SWAPDB"), b("0")],
            vec![b("PING"), v.clone(), v.clone()],
            vec![b("ECHO")],
            vec![b("ECHO"), v.clone(), v],
            vec![b("CLIENT")],
            vec![b("CLIENT"), b("GETNAME"), b("x")],
            vec![b("CLIENT"), b("ID"), b("x")],
            vec![b("TIME"), b("x")],
            vec![b("DEBUG")],
        ];
        let args = forms.choose(&mut self.rng).unwrap().clone();
        let mut c = cmd(conn, "(arity)", args);
        for a in c.args.clone().iter().skip(1) {
            if self.keys.contains(a) {
                c.touches.push(self.dk(conn, a));
            }
        }
        Action::Cmd(c)
    }

    fn unknown(&mut self, conn: usize, _: i64) -> Action {
        let k = self.key();
        let long = vec![b'z'; 200];
        let forms: Vec<Vec<Vec<u8>>> = vec![
            vec![b("FOO")],
            vec![b("GETT"), k.clone()],
            vec![b("set2"), k.clone(), b("v")],
            vec![Vec::new()],
            vec![b"\x00bin\xff".to_vec(), k.clone()],
            vec![long.clone(), long.clone(), b("a b"), Vec::new()],
            vec![b("OBJECT"), b("NOPE"), k.clone()],
            vec![b("CLIENT"), b("NOPE")],
            vec![b("OBJECT"), Vec::new()],
            vec![b("LCSS"), k.clone(), k],
        ];
        let args = forms.choose(&mut self.rng).unwrap().clone();
        Action::Cmd(cmd(conn, "(unknown)", args))
    }

    /// Hook for WRONGTYPE errors: once redsim implements lists, hashes, sets
    /// or sorted sets, create one here on a pool key and apply a string
    /// command to it. Weighted 0 until then, so it never runs.
    fn wrong_type(&mut self, conn: usize, now: i64) -> Action {
        self.get(conn, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let render = |seed| {
            let mut g = Gen::new(seed);
            (0..500)
                .map(|_| match g.next(1_700_000_000_000) {
                    Action::Cmd(c) | Action::Scan(c) => format!("{:?}", c.args),
                    Action::Sleep(ms) => format!("sleep {ms}"),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(render(7), render(7));
        assert_ne!(render(7), render(8));
    }

    #[test]
    fn strict_int_matches_redis_syntax() {
        assert_eq!(strict_int(b"15"), Some(15));
        assert_eq!(strict_int(b"-3"), Some(-3));
        assert_eq!(strict_int(b"0"), Some(0));
        for bad in ["01", "-0", "+1", " 1", "", "1.5", "99999999999999999999"] {
            assert_eq!(strict_int(bad.as_bytes()), None, "{bad}");
        }
    }
}
