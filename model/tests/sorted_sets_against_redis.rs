//! The sorted-set group on the model against a real Redis 7.0: the same
//! seeded random command stream goes to both, and the replies, and what each
//! side propagates to replicas, must be equal.
//!
//! Replies are compared byte for byte as the client's protocol encodes them
//! (so `-0` and `0` differ), except where Redis's output is not determined:
//! ZRANDMEMBER is checked by its properties, and a skiplist's ZSCAN by the
//! full iteration it yields. Lex-range commands on a skiplist whose scores
//! differ are skipped (Redis's answer then depends on the skiplist's random
//! levels). Blocking pops that would block are sent to Redis inside
//! MULTI/EXEC, where they time out at once, and compared with the model's
//! timeout reply. After each command two side channels are checked too: a
//! fake replica reads Redis's replication stream (the model's effects must
//! equal it), and a client tracking every key (CLIENT TRACKING BCAST) sees
//! which keys Redis signalled as modified (the model's touched keys, which
//! drive WATCH and blocked clients, must equal them). Every few hundred
//! commands, and after each seed, DEBUG DIGEST-VALUE and OBJECT ENCODING of
//! every key are compared. The listpack limits vary by seed and change at
//! random during a seed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use redsim_model::command::{Command, ParseEnv};
use redsim_model::num::fmt_g17;
use redsim_model::reference::{Value, ZSetValue};
use redsim_model::resp::{encode_request, encode_to_vec, parse_reply, Protocol};
use redsim_model::{Context, Engine, EngineConfig, Frame, Model};

const NOW_MS: i64 = 1_700_000_000_000;
const COMMANDS_PER_SEED: usize = 2000;
const RESP2_SEEDS: u64 = 20;
const RESP3_SEEDS: u64 = 4;

const ZKEYS: [&str; 5] = ["z0", "z1", "z2", "z3", "z4"];
/// Keys whose ZADDs mostly use score 0, so lex ranges mean something.
const LEX_KEYS: [&str; 2] = ["z3", "z4"];
const POOL: [&str; 8] = ["z0", "z1", "z2", "z3", "z4", "set1", "str", "nokey"];

const MEMBERS: [&str; 24] = [
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "A",
    "B",
    "aa",
    "ab",
    "ba",
    "",
    "0",
    "1",
    "-1",
    "1.5",
    "x y",
    "é",
    "a\u{0}b",
    "medium-member-1",
    "medium-member-2",
    "zz",
];
const SCORES: [&str; 30] = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "-1",
    "-2",
    "1.5",
    "-2.5",
    "10",
    "100",
    "-0",
    "+0",
    "inf",
    "-inf",
    "+inf",
    "1e308",
    "-1e308",
    "0.1",
    "3.0000000000000004",
    "1e-310",
    "0x10",
    "1e2",
    "5e-324",
    "4503599627370496",
    "123456789012345678",
    "-0.0",
    "2",
    "1",
];
const BAD_SCORES: [&str; 8] = ["nan", "abc", "", " 1", "1e400", "1 ", "--1", "(1"];
const SCORE_BOUNDS: [&str; 24] = [
    "0", "1", "2", "3", "5", "-1", "1.5", "(0", "(1", "(2", "(5", "(-1", "-inf", "+inf", "inf", "(inf", "(-inf", "(",
    "", " 2", "1e400", "-1e400", "-0", "(-0",
];
const BAD_SCORE_BOUNDS: [&str; 5] = ["nan", "x", "(x", "1 ", "(nan"];
const LEX_BOUNDS: [&str; 16] =
    ["-", "+", "[a", "(a", "[b", "(b", "[c", "[", "(", "[m5", "(zz", "[ab", "[é", "(B", "[0", "[medium"];
const BAD_LEX_BOUNDS: [&str; 5] = ["a", "", "+x", "--", "b"];
const INDEXES: [&str; 16] = ["0", "1", "2", "3", "5", "10", "-1", "-2", "-3", "-5", "-100", "100", "0", "-1", "1", "2"];
const BAD_INDEXES: [&str; 5] = ["x", "1.5", "", "9223372036854775808", " 1"];
const BIG_INDEXES: [&str; 2] = ["9223372036854775807", "-9223372036854775808"];
const WEIGHTS: [&str; 10] = ["1", "2", "-1", "0", "0.5", "inf", "-inf", "3", "1", "x"];

// ---------------------------------------------------------------------------
// Side channels: a fake replica reading Redis's replication stream, and a
// client tracking every key (BCAST), whose invalidations are the keys Redis
// signals as modified (what WATCH and blocked clients see).

/// A raw connection read frame by frame.
struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    fn connect(port: u16) -> RawConn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to redis-server");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        RawConn { stream, buf: Vec::new() }
    }

    fn send(&mut self, argv: &[&str]) {
        let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        let mut out = Vec::new();
        encode_request(&argv, &mut out);
        self.stream.write_all(&out).expect("write to redis-server");
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = self.stream.read(&mut chunk).expect("read from redis-server");
        assert!(n > 0, "redis-server closed the connection");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// One CRLF-terminated line, skipping the bare newlines Redis sends as keepalives.
    fn read_line(&mut self) -> Vec<u8> {
        loop {
            while self.buf.first() == Some(&b'\n') {
                self.buf.remove(0);
            }
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..pos].to_vec();
                self.buf.drain(..pos + 2);
                return line;
            }
            self.fill();
        }
    }

    fn next_frame(&mut self) -> Frame {
        loop {
            if let Some((frame, used)) = parse_reply(&self.buf).expect("valid RESP") {
                self.buf.drain(..used);
                return frame;
            }
            self.fill();
        }
    }
}

struct Replica {
    conn: RawConn,
}

impl Replica {
    /// Connects as a diskless replica, skips the initial RDB transfer and
    /// waits until the master counts the replica as online (a FLUSHALL
    /// before that would kill the transfer).
    fn connect(server: &support::RealRedis) -> Replica {
        let mut conn = RawConn::connect(server.port);
        conn.send(&["REPLCONF", "capa", "eof"]);
        conn.read_line();
        conn.send(&["PSYNC", "?", "-1"]);
        let line = conn.read_line();
        assert!(line.starts_with(b"+FULLRESYNC"), "unexpected PSYNC reply {line:?}");
        let header = conn.read_line();
        let mark = header.strip_prefix(b"$EOF:").expect("a diskless transfer").to_vec();
        loop {
            if let Some(pos) = conn.buf.windows(mark.len()).position(|w| w == &mark[..]) {
                conn.buf.drain(..pos + mark.len());
                break;
            }
            conn.fill();
        }
        // A diskless replica is streamed to after its first acknowledgement
        // once the transfer has ended on the master's side.
        let mut admin = server.connect();
        for _ in 0..500 {
            let info = admin.call(&["INFO", "replication"]);
            if matches!(&info, Frame::Bulk(b) | Frame::Verbatim { text: b, .. } if String::from_utf8_lossy(b).contains("state=online"))
            {
                conn.send(&["REPLCONF", "ACK", "0"]);
                return Replica { conn };
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the fake replica never came online");
    }

    /// Everything propagated before `SET zmark <n>`, without SELECT and PING.
    fn until_marker(&mut self, n: u64) -> Vec<Vec<Bytes>> {
        let marker = [Bytes::from_static(b"SET"), Bytes::from_static(b"zmark"), Bytes::from(n.to_string())];
        let mut out = Vec::new();
        loop {
            let Frame::Array(items) = self.conn.next_frame() else { continue };
            let cmd: Vec<Bytes> = items.iter().filter_map(bulk_text).collect();
            if cmd[..] == marker[..] {
                return out;
            }
            let name = cmd.first().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
            if name != b"SELECT" && name != b"PING" {
                out.push(cmd);
            }
        }
    }
}

struct Tracker {
    conn: RawConn,
}

impl Tracker {
    fn connect(server: &support::RealRedis) -> Tracker {
        let mut conn = RawConn::connect(server.port);
        conn.send(&["HELLO", "3"]);
        assert!(matches!(conn.next_frame(), Frame::Map(_)));
        conn.send(&["CLIENT", "TRACKING", "on", "BCAST"]);
        assert_eq!(conn.next_frame(), Frame::ok());
        Tracker { conn }
    }

    /// The keys invalidated before the marker key `zmark` was; a flush
    /// (invalidation of everything) shows as the key "*flush*".
    fn until_marker(&mut self) -> BTreeSet<Bytes> {
        let mut keys = BTreeSet::new();
        loop {
            let Frame::Push(items) = self.conn.next_frame() else { continue };
            match items.get(1) {
                Some(Frame::Array(list)) => keys.extend(list.iter().filter_map(bulk_text)),
                _ => {
                    keys.insert(Bytes::from_static(b"*flush*"));
                }
            }
            if keys.remove(&b"zmark"[..]) {
                return keys;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Comparison helpers.

fn to_bytes(argv: &[String]) -> Vec<Bytes> {
    argv.iter().map(|s| Bytes::from(s.clone())).collect()
}

fn bulk_text(f: &Frame) -> Option<Bytes> {
    match f {
        Frame::Bulk(b) => Some(b.clone()),
        _ => None,
    }
}

/// A score as text, whether it came as a RESP2 bulk or a RESP3 double.
fn score_text(f: &Frame) -> Option<String> {
    match f {
        Frame::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Frame::Double(d) => Some(fmt_g17(*d)),
        _ => None,
    }
}

fn upper(s: &str) -> String {
    s.to_ascii_uppercase()
}

fn has_token(argv: &[String], tok: &str) -> bool {
    argv.iter().skip(2).any(|a| a.eq_ignore_ascii_case(tok))
}

/// RESP3's nested pairs as one flat list, as RESP2 sends them.
fn flatten_pairs(f: &Frame) -> Frame {
    match f {
        Frame::Array(items) if items.iter().all(|i| matches!(i, Frame::Array(p) if p.len() == 2)) => Frame::Array(
            items.iter().flat_map(|i| if let Frame::Array(p) = i { p.clone() } else { Vec::new() }).collect(),
        ),
        other => other.clone(),
    }
}

struct Harness<'r> {
    redis: support::RealConn,
    replica: &'r mut Replica,
    tracker: &'r mut Tracker,
    marker: u64,
    model: Model,
    config: EngineConfig,
    node_rng: ChaCha8Rng,
    proto: Protocol,
    runs: BTreeMap<String, usize>,
    skipped: BTreeMap<String, usize>,
    /// Error replies (Redis's), to show both paths of each command ran.
    errors: BTreeMap<String, usize>,
    mismatches: BTreeMap<String, usize>,
    samples: Vec<String>,
}

/// What the model did with one command.
struct ModelRun {
    reply: Frame,
    effects: Vec<Vec<Bytes>>,
    touched: BTreeSet<Bytes>,
    blocked: Option<Frame>,
}

impl<'r> Harness<'r> {
    fn new(
        server: &support::RealRedis,
        replica: &'r mut Replica,
        tracker: &'r mut Tracker,
        proto: Protocol,
        entries: u64,
        value: u64,
    ) -> Harness<'r> {
        let mut redis = server.connect();
        if proto == Protocol::Resp3 {
            assert!(matches!(redis.call(&["HELLO", "3"]), Frame::Map(_)));
        }
        assert_eq!(redis.call(&["FLUSHALL"]), Frame::ok());
        let (e, v) = (entries.to_string(), value.to_string());
        assert_eq!(redis.call(&["CONFIG", "SET", "zset-max-listpack-entries", &e]), Frame::ok());
        assert_eq!(redis.call(&["CONFIG", "SET", "zset-max-listpack-value", &v]), Frame::ok());
        let config = EngineConfig {
            zset_max_listpack_entries: entries,
            zset_max_listpack_value: value,
            ..EngineConfig::default()
        };
        let mut h = Harness {
            redis,
            replica,
            tracker,
            marker: 0,
            model: Model::new(16),
            config,
            node_rng: ChaCha8Rng::seed_from_u64(99),
            proto,
            runs: BTreeMap::new(),
            skipped: BTreeMap::new(),
            errors: BTreeMap::new(),
            mismatches: BTreeMap::new(),
            samples: Vec::new(),
        };
        // Drain what FLUSHALL and the CONFIG changes propagated.
        h.redis_effects();
        h
    }

    /// What Redis propagated, and which keys it signalled as modified,
    /// since the last call.
    fn redis_effects(&mut self) -> (Vec<Vec<Bytes>>, BTreeSet<Bytes>) {
        self.marker += 1;
        let m = self.marker.to_string();
        assert_eq!(self.redis.call(&["SET", "zmark", &m]), Frame::ok());
        (self.replica.until_marker(self.marker), self.tracker.until_marker())
    }

    /// Runs argv on the model; the reply is re-parsed from the client's
    /// protocol encoding, so the comparison sees what a client would.
    fn model_run(&mut self, argv: &[String], may_block: bool) -> ModelRun {
        let args = to_bytes(argv);
        let cmd = match upper(&argv[0]).as_str() {
            "DEBUG" => Ok(Command::DebugDigestValue { keys: args[2..].to_vec() }),
            _ => Command::from_argv(&args, &ParseEnv::default()),
        };
        let (frame, effects, touched, blocked) = match cmd {
            Ok(cmd) => {
                let mut cx = Context::new(0, NOW_MS, &mut self.node_rng, &self.config, &args);
                cx.may_block = may_block;
                let frame = self.model.execute(&mut cx, &cmd);
                let blocked = cx.block.as_ref().map(|b| b.on_timeout.clone());
                let touched = cx.touched.iter().map(|(_, k)| k.clone()).collect();
                let effects = cx.into_effects().into_iter().map(|e| e.argv).collect();
                (frame, effects, touched, blocked)
            }
            Err(e) => (Frame::from(e), Vec::new(), BTreeSet::new(), None),
        };
        ModelRun { reply: self.client_view(&frame), effects, touched, blocked }
    }

    fn client_view(&self, frame: &Frame) -> Frame {
        let wire = encode_to_vec(frame, self.proto);
        let (parsed, used) = parse_reply(&wire).expect("valid encoding").expect("complete frame");
        assert_eq!(used, wire.len());
        parsed
    }

    fn model_call(&mut self, argv: &[String]) -> Frame {
        self.model_run(argv, true).reply
    }

    fn redis_call(&mut self, argv: &[String]) -> Frame {
        self.redis.call(argv)
    }

    fn same(&self, a: &Frame, b: &Frame) -> bool {
        encode_to_vec(a, self.proto) == encode_to_vec(b, self.proto)
    }

    fn mismatch(&mut self, what: &str, detail: String) {
        *self.mismatches.entry(what.to_string()).or_default() += 1;
        if self.samples.len() < 30 {
            self.samples.push(format!("[{what}] {detail}"));
        }
    }

    fn check_equal(&mut self, what: &str, argv: &[String], redis: &Frame, model: &Frame) {
        if !self.same(redis, model) {
            self.mismatch(what, format!("{argv:?}\n    redis: {redis:?}\n    model: {model:?}"));
        }
    }

    fn model_zset(&self, key: &str) -> Option<ZSetValue> {
        match self.model.dbs()[0].get(key.as_bytes()).map(|e| &e.value) {
            Some(Value::ZSet(z)) => Some(z.clone()),
            _ => None,
        }
    }

    /// The key a lex-range command reads, if it is one.
    fn lex_key(argv: &[String]) -> Option<&String> {
        match upper(&argv[0]).as_str() {
            "ZRANGEBYLEX" | "ZREVRANGEBYLEX" | "ZLEXCOUNT" | "ZREMRANGEBYLEX" => argv.get(1),
            "ZRANGE" if has_token(argv, "BYLEX") => argv.get(1),
            "ZRANGESTORE" if has_token(argv, "BYLEX") => argv.get(2),
            _ => None,
        }
    }

    /// Sends one generated command to both sides and compares.
    fn step(&mut self, argv: Vec<String>) {
        let name = upper(&argv[0]);
        if let Some(z) = Self::lex_key(&argv).and_then(|k| self.model_zset(k)) {
            let first = z.iter().next().map(|(_, s)| s);
            if z.encoding_name() == "skiplist" && z.iter().any(|(_, s)| Some(s) != first) {
                *self.skipped.entry(name).or_default() += 1;
                return;
            }
        }
        *self.runs.entry(name.clone()).or_default() += 1;
        let key = argv.get(1).cloned().unwrap_or_default();
        let before = self.model_zset(&key);

        let (redis, run) = if matches!(name.as_str(), "BZPOPMIN" | "BZPOPMAX" | "BZMPOP") {
            self.blocking_pair(&argv)
        } else {
            let redis = self.redis_call(&argv);
            (redis, self.model_run(&argv, true))
        };
        let model = run.reply.clone();
        if redis.is_error() {
            *self.errors.entry(name.clone()).or_default() += 1;
        }
        if redis.is_error() || model.is_error() {
            self.check_equal(&name, &argv, &redis, &model);
        } else {
            match name.as_str() {
                "ZRANDMEMBER" => self.check_randmember(&argv, before.as_ref(), &redis, &model),
                "ZSCAN" if before.as_ref().is_some_and(|z| z.encoding_name() == "skiplist") => {
                    self.check_zscan(&argv, &redis, &model)
                }
                _ => self.check_equal(&name, &argv, &redis, &model),
            }
        }
        let (mut theirs, modified) = self.redis_effects();
        if modified != run.touched {
            self.mismatch(
                &format!("{name}(modified keys)"),
                format!("{argv:?}\n    redis: {modified:?}\n    model: {:?}", run.touched),
            );
        }
        let mut ours = run.effects.clone();
        if name == "EXPIRE" {
            // The deadline comes from each side's own clock.
            for e in theirs.iter_mut().chain(ours.iter_mut()) {
                e.truncate(2);
            }
        }
        if theirs != ours {
            self.mismatch(
                &format!("{name}(propagation)"),
                format!("{argv:?}\n    redis: {theirs:?}\n    model: {ours:?}"),
            );
        }
    }

    /// A blocking pop: when the model would block, Redis runs it inside
    /// MULTI/EXEC (where it cannot block) and must give the timeout reply.
    fn blocking_pair(&mut self, argv: &[String]) -> (Frame, ModelRun) {
        let mut run = self.model_run(argv, true);
        let Some(on_timeout) = run.blocked.take() else {
            return (self.redis_call(argv), run);
        };
        run.reply = self.client_view(&on_timeout);
        assert_eq!(self.redis_call(&["MULTI".to_string()]), Frame::ok());
        let queued = self.redis_call(argv);
        let exec = self.redis_call(&["EXEC".to_string()]);
        let redis = match exec {
            Frame::Array(mut v) if v.len() == 1 => v.remove(0),
            other => Frame::Error(format!("unexpected EXEC reply {other:?} (queued: {queued:?})")),
        };
        // The model must also time out at once inside MULTI.
        let inside = self.model_run(argv, false);
        if inside.blocked.is_some() || !self.same(&inside.reply, &run.reply) {
            self.mismatch("BLOCKING(in MULTI)", format!("{argv:?}: {:?}", inside.reply));
        }
        (redis, run)
    }

    /// ZRANDMEMBER by its properties: sizes, distinctness, membership, scores.
    fn check_randmember(&mut self, argv: &[String], before: Option<&ZSetValue>, redis: &Frame, model: &Frame) {
        let scores: BTreeMap<Bytes, String> = before
            .map(|z| z.iter().map(|(m, s)| (Bytes::copy_from_slice(m), fmt_g17(s))).collect())
            .unwrap_or_default();
        let withscores = argv.len() == 4;
        let ok = |f: &Frame| -> bool {
            let count: i64 = match argv.get(2) {
                None => {
                    return match f {
                        Frame::Null => scores.is_empty(),
                        Frame::Bulk(b) => scores.contains_key(b),
                        _ => false,
                    }
                }
                Some(c) => c.parse().expect("errors were handled before"),
            };
            let Frame::Array(items) = f else { return false };
            let items =
                if withscores { flatten_pairs(&Frame::Array(items.clone())) } else { Frame::Array(items.clone()) };
            let Frame::Array(items) = items else { return false };
            let step = if withscores { 2 } else { 1 };
            if items.len() % step != 0 {
                return false;
            }
            let mut got = Vec::new();
            for chunk in items.chunks(step) {
                let Some(m) = bulk_text(&chunk[0]) else { return false };
                let Some(expected) = scores.get(&m) else { return false };
                if withscores && score_text(&chunk[1]).as_ref() != Some(expected) {
                    return false;
                }
                got.push(m);
            }
            let distinct: BTreeSet<&Bytes> = got.iter().collect();
            if scores.is_empty() || count == 0 {
                got.is_empty()
            } else if count < 0 {
                got.len() as u64 == count.unsigned_abs()
            } else {
                got.len() as u64 == (count as u64).min(scores.len() as u64) && distinct.len() == got.len()
            }
        };
        // Pairs nested the same way (RESP3) or both flat (RESP2).
        let nested = |f: &Frame| matches!(f, Frame::Array(v) if matches!(v.first(), Some(Frame::Array(_))));
        let shape = std::mem::discriminant(redis) == std::mem::discriminant(model) && nested(redis) == nested(model);
        if !shape || !ok(redis) || !ok(model) {
            self.mismatch("ZRANDMEMBER", format!("{argv:?} of {scores:?}\n    redis: {redis:?}\n    model: {model:?}"));
        }
    }

    /// A skiplist's cursors are Redis's own: a scan from 0 is compared by
    /// everything the full iteration returns; other cursors only by shape.
    fn check_zscan(&mut self, argv: &[String], redis: &Frame, model: &Frame) {
        let pairs = |f: &Frame| -> Option<(Bytes, BTreeSet<(Bytes, Bytes)>)> {
            let Frame::Array(v) = f else { return None };
            let cursor = bulk_text(v.first()?)?;
            let Frame::Array(items) = v.get(1)? else { return None };
            if items.len() % 2 != 0 {
                return None;
            }
            let mut out = BTreeSet::new();
            for p in items.chunks(2) {
                out.insert((bulk_text(&p[0])?, bulk_text(&p[1])?));
            }
            Some((cursor, out))
        };
        if pairs(redis).is_none() || pairs(model).is_none() {
            return self.mismatch("ZSCAN", format!("{argv:?}\n    redis: {redis:?}\n    model: {model:?}"));
        }
        if argv[2] != "0" {
            return;
        }
        let full = |h: &mut Harness, first: &Frame, on_redis: bool| -> Option<BTreeSet<(Bytes, Bytes)>> {
            let mut seen = BTreeSet::new();
            let mut reply = first.clone();
            for _ in 0..10_000 {
                let (cursor, items) = pairs(&reply)?;
                seen.extend(items);
                if &cursor[..] == b"0" {
                    return Some(seen);
                }
                let mut next = argv.to_vec();
                next[2] = String::from_utf8_lossy(&cursor).into_owned();
                reply = if on_redis { h.redis_call(&next) } else { h.model_call(&next) };
            }
            None
        };
        let theirs = full(self, redis, true);
        let ours = full(self, model, false);
        if theirs.is_none() || theirs != ours {
            self.mismatch("ZSCAN", format!("{argv:?} full iteration\n    redis: {theirs:?}\n    model: {ours:?}"));
        }
    }

    /// DEBUG DIGEST-VALUE and OBJECT ENCODING of every key.
    fn compare_all(&mut self, when: &str) {
        let mut digest = vec!["DEBUG".to_string(), "DIGEST-VALUE".to_string()];
        digest.extend(POOL.iter().map(|k| k.to_string()));
        let (redis, model) = (self.redis_call(&digest), self.model_call(&digest));
        self.check_equal(&format!("digest ({when})"), &digest, &redis, &model);
        for k in POOL {
            let probe = vec!["OBJECT".to_string(), "ENCODING".to_string(), k.to_string()];
            let (redis, model) = (self.redis_call(&probe), self.model_call(&probe));
            self.check_equal(&format!("encoding ({when})"), &probe, &redis, &model);
        }
    }
}

// ---------------------------------------------------------------------------
// The command generator.

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.gen_range(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// Mostly sorted sets, sometimes a plain set, a string or a missing key.
    fn key(&mut self) -> String {
        match self.rng.gen_range(0..100) {
            0..=81 => self.pick(&ZKEYS).to_string(),
            82..=89 => "set1".to_string(),
            90..=94 => "str".to_string(),
            _ => "nokey".to_string(),
        }
    }

    fn member(&mut self) -> String {
        match self.rng.gen_range(0..100) {
            0..=74 => self.pick(&MEMBERS).to_string(),
            75..=94 => format!("m{}", self.rng.gen_range(0..300)),
            // Around the default 64-byte listpack limit.
            _ => format!("{}{}", "L".repeat(self.rng.gen_range(62..66)), self.rng.gen_range(0..3)),
        }
    }

    fn score(&mut self, key: &str) -> String {
        if LEX_KEYS.contains(&key) && self.chance(0.85) {
            return "0".to_string();
        }
        if self.chance(0.03) {
            return self.pick(&BAD_SCORES).to_string();
        }
        if self.chance(0.3) {
            return self.rng.gen_range(-20..20).to_string();
        }
        self.pick(&SCORES).to_string()
    }

    fn score_bound(&mut self) -> String {
        if self.chance(0.04) {
            return self.pick(&BAD_SCORE_BOUNDS).to_string();
        }
        if self.chance(0.3) {
            let v = self.rng.gen_range(-10..12).to_string();
            return if self.chance(0.3) { format!("({v}") } else { v };
        }
        self.pick(&SCORE_BOUNDS).to_string()
    }

    fn lex_bound(&mut self) -> String {
        if self.chance(0.04) {
            return self.pick(&BAD_LEX_BOUNDS).to_string();
        }
        if self.chance(0.2) {
            let m = self.member();
            return if self.chance(0.5) { format!("[{m}") } else { format!("({m}") };
        }
        self.pick(&LEX_BOUNDS).to_string()
    }

    fn index(&mut self) -> String {
        match self.rng.gen_range(0..100) {
            0..=2 => self.pick(&BAD_INDEXES).to_string(),
            3..=5 => self.pick(&BIG_INDEXES).to_string(),
            _ => self.pick(&INDEXES).to_string(),
        }
    }

    fn limit(&mut self) -> Vec<String> {
        let offset = self.pick(&["0", "0", "1", "2", "5", "-1", "200", "x"]);
        let count = self.pick(&["-1", "0", "1", "2", "3", "10", "-5", "x"]);
        vec!["LIMIT".into(), offset.into(), count.into()]
    }

    fn timeout(&mut self) -> String {
        self.pick(&["0", "0.01", "0.5", "1", "0", "-1", "x", "inf", "nan", "-0.0001"]).to_string()
    }

    fn count(&mut self) -> String {
        self.pick(&["0", "1", "1", "2", "3", "5", "100", "-1", "x", ""]).to_string()
    }

    fn numkeys_and_keys(&mut self) -> (String, Vec<String>) {
        let n = self.rng.gen_range(1..=3);
        let keys: Vec<String> = (0..n).map(|_| self.key()).collect();
        let numkeys = match self.rng.gen_range(0..100) {
            0..=1 => "0".to_string(),
            2..=3 => "x".to_string(),
            4..=5 => (n + 2).to_string(),
            6 => "-1".to_string(),
            _ => n.to_string(),
        };
        (numkeys, keys)
    }

    /// A case-randomized token.
    fn tok(&mut self, t: &str) -> String {
        if self.chance(0.2) {
            t.to_ascii_lowercase()
        } else {
            t.to_string()
        }
    }

    fn command(&mut self) -> Vec<String> {
        let mut argv = self.raw_command();
        // A huge negative count without WITHSCORES would make Redis draw for ever.
        if argv.iter().any(|a| a == "-9223372036854775807") {
            return argv;
        }
        // Occasionally break the command: missing or extra arguments.
        if self.chance(0.03) && argv.len() > 1 {
            argv.pop();
        } else if self.chance(0.02) {
            argv.push(self.pick(&["foo", "WITHSCORES", "LIMIT", "1"]).to_string());
        }
        argv
    }

    fn raw_command(&mut self) -> Vec<String> {
        let s = |v: &str| v.to_string();
        let r = self.rng.gen_range(0..1000);
        match r {
            0..=179 => {
                let key = self.key();
                let mut argv = vec![self.tok("ZADD"), key.clone()];
                let mut flags: Vec<&str> =
                    ["NX", "XX", "GT", "LT", "CH", "INCR"].into_iter().filter(|_| self.rng.gen_bool(0.1)).collect();
                flags.shuffle(&mut self.rng);
                argv.extend(flags.iter().map(|f| f.to_string()));
                let pairs = if flags.contains(&"INCR") && self.chance(0.9) { 1 } else { self.rng.gen_range(1..=5) };
                for _ in 0..pairs {
                    argv.push(self.score(&key));
                    argv.push(self.member());
                }
                argv
            }
            180..=219 => {
                let key = self.key();
                vec![self.tok("ZINCRBY"), key.clone(), self.score(&key), self.member()]
            }
            220..=259 => {
                let mut argv = vec![s("ZREM"), self.key()];
                for _ in 0..self.rng.gen_range(1..=4) {
                    argv.push(self.member());
                }
                argv
            }
            260..=274 => vec![s("ZCARD"), self.key()],
            275..=294 => vec![s("ZSCORE"), self.key(), self.member()],
            295..=309 => {
                let mut argv = vec![s("ZMSCORE"), self.key()];
                for _ in 0..self.rng.gen_range(1..=4) {
                    argv.push(self.member());
                }
                argv
            }
            310..=324 => vec![self.pick(&["ZRANK", "ZREVRANK"]).to_string(), self.key(), self.member()],
            325..=339 => vec![s("ZCOUNT"), self.key(), self.score_bound(), self.score_bound()],
            340..=354 => vec![s("ZLEXCOUNT"), self.key(), self.lex_bound(), self.lex_bound()],
            355..=419 => self.zrange(false),
            420..=444 => self.zrange(true),
            445..=464 => {
                let mut argv = vec![self.tok("ZREVRANGE"), self.key(), self.index(), self.index()];
                if self.chance(0.4) {
                    argv.push(self.tok("WITHSCORES"));
                }
                argv
            }
            465..=504 => {
                let name = self.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]).to_string();
                let mut argv = vec![name, self.key(), self.score_bound(), self.score_bound()];
                if self.chance(0.4) {
                    argv.push(self.tok("WITHSCORES"));
                }
                if self.chance(0.3) {
                    argv.extend(self.limit());
                }
                argv
            }
            505..=534 => {
                let name = self.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]).to_string();
                let key = if self.chance(0.7) { self.pick(&LEX_KEYS).to_string() } else { self.key() };
                let mut argv = vec![name, key, self.lex_bound(), self.lex_bound()];
                if self.chance(0.3) {
                    argv.extend(self.limit());
                }
                argv
            }
            535..=549 => vec![s("ZREMRANGEBYRANK"), self.key(), self.index(), self.index()],
            550..=564 => vec![s("ZREMRANGEBYSCORE"), self.key(), self.score_bound(), self.score_bound()],
            565..=579 => {
                let key = if self.chance(0.7) { self.pick(&LEX_KEYS).to_string() } else { self.key() };
                vec![s("ZREMRANGEBYLEX"), key, self.lex_bound(), self.lex_bound()]
            }
            580..=699 => self.setop(),
            700..=739 => {
                let mut argv = vec![self.pick(&["ZPOPMIN", "ZPOPMAX"]).to_string(), self.key()];
                if self.chance(0.6) {
                    argv.push(self.count());
                }
                argv
            }
            740..=769 => self.mpop(false),
            770..=789 => {
                let mut argv = vec![self.pick(&["BZPOPMIN", "BZPOPMAX"]).to_string()];
                for _ in 0..self.rng.gen_range(1..=3) {
                    argv.push(self.key());
                }
                argv.push(self.timeout());
                argv
            }
            790..=804 => self.mpop(true),
            805..=849 => {
                let mut argv = vec![s("ZRANDMEMBER"), self.key()];
                if self.chance(0.7) {
                    let count = self.pick(&[
                        "0",
                        "1",
                        "2",
                        "3",
                        "5",
                        "-1",
                        "-3",
                        "-10",
                        "20",
                        "1000",
                        "x",
                        "9223372036854775807",
                        "-9223372036854775808",
                    ]);
                    argv.push(count.to_string());
                    if self.chance(0.4) {
                        argv.push(self.tok("WITHSCORES"));
                    } else if self.chance(0.03) {
                        // Out of range once doubled: refused before any draw.
                        argv[2] = s("-9223372036854775807");
                        argv.push(s("WITHSCORES"));
                    }
                }
                argv
            }
            850..=894 => {
                let cursor = self.pick(&["0", "0", "0", "0", "x", "-1", "18446744073709551616", "7"]);
                let mut argv = vec![s("ZSCAN"), self.key(), cursor.to_string()];
                if self.chance(0.4) {
                    argv.push(s("MATCH"));
                    argv.push(self.pick(&["*", "a*", "m1?", "[a-c]*", "*b*", "L*"]).to_string());
                }
                if self.chance(0.4) {
                    argv.push(s("COUNT"));
                    argv.push(self.pick(&["1", "2", "10", "1000", "0", "x"]).to_string());
                }
                if self.chance(0.03) {
                    argv.push(self.pick(&["TYPE", "foo"]).to_string());
                    argv.push(s("zset"));
                }
                argv
            }
            895..=934 => vec![s("DEL"), self.key()],
            935..=954 => {
                let mut argv = vec![s("SADD"), s("set1")];
                for _ in 0..self.rng.gen_range(1..=3) {
                    argv.push(self.member());
                }
                argv
            }
            955..=969 => vec![s("EXPIRE"), self.key(), s("100000")],
            970..=979 => vec![s("SET"), self.pick(&["str", "str", "z0", "z1"]).to_string(), s("text")],
            _ => self.wrong_arity(),
        }
    }

    /// ZRANGE (or ZRANGESTORE) with its BYSCORE/BYLEX/REV/LIMIT/WITHSCORES options.
    fn zrange(&mut self, store: bool) -> Vec<String> {
        let kind = self.rng.gen_range(0..10);
        let key = if kind >= 8 && self.chance(0.7) { self.pick(&LEX_KEYS).to_string() } else { self.key() };
        let mut argv =
            if store { vec![self.tok("ZRANGESTORE"), self.key(), key] } else { vec![self.tok("ZRANGE"), key] };
        let (a, b) = match kind {
            0..=4 => (self.index(), self.index()),
            5..=7 => (self.score_bound(), self.score_bound()),
            _ => (self.lex_bound(), self.lex_bound()),
        };
        argv.push(a);
        argv.push(b);
        let mut opts: Vec<Vec<String>> = Vec::new();
        match kind {
            5..=7 if self.chance(0.95) => opts.push(vec![self.tok("BYSCORE")]),
            8..=9 if self.chance(0.95) => opts.push(vec![self.tok("BYLEX")]),
            _ if self.chance(0.03) => opts.push(vec![self.pick(&["BYSCORE", "BYLEX"]).to_string()]),
            _ => {}
        }
        if self.chance(0.3) {
            opts.push(vec![self.tok("REV")]);
        }
        if self.chance(if kind >= 5 { 0.3 } else { 0.05 }) {
            opts.push(self.limit());
        }
        if (!store || self.chance(0.05)) && self.chance(if kind >= 8 { 0.05 } else { 0.35 }) {
            opts.push(vec![self.tok("WITHSCORES")]);
        }
        opts.shuffle(&mut self.rng);
        argv.extend(opts.into_iter().flatten());
        argv
    }

    fn setop(&mut self) -> Vec<String> {
        let name = self.pick(&[
            "ZUNION",
            "ZINTER",
            "ZDIFF",
            "ZUNIONSTORE",
            "ZINTERSTORE",
            "ZDIFFSTORE",
            "ZINTERCARD",
            "ZUNION",
            "ZINTER",
        ]);
        let store = name.ends_with("STORE");
        let mut argv = vec![name.to_string()];
        if store {
            argv.push(self.key());
        }
        let (numkeys, keys) = self.numkeys_and_keys();
        let n = keys.len();
        argv.push(numkeys);
        argv.extend(keys);
        let mut opts: Vec<Vec<String>> = Vec::new();
        let combining = !name.starts_with("ZDIFF") && name != "ZINTERCARD";
        if (combining || self.chance(0.05)) && self.chance(0.4) {
            let count = if self.chance(0.9) { n } else { n + 1 };
            let mut w = vec![self.tok("WEIGHTS")];
            for _ in 0..count {
                w.push(self.pick(&WEIGHTS).to_string());
            }
            opts.push(w);
        }
        if (combining || self.chance(0.05)) && self.chance(0.4) {
            let how = self.pick(&["SUM", "MIN", "MAX", "min", "foo"]);
            opts.push(vec![self.tok("AGGREGATE"), how.to_string()]);
        }
        if (!store || self.chance(0.05)) && name != "ZINTERCARD" && self.chance(0.5) {
            opts.push(vec![self.tok("WITHSCORES")]);
        }
        if name == "ZINTERCARD" && self.chance(0.5) {
            opts.push(vec![s("LIMIT"), self.pick(&["0", "1", "2", "5", "-1", "x"]).to_string()]);
        }
        opts.shuffle(&mut self.rng);
        argv.extend(opts.into_iter().flatten());
        argv
    }

    fn mpop(&mut self, blocking: bool) -> Vec<String> {
        let mut argv = vec![if blocking { "BZMPOP" } else { "ZMPOP" }.to_string()];
        if blocking {
            argv.push(self.timeout());
        }
        let (numkeys, keys) = self.numkeys_and_keys();
        argv.push(numkeys);
        argv.extend(keys);
        argv.push(self.pick(&["MIN", "MAX", "min", "max", "foo"]).to_string());
        if self.chance(0.5) {
            argv.push(s("COUNT"));
            argv.push(self.pick(&["1", "2", "3", "10", "0", "-1", "x"]).to_string());
        }
        argv
    }

    fn wrong_arity(&mut self) -> Vec<String> {
        let k = self.key();
        let cases: [Vec<&str>; 16] = [
            vec!["ZADD", &k, "1"],
            vec!["ZADD", &k],
            vec!["ZINCRBY", &k, "1"],
            vec!["ZCARD"],
            vec!["ZSCORE", &k],
            vec!["ZRANK", &k, "a", "b"],
            vec!["ZRANGE", &k, "0"],
            vec!["ZRANGESTORE", "d", &k, "0"],
            vec!["ZCOUNT", &k, "0"],
            vec!["ZREMRANGEBYLEX", &k, "-"],
            vec!["ZUNION", "1"],
            vec!["ZINTERSTORE", &k, "1"],
            vec!["ZMPOP", "1", &k],
            vec!["BZPOPMIN", &k],
            vec!["BZMPOP", "0", "1", &k],
            vec!["ZSCAN", &k],
        ];
        let i = self.rng.gen_range(0..cases.len());
        cases[i].iter().map(|v| v.to_string()).collect()
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

// ---------------------------------------------------------------------------

/// One seed: a fresh dataset on both sides, with listpack limits chosen by
/// the seed, and `COMMANDS_PER_SEED` commands.
fn run_seed<'r>(
    server: &support::RealRedis,
    replica: &'r mut Replica,
    tracker: &'r mut Tracker,
    seed: u64,
    proto: Protocol,
) -> Harness<'r> {
    let (entries, value) = [(128, 64), (8, 64), (16, 8), (4, 64), (0, 64), (128, 64), (32, 16)][(seed % 7) as usize];
    let mut h = Harness::new(server, replica, tracker, proto, entries, value);
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed) };
    h.step(vec![s("SET"), s("str"), s("text")]);
    for i in 0..COMMANDS_PER_SEED {
        if g.rng.gen_bool(0.002) {
            // A new limit applies to later additions only (conversions are one-way).
            let (name, value) = if g.rng.gen_bool(0.5) {
                ("zset-max-listpack-entries", g.rng.gen_range(0..20))
            } else {
                ("zset-max-listpack-value", g.rng.gen_range(0..70))
            };
            h.redis_call(&[s("CONFIG"), s("SET"), s(name), value.to_string()]);
            if name.ends_with("entries") {
                h.config.zset_max_listpack_entries = value;
            } else {
                h.config.zset_max_listpack_value = value;
            }
        }
        let argv = g.command();
        h.step(argv);
        if i % 250 == 249 {
            h.compare_all("checkpoint");
            // Keep the replica link alive (Redis drops replicas that never ack).
            h.replica.conn.send(&["REPLCONF", "ACK", "0"]);
        }
    }
    h.compare_all("end of seed");
    h
}

fn run_seeds(seeds: std::ops::Range<u64>, proto: Protocol) {
    let server = support::RealRedis::start_with(&[
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut replica = Replica::connect(&server);
    let mut tracker = Tracker::connect(&server);
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut mismatches: BTreeMap<String, usize> = BTreeMap::new();
    let mut samples = Vec::new();
    for seed in seeds {
        let h = run_seed(&server, &mut replica, &mut tracker, seed, proto);
        for (k, v) in h.runs {
            *runs.entry(k).or_default() += v;
        }
        for (k, v) in h.skipped {
            *skipped.entry(k).or_default() += v;
        }
        for (k, v) in h.errors {
            *errors.entry(k).or_default() += v;
        }
        for (k, v) in h.mismatches {
            *mismatches.entry(k).or_default() += v;
        }
        samples.extend(h.samples.into_iter().map(|s| format!("seed {seed}: {s}")));
    }
    println!("{proto:?}: runs (of which error replies), mismatches, skipped lex ranges on mixed-score skiplists");
    for (name, n) in &runs {
        let bad = mismatches.get(name).copied().unwrap_or(0);
        let skip = skipped.get(name).copied().unwrap_or(0);
        let err = errors.get(name).copied().unwrap_or(0);
        println!("  {name:<18} {n:>6} runs ({err:>5} errors) {bad:>4} mismatches {skip:>4} skipped");
    }
    for (name, n) in mismatches.iter().filter(|(k, _)| !runs.contains_key(*k)) {
        println!("  {name:<18} {n:>4} mismatches");
    }
    for s in samples.iter().take(30) {
        println!("{s}");
    }
    let total: usize = mismatches.values().sum();
    assert_eq!(total, 0, "{total} mismatches with real Redis ({proto:?}): {mismatches:?}");
}

#[test]
fn sorted_sets_match_redis_resp2() {
    run_seeds(0..RESP2_SEEDS, Protocol::Resp2);
}

#[test]
fn sorted_sets_match_redis_resp3() {
    run_seeds(100..100 + RESP3_SEEDS, Protocol::Resp3);
}
