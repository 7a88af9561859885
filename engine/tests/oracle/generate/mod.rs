//! The seeded random command generator.
//!
//! The stream depends only on the seed: the generator never looks at replies
//! or at timing, so a seed reproduces the same commands (absolute expiry
//! times are the one exception: they are "now + offset", with now read once
//! per command). It keeps a small model of its own to choose safe arguments:
//! the selected database of each connection and an upper bound on each
//! string's length (so that LCS is never asked for a huge quadratic table).
//! The model errs on the side of "longer" when unsure. It does not track
//! types: collection commands prefer their group's home keys (see
//! `values.rs`) but every group also draws from the whole pool, so types
//! collide and WRONGTYPE comes up everywhere.
//!
//! One file per command group; `values.rs` and `members.rs` hold the
//! argument pools.

use std::collections::{HashMap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::compare::{Check, TimeUnit};

mod blocking;
mod config;
mod connection;
mod errors;
mod hashes;
mod keys;
mod lists;
mod members;
mod sets;
mod sort;
mod sorted_sets;
mod strings;
mod transactions;
mod values;

pub use blocking::{Scenario, Step, BLOCK_SLOTS, CHECK_CONN, CONNS, PUSHER_CONN, RESYNC_CONN};
pub use transactions::{Tx, TxStep};
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
    /// DEBUG DIGEST-VALUE and DEBUG DIGEST read the touched keys without
    /// expiring them: like DBSIZE, they see keys not yet evicted.
    Raw,
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
    /// A rule that needs the servers' state besides the two replies.
    pub special: Special,
}

/// Comparison rules that need more than the two replies: they read the
/// key's encoding or contents on both servers (through a side connection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Special {
    None,
    /// A cursor iterated to completion on each server (`args[at]` is the
    /// cursor); compared as the sets of elements, or of (field, value) pairs.
    FullScan {
        at: usize,
        pairs: bool,
    },
    /// One page from a non-zero cursor: exact, unless the key is a hashtable
    /// or skiplist, whose cursors are each server's own: then only the shape.
    ScanPage(DbKey),
    /// HGETALL, HKEYS, HVALS, SMEMBERS: exact, or multisets (of pairs) when
    /// the key is a hashtable, whose iteration order is Redis's own.
    Unordered {
        key: DbKey,
        pairs: bool,
    },
    /// SRANDMEMBER, SPOP, HRANDFIELD, ZRANDMEMBER: judged by properties
    /// against the contents read just before; an SPOP that popped different
    /// members is followed by a rebuild of the key on both servers.
    Random {
        key: DbKey,
        kind: RandomKind,
    },
    /// A lex range: not sent when the key is a skiplist whose scores differ
    /// (Redis's answer then depends on its skiplist's random levels).
    LexRange(DbKey),
    /// SORT reads a hashtable set, and a sorted set (which it first turns
    /// into a skiplist) unless it keeps its order (`BY` without `*`), in
    /// Redis's dict order: the reply
    /// is unordered when that order shows, i.e. is kept (a set's under `BY`
    /// without `*`, unless stored: then Redis sorts it) or shows through ties
    /// left unbroken (ALPHA with a BY pattern). Then the reply is a multiset
    /// (only its length with LIMIT) and a STORE destination is compared as a
    /// multiset and rebuilt on both servers.
    Sort {
        key: DbKey,
        dont_sort: bool,
        ties: bool,
        store: Option<DbKey>,
        limited: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomKind {
    SRandMember,
    SPop,
    HRandField,
    ZRandMember,
}

pub enum Action {
    Cmd(Cmd),
    /// SCAN iterated to completion on each server; `args[1]` is the cursor
    /// slot. Compared as the set of keys returned.
    Scan(Cmd),
    /// A real pause so that short expiries happen between commands.
    Sleep(u64),
    /// MULTI ... EXEC/DISCARD, with WATCH and a meddling connection.
    Tx(Tx),
    /// Blocked clients on their own connections, served by pushes.
    Scenario(Scenario),
}

pub struct Gen {
    rng: ChaCha8Rng,
    pub keys: Vec<Vec<u8>>,
    db: [usize; STREAM_CONNS],
    /// Upper bound on the length of the string at each key.
    lens: HashMap<DbKey, usize>,
    /// Follow-up actions of the last form (e.g. OBJECT ENCODING after a write).
    pending: VecDeque<Action>,
    /// Generating commands queued in MULTI: they may never run, so string
    /// lengths may only grow.
    tentative: bool,
    /// The chance that a set member is an integer: by seed, so that some
    /// seeds keep many intsets and others many hashtables.
    int_bias: f64,
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
        special: Special::None,
    }
}

type Form = fn(&mut Gen, usize, i64) -> Action;

/// Whether a form's commands may be queued inside MULTI: not when it
/// changes the generator's model for good (SELECT, SWAPDB, FLUSHDB), the
/// connection's state (HELLO, CLIENT), or is not a single command.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Any,
    NoTx,
}

use Use::{Any, NoTx};

/// Relative weights of the command forms (per mille of the original
/// string/generic stream; the collection groups came later on top).
const FORMS: &[(u32, Form, Use)] = &[
    // strings
    (45, Gen::set, Any),
    (30, Gen::get, Any),
    (25, Gen::append, Any),
    (30, Gen::incr_family, Any),
    (15, Gen::incrbyfloat, Any),
    (10, Gen::getdel, Any),
    (25, Gen::getex, Any),
    (20, Gen::getrange, Any),
    (10, Gen::getset, Any),
    (20, Gen::lcs, Any),
    (15, Gen::mget, Any),
    (15, Gen::mset, Any),
    (10, Gen::msetnx, Any),
    (15, Gen::setex, Any),
    (10, Gen::setnx, Any),
    (20, Gen::setrange, Any),
    (15, Gen::strlen, Any),
    // generic
    (25, Gen::del, Any),
    (15, Gen::exists, Any),
    (10, Gen::type_, Any),
    (20, Gen::rename, Any),
    (15, Gen::copy, Any),
    (10, Gen::move_, Any),
    (12, Gen::keys, NoTx),
    (12, Gen::scan, NoTx),
    (6, Gen::randomkey, NoTx),
    (6, Gen::touch, Any),
    (20, Gen::object, Any),
    (40, Gen::expire, Any),
    (40, Gen::ttl, Any),
    (10, Gen::persist, Any),
    (40, Gen::sort, Any),
    (8, Gen::dbsize, NoTx),
    (1, Gen::flushdb, NoTx),
    (10, Gen::select, NoTx),
    (4, Gen::swapdb, NoTx),
    (10, Gen::digest_value, Any),
    // connection and server
    (12, Gen::ping_echo, Any),
    (12, Gen::client, NoTx),
    (6, Gen::hello, NoTx),
    (4, Gen::time_info, NoTx),
    (3, Gen::debug_sleep, NoTx),
    (15, Gen::sleep, NoTx),
    (6, Gen::config, NoTx),
    // errors
    (20, Gen::wrong_arity, Any),
    (10, Gen::unknown, Any),
    (25, Gen::wrong_type, Any),
    // lists
    (40, Gen::list_push, Any),
    (25, Gen::list_pop, Any),
    (25, Gen::list_read, Any),
    (25, Gen::list_write, Any),
    (15, Gen::list_move, Any),
    (8, Gen::list_blocking, Any),
    // hashes
    (40, Gen::hash_write, Any),
    (35, Gen::hash_read, Any),
    (12, Gen::hash_whole, Any),
    (10, Gen::hash_random, Any),
    (8, Gen::hash_scan, NoTx),
    // sets
    (35, Gen::set_write, Any),
    (25, Gen::set_read, Any),
    (25, Gen::set_algebra, Any),
    (15, Gen::set_random, NoTx),
    (8, Gen::set_scan, NoTx),
    // sorted sets
    (40, Gen::zset_write, Any),
    (30, Gen::zset_read, Any),
    (30, Gen::zset_range, Any),
    (15, Gen::zset_lex, NoTx),
    (20, Gen::zset_algebra, Any),
    (18, Gen::zset_pop, Any),
    (8, Gen::zset_random, NoTx),
    (8, Gen::zset_scan, NoTx),
    // several commands each
    (5, Gen::sort_data, Any),
    (14, Gen::transaction, NoTx),
    (7, Gen::scenario, NoTx),
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            keys: values::stream_keys(),
            db: [0; STREAM_CONNS],
            lens: HashMap::new(),
            pending: VecDeque::new(),
            tentative: false,
            int_bias: [0.6, 0.8, 0.95][(seed % 3) as usize],
        }
    }

    /// The next command; `now_ms` is the wall clock, used only for absolute
    /// expiry arguments.
    pub fn next(&mut self, now_ms: i64) -> Action {
        if let Some(a) = self.pending.pop_front() {
            return a;
        }
        self.draw(now_ms, None)
    }

    /// One form drawn by weight; for a transaction on connection `tx`, only
    /// among the forms that may be queued inside MULTI.
    fn draw(&mut self, now_ms: i64, tx: Option<usize>) -> Action {
        let usable = |u: Use| tx.is_none() || u == Any;
        let total: u32 = FORMS.iter().filter(|f| usable(f.2)).map(|f| f.0).sum();
        let mut pick = self.rng.gen_range(0..total);
        let mut conn = if self.rng.gen_bool(0.85) { 0 } else { self.rng.gen_range(1..STREAM_CONNS) };
        if let Some(c) = tx {
            conn = c;
        }
        for (w, form, u) in FORMS {
            if !usable(*u) {
                continue;
            }
            if pick < *w {
                return form(self, conn, now_ms);
            }
            pick -= w;
        }
        unreachable!()
    }

    /// The commands that prepare a seed, on connection `conn` (outside the
    /// stream): encoding thresholds and the keys SORT's BY and GET read.
    pub fn setup(&mut self, conn: usize) -> Vec<Cmd> {
        let mut cmds = self.config_setup(conn);
        cmds.extend(self.sort_setup(conn));
        cmds
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

    /// Mostly one of a group's home keys, so that collections grow; else any
    /// pool key, so that types collide.
    fn home_key(&mut self, home: &[&str]) -> Vec<u8> {
        if self.chance(0.8) {
            b(self.pick(home))
        } else {
            self.key()
        }
    }

    /// A command that reads or writes `keys` (in the connection's database).
    fn keyed(&mut self, conn: usize, label: &str, args: Vec<Vec<u8>>, keys: &[&Vec<u8>]) -> Cmd {
        let mut c = cmd(conn, label, args);
        c.touches = keys.iter().map(|k| self.dk(conn, k)).collect();
        c
    }

    /// After a write, now and then, the key's OBJECT ENCODING: conversions
    /// (listpack to hashtable, intset to hashtable...) show there first.
    fn maybe_encoding(&mut self, conn: usize, key: &[u8]) {
        if self.chance(0.25) {
            let args = vec![b("OBJECT"), b("ENCODING"), key.to_vec()];
            let c = self.keyed(conn, "OBJECT ENCODING", args, &[&key.to_vec()]);
            self.pending.push_back(Action::Cmd(c));
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

    /// The string is certainly replaced by one of `n` bytes (or deleted);
    /// only a bound that grows inside MULTI, where it may never run.
    fn set_len(&mut self, dk: DbKey, n: usize) {
        if self.tentative {
            self.grow(dk, n);
        } else {
            self.lens.insert(dk, n);
        }
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
                    Action::Tx(t) => format!("tx {}", t.steps.len()),
                    Action::Scenario(s) => format!("{}", s.steps.len()),
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
