//! The operations of a case and how each group draws them: commands over a
//! small key pool, clock steps, active expire cycles, full SCANs, SCANs with
//! changes between steps, RANDOMKEY, and settings changes.

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::engine::MaxmemoryPolicy;
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

pub const START_MS: i64 = 1_700_000_000_000;

/// The key pool: short keys, one past the 22 bytes kept inline, and the
/// targets of the SORT patterns below.
pub const KEYS: &[&str] = &["k1", "k2", "k3", "w_1", "w_a", "a-key-longer-than-22-bytes"];
/// Values that exercise every string encoding and number rule.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "42",
    "9999",
    "10000",
    "-9223372036854775808",
    "9223372036854775807",
    "123456789012345678901",
    "007",
    " 5",
    "3.5",
    "1e3",
    "a",
    "abc",
    "",
    "hello world",
    "xxxxxxxxxxxxxxxxxxxxxx",
    "yyyyyyyyyyyyyyyyyyyyyyy",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww",
];
/// Collection members: SORT needs numbers and words, and `1`/`a` name the
/// keys `w_1`/`w_a`.
const MEMBERS: &[&str] = &["1", "2", "3", "a", "b", "10"];
const PATTERNS: &[&str] = &["*", "k*", "?1", "*long*", "[kw]*", "w_?", "nomatch"];

pub type Words = Vec<Vec<u8>>;

/// A settings change between commands, as CONFIG SET or a role change does.
#[derive(Clone, Debug)]
pub enum Setting {
    Policy(MaxmemoryPolicy),
    Maxmemory(u64),
    LazyExpire(bool),
    LazyUserDel(bool),
    Master(bool),
    Replaying(bool),
    ProtoMaxBulkLen(u64),
    SmallEncodings(bool),
    Compression(bool),
    /// `list-max-listpack-size`: small values split lists into many nodes.
    ListFill(i64),
    /// `hash-max-listpack-entries` and `hash-max-listpack-value`.
    HashLimits(u64, u64),
    /// `set-max-intset-entries`.
    IntsetLimit(u64),
    /// `zset-max-listpack-entries` and `zset-max-listpack-value`.
    ZSetLimits(u64, u64),
}

#[derive(Clone, Debug)]
pub enum Op {
    Cmd {
        db: usize,
        words: Words,
        may_block: bool,
    },
    Advance(i64),
    ActiveExpire,
    /// SCAN from 0 to completion (with the given options), on each engine.
    ScanAll {
        db: usize,
        options: Words,
    },
    /// SCAN on each engine with commands run on both between its steps:
    /// keys present throughout must be returned by both.
    ScanChurn {
        db: usize,
        count: u64,
        churn: Vec<Words>,
    },
    RandomKey {
        db: usize,
    },
    Set(Setting),
    /// Each engine's dataset loaded into an engine of its `empty_like` and
    /// swapped in (a replica's `swapdb` load of the same data): nothing a
    /// client sees may change, a snapshot under way included.
    SwapIn,
}

/// Draws choices from an operation's parameters; zeros (what shrinking
/// aims for) give the first, simplest choice.
pub struct P<'a> {
    pub v: &'a [u16],
    pub i: usize,
}

impl P<'_> {
    pub fn n(&mut self) -> usize {
        let x = self.v[self.i % self.v.len()] as usize;
        self.i += 1;
        // Later draws from a reused parameter differ from the earlier ones.
        x.wrapping_add(self.i / self.v.len() * 7919)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.n() % n
    }
    pub fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn key(&mut self) -> &'static str {
        self.pick(KEYS)
    }
    pub fn value(&mut self) -> &'static str {
        self.pick(VALUES)
    }
    pub fn member(&mut self) -> &'static str {
        self.pick(MEMBERS)
    }
    pub fn db(&mut self) -> usize {
        if self.chance(15) {
            1
        } else {
            0
        }
    }
}

/// A command's words, built argument by argument.
pub struct W(pub Words);

impl W {
    pub fn new(name: &str) -> W {
        W(vec![name.as_bytes().to_vec()])
    }
    pub fn a(mut self, arg: impl AsRef<[u8]>) -> W {
        self.0.push(arg.as_ref().to_vec());
        self
    }
    pub fn opt(self, yes: bool, arg: impl AsRef<[u8]>) -> W {
        if yes {
            self.a(arg)
        } else {
            self
        }
    }
    pub fn on(self, p: &mut P<'_>) -> Op {
        let db = p.db();
        Op::Cmd { db, words: self.0, may_block: true }
    }
}

/// A relative time in seconds: mostly short, sometimes invalid.
pub fn seconds(p: &mut P<'_>) -> String {
    p.pick(&["1", "2", "3", "1", "2", "0", "-1", "100", "9223372036854775807"]).to_string()
}

pub fn millis(p: &mut P<'_>) -> String {
    p.pick(&["1000", "1500", "2500", "400", "0", "-5", "100000", "9223372036854775807"]).to_string()
}

/// An absolute time around `now` in seconds or ms (sometimes in the past).
pub fn at(p: &mut P<'_>, now: i64, ms: bool) -> String {
    let offset = [2000i64, 1000, 3000, -1000, 0, 500, -100_000][p.below(7)];
    if ms {
        (now + offset).to_string()
    } else {
        ((now + offset) / 1000).to_string()
    }
}

// ---- the groups ----

pub fn string_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    match kind % 25 {
        24 => populate(p),
        0..=2 => {
            let mut w = W::new("SET").a(p.key()).a(p.value());
            match p.below(4) {
                1 => w = w.a("NX"),
                2 => w = w.a("XX"),
                _ => {}
            }
            w = w.opt(p.chance(25), "GET");
            w = match p.below(8) {
                0 => w.a("EX").a(seconds(p)),
                1 => w.a("PX").a(millis(p)),
                2 => w.a("EXAT").a(at(p, now, false)),
                3 => w.a("PXAT").a(at(p, now, true)),
                4 => w.a("KEEPTTL"),
                _ => w,
            };
            w.on(p)
        }
        3 => W::new("SETNX").a(p.key()).a(p.value()).on(p),
        4 => {
            if p.chance(50) {
                W::new("SETEX").a(p.key()).a(seconds(p)).a(p.value()).on(p)
            } else {
                W::new("PSETEX").a(p.key()).a(millis(p)).a(p.value()).on(p)
            }
        }
        5 | 6 => W::new("GET").a(p.key()).on(p),
        7 => W::new("GETDEL").a(p.key()).on(p),
        8 => {
            let w = W::new("GETEX").a(p.key());
            match p.below(6) {
                0 => w.a("EX").a(seconds(p)),
                1 => w.a("PX").a(millis(p)),
                2 => w.a("EXAT").a(at(p, now, false)),
                3 => w.a("PXAT").a(at(p, now, true)),
                4 => w.a("PERSIST"),
                _ => w,
            }
            .on(p)
        }
        9 => {
            let idx = ["0", "1", "-1", "2", "-3", "5", "100", "-100"];
            let name = if p.chance(80) { "GETRANGE" } else { "SUBSTR" };
            W::new(name).a(p.key()).a(p.pick(&idx)).a(p.pick(&idx)).on(p)
        }
        10 => W::new("GETSET").a(p.key()).a(p.value()).on(p),
        11 => W::new("MGET").a(p.key()).a(p.key()).a(p.key()).on(p),
        12 => {
            let name = if p.chance(70) { "MSET" } else { "MSETNX" };
            W::new(name).a(p.key()).a(p.value()).a(p.key()).a(p.value()).on(p)
        }
        13 => {
            let off = p.pick(&["0", "1", "3", "25", "50", "-1", "600000000"]);
            W::new("SETRANGE").a(p.key()).a(off).a(p.pick(&["", "ab", "xyz", "1"])).on(p)
        }
        14 | 15 => W::new("APPEND").a(p.key()).a(p.pick(&["", "1", "a", "23", "bcdefghijklmnopqrstuvwxyz"])).on(p),
        16 => W::new("STRLEN").a(p.key()).on(p),
        17 | 18 => match p.below(4) {
            0 => W::new("INCR").a(p.key()).on(p),
            1 => W::new("DECR").a(p.key()).on(p),
            2 => {
                let by = p.pick(&["1", "-1", "5", "0", "9223372036854775807", "-9223372036854775807", "x"]);
                W::new("INCRBY").a(p.key()).a(by).on(p)
            }
            _ => {
                W::new("DECRBY").a(p.key()).a(p.pick(&["1", "3", "-9223372036854775808", "9223372036854775807"])).on(p)
            }
        },
        19 => {
            let by = p.pick(&["1", "0.5", "-1.5", "1e308", "abc", "inf", "3", "5.0e3"]);
            W::new("INCRBYFLOAT").a(p.key()).a(by).on(p)
        }
        20 => {
            let w = W::new("LCS").a(p.key()).a(p.key());
            match p.below(5) {
                0 => w.a("LEN"),
                1 => w.a("IDX"),
                2 => w.a("IDX").a("MINMATCHLEN").a(p.pick(&["0", "1", "2"])).opt(p.chance(50), "WITHMATCHLEN"),
                3 => w.a("BOGUS"),
                _ => w,
            }
            .on(p)
        }
        21 => {
            let sub = p.pick(&["ENCODING", "REFCOUNT", "IDLETIME", "FREQ"]);
            W::new("OBJECT").a(sub).a(p.key()).on(p)
        }
        22 => W::new(p.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"])).a(p.key()).on(p),
        _ => match p.below(3) {
            // A collection in the way of a string command.
            0 => W::new("RPUSH").a(p.key()).a(p.member()).on(p),
            1 => W::new("DEBUG").a("DIGEST-VALUE").a(p.key()).a(p.key()).on(p),
            _ => Op::Advance(p.below(2500) as i64),
        },
    }
}

pub fn expire_words(p: &mut P<'_>, now: i64) -> W {
    let (name, when) = match p.below(4) {
        0 => ("EXPIRE", seconds(p)),
        1 => ("PEXPIRE", millis(p)),
        2 => ("EXPIREAT", at(p, now, false)),
        _ => ("PEXPIREAT", at(p, now, true)),
    };
    let w = W::new(name).a(p.key()).a(when);
    match p.below(6) {
        0 => w.a("NX"),
        1 => w.a("XX"),
        2 => w.a("GT"),
        3 => w.a("LT"),
        _ => w,
    }
}

/// RESTORE payloads: DUMPs of a value of every type (made by the model),
/// and a damaged one.
pub fn payload(p: &mut P<'_>) -> Vec<u8> {
    static PAYLOADS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    let payloads = PAYLOADS.get_or_init(|| {
        let mut m = Model::new(1);
        let config = EngineConfig::default();
        let mut run = |words: &[&str]| {
            let argv: Vec<Bytes> = words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect();
            let cmd = Command::from_argv(&argv, &ParseEnv::default()).expect("parses");
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let mut cx = Context::new(0, START_MS, &mut rng, &config, &argv);
            m.execute(&mut cx, &cmd)
        };
        let setup: [&[&str]; 6] = [
            &["SET", "v", "12"],
            &["SET", "v", "restored"],
            &["RPUSH", "v", "x", "1", "y"],
            &["HSET", "v", "f", "v"],
            &["SADD", "v", "3", "a"],
            &["ZADD", "v", "1.5", "m"],
        ];
        let mut out: Vec<Vec<u8>> = setup
            .iter()
            .map(|words| {
                run(&["DEL", "v"]);
                run(words);
                match run(&["DUMP", "v"]) {
                    Frame::Bulk(b) => b.to_vec(),
                    other => panic!("DUMP answered {other:?}"),
                }
            })
            .collect();
        out.push(b"\x00\x03bad\x0a\x00garbage".to_vec());
        out
    });
    payloads[p.below(payloads.len())].clone()
}

/// MSET over the whole pool, so that the generic commands find keys.
pub fn populate(p: &mut P<'_>) -> Op {
    let mut w = W::new("MSET");
    for key in KEYS {
        w = w.a(key).a(p.value());
    }
    w.on(p)
}

pub fn generic_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    match kind % 29 {
        0..=2 => string_op(p.n(), p, now),
        26..=28 => populate(p),
        3 => W::new(p.pick(&["DEL", "UNLINK"])).a(p.key()).a(p.key()).on(p),
        4 => W::new("EXISTS").a(p.key()).a(p.key()).a(p.key()).on(p),
        5 => W::new("TYPE").a(p.key()).on(p),
        6 => W::new(p.pick(&["RENAME", "RENAMENX"])).a(p.key()).a(p.key()).on(p),
        7 => {
            let w = W::new("COPY").a(p.key()).a(p.key());
            let w = if p.chance(40) { w.a("DB").a(p.pick(&["1", "0"])) } else { w };
            w.opt(p.chance(40), "REPLACE").on(p)
        }
        8 => W::new("MOVE").a(p.key()).a(p.pick(&["1", "0"])).on(p),
        9 => W::new("KEYS").a(p.pick(PATTERNS)).on(p),
        10 => {
            let mut options = Vec::new();
            if p.chance(50) {
                options.extend([b"MATCH".to_vec(), p.pick(PATTERNS).as_bytes().to_vec()]);
            }
            if p.chance(50) {
                options.extend([b"COUNT".to_vec(), p.pick(&["1", "2", "10"]).as_bytes().to_vec()]);
            }
            if p.chance(30) {
                options.extend([b"TYPE".to_vec(), p.pick(&["string", "list", "HASH", "none"]).as_bytes().to_vec()]);
            }
            Op::ScanAll { db: p.db(), options }
        }
        11 => Op::RandomKey { db: p.db() },
        12 => W::new("TOUCH").a(p.key()).a(p.key()).on(p),
        13 => {
            let sub = p.pick(&["ENCODING", "REFCOUNT", "IDLETIME", "FREQ"]);
            W::new("OBJECT").a(sub).a(p.key()).on(p)
        }
        14 | 15 => expire_words(p, now).on(p),
        16 => W::new(p.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"])).a(p.key()).on(p),
        17 => W::new("PERSIST").a(p.key()).on(p),
        18 => W::new("DUMP").a(p.key()).on(p),
        19 => {
            let ttl = p.pick(&["0", "0", "1500", "-1", "x"]).to_string();
            let ttl = if p.chance(20) { (now + 1000).to_string() } else { ttl };
            let mut w = W::new("RESTORE").a(p.key()).a(&ttl).a(payload(p));
            w = w.opt(p.chance(50), "REPLACE");
            if ttl.len() > 6 {
                w = w.a("ABSTTL");
            }
            match p.below(4) {
                0 => w.a("IDLETIME").a("100"),
                1 => w.a("FREQ").a("7"),
                _ => w,
            }
            .on(p)
        }
        20 => match p.below(5) {
            0 => W::new("LPUSH").a(p.key()).a(p.member()).a(p.member()).on(p),
            1 => W::new("HSET").a(p.key()).a("f").a(p.member()).on(p),
            2 => W::new("SADD").a(p.key()).a(p.member()).on(p),
            3 => W::new("ZADD").a(p.key()).a(p.pick(&["1", "2.5"])).a(p.member()).on(p),
            _ => W::new("SORT").a(p.key()).opt(p.chance(50), "ALPHA").on(p),
        },
        21 => W::new("DBSIZE").on(p),
        22 => W::new("DEBUG").a("DIGEST").on(p),
        23 => Op::ActiveExpire,
        24 => Op::SwapIn,
        _ => Op::Advance(p.below(2500) as i64),
    }
}

pub fn setting(p: &mut P<'_>) -> Setting {
    match p.below(10) {
        9 => list_fill(p),
        0 => Setting::Policy(
            [
                MaxmemoryPolicy::NoEviction,
                MaxmemoryPolicy::AllkeysLru,
                MaxmemoryPolicy::AllkeysLfu,
                MaxmemoryPolicy::VolatileLfu,
            ][p.below(4)],
        ),
        1 => Setting::Maxmemory(if p.chance(50) { 0 } else { 1 << 30 }),
        2 => Setting::LazyExpire(p.chance(50)),
        3 => Setting::LazyUserDel(p.chance(50)),
        4 => Setting::Master(!p.chance(30)),
        5 => Setting::Replaying(p.chance(20)),
        6 => Setting::ProtoMaxBulkLen(if p.chance(50) { 40 } else { 512 << 20 }),
        7 => Setting::SmallEncodings(p.chance(50)),
        _ => Setting::Compression(p.chance(50)),
    }
}

pub fn server_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    match kind % 20 {
        0..=4 | 16..=19 => generic_op(p.n(), p, now),
        5 => {
            let name = p.pick(&["FLUSHDB", "FLUSHALL"]);
            let w = W::new(name);
            match p.below(3) {
                0 => w.a("ASYNC"),
                1 => w.a("SYNC"),
                _ => w,
            }
            .on(p)
        }
        6 => W::new("SWAPDB").a(p.pick(&["0", "1"])).a(p.pick(&["1", "0", "2"])).on(p),
        7 => W::new("DBSIZE").on(p),
        8 => W::new("DEBUG").a("DIGEST").on(p),
        9 | 10 => Op::ActiveExpire,
        11 | 12 => Op::Set(setting(p)),
        13 => W::new("DEBUG").a("DIGEST-VALUE").a(p.key()).on(p),
        _ => Op::Advance(p.below(4000) as i64),
    }
}

pub fn collection_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let k = p.key();
    match kind % 31 {
        30 => populate(p),
        0..=3 => string_op(p.n(), p, now),
        4 => generic_op(p.n(), p, now),
        5 => W::new(p.pick(&["LPUSH", "RPUSH", "LPUSHX"])).a(k).a(p.member()).a(p.member()).on(p),
        6 => W::new(p.pick(&["LPOP", "RPOP"])).a(k).opt(p.chance(30), p.pick(&["2", "0"])).on(p),
        7 => W::new("LRANGE").a(k).a(p.pick(&["0", "1", "-2"])).a(p.pick(&["-1", "2"])).on(p),
        8 => W::new("LMOVE").a(k).a(p.key()).a(p.pick(&["LEFT", "RIGHT"])).a(p.pick(&["LEFT", "RIGHT"])).on(p),
        9 => {
            let db = p.db();
            let words = W::new(p.pick(&["BLPOP", "BRPOP"])).a(k).a(p.key()).a(p.pick(&["0", "1.5"])).0;
            Op::Cmd { db, words, may_block: p.chance(50) }
        }
        10 => W::new(p.pick(&["LLEN", "LINDEX"])).a(k).opt(true, "0").on(p),
        11 => W::new("HSET").a(k).a(p.pick(&["f", "g", "h"])).a(p.member()).on(p),
        12 => W::new(p.pick(&["HGET", "HDEL", "HEXISTS", "HSTRLEN"])).a(k).a(p.pick(&["f", "g"])).on(p),
        13 => W::new("HINCRBY").a(k).a(p.pick(&["f", "n"])).a(p.pick(&["1", "-3"])).on(p),
        14 => W::new(p.pick(&["HGETALL", "HKEYS", "HLEN"])).a(k).on(p),
        15 => W::new("SADD").a(k).a(p.member()).a(p.member()).on(p),
        16 => W::new(p.pick(&["SREM", "SISMEMBER"])).a(k).a(p.member()).on(p),
        17 => W::new(p.pick(&["SMEMBERS", "SCARD"])).a(k).on(p),
        18 => W::new(p.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"])).a(p.key()).a(k).a(p.key()).on(p),
        19 => W::new("SMOVE").a(k).a(p.key()).a(p.member()).on(p),
        20 => W::new(p.pick(&["SPOP", "SRANDMEMBER"])).a(k).opt(p.chance(50), p.pick(&["2", "-3"])).on(p),
        21 => W::new("ZADD").a(k).a(p.pick(&["1", "2", "-1.5", "inf"])).a(p.member()).on(p),
        22 => W::new("ZINCRBY").a(k).a(p.pick(&["1", "0.5"])).a(p.member()).on(p),
        23 => W::new("ZRANGE").a(k).a("0").a("-1").opt(p.chance(50), "WITHSCORES").on(p),
        24 => W::new(p.pick(&["ZPOPMIN", "ZPOPMAX"])).a(k).on(p),
        25 => W::new("ZUNIONSTORE").a(p.key()).a("2").a(k).a(p.key()).on(p),
        26 | 27 => {
            let name = if p.chance(80) { "SORT" } else { "SORT_RO" };
            let mut w = W::new(name).a(k);
            if p.chance(50) {
                w = w.a("BY").a(p.pick(&["w_*", "w_*->f", "nosort", "k*"]));
            }
            if p.chance(30) {
                w = w.a("LIMIT").a(p.pick(&["0", "1"])).a(p.pick(&["2", "-1"]));
            }
            if p.chance(40) {
                w = w.a("GET").a(p.pick(&["#", "w_*", "w_*->f"]));
                if p.chance(50) {
                    w = w.a("GET").a(p.pick(&["#", "w_*", "w_*->f"]));
                }
            }
            w = w.opt(p.chance(30), "DESC").opt(p.chance(40), "ALPHA");
            if name == "SORT" && p.chance(30) {
                w = w.a("STORE").a(p.key());
            }
            w.on(p)
        }
        28 => Op::Set(setting(p)),
        _ => Op::Advance(p.below(2500) as i64),
    }
}

/// List elements: a few short ones (so LREM, LPOS and LINSERT find
/// matches), integers of every width and a non-canonical one (the compact
/// integer entries), the empty string, and long ones that fill nodes fast.
const LIST_ELEMENTS: &[&str] = &[
    "a",
    "b",
    "c",
    "1",
    "2",
    "-3",
    "1000",
    "9223372036854775807",
    "007",
    "",
    "a somewhat longer element of more than sixty-three bytes, with its own length byte",
];
const LIST_INDEXES: &[&str] = &["0", "1", "-1", "2", "-2", "3", "-5", "40", "-120", "500", "x", "9223372036854775807"];
const TIMEOUTS: &[&str] = &["0", "0.01", "1.5", "1", "-1", "x"];

fn list_element(p: &mut P<'_>) -> String {
    if p.chance(3) {
        // Big enough to need a node of its own under the smallest byte limit.
        return "L".repeat(300 + p.below(5000));
    }
    p.pick(LIST_ELEMENTS).to_string()
}

fn side(p: &mut P<'_>) -> &'static str {
    p.pick(&["LEFT", "RIGHT", "left", "Right"])
}

/// Node limits from one element per node to Redis's largest byte limit.
fn list_fill(p: &mut P<'_>) -> Setting {
    Setting::ListFill([1, 2, 3, 5, -1, -2, -5, 0, -6, 128][p.below(10)])
}

/// Every list command and option over a few keys, sometimes on long lists
/// and under small node limits, with TTLs running out and other types in
/// the way.
pub fn list_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let k = p.key();
    match kind % 32 {
        0..=2 => {
            let name = p.pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
            let mut w = W::new(name).a(k);
            for _ in 0..1 + p.below(4) {
                w = w.a(list_element(p));
            }
            w.on(p)
        }
        3 | 30 | 31 => {
            // A long list: many nodes under small limits.
            let mut w = W::new(p.pick(&["RPUSH", "LPUSH"])).a(k);
            for _ in 0..20 + p.below(300) {
                w = w.a(p.pick(LIST_ELEMENTS));
            }
            w.on(p)
        }
        4 | 5 => {
            let w = W::new(p.pick(&["LPOP", "RPOP"])).a(k);
            let count = p.pick(&["0", "1", "2", "3", "50", "1000", "-1", "x"]);
            w.opt(p.chance(40), count).on(p)
        }
        6 => W::new("LLEN").a(k).on(p),
        7 => W::new("LINDEX").a(k).a(p.pick(LIST_INDEXES)).on(p),
        8 => W::new("LSET").a(k).a(p.pick(LIST_INDEXES)).a(list_element(p)).on(p),
        9 | 10 => W::new("LRANGE").a(k).a(p.pick(LIST_INDEXES)).a(p.pick(LIST_INDEXES)).on(p),
        11 => W::new("LTRIM").a(k).a(p.pick(LIST_INDEXES)).a(p.pick(LIST_INDEXES)).on(p),
        12 => {
            let count = p.pick(&["0", "1", "2", "-1", "-2", "5", "-100", "x"]);
            W::new("LREM").a(k).a(count).a(list_element(p)).on(p)
        }
        13 => {
            let place = p.pick(&["BEFORE", "AFTER", "after", "MIDDLE"]);
            W::new("LINSERT").a(k).a(place).a(p.pick(LIST_ELEMENTS)).a(list_element(p)).on(p)
        }
        14 => {
            let mut w = W::new("LPOS").a(k).a(p.pick(LIST_ELEMENTS));
            if p.chance(50) {
                let rank = ["1", "2", "-1", "-2", "3", "0", "-9223372036854775808", "9223372036854775807"];
                w = w.a("RANK").a(p.pick(&rank));
            }
            if p.chance(50) {
                w = w.a("COUNT").a(p.pick(&["0", "1", "2", "-1"]));
            }
            if p.chance(40) {
                w = w.a("MAXLEN").a(p.pick(&["0", "1", "5", "-1"]));
            }
            w.on(p)
        }
        15 | 16 => W::new("LMOVE").a(k).a(p.key()).a(side(p)).a(side(p)).on(p),
        17 => W::new("RPOPLPUSH").a(k).a(p.key()).on(p),
        18 | 19 => {
            let n = 1 + p.below(3);
            let mut w = W::new("LMPOP").a(if p.chance(5) { "0".to_string() } else { n.to_string() });
            for _ in 0..n {
                w = w.a(p.key());
            }
            w = w.a(side(p));
            if p.chance(50) {
                w = w.a("COUNT").a(p.pick(&["1", "2", "10", "0", "-1"]));
            }
            w.on(p)
        }
        20 => {
            let db = p.db();
            let words = W::new(p.pick(&["BLPOP", "BRPOP"])).a(k).a(p.key()).a(p.pick(TIMEOUTS)).0;
            Op::Cmd { db, words, may_block: p.chance(50) }
        }
        21 => {
            let db = p.db();
            let words = if p.chance(50) {
                W::new("BLMOVE").a(k).a(p.key()).a(side(p)).a(side(p)).a(p.pick(TIMEOUTS)).0
            } else {
                W::new("BRPOPLPUSH").a(k).a(p.key()).a(p.pick(TIMEOUTS)).0
            };
            Op::Cmd { db, words, may_block: p.chance(50) }
        }
        22 => {
            let db = p.db();
            let mut w = W::new("BLMPOP").a(p.pick(TIMEOUTS)).a("2").a(k).a(p.key()).a(side(p));
            if p.chance(50) {
                w = w.a("COUNT").a(p.pick(&["1", "3", "0"]));
            }
            Op::Cmd { db, words: w.0, may_block: p.chance(50) }
        }
        23 => match p.below(6) {
            0 => W::new("OBJECT").a("ENCODING").a(k).on(p),
            1 => W::new("DEBUG").a("DIGEST-VALUE").a(k).a(p.key()).on(p),
            2 => W::new("DUMP").a(k).on(p),
            3 => W::new("SORT").a(k).opt(p.chance(60), "ALPHA").opt(p.chance(30), "DESC").a("STORE").a(p.key()).on(p),
            4 => W::new("TYPE").a(k).on(p),
            _ => W::new("DEBUG").a("DIGEST").on(p),
        },
        24 => generic_op(p.n(), p, now),
        25 => string_op(p.n(), p, now),
        26 => expire_words(p, now).on(p),
        27 => Op::Set(list_fill(p)),
        28 => Op::ActiveExpire,
        _ => Op::Advance(p.below(2500) as i64),
    }
}

/// Many keys in and out, so the tables grow, shrink and rehash under SCAN.
pub fn rehash_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let many = |p: &mut P<'_>, name: &str, with_values: bool| {
        let base = p.below(3000);
        let n = 20 + p.below(180);
        let mut w = W::new(name);
        for i in 0..n {
            w = w.a(format!("r:{}", (base + i * 7) % 3000));
            if with_values {
                w = w.a(["1", "v", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"][i % 3]);
            }
        }
        w.0
    };
    match kind % 12 {
        0..=2 => Op::Cmd { db: 0, words: many(p, "MSET", true), may_block: true },
        3 | 4 => Op::Cmd { db: 0, words: many(p, "DEL", false), may_block: true },
        5 | 6 => {
            let churn = (0..1 + p.below(6))
                .map(|_| if p.chance(50) { many(p, "MSET", true) } else { many(p, "DEL", false) })
                .collect();
            Op::ScanChurn { db: 0, count: [1u64, 10, 100][p.below(3)], churn }
        }
        7 => Op::ActiveExpire,
        8 => {
            let key = format!("r:{}", p.below(3000));
            let words = W::new("SET").a(key).a("t").a("PX").a(p.pick(&["100", "1500"])).0;
            Op::Cmd { db: 0, words, may_block: true }
        }
        9 => Op::Advance(p.below(2000) as i64),
        10 => Op::Cmd { db: 0, words: W::new("KEYS").a(p.pick(&["r:1*", "r:?", "*"])).0, may_block: true },
        _ => generic_op(p.n(), p, now),
    }
}

pub type Group = fn(usize, &mut P<'_>, i64) -> Op;

// ---- hashes and sets ----

/// Hash fields: a few short ones (so writes collide), integers, the empty
/// field, and one longer than the smallest value limits.
const FIELDS: &[&str] = &["f", "g", "h", "1", "10", "", "a-field-of-some-length"];
/// Hash values: integers at the edges (HINCRBY), floats (HINCRBYFLOAT),
/// words, the empty string, and lengths around the value limits.
const HASH_VALUES: &[&str] =
    &["1", "-3", "0", "9223372036854775807", "1.5", "-0.25", "abc", "", "12345", "x", "1e3", "007"];
/// Cursors for HSCAN/SSCAN: the start, and points spread over the hash
/// space, since a table's cursor is the next scan hash to visit.
const CURSORS: &[&str] = &["0", "0", "1", "4611686018427387904", "13835058055282163712", "18446744073709551615", "x"];

fn field(p: &mut P<'_>) -> String {
    if p.chance(15) {
        // A wider field space, so hashes grow past the listpack limits.
        return format!("n{}", p.below(300));
    }
    p.pick(FIELDS).to_string()
}

fn hash_value(p: &mut P<'_>) -> String {
    if p.chance(4) {
        // Past the default 64-byte listpack value limit.
        return "V".repeat(60 + p.below(20));
    }
    p.pick(HASH_VALUES).to_string()
}

/// Listpack limits from "never a listpack" to Redis's defaults.
fn hash_limits(p: &mut P<'_>) -> Setting {
    let entries = [0, 1, 2, 3, 5, 128, 512][p.below(7)];
    let value = [0, 1, 3, 5, 64, 64, 1000][p.below(7)];
    Setting::HashLimits(entries, value)
}

/// Intset limits from "never an intset" to Redis's default.
fn intset_limit(p: &mut P<'_>) -> Setting {
    Setting::IntsetLimit([0, 1, 2, 3, 5, 512][p.below(6)])
}

fn scan_words(name: &str, k: &str, p: &mut P<'_>) -> W {
    let mut w = W::new(name).a(k).a(p.pick(CURSORS));
    if p.chance(40) {
        w = w.a("MATCH").a(p.pick(&["*", "f*", "n1*", "?", "[ab]*", "1*", "*0"]));
    }
    if p.chance(50) {
        w = w.a("COUNT").a(p.pick(&["1", "2", "5", "10", "100", "0", "x"]));
    }
    if p.chance(5) {
        w = w.a(p.pick(&["MATCH", "NOVALUES", "TYPE"]));
    }
    w
}

/// Every hash command and option over a few keys: small hashes, hashes past
/// the listpack limits by count or by value length, limits lowered by
/// CONFIG, TTLs running out, other types in the way.
pub fn hash_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let k = p.key();
    match kind % 30 {
        0..=3 => {
            let mut w = W::new(p.pick(&["HSET", "HSET", "HMSET"])).a(k);
            for _ in 0..1 + p.below(4) {
                w = w.a(field(p)).a(hash_value(p));
            }
            w.on(p)
        }
        4 => {
            // Many fields at once: past 128 entries now and then.
            let mut w = W::new("HSET").a(k);
            let (base, n) = (p.below(300), 10 + p.below(150));
            for i in 0..n {
                w = w.a(format!("n{}", (base + i * 7) % 300)).a(p.pick(HASH_VALUES));
            }
            w.on(p)
        }
        5 => W::new("HSETNX").a(k).a(field(p)).a(hash_value(p)).on(p),
        6 | 7 => W::new(p.pick(&["HGET", "HEXISTS", "HSTRLEN"])).a(k).a(field(p)).on(p),
        8 => W::new("HMGET").a(k).a(field(p)).a(field(p)).a(field(p)).on(p),
        9 => W::new("HLEN").a(k).on(p),
        10 => {
            let mut w = W::new("HDEL").a(k);
            for _ in 0..1 + p.below(3) {
                w = w.a(field(p));
            }
            w.on(p)
        }
        11 => {
            let by = p.pick(&["1", "-1", "5", "0", "9223372036854775807", "-9223372036854775808", "x"]);
            W::new("HINCRBY").a(k).a(field(p)).a(by).on(p)
        }
        12 => {
            let by = p.pick(&["1", "0.5", "-1.5", "1e308", "abc", "inf", "3", "5.0e3", "1e-20"]);
            W::new("HINCRBYFLOAT").a(k).a(field(p)).a(by).on(p)
        }
        13 | 14 => W::new(p.pick(&["HGETALL", "HKEYS", "HVALS"])).a(k).on(p),
        15 | 16 => {
            let w = W::new("HRANDFIELD").a(k);
            if p.chance(30) {
                return w.on(p);
            }
            let count = p.pick(&["1", "2", "3", "5", "200", "-1", "-3", "-20", "0", "x", "-9223372036854775808"]);
            let w = w.a(count).opt(p.chance(50), "WITHVALUES");
            w.opt(p.chance(3), "BOGUS").on(p)
        }
        17 | 18 => scan_words("HSCAN", k, p).on(p),
        19 => match p.below(6) {
            0 => W::new("OBJECT").a("ENCODING").a(k).on(p),
            1 => W::new("DEBUG").a("DIGEST-VALUE").a(k).a(p.key()).on(p),
            2 => W::new("DUMP").a(k).on(p),
            3 => W::new("TYPE").a(k).on(p),
            4 => W::new("DEBUG").a("DIGEST").on(p),
            _ => W::new("SORT").a(p.key()).a("BY").a("w_*->f").a("GET").a("w_*->g").opt(p.chance(50), "ALPHA").on(p),
        },
        20 => W::new(p.pick(&["COPY", "RENAME", "RENAMENX"])).a(k).a(p.key()).on(p),
        21 => match p.below(3) {
            0 => W::new("SET").a(k).a(p.value()).on(p),
            1 => W::new("SADD").a(k).a(p.member()).on(p),
            _ => W::new("RPUSH").a(k).a(p.member()).on(p),
        },
        22 | 23 => Op::Set(hash_limits(p)),
        24 => expire_words(p, now).on(p),
        25 => generic_op(p.n(), p, now),
        26 => Op::Set(setting(p)),
        27 => Op::ActiveExpire,
        _ => Op::Advance(p.below(2500) as i64),
    }
}

/// Set members: integers of every intset width, non-canonical integers
/// (which force a table), words, and the empty string.
const INT_MEMBERS: &[&str] =
    &["1", "2", "3", "-5", "10", "70000", "-70000", "5000000000", "-9223372036854775808", "9223372036854775807"];
const WORD_MEMBERS: &[&str] = &["a", "b", "c", "", "007", "+1", "1.0", "a-member-of-some-length"];

/// A member: integers only in most draws (the intset paths), words too in
/// the others, and now and then a wider space so sets grow.
fn set_member(p: &mut P<'_>) -> String {
    match p.below(20) {
        0 => format!("{}", p.below(1000)),
        1 => format!("m{}", p.below(600)),
        2..=11 => p.pick(INT_MEMBERS).to_string(),
        _ => p.pick(WORD_MEMBERS).to_string(),
    }
}

/// Mostly the first three keys, so that the algebra finds sets to combine.
fn set_key(p: &mut P<'_>) -> &'static str {
    if p.chance(75) {
        p.pick(&KEYS[..3])
    } else {
        p.key()
    }
}

fn some_keys(p: &mut P<'_>, w: W) -> W {
    let mut w = w;
    for _ in 0..1 + p.below(3) {
        w = w.a(set_key(p));
    }
    w
}

/// Every set command and option over a few keys: intsets of each width,
/// sets past the intset limit or with a word, limits lowered by CONFIG,
/// the algebra with missing keys and other types in the way.
pub fn set_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let k = set_key(p);
    match kind % 32 {
        0..=3 => {
            let mut w = W::new("SADD").a(k);
            for _ in 0..1 + p.below(4) {
                w = w.a(set_member(p));
            }
            w.on(p)
        }
        4 if p.chance(50) => {
            // A handful of integers and maybe one word: SPOP may leave few
            // enough survivors to rebuild the set, as an intset again.
            let mut w = W::new("SADD").a(k);
            for _ in 0..3 + p.below(10) {
                w = w.a(p.below(50).to_string());
            }
            w.opt(p.chance(60), p.pick(WORD_MEMBERS)).on(p)
        }
        4 => {
            // Many members at once: past 512 now and then.
            let ints = p.chance(70);
            let (base, n) = (p.below(1000), 10 + p.below(600));
            let mut w = W::new("SADD").a(k);
            for i in 0..n {
                let v = (base + i * 7) % 1000;
                w = w.a(if ints { v.to_string() } else { format!("m{v}") });
            }
            w.on(p)
        }
        5 | 6 => {
            let mut w = W::new("SREM").a(k);
            for _ in 0..1 + p.below(3) {
                w = w.a(set_member(p));
            }
            w.on(p)
        }
        7 => W::new("SISMEMBER").a(k).a(set_member(p)).on(p),
        8 => W::new("SMISMEMBER").a(k).a(set_member(p)).a(set_member(p)).on(p),
        9 => W::new(p.pick(&["SCARD", "SMEMBERS"])).a(k).on(p),
        10 => W::new("SMOVE").a(k).a(p.key()).a(set_member(p)).on(p),
        11 | 12 => {
            // Counts near a small set's size, where the survivors are few
            // enough for Redis to rebuild the set from them.
            let count = if p.chance(50) { p.below(16).to_string() } else { p.pick(&["0", "1", "100", "-1"]).into() };
            W::new("SPOP").a(k).opt(p.chance(70), count).on(p)
        }
        13 | 14 => {
            let count = p.pick(&["0", "1", "2", "5", "100", "-1", "-5", "-20", "x", "-9223372036854775808"]);
            W::new("SRANDMEMBER").a(k).opt(p.chance(70), count).on(p)
        }
        15 | 16 => {
            let name = p.pick(&["SINTER", "SUNION", "SDIFF"]);
            some_keys(p, W::new(name).a(k)).on(p)
        }
        17 | 18 => {
            let name = p.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
            let dst = p.key();
            some_keys(p, W::new(name).a(dst).a(k)).on(p)
        }
        19 => {
            let n = 1 + p.below(3);
            let mut w = W::new("SINTERCARD").a(if p.chance(5) { "0".to_string() } else { n.to_string() }).a(k);
            for _ in 1..n {
                w = w.a(p.key());
            }
            if p.chance(50) {
                w = w.a("LIMIT").a(p.pick(&["0", "1", "2", "-1"]));
            }
            w.on(p)
        }
        20 | 21 => scan_words("SSCAN", k, p).on(p),
        22 => match p.below(7) {
            0 => W::new("OBJECT").a("ENCODING").a(k).on(p),
            1 => W::new("DEBUG").a("DIGEST-VALUE").a(k).a(p.key()).on(p),
            2 => W::new("DUMP").a(k).on(p),
            3 => W::new("SORT").a(k).opt(p.chance(60), "ALPHA").a("STORE").a(p.key()).on(p),
            4 => W::new("ZUNIONSTORE").a(p.key()).a("2").a(k).a(p.key()).on(p),
            5 => W::new(p.pick(&["COPY", "RENAME", "MOVE"])).a(k).a(if p.chance(50) { "1" } else { p.key() }).on(p),
            _ => W::new("DEBUG").a("DIGEST").on(p),
        },
        23 => match p.below(3) {
            0 => W::new("SET").a(k).a(p.value()).on(p),
            1 => W::new("HSET").a(k).a("f").a(p.member()).on(p),
            _ => W::new("RPUSH").a(k).a(p.member()).on(p),
        },
        24 | 25 => Op::Set(intset_limit(p)),
        26 => expire_words(p, now).on(p),
        27 => generic_op(p.n(), p, now),
        28 => Op::Set(setting(p)),
        29 => Op::ActiveExpire,
        _ => Op::Advance(p.below(2500) as i64),
    }
}

/// Sorted set members: a small space (so commands meet each other's
/// members), the empty string, and now and then a wider space or a member
/// past the default value limit.
fn zmember(p: &mut P<'_>) -> String {
    match p.below(20) {
        0 => format!("m{}", p.below(200)),
        1 => "L".repeat(60 + p.below(10)),
        _ => p.pick(&["a", "b", "c", "d", "e", "", "1", "ab"]).to_string(),
    }
}

/// Scores: integers, fractions, both zeroes, infinities, huge and tiny
/// values, and invalid ones.
fn zscore(p: &mut P<'_>) -> &'static str {
    p.pick(&["1", "2", "0", "-0", "-1.5", "inf", "-inf", "+inf", "1e300", "0.1", "3", "123456789012345678", "x", "nan"])
}

fn score_bound(p: &mut P<'_>) -> &'static str {
    p.pick(&["-inf", "+inf", "1", "(1", "2", "(2", "0", "-0", "(-1.5", "inf", "(inf", "x", "5", "(0"])
}

fn lex_bound(p: &mut P<'_>) -> &'static str {
    p.pick(&["-", "+", "[a", "(a", "[c", "(c", "[", "(", "[ab", "x", "[e", "(m"])
}

fn limit(p: &mut P<'_>, w: W) -> W {
    if !p.chance(30) {
        return w;
    }
    let offset = p.pick(&["0", "1", "2", "-1", "x"]);
    let count = p.pick(&["1", "2", "-1", "0", "5", "x"]);
    w.a("LIMIT").a(offset).a(count)
}

/// Listpack limits from "never a listpack" to Redis's defaults.
fn zset_limits(p: &mut P<'_>) -> Setting {
    let entries = [0, 1, 2, 3, 5, 128, 128][p.below(7)];
    let value = [0, 1, 3, 64, 64, 1000][p.below(6)];
    Setting::ZSetLimits(entries, value)
}

/// Every sorted set command and option over a few keys: listpacks and
/// skiplists (by count, by member length, or limits lowered by CONFIG),
/// both zeroes, infinities, ranges of every kind, pops that block, the
/// algebra on native sets, other types in the way.
pub fn zset_op(kind: usize, p: &mut P<'_>, now: i64) -> Op {
    let k = set_key(p);
    match kind % 32 {
        0..=3 => {
            let mut w = W::new("ZADD").a(k);
            for flag in ["NX", "XX", "GT", "LT", "CH", "INCR"] {
                w = w.opt(p.chance(12), flag);
            }
            for _ in 0..1 + p.below(3) {
                w = w.a(zscore(p)).a(zmember(p));
            }
            w.on(p)
        }
        4 => {
            // Many members at once: past 128 entries now and then.
            let mut w = W::new("ZADD").a(k);
            let (base, n) = (p.below(200), 10 + p.below(150));
            for i in 0..n {
                w = w.a(format!("{}", (base + i) % 7)).a(format!("m{}", (base + i * 7) % 200));
            }
            w.on(p)
        }
        5 => W::new("ZINCRBY").a(k).a(zscore(p)).a(zmember(p)).on(p),
        6 => {
            let mut w = W::new("ZREM").a(k);
            for _ in 0..1 + p.below(3) {
                w = w.a(zmember(p));
            }
            w.on(p)
        }
        7 => match p.below(3) {
            0 => W::new("ZCARD").a(k).on(p),
            1 => W::new("ZSCORE").a(k).a(zmember(p)).on(p),
            _ => W::new("ZMSCORE").a(k).a(zmember(p)).a(zmember(p)).on(p),
        },
        8 => W::new(p.pick(&["ZRANK", "ZREVRANK"])).a(k).a(zmember(p)).on(p),
        9 => match p.below(2) {
            0 => W::new("ZCOUNT").a(k).a(score_bound(p)).a(score_bound(p)).on(p),
            _ => W::new("ZLEXCOUNT").a(k).a(lex_bound(p)).a(lex_bound(p)).on(p),
        },
        10 | 11 => {
            let mut w = W::new("ZRANGE").a(k);
            let by = p.below(3);
            w = match by {
                0 => w.a(p.pick(&["0", "1", "-1", "-3", "2", "100", "x"])).a(p.pick(&["-1", "0", "2", "-2", "100"])),
                1 => w.a(score_bound(p)).a(score_bound(p)).a("BYSCORE"),
                _ => w.a(lex_bound(p)).a(lex_bound(p)).a("BYLEX"),
            };
            w = w.opt(p.chance(40), "REV");
            w = limit(p, w);
            w.opt(p.chance(40), "WITHSCORES").on(p)
        }
        12 => {
            let name = p.pick(&["ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]);
            let w = if name == "ZREVRANGE" {
                W::new(name).a(k).a(p.pick(&["0", "1", "-2"])).a(p.pick(&["-1", "1", "5"]))
            } else {
                let w = W::new(name).a(k).a(score_bound(p)).a(score_bound(p));
                limit(p, w)
            };
            w.opt(p.chance(40), "WITHSCORES").on(p)
        }
        13 => {
            let w = W::new(p.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"])).a(k).a(lex_bound(p)).a(lex_bound(p));
            limit(p, w).on(p)
        }
        14 => {
            let w = W::new("ZRANGESTORE").a(set_key(p)).a(k);
            let w = match p.below(3) {
                0 => w.a(p.pick(&["0", "1", "-2"])).a(p.pick(&["-1", "0", "3"])),
                1 => w.a(score_bound(p)).a(score_bound(p)).a("BYSCORE"),
                _ => w.a(lex_bound(p)).a(lex_bound(p)).a("BYLEX"),
            };
            let rev = p.chance(30);
            limit(p, w.opt(rev, "REV")).on(p)
        }
        15 => match p.below(3) {
            0 => W::new("ZREMRANGEBYRANK").a(k).a(p.pick(&["0", "1", "-2", "x"])).a(p.pick(&["-1", "0", "2"])).on(p),
            1 => W::new("ZREMRANGEBYSCORE").a(k).a(score_bound(p)).a(score_bound(p)).on(p),
            _ => W::new("ZREMRANGEBYLEX").a(k).a(lex_bound(p)).a(lex_bound(p)).on(p),
        },
        16 => {
            let w = W::new(p.pick(&["ZPOPMIN", "ZPOPMAX"])).a(k);
            w.opt(p.chance(50), p.pick(&["1", "2", "0", "10", "-1", "x"])).on(p)
        }
        17 => match p.below(3) {
            0 => {
                let w = W::new(p.pick(&["BZPOPMIN", "BZPOPMAX"]));
                some_keys(p, w).a(p.pick(&["0", "0.1", "1", "x"])).on(p)
            }
            1 => {
                let w = W::new("ZMPOP").a(p.pick(&["1", "2", "0"])).a(k).a(set_key(p)).a(p.pick(&["MIN", "MAX", "X"]));
                w.opt(p.chance(40), "COUNT").opt(p.chance(40), p.pick(&["1", "3", "0"])).on(p)
            }
            _ => {
                let w = W::new("BZMPOP").a(p.pick(&["0", "0.5"])).a("1").a(k).a(p.pick(&["MIN", "MAX"]));
                w.opt(p.chance(40), "COUNT").opt(p.chance(40), p.pick(&["2", "5"])).on(p)
            }
        },
        18 => {
            let w = W::new("ZRANDMEMBER").a(k);
            if p.chance(30) {
                return w.on(p);
            }
            let count = p.pick(&["1", "2", "3", "5", "200", "-1", "-3", "-20", "0", "x", "-9223372036854775808"]);
            w.a(count).opt(p.chance(50), "WITHSCORES").on(p)
        }
        19 => scan_words("ZSCAN", k, p).on(p),
        20 => {
            let name = p.pick(&["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD"]);
            let mut w = W::new(name);
            if name.ends_with("STORE") {
                w = w.a(set_key(p));
            }
            let n = 1 + p.below(3);
            w = w.a(n.to_string());
            for _ in 0..n {
                w = w.a(set_key(p));
            }
            if name != "ZINTERCARD" && name != "ZDIFF" && name != "ZDIFFSTORE" && p.chance(30) {
                w = w.a("AGGREGATE").a(p.pick(&["MIN", "MAX", "SUM"]));
            }
            w.opt(!name.ends_with("STORE") && name != "ZINTERCARD" && p.chance(40), "WITHSCORES").on(p)
        }
        21 => match p.below(6) {
            0 => W::new("OBJECT").a("ENCODING").a(k).on(p),
            1 => W::new("DEBUG").a("DIGEST-VALUE").a(k).a(p.key()).on(p),
            2 => W::new("DUMP").a(k).on(p),
            3 => W::new("TYPE").a(k).on(p),
            4 => W::new("DEBUG").a("DIGEST").on(p),
            _ => W::new("SORT").a(k).a("BY").a("w_*->f").a("GET").a("#").opt(p.chance(50), "ALPHA").on(p),
        },
        22 => W::new(p.pick(&["COPY", "RENAME", "RENAMENX"])).a(k).a(p.key()).on(p),
        23 => match p.below(3) {
            0 => W::new("SET").a(k).a(p.value()).on(p),
            1 => W::new("SADD").a(k).a(p.member()).on(p),
            _ => W::new("HSET").a(k).a("f").a(p.member()).on(p),
        },
        24 | 25 => Op::Set(zset_limits(p)),
        26 => expire_words(p, now).on(p),
        27 => generic_op(p.n(), p, now),
        28 => Op::Set(setting(p)),
        29 => Op::ActiveExpire,
        _ => Op::Advance(p.below(2500) as i64),
    }
}
