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

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::compare::{Check, TimeUnit};

mod connection;
mod errors;
mod keys;
mod strings;
mod values;

use values::b;
pub use values::{key_pool, strict_int};

/// Connections that take part in the stream; index 0 carries most commands,
/// 1 and 2 exist for connection state (names, protocol, selected db).
pub const STREAM_CONNS: usize = 3;

/// Databases the stream uses. Valid SELECT/MOVE/COPY/SWAPDB targets are
/// drawn from this set only, so the harness knows where keys can live.
pub const DBS: [usize; 4] = [0, 1, 2, 15];

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

pub struct Gen {
    rng: ChaCha8Rng,
    pub keys: Vec<Vec<u8>>,
    db: [usize; STREAM_CONNS],
    /// Upper bound on the length of the string at each key.
    lens: HashMap<DbKey, usize>,
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
