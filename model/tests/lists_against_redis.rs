//! The list group on the model against a real Redis 7.0: the same seeded
//! random command stream goes to both, and the replies must be equal (list
//! replies are all deterministic, so every comparison is exact, on the wire
//! bytes of the protocol in use: RESP2's `$-1` and `*-1` are told apart).
//!
//! Blocking commands never make the real server wait: the model runs first;
//! when it would park the client (or is told it may not block), the command
//! goes to Redis inside MULTI/EXEC, where Redis answers its timeout reply at
//! once, and the model's timeout reply is compared with that. Otherwise the
//! model served it, so Redis must serve it too and gets it as sent.
//!
//! Every few hundred commands, and after each seed, DEBUG DIGEST-VALUE of
//! every key is compared (content, order, type and TTL presence); after each
//! seed also the keyspace hit/miss counters and OBJECT ENCODING.

mod support;

use std::collections::BTreeMap;

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::resp::{encode_to_vec, Protocol};
use redsim_model::{BlockOn, Context, Engine, EngineConfig, Frame, Model};

const NOW_MS: i64 = 1_700_000_000_000;
const LISTS: [&str; 5] = ["l0", "l1", "l2", "l3", "l4"];
const STRINGS: [&str; 2] = ["s0", "s1"];
const ALL_KEYS: [&str; 8] = ["l0", "l1", "l2", "l3", "l4", "s0", "s1", "nokey"];
const COMMANDS_PER_SEED: usize = 2000;
const BLOCKING: [&str; 5] = ["blpop", "brpop", "blmove", "brpoplpush", "blmpop"];

/// Elements: plain, integer-like (listpacks store those as numbers in
/// Redis, which must not show), empty, long, and not UTF-8 clean.
const ELEMENTS: [&str; 16] = [
    "a",
    "b",
    "c",
    "d",
    "a",
    "b",
    "1",
    "2",
    "-3",
    "",
    "9223372036854775807",
    "-9223372036854775808",
    "007",
    "é",
    "\u{0}x",
    "a long element that goes on and on past sixty-four bytes of text...",
];
/// Indexes and range bounds: mostly small, sometimes extreme or not numbers.
const INDEXES: [&str; 16] =
    ["0", "1", "2", "3", "-1", "-2", "-3", "0", "1", "-1", "5", "-5", "10", "-10", "100", "-100"];
const BAD_INDEXES: [&str; 8] =
    ["9223372036854775807", "-9223372036854775808", "9223372036854775808", "abc", "", "1.5", "+1", "-0"];
/// Counts for LPOP/RPOP, LREM, LMPOP's COUNT.
const COUNTS: [&str; 8] = ["1", "2", "3", "0", "1", "5", "10", "-1"];
const BAD_COUNTS: [&str; 9] =
    ["-2", "abc", "", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1.0", "007", "-0"];
/// Timeouts: the valid ones, then the ones Redis refuses ("inf" and 1e30
/// overflow the conversion to milliseconds and read as negative).
const TIMEOUTS: [&str; 12] =
    ["0", "0", "0.5", "1", "2.5", "0.001", "0.0001", "-0.0001", "0x10", "9223372036854775", "1e-400", "-0"];
const BAD_TIMEOUTS: [&str; 10] = ["-1", "abc", "", "1e30", "inf", "-inf", "nan", " 1", "1 ", "1e-5000"];
const DIRECTIONS: [&str; 11] =
    ["LEFT", "RIGHT", "left", "Right", "LEFT", "RIGHT", "LEFT", "RIGHT", "left", "right", "up"];
/// RANK 0 is refused; i64::MIN is accepted and misbehaves as in Redis.
const LPOS_BAD_RANKS: [&str; 5] = ["0", "-9223372036854775808", "9223372036854775807", "-9223372036854775807", "x"];

fn to_bytes(argv: &[String]) -> Vec<Bytes> {
    argv.iter().map(|s| Bytes::from(s.clone())).collect()
}

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from.choose(rng).expect("non-empty pool")
}

/// Mostly a value from `good`, one time in `1/bad_ratio` one from `bad`.
fn pick_or_bad(rng: &mut ChaCha8Rng, good: &[&str], bad: &[&str], bad_ratio: u32) -> String {
    if rng.gen_ratio(1, bad_ratio) { pick(rng, bad) } else { pick(rng, good) }.to_string()
}

fn index(rng: &mut ChaCha8Rng) -> String {
    pick_or_bad(rng, &INDEXES, &BAD_INDEXES, 8)
}

fn count(rng: &mut ChaCha8Rng) -> String {
    pick_or_bad(rng, &COUNTS, &BAD_COUNTS, 6)
}

fn timeout(rng: &mut ChaCha8Rng) -> String {
    pick_or_bad(rng, &TIMEOUTS, &BAD_TIMEOUTS, 6)
}

/// A key: mostly lists, some strings (WRONGTYPE), some missing.
fn key(rng: &mut ChaCha8Rng) -> String {
    let k = match rng.gen_range(0..100) {
        0..=85 => pick(rng, &LISTS),
        86..=93 => pick(rng, &STRINGS),
        _ => "nokey",
    };
    k.to_string()
}

fn elements(rng: &mut ChaCha8Rng, n: usize) -> Vec<String> {
    (0..n).map(|_| pick(rng, &ELEMENTS).to_string()).collect()
}

/// One command of the stream, as argv.
fn generate(rng: &mut ChaCha8Rng) -> Vec<String> {
    let s = |x: &str| x.to_string();
    let mut argv: Vec<String> = match rng.gen_range(0..100) {
        0..=13 => {
            let name = pick(rng, &["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
            let n = rng.gen_range(1..6);
            [vec![s(name), key(rng)], elements(rng, n)].concat()
        }
        14..=22 => {
            let mut v = vec![s(pick(rng, &["LPOP", "RPOP"])), key(rng)];
            if rng.gen_bool(0.5) {
                v.push(count(rng));
            }
            v
        }
        23..=27 => vec![s("LINDEX"), key(rng), index(rng)],
        28..=32 => {
            let where_ = pick(rng, &["BEFORE", "AFTER", "before", "After", "middle"]);
            vec![s("LINSERT"), key(rng), s(where_), s(pick(rng, &ELEMENTS)), s(pick(rng, &ELEMENTS))]
        }
        33..=35 => vec![s("LLEN"), key(rng)],
        36..=41 => vec![s("LMOVE"), key(rng), key(rng), s(pick(rng, &DIRECTIONS)), s(pick(rng, &DIRECTIONS))],
        42..=44 => vec![s("RPOPLPUSH"), key(rng), key(rng)],
        45..=50 => lmpop(rng, false),
        51..=57 => lpos(rng),
        58..=64 => vec![s("LRANGE"), key(rng), index(rng), index(rng)],
        65..=68 => vec![s("LREM"), key(rng), count(rng), s(pick(rng, &ELEMENTS))],
        69..=72 => vec![s("LSET"), key(rng), index(rng), s(pick(rng, &ELEMENTS))],
        73..=76 => vec![s("LTRIM"), key(rng), index(rng), index(rng)],
        77..=81 => {
            let n = rng.gen_range(1..4);
            let mut v = vec![s(pick(rng, &["BLPOP", "BRPOP"]))];
            v.extend((0..n).map(|_| key(rng)));
            v.push(timeout(rng));
            v
        }
        82..=84 => {
            vec![s("BLMOVE"), key(rng), key(rng), s(pick(rng, &DIRECTIONS)), s(pick(rng, &DIRECTIONS)), timeout(rng)]
        }
        85..=86 => vec![s("BRPOPLPUSH"), key(rng), key(rng), timeout(rng)],
        87..=90 => lmpop(rng, true),
        // Keys of other types, deletions, and a TTL the digest must see.
        91..=93 => vec![s("SET"), s(pick(rng, &STRINGS)), s("v")],
        // A list key turned into a string stays one until deleted: rare.
        94 if rng.gen_ratio(1, 4) => vec![s("SET"), s(pick(rng, &LISTS)), s("now a string")],
        94..=96 => vec![s("DEL"), s(pick(rng, &["l0", "l1", "l2", "l3", "l4", "nokey"]))],
        97 => vec![s("EXPIRE"), key(rng), s("100000")],
        _ => vec![s("TYPE"), key(rng)],
    };
    // Wrong arity now and then: drop or add an argument.
    if rng.gen_ratio(1, 40) {
        if rng.gen_bool(0.5) && argv.len() > 1 {
            argv.pop();
        } else {
            argv.push(s("extra"));
        }
    }
    argv
}

/// LMPOP / BLMPOP: numkeys usually right, sometimes not; COUNT sometimes
/// present, repeated, or broken.
fn lmpop(rng: &mut ChaCha8Rng, blocking: bool) -> Vec<String> {
    let mut v = vec![if blocking { "BLMPOP".to_string() } else { "LMPOP".to_string() }];
    if blocking {
        v.push(timeout(rng));
    }
    let n = rng.gen_range(1..4);
    let numkeys = match rng.gen_range(0..10) {
        0 => pick(rng, &["0", "-1", "x", "9223372036854775807", "4", ""]).to_string(),
        _ => n.to_string(),
    };
    v.push(numkeys);
    v.extend((0..n).map(|_| key(rng)));
    v.push(pick(rng, &DIRECTIONS).to_string());
    match rng.gen_range(0..10) {
        0..=4 => {}
        5..=8 => v.extend(["COUNT".to_string(), count(rng)]),
        _ => v.push(pick(rng, &["COUNT", "FOO", "count 1"]).to_string()),
    }
    if rng.gen_ratio(1, 15) {
        v.extend(["COUNT".to_string(), "1".to_string()]);
    }
    v
}

/// LPOS with a random set of options in random order, sometimes broken.
fn lpos(rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut v = vec!["LPOS".to_string(), key(rng), pick(rng, &ELEMENTS).to_string()];
    for _ in 0..rng.gen_range(0..4) {
        let (opt, value) = match rng.gen_range(0..10) {
            0..=3 => ("RANK", pick_or_bad(rng, &["1", "2", "-1", "-2", "3", "-3"], &LPOS_BAD_RANKS, 6)),
            4..=6 => ("COUNT", pick_or_bad(rng, &["0", "1", "2", "3", "0"], &["-1", "x", "9223372036854775807"], 8)),
            7..=8 => ("MAXLEN", pick_or_bad(rng, &["0", "1", "2", "5", "3"], &["-1", "x"], 8)),
            _ if rng.gen_bool(0.5) => ("BOGUS", "1".to_string()),
            _ => ("RANK", "1".to_string()),
        };
        let opt = if rng.gen_bool(0.2) { opt.to_ascii_lowercase() } else { opt.to_string() };
        v.push(opt);
        v.push(value);
    }
    if rng.gen_ratio(1, 20) {
        v.push("RANK".to_string());
    }
    v
}

struct Harness {
    redis: support::RealConn,
    model: Model,
    config: EngineConfig,
    node_rng: ChaCha8Rng,
    proto: Protocol,
    runs: BTreeMap<String, usize>,
    /// Runs per command whose reply was an error, a null, or data, so the
    /// report shows the stream reaches past the argument checks.
    kinds: BTreeMap<String, [usize; 3]>,
    mismatches: BTreeMap<String, usize>,
    samples: Vec<String>,
}

impl Harness {
    fn new(server: &support::RealRedis, proto: Protocol) -> Harness {
        let mut redis = server.connect();
        if proto == Protocol::Resp3 {
            assert!(matches!(redis.call(&["HELLO", "3"]), Frame::Map(_)));
        }
        Harness {
            redis,
            model: Model::new(16),
            config: EngineConfig::default(),
            node_rng: ChaCha8Rng::seed_from_u64(99),
            proto,
            runs: BTreeMap::new(),
            kinds: BTreeMap::new(),
            mismatches: BTreeMap::new(),
            samples: Vec::new(),
        }
    }

    /// A fresh dataset on both sides, counters included.
    fn reset(&mut self) {
        assert_eq!(self.redis.call(&["FLUSHALL"]), Frame::ok());
        assert_eq!(self.redis.call(&["CONFIG", "RESETSTAT"]), Frame::ok());
        self.model = Model::new(16);
    }

    /// Runs argv on the model: its reply and, if it wants to, what it would block on.
    fn model_run(&mut self, argv: &[String], may_block: bool) -> (Frame, Option<BlockOn>) {
        let args = to_bytes(argv);
        let cmd = match argv[0].to_ascii_uppercase().as_str() {
            "DEBUG" => Ok(Command::DebugDigestValue { keys: args[2..].to_vec() }),
            _ => Command::from_argv(&args, &ParseEnv::default()),
        };
        match cmd {
            Err(e) => (e.into(), None),
            Ok(cmd) => {
                let mut cx = Context::new(0, NOW_MS, &mut self.node_rng, &self.config, &args);
                cx.may_block = may_block;
                let reply = self.model.execute(&mut cx, &cmd);
                (reply, cx.block.take())
            }
        }
    }

    /// Runs argv on Redis inside MULTI/EXEC, where blocking commands answer
    /// at once; the command's own reply (or its queueing error).
    fn redis_in_multi(&mut self, argv: &[String]) -> Frame {
        assert_eq!(self.redis.call(&["MULTI"]), Frame::ok());
        let queued = self.redis.call(argv);
        let exec = self.redis.call(&["EXEC"]);
        if queued != Frame::simple("QUEUED") {
            return queued;
        }
        match exec {
            Frame::Array(mut items) if items.len() == 1 => items.remove(0),
            other => panic!("EXEC of one command gave {other:?}"),
        }
    }

    fn wire(&self, f: &Frame) -> Vec<u8> {
        encode_to_vec(f, self.proto)
    }

    fn compare(&mut self, what: &str, argv: &[String], model: &Frame, redis: &Frame) {
        *self.runs.entry(what.to_string()).or_default() += 1;
        let kind = match redis {
            Frame::Error(_) => 0,
            Frame::Null | Frame::NullArray => 1,
            _ => 2,
        };
        self.kinds.entry(what.to_string()).or_default()[kind] += 1;
        if self.wire(model) != self.wire(redis) {
            *self.mismatches.entry(what.to_string()).or_default() += 1;
            if self.samples.len() < 30 {
                self.samples.push(format!("{argv:?}\n    model: {model:?}\n    redis: {redis:?}"));
            }
        }
    }

    fn step(&mut self, argv: &[String], multi_coin: bool) {
        let name = argv[0].to_ascii_lowercase();
        let arity_ok = redsim_model::table::resolve(&to_bytes(argv)).is_ok();
        let (model, redis) = if !BLOCKING.contains(&name.as_str()) || !arity_ok {
            // Arity errors come back before anything could block.
            let (m, _) = self.model_run(argv, true);
            (m, self.redis.call(argv))
        } else if multi_coin {
            let (m, block) = self.model_run(argv, false);
            assert!(block.is_none(), "{argv:?} blocked although it may not");
            (m, self.redis_in_multi(argv))
        } else {
            // Sent as is only if the datasets agree before the command, so
            // that a model that serves where Redis would block shows up as a
            // mismatch instead of hanging the test.
            let same_data = self.compare_digests();
            match self.model_run(argv, true) {
                // Redis would park the client. A parked list client times out
                // with a null array in Redis 7.0 (the oracle test checks it
                // with real blocking); inside MULTI the reply is the
                // command's own, compared here.
                (_, Some(block)) => {
                    assert_eq!(block.on_timeout, Frame::NullArray, "{argv:?}");
                    let (m, _) = self.model_run(argv, false);
                    (m, self.redis_in_multi(argv))
                }
                // An error, or served: Redis must not block either; errors
                // still go through MULTI so a wrong model cannot hang the test.
                (m, None) if m.is_error() => (m, self.redis_in_multi(argv)),
                (m, None) if same_data => (m, self.redis.call(argv)),
                (m, None) => (m, self.redis_in_multi(argv)),
            }
        };
        self.compare(&name, argv, &model, &redis);
    }

    /// DEBUG DIGEST-VALUE of every key (contents, order, type, TTL
    /// presence); true if they agree.
    fn compare_digests(&mut self) -> bool {
        let mut argv = vec!["DEBUG".to_string(), "DIGEST-VALUE".to_string()];
        argv.extend(ALL_KEYS.iter().map(|k| k.to_string()));
        let (model, _) = self.model_run(&argv, true);
        let redis = self.redis.call(&argv);
        self.compare("debug digest-value", &argv, &model, &redis);
        model == redis
    }

    fn compare_encodings(&mut self) {
        for k in ALL_KEYS {
            let argv = vec!["OBJECT".to_string(), "ENCODING".to_string(), k.to_string()];
            let (model, _) = self.model_run(&argv, true);
            let redis = self.redis.call(&argv);
            self.compare("object encoding", &argv, &model, &redis);
        }
    }

    /// keyspace_hits / keyspace_misses: they show whether each command looked
    /// its keys up for reading or for writing, as Redis does.
    fn compare_stats(&mut self) {
        let info = match self.redis.call(&["INFO", "stats"]) {
            Frame::Bulk(b) => b,
            Frame::Verbatim { text, .. } => text,
            other => panic!("INFO gave {other:?}"),
        };
        let text = String::from_utf8_lossy(&info).into_owned();
        let field = |name: &str| -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(-1)
        };
        let stats = self.model.stats();
        let model = Frame::Array(vec![
            Frame::Integer(stats.keyspace_hits as i64),
            Frame::Integer(stats.keyspace_misses as i64),
        ]);
        let redis =
            Frame::Array(vec![Frame::Integer(field("keyspace_hits")), Frame::Integer(field("keyspace_misses"))]);
        self.compare("keyspace hits/misses", &["INFO".to_string(), "stats".to_string()], &model, &redis);
    }

    fn run_seed(&mut self, seed: u64) {
        self.reset();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for s in STRINGS {
            let argv = vec!["SET".to_string(), s.to_string(), "v".to_string()];
            self.step(&argv, false);
        }
        for i in 0..COMMANDS_PER_SEED {
            let argv = generate(&mut rng);
            let multi_coin = rng.gen_bool(0.5);
            self.step(&argv, multi_coin);
            if i % 250 == 249 {
                self.compare_digests();
            }
        }
        self.compare_stats();
        self.compare_digests();
        self.compare_encodings();
    }

    fn report(&self, label: &str) -> usize {
        eprintln!("{label}: runs (errors, nulls, other replies), mismatches");
        for (name, runs) in &self.runs {
            let [e, n, d] = self.kinds.get(name).copied().unwrap_or_default();
            let bad = self.mismatches.get(name).copied().unwrap_or(0);
            eprintln!("  {name:22} {runs:6} ({e:5} {n:5} {d:5}) {bad:6}");
        }
        for s in &self.samples {
            eprintln!("MISMATCH {s}");
        }
        self.mismatches.values().sum()
    }
}

#[test]
fn list_commands_match_redis() {
    let server = support::RealRedis::start_with(&["--enable-debug-command", "yes"]);
    let mut total = 0;

    let mut resp2 = Harness::new(&server, Protocol::Resp2);
    for seed in 0..20 {
        resp2.run_seed(seed);
    }
    total += resp2.report("RESP2, 20 seeds");
    // Every command of the group (and the helpers) came up.
    for name in [
        "lindex",
        "linsert",
        "llen",
        "lmove",
        "lmpop",
        "lpop",
        "lpos",
        "lpush",
        "lpushx",
        "lrange",
        "lrem",
        "lset",
        "ltrim",
        "rpop",
        "rpoplpush",
        "rpush",
        "rpushx",
        "blpop",
        "brpop",
        "blmove",
        "brpoplpush",
        "blmpop",
    ] {
        assert!(resp2.runs.get(name).copied().unwrap_or(0) > 100, "{name} was hardly exercised");
    }

    let mut resp3 = Harness::new(&server, Protocol::Resp3);
    for seed in 100..104 {
        resp3.run_seed(seed);
    }
    total += resp3.report("RESP3, 4 seeds");

    assert_eq!(total, 0, "replies differ from Redis (see the samples above)");
}
